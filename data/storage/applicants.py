"""Who applied to a posting: one count for a lead's list and its board alike."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.schemas import InteractionType
from data.storage.tables import InteractionRow, PipelineRow

# The people on its board who asked for it (applied, joined its waitlist, or accepted the
# lead's invitation, which the log records as applying), whatever stage they reached since,
# withdrawn and rejected included; never someone invited who has not answered. Only people on
# the board: the interaction log also holds the demo history's applications, which have no
# place on a board (a list said "8 applied" beside a board's two).
ASKED = (InteractionType.APPLY.value, InteractionType.WAITLIST.value)


def applicants(session: Session, opportunity_external_ids: Sequence[str]) -> dict[str, int]:
    """How many people applied to each posting, by external id (one grouped query)."""
    if not opportunity_external_ids:
        return {}
    asked = (
        select(InteractionRow.id)
        .where(
            InteractionRow.employee_external_id == PipelineRow.employee_external_id,
            InteractionRow.opportunity_external_id == PipelineRow.opportunity_external_id,
            InteractionRow.type.in_(ASKED),
        )
        .exists()
    )
    query = (
        select(PipelineRow.opportunity_external_id, func.count())
        .where(PipelineRow.opportunity_external_id.in_(list(opportunity_external_ids)), asked)
        .group_by(PipelineRow.opportunity_external_id)
    )
    return {opportunity: int(n) for opportunity, n in session.execute(query)}
