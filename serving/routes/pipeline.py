"""The workflow over HTTP: take a step on a pair, list each side's pipeline, answer approvals,
switch quiet mode, and accept or decline the skill updates completed work proposes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import Field
from sqlalchemy.orm import Session

from data.schemas import ContractModel, Role, SkillRef
from data.storage import pipeline as pairs
from data.storage.applicants import applicants
from data.storage.employees import get_employee
from data.storage.opportunities import get_opportunity, opportunity_document
from data.storage.tables import EmployeeRow, OpportunityRow, PipelineRow, SkillProposalRow
from data.workflow import Action, Stage
from matching.results import masked_candidate
from serving.access import own_profile, visible_opportunity
from serving.auth import Principal
from serving.deps import CurrentUser, SessionDep, StateDep, after_commit
from serving.errors import API_ERRORS, Conflict, Forbidden, NotFound, documented
from serving.notifications import events as notifications
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
from serving.state import ServiceState
from serving.timestamps import utc_iso
from serving.usecases.pipeline import (
    RATE,
    StepInput,
    allowed_for,
    lapse_words,
    log_approval,
    reveal,
    take_step,
)
from serving.usecases.postings import posting_document, seats_taken
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
assert set(StepName.__args__) == {a.value for a in Action} | {RATE}  # type: ignore[attr-defined]


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


def _approval(pair: PipelineRow, escalate_after: dt.timedelta) -> dict[str, Any]:
    approval: dict[str, Any] = {"status": pair.approval}
    if pair.approval == "none":
        return approval
    approval.update(
        approver_external_id=pair.approver_external_id,
        requested_at=utc_iso(pair.approval_requested_at),
        escalated=_escalated(pair, escalate_after),
    )
    if pair.approval_decided_at is not None:
        approval.update(decided_at=utc_iso(pair.approval_decided_at), reason=pair.approval_reason)
    return approval


def _escalated(pair: PipelineRow, escalate_after: dt.timedelta) -> bool:
    """Pending too long, or nobody to ask: HR decides."""
    if pair.approval != "pending":
        return False
    if pair.approver_external_id is None:
        return True
    requested = pair.approval_requested_at
    assert requested is not None
    if requested.tzinfo is None:
        requested = requested.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC) - requested > escalate_after


def pair_document(
    state: ServiceState,
    session: Session,
    user: Principal,
    pair: PipelineRow,
    *,
    side: Role,
    employee: EmployeeRow | None = None,
    opportunity: OpportunityRow | None = None,
) -> dict[str, Any]:
    """The pair as one side sees it: the lead the (masked until revealed) candidate, the
    employee the opportunity; each with the steps it may take next."""
    escalate_after = dt.timedelta(days=state.settings.approval_escalation_days)
    acting = Role.ADMIN if user.role is Role.ADMIN else side
    document: dict[str, Any] = {
        "id": pair.id,
        "opportunity_external_id": pair.opportunity_external_id,
        "stage": pair.stage,
        "allowed_next": allowed_for(pair, acting),
        "origin": pair.origin,
        "note": pair.note,
        "approval": _approval(pair, escalate_after),
        "created_at": utc_iso(pair.created_at),
        "updated_at": utc_iso(pair.updated_at),
    }
    for name in ("reason_code", "hours_per_week", "lead_rating", "employee_rating", "request_id"):
        if getattr(pair, name) is not None:
            document[name] = getattr(pair, name)
    for name in ("starts_on", "ends_on"):
        if getattr(pair, name) is not None:
            document[name] = getattr(pair, name).isoformat()
    if pair.skills_used is not None:
        document["skills_used"] = pair.skills_used
    if side is Role.LEAD:
        employee = employee or get_employee(session, pair.employee_external_id)
        opportunity = opportunity or get_opportunity(session, pair.opportunity_external_id)
        assert employee is not None and opportunity is not None
        revealed = reveal(session, user, pair, now=dt.datetime.now(dt.UTC))
        candidate = masked_candidate(
            employee,
            opportunity,
            state.pseudonym_key,
            reveal_id=user.role is Role.ADMIN,
            revealed=revealed,
        )
        if revealed:
            candidate["identity"] = {
                "external_id": employee.external_id,
                "name": employee.name,
                "email": employee.email,
            }
        document["candidate"] = candidate
    else:
        opportunity = opportunity or get_opportunity(session, pair.opportunity_external_id)
        assert opportunity is not None
        document["opportunity"] = opportunity_document(opportunity)
    lapsed = lapse_words(pair, opportunity) if opportunity is not None else None
    if lapsed is not None:
        document["lapsed"] = lapsed
        accepting = (Action.ACCEPT_INVITATION.value, Action.ACCEPT_OFFER.value)
        document["allowed_next"] = [a for a in document["allowed_next"] if a not in accepting]
    return document


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
        "proposals": [_proposal(row, result.employee) for row in result.proposals],
    }


@router.get(
    "/opportunities/{external_id}/pipeline",
    response_model=LeadPipelineOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404),
)
def opportunity_pipeline(
    state: StateDep, session: SessionDep, user: CurrentUser, external_id: str
) -> dict[str, Any]:
    """Invitees, applicants and everyone after them, by stage (owning lead, admin). A lead
    sees a candidate's name and contact once the candidate applied or accepted; each first
    sight is logged for HR."""
    opportunity = visible_opportunity(session, user, external_id)
    if not (
        user.role is Role.ADMIN
        or (user.role is Role.LEAD and user.is_self(opportunity.owner_external_id))
    ):
        raise Forbidden("only the lead who owns this opportunity or an admin may do this")
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
    if not (user.role is Role.ADMIN or user.is_self(external_id) or manager_may):
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
    employee.quiet_mode = body.quiet_mode
    return {"employee_external_id": external_id, "quiet_mode": employee.quiet_mode}


# -- approvals ------------------------------------------------------------------------------


def _approval_item(
    state: ServiceState, session: Session, pair: PipelineRow
) -> dict[str, Any] | None:
    employee = get_employee(session, pair.employee_external_id)
    opportunity = get_opportunity(session, pair.opportunity_external_id)
    if employee is None or opportunity is None:
        return None
    current = _current_work(session, employee.external_id, besides=pair.id)
    others = sum(c["hours_per_week"] for c in current)
    return {
        "pair_id": pair.id,
        "employee": {
            "external_id": employee.external_id,
            "name": employee.name,
            "email": employee.email,
        },
        "opportunity": posting_document(session, opportunity),
        "hours_per_week": opportunity.hours_per_week,
        "share_of_week": round(
            opportunity.hours_per_week / state.settings.working_hours_per_week, 3
        ),
        "other_commitments_hours_per_week": others,
        "commitments": current,
        "availability_hours_per_week": employee.availability_hours_per_week,
        "hours_left_per_week": round(
            employee.availability_hours_per_week - others - opportunity.hours_per_week, 2
        ),
        "approval": _approval(pair, dt.timedelta(days=state.settings.approval_escalation_days)),
    }


def _current_work(session: Session, employee: str, *, besides: int) -> list[dict[str, Any]]:
    """The accepted offers and assignments holding someone's hours today (not the one asked
    about), each named: a manager weighs the week with what it is already spent on."""
    held = pairs.current_work(session, today=dt.date.today(), employee_external_ids=[employee])
    return [
        {
            "opportunity_external_id": pair.opportunity_external_id,
            "title": opportunity.title if opportunity is not None else "a posting since removed",
            "hours_per_week": hours,
            "ends_on": ends.isoformat() if ends else None,
        }
        for pair, opportunity, hours, ends in held
        if pair.id != besides
    ]


@router.get("/approvals", response_model=ApprovalsOut, response_model_exclude_unset=True)
def approvals(state: StateDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Approvals waiting: a manager's own people's; HR's the escalated ones (pending longer
    than the company allows, or with no manager on record); an admin's all."""
    escalate_after = dt.timedelta(days=state.settings.approval_escalation_days)
    if user.role is Role.ADMIN:
        waiting = pairs.pending_approvals(session)
    elif user.role is Role.HR:
        waiting = [p for p in pairs.pending_approvals(session) if _escalated(p, escalate_after)]
    elif user.subject_external_id is not None:
        waiting = pairs.pending_approvals(session, approver=user.subject_external_id)
    else:
        raise Forbidden("approvals are for managers, HR and admins")
    items = [_approval_item(state, session, pair) for pair in waiting]
    return {"items": [item for item in items if item is not None]}


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
    pair = pairs.get_pair(session, employee_external_id, opportunity_external_id)
    which = f"{employee_external_id!r} on {opportunity_external_id!r}"
    if pair is None or pair.approval == "none":
        raise NotFound(f"no approval for {which}")
    escalate_after = dt.timedelta(days=state.settings.approval_escalation_days)
    mine = pair.approver_external_id is not None and user.is_self(pair.approver_external_id)
    hr_may = user.role is Role.HR and _escalated(pair, escalate_after)
    if not (mine or hr_may or user.role is Role.ADMIN):
        if user.role is Role.HR:
            raise Forbidden("HR decides an approval only once it has escalated")
        raise NotFound(f"no approval for {which}")  # someone else's people: not yours to know
    if pair.approval != "pending":
        raise Conflict(f"this approval was already decided: {pair.approval}")
    now = dt.datetime.now(dt.UTC)
    try:
        pairs.move_pair(
            session,
            pair,
            now=now,
            approval="approved" if body.decision == "approve" else "declined",
            approval_decided_at=now,
            approval_decided_by=user.actor,
            approval_reason=body.reason,
        )
    except pairs.PairChanged as changed:
        raise Conflict(str(changed)) from None
    log_approval(session, user, pair, decision=body.decision, reason=body.reason, now=now)
    opportunity = get_opportunity(session, opportunity_external_id)
    if opportunity is not None:  # the applicant hears the decision (same transaction)
        notifications.approval_decided(session, state.settings, pair, opportunity, now=now)
    item = _approval_item(state, session, pair)
    if item is None:
        raise NotFound(f"no approval for {which}")
    return item


# -- skill proposals ----------------------------------------------------------------------------


def _proposal(row: SkillProposalRow, employee: EmployeeRow) -> dict[str, Any]:
    have = {s.skill_id: s.level for s in employee.skills}
    document: dict[str, Any] = {
        "id": row.id,
        "skill_id": row.skill_id,
        "label": row.skill.label,
        "level": row.level,
        "current_level": have.get(row.skill_id, 0),
        "opportunity_external_id": row.opportunity_external_id,
        "status": row.status,
        "created_at": utc_iso(row.created_at),
    }
    if row.decided_at is not None:
        document["decided_at"] = utc_iso(row.decided_at)
    return document


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
    return {"items": [_proposal(r, employee) for r in pairs.proposals_of(session, external_id)]}


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
    for proposal in pending:
        proposal.status = "accepted" if body.decision == "accept" else "declined"
        proposal.decided_at = dt.datetime.now(dt.UTC)
    session.flush()
    return _proposal(row, employee)
