"""The version of the data HR's aggregates read: cheap summaries of each table they read, so a
cached report is used only while none of those tables has changed.

Each table is summarised by what any write changes:
- append-only logs (served rankings, interactions, oversight events): the row count and the
  newest id (and the audit log's newest seal, which covers every record before it). The count
  matters too: ids are taken at insert, so a transaction holding a lower id can commit after
  one holding a higher id;
- people and postings: the count, the newest id, the sum of their row versions (one more at
  every write of the row or its skills) and of their `updated_at` times (each write stamps its
  row, so the sum moves even when the newest stamp does not; a transaction's clock is its
  start, which may lie before another's stamp);
- the workflow's pairs: the sum of their versions (every step is a compare-and-set on it) and
  the reveals stamped;
- skill proposals: how many were decided;
- demographics (no stamp of their own): per attribute, the sum of employee id × the length of
  the value (a value changed to one of another length, or moved to another person, shows).
  What this misses: two people swapping values of equal length in one instant; the profile
  edit that carries a change of demographics stamps the employee row as well when it changes
  anything else.

Auditors' reads (`audit_read` events) are left out: they change no figure, and counting them
would throw the cache away on every read an auditor makes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, select
from sqlalchemy.orm import Session

from data.storage.tables import (
    AuditRecordRow,
    DemographicsRow,
    EmployeeRow,
    InteractionRow,
    OpportunityRow,
    OversightEventRow,
    PipelineRow,
    SkillProposalRow,
)

UNCOUNTED_EVENTS = ("audit_read",)


def _stamp_sum(session: Session, column: Any) -> ColumnElement[Any]:
    """The sum of a timestamp column as a number, in the database's own terms."""
    if session.get_bind().dialect.name == "postgresql":
        return func.sum(func.extract("epoch", column))
    return func.sum(cast(func.julianday(column), Float))


def _length(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.length(column), 0)


def aggregate_data_version(session: Session) -> str:
    """A digest that changes whenever a table behind HR's reports and outcomes changes."""
    parts: list[Any] = []
    parts += session.execute(
        select(func.count(), func.max(AuditRecordRow.seq)).select_from(AuditRecordRow)
    ).one()
    parts.append(
        session.scalar(select(AuditRecordRow.hash).order_by(AuditRecordRow.seq.desc()).limit(1))
    )
    parts += session.execute(
        select(func.count(), func.max(InteractionRow.id)).select_from(InteractionRow)
    ).one()
    parts += session.execute(
        select(func.count(), func.max(OversightEventRow.id)).where(
            OversightEventRow.action.not_in(UNCOUNTED_EVENTS)
        )
    ).one()
    for table in (EmployeeRow, OpportunityRow):
        parts += session.execute(
            select(
                func.count(),
                func.max(table.id),
                func.sum(table.version),
                _stamp_sum(session, table.updated_at),
            )
        ).one()
    parts += session.execute(
        select(
            func.count(),
            func.max(PipelineRow.id),
            func.sum(PipelineRow.version),
            func.count(PipelineRow.revealed_at),
            _stamp_sum(session, PipelineRow.updated_at),
        )
    ).one()
    parts += session.execute(
        select(func.count(), func.max(SkillProposalRow.id), func.count(SkillProposalRow.decided_at))
    ).one()
    parts += session.execute(
        select(
            func.count(),
            *(
                func.sum(DemographicsRow.employee_id * _length(getattr(DemographicsRow, a)))
                for a in ("gender", "race_ethnicity", "age_band", "disability")
            ),
        ).select_from(DemographicsRow)
    ).one()
    text = "|".join("" if p is None else repr(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
