"""An employee applies to, saves or dismisses an opportunity (acting as themself)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Request, Response

from data.schemas import InteractionType
from data.storage.employees import get_employee
from data.storage.interactions import ReactionRefused, record_reaction
from serving.access import visible_opportunity
from serving.deps import CurrentUser, SessionDep, StateDep, after_commit
from serving.errors import Conflict, Forbidden, NotFound

router = APIRouter(prefix="/api/v1/opportunities", tags=["reactions"])


def _react(
    request: Request,
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    kind: InteractionType,
) -> dict[str, Any]:
    if user.subject_external_id is None:
        raise Forbidden("only a person (employee or lead token) can react to an opportunity")
    employee = get_employee(session, user.subject_external_id)
    if employee is None:
        raise NotFound("your profile is missing")
    opportunity = visible_opportunity(session, user, external_id)
    try:
        created = record_reaction(
            session,
            employee=employee,
            opportunity=opportunity,
            type=kind,
            request_id=request.state.request_id,
        )
    except ReactionRefused as refused:
        raise Conflict(str(refused)) from refused
    if kind is InteractionType.APPLY and not created:
        raise Conflict("you have already applied to this opportunity")
    employee_id, opportunity_id = employee.id, opportunity.id
    after_commit(
        session, lambda: state.matcher.record_interaction(employee_id, opportunity_id, kind.value)
    )
    response.status_code = 201 if created else 200
    return {
        "employee_external_id": employee.external_id,
        "opportunity_external_id": opportunity.external_id,
        "type": kind.value,
        "created": created,
    }


class Reaction(StrEnum):
    """The path segment of each reaction and the interaction it records."""

    applications = "applications"  # apply: the opportunity leaves your matches
    saves = "saves"  # bookmark (repeating it is harmless)
    dismissals = "dismissals"  # not interested: it leaves your matches, you its candidates


EVENT_OF = {
    Reaction.applications: InteractionType.APPLY,
    Reaction.saves: InteractionType.SAVE,
    Reaction.dismissals: InteractionType.DISMISS,
}


@router.post("/{external_id}/{reaction}", status_code=201)
def react(
    request: Request,
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    reaction: Reaction,
) -> dict[str, Any]:
    """Apply to (`applications`), save (`saves`) or dismiss (`dismissals`) an opportunity."""
    return _react(request, response, state, session, user, external_id, EVENT_OF[reaction])
