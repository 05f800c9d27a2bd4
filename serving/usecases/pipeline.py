"""One step of the marketplace's workflow for one (person, opportunity) pair, end to end.

Who may take it (the candidate themself for the employee's steps, the owning lead for the
lead's, an admin for either), whether the pair's stage allows it (409 naming the stage and
what may come next), the rules around it (seats, the manager's approval of a large share of
time, a full mentorship's waitlist), and the record: the pair's new stage, written by
compare-and-set, and one interaction naming who took the step, when, and the served list the
pair came from, so training credits the outcome to that list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from data.importing.errors import RowError
from data.schemas import InteractionType, OpportunityKind, OpportunityStatus, Role, SkillRef
from data.storage import pipeline as pairs
from data.storage.employees import get_employee
from data.storage.interactions import log_step, take_back_reaction
from data.storage.oversight import add_event
from data.storage.tables import (
    EmployeeRow,
    OpportunityRow,
    PipelineRow,
    SkillProposalRow,
)
from data.workflow import (
    FINAL,
    Action,
    LapseReason,
    Stage,
    StepRefused,
    allowed_steps,
    next_stage,
)
from fairness.audit_log import AuditLog
from fairness.audit_record import served_page
from matching.results import resolve_candidate
from serving.access import require_owner_or_admin
from serving.auth import Principal
from serving.errors import Conflict, Forbidden, InvalidField, NotFound
from serving.notifications import events as notifications
from serving.state import ServiceState
from serving.usecases.approvals import approver_for, needs_approval
from serving.usecases.overrides import shown_candidates

REASON_CODES = ("skills", "availability", "timing", "other")
EMPLOYEE_SIDE = frozenset(
    {
        Action.APPLY,
        Action.JOIN_WAITLIST,
        Action.ACCEPT_INVITATION,
        Action.DECLINE_INVITATION,
        Action.WITHDRAW,
        Action.ACCEPT_OFFER,
        Action.DECLINE_OFFER,
    }
)
RATE = "rate"  # the employee's rating of completed work: no change of stage
EVENT_OF = {
    Action.APPLY: InteractionType.APPLY,
    Action.JOIN_WAITLIST: InteractionType.WAITLIST,
    Action.INVITE: InteractionType.INVITE,
    # An accepted invitation is an application: it counts as one for training and history.
    Action.ACCEPT_INVITATION: InteractionType.APPLY,
    Action.DECLINE_INVITATION: InteractionType.DECLINE,
    Action.WITHDRAW: InteractionType.WITHDRAW,
    Action.SHORTLIST: InteractionType.SHORTLIST,
    Action.REJECT: InteractionType.REJECT,
    Action.OFFER: InteractionType.OFFER,
    Action.ACCEPT_OFFER: InteractionType.ACCEPT_OFFER,
    Action.DECLINE_OFFER: InteractionType.DECLINE,
    Action.ASSIGN: InteractionType.ASSIGN,
    Action.COMPLETE: InteractionType.COMPLETE,
}
# The person's own steps that say they want the opportunity after all.
WANTS_IT = (Action.APPLY, Action.JOIN_WAITLIST, Action.ACCEPT_INVITATION, Action.ACCEPT_OFFER)
ORIGIN = {
    Action.APPLY: "application",
    Action.JOIN_WAITLIST: "waitlist",
    Action.INVITE: "invitation",
}
# An invitation at these stages was never accepted: the invitee stays masked (one that lapsed
# unanswered too).
UNANSWERED = frozenset({Stage.INVITED.value, Stage.DECLINED.value, Stage.LAPSED.value})
# Served lists looked through for the one that showed the pair (newest first).
LIST_LOOKBACK = 50
SYSTEM = "system"  # the actor of steps the service takes itself (a freed slot offered)


@dataclass
class StepInput:
    action: str  # an Action value, or "rate"
    candidate: str | None = None  # the lead's handle (an admin: also the external id)
    note: str = ""
    reason_code: str | None = None
    rating: int | None = None
    skills_used: list[SkillRef] = field(default_factory=list)
    request_id: str | None = None  # the served list this step came from, if the client knows


@dataclass
class StepResult:
    pair: PipelineRow
    employee: EmployeeRow
    opportunity: OpportunityRow
    side: Role  # whose view to answer with: EMPLOYEE (the candidate) or LEAD
    created: bool
    # Work for after the commit (the match engine's masks and pools).
    after: list[Callable[[], None]] = field(default_factory=list)
    proposals: list[SkillProposalRow] = field(default_factory=list)


def check_posting_edit(opportunity: OpportunityRow, edited: dict[str, Any]) -> None:
    """A posting's seats cannot drop below those taken, nor reopen with none free."""
    # `seats: null` is no number of seats: the record's own validation refuses it (422).
    asked = edited.get("seats")
    seats = opportunity.seats if asked is None else int(asked)
    if seats < opportunity.seats_filled:
        raise InvalidField(
            "seats", f"{opportunity.seats_filled} seats are taken; seats cannot go below that"
        )
    reopening = edited.get("status") == OpportunityStatus.OPEN.value
    if reopening and opportunity.seats_filled >= seats:
        raise InvalidField("status", "every seat is taken: add seats to open it again")


def take_step(
    state: ServiceState,
    session: Session,
    user: Principal,
    opportunity: OpportunityRow,
    step: StepInput,
    *,
    request_id: str,
) -> StepResult:
    now = dt.datetime.now(dt.UTC)
    if step.action == RATE:
        return _rate(session, user, opportunity, step, now=now, request_id=request_id)
    try:
        action = Action(step.action)
    except ValueError:
        allowed = ", ".join([a.value for a in Action] + [RATE])
        raise InvalidField("action", f"unknown step; one of: {allowed}") from None
    employee_side = action in EMPLOYEE_SIDE
    employee = (
        _the_candidate_themself(session, user, step)
        if employee_side
        else _candidate_for_lead(state, session, user, opportunity, step)
    )
    if employee.external_id == opportunity.owner_external_id:
        raise Conflict("this is the lead's own opportunity")
    by = Role.ADMIN if user.role is Role.ADMIN else (Role.EMPLOYEE if employee_side else Role.LEAD)
    pair = pairs.get_pair(session, employee.external_id, opportunity.external_id)
    stage = Stage(pair.stage) if pair is not None else Stage.NONE
    if action is Action.APPLY and stage is Stage.INVITED:
        action = Action.ACCEPT_INVITATION  # applying to what you were invited to accepts it
    lapsed = lapse_words(pair, opportunity) if pair is not None else None
    if lapsed is not None and action in (Action.ACCEPT_INVITATION, Action.ACCEPT_OFFER):
        raise Conflict({"message": lapsed, "stage": Stage.LAPSED.value, "allowed_next": []})
    try:
        to = next_stage(stage, action, by)
    except StepRefused as refused:
        raise Conflict(
            {
                "message": str(refused),
                "stage": stage.value,
                "allowed_next": [a.value for a in refused.allowed],
            }
        ) from None
    result = StepResult(
        pair=pair,  # type: ignore[arg-type]  # set below
        employee=employee,
        opportunity=opportunity,
        side=Role.EMPLOYEE if employee_side else Role.LEAD,
        created=pair is None,
    )
    values = _rules(state, session, user, action, employee, opportunity, pair, step, now)
    if to in FINAL and pair is not None and pair.approval == "pending":
        values["approval"] = "cancelled"  # nobody is waiting for it any more
    source = step.request_id or (pair.request_id if pair is not None else None)
    source = source or _list_that_showed(session, action, employee, opportunity)
    try:
        if pair is None:
            pair = pairs.open_pair(
                session,
                employee_external_id=employee.external_id,
                opportunity_external_id=opportunity.external_id,
                stage=to,
                now=now,
                request_id=source,
                origin=ORIGIN[action],
                **values,
            )
        else:
            pairs.move_pair(session, pair, now=now, stage=to.value, **values)
    except pairs.PairChanged as changed:
        raise Conflict(str(changed)) from None
    result.pair = pair
    details = {
        k: v
        for k, v in (
            ("action", action.value),
            ("note", step.note or None),
            ("reason_code", step.reason_code),
            ("skills_used", values.get("skills_used")),
        )
        if v
    }
    _log(
        session,
        user,
        employee,
        opportunity,
        EVENT_OF[action],
        source=source,
        now=now,
        rating=step.rating if action is Action.COMPLETE else None,
        details=details,
    )
    if action in WANTS_IT:
        # Asking for it (or taking it) takes it out of "Not for me"; the log keeps both events.
        take_back_reaction(
            session,
            employee_external_id=employee.external_id,
            opportunity_external_id=opportunity.external_id,
            type=InteractionType.DISMISS,
            request_id=source,
        )
    # Whom the step concerns hears of it, in this same transaction.
    notifications.step_taken(
        session, state.settings, state.pseudonym_key, action, employee, opportunity, pair, now=now
    )
    if action is Action.COMPLETE:
        result.proposals = _propose_skills(session, user, employee, opportunity, pair, now)
        if opportunity.kind == OpportunityKind.MENTORSHIP.value:
            _free_mentor_slot(state, session, opportunity, now=now)
    elif to in FINAL and held_a_waitlist_slot(pair, stage, opportunity):
        pass_slot_on(state, session, opportunity, now=now)
    _after_commit(state, session, result, action)
    return result


def _the_candidate_themself(session: Session, user: Principal, step: StepInput) -> EmployeeRow:
    """The employee's steps are the employee's own; an admin names whom it acts for."""
    if user.role is Role.ADMIN:
        if not step.candidate:
            raise InvalidField("candidate", "an admin names the employee (external id)")
        employee = get_employee(session, step.candidate)
        if employee is None:
            raise NotFound(f"no employee {step.candidate!r}")
        return employee
    if user.role is Role.HR or user.subject_external_id is None:
        raise Forbidden("only the employee concerned (or an admin) takes this step")
    if step.candidate and step.candidate != user.subject_external_id:
        raise Forbidden("this step is the candidate's own: you can take it only for yourself")
    employee = get_employee(session, user.subject_external_id)
    if employee is None:
        raise NotFound("your profile is missing")
    return employee


def _candidate_for_lead(
    state: ServiceState,
    session: Session,
    user: Principal,
    opportunity: OpportunityRow,
    step: StepInput,
) -> EmployeeRow:
    """The lead's steps are the owning lead's, on a candidate named by the handle its lists
    (or its pipeline) showed it; an admin may also use the external id."""
    require_owner_or_admin(
        user,
        opportunity,
        refusal="only the lead who owns this opportunity (or an admin) takes this step",
    )
    if not step.candidate:
        raise InvalidField("candidate", "name the candidate by the handle you were shown")
    found: str | None = None
    if step.candidate.startswith("cand-"):
        shown = shown_candidates(session, opportunity, user)
        shown += [
            p.employee_external_id
            for p in pairs.pairs_of_opportunity(session, opportunity.external_id)
        ]
        found = resolve_candidate(state.pseudonym_key, opportunity, step.candidate, shown)
    elif user.role is Role.ADMIN:
        found = step.candidate
    else:
        # Once a candidate applied (or accepted an invitation) the lead knows who it is, and
        # may name them so; anyone else only by the handle a list showed.
        pair = pairs.get_pair(session, step.candidate, opportunity.external_id)
        if pair is None or not is_revealed(pair):
            raise InvalidField(
                "candidate",
                "name a candidate by the handle you were shown until they apply or accept",
            )
        found = step.candidate
    employee = get_employee(session, found) if found else None
    if employee is None:
        raise NotFound(f"no candidate {step.candidate!r} was shown for {opportunity.external_id!r}")
    return employee


def _rules(
    state: ServiceState,
    session: Session,
    user: Principal,
    action: Action,
    employee: EmployeeRow,
    opportunity: OpportunityRow,
    pair: PipelineRow | None,
    step: StepInput,
    now: dt.datetime,
) -> dict[str, Any]:
    """The step's own conditions and the columns it writes besides the stage."""
    values: dict[str, Any] = {}
    full = opportunity.seats_filled >= opportunity.seats
    opening = action in (Action.APPLY, Action.INVITE, Action.ACCEPT_INVITATION)
    if opening and opportunity.status != OpportunityStatus.OPEN.value:
        hint = (
            "; join its waitlist (action join_waitlist) for the next free slot"
            if opportunity.kind == OpportunityKind.MENTORSHIP.value and full
            else ""
        )
        raise Conflict(f"the opportunity is {opportunity.status}, not open{hint}")
    if action is Action.JOIN_WAITLIST:
        if opportunity.kind != OpportunityKind.MENTORSHIP.value:
            raise Conflict("only a mentorship keeps a waitlist; apply instead")
        if not full:
            raise Conflict("this mentorship has a free slot: apply instead")
    if action in (Action.APPLY, Action.INVITE, Action.JOIN_WAITLIST) and step.note:
        values["note"] = step.note
    if action is Action.REJECT:
        if step.reason_code not in REASON_CODES:
            raise InvalidField("reason_code", f"one of: {', '.join(REASON_CODES)}")
        values["reason_code"] = step.reason_code
    if action is Action.ACCEPT_OFFER and needs_approval(state, opportunity):
        approver = approver_for(session, employee)
        values.update(approval="pending", approver_external_id=approver, approval_requested_at=now)
        if approver is not None and approver == opportunity.owner_external_id:
            # The manager posted the gig and made the offer: that is the approval.
            values.update(
                approval="approved",
                approval_decided_at=now,
                approval_decided_by=approver,
                approval_reason="the employee's manager posted this gig and made the offer",
            )
    if action is Action.ASSIGN:
        assert pair is not None
        if pair.approval == "pending":
            who = pair.approver_external_id or "HR (no manager on record)"
            raise Conflict(
                {
                    "message": f"waiting for the approval of {who}: more than "
                    f"{state.settings.approval_share:.0%} of a working week",
                    "stage": pair.stage,
                    "approval": "pending",
                    "allowed_next": [],
                }
            )
        if pair.approval == "declined":
            raise Conflict(
                {
                    "message": "the manager declined this assignment: "
                    f"{pair.approval_reason or 'no reason given'}",
                    "stage": pair.stage,
                    "approval": "declined",
                    "allowed_next": [Action.REJECT.value],
                }
            )
        try:
            pairs.take_seat(session, opportunity)
        except pairs.NoSeatLeft as none_left:
            raise Conflict(str(none_left)) from None
        if opportunity.seats_filled >= opportunity.seats:
            _lapse_unanswered(state, session, opportunity, now=now)
        starts = max(opportunity.start_date or now.date(), now.date())
        weeks = opportunity.duration_weeks
        values.update(
            hours_per_week=opportunity.hours_per_week,
            starts_on=starts,
            ends_on=starts + dt.timedelta(days=7 * weeks - 1) if weeks else None,
        )
    if action is Action.COMPLETE:
        if step.rating is None:
            raise InvalidField("rating", "completing needs the lead's rating, 1 to 5")
        values["lead_rating"] = step.rating
        values["skills_used"] = _skills_used(state, session, user, step.skills_used)
        values["ends_on"] = min(pair.ends_on or now.date(), now.date()) if pair else now.date()
    return values


def _skills_used(
    state: ServiceState, session: Session, user: Principal, refs: list[SkillRef]
) -> list[dict[str, Any]]:
    """The skills the work used, resolved to the taxonomy (typos and synonyms accepted; a name
    that matches no skill is refused, naming it: a confirmation must point at a real skill)."""
    if not refs:
        return []
    resolver = state.skill_resolver(created_by=user.actor, max_new_names=20, restricted=True)
    resolver.prepare(session, refs)
    errors: list[RowError] = []
    resolved = resolver.resolve_refs(0, "skills_used", refs, errors)
    if errors:
        raise InvalidField(errors[0].field, errors[0].message)
    for index, ref in enumerate(resolved):
        if ref.skill_id in resolver.new_skills:
            raise InvalidField(
                f"skills_used.{index}.name",
                f"{refs[index].name!r} matches no skill; pick one from "
                "GET /api/v1/skills/normalize",
            )
    return [{"skill_id": r.skill_id, "name": r.name, "level": r.level} for r in resolved]


def _propose_skills(
    session: Session,
    user: Principal,
    employee: EmployeeRow,
    opportunity: OpportunityRow,
    pair: PipelineRow,
    now: dt.datetime,
) -> list[SkillProposalRow]:
    """Skills the work showed above what the profile says, proposed to the person (who
    accepts or declines each; nothing changes silently)."""
    have = {s.skill_id: s.level for s in employee.skills}
    rows = [
        SkillProposalRow(
            employee_external_id=employee.external_id,
            skill_id=used["skill_id"],
            level=used["level"],
            opportunity_external_id=opportunity.external_id,
            proposed_by=user.actor,
            status="pending",
            created_at=now,
        )
        for used in pair.skills_used or []
        if used["level"] > have.get(used["skill_id"], 0)
    ]
    pairs.add_proposals(session, rows)
    return rows


def lapse_words(pair: PipelineRow, opportunity: OpportunityRow) -> str | None:
    """Why an invitation or offer can no longer be accepted, in words both the invitee and the
    lead may read; None while it can. A lapse says its stored reason (the last seat taken, or
    the person deactivated); one from before reasons were kept says only that it lapsed. One
    still waiting on a posting that filled some other way (before lapsing existed, or by an
    edit) says the seats were taken."""
    invited = pair.stage == Stage.INVITED.value or (
        pair.stage == Stage.LAPSED.value and pair.origin == ORIGIN[Action.INVITE]
    )
    noun = "invitation" if invited else "offer"
    if pair.stage == Stage.LAPSED.value:
        day = pair.updated_at.date().isoformat()
        if pair.reason_code == LapseReason.SEATS_FILLED:
            return f"This {noun} lapsed: every seat was taken on {day}"
        if pair.reason_code == LapseReason.PERSON_LEFT:
            return f"This {noun} lapsed on {day}: the person left (deactivated by the HR system)"
        return f"This {noun} lapsed"
    waiting = pair.stage in (Stage.INVITED.value, Stage.OFFERED.value)
    # A mentor's freed slot offered to the waitlist keeps the posting `filled` (nobody new
    # may ask) with a seat free: that offer stands.
    full = opportunity.seats_filled >= opportunity.seats or (
        opportunity.status == OpportunityStatus.FILLED.value
        and pair.origin != ORIGIN[Action.JOIN_WAITLIST]
    )
    if waiting and full:
        day = opportunity.updated_at.date().isoformat()
        return f"This {noun} lapsed: every seat was taken on {day}"
    return None


def _lapse_unanswered(
    state: ServiceState, session: Session, opportunity: OpportunityRow, *, now: dt.datetime
) -> None:
    """The last seat was just taken: every invitation and offer still waiting lapses in the
    same transaction, so nobody is left holding one they cannot accept."""
    for pair in pairs.unanswered_pairs(session, opportunity.external_id):
        was = pair.stage
        try:
            pairs.move_pair(
                session,
                pair,
                now=now,
                stage=Stage.LAPSED.value,
                reason_code=LapseReason.SEATS_FILLED.value,
            )
        except pairs.PairChanged as changed:  # answered at this very moment: try again
            raise Conflict(f"{changed}; try again") from None
        notifications.lapsed(session, state.settings, pair, opportunity, was=was, now=now)
        log_step(
            session,
            request_id=pair.request_id,
            employee_external_id=pair.employee_external_id,
            opportunity_external_id=opportunity.external_id,
            type=InteractionType.LAPSE,
            occurred_at=now,
            actor_role=SYSTEM,
            actor=SYSTEM,
            details={"why": "every seat was taken"},
        )


def _free_mentor_slot(
    state: ServiceState, session: Session, opportunity: OpportunityRow, *, now: dt.datetime
) -> None:
    """A mentee finished: the slot goes to the first on the waitlist, else the mentor is open
    to new mentees again."""
    waiting = pairs.waitlist(session, opportunity.external_id)
    pairs.free_seat(session, opportunity, reopen=not waiting)
    if waiting:
        _offer_slot(state, session, waiting[0], opportunity, now=now)


def held_a_waitlist_slot(pair: PipelineRow, stage: Stage, opportunity: OpportunityRow) -> bool:
    """The pair ending now had been offered a freed slot from the waitlist, not yet taken."""
    return (
        opportunity.kind == OpportunityKind.MENTORSHIP.value
        and pair.origin == ORIGIN[Action.JOIN_WAITLIST]
        and stage in (Stage.OFFERED, Stage.ACCEPTED)
    )


def pass_slot_on(
    state: ServiceState, session: Session, opportunity: OpportunityRow, *, now: dt.datetime
) -> None:
    """An offered slot was declined (or withdrawn, or taken back): the next on the waitlist
    gets it, else the mentor is open to new mentees again."""
    waiting = pairs.waitlist(session, opportunity.external_id)
    if waiting:
        _offer_slot(state, session, waiting[0], opportunity, now=now)
    else:
        pairs.reopen_if_free(session, opportunity)


def _offer_slot(
    state: ServiceState,
    session: Session,
    first: PipelineRow,
    opportunity: OpportunityRow,
    *,
    now: dt.datetime,
) -> None:
    try:
        pairs.move_pair(session, first, now=now, stage=Stage.OFFERED.value)
    except pairs.PairChanged as changed:  # they left the waitlist at this very moment
        raise Conflict(f"{changed}; try again") from None
    _log_system(session, first, opportunity, InteractionType.SLOT_OFFER, now=now)
    notifications.slot_offered(session, state.settings, first, opportunity, now=now)


def _rate(
    session: Session,
    user: Principal,
    opportunity: OpportunityRow,
    step: StepInput,
    *,
    now: dt.datetime,
    request_id: str,
) -> StepResult:
    employee = _the_candidate_themself(session, user, step)
    pair = pairs.get_pair(session, employee.external_id, opportunity.external_id)
    stage = pair.stage if pair is not None else Stage.NONE.value
    if pair is None or stage != Stage.COMPLETED.value:
        raise Conflict(
            {
                "message": f"only completed work can be rated; the pair is at {stage!r}",
                "stage": stage,
                "allowed_next": [],
            }
        )
    if pair.employee_rating is not None:
        raise Conflict("you have rated this already")
    if step.rating is None:
        raise InvalidField("rating", "a rating from 1 to 5")
    try:
        pairs.move_pair(session, pair, now=now, employee_rating=step.rating)
    except pairs.PairChanged as changed:
        raise Conflict(str(changed)) from None
    _log(
        session,
        user,
        employee,
        opportunity,
        InteractionType.RATE,
        source=pair.request_id,
        now=now,
        rating=step.rating,
        details={"note": step.note} if step.note else {},
    )
    return StepResult(pair, employee, opportunity, Role.EMPLOYEE, created=False)


def _list_that_showed(
    session: Session, action: Action, employee: EmployeeRow, opportunity: OpportunityRow
) -> str | None:
    """The newest served list that put this pair on a page: the employee's matches for the
    employee's steps, the lead's candidate list for the lead's."""
    if action in EMPLOYEE_SIDE:
        direction, query, item = "employee", employee.external_id, opportunity.external_id
    else:
        direction, query, item = "opportunity", opportunity.external_id, employee.external_id
    for record in AuditLog.between(
        session,
        direction=direction,
        query_external_id=query,
        newest_first=True,
        limit=LIST_LOOKBACK,
    ):
        if record["caller_role"] == Role.ADMIN.value:
            continue  # a preview: not what the person (or the lead) saw
        if any(shown["id"] == item for shown in served_page(record)):
            return record["request_id"]
    return None


def _log(
    session: Session,
    user: Principal,
    employee: EmployeeRow,
    opportunity: OpportunityRow,
    event: InteractionType,
    *,
    source: str | None,
    now: dt.datetime,
    rating: int | None = None,
    details: dict[str, Any],
) -> None:
    log_step(
        session,
        request_id=source,
        employee_external_id=employee.external_id,
        opportunity_external_id=opportunity.external_id,
        type=event,
        rating=rating,
        occurred_at=now,
        actor_role=user.role.value,
        actor=user.actor,
        details=details or None,
    )


def _log_system(
    session: Session,
    pair: PipelineRow,
    opportunity: OpportunityRow,
    event: InteractionType,
    *,
    now: dt.datetime,
) -> None:
    log_step(
        session,
        request_id=pair.request_id,
        employee_external_id=pair.employee_external_id,
        opportunity_external_id=opportunity.external_id,
        type=event,
        occurred_at=now,
        actor_role=SYSTEM,
        actor=SYSTEM,
        details={"action": Action.OFFER.value, "note": "the next free slot, in waitlist order"},
    )


def _after_commit(
    state: ServiceState, session: Session, result: StepResult, action: Action
) -> None:
    """The match engine learns of the step once it is durable: an application hides the
    opportunity from the person's matches, an assignment's hours count against free time, a
    filled (or reopened) opportunity leaves (or rejoins) matching."""
    employee_row, opportunity_row = result.employee.id, result.opportunity.id
    event = EVENT_OF[action].value
    result.after.append(
        lambda: state.matcher.record_interaction(employee_row, opportunity_row, event)
    )
    opportunity = result.opportunity
    result.after.append(lambda: state.matcher.refresh_opportunity_rows([opportunity]))
    # Any step may start or end a commitment (an accepted offer commits as an assignment does).
    current = [
        (hours, end)
        for _, hours, end in pairs.commitments(
            session, today=dt.date.today(), employee_external_ids=[result.employee.external_id]
        )
    ]
    result.after.append(lambda: state.matcher.set_commitments(employee_row, current))


def allowed_for(pair: PipelineRow | None, side: Role) -> list[str]:
    stage = Stage(pair.stage) if pair is not None else Stage.NONE
    allowed = [a.value for a in allowed_steps(stage, side)]
    if (
        side is Role.EMPLOYEE
        and pair is not None
        and stage is Stage.COMPLETED
        and pair.employee_rating is None
    ):
        allowed.append(RATE)
    return allowed


def is_revealed(pair: PipelineRow) -> bool:
    unanswered = pair.origin == ORIGIN[Action.INVITE] and pair.stage in UNANSWERED
    return pair.revealed_at is not None or not unanswered


def reveal(session: Session, user: Principal, pair: PipelineRow, *, now: dt.datetime) -> bool:
    """Whether the lead may see who this is: the person asked (applied, joined the waitlist)
    or accepted an invitation. The first time a lead sees it, the reveal is logged for HR."""
    if not is_revealed(pair):
        return False
    first_time = user.role is Role.LEAD and pair.revealed_at is None
    if first_time and pairs.mark_revealed(session, pair, now=now):
        add_event(
            session,
            actor_role=user.role.value,
            actor=user.actor,
            action="reveal",
            opportunity_external_id=pair.opportunity_external_id,
            reason={
                "application": "the candidate applied",
                "invitation": "the candidate accepted an invitation",
                "waitlist": "the candidate joined the waitlist",
            }[pair.origin],
            details={"employee_external_id": pair.employee_external_id, "why": pair.origin},
        )
    return True
