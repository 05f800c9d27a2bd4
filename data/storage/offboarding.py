"""A person deactivated or brought back by the HR system (SCIM `active`): the flag the match
engine reads (matching/engine.py leaves inactive people out of its pool), and what is still
open around them. Nothing here deletes: profile, pipeline and log stay for the retention rules;
the use case (serving/usecases/offboarding.py) moves open pairs to final stages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.storage.tables import ApiTokenRow, EmployeeRow, PipelineRow
from data.workflow import FINAL


def set_active(session: Session, employee: EmployeeRow, active: bool, *, now: dt.datetime) -> bool:
    """Store the flag; True if it changed. The row's stamp moves so that other processes'
    indexes catch up (ServiceState.catch_up reads `updated_at`)."""
    if bool(employee.active) == active:
        return False
    employee.active = active
    employee.deactivated_at = None if active else now
    # The clock's microseconds, not SQLite's CURRENT_TIMESTAMP (whole seconds): a
    # reactivation within the second of its deactivation still reads as a change.
    employee.updated_at = now
    employee.version = (employee.version or 0) + 1
    session.flush()
    return True


def open_pairs_of(session: Session, employee_external_id: str) -> list[PipelineRow]:
    """The person's pairs still in progress (not completed, rejected, withdrawn, declined or
    lapsed), oldest first."""
    query = (
        select(PipelineRow)
        .where(
            PipelineRow.employee_external_id == employee_external_id,
            PipelineRow.stage.not_in([stage.value for stage in FINAL]),
        )
        .order_by(PipelineRow.id)
    )
    return list(session.scalars(query))


def approvals_waiting_on(session: Session, approver_external_id: str) -> list[PipelineRow]:
    """Others' pairs whose manager approval waits on this person."""
    query = (
        select(PipelineRow)
        .where(
            PipelineRow.approver_external_id == approver_external_id,
            PipelineRow.approval == "pending",
        )
        .order_by(PipelineRow.id)
    )
    return list(session.scalars(query))


def live_token_ids(session: Session, subject_external_id: str) -> list[str]:
    """The ids of the tokens acting as this person that are not revoked."""
    query = select(ApiTokenRow.token_id).where(
        ApiTokenRow.subject_external_id == subject_external_id, ApiTokenRow.revoked_at.is_(None)
    )
    return list(session.scalars(query))
