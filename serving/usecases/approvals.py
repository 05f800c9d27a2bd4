"""A manager's approval of a gig that takes a large share of someone's week, end to end.

When one is needed (a gig above the company's share of a working week), who is asked (the
manager, or the first active one above; HR when nobody is on record or it waited too long),
who may see and decide it (the manager; HR once escalated; an admin), and the record: the
decision on the pair, in its log, and the applicant notified. The pair's steps that ask for
an approval and wait for it are in serving/usecases/pipeline.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy.orm import Session

from data.schemas import InteractionType, OpportunityKind, Role
from data.storage import pipeline as pairs
from data.storage.employees import get_employee
from data.storage.interactions import log_step
from data.storage.opportunities import get_opportunity
from data.storage.tables import EmployeeRow, OpportunityRow, PipelineRow
from data.workflow import Stage
from serving.auth import Principal
from serving.errors import Conflict, Forbidden, NotFound
from serving.notifications import events as notifications
from serving.settings import Settings
from serving.state import ServiceState
from serving.timestamps import utc_iso
from serving.usecases.postings import posting_document

MANAGER_CHAIN_LIMIT = 20  # deeper than any real hierarchy; stops a cycle in the data


def needs_approval(state: ServiceState, opportunity: OpportunityRow) -> bool:
    """A gig taking more than the company's share of a working week needs the manager."""
    if opportunity.kind != OpportunityKind.GIG.value:
        return False
    settings = state.settings
    return opportunity.hours_per_week > settings.approval_share * settings.working_hours_per_week


def approver_for(session: Session, employee: EmployeeRow | None) -> str | None:
    """Who approves the employee's time: their manager, or the first active one above a
    deactivated manager; None (HR decides) without one on record."""
    seen: set[str] = set()
    manager = employee.manager_external_id if employee is not None else None
    while manager and manager not in seen and len(seen) < MANAGER_CHAIN_LIMIT:
        seen.add(manager)
        row = get_employee(session, manager)
        if row is None:
            return None
        if row.active:
            return row.external_id
        manager = row.manager_external_id
    return None


def recheck_approvals(state: ServiceState, session: Session, opportunity: OpportunityRow) -> None:
    """After an edit: pairs that accepted before the gig grew past the company's share of a
    week now need their manager's approval too (assignment waits for it)."""
    if not needs_approval(state, opportunity):
        return
    now = dt.datetime.now(dt.UTC)
    for pair in pairs.pairs_of_opportunity(session, opportunity.external_id):
        if pair.stage != Stage.ACCEPTED.value or pair.approval in ("pending", "approved"):
            continue
        employee = get_employee(session, pair.employee_external_id)
        approver = approver_for(session, employee)
        try:
            pairs.move_pair(
                session,
                pair,
                now=now,
                approval="pending",
                approver_external_id=approver,
                approval_requested_at=now,
            )
        except pairs.PairChanged as changed:
            raise Conflict(f"{changed}; try the edit again") from None
        notifications.approval_asked(session, state.settings, pair, employee, opportunity, now=now)


def escalation_window(settings: Settings) -> dt.timedelta:
    return dt.timedelta(days=settings.approval_escalation_days)


def escalated(pair: PipelineRow, escalate_after: dt.timedelta) -> bool:
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


def approval_document(pair: PipelineRow, escalate_after: dt.timedelta) -> dict[str, Any]:
    """Where the pair's approval stands (`status: none` for a pair that needs none)."""
    approval: dict[str, Any] = {"status": pair.approval}
    if pair.approval == "none":
        return approval
    approval.update(
        approver_external_id=pair.approver_external_id,
        requested_at=(
            utc_iso(pair.approval_requested_at) if pair.approval_requested_at is not None else None
        ),
        escalated=escalated(pair, escalate_after),
    )
    if pair.approval_decided_at is not None:
        approval.update(decided_at=utc_iso(pair.approval_decided_at), reason=pair.approval_reason)
    return approval


def waiting_approvals(
    state: ServiceState, session: Session, user: Principal
) -> list[dict[str, Any]]:
    """Approvals waiting: a manager's own people's; HR's the escalated ones (pending longer
    than the company allows, or with no manager on record); an admin's all."""
    escalate_after = escalation_window(state.settings)
    if user.role is Role.ADMIN:
        waiting = pairs.pending_approvals(session)
    elif user.role is Role.HR:
        waiting = [p for p in pairs.pending_approvals(session) if escalated(p, escalate_after)]
    elif user.subject_external_id is not None:
        waiting = pairs.pending_approvals(session, approver=user.subject_external_id)
    else:
        raise Forbidden("approvals are for managers, HR and admins")
    items = [_approval_item(state, session, pair) for pair in waiting]
    return [item for item in items if item is not None]


def decide_approval(
    state: ServiceState,
    session: Session,
    user: Principal,
    opportunity_external_id: str,
    employee_external_id: str,
    *,
    decision: Literal["approve", "decline"],
    reason: str,
) -> dict[str, Any]:
    """Approve or decline, saying why (the employee's manager; HR once it escalated; an
    admin): the pair records it, its log too, and the applicant hears of it."""
    pair = pairs.get_pair(session, employee_external_id, opportunity_external_id)
    which = f"{employee_external_id!r} on {opportunity_external_id!r}"
    if pair is None or pair.approval == "none":
        raise NotFound(f"no approval for {which}")
    mine = pair.approver_external_id is not None and user.is_self(pair.approver_external_id)
    hr_may = user.role is Role.HR and escalated(pair, escalation_window(state.settings))
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
            approval="approved" if decision == "approve" else "declined",
            approval_decided_at=now,
            approval_decided_by=user.actor,
            approval_reason=reason,
        )
    except pairs.PairChanged as changed:
        raise Conflict(str(changed)) from None
    _log_decision(session, user, pair, decision=decision, reason=reason, now=now)
    opportunity = get_opportunity(session, opportunity_external_id)
    if opportunity is not None:  # the applicant hears the decision (same transaction)
        notifications.approval_decided(session, state.settings, pair, opportunity, now=now)
    item = _approval_item(state, session, pair)
    if item is None:
        raise NotFound(f"no approval for {which}")
    return item


def _approval_item(
    state: ServiceState, session: Session, pair: PipelineRow
) -> dict[str, Any] | None:
    """One approval as its decider weighs it: the person, the gig, and their week."""
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
        "approval": approval_document(pair, escalation_window(state.settings)),
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


def _log_decision(
    session: Session,
    user: Principal,
    pair: PipelineRow,
    *,
    decision: str,
    reason: str,
    now: dt.datetime,
) -> None:
    """The manager's (or HR's) decision, in the pair's log."""
    log_step(
        session,
        request_id=pair.request_id,
        employee_external_id=pair.employee_external_id,
        opportunity_external_id=pair.opportunity_external_id,
        type=InteractionType.APPROVAL,
        occurred_at=now,
        actor_role=user.role.value,
        actor=user.actor,
        details={"decision": decision, "reason": reason},
    )
