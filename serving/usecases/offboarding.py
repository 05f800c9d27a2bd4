"""A person deactivated by the HR system or identity provider (SCIM `active: false`, or a
DELETE) leaves matching and every pipeline in the same transaction; reactivated, they are
matched again. Nothing is deleted: their profile, pairs and the interaction log stay, each
change a logged step by the provisioning token.

- Invitations and offers waiting for their answer lapse (nobody can accept them any more),
  the pair saying why (LapseReason.PERSON_LEFT: the lead is not told every seat was taken).
- Applications, waitlist places and accepted offers not yet assigned are withdrawn, and a
  manager approval pending on them is cancelled; a mentor's slot they held passes on.
- Assigned work stays assigned: its lead completes (and rates) it as for anyone who leaves.
- Approvals waiting on them as a manager go to their own manager, else to HR.
- Their API tokens are revoked (ending their web sessions).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from data.schemas import InteractionType
from data.storage import pipeline as pairs
from data.storage.interactions import log_step
from data.storage.offboarding import (
    approvals_waiting_on,
    live_token_ids,
    open_pairs_of,
    set_active,
)
from data.storage.opportunities import get_opportunity
from data.storage.tables import EmployeeRow, PipelineRow
from data.storage.tokens import revoke_token
from data.workflow import LapseReason, Stage
from serving.auth import Principal
from serving.errors import Conflict
from serving.state import ServiceState
from serving.unit_of_work import after_commit
from serving.usecases.approvals import approver_for
from serving.usecases.indexing import reindex
from serving.usecases.pipeline import held_a_waitlist_slot, pass_slot_on

WHY = "the person was deactivated by the HR system"
LAPSING = (Stage.INVITED, Stage.OFFERED)
KEPT = (Stage.ASSIGNED,)


def deactivate(
    state: ServiceState, session: Session, user: Principal, employee: EmployeeRow
) -> dict[str, Any]:
    """Take the person out of matching and pipelines; what was done, counted (for the audit
    event). A person already inactive is left as is."""
    now = dt.datetime.now(dt.UTC)
    done: dict[str, Any] = {"lapsed": 0, "withdrawn": 0, "kept_assigned": 0, "approvals_moved": 0}
    if not set_active(session, employee, False, now=now):
        return done
    touched: set[str] = set()
    for pair in open_pairs_of(session, employee.external_id):
        stage = Stage(pair.stage)
        if stage in KEPT:
            done["kept_assigned"] += 1
            continue
        lapse = stage in LAPSING
        values: dict[str, Any] = {"stage": (Stage.LAPSED if lapse else Stage.WITHDRAWN).value}
        if lapse:
            values["reason_code"] = LapseReason.PERSON_LEFT.value
        if pair.approval == "pending":
            values["approval"] = "cancelled"  # nobody is waiting for it any more
        _move(session, pair, now, values)
        _log(session, user, pair, InteractionType.LAPSE if lapse else InteractionType.WITHDRAW, now)
        done["lapsed" if lapse else "withdrawn"] += 1
        opportunity = get_opportunity(session, pair.opportunity_external_id)
        if opportunity is not None:
            touched.add(opportunity.external_id)
            if held_a_waitlist_slot(pair, stage, opportunity):
                pass_slot_on(state, session, opportunity, now=now)
    next_approver = approver_for(session, employee)
    for pair in approvals_waiting_on(session, employee.external_id):
        # Their own manager decides instead; without one, HR does (an approval with no
        # approver is HR's, serving/usecases/approvals.py).
        _move(session, pair, now, {"approver_external_id": next_approver})
        done["approvals_moved"] += 1
    tokens = live_token_ids(session, employee.external_id)
    for token_id in tokens:
        revoke_token(session, token_id)
    done["tokens_revoked"] = len(tokens)
    _refresh_after_commit(state, session, employee, touched)
    return done


def reactivate(state: ServiceState, session: Session, employee: EmployeeRow) -> bool:
    """Back to matching (ended pairs stay ended; tokens stay revoked: sign in again)."""
    changed = set_active(session, employee, True, now=dt.datetime.now(dt.UTC))
    if changed:
        _refresh_after_commit(state, session, employee, set())
    return changed


def _move(session: Session, pair: PipelineRow, now: dt.datetime, values: dict[str, Any]) -> None:
    try:
        pairs.move_pair(session, pair, now=now, **values)
    except pairs.PairChanged as changed:  # a step on the pair at this very moment
        raise Conflict(f"{changed}; send the change again") from None


def _log(
    session: Session, user: Principal, pair: PipelineRow, event: InteractionType, now: dt.datetime
) -> None:
    log_step(
        session,
        request_id=pair.request_id,
        employee_external_id=pair.employee_external_id,
        opportunity_external_id=pair.opportunity_external_id,
        type=event,
        occurred_at=now,
        actor_role=user.role.value,
        actor=user.actor,
        details={"why": WHY},
    )


def _refresh_after_commit(
    state: ServiceState, session: Session, employee: EmployeeRow, opportunities: set[str]
) -> None:
    """Once durable: the person leaves (or rejoins) the pool, the postings they left are
    rescored for seats, their committed hours are read again."""
    external_id, row_id = employee.external_id, employee.id
    current = [
        (hours, end)
        for _, hours, end in pairs.commitments(
            session, today=dt.date.today(), employee_external_ids=[external_id]
        )
    ]

    def refresh() -> None:
        reindex(state, employees=[external_id], opportunities=sorted(opportunities))
        state.matcher.set_commitments(row_id, current)

    after_commit(session, refresh)
