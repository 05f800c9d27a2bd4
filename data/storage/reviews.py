"""Storage of a person's rights requests: reviews of a decision and corrections of HR-owned
fields, each decided once (a conditional UPDATE on status and version: of two HR decisions on
one request, the second finds nothing to update), and the review's service-level time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.storage.queries import affected_rows
from data.storage.tables import (
    DataCorrectionRow,
    InteractionRow,
    ReviewRequestRow,
    ServiceMetaRow,
)

SLA_KEY = "review_sla_days"


def steps_of_employee(
    session: Session, employee_external_id: str, types: Sequence[str]
) -> list[InteractionRow]:
    """The person's workflow steps of the given types, oldest first."""
    query = (
        select(InteractionRow)
        .where(
            InteractionRow.employee_external_id == employee_external_id,
            InteractionRow.type.in_(list(types)),
        )
        .order_by(InteractionRow.occurred_at, InteractionRow.id)
    )
    return list(session.scalars(query))


def steps_of_pair(
    session: Session, employee_external_id: str, opportunity_external_id: str, types: Sequence[str]
) -> list[InteractionRow]:
    query = (
        select(InteractionRow)
        .where(
            InteractionRow.employee_external_id == employee_external_id,
            InteractionRow.opportunity_external_id == opportunity_external_id,
            InteractionRow.type.in_(list(types)),
        )
        .order_by(InteractionRow.occurred_at, InteractionRow.id)
    )
    return list(session.scalars(query))


def interaction(session: Session, interaction_id: int) -> InteractionRow | None:
    return session.get(InteractionRow, interaction_id)


def add_review(session: Session, row: ReviewRequestRow) -> ReviewRequestRow:
    session.add(row)
    session.flush()  # its id goes into the oversight event
    return row


def review(session: Session, review_id: int) -> ReviewRequestRow | None:
    return session.get(ReviewRequestRow, review_id)


def open_review_of(session: Session, decision_id: int) -> ReviewRequestRow | None:
    query = select(ReviewRequestRow).where(
        ReviewRequestRow.decision_id == decision_id, ReviewRequestRow.status == "open"
    )
    return session.scalars(query).first()


def reviews(
    session: Session, *, employee_external_id: str | None = None, status: str | None = None
) -> list[ReviewRequestRow]:
    query = select(ReviewRequestRow).order_by(ReviewRequestRow.id)
    if employee_external_id is not None:
        query = query.where(ReviewRequestRow.employee_external_id == employee_external_id)
    if status is not None:
        query = query.where(ReviewRequestRow.status == status)
    return list(session.scalars(query))


def decide_once(
    session: Session,
    table: type[ReviewRequestRow] | type[DataCorrectionRow],
    row_id: int,
    *,
    waiting: str,
    version: int | None,
    values: dict[str, Any],
) -> bool:
    """Set `values` on the row if it still waits (status `waiting`, and at `version` when one is
    given): True if this call decided it, False if another decision came first."""
    conditions = [table.id == row_id, table.status == waiting]
    if version is not None:
        conditions.append(table.version == version)
    done = session.execute(
        update(table)
        .where(*conditions)
        .values(**values, version=table.version + 1)
        .execution_options(synchronize_session=False)
    )
    decided = bool(affected_rows(done))
    if decided:
        row = session.get(table, row_id)
        if row is not None:
            session.refresh(row)
    return decided


def add_correction(session: Session, row: DataCorrectionRow) -> DataCorrectionRow:
    session.add(row)
    session.flush()
    return row


def correction(session: Session, correction_id: int) -> DataCorrectionRow | None:
    return session.get(DataCorrectionRow, correction_id)


def corrections(
    session: Session, *, employee_external_id: str | None = None, status: str | None = None
) -> list[DataCorrectionRow]:
    query = select(DataCorrectionRow).order_by(DataCorrectionRow.id)
    if employee_external_id is not None:
        query = query.where(DataCorrectionRow.employee_external_id == employee_external_id)
    if status is not None:
        query = query.where(DataCorrectionRow.status == status)
    return list(session.scalars(query))


def sla_days(session: Session, default: int) -> int:
    row = session.get(ServiceMetaRow, SLA_KEY)
    return int(row.value) if row is not None else default


def set_sla_days(session: Session, days: int) -> None:
    row = session.get(ServiceMetaRow, SLA_KEY)
    if row is None:
        session.add(ServiceMetaRow(key=SLA_KEY, value=str(days)))
    else:
        row.value = str(days)


def moment(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes: they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
