"""Correcting one's data: a person proposes a new value for one HR-owned field of their record
(title, level, department, manager, hire date) with a reason; HR accepts it, and the record
changes the way HR's own profile edits change it (serving/usecases/profiles.py: validated,
locked, the match engine refreshed after the commit), or refuses it with a reason. Each step is
on the oversight log and the person is told the outcome."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from data.schemas import EmployeePatch, Role
from data.storage import reviews as stored
from data.storage.employees import get_employee, profile_record
from data.storage.tables import DataCorrectionRow
from fairness.policy import log_event
from serving.auth import Principal
from serving.errors import Conflict, InvalidField, NotFound
from serving.notifications import messages
from serving.notifications.outbox import notify
from serving.state import ServiceState
from serving.usecases.decisions import employee_only
from serving.usecases.profiles import update_profile

FIELDS = ("title", "level", "department", "manager_external_id", "hire_date")
OUTCOMES = ("accepted", "refused")


def _checked(field: str, value: Any, employee_external_id: str, session: Session) -> Any:
    """The value as the profile would store it (JSON), or 422 naming `value`."""
    if field not in FIELDS:
        raise InvalidField("field", f"one of: {', '.join(FIELDS)}")
    try:
        patch = EmployeePatch.model_validate({field: value})
    except ValidationError as invalid:
        raise InvalidField("value", invalid.errors()[0]["msg"]) from None
    checked = patch.model_dump(include={field}, mode="json")[field]
    if field == "manager_external_id" and checked is not None:
        if checked == employee_external_id:
            raise InvalidField("value", "nobody is their own manager")
        if get_employee(session, checked) is None:
            raise InvalidField("value", f"no employee {checked!r}")
    if checked is None and field in ("title", "level", "department"):
        raise InvalidField("value", f"{field} cannot be empty")
    return checked


def propose(
    session: Session, user: Principal, field: str, value: Any, reason: str, *, now: dt.datetime
) -> dict[str, Any]:
    me = employee_only(user)
    employee = get_employee(session, me)
    if employee is None:
        raise NotFound("your profile is missing")
    checked = _checked(field, value, me, session)
    current = profile_record(employee).get(field)
    if checked == current:
        raise InvalidField("value", f"your record already says {current!r}")
    waiting = [
        c
        for c in stored.corrections(session, employee_external_id=me, status="pending")
        if c.field == field
    ]
    if waiting:
        raise Conflict({"field": "field", "message": f"a correction of {field} is waiting for HR"})
    row = stored.add_correction(
        session,
        DataCorrectionRow(
            employee_external_id=me,
            field=field,
            current_value=json.dumps(current),
            proposed_value=json.dumps(checked),
            reason=reason,
            status="pending",
            answer="",
            created_at=now,
        ),
    )
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="correction_asked",
        reason=reason,
        details={"correction_id": row.id, "field": field},
    )
    return view(row)


def view(row: DataCorrectionRow) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row.id,
        "field": row.field,
        "current_value": json.loads(row.current_value) if row.current_value else None,
        "proposed_value": json.loads(row.proposed_value) if row.proposed_value else None,
        "reason": row.reason,
        "status": row.status,
        "created_at": stored.moment(row.created_at).isoformat(),
        "version": row.version,
    }
    if row.status != "pending":
        body |= {
            "answer": row.answer,
            "decided_at": stored.moment(row.decided_at).isoformat() if row.decided_at else None,
            "decided_by": row.decided_by_role,
        }
    return body


def mine(session: Session, user: Principal) -> dict[str, Any]:
    me = employee_only(user)
    return {"items": [view(c) for c in stored.corrections(session, employee_external_id=me)]}


def hr_list(session: Session, user: Principal, status: str | None) -> dict[str, Any]:
    user.require(Role.HR, Role.ADMIN)
    rows = stored.corrections(session, status=status)
    return {"items": [view(c) | {"employee_external_id": c.employee_external_id} for c in rows]}


def decide(
    state: ServiceState,
    session: Session,
    user: Principal,
    correction_id: int,
    *,
    outcome: str,
    answer: str,
    version: int | None,
    now: dt.datetime,
) -> dict[str, Any]:
    user.require(Role.HR, Role.ADMIN)
    if outcome not in OUTCOMES:
        raise InvalidField("outcome", f"one of: {', '.join(OUTCOMES)}")
    if outcome == "refused" and not answer.strip():
        raise InvalidField("answer", "a refusal says why")
    row = stored.correction(session, correction_id)
    if row is None:
        raise NotFound(f"no correction {correction_id}")
    if row.employee_external_id == user.subject_external_id:
        raise Conflict("nobody decides a correction of their own record")
    decided = stored.decide_once(
        session,
        DataCorrectionRow,
        correction_id,
        waiting="pending",
        version=version,
        values={
            "status": outcome,
            "answer": answer,
            "decided_at": now,
            "decided_by_role": user.role.value,
            "decided_by": user.actor,
        },
    )
    if not decided:
        session.refresh(row)
        raise Conflict(
            {
                "field": "version" if row.status == "pending" else "status",
                "message": f"the correction is {row.status} (version {row.version}): "
                "another decision came first; read it again",
            }
        )
    if outcome == "accepted":
        employee = get_employee(session, row.employee_external_id)
        if employee is None:
            raise NotFound(f"no employee {row.employee_external_id!r}")
        value = json.loads(row.proposed_value) if row.proposed_value else None
        # Checked again: the manager named may have left since it was proposed.
        value = _checked(row.field, value, row.employee_external_id, session)
        patch = EmployeePatch.model_validate({row.field: value})
        update_profile(state, session, user, employee, {row.field}, patch)
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="correction_decided",
        reason=answer,
        details={
            "correction_id": row.id,
            "field": row.field,
            "outcome": outcome,
            "employee_external_id": row.employee_external_id,
        },
    )
    notify(
        session,
        state.settings,
        row.employee_external_id,
        messages.correction_decided(
            state.settings.public_url,
            field=row.field,
            accepted=outcome == "accepted",
            answer=answer,
        ),
        now=now,
    )
    return view(row)
