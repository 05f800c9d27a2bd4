"""The admin console's import of an uploaded CSV or XLSX export: read its header row and
propose a column mapping (the one remembered for these columns first), try the import without
writing anything (a dry run: the report it would give, errors by row and field), then run it
as a background job (serving/usecases/imports.py) and remember the mapping for next time."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy.orm import Session

from data.importing import ImportRejected
from data.importing.errors import RowError
from data.importing.mapping import (
    FIELDS,
    Mapped,
    MappingProblem,
    apply_mapping,
    check_mapping,
    field_list,
    propose_mapping,
)
from data.importing.service import Progress
from data.importing.tables import FileProblem, Table, header_key, read_table
from data.storage.import_mappings import save_mapping, saved_mapping
from data.storage.queries import rows_by_external_id
from data.storage.tables import EmployeeRow, OpportunityRow
from serving.auth import Principal
from serving.errors import InvalidField, NotFound
from serving.state import ServiceState
from serving.timestamps import utc_iso
from serving.usecases.imports import IMPORTERS, REPORT_LIMIT, jobs_of
from serving.usecases.serving_context import resolver_for

TABLES = {"employees": EmployeeRow, "opportunities": OpportunityRow}


def uploaded_table(filename: str, content: str) -> Table:
    """The file sent (base64) as a table; 422 naming the problem otherwise."""
    try:
        raw = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidField("content", "must be the file's bytes in base64") from None
    try:
        return read_table(filename, raw)
    except FileProblem as problem:
        raise InvalidField("file", str(problem)) from None


def columns(session: Session, kind: str, filename: str, table: Table) -> dict[str, Any]:
    """The header row, a few values of each column, and the mapping to start from: the one
    remembered for these columns, else the one the headers suggest."""
    remembered = saved_mapping(session, kind, header_key(table.headers))
    proposed = propose_mapping(kind, table.headers)
    mapping = proposed
    if remembered is not None:
        mapping = {h: remembered.mapping.get(h, proposed[h]) for h in table.headers}
    return {
        "kind": kind,
        "filename": filename,
        "rows": len(table.rows),
        "headers": table.headers,
        "samples": table.samples(),
        "fields": field_list(kind),
        "mapping": mapping,
        "remembered": None
        if remembered is None
        else {"by": remembered.updated_by, "at": utc_iso(remembered.updated_at)},
    }


def mapped_rows(
    kind: str, table: Table, mapping: dict[str, str | None] | None, defaults: dict[str, str]
) -> Mapped:
    chosen = mapping if mapping is not None else propose_mapping(kind, table.headers)
    try:
        check_mapping(kind, table.headers, chosen, defaults)
    except MappingProblem as problem:
        raise InvalidField(problem.field, problem.message) from None
    return apply_mapping(kind, table, chosen, defaults)


def is_contract_table(kind: str, headers: list[str]) -> bool:
    """A CSV whose header row is this contract's own field names (read as documented in
    data/importing/files.py); any other header row is an export to map."""
    names = set(FIELDS[kind]) - {"first_name", "last_name"}
    return bool(headers) and all(h.strip() in names for h in headers)


def export_records(
    session: Session, kind: str, filename: str, content: bytes
) -> tuple[list[tuple[int, dict[str, Any]]], dict[str, str | None], bool]:
    """An HR system's export read the way the admin console reads it: the mapping remembered
    for these columns, else the one the headers suggest; (records, mapping, remembered?).
    Unreadable cells and a mapping that cannot import the file refuse it, naming where."""
    try:
        table = read_table(filename, content)
    except FileProblem as problem:
        raise ImportRejected([RowError(0, "file", str(problem))]) from None
    remembered = saved_mapping(session, kind, header_key(table.headers))
    proposed = propose_mapping(kind, table.headers)
    mapping = proposed
    if remembered is not None:
        mapping = {h: remembered.mapping.get(h, proposed[h]) for h in table.headers}
    try:
        check_mapping(kind, table.headers, mapping, {})
    except MappingProblem as problem:
        raise ImportRejected([RowError(0, problem.field, problem.message)]) from None
    mapped = apply_mapping(kind, table, mapping, {})
    if mapped.errors:
        raise ImportRejected(mapped.errors)
    return mapped.records, mapping, remembered is not None


class _BeforeWriting(Exception):
    """Raised by the dry run's progress callback when the import is about to write."""


DRY_RUN = "dry"  # a dry run job's kind: "dry-employees" (the column holds 20 characters)


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def dry_run(
    state: ServiceState,
    user: Principal,
    kind: str,
    mapped: Mapped,
    progress: Progress = _no_progress,
) -> dict[str, Any]:
    """What the import would do: every check and every name resolved, stopped where it would
    start writing (and in a transaction rolled back all the same), so nothing is written, not
    even the new custom skills the report lists."""

    def _stop_before_writing(phase: str, done: int, total: int) -> None:
        if phase == "storing":
            raise _BeforeWriting
        progress(phase, done, total)

    resolver = resolver_for(state, user, bulk=True, job=True)
    errors = list(mapped.errors)
    session = state.sessions()
    try:
        ids = sorted({str(r.get("external_id")) for _, r in mapped.records if r.get("external_id")})
        existing = set(rows_by_external_id(session, TABLES[kind], ids))
        try:
            IMPORTERS[kind](session, mapped.records, resolver, progress=_stop_before_writing)
        except _BeforeWriting:
            pass
        except ImportRejected as rejected:
            errors.extend(rejected.errors)
    finally:
        session.rollback()
        session.close()
    ordered = ImportRejected(errors).errors  # by row, then field
    # A stored record the file gives exactly as stored is unchanged, not an update (known only
    # once every row resolved: with errors, the stored ones count as updates).
    unchanged = len(set(resolver.report.unchanged) & existing)
    return {
        "kind": kind,
        "rows": len(mapped.records),
        "create": len(set(ids) - existing),
        "update": len(existing) - unchanged,
        "unchanged": unchanged,
        "review_threshold": state.normalizer.min_score,
        "errors": [_row_error(e) for e in ordered[:REPORT_LIMIT]],
        "error_count": len(ordered),
        "skill_notes": [n.as_dict() for n in mapped.notes[:REPORT_LIMIT]],
        "skill_note_count": len(mapped.notes),
        "report": resolver.report.as_dict(limit=REPORT_LIMIT),
    }


def dry_run_job(state: ServiceState, user: Principal, kind: str, mapped: Mapped) -> dict[str, Any]:
    """The dry run as a background job (a large file takes a while): its view to poll."""
    jobs = jobs_of(state)
    job_id = jobs.submit_task(
        f"{DRY_RUN}-{kind}",
        len(mapped.records),
        user,
        lambda progress: dry_run(state, user, kind, mapped, progress),
    )
    return dry_run_view(state, job_id)


def dry_run_view(state: ServiceState, job_id: str) -> dict[str, Any]:
    jobs = jobs_of(state)
    row = jobs.get(job_id)
    if row is None or not row.kind.startswith(DRY_RUN):
        raise NotFound(f"no dry run {job_id!r}")
    view = jobs.view(row)
    return view | {"kind": row.kind.removeprefix(f"{DRY_RUN}-")}


def start_import(
    state: ServiceState,
    session: Session,
    user: Principal,
    kind: str,
    table: Table,
    mapping: dict[str, str | None],
    mapped: Mapped,
    *,
    filename: str | None = None,
) -> dict[str, Any]:
    """Remember the mapping for these columns and run the import as a job; cells that cannot
    be read refuse it first (422, every one by row and field). `filename` is kept with the
    job's result (where its new custom skills came from)."""
    if mapped.errors:
        raise InvalidField(
            "file",
            "; ".join(f"row {e.row}, {e.field}: {e.message}" for e in mapped.errors[:20]),
        )
    jobs = jobs_of(state)
    # The job first: it writes its row in a transaction of its own, which on SQLite would
    # wait for this request's, were the mapping written first.
    job_id = jobs.submit(
        kind,
        [r for _, r in mapped.records],
        user,
        rows=[n for n, _ in mapped.records],
        filename=filename,
    )
    save_mapping(
        session,
        kind=kind,
        header_key=header_key(table.headers),
        headers=table.headers,
        mapping=mapping,
        by=user.actor,
    )
    row = jobs.get(job_id)
    assert row is not None  # just created
    return jobs.view(row)


def _row_error(error: RowError) -> dict[str, Any]:
    return {"row": error.row, "field": error.field, "message": error.message}
