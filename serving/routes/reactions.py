"""An employee applies to, saves or dismisses an opportunity (acting as themself)."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from data.schemas import InteractionType
from data.storage.employees import get_employee
from data.storage.interactions import (
    UNDONE_BY,
    ReactionRefused,
    record_reaction,
    take_back_reaction,
)
from data.workflow import Action
from serving.access import visible_opportunity
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, Conflict, Forbidden, NotFound, documented
from serving.unit_of_work import after_commit
from serving.usecases.pipeline import StepInput, take_step

router = APIRouter(prefix="/api/v1/opportunities", tags=["reactions"], responses=API_ERRORS)


def _react(
    request: Request,
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    kind: InteractionType,
) -> ReactionOut:
    if user.subject_external_id is None:
        raise Forbidden("only a person (employee or lead token) can react to an opportunity")
    employee = get_employee(session, user.subject_external_id)
    if employee is None:
        raise NotFound("your profile is missing")
    opportunity = visible_opportunity(session, user, external_id)
    if kind is InteractionType.APPLY:  # an application opens the pair's workflow
        result = take_step(
            state,
            session,
            user,
            opportunity,
            StepInput(action=Action.APPLY.value),
            request_id=request.state.request_id,
        )
        for callback in result.after:
            after_commit(session, callback)
        response.status_code = 201
        return ReactionOut(
            employee_external_id=employee.external_id,
            opportunity_external_id=opportunity.external_id,
            type=kind,
            created=True,
        )
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
    # Saved and "Not for me" exclude each other: the newer one takes the other back (appended).
    other = {
        InteractionType.SAVE: InteractionType.DISMISS,
        InteractionType.DISMISS: InteractionType.SAVE,
    }
    undone = take_back_reaction(
        session,
        employee_external_id=employee.external_id,
        opportunity_external_id=opportunity.external_id,
        type=other[kind],
        request_id=request.state.request_id,
    )
    employee_id, opportunity_id = employee.id, opportunity.id
    after_commit(
        session, lambda: state.matcher.record_interaction(employee_id, opportunity_id, kind.value)
    )
    if undone and kind is InteractionType.SAVE:  # back in the matches, like an undo
        after_commit(
            session,
            lambda: state.matcher.record_interaction(
                employee_id, opportunity_id, InteractionType.UNDISMISS.value
            ),
        )
    response.status_code = 201 if created else 200
    return ReactionOut(
        employee_external_id=employee.external_id,
        opportunity_external_id=opportunity.external_id,
        type=kind,
        created=created,
    )


class ReactionOut(BaseModel):
    employee_external_id: str
    opportunity_external_id: str
    type: InteractionType
    created: bool = Field(description="false: it was recorded before (saves and dismissals)")


class Reaction(StrEnum):
    """The path segment of each reaction and the interaction it records."""

    # apply (same as the pipeline's apply step): the opportunity leaves your matches
    applications = "applications"
    saves = "saves"  # bookmark (repeating it is harmless)
    dismissals = "dismissals"  # not interested: it leaves your matches, you its candidates


EVENT_OF = {
    Reaction.applications: InteractionType.APPLY,
    Reaction.saves: InteractionType.SAVE,
    Reaction.dismissals: InteractionType.DISMISS,
}


@router.post(
    "/{external_id}/{reaction}",
    status_code=201,
    responses={
        200: {"model": ReactionOut, "description": "Recorded before: nothing changed"},
        **documented(403, 404, 409, 415),
    },
)
def react(
    request: Request,
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    reaction: Reaction,
) -> ReactionOut:
    """Apply to (`applications`), save (`saves`) or dismiss (`dismissals`) an opportunity."""
    return _react(request, response, state, session, user, external_id, EVENT_OF[reaction])


@router.delete("/{external_id}/{reaction}", responses=documented(403, 404, 409))
def take_back(
    request: Request,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    reaction: Reaction,
) -> ReactionOut:
    """Unsave (`saves`) or undo a dismissal (`dismissals`): the opportunity comes back to your
    matches if nothing else keeps it out. Answers the undo recorded (`unsave`, `undismiss`); 404
    when no such save or dismissal stands; an application is withdrawn through the pipeline
    instead (409)."""
    if reaction is Reaction.applications:
        raise Conflict("an application is withdrawn as a pipeline step (action: withdraw)")
    if user.subject_external_id is None:
        raise Forbidden("only a person (employee or lead token) can react to an opportunity")
    employee = get_employee(session, user.subject_external_id)
    if employee is None:
        raise NotFound("your profile is missing")
    opportunity = visible_opportunity(session, user, external_id)
    kind = EVENT_OF[reaction]
    if not take_back_reaction(
        session,
        employee_external_id=employee.external_id,
        opportunity_external_id=opportunity.external_id,
        type=kind,
        request_id=request.state.request_id,
    ):
        noun = "save" if kind is InteractionType.SAVE else "dismissal"
        raise NotFound(f"you have no {noun} of {external_id!r} to take back")
    if kind is InteractionType.DISMISS:
        employee_id, opportunity_id = employee.id, opportunity.id
        after_commit(
            session,
            lambda: state.matcher.record_interaction(
                employee_id, opportunity_id, InteractionType.UNDISMISS.value
            ),
        )
    return ReactionOut(
        employee_external_id=employee.external_id,
        opportunity_external_id=opportunity.external_id,
        type=UNDONE_BY[kind],
        created=True,
    )
