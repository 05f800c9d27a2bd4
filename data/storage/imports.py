"""Background import jobs: created by a bulk request, advanced by the worker, read by anyone
entitled to (any server process: the row is the job's whole state).

A job runs in the process that accepted it, and its row names that process (host, pid and the
pid's start time, so a reused pid is not mistaken for it). A process killed mid-import leaves
nothing written (the import is one transaction) but a row that says "running": every process
that starts marks the unfinished jobs of dead processes on its host as failed.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.storage.tables import ImportJobRow

INTERRUPTED = (
    "interrupted: the server process running this import stopped before it finished; nothing "
    "was written: submit the import again"
)


def _start_ticks(pid: int) -> str | None:
    """When a process started, in clock ticks since boot (None: no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_ticks(os.getpid()) or '?'}"


def process_alive(owner: str) -> bool:
    """Whether the process a job row names still runs (another host's: assumed so)."""
    host, _, rest = owner.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not Path("/proc/self/stat").exists():
        return True  # cannot tell (another host; no /proc): never fail a job that may run
    if not pid.isdigit():
        return False
    ticks = _start_ticks(int(pid))
    if ticks is None:
        return False
    return started == "?" or ticks == started


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
            owner=this_process(),
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


def fail_interrupted_jobs(
    session: Session, alive: Callable[[str], bool] = process_alive
) -> list[str]:
    """Mark as failed the queued or running jobs whose process is gone (rows from before job
    owners were recorded count as gone); their ids."""
    pending = session.scalars(
        select(ImportJobRow).where(ImportJobRow.status.in_(("queued", "running")))
    )
    ended = [row for row in pending if row.owner is None or not alive(row.owner)]
    for row in ended:
        row.status = row.phase = "failed"
        row.finished_at = dt.datetime.now(dt.UTC)
        row.result = {"errors": [{"index": None, "field": "", "message": INTERRUPTED}]}
    session.flush()
    return [row.job_id for row in ended]
