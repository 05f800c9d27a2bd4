"""The `talent` command line: database, demo company, imports, index, tokens, server."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from data.importing import (
    ImportRejected,
    import_employees,
    import_opportunities,
    read_records,
)
from data.importing.demo import DemoToken
from data.private_files import write_private
from data.schemas import Role
from data.storage.engine import transaction
from data.storage.maintenance import refresh_planner_statistics
from data.storage.skills import upsert_skills
from data.storage.tokens import issue_token
from serving.settings import Settings
from serving.state import ServiceState, build_state, prepare_database

if TYPE_CHECKING:
    from fairness.audit_log import AuditLog
    from serving.usecases.training import Trained
    from training.pipeline import TrainingRun, TrueFit

app = typer.Typer(help="talent-marketplace: skill-based internal matching.", no_args_is_help=True)
taxonomy_app = typer.Typer(help="Skills taxonomy.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
models_app = typer.Typer(help="Ranker model versions.", no_args_is_help=True)
audit_app = typer.Typer(
    help="The served-ranking audit log and HR's fairness report.", no_args_is_help=True
)
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(token_app, name="token")
app.add_typer(models_app, name="models")
app.add_typer(audit_app, name="audit")
retention_app = typer.Typer(
    help="Retention periods and the purge of what is past them (docs/retention.md).",
    no_args_is_help=True,
)
app.add_typer(retention_app, name="retention")
console = Console(soft_wrap=True)

DEMO_TOKENS = (
    DemoToken("employee", Role.EMPLOYEE, "demo-employee-token"),
    DemoToken("lead", Role.LEAD, "demo-lead-token"),
    DemoToken("hr", Role.HR, "demo-hr-token"),
    # The same HR person with the permission to read served rankings item by item.
    DemoToken("hr", Role.HR, "demo-auditor-token", ("auditor",)),
)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    )


@contextmanager
def _database(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A migrated database for one command; its connections are closed afterwards."""
    engine, sessions, changes = prepare_database(settings)
    for line in changes:
        console.print(f"taxonomy upgrade: {line}")
    try:
        yield sessions
    finally:
        engine.dispose()


class ImportKind(StrEnum):
    employees = "employees"
    opportunities = "opportunities"
    history = "history"  # past applications, shortlists, offers, hires, completions


@app.command("init-db")
def init_db() -> None:
    """Create or migrate the database and load the packaged ESCO taxonomy."""
    settings = Settings()
    with _database(settings):
        pass
    console.print(f"database ready: {settings.resolved_database_url}")


@app.command()
def demo(
    employees: Annotated[int, typer.Option(min=10, help="number of employees")] = 2000,
    opportunities: Annotated[int, typer.Option(min=5, help="number of opportunities")] = 300,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same company)")] = 7,
    bias_penalty: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="historical penalty against women (0 = none)")
    ] = 0.3,
    export_dir: Annotated[
        Path | None,
        typer.Option(help="where the JSONL export goes (default: $TALENT_VAR_DIR/demo)"),
    ] = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="the company's 'today' (default: today)"),
    ] = None,
    history: Annotated[
        bool,
        typer.Option(
            "--history/--no-history",
            help="simulate a past of served lists and outcomes (--no-history: the same people, "
            "opportunities and true fit on the marketplace's first day, nothing logged)",
        ),
    ] = True,
) -> None:
    """Generate the demo company, replace the database's contents with it and export it.

    The history ends on `--as-of`, so the demo's open opportunities start after it; the same
    seed and date give the same company. `--no-history` starts it cold.
    """
    from data.demo import BiasConfig, export_jsonl, generate_company
    from data.importing.demo import store_demo_company
    from data.taxonomy.packaged import load_packaged_taxonomy
    from serving.keys import token_secret

    settings = Settings()
    if settings.environment == "production":
        # It replaces every person and posting stored, and issues documented tokens.
        console.print(
            "[red]talent demo replaces the whole database with a made-up company: refused with "
            "TALENT_ENVIRONMENT=production[/red]"
        )
        raise typer.Exit(2)
    export_dir = export_dir or settings.var_dir / "demo"
    started = time.perf_counter()
    with _database(settings) as sessions, _progress() as progress:
        tasks: dict[str, int] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=total)
            progress.update(tasks[phase], completed=done, total=total)

        company = generate_company(
            load_packaged_taxonomy(),
            employees=employees,
            opportunities=opportunities,
            seed=seed,
            as_of=as_of.date() if as_of else dt.date.today(),
            bias=BiasConfig(shortlist_penalty=bias_penalty, accept_penalty=bias_penalty),
            progress=report,
            with_history=history,
        )
        store = progress.add_task("storing", total=3)
        with transaction(sessions) as session:
            store_demo_company(
                session,
                company,
                DEMO_TOKENS,
                token_secret=token_secret(settings),
                step=lambda: progress.advance(store),
            )
        with transaction(sessions) as session:
            refresh_planner_statistics(session)
    # The old company's audit trail went with it: its chain head must not outlive it.
    (settings.var_dir / "audit" / "head.json").unlink(missing_ok=True)
    export_jsonl(company, export_dir)
    # The demo's own file: the only place its tokens are written in clear (private, 0600).
    tokens = {
        ("auditor" if demo.scopes else demo.persona): {
            "token": demo.token,
            "role": demo.role.value,
            "external_id": company.personas[demo.persona],
        }
        for demo in DEMO_TOKENS
    }
    write_private(export_dir / "tokens.json", json.dumps(tokens, indent=2) + "\n")
    summary = company.summary()
    console.print(
        f"demo company (seed {seed}) built in {time.perf_counter() - started:.1f}s: "
        f"{len(company.employees)} employees, {len(company.opportunities)} opportunities, "
        f"{len(company.interactions)} interactions; exported to {export_dir}/"
    )
    console.print_json(data=summary)


@app.command("import")
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
        with _progress() as bar:
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


@taxonomy_app.command("import-esco")
def import_esco(
    directory: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="ESCO CSV folder")
    ],
) -> None:
    """Load the official ESCO CSV download (skills_en.csv, occupations_en.csv, relations)."""
    from data.taxonomy.esco_csv import read_esco_csv

    taxonomy = read_esco_csv(directory)
    with _database(Settings()) as sessions, transaction(sessions) as session:
        written = upsert_skills(session, taxonomy.skills.values())
    console.print(
        f"imported {written} skills and {len(taxonomy.occupations)} occupations from {directory}"
    )


@token_app.command("create")
def create_token(
    role: Annotated[Role, typer.Option(help="role the token grants")],
    subject: Annotated[
        str | None, typer.Option(help="employee external id the token acts as")
    ] = None,
    label: Annotated[str, typer.Option(help="note for whoever audits tokens")] = "",
    scope: Annotated[
        list[str] | None,
        typer.Option(help="extra permission (repeatable): auditor reads rankings item by item"),
    ] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="lifetime (default TALENT_TOKEN_DAYS)")
    ] = None,
) -> None:
    """Issue a bearer token (printed once; only a keyed digest is stored)."""
    from data.storage.employees import get_employee
    from data.storage.tokens import SCOPES
    from serving.keys import token_secret

    if role in (Role.EMPLOYEE, Role.LEAD, Role.HR) and not subject:
        # A person's token acts as that person: what it does is logged under their name.
        raise typer.BadParameter(
            "employee, lead and HR tokens need --subject (the person it acts as)",
            param_hint="--subject",
        )
    if role is Role.SCIM and subject:
        # The HR system's provisioning token opens /scim/v2 only and acts as nobody.
        raise typer.BadParameter(
            "a provisioning (scim) token acts as no person", param_hint="--subject"
        )
    unknown = sorted(set(scope or []) - set(SCOPES))
    if unknown:
        raise typer.BadParameter(
            f"unknown scope {unknown[0]!r}; known: {', '.join(SCOPES)}", param_hint="--scope"
        )
    if scope and role not in (Role.HR, Role.ADMIN):
        raise typer.BadParameter(
            "the auditor permission is for HR and admin tokens", param_hint="--scope"
        )
    settings = Settings()
    with _database(settings) as sessions, transaction(sessions) as session:
        if subject is not None and get_employee(session, subject) is None:
            raise typer.BadParameter(
                f"no employee {subject!r} in {settings.resolved_database_url}",
                param_hint="--subject",
            )
        issued = issue_token(
            session,
            secret=token_secret(settings),
            role=role,
            subject_external_id=subject,
            label=label,
            scopes=scope or (),
            lifetime=dt.timedelta(days=days or settings.token_days),
        )
    console.print(issued.token, markup=False, highlight=False)
    console.print(
        f"[dim]id {issued.token_id}, expires {issued.expires_at:%Y-%m-%d}; "
        f"revoke with `talent token revoke {issued.token_id}`[/dim]"
    )


@token_app.command("list")
def list_tokens_command() -> None:
    """Every token's id, role, subject, permissions, expiry and state (never the token)."""
    from data.storage.tokens import list_tokens, token_state

    with _database(Settings()) as sessions, sessions() as session:
        rows = list_tokens(session)
        table = Table(title=f"{len(rows)} tokens")
        table.add_column("id", no_wrap=True, min_width=12)  # what `token revoke` takes
        for column in ("role", "acts as", "scopes", "label", "created", "expires", "state"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                row.token_id,
                row.role,
                row.subject_external_id or "",
                ",".join(row.scopes or []),
                row.label,
                f"{row.created_at:%Y-%m-%d}",
                f"{row.expires_at:%Y-%m-%d}" if row.expires_at else "",
                token_state(row),
            )
    console.print(table)


@token_app.command("revoke")
def revoke_token_command(
    token_id: Annotated[str, typer.Argument(help="the id shown by `token create` / `token list`")],
) -> None:
    """Withdraw a token at once (requests with it answer 401)."""
    from data.storage.tokens import revoke_token

    with _database(Settings()) as sessions, transaction(sessions) as session:
        row = revoke_token(session, token_id)
    if row is None:
        raise typer.BadParameter(f"no token with id {token_id!r}", param_hint="TOKEN_ID")
    console.print(
        f"revoked token {token_id} ({row.role}, {row.subject_external_id or 'no subject'})"
    )


@app.command()
def index(
    taxonomy: Annotated[
        bool,
        typer.Option(
            "--taxonomy/--no-taxonomy",
            help="also encode the taxonomy's skill labels and occupation titles (~77k texts, "
            "minutes on two cores; --no-taxonomy: a server encodes them in the background "
            "and serves lexical skill and title lookups meanwhile)",
        ),
    ] = True,
) -> None:
    """Encode profile texts (kept in var/vectors) and build the search indexes.

    Every text is encoded once, ever: the profiles' skill labels, the taxonomy's labels and
    the occupation titles share one store, so a second run encodes only what is new.
    """
    started = time.perf_counter()
    console.print("encoding profile texts (new ones only) and building the FAISS indexes")
    state = build_state(Settings())
    profiles = state.encoder.texts_encoded
    if taxonomy:
        missing = state.normalizer.missing_vectors() + state.occupations.missing_vectors()
        console.print(
            f"the labels of {len(state.taxonomy)} taxonomy skills and the titles of "
            f"{len(state.occupations)} occupations: {missing} texts not yet encoded"
        )
        state.warm_up(background=False)
    state.close()
    sizes = ", ".join(f"{name}={size}" for name, size in state.matcher.sizes.items())
    console.print(
        f"indexed in {time.perf_counter() - started:.1f}s ({sizes}); "
        f"{len(state.vectors)} stored text vectors; "
        f"{state.encoder.texts_encoded} texts encoded by the transformer in this run "
        f"({profiles} for profiles)"
    )


@contextmanager
def _dask(address: str | None) -> Iterator[object | None]:
    """The Dask cluster at `address` for one command (None: train here)."""
    from training.distributed import DaskUnavailable, dask_client

    if address is None:
        yield None
        return
    try:
        with dask_client(address) as client:
            console.print(
                f"training on the Dask cluster at {address} "
                f"({len(client.scheduler_info()['workers'])} workers)"
            )
            yield client
    except DaskUnavailable as exc:
        console.print(f"[red]--dask {address}[/]: {exc}")
        raise typer.Exit(code=2) from exc


def _demo_true_fit(settings: Settings) -> TrueFit | None:
    """The demo company's hidden true fit (var/demo/true_fit.npz), when there is one."""
    from data.demo import load_true_fit

    truth_file = settings.var_dir / "demo" / "true_fit.npz"
    if not truth_file.exists():
        return None
    truth = load_true_fit(truth_file)
    return (truth.fit, truth.employee_ids, truth.opportunity_ids)


TRAINING_STATUS = "reading the company and its log; labelling, featurising and training"


def _print_trained(trained: Trained, settings: Settings) -> None:
    console.print(trained.read.describe())
    if trained.true_fit_ignored:
        truth_file = settings.var_dir / "demo" / "true_fit.npz"
        console.print(f"[yellow]{truth_file} is not this company's true fit: not used[/]")
    for run in trained.runs.values():
        if isinstance(run, Exception):
            console.print(f"[yellow]not trained[/]: {run}")
        else:
            _print_evaluation(run)


def _print_evaluation(run: TrainingRun) -> None:
    result, sizes = run.evaluation, run.sizes
    table = Table(
        title=f"{run.direction.value} direction, held-out period: {sizes['test_groups']} "
        f"query groups ({sizes['test_informative_groups']} with differing labels), "
        f"{sizes['test_rows']} rows",
        caption="fit@10: NDCG@10 against the demo's hidden true fit (what is right)",
    )
    table.add_column("ranker", no_wrap=True, min_width=28)
    for column in ("NDCG@5", "NDCG@10", "MAP", "rec@5", "fit@10"):
        table.add_column(column, no_wrap=True)
    for name, metrics in result.logged.items():
        table.add_row(
            name,
            *(f"{metrics[m]:.4f}" for m in ("ndcg@5", "ndcg@10", "map", "recall@5")),
            f"{result.true_fit_ndcg10[name]:.4f}" if name in result.true_fit_ndcg10 else "n/a",
        )
    console.print(table)
    if run.position_bias is not None:
        console.print(
            f"position bias in the training logs: examination ~ (1/position)^eta with eta = "
            f"{run.position_bias.eta:.2f} (intervention harvesting over "
            f"{int(run.position_bias.support[0])} pairs shown first); `ranker` is trained to "
            "discount it, `ranker_no_position_debiasing` is the same model without that"
        )


SeedOption = Annotated[int, typer.Option(help="training seed")]
AsOfOption = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="reference date for tenure and time zones"),
]


def _summary_lines(runs: Mapping[str, TrainingRun | Exception]) -> list[str]:
    """One headline per trained direction; the employee direction's comes last."""
    lines = []
    for direction in ("opportunity", "employee"):
        run = runs.get(direction)
        if run is None or isinstance(run, Exception):
            continue
        label = "evaluate" if direction == "employee" else "evaluate-candidates"
        lines.append(run.evaluation.summary_line(label))
    return lines


MinGroupsOption = Annotated[
    int,
    typer.Option(
        "--min-groups",
        min=1,
        help="fewest query groups with differing grades each of train/valid/test must hold "
        "before a direction is trained (a pilot with little history may lower it)",
    ),
]


@app.command()
def evaluate(
    seed: SeedOption = 7, as_of: AsOfOption = None, min_groups: MinGroupsOption = 10
) -> None:
    """Train on the logged history and compare the rankers with baselines on the latest 15%.

    Both directions: an employee's matches (served lists) and an opportunity's candidates
    (its applicants). Scores against the logged outcomes and, for the demo company
    (var/demo/true_fit.npz), against the hidden true fit. The last line is the headline ratio
    for employees' matches.
    """
    from serving.usecases.training import train_rankers

    settings = Settings()
    state = build_state(settings, index=False)
    try:
        with console.status(TRAINING_STATUS):
            trained = train_rankers(
                state,
                seed=seed,
                as_of=as_of.date() if as_of else None,
                min_groups=min_groups,
                true_fit=_demo_true_fit(settings),
            )
    finally:
        state.close()
    _print_trained(trained, settings)
    lines = _summary_lines({d.value: r for d, r in trained.runs.items()})
    if not lines:
        raise typer.Exit(code=1)
    for line in lines:
        console.print(line)


@app.command()
def train(
    seed: SeedOption = 7,
    as_of: AsOfOption = None,
    promote: Annotated[bool, typer.Option(help="make the new versions live")] = False,
    min_groups: MinGroupsOption = 10,
    dask: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="train on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786)",
        ),
    ] = None,
) -> None:
    """Train a ranker per direction, evaluate it and register a new model version for each.

    It learns from the interaction log and from every list the service served (the audit
    log's records); a direction with too little history is refused, with the counts. With
    --promote, a version goes live only if it passes the promotion gate: quality on the
    held-out lists and, for the candidates' ranker, fairness (its selection impact ratio)."""
    from serving.usecases.training import AlreadyTraining, train_and_promote

    settings = Settings()
    state = build_state(settings, index=False)
    try:
        with _dask(dask) as client, console.status(TRAINING_STATUS):
            result = train_and_promote(
                state,
                seed=seed,
                as_of=as_of.date() if as_of else None,
                min_groups=min_groups,
                promote=promote,
                true_fit=_demo_true_fit(settings),
                dask_client=client,
                on_trained=lambda trained: _print_trained(trained, settings),
            )
    except AlreadyTraining as busy:
        console.print(f"[red]not trained[/]: {busy}")
        raise typer.Exit(code=1) from busy
    finally:
        state.close()
    if not any(d.version for d in result.directions.values()):
        console.print("[red]nothing trained[/]: the log holds too little history")
        raise typer.Exit(code=1)
    for line in result.outcome_lines(promote=promote):
        refused = line.startswith("not promoted")
        console.print(line, style="yellow" if refused else None, markup=False)
    trained = {d: r.run for d, r in result.directions.items() if r.run is not None}
    for line in _summary_lines(trained):
        console.print(line)


@models_app.command("list")
def models_list() -> None:
    """Model versions, newest first, and which model serves each direction now."""
    from training.cold_start import load_default_ranker
    from training.registry import DIRECTIONS, ModelRegistry

    settings = Settings()
    with _database(settings) as sessions:
        registry = ModelRegistry(settings.var_dir / "models", sessions)
        versions = registry.versions()
        live = {d: registry.live(d) for d in DIRECTIONS}
    table = Table(title="model versions")
    for column in ("version (direction-date-time-data)", "status", "NDCG@10", "fit@10"):
        table.add_column(column, no_wrap=True)
    for v in versions:
        table.add_row(
            v.version,
            v.status,
            f"{v.metrics.get('test_ndcg@10', float('nan')):.4f}",
            f"{v.metrics.get('test_true_fit_ndcg@10', float('nan')):.4f}",
        )
    console.print(table)
    for direction, row in live.items():
        if row is not None:
            console.print(f"live {direction}: {row.version} (company model)")
        else:
            default = load_default_ranker(direction)
            console.print(
                f"live {direction}: {default.version} (packaged default, trained on generated "
                "demo companies; train and promote your own with `talent train --promote`)"
            )


@models_app.command("build-default")
def models_build_default(
    seed: SeedOption = 7,
) -> None:
    """Retrain the packaged cold-start rankers (maintainers; after a feature change)."""
    from data.taxonomy.packaged import load_packaged_taxonomy
    from matching.encoder import SentenceEncoder
    from matching.skill_vectors import SkillVectorCache
    from training.cold_start import DEFAULTS_DIR, build_default_rankers

    settings = Settings()
    encoder = SentenceEncoder(device=settings.encoder_device)
    cache = SkillVectorCache(encoder, settings.var_dir / "vectors" / "skill_vectors.npz")
    with console.status("generating companies and training the default rankers"):
        meta = build_default_rankers(load_packaged_taxonomy(), cache.vectors, seed=seed)
    cache.save()
    for direction, info in meta["directions"].items():  # type: ignore[union-attr]
        console.print(f"{direction}: {info}")
    console.print(f"written to {DEFAULTS_DIR}")


@models_app.command("promote")
def models_promote(version: Annotated[str, typer.Argument(help="a version from `list`")]) -> None:
    """Make a version live for its direction (a running server swaps to it within seconds)."""
    from training.registry import ModelRegistry, RegistryError

    settings = Settings()
    with _database(settings) as sessions:
        try:
            row = ModelRegistry(settings.var_dir / "models", sessions).promote(version)
        except RegistryError as refused:
            raise typer.BadParameter(str(refused), param_hint="VERSION") from refused
    console.print(f"promoted {row.version} ({row.direction})")


@models_app.command("rollback")
def models_rollback(
    direction: Annotated[str, typer.Option(help="employee or opportunity")] = "employee",
) -> None:
    """Re-promote the version that was live before the current one."""
    from training.registry import ModelRegistry, RegistryError

    settings = Settings()
    with _database(settings) as sessions:
        try:
            row = ModelRegistry(settings.var_dir / "models", sessions).rollback(direction)
        except RegistryError as refused:
            raise typer.BadParameter(str(refused), param_hint="--direction") from refused
    console.print(f"rolled back to {row.version}")


def _audit_log(settings: Settings, sessions: sessionmaker[Session]) -> AuditLog:
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
    with _database(settings) as sessions, sessions() as session:
        result = _audit_log(settings, sessions).verify(session, checkpoint=exported)
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
    with _database(settings) as sessions, sessions() as session:
        result, exported = _audit_log(settings, sessions).export_checkpoint(session)
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


@retention_app.command("show")
def retention_show() -> None:
    """How long each kind of record is kept, and where the period comes from."""
    from serving.usecases.retention import periods

    settings = Settings()
    with _database(settings) as sessions, sessions() as session:
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
    with _database(settings) as sessions:
        try:
            done = run_purge(
                sessions,
                _audit_log(settings, sessions),
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
    with _database(settings) as sessions, sessions() as session:
        audit = _audit_log(settings, sessions)
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
    with _database(settings) as sessions, sessions() as session:
        audit = build_bias_audit(
            session,
            _audit_log(settings, sessions),
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


@app.command()
def notify(
    once: Annotated[
        bool, typer.Option("--once", help="one round, then exit (for cron and scripts)")
    ] = False,
    digests: Annotated[
        bool,
        typer.Option(
            "--digests/--no-digests",
            help="also queue the digests of new matches now due (loads the match engine)",
        ),
    ] = False,
) -> None:
    """Send the notifications that are due (failed sends retried with back-off); without
    --once, a round every TALENT_NOTIFY_SECONDS (30 when 0) until stopped."""
    from serving.notifications.delivery import Courier
    from serving.notifications.worker import RoundReport, delivery_round

    settings = Settings()
    with ExitStack() as stack:
        if digests:
            state = build_state(settings)
            stack.callback(state.close)
            state.warm_up()
            run = lambda: delivery_round(state)  # noqa: E731
        else:
            courier = Courier(settings, stack.enter_context(_database(settings)))
            run = lambda: RoundReport(0, courier.run_once())  # noqa: E731
        while True:
            report = run()
            counts = ", ".join(f"{k} {v}" for k, v in report.delivery.as_dict().items())
            console.print(f"digests queued {report.digests}; {counts}")
            if once:
                return
            try:
                time.sleep(settings.notify_seconds or 30.0)
            except KeyboardInterrupt:
                return


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="server processes, each with its models and indexes (default TALENT_WORKERS)",
        ),
    ] = None,
) -> None:
    """Serve the API and the web page."""
    import uvicorn

    from serving.app import create_app

    settings = Settings()
    host, port = host or settings.host, port or settings.port
    workers = workers or settings.workers
    _print_banner(settings, host, port)
    options = server_options(settings)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, **options)
    else:  # each worker builds its app from the same environment
        uvicorn.run(
            "serving.app:create_app", factory=True, host=host, port=port, workers=workers, **options
        )


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options: it believes X-Forwarded-For (and -Proto) only from TALENT_TRUSTED_PROXIES
    (its own default trusts 127.0.0.1, so any local client could choose its address). The
    request guard applies the same rule to the client address it limits by."""
    trusted = list(settings.trusted_proxies)
    return {
        "log_level": "info",
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }


def _print_banner(settings: Settings, host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    table = Table(title="talent-marketplace", show_header=False)
    table.add_row("web page", f"{base}/")
    table.add_row("API docs", f"{base}/docs")
    table.add_row("health", f"{base}/healthz")
    tokens_file = settings.var_dir / "demo" / "tokens.json"
    if tokens_file.exists() and settings.environment == "production":
        table.add_row("demo tokens", "refused in production (issue tokens with `talent token`)")
    elif tokens_file.exists():
        from data.storage.employees import direct_report_count

        entries = json.loads(tokens_file.read_text())
        with _database(settings) as sessions, sessions() as session:
            reports = {
                e["external_id"]: direct_report_count(session, e["external_id"])
                for e in entries.values()
            }
        for role, entry in entries.items():
            manages = reports.get(entry["external_id"], 0)
            note = f"; manages {manages}: Approvals" if manages else ""
            table.add_row(
                f"{role} token", f"{entry['token']}  (acts as {entry['external_id']}{note})"
            )
    if settings.admin_token is not None:
        table.add_row("admin token", "the value of TALENT_ADMIN_TOKEN")
    console.print(table)


def main() -> None:
    # Everything this program writes (database, exports, keys, models) holds people's data or
    # secrets: private to the service's user.
    os.umask(0o077)
    app()


if __name__ == "__main__":
    main()
