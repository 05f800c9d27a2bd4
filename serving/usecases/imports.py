"""Bulk imports: a small batch is answered at once; a large one runs as a background job.

A job is one all-or-nothing import in its own transaction on a worker thread (one at a time
per process: an import is CPU work, and the server has requests to answer). Its row in
`import_jobs` holds its progress and then its report or its errors, so any server process can
answer `GET /api/v1/imports/{id}`. Progress during the write itself is kept in memory (on
SQLite a second writer would wait for the import's own transaction).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.orm import Session

from data.importing import ImportRejected, import_employees, import_opportunities
from data.importing.report import ImportReport
from data.schemas import Role
from data.storage.employees import get_employee
from data.storage.engine import transaction
from data.storage.import_origins import succeeded_imports
from data.storage.imports import create_job, finish_job, get_job, set_progress
from data.storage.tables import ImportJobRow
from data.storage.tokens import token_by_id
from serving.auth import Principal
from serving.state import ServiceState
from serving.timestamps import utc_iso
from serving.unit_of_work import after_commit
from serving.usecases.indexing import reindex
from serving.usecases.serving_context import resolver_for

log = logging.getLogger(__name__)

REPORT_LIMIT = 1000  # entries per list in a response; the summary counts every one
PROGRESS_EVERY_S = 1.0
IMPORTERS: dict[str, Callable[..., Any]] = {
    "employees": import_employees,
    "opportunities": import_opportunities,
}


def reindex_imported(state: ServiceState, kind: str, external_ids: Sequence[str]) -> None:
    if kind == "employees":
        reindex(state, employees=external_ids)
    else:
        reindex(state, opportunities=external_ids)


def import_result(created: int, updated: int, report: ImportReport) -> dict[str, Any]:
    return {"created": created, "updated": updated, "report": report.as_dict(limit=REPORT_LIMIT)}


def rejection_detail(rejected: ImportRejected) -> list[dict[str, Any]]:
    """The errors as a 422 for the same array would list them (item index, field)."""
    return [{"index": e.row - 1, "field": e.field, "message": e.message} for e in rejected.errors]


_MAKING = threading.Lock()


def jobs_of(state: ServiceState) -> ImportJobs:
    with _MAKING:
        if state.import_jobs is None:
            state.import_jobs = ImportJobs(state)
        return state.import_jobs


def bulk_import(
    state: ServiceState,
    session: Session,
    user: Principal,
    kind: str,
    records: list[dict[str, Any]],
    *,
    wait: bool | None,
) -> tuple[int, dict[str, Any]]:
    """(status, body): 200 with the import's report, or 202 with a job to poll when the batch
    is large (or the caller asked not to wait)."""
    if wait is False or (wait is None and len(records) > state.settings.bulk_sync_records):
        jobs = jobs_of(state)
        job_id = jobs.submit(kind, records, user)
        row = jobs.get(job_id)
        assert row is not None
        return 202, jobs.view(row)
    resolver = resolver_for(state, user, bulk=True)
    rows = [(i + 1, record) for i, record in enumerate(records)]
    items, counts = IMPORTERS[kind](session, rows, resolver)
    ids = [item.external_id for item in items]
    after_commit(session, lambda: reindex_imported(state, kind, ids))
    return 200, import_result(counts.created, counts.updated, resolver.report)


class ImportJobs:
    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-job")
        self._live: dict[str, tuple[str, int, int]] = {}  # job id -> (phase, done, total)
        self._lock = threading.Lock()

    def submit(
        self,
        kind: str,
        records: list[dict[str, Any]],
        user: Principal,
        *,
        rows: list[int] | None = None,
        filename: str | None = None,
    ) -> str:
        """`rows`: each record's row in an uploaded file (its report and errors say those);
        default 1, 2, ... (an error's `index` is then the item of the array). `filename`: the
        uploaded file's name, kept with the result (the review queue says where a custom skill
        came from)."""
        job_id = secrets.token_hex(8)
        with transaction(self.state.sessions) as session:
            create_job(session, job_id, kind, len(records), user.actor)
        numbers = rows if rows is not None else list(range(1, len(records) + 1))
        self._executor.submit(
            self._run, job_id, kind, list(zip(numbers, records, strict=True)), user, filename
        )
        return job_id

    def submit_task(
        self,
        kind: str,
        total: int,
        user: Principal,
        task: Callable[[Callable[[str, int, int], None]], dict[str, Any]],
    ) -> str:
        """Run `task(progress)` as a job of this kind (a file's dry run): its progress is
        followed like an import's, and what it returns is the job's result."""
        job_id = secrets.token_hex(8)
        with transaction(self.state.sessions) as session:
            create_job(session, job_id, kind, total, user.actor)
        self._executor.submit(self._run_task, job_id, task)
        return job_id

    def view(self, row: ImportJobRow) -> dict[str, Any]:
        phase, done, total = self._live.get(row.job_id, (row.phase, row.done, row.total))
        return {
            "job_id": row.job_id,
            "kind": row.kind,
            "status": row.status if row.job_id not in self._live else "running",
            "phase": phase,
            "done": done,
            "total": total,
            "created_at": utc_iso(row.created_at),
            "finished_at": utc_iso(row.finished_at) if row.finished_at else None,
            "result": _without_source(row.result) if row.status == "succeeded" else None,
            "errors": (row.result or {}).get("errors") if row.status == "failed" else None,
        }

    def get(self, job_id: str) -> ImportJobRow | None:
        with self.state.sessions() as session:
            return get_job(session, job_id)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)

    def _stepper(self, job_id: str) -> Callable[[str, int, int], None]:
        sessions = self.state.sessions
        last = [0.0]

        def step(phase: str, done: int, total: int) -> None:
            with self._lock:
                self._live[job_id] = (phase, done, total)
            now = time.monotonic()
            # Written to the row until the import's transaction starts to write (see above).
            if phase != "storing" and phase != "stored" and now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                with transaction(sessions) as session:
                    set_progress(session, job_id, phase=phase, done=done, total=total)

        return step

    def _run_task(
        self, job_id: str, task: Callable[[Callable[[str, int, int], None]], dict[str, Any]]
    ) -> None:
        try:
            result, status = task(self._stepper(job_id)), "succeeded"
        except Exception:  # the job must end, whatever failed; the log says what
            log.exception("job %s failed", job_id)
            message = "the job failed on the server (see its log); nothing was written"
            result = {"errors": [{"index": None, "field": "", "message": message}]}
            status = "failed"
        with transaction(self.state.sessions) as session:
            finish_job(session, job_id, status=status, result=result)
        with self._lock:
            self._live.pop(job_id, None)

    def _run(
        self,
        job_id: str,
        kind: str,
        rows: list[tuple[int, dict[str, Any]]],
        user: Principal,
        filename: str | None = None,
    ) -> None:
        sessions = self.state.sessions
        step = self._stepper(job_id)
        resolver = resolver_for(self.state, user, bulk=True, job=True)
        try:
            with transaction(sessions) as session:
                items, counts = IMPORTERS[kind](session, rows, resolver, progress=step)
            step("updating the index", 0, len(items))
            reindex_imported(self.state, kind, [item.external_id for item in items])
            result = import_result(counts.created, counts.updated, resolver.report)
            result[SOURCE] = {"filename": filename}
            status = "succeeded"
        except ImportRejected as rejected:
            result, status = {"errors": rejection_detail(rejected)}, "failed"
        except Exception:  # the job must end, whatever failed; the log says what
            log.exception("import job %s failed", job_id)
            message = "the import failed on the server (see its log); nothing was written"
            result, status = (
                {"errors": [{"index": None, "field": "", "message": message}]},
                "failed",
            )
        with transaction(sessions) as session:
            finish_job(session, job_id, status=status, result=result)
        with self._lock:
            self._live.pop(job_id, None)


# Kept in a job's stored result, not part of its view: where the records came from.
SOURCE = "source"


def _without_source(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {key: value for key, value in result.items() if key != SOURCE}


def skill_origins(session: Session, skill_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The import job that first made each of these custom skills: {skill_id: {filename (None
    when not an uploaded file), at, by}}; a skill typed by someone, or made by an import
    answered at once (no job), has none."""
    wanted = set(skill_ids)
    found: dict[str, dict[str, Any]] = {}
    for job in succeeded_imports(session, tuple(IMPORTERS)):
        report = (job.result or {}).get("report") or {}
        for name in report.get("names") or []:
            skill_id = name.get("skill_id")
            # `review`: new in that import (an existing custom skill is only reused).
            if skill_id in wanted and skill_id not in found and name.get("review"):
                source = (job.result or {}).get(SOURCE) or {}
                found[skill_id] = {
                    "filename": source.get("filename"),
                    "at": job.created_at,
                    "by": job.created_by,
                }
        if len(found) == len(wanted):
            break
    return found


def _who(session: Session, actor: str | None) -> str:
    """An actor (a person's id, a token's id, or a role) in words."""
    if not actor:
        return "someone unknown"
    person = get_employee(session, actor)
    if person is not None:
        return person.name
    token = token_by_id(session, actor)
    if token is not None:
        return f"the token “{token.label}”" if token.label else f"the token {actor}"
    return "the administrator" if actor == Role.ADMIN.value else actor


def skill_origin_words(
    session: Session, skills: Sequence[tuple[str, str | None]]
) -> dict[str, str]:
    """Where each custom skill (skill_id, created_by) came from, in words: "from the import of
    workers.csv on 2026-12-05 by the administrator", "from an import on …" (no file name
    kept), "typed first by Ada Park" (a person's own edit) or "added by … through the API"."""
    origins = skill_origins(session, [skill_id for skill_id, _ in skills])
    words: dict[str, str] = {}
    for skill_id, created_by in skills:
        origin = origins.get(skill_id)
        if origin is not None:
            where = f"the import of {origin['filename']}" if origin["filename"] else "an import"
            day = utc_iso(origin["at"])[:10]
            words[skill_id] = f"from {where} on {day} by {_who(session, origin['by'])}"
        elif created_by and get_employee(session, created_by) is not None:
            words[skill_id] = f"typed first by {_who(session, created_by)}"
        else:
            words[skill_id] = f"added by {_who(session, created_by)} through the API"
    return words
