"""Each opportunity's kind (gig, mentorship, role), for figures that read one kind at a time."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.storage.queries import rows_in
from data.storage.tables import OpportunityRow


def kinds_of(session: Session, external_ids: Iterable[str]) -> dict[str, str]:
    """opportunity external id -> kind; ids of no stored opportunity are absent."""
    query = select(OpportunityRow.external_id, OpportunityRow.kind)
    return dict(rows_in(session, query, OpportunityRow.external_id, external_ids))
