"""Interleaving tests: an admin turns one on per kind and direction with a registered model,
HR and admins read its win rate, an admin promotes a winning challenger."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from data.schemas import ContractModel, OpportunityKind, Role
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, documented
from serving.schemas import Out
from serving.usecases.interleaving import (
    interleaving_results,
    promote_winner,
    set_interleaving,
)
from serving.validation import Reason

router = APIRouter(prefix="/api/v1/interleaving", tags=["interleaving"], responses=API_ERRORS)
Direction = Literal["employee", "opportunity"]


class InterleavingIn(ContractModel):
    """Turn a test on with a registered (not live) version of the direction, or off."""

    enabled: bool
    challenger_version: str | None = Field(
        default=None, min_length=1, max_length=64, description="kept as stored when omitted"
    )
    reason: Reason


class PromoteIn(ContractModel):
    reason: Reason


class InterleavingSettingOut(Out):
    kind: str
    direction: str
    challenger_version: str
    enabled: bool
    started_at: dt.datetime
    updated_by: str


class InterleavingResultOut(InterleavingSettingOut):
    lists: int = Field(description="interleaved lists served since the test started")
    challenger_wins: int = Field(description="lists whose challenger items drew more actions")
    live_wins: int
    ties: int = Field(description="lists with as many actions on each team: left out")
    win_rate: float | None = Field(description="challenger_wins / (challenger_wins + live_wins)")
    interval_95: list[float] | None = Field(description="Wilson score interval of win_rate")
    winner: Literal["live", "challenger"] | None
    promote: str | None = Field(description="the call that promotes a winning challenger")


class InterleavingResultsOut(Out):
    items: list[InterleavingResultOut]


class PromotedOut(Out):
    promoted: str
    direction: str
    kind: str


@router.get("", response_model=InterleavingResultsOut, responses=documented(403))
def results(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Every test, with which model's items people acted on and the challenger's win rate."""
    user.require(Role.HR, Role.ADMIN)
    return {"items": interleaving_results(session)}


@router.put(
    "/{kind}/{direction}",
    response_model=InterleavingSettingOut,
    responses=documented(400, 403, 404, 415),
)
def put_interleaving(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    kind: OpportunityKind,
    direction: Direction,
    body: InterleavingIn,
) -> dict[str, Any]:
    """Turn interleaving on or off for a kind and direction; logged with the reason."""
    user.require(Role.ADMIN)
    return set_interleaving(
        state,
        session,
        user,
        kind=kind.value,
        direction=direction,
        enabled=body.enabled,
        challenger_version=body.challenger_version,
        reason=body.reason,
    )


@router.post(
    "/{kind}/{direction}/promote",
    response_model=PromotedOut,
    responses=documented(400, 403, 404, 409, 415),
)
def promote(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    kind: OpportunityKind,
    direction: Direction,
    body: PromoteIn,
) -> dict[str, Any]:
    """Promote the challenger once its win rate's 95% interval lies above one half."""
    user.require(Role.ADMIN)
    return promote_winner(
        state, session, user, kind=kind.value, direction=direction, reason=body.reason
    )
