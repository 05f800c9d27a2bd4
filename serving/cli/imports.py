"""`talent import`: people, postings or a company's history from a file, all rows or none."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from data.importing import (
    ImportRejected,
    import_employees,
    import_opportunities,
    read_records,
)
from data.private_files import write_private
from data.storage.engine import transaction
from data.storage.maintenance import refresh_planner_statistics
from serving.cli.console import console, progress_bar
from serving.settings import Settings
from serving.state import ServiceState, build_state


class ImportKind(StrEnum):
    employees = "employees"
    opportunities = "opportunities"
    history = "history"  # past applications, shortlists, offers, hires, completions


def import_file(
    kind: Annotated[ImportKind, typer.Argument(help="what the file holds")],
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="JSONL, JSON or CSV in this contract's fields, or an HR system's CSV or XLSX "
            "export (Workday- or SuccessFactors-style columns, or a mapping saved in the admin "
            "console)",
        ),
    ],
    report: Annotated[
        Path | None,
        typer.Option(help="write the whole import report (every name, every merge) as JSON"),
    ] = None,
) -> None:
    """Import employees or opportunities (upsert by external_id), or a company's history;
    all rows or none.

    Prints what became of every name that was not an exact ESCO label, the skills merged
    within a record, and the occupations inferred from titles. `history`: one event a row
    (person, posting, event such as applied/shortlisted/offer/hired/completed, date, rating
    1-5 for a completion), from an applicant-tracking or HR export; the people and postings
    must be imported first; events already imported or logged are counted, not written."""
    if kind is ImportKind.history:
        _import_history(path, report)
        return
    importer = import_employees if kind is ImportKind.employees else import_opportunities
    state = None
    try:
        state = build_state(Settings(), index=False)
        records = _records_of(state, kind.value, path)
        resolver = state.skill_resolver(created_by="import")
        with progress_bar() as bar:
            task = bar.add_task("reading", total=len(records))

            def step(phase: str, done: int, total: int) -> None:
                bar.update(task, description=phase, completed=done, total=total)

            with transaction(state.sessions) as session:
                _, counts = importer(session, records, resolver, progress=step)
        with transaction(state.sessions) as session:
            refresh_planner_statistics(session)
    except ImportRejected as rejected:
        _refused(path, rejected, report)
        raise typer.Exit(1) from rejected
    finally:
        if state is not None:
            state.close()
    console.print(f"{path}: {counts.created} created, {counts.updated} updated")
    for line in resolver.report.lines():
        console.print(line, markup=False, highlight=False)
    if report is not None:
        write_private(report, json.dumps(resolver.report.as_dict(), indent=1) + "\n")
        console.print(f"import report: {report}")


def _refused(path: Path, rejected: ImportRejected, report: Path | None) -> None:
    """Say why an import was refused; the report file asked for lists each row's error
    (nothing was written)."""
    console.print(f"[red]{path}: {rejected}[/red]")
    console.print(rejected.report(), markup=False, highlight=False)
    if report is not None:
        errors = [{"row": e.row, "field": e.field, "message": e.message} for e in rejected.errors]
        write_private(report, json.dumps({"errors": errors}, indent=1) + "\n")
        console.print(f"errors: {report}")


def _import_history(path: Path, report: Path | None) -> None:
    """`talent import history`: data/importing/history.py, in one transaction."""
    import hashlib

    from data.importing.history import import_history

    state = None
    try:
        state = build_state(Settings(), index=False)
        records = _records_of(state, ImportKind.history.value, path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        with transaction(state.sessions) as session:
            done = import_history(session, records, source=digest)
    except ImportRejected as rejected:
        _refused(path, rejected, report)
        raise typer.Exit(1) from rejected
    finally:
        if state is not None:
            state.close()
    console.print(f"{path}: {done.rows} rows", markup=False, highlight=False)
    for line in done.lines():
        console.print(line, markup=False, highlight=False)
    if report is not None:
        write_private(report, json.dumps(done.as_dict(), indent=1) + "\n")
        console.print(f"import report: {report}")


def _records_of(state: ServiceState, kind: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The file's records: this contract's own files as they are; an export's columns mapped
    as the admin console maps them (serving/usecases/file_imports.py), the mapping printed."""
    from data.importing.tables import FileProblem, read_table
    from serving.usecases.file_imports import export_records, is_contract_table

    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return read_records(path)  # JSON lines or an array; anything else refused by its type
    if suffix == ".csv":
        try:
            headers = read_table(path.name, path.read_bytes()).headers
        except FileProblem:
            headers = []  # read_records says what is wrong with it
        if not headers or is_contract_table(kind, headers):
            return read_records(path)
    with state.sessions() as session:
        records, mapping, remembered = export_records(session, kind, path.name, path.read_bytes())
    how = "the mapping saved for these columns" if remembered else "columns read by their names"
    used = ", ".join(f"{h} → {f}" for h, f in mapping.items() if f is not None)
    skipped = [h for h, f in mapping.items() if f is None]
    console.print(f"{path.name}: {how}: {used}", markup=False, highlight=False)
    if skipped:
        console.print(f"not imported: {', '.join(skipped)}", markup=False, highlight=False)
    return records
