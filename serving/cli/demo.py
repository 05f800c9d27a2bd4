"""`talent demo`: the demo company, generated, stored and exported with its tokens."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from data.importing.demo import DemoToken
from data.private_files import write_private
from data.schemas import Role
from data.storage.engine import transaction
from data.storage.maintenance import refresh_planner_statistics
from serving.cli.console import console, progress_bar
from serving.cli.database import database
from serving.settings import Settings

if TYPE_CHECKING:
    from rich.progress import TaskID

DEMO_TOKENS = (
    DemoToken("employee", Role.EMPLOYEE, "demo-employee-token"),
    DemoToken("lead", Role.LEAD, "demo-lead-token"),
    DemoToken("hr", Role.HR, "demo-hr-token"),
    # The same HR person with the permission to read served rankings item by item.
    DemoToken("hr", Role.HR, "demo-auditor-token", ("auditor",)),
)


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
    with database(settings) as sessions, progress_bar() as progress:
        tasks: dict[str, TaskID] = {}

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
