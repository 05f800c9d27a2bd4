"""The workflow over HTTP: take a step on a pair, list each side's pipeline, answer approvals,
switch quiet mode, and accept or decline the skill updates completed work proposes. The rules
are the use cases' (serving/usecases/pipeline.py, approvals.py): routes parse and present."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Path, Request, Response
from pydantic import Field
from sqlalchemy.orm import Session

from data.schemas import ContractModel, Role, SkillRef
from data.storage import pipeline as pairs
from data.storage.applicants import applicants
from data.storage.employees import get_employee
from data.storage.employees import set_quiet_mode as store_quiet_mode
from data.storage.tables import EmployeeRow
from data.workflow import Action, Stage
from serving.access import is_self_or, own_profile, visible_opportunity
from serving.auth import Principal
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, Forbidden, NotFound, documented
from serving.permissions import OwnedOpportunity
from serving.presenters.pairs import pair_document, proposal_document
from serving.schemas import (
    ApprovalOut,
    ApprovalsOut,
    EmployeePipelineOut,
    LeadPipelineOut,
    QuietModeOut,
    SkillProposalOut,
    SkillProposalsOut,
    StepOut,
)
from serving.unit_of_work import after_commit
from serving.usecases.approvals import decide_approval, waiting_approvals
from serving.usecases.pipeline import RATE, StepInput, take_step
from serving.usecases.postings import seats_taken
from serving.usecases.profiles import set_skill_level
from serving.validation import Reason

router = APIRouter(prefix="/api/v1", tags=["pipeline"], responses=API_ERRORS)

StepName = Literal[
    "apply",
    "join_waitlist",
    "accept_invitation",
    "decline_invitation",
    "withdraw",
    "accept_offer",
    "decline_offer",
    "invite",
    "shortlist",
    "reject",
    "offer",
    "assign",
    "complete",
    "rate",
]
assert set(get_args(StepName)) == {a.value for a in Action} | {RATE}


class StepIn(ContractModel):
    """One step on the pair of a candidate and this opportunity.

    The employee's steps (apply, join_waitlist, accept_/decline_invitation, withdraw,
    accept_/decline_offer, rate) are the caller's own: leave `candidate` out. The lead's steps
    (invite, shortlist, reject, offer, assign, complete) name the candidate by the handle the
    lead's list showed.
    """

    action: StepName
    candidate: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the lead's handle for the candidate (an admin: or the external id)",
    )
    note: str = Field(default="", max_length=2000, pattern=r"^[^\x00]*$")
    reason_code: Literal["skills", "availability", "timing", "other"] | None = Field(
        default=None, description="why rejected (needed for reject)"
    )
    rating: int | None = Field(default=None, ge=1, le=5, description="complete and rate: 1-5")
    skills_used: list[SkillRef] = Field(
        default_factory=list,
        max_length=50,
        description="complete: the skills the work used, with the level shown",
    )
    request_id: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the served list this step came from (found by itself when left out)",
    )


@router.post(
    "/opportunities/{external_id}/pipeline",
    status_code=201,
    response_model=StepOut,
    response_model_exclude_unset=True,
    responses={
        200: {"model": StepOut, "description": "a step on a pair that already existed"},
        **documented(400, 403, 404, 409, 415),
    },
)
def step(
    request: Request,
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    body: StepIn,
) -> dict[str, Any]:
    """Take one step on a (candidate, opportunity) pair. A step the pair's stage does not
    allow to the caller answers 409 with the stage and the steps allowed next."""
    opportunity = visible_opportunity(session, user, external_id)
    result = take_step(
        state,
        session,
        user,
        opportunity,
        StepInput(
            action=body.action,
            candidate=body.candidate,
            note=body.note,
            reason_code=body.reason_code,
            rating=body.rating,
            skills_used=list(body.skills_used),
            request_id=body.request_id,
        ),
        request_id=request.state.request_id,
    )
    for callback in result.after:
        after_commit(session, callback)
    response.status_code = 201 if result.created else 200
    document = pair_document(
        state,
        session,
        user,
        result.pair,
        side=result.side,
        employee=result.employee,
        opportunity=result.opportunity,
    )
    return {
        **document,
        "created": result.created,
        "proposals": [proposal_document(row, result.employee) for row in result.proposals],
    }


@router.get(
    "/opportunities/{external_id}/pipeline",
    response_model=LeadPipelineOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404),
)
def opportunity_pipeline(
    state: StateDep, session: SessionDep, user: CurrentUser, opportunity: OwnedOpportunity
) -> dict[str, Any]:
    """Invitees, applicants and everyone after them, by stage (owning lead, admin). A lead
    sees a candidate's name and contact once the candidate applied or accepted; each first
    sight is logged for HR."""
    external_id = opportunity.external_id
    stages: dict[str, list[dict[str, Any]]] = {s.value: [] for s in Stage if s is not Stage.NONE}
    for pair in pairs.pairs_of_opportunity(session, external_id):
        stages[pair.stage].append(
            pair_document(state, session, user, pair, side=Role.LEAD, opportunity=opportunity)
        )
    # The waitlist in the order it is served (first come first), each with its place.
    queue = [p.id for p in pairs.waitlist(session, external_id)]
    waiting = stages[Stage.WAITLISTED.value]
    waiting.sort(key=lambda d: queue.index(d["id"]) if d["id"] in queue else len(queue))
    for document in waiting:
        if document["id"] in queue:
            document["waitlist_position"] = queue.index(document["id"]) + 1
    return {
        "opportunity_external_id": external_id,
        "status": opportunity.status,
        "seats": opportunity.seats,
        "seats_filled": opportunity.seats_filled,
        "seats_taken": seats_taken(session, [opportunity])[external_id],
        "applicants": applicants(session, [external_id]).get(external_id, 0),
        "stages": stages,
    }


EMPLOYEE_GROUPS = {
    "applications": (Stage.APPLIED, Stage.SHORTLISTED, Stage.ACCEPTED),
    "invitations": (Stage.INVITED,),
    "offers": (Stage.OFFERED,),
    "waitlists": (Stage.WAITLISTED,),
    "assignments": (Stage.ASSIGNED,),
    "closed": (Stage.COMPLETED, Stage.REJECTED, Stage.WITHDRAWN, Stage.DECLINED, Stage.LAPSED),
}


@router.get(
    "/employees/{external_id}/pipeline",
    response_model=EmployeePipelineOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404),
)
def employee_pipeline(
    state: StateDep, session: SessionDep, user: CurrentUser, external_id: str
) -> dict[str, Any]:
    """My applications, invitations, offers, waitlists and assignments (the person, an admin;
    the person's manager only if the person turned quiet mode off)."""
    employee = get_employee(session, external_id)
    if employee is None:
        raise NotFound(f"no employee {external_id!r}")
    manager_may = (
        not employee.quiet_mode
        and employee.manager_external_id is not None
        and user.is_self(employee.manager_external_id)
    )
    if not (is_self_or(user, external_id, Role.ADMIN) or manager_may):
        raise Forbidden("only the person (or an admin) sees their applications")
    groups: dict[str, list[dict[str, Any]]] = {name: [] for name in EMPLOYEE_GROUPS}
    group_of = {stage.value: name for name, stages in EMPLOYEE_GROUPS.items() for stage in stages}
    for pair in pairs.pairs_of_employee(session, external_id):
        document = pair_document(state, session, user, pair, side=Role.EMPLOYEE)
        if pair.stage == Stage.WAITLISTED.value:
            queue = pairs.waitlist(session, pair.opportunity_external_id)
            document["waitlist_position"] = [p.id for p in queue].index(pair.id) + 1
        if manager_may and user.role is not Role.ADMIN:
            document["allowed_next"] = []  # the manager looks; only the person acts
        groups[group_of[pair.stage]].append(document)
    committed = sum(
        hours
        for _, hours, _ in pairs.commitments(
            session, today=dt.date.today(), employee_external_ids=[external_id]
        )
    )
    return {
        "employee_external_id": external_id,
        **groups,
        "committed_hours_per_week": committed,
        "availability_hours_per_week": employee.availability_hours_per_week,
    }


class QuietModeIn(ContractModel):
    quiet_mode: bool = Field(
        description="on: your manager sees none of your applications until an approval is needed"
    )


@router.get(
    "/employees/{external_id}/quiet-mode",
    response_model=QuietModeOut,
    responses=documented(403, 404),
)
def get_quiet_mode(session: SessionDep, user: CurrentUser, external_id: str) -> dict[str, Any]:
    employee = own_profile(
        session, user, external_id, refusal="only the person (or an admin) sees their quiet mode"
    )
    return {"employee_external_id": external_id, "quiet_mode": employee.quiet_mode}


@router.put(
    "/employees/{external_id}/quiet-mode",
    response_model=QuietModeOut,
    responses=documented(400, 403, 404, 415),
)
def set_quiet_mode(
    session: SessionDep, user: CurrentUser, external_id: str, body: QuietModeIn
) -> dict[str, Any]:
    """Whether your manager may see your applications (the person, an admin)."""
    employee = own_profile(
        session, user, external_id, refusal="only the person (or an admin) sets quiet mode"
    )
    store_quiet_mode(employee, body.quiet_mode)
    return {"employee_external_id": external_id, "quiet_mode": employee.quiet_mode}


# -- approvals ------------------------------------------------------------------------------


@router.get("/approvals", response_model=ApprovalsOut, response_model_exclude_unset=True)
def approvals(state: StateDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Approvals waiting: a manager's own people's; HR's the escalated ones (pending longer
    than the company allows, or with no manager on record); an admin's all."""
    return {"items": waiting_approvals(state, session, user)}


class DecisionIn(ContractModel):
    decision: Literal["approve", "decline"]
    reason: Reason


@router.post(
    "/approvals/{opportunity_external_id}/{employee_external_id}",
    response_model=ApprovalOut,
    response_model_exclude_unset=True,
    responses=documented(400, 403, 404, 409, 415),
)
def decide(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    opportunity_external_id: str,
    employee_external_id: str,
    body: DecisionIn,
) -> dict[str, Any]:
    """Approve or decline a gig that takes a large share of someone's week, saying why (the
    employee's manager; HR once it escalated; an admin)."""
    return decide_approval(
        state,
        session,
        user,
        opportunity_external_id,
        employee_external_id,
        decision=body.decision,
        reason=body.reason,
    )


# -- skill proposals ----------------------------------------------------------------------------


def _own_profile(session: Session, user: Principal, external_id: str) -> EmployeeRow:
    return own_profile(
        session,
        user,
        external_id,
        refusal="only the person (or an admin) sees and answers their proposals",
    )


@router.get(
    "/employees/{external_id}/skill-proposals",
    response_model=SkillProposalsOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404),
)
def skill_proposals(session: SessionDep, user: CurrentUser, external_id: str) -> dict[str, Any]:
    """Skills your completed work showed above your profile's levels, to accept or decline."""
    employee = _own_profile(session, user, external_id)
    rows = pairs.proposals_of(session, external_id)
    return {"items": [proposal_document(r, employee) for r in rows]}


class ProposalAnswerIn(ContractModel):
    decision: Literal["accept", "decline"]


@router.post(
    "/employees/{external_id}/skill-proposals/{skill_id}",
    response_model=SkillProposalOut,
    response_model_exclude_unset=True,
    responses=documented(400, 403, 404, 415),
)
def answer_proposal(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    skill_id: Annotated[str, Path(max_length=96)],
    body: ProposalAnswerIn,
) -> dict[str, Any]:
    """Accept (the profile takes the skill at the highest level proposed) or decline the
    pending proposals of one skill."""
    employee = _own_profile(session, user, external_id)
    pending = [
        r
        for r in pairs.proposals_of(session, external_id)
        if r.skill_id == skill_id and r.status == "pending"
    ]
    if not pending:
        raise NotFound(f"no pending skill proposal for {skill_id!r}")
    row = max(pending, key=lambda r: (r.level, r.id))
    if body.decision == "accept":
        have = {s.skill_id: s.level for s in employee.skills}
        if row.level > have.get(row.skill_id, 0):
            set_skill_level(state, session, user, employee, row.skill_id, row.level)
    pairs.decide_proposals(pending, accepted=body.decision == "accept", now=dt.datetime.now(dt.UTC))
    session.flush()
    return proposal_document(row, employee)
