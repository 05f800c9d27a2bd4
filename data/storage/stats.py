"""Marketplace-wide counts (no individual data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.storage.tables import EmployeeRow, InteractionRow, OpportunityRow


def marketplace_counts(session: Session) -> dict[str, Any]:
    """People, opportunities by kind and status, interactions by type."""
    opportunities: dict[str, dict[str, int]] = {}
    query = select(OpportunityRow.kind, OpportunityRow.status, func.count()).group_by(
        OpportunityRow.kind, OpportunityRow.status
    )
    for kind, status, count in session.execute(query):
        opportunities.setdefault(kind, {})[status] = count
    events = select(InteractionRow.type, func.count()).group_by(InteractionRow.type)
    return {
        "employees": session.scalar(select(func.count()).select_from(EmployeeRow)) or 0,
        "opportunities": opportunities,
        "interactions": {kind: count for kind, count in session.execute(events)},
    }
