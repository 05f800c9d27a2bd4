"""Human review of one decision: the person asks (with a reason), HR reads the request with the
pair's history and the replayed list behind it, decides once (upheld, or overturned with a
remedy), and the person is told, in the decision's own transaction. A request left open past
the service-level time HR sets is flagged overdue on HR's list. Every step is on the oversight
log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage import reviews as stored
from data.storage.tables import ReviewRequestRow
from fairness.policy import log_event
from serving.auth import Principal
from serving.errors import AppError, Conflict, InvalidField, NotFound
from serving.notifications import messages
from serving.notifications.outbox import notify
from serving.state import ServiceState
from serving.usecases.audit import replay_ranking
from serving.usecases.decisions import (
    STEP_VALUES,
    by_role,
    employee_only,
    lists_for,
    newest_decision_on,
    own_decision,
    place_in,
    reviewable,
)

DEFAULT_SLA_DAYS = 30  # until HR sets its own (PUT /api/v1/reviews/settings)
MAX_SLA_DAYS = 365
OUTCOMES = ("upheld", "overturned")
HR_ROLES = (Role.HR, Role.ADMIN)


def sla(session: Session) -> int:
    return stored.sla_days(session, DEFAULT_SLA_DAYS)


def set_sla(session: Session, user: Principal, days: int, reason: str) -> dict[str, Any]:
    user.require(*HR_ROLES)
    if not 1 <= days <= MAX_SLA_DAYS:
        raise InvalidField("days", f"between 1 and {MAX_SLA_DAYS}")
    before = sla(session)
    stored.set_sla_days(session, days)
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="review_sla",
        reason=reason,
        details={"days": days, "was": before},
    )
    return {"days": days}


def ask_review(
    session: Session,
    user: Principal,
    reason: str,
    *,
    decision_id: int | None = None,
    opportunity_external_id: str | None = None,
    now: dt.datetime,
) -> dict[str, Any]:
    me = employee_only(user)
    if (decision_id is None) == (opportunity_external_id is None):
        raise InvalidField("decision_id", "name the decision_id or the opportunity_external_id")
    if decision_id is None:
        decision = newest_decision_on(session, me, str(opportunity_external_id))
        decision_id = decision.id
    else:
        decision = own_decision(session, me, decision_id)
    if not reviewable(decision):
        raise InvalidField(
            "decision_id", "this step was your own; only others' decisions are reviewed"
        )
    if stored.open_review_of(session, decision_id) is not None:
        raise Conflict({"field": "decision_id", "message": "a review of this decision is open"})
    row = stored.add_review(
        session,
        ReviewRequestRow(
            employee_external_id=me,
            opportunity_external_id=decision.opportunity_external_id,
            decision_id=decision_id,
            decision=decision.step,
            reason=reason,
            status="open",
            remedy="",
            answer="",
            created_at=now,
            due_at=now + dt.timedelta(days=sla(session)),
        ),
    )
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="review_asked",
        opportunity_external_id=decision.opportunity_external_id,
        reason=reason,
        details={"review_id": row.id, "decision_id": decision_id, "decision": decision.step},
    )
    return view(row, now=now)


def view(row: ReviewRequestRow, *, now: dt.datetime) -> dict[str, Any]:
    due = stored.moment(row.due_at)
    body: dict[str, Any] = {
        "id": row.id,
        "decision_id": row.decision_id,
        "decision": row.decision,
        "opportunity_external_id": row.opportunity_external_id,
        "reason": row.reason,
        "status": row.status,
        "created_at": stored.moment(row.created_at).isoformat(),
        "due_at": due.isoformat(),
        "overdue": row.status == "open" and now > due,
        "version": row.version,
    }
    if row.status != "open":
        body |= {
            "remedy": row.remedy,
            "answer": row.answer,
            "decided_at": stored.moment(row.decided_at).isoformat() if row.decided_at else None,
            "decided_by": row.decided_by_role,  # a role: the person is told no name
        }
    return body


def my_reviews(session: Session, user: Principal, *, now: dt.datetime) -> dict[str, Any]:
    me = employee_only(user)
    return {"items": [view(r, now=now) for r in stored.reviews(session, employee_external_id=me)]}


def hr_list(
    session: Session, user: Principal, status: str | None, *, now: dt.datetime
) -> dict[str, Any]:
    user.require(*HR_ROLES)
    rows = stored.reviews(session, status=status)
    items = [view(r, now=now) | {"employee_external_id": r.employee_external_id} for r in rows]
    # The overdue first, then the oldest: what HR should do next.
    items.sort(key=lambda i: (not i["overdue"], i["status"] != "open", i["due_at"]))
    return {
        "items": items,
        "sla_days": sla(session),
        "overdue": sum(i["overdue"] for i in items),
    }


def hr_detail(
    state: ServiceState, session: Session, user: Principal, review_id: int, *, now: dt.datetime
) -> dict[str, Any]:
    """The request, the pair's whole history (who, as what, when, what they said) and the
    lead's list behind the decision, replayed with its logged model and policy."""
    user.require(*HR_ROLES)
    row = _review(session, review_id)
    history = [
        {
            "id": step.id,
            "type": step.type,
            "at": stored.moment(step.occurred_at).isoformat(),
            "by": by_role(step),
            "actor": step.actor,
            "details": step.details or {},
        }
        for step in stored.steps_of_pair(
            session, row.employee_external_id, row.opportunity_external_id, STEP_VALUES
        )
    ]
    decision = stored.interaction(session, row.decision_id)
    lists = lists_for(session, row.employee_external_id, row.opportunity_external_id)
    if decision is not None:
        at = stored.moment(decision.occurred_at)
        lists = [r for r in lists if dt.datetime.fromisoformat(r["served_at"]) <= at]
    body = view(row, now=now) | {
        "employee_external_id": row.employee_external_id,
        "history": history,
        "lists": [place_in(r, row.employee_external_id) for r in lists[:5]],
    }
    if lists:
        request_id = lists[0]["request_id"]
        try:
            body["replay"] = replay_ranking(state, session, user, request_id, items=False)
        except AppError as failed:  # the model version can no longer be loaded: say so
            body["replay"] = {"request_id": request_id, "error": str(failed.detail)}
    return body


def decide(
    state: ServiceState,
    session: Session,
    user: Principal,
    review_id: int,
    *,
    outcome: str,
    answer: str,
    remedy: str,
    version: int | None,
    now: dt.datetime,
) -> dict[str, Any]:
    user.require(*HR_ROLES)
    if outcome not in OUTCOMES:
        raise InvalidField("outcome", f"one of: {', '.join(OUTCOMES)}")
    if outcome == "overturned" and not remedy.strip():
        raise InvalidField("remedy", "an overturned decision says what will be done about it")
    row = _review(session, review_id)
    if row.employee_external_id == user.subject_external_id:
        raise Conflict("nobody reviews a decision about themself")
    decided = stored.decide_once(
        session,
        ReviewRequestRow,
        review_id,
        waiting="open",
        version=version,
        values={
            "status": outcome,
            "answer": answer,
            "remedy": remedy if outcome == "overturned" else "",
            "decided_at": now,
            "decided_by_role": user.role.value,
            "decided_by": user.actor,
        },
    )
    if not decided:
        session.refresh(row)
        raise Conflict(
            {
                "field": "version" if row.status == "open" else "status",
                "message": f"the request is {row.status} (version {row.version}): "
                "another decision came first; read it again",
            }
        )
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="review_decided",
        opportunity_external_id=row.opportunity_external_id,
        reason=answer,
        details={
            "review_id": row.id,
            "decision_id": row.decision_id,
            "outcome": outcome,
            "remedy": row.remedy,
            "employee_external_id": row.employee_external_id,
        },
    )
    notify(
        session,
        state.settings,
        row.employee_external_id,
        messages.review_decided(
            state.settings.public_url, outcome=outcome, answer=answer, remedy=row.remedy
        ),
        now=now,
    )
    return view(row, now=now)


def _review(session: Session, review_id: int) -> ReviewRequestRow:
    row = stored.review(session, review_id)
    if row is None:
        raise NotFound(f"no review request {review_id}")
    return row
