"""`talent retention`: retention periods, and the purge of what is past them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from serving.cli.audit import open_audit_log
from serving.cli.console import console
from serving.cli.database import database
from serving.settings import Settings

retention_app = typer.Typer(
    help="Retention periods and the purge of what is past them (docs/retention.md).",
    no_args_is_help=True,
)


@retention_app.command("show")
def retention_show() -> None:
    """How long each kind of record is kept, and where the period comes from."""
    from serving.usecases.retention import periods

    settings = Settings()
    with database(settings) as sessions, sessions() as session:
        shown = periods(session, settings)
    table = Table(title="retention")
    for column in ("kind", "days", "minimum", "source", "what"):
        table.add_column(column)
    for name, period in shown.items():
        table.add_row(
            name,
            str(period["days"]),
            str(period["minimum_days"]),
            period["source"],
            period["meaning"],
        )
    console.print(table)


@retention_app.command("purge")
def retention_purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count only; change nothing")] = False,
    checkpoint_out: Annotated[
        Path | None,
        typer.Option(help="where to write the checkpoint exported before the purge"),
    ] = None,
) -> None:
    """Seal, verify and checkpoint the audit log, then delete what is past its period (audit
    records, seals with their interactions and oversight events, profiles of people who left,
    finished notifications); logged as an oversight event. Exit 1, deleting nothing, when the
    log does not verify."""
    from fairness.audit_log import AuditIntegrityError
    from serving.usecases.retention import run_purge

    settings = Settings()
    with database(settings) as sessions:
        try:
            done = run_purge(
                sessions,
                open_audit_log(settings, sessions),
                settings,
                actor_role="admin",
                actor="talent retention purge",
                dry_run=dry_run,
            )
        except AuditIntegrityError as refused:
            console.print(f"[red]{refused}[/]", highlight=False)
            raise typer.Exit(code=1) from None
    verb = "would delete" if dry_run else "deleted"
    counted = ", ".join(
        f"{count} {kind.replace('_', ' ')}" for kind, count in done["counts"].items()
    )
    console.print(f"retention purge {verb}: {counted}")
    if done["checkpoint"] is not None:
        path = checkpoint_out or settings.var_dir / "audit" / f"purge-{done['at'][:19]}.json"
        path = path.with_name(path.name.replace(":", "-"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(done["checkpoint"], indent=1) + "\n")
        console.print(f"checkpoint before the purge: {path} (keep a copy off this machine)")
