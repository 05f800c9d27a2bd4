"""Training as one call: read the company and its log, train a ranker per direction, gate it
(quality, off-policy value on the explored lists, and fairness for the candidates' ranker),
register it and promote what passes.

Used by `talent train` (which prints the result), by the server's scheduled retraining
(`RetrainingSchedule`, every TALENT_RETRAIN_HOURS) and by bench/loop.py. One run at a time: a
process-wide lock, and on PostgreSQL an advisory lock (data/storage/locks.py) so two server
workers, or a server and the command line, never train together; a second caller is told
at once (`AlreadyTraining`) instead of waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from data.storage.engine import transaction
from data.storage.locks import TRAINING_LOCK, try_exclusive
from fairness.model_gate import held_out_selection_gate
from serving.state import ServiceState
from serving.usecases.interleaving import (
    RunningTest,
    end_retraining_test,
    running_challenger,
    running_test,
    start_retraining_test,
)
from serving.usecases.off_policy_gate import OffPolicyGate, off_policy_gate
from serving.usecases.training_data import served_impressions
from training.company import load_company
from training.evaluate import GATE_MIN_GROUPS, Evaluation, gate_undecided, promotion_gate
from training.groups import Direction
from training.model_card import model_card
from training.pipeline import NotEnoughHistory, TrainingRun, TrueFit, evaluate_company
from training.registry import RegistryError

if TYPE_CHECKING:  # an optional dependency (training/distributed.py), imported when asked for
    from distributed import Client

logger = logging.getLogger(__name__)
_RUNNING = threading.Lock()


class AlreadyTraining(RuntimeError):
    """Another training run (this process or another) holds the training lock."""


@dataclass(frozen=True, slots=True)
class LogRead:
    """What the run read: the interaction log and the lists the audit log holds."""

    events: int
    employee_lists: int
    employee_impressions: int  # of people and postings still in the company
    candidate_lists: int
    candidate_impressions: int  # counted, not labelled (training/groups.py)

    def describe(self) -> str:
        return (
            f"the log: {self.events} events; the audit log: {self.employee_lists} "
            f"employees' lists ({self.employee_impressions} impressions), "
            f"{self.candidate_lists} candidate lists ({self.candidate_impressions} "
            "impressions, not labelled)"
        )


@dataclass(frozen=True, slots=True)
class Gate:
    allowed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class DirectionResult:
    direction: str
    run: TrainingRun | None = None
    not_trained: str | None = None  # why no model was trained (too little history)
    version: str | None = None  # registered as
    quality: Gate | None = None
    fairness: Gate | None = None  # candidates' models only
    promoted: bool = False
    off_policy: Gate | None = None  # on the explored lists (serving/usecases/off_policy_gate.py)
    # The interleaving test this run judged (before training) and the one it started, in words.
    interleaving_judged: str | None = None
    interleaving_started: str | None = None
    promoted_by_interleaving: str | None = None  # the version a won test promoted

    @property
    def refusal(self) -> str | None:
        """Why a registered model may not replace the live one (None: it may)."""
        gates = (self.quality, self.fairness, self.off_policy)
        refused = [g.reason for g in gates if g and not g.allowed]
        return "; ".join(refused) or None


@dataclass(frozen=True, slots=True)
class Trained:
    """Runs per direction, before gating (what `talent evaluate` reports)."""

    read: LogRead
    runs: dict[Direction, TrainingRun | NotEnoughHistory]
    true_fit_ignored: bool  # a true fit was handed in for another company


@dataclass(frozen=True, slots=True)
class TrainingResult:
    read: LogRead
    directions: dict[str, DirectionResult] = field(default_factory=dict)
    true_fit_ignored: bool = False

    @property
    def promoted(self) -> list[str]:
        by_gate = [d.version for d in self.directions.values() if d.promoted and d.version]
        won = [d.promoted_by_interleaving for d in self.directions.values()]
        return [*(v for v in won if v), *by_gate]

    def registered(self, direction: str) -> str | None:
        result = self.directions.get(direction)
        return result.version if result else None

    def outcome_lines(self, *, promote: bool) -> list[str]:
        """Per direction what became of it, as `talent train` prints it."""
        lines = []
        for result in self.directions.values():
            if result.interleaving_judged:
                lines.append(result.interleaving_judged)
            if result.version is None:
                continue
            lines.append(f"registered {result.version}")
            if not promote:
                continue
            if result.promoted:
                assert result.quality is not None
                why = result.quality.reason
                if result.fairness is not None:
                    why += f"; fairness: {result.fairness.reason}"
                if result.off_policy is not None:
                    why += f"; {result.off_policy.reason}"
                lines.append(f"promoted {result.version} ({why})")
            else:
                lines.append(f"not promoted {result.version}: {result.refusal}")
            if result.interleaving_started:
                lines.append(result.interleaving_started)
        return lines


def demo_true_fit_file(var_dir: Path) -> Path:
    """Where `talent demo` leaves its company's hidden true fit."""
    return var_dir / "demo" / "true_fit.npz"


def demo_true_fit(var_dir: Path) -> TrueFit | None:
    """The demo company's hidden true fit, when there is one (`train_rankers` ignores it for
    another company)."""
    # Imported here: the server never loads the demo simulator (tests/test_layers.py).
    from data.demo import load_true_fit

    truth_file = demo_true_fit_file(var_dir)
    if not truth_file.exists():
        return None
    truth = load_true_fit(truth_file)
    return (truth.fit, truth.employee_ids, truth.opportunity_ids)


def train_rankers(
    state: ServiceState,
    *,
    seed: int = 7,
    as_of: dt.date | None = None,
    min_groups: int = 10,
    true_fit: TrueFit | None = None,
    dask_client: Client | None = None,
) -> Trained:
    """Label the stored history and train/evaluate both directions against the live models."""
    with state.sessions() as session:
        company = load_company(session)
        served = served_impressions(session)
    # The models serving now, scored on the same held-out lists (the promotion gate).
    incumbents = {
        Direction(d): (state.rankers.get(d).version, state.rankers.get(d).ranker)
        for d in state.rankers.describe()
    }
    known = {o.external_id for o in company.opportunities}
    people = {e.external_id for e in company.employees}
    shown, shown_to_leads = (
        [
            i
            for i in found
            if i.opportunity_external_id in known and i.employee_external_id in people
        ]
        for found in (served.impressions, served.candidate_impressions)
    )
    read = LogRead(
        len(company.interactions),
        served.lists,
        len(shown),
        served.candidate_lists,
        len(served.candidate_impressions),
    )
    ignored = true_fit is not None and not (
        people <= set(true_fit[1]) and known <= set(true_fit[2])
    )
    if not company.employees or not company.opportunities:  # a new instance: nothing to fit
        empty = f"the company has {len(people)} people and {len(known)} opportunities"
        runs: dict[Direction, TrainingRun | NotEnoughHistory] = {
            d: NotEnoughHistory(f"{d.value} direction: {empty}") for d in Direction
        }
        return Trained(read, runs, ignored)
    runs = evaluate_company(
        company.employees,
        company.opportunities,
        [*company.interactions, *shown],
        embed=state.matcher.cache.vectors,
        skill_labels=lambda skill: state.taxonomy.skills[skill].label,
        reference_date=as_of or dt.date.today(),
        true_fit=None if ignored else true_fit,
        seed=seed,
        min_informative_groups=min_groups,
        other_lists={i.request_id for i in served.candidate_impressions},
        candidate_lists=shown_to_leads,
        incumbents=incumbents,
        dask_client=dask_client,
    )
    return Trained(read, runs, ignored)


def _fairness_gate(state: ServiceState, run: TrainingRun) -> Gate | None:
    if run.direction is not Direction.OPPORTUNITY or run.held_out is None:
        return None
    scores = run.evaluation.held_out_scores
    with state.sessions() as session:
        verdict = held_out_selection_gate(
            session,
            employee_ids=run.held_out.employee_ids,
            kinds=run.held_out.kinds,
            sizes=run.held_out.sizes,
            new_scores=scores["ranker"],
            live_scores=scores.get("live"),
            tolerance=state.settings.fairness_gate_tolerance,
            min_cell=state.settings.min_cell_size,
        )
    return Gate(verdict.allowed, verdict.reason)


def _off_policy(state: ServiceState, run: TrainingRun) -> OffPolicyGate:
    assert run.evaluation.ranker is not None
    live = state.rankers.get(run.direction.value).ranker
    with state.sessions() as session:
        return off_policy_gate(
            session, run.direction.value, run.evaluation.ranker.predict, live.predict
        )


def _judge_test(state: ServiceState, direction: str) -> tuple[str | None, str | None]:
    """The direction's running interleaving test, judged once it has GATE_MIN_GROUPS lists
    where people preferred one model's items: its challenger is promoted when preferred at
    least as often as the live model (the same non-inferiority the held-out gate asks, on a
    fairer comparison: both models' items on the same lists, in alternating places), else the
    test ends. Fewer such lists: it runs on. (what was done, in words; the version promoted)"""
    with transaction(state.sessions) as session:
        test = running_test(session, direction)
        if test is None or test.challenger == state.rankers.get(direction).version:
            return None, None
        counted = test.counted
        if counted.decided < GATE_MIN_GROUPS:
            return (
                f"interleaving {test.challenger} runs on: {counted.decided} of "
                f"{counted.lists} lists showed a preference (the judgement needs "
                f"{GATE_MIN_GROUPS})",
                None,
            )
        measured = _measured(test)
        if counted.challenger_wins < counted.live_wins:
            end_retraining_test(
                session,
                test,
                direction=direction,
                promoted=False,
                reason=f"the live model's items were preferred: {measured}",
            )
            return f"interleaving ended, the live model stays: {measured}", None
        try:
            state.rankers.registry.promote(test.challenger)
        except RegistryError as refused:
            end_retraining_test(
                session, test, direction=direction, promoted=False, reason=str(refused)
            )
            return f"interleaving ended, {test.challenger} not promoted: {refused}", None
        end_retraining_test(
            session,
            test,
            direction=direction,
            promoted=True,
            reason=f"preferred at least as often as the live model: {measured}",
        )
    return f"promoted {test.challenger} by interleaving ({measured})", test.challenger


def _measured(test: RunningTest) -> str:
    counted = test.counted
    low, high = counted.interval or (0.0, 1.0)
    return (
        f"{test.challenger}'s items preferred on {counted.challenger_wins} of "
        f"{counted.decided} interleaved lists with a preference (win rate {counted.rate:.3f}, "
        f"95% interval {low:.3f}-{high:.3f}; {counted.lists} lists, kinds "
        f"{', '.join(test.kinds)})"
    )


def _start_test(
    state: ServiceState, direction: str, version: str, quality: Gate, evaluation: Evaluation
) -> str | None:
    """Interleave a model the held-out lists could not judge (the other gates let it by),
    unless a test still short of lists runs: its count would start again, and on a side with
    few preferences a week (a lead's candidates) no test would ever reach a judgement."""
    if quality.allowed or not gate_undecided(evaluation):
        return None
    with transaction(state.sessions) as session:
        # Judged before training and still short of lists: it runs on (no need to count again).
        running, _rows = running_challenger(session, direction)
        if running:
            return f"{version} waits: interleaving {running} runs on"
        kinds = start_retraining_test(
            session,
            direction=direction,
            challenger_version=version,
            reason=f"the held-out lists could not judge it: {quality.reason}",
        )
    if not kinds:
        return None
    return f"interleaving {version} with the live model on {', '.join(kinds)}"


@contextmanager
def _one_at_a_time(state: ServiceState) -> Iterator[None]:
    if not _RUNNING.acquire(blocking=False):
        raise AlreadyTraining("a training run is already going on in this process")
    try:
        with try_exclusive(state.engine, TRAINING_LOCK) as got:
            if not got:
                raise AlreadyTraining("a training run is already going on in another process")
            yield
    finally:
        _RUNNING.release()


def train_and_promote(
    state: ServiceState,
    *,
    seed: int = 7,
    as_of: dt.date | None = None,
    min_groups: int = 10,
    promote: bool = True,
    true_fit: TrueFit | None = None,
    dask_client: Client | None = None,
    on_trained: Callable[[Trained], None] | None = None,
) -> TrainingResult:
    """Train, gate, register and (with `promote`) promote each direction; the live rankers
    are refreshed when a model was promoted. `on_trained` sees the runs before registration
    (the command line prints their tables there)."""
    with _one_at_a_time(state):
        judged = (
            {d.value: _judge_test(state, d.value) for d in Direction}
            if promote and state.settings.auto_interleave
            else {}
        )
        if any(promoted for _, promoted in judged.values()):
            state.rankers.refresh()  # the retraining continues from the test's winner
        trained = train_rankers(
            state,
            seed=seed,
            as_of=as_of,
            min_groups=min_groups,
            true_fit=true_fit,
            dask_client=dask_client,
        )
        if on_trained is not None:
            on_trained(trained)
        registry = state.rankers.registry
        results: dict[str, DirectionResult] = {}
        for direction, run in trained.runs.items():
            said, won = judged.get(direction.value, (None, None))
            if isinstance(run, Exception):
                results[direction.value] = DirectionResult(
                    direction.value,
                    not_trained=str(run),
                    interleaving_judged=said,
                    promoted_by_interleaving=won,
                )
                continue
            evaluation = run.evaluation
            assert evaluation.ranker is not None
            fairness = _fairness_gate(state, run)
            explored = _off_policy(state, run)
            quality = Gate(*promotion_gate(evaluation))
            metrics = {f"test_{k}": v for k, v in evaluation.logged["ranker"].items()}
            if "ranker" in evaluation.true_fit_ndcg10:
                metrics["test_true_fit_ndcg@10"] = evaluation.true_fit_ndcg10["ranker"]
            version = registry.register(
                evaluation.ranker,
                direction=direction.value,
                metrics=metrics,
                data_hash=run.data_hash,
                card=model_card(
                    run,
                    fairness=(fairness.allowed, fairness.reason) if fairness else None,
                    off_policy=(explored.allowed, explored.reason, explored.comparison),
                ),
            )
            allowed = quality.allowed and (fairness is None or fairness.allowed)
            allowed = allowed and explored.allowed
            if promote and allowed:
                registry.promote(version)
            started = None
            others_allow = (fairness is None or fairness.allowed) and explored.allowed
            if promote and not allowed and others_allow and state.settings.auto_interleave:
                started = _start_test(state, direction.value, version, quality, evaluation)
            results[direction.value] = DirectionResult(
                direction.value,
                run=run,
                version=version,
                quality=quality,
                fairness=fairness,
                promoted=promote and allowed,
                off_policy=Gate(explored.allowed, explored.reason),
                interleaving_judged=said,
                interleaving_started=started,
                promoted_by_interleaving=won,
            )
    result = TrainingResult(trained.read, results, trained.true_fit_ignored)
    if result.promoted:
        state.rankers.refresh()
    return result


class RetrainingSchedule:
    """The server's retraining: due when TALENT_RETRAIN_HOURS have passed since the newest
    registered model or this process's last attempt (so a restart does not reset the clock, and
    a company with too little history is not retried every check); with neither, since the
    schedule started: a fresh install has no history to learn from yet, and a server start is
    no time to read the whole company. Checked by a background thread (serving/app.py); never
    two runs at once."""

    def __init__(
        self,
        state: ServiceState,
        *,
        hours: float | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        since: dt.datetime | None = None,
    ) -> None:
        """`hours`: between runs (default: the state's TALENT_RETRAIN_HOURS; 0: off); `since`:
        when the first period starts for a company without a registered model (default: now)."""
        self.state = state
        self.every = dt.timedelta(hours=state.settings.retrain_hours if hours is None else hours)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.since = since or self.clock()
        self.last_attempt: dt.datetime | None = None
        self.last_result: TrainingResult | None = None

    @property
    def check_seconds(self) -> float:
        """How often the thread asks whether a run is due (0: retraining is off)."""
        return min(3600.0, self.every.total_seconds())

    def due(self, now: dt.datetime) -> bool:
        if self.every <= dt.timedelta(0):
            return False
        times = [_utc(v.created_at) for v in self.state.rankers.registry.versions()]
        if self.last_attempt is not None:
            times.append(self.last_attempt)
        return now - max(times, default=self.since) >= self.every

    def run_if_due(self) -> TrainingResult | None:
        now = self.clock()
        if not self.due(now):
            return None
        try:
            result = train_and_promote(self.state, as_of=now.date())
        except AlreadyTraining as busy:
            logger.info("scheduled retraining skipped: %s", busy)
            return None
        finally:
            self.last_attempt = now
        for line in result.outcome_lines(promote=True):
            logger.info("scheduled retraining: %s", line)
        for name, direction in result.directions.items():
            if direction.not_trained:
                logger.info("scheduled retraining: %s not trained: %s", name, direction.not_trained)
        self.last_result = result
        return result


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
