"""`talent evaluate`, `talent train` and `talent models`: the rankers trained, compared with
baselines, registered, promoted and rolled back (serving/usecases/training.py does the work)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from serving.cli.console import console
from serving.cli.database import database
from serving.settings import Settings
from serving.state import build_state

if TYPE_CHECKING:
    from distributed import Client

    from serving.usecases.training import Trained
    from training.pipeline import TrainingRun

models_app = typer.Typer(help="Ranker model versions.", no_args_is_help=True)


@contextmanager
def _dask(address: str | None) -> Iterator[Client | None]:
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


TRAINING_STATUS = "reading the company and its log; labelling, featurising and training"


def _print_trained(trained: Trained, settings: Settings) -> None:
    console.print(trained.read.describe())
    if trained.true_fit_ignored:
        from serving.usecases.training import demo_true_fit_file

        truth_file = demo_true_fit_file(settings.var_dir)
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


def evaluate(
    seed: SeedOption = 7, as_of: AsOfOption = None, min_groups: MinGroupsOption = 10
) -> None:
    """Train on the logged history and compare the rankers with baselines on the latest 15%.

    Both directions: an employee's matches (served lists) and an opportunity's candidates
    (its applicants). Scores against the logged outcomes and, for the demo company
    (var/demo/true_fit.npz), against the hidden true fit. The last line is the headline ratio
    for employees' matches.
    """
    from serving.usecases.training import demo_true_fit, train_rankers

    settings = Settings()
    state = build_state(settings, index=False)
    try:
        with console.status(TRAINING_STATUS):
            trained = train_rankers(
                state,
                seed=seed,
                as_of=as_of.date() if as_of else None,
                min_groups=min_groups,
                true_fit=demo_true_fit(settings.var_dir),
            )
    finally:
        state.close()
    _print_trained(trained, settings)
    lines = _summary_lines({d.value: r for d, r in trained.runs.items()})
    if not lines:
        raise typer.Exit(code=1)
    for line in lines:
        console.print(line)


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
    from serving.usecases.training import (
        AlreadyTraining,
        demo_true_fit,
        train_and_promote,
    )

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
                true_fit=demo_true_fit(settings.var_dir),
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
    with database(settings) as sessions:
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
    directions = meta["directions"]
    assert isinstance(directions, dict)
    for direction, info in directions.items():
        console.print(f"{direction}: {info}")
    console.print(f"written to {DEFAULTS_DIR}")


@models_app.command("promote")
def models_promote(version: Annotated[str, typer.Argument(help="a version from `list`")]) -> None:
    """Make a version live for its direction (a running server swaps to it within seconds)."""
    from training.registry import ModelRegistry, RegistryError

    settings = Settings()
    with database(settings) as sessions:
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
    with database(settings) as sessions:
        try:
            row = ModelRegistry(settings.var_dir / "models", sessions).rollback(direction)
        except RegistryError as refused:
            raise typer.BadParameter(str(refused), param_hint="--direction") from refused
    console.print(f"rolled back to {row.version}")
