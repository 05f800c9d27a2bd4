"""Who may know that a record exists: the checks routes share."""

from __future__ import annotations

from sqlalchemy.orm import Session

from data.schemas import OpportunityStatus, Role
from data.storage.opportunities import get_opportunity
from data.storage.tables import OpportunityRow
from serving.auth import Principal
from serving.errors import NotFound


def visible_opportunity(session: Session, user: Principal, external_id: str) -> OpportunityRow:
    """The opportunity, if this caller may know it exists: a draft is its lead's and the
    admins' alone (everyone else gets the same 404 as for an id that was never used, on every
    route, reactions included)."""
    row = get_opportunity(session, external_id)
    if row is None or (
        row.status == OpportunityStatus.DRAFT.value
        and not (user.role is Role.ADMIN or user.is_self(row.owner_external_id))
    ):
        raise NotFound(f"no opportunity {external_id!r}")
    return row
