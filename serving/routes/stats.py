"""Marketplace-wide counts for HR and admins (no individual data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from data.schemas import Role
from data.storage.tables import EmployeeRow, InteractionRow, OpportunityRow
from serving.deps import CurrentUser, SessionDep
from serving.errors import API_ERRORS, documented

router = APIRouter(prefix="/api/v1/stats", tags=["stats"], responses=API_ERRORS)


@router.get("", responses=documented(403))
def stats(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    user.require(Role.HR, Role.ADMIN)
    by_kind_status = session.execute(
        select(OpportunityRow.kind, OpportunityRow.status, func.count()).group_by(
            OpportunityRow.kind, OpportunityRow.status
        )
    ).all()
    opportunities: dict[str, dict[str, int]] = {}
    for kind, status, count in by_kind_status:
        opportunities.setdefault(kind, {})[status] = count
    events = session.execute(
        select(InteractionRow.type, func.count()).group_by(InteractionRow.type)
    ).all()
    return {
        "employees": session.scalar(select(func.count()).select_from(EmployeeRow)) or 0,
        "opportunities": opportunities,
        "interactions": {kind: count for kind, count in events},
    }
