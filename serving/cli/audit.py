"""`talent audit`: the served-ranking audit log verified and checkpointed, HR's fairness report
and the bias audit."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from serving.cli.console import console
from serving.cli.database import database
from serving.settings import Settings

if TYPE_CHECKING:
    from fairness.audit_log import AuditLog

audit_app = typer.Typer(
    help="The served-ranking audit log and HR's fairness report.", no_args_is_help=True
)


def open_audit_log(settings: Settings, sessions: sessionmaker[Session]) -> AuditLog:
    from fairness.audit_log import AuditLog
    from serving.keys import audit_key

    # Only to verify and export here: the server seals as people write.
    path = settings.var_dir / "audit" / "head.json"
    return AuditLog(sessions, audit_key(settings), path, seal_writes=False)


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="a checkpoint exported earlier"),
    ] = None,
) -> None:
    """Check every record's and seal's link, and every sealed interaction and oversight event;
    exit 1 naming every edited, deleted or reordered one. With --checkpoint, also that nothing
    it vouched for was removed or rewritten. Exit 2 if the log is empty and nothing vouches
    for it (unverifiable: new, or wiped)."""
    from fairness.audit_log import Checkpoint

    settings = Settings()
    exported = None
    if checkpoint is not None:
        try:
            exported = Checkpoint.from_json(checkpoint.read_text())
        except ValueError as bad:
            raise typer.BadParameter(f"{checkpoint}: {bad}", param_hint="--checkpoint") from None
    with database(settings) as sessions, sessions() as session:
        result = open_audit_log(settings, sessions).verify(session, checkpoint=exported)
    if result.status == "unverifiable":
        console.print(
            "audit log unverifiable: it holds no record and no seal, and neither a head file "
            "nor a checkpoint says it should (a new log, or a wiped one): verify with "
            "--checkpoint FILE exported earlier"
        )
        raise typer.Exit(code=2)
    if result.ok:
        against = f", and against {checkpoint} ({exported.records} records)" if exported else ""
        sealed = ", ".join(f"{c.sealed} {name}" for name, c in result.streams.items())
        console.print(
            f"audit log intact: {result.records} records, chain verified; {result.seals} seals "
            f"over {sealed}{against}"
        )
        if result.purged != (0, 0):
            console.print(
                f"verified from the last retention purge's signed checkpoint (records up to "
                f"{result.purged[0]} and seals up to {result.purged[1]} were purged)"
            )
        if result.redacted:
            console.print(
                f"{result.redacted} records and rows were pseudonymised by an erasure, each "
                "vouched for by a redaction signed with the audit key"
            )
        pending = sum(c.pending for c in result.streams.values())
        if pending:
            console.print(f"{pending} rows written since the last seal (sealed within moments)")
        return
    for problem in result.problems:
        console.print(f"[red]{problem}[/]", markup=True, highlight=False)
    console.print(
        f"audit log NOT intact: {len(result.problems)} problem(s) in {result.records} records"
    )
    raise typer.Exit(code=1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[Path, typer.Option(help="where to write it (keep a copy off this machine)")],
) -> None:
    """Seal every interaction and oversight event written so far, verify the log, then write a
    signed checkpoint of it (record and seal counts, newest seals)."""
    settings = Settings()
    with database(settings) as sessions, sessions() as session:
        result, exported = open_audit_log(settings, sessions).export_checkpoint(session)
    if exported is None:
        for problem in result.problems:
            console.print(f"[red]{problem}[/]", highlight=False)
        console.print("no checkpoint written: the log does not verify")
        raise typer.Exit(code=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(exported.to_json())
    console.print(
        f"wrote {out}: {exported.records} records, {exported.seals} seals, "
        f"head {exported.head[:16]}…"
    )


@audit_app.command("report")
def audit_report(
    start: Annotated[
        dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="first day")
    ] = None,
    end: Annotated[
        dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="last day")
    ] = None,
    out: Annotated[Path, typer.Option(help="HTML file to write; JSON goes next to it")] = Path(
        "var/reports/fairness.html"
    ),
) -> None:
    """HR's fairness report for [from, to]: HTML with charts, and the same figures as JSON."""
    from fairness.report_html import render_html
    from serving.usecases.audit import fairness_report
    from training.live import LiveRankers
    from training.registry import ModelRegistry

    settings = Settings()
    first = start.replace(tzinfo=dt.UTC) if start else None
    after_last = end.replace(tzinfo=dt.UTC) + dt.timedelta(days=1) if end else None
    with database(settings) as sessions, sessions() as session:
        audit = open_audit_log(settings, sessions)
        rankers = LiveRankers(ModelRegistry(settings.var_dir / "models", sessions))
        rankers.refresh()
        with console.status("computing the fairness report"):
            report = fairness_report(
                session, audit, rankers, first, after_last, min_cell=settings.min_cell_size
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report))
    out.with_suffix(".json").write_text(json.dumps(report.as_dict(), indent=1) + "\n")
    console.print(f"wrote {out} and {out.with_suffix('.json')}")
    for breach in report.breaches:
        console.print(f"[red]below four-fifths[/]: {breach}")


class AuditKind(StrEnum):
    all = "all"
    gig = "gig"
    mentorship = "mentorship"
    role = "role"


@audit_app.command("bias-audit")
def audit_bias_audit(
    start: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="first day")],
    end: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="last day, included")],
    out: Annotated[Path, typer.Option(help="FILE.csv, .pdf, .html or .json")],
    kind: Annotated[AuditKind, typer.Option(help="one kind of opportunity, or all")] = (
        AuditKind.all
    ),
    every_cell: Annotated[
        bool,
        typer.Option(
            "--every-cell/--suppress-small-cells",
            help="show cells under TALENT_MIN_CELL_SIZE people (the independent auditor's copy)",
        ),
    ] = False,
) -> None:
    """The bias audit of [start, end] in NYC Local Law 144's form (docs/bias-audit.md)."""
    from fairness.bias_audit import build_bias_audit
    from serving.usecases.bias_audit import rendered

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "pdf", "html", "json"):
        raise typer.BadParameter("write a .csv, .pdf, .html or .json file", param_hint="--out")
    if end < start:
        raise typer.BadParameter("the period ends before it starts", param_hint="--end")
    settings = Settings()
    with database(settings) as sessions, sessions() as session:
        audit = build_bias_audit(
            session,
            open_audit_log(settings, sessions),
            start.date(),
            end.date(),
            kind=None if kind is AuditKind.all else kind.value,
        )
    document = audit.as_dict(None if every_cell else settings.min_cell_size)
    body = json.dumps(document, indent=1) + "\n" if fmt == "json" else rendered(document, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(body, bytes):
        out.write_bytes(body)
    else:
        out.write_text(body, encoding="utf-8")
    console.print(
        f"wrote {out}: {document['applications']} applications, "
        f"{document['candidate_lists']} candidate lists"
    )
