"""What HR's outcome figures read: opportunities with their posting time, people with their
department, the pipeline as it stands, and counts of identity reveals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.storage.tables import EmployeeRow, OpportunityRow, OversightEventRow, PipelineRow


def opportunity_facts(session: Session) -> list[Any]:
    """(external id, kind, department, status, seats, posted_at) of every opportunity."""
    query = select(
        OpportunityRow.external_id,
        OpportunityRow.kind,
        OpportunityRow.department,
        OpportunityRow.status,
        OpportunityRow.seats,
        OpportunityRow.posted_at,
    )
    return list(session.execute(query))


def employee_departments(session: Session) -> dict[str, str]:
    query = select(EmployeeRow.external_id, EmployeeRow.department)
    return {external_id: department for external_id, department in session.execute(query)}


def all_pairs(session: Session) -> list[PipelineRow]:
    return list(session.scalars(select(PipelineRow).order_by(PipelineRow.id)))


def reveal_count(session: Session, start: dt.datetime | None, end: dt.datetime | None) -> int:
    query = select(func.count()).where(OversightEventRow.action == "reveal")
    if start is not None:
        query = query.where(OversightEventRow.at >= start)
    if end is not None:
        query = query.where(OversightEventRow.at < end)
    return session.scalar(query) or 0


def career_targets(session: Session) -> list[Any]:
    """(employee, target role, target occupation, set at) of everyone with a target."""
    query = select(
        EmployeeRow.external_id,
        EmployeeRow.target_opportunity_external_id,
        EmployeeRow.target_occupation_id,
        EmployeeRow.target_set_at,
    ).where(EmployeeRow.target_set_at.is_not(None))
    return list(session.execute(query))
