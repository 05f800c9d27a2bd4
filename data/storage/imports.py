"""Background import jobs: created by a bulk request, advanced by the worker, read by anyone
entitled to (any server process: the row is the job's whole state)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from data.storage.tables import ImportJobRow


def create_job(session: Session, job_id: str, kind: str, total: int, created_by: str) -> None:
    session.add(
        ImportJobRow(
            job_id=job_id,
            kind=kind,
            status="queued",
            phase="queued",
            done=0,
            total=total,
            created_by=created_by,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    session.flush()


def set_progress(session: Session, job_id: str, *, phase: str, done: int, total: int) -> None:
    session.execute(
        update(ImportJobRow)
        .where(ImportJobRow.job_id == job_id)
        .values(status="running", phase=phase, done=done, total=total)
    )


def finish_job(session: Session, job_id: str, *, status: str, result: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "status": status,
        "phase": status,
        "result": result,
        "finished_at": dt.datetime.now(dt.UTC),
    }
    if status == "succeeded":
        values["done"] = ImportJobRow.total
    session.execute(update(ImportJobRow).where(ImportJobRow.job_id == job_id).values(**values))


def get_job(session: Session, job_id: str) -> ImportJobRow | None:
    return session.get(ImportJobRow, job_id)
