"""Marketplace-wide counts for HR and admins (no individual data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from data.schemas import Role
from data.storage.stats import marketplace_counts
from serving.deps import CurrentUser, SessionDep
from serving.errors import API_ERRORS, documented
from serving.schemas import StatsOut

router = APIRouter(prefix="/api/v1/stats", tags=["stats"], responses=API_ERRORS)


@router.get("", response_model=StatsOut, responses=documented(403))
def stats(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    user.require(Role.HR, Role.ADMIN)
    return marketplace_counts(session)
