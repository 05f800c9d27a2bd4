"""From a company's people, opportunities and logs to a trained, evaluated ranker per direction.

Employee direction ("my matches"): one query group per served list and kind, graded by what
the person did. Opportunity direction ("candidates"): one group per opportunity, its
applicants graded by how far they got. Each direction is split by time (train on the earliest
70% of groups, stop early on the next 15%, test on the latest 15%) and evaluated against the
baselines on the same held-out groups.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from data.schemas import EmployeeIn, OpportunityIn
from features.events import LoggedEvent, event_kind
from features.inputs import OpportunityInputs, PersonInputs, opportunity_inputs, person_inputs
from features.store import FeatureStore
from training.baselines import BM25Skills
from training.candidate_lists import ShownCandidate, candidate_list_groups, merge_groups
from training.dataset import RankingSet, ranking_set
from training.evaluate import Evaluation, evaluate
from training.groups import Direction, QueryGroups, build_groups, opportunity_kinds
from training.labels import InteractionLabels, label_interactions
from training.propensity import PositionBiasEstimate, estimate_position_bias
from training.ranker import LambdaRanker
from training.split import time_split

if TYPE_CHECKING:  # an optional dependency, imported where a cluster is asked for
    from distributed import Client

Embed = Callable[[Sequence[str]], np.ndarray]
TrueFit = tuple[np.ndarray, Sequence[str], Sequence[str]]  # matrix, employee ids, opp. ids
# Below this many groups with a ranking signal in any part, a direction is not trained: the
# validation NDCG that early stopping follows would be noise.
MIN_INFORMATIVE_GROUPS = 10
QUERY_SIDE = {Direction.EMPLOYEE: "person", Direction.OPPORTUNITY: "opportunity"}


class NotEnoughHistory(ValueError):
    """The log holds too little labelled history to train or judge a ranker for a direction."""


@dataclass(frozen=True, slots=True)
class LogSummary:
    """What a training run read: served lists and their impressions, and every outcome by
    kind (the model card states them; a refusal quotes them)."""

    lists: int
    impressions: int
    outcomes: dict[str, int]
    unattributed: int  # outcomes on pairs no list had shown before them
    imported: int = 0  # events from a history import (no list served them, no position)

    def describe(self) -> str:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "none"
        imported = f" ({self.imported} of them imported history)" if self.imported else ""
        return (
            f"{self.lists} served lists, {self.impressions} impressions, outcomes: "
            f"{outcomes}{imported}"
        )


def summarize_log(events: Sequence[LoggedEvent], labels: InteractionLabels) -> LogSummary:
    kinds = Counter(event_kind(e) for e in events)
    kinds.pop("impression", None)
    return LogSummary(
        lists=len(set(labels.impressions.request_id.tolist())),
        impressions=len(labels.impressions),
        outcomes=dict(kinds),
        unattributed=labels.unattributed,
        imported=labels.imported,
    )


@dataclass(frozen=True, slots=True)
class HeldOutLists:
    """Who and what each held-out row is (rows grouped by list, as `Evaluation.held_out_scores`):
    the fairness gate joins its demographics by these ids."""

    employee_ids: tuple[str, ...]
    opportunity_ids: tuple[str, ...]
    kinds: tuple[str, ...]
    sizes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TrainingRun:
    direction: Direction
    evaluation: Evaluation
    sizes: dict[str, int]
    data_hash: str  # identifies the training rows (pairs, labels, positions)
    # How strongly position drove clicks in the training period (employee direction only).
    position_bias: PositionBiasEstimate | None = None
    log: LogSummary = field(default_factory=lambda: LogSummary(0, 0, {}, 0))
    held_out: HeldOutLists | None = None


def _data_hash(rows: RankingSet) -> str:
    digest = hashlib.sha256()
    for array in (rows.people, rows.opportunities, rows.labels, rows.positions, rows.sizes):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def informative_groups(rows: RankingSet) -> int:
    """Groups whose labels differ: the only ones that teach or measure an order."""
    starts = np.cumsum(rows.sizes) - rows.sizes
    highest = np.maximum.reduceat(rows.labels, starts) if len(rows) else np.zeros(0)
    lowest = np.minimum.reduceat(rows.labels, starts) if len(rows) else np.zeros(0)
    return int((highest > lowest).sum())


def evaluate_company(
    employees: Sequence[EmployeeIn],
    opportunities: Sequence[OpportunityIn],
    interactions: Sequence[LoggedEvent],
    *,
    embed: Embed,
    skill_labels: Callable[[str], str],
    reference_date: dt.date,
    true_fit: TrueFit | None = None,
    seed: int = 7,
    directions: Sequence[Direction] = tuple(Direction),
    min_informative_groups: int = MIN_INFORMATIVE_GROUPS,
    other_lists: Collection[str] = (),
    candidate_lists: Sequence[ShownCandidate] = (),
    incumbents: Mapping[Direction, tuple[str, LambdaRanker]] | None = None,
    dask_client: Client | None = None,
) -> dict[Direction, TrainingRun | NotEnoughHistory]:
    """Train and evaluate a ranker per direction; a direction without enough history says so.

    `incumbents`: the (version, model) serving each direction now; the new model is compared
    with it on the held-out period, and may continue boosting from it (see `evaluate`).

    `true_fit` is (matrix, employee ids, opportunity ids) when known (the demo company);
    `other_lists` the request ids of leads' candidate lists (see `label_interactions`);
    `candidate_lists`: the candidates those lists showed (serving/usecases/training_data.py),
    each list a group of the candidates' ranker beside the applicants (training/candidate_lists);
    `dask_client`: train on that Dask cluster (training/distributed.py).
    """
    people = [person_inputs(e) for e in employees]
    jobs = [opportunity_inputs(o) for o in opportunities]
    store = FeatureStore(
        people,
        jobs,
        embed=embed,
        skill_labels=skill_labels,
        events=interactions,
        reference_date=reference_date,
    )
    labels = label_interactions(interactions, other_lists=other_lists)
    log = summarize_log(interactions, labels)
    kinds = opportunity_kinds(opportunities)
    bm25 = BM25Skills(people, jobs, skill_labels)
    lookup = _true_fit_lookup(true_fit, people, jobs) if true_fit is not None else None
    runs: dict[Direction, TrainingRun | NotEnoughHistory] = {}
    for direction in directions:
        groups = build_groups(labels, kinds=kinds, direction=direction)
        if direction is Direction.OPPORTUNITY:
            groups = merge_groups(
                groups, candidate_list_groups(candidate_lists, interactions, kinds=kinds)
            )
        split = time_split(groups)
        train_groups = split.train
        parts = [ranking_set(store, part) for part in split]
        signal = [informative_groups(part) for part in parts]
        if min(signal) < min_informative_groups:
            runs[direction] = NotEnoughHistory(
                f"{direction.value} direction: groups with differing labels in train/valid/test "
                f"= {signal[0]}/{signal[1]}/{signal[2]}; need {min_informative_groups} in each "
                f"(the log holds {log.describe()})"
            )
            continue
        train, valid, test = parts
        bias = _position_bias(train_groups)
        result = evaluate(
            train,
            valid,
            test,
            bm25=bm25,
            query_side=QUERY_SIDE[direction],
            true_fit=lookup,
            seed=seed,
            incumbent=live[1].predict if (live := (incumbents or {}).get(direction)) else None,
            warm_start=live,
            examination_eta=bias.eta if bias is not None else None,
            dask_client=dask_client,
        )
        sizes = {
            "train_rows": len(train),
            "valid_rows": len(valid),
            "test_rows": len(test),
            "test_groups": len(test.sizes),
            "test_informative_groups": signal[2],
            "groups": len(groups.group_sizes),
            "informative_groups": sum(signal),
        }
        held_out = HeldOutLists(
            employee_ids=tuple(people[i].external_id for i in test.people.tolist()),
            opportunity_ids=tuple(jobs[i].external_id for i in test.opportunities.tolist()),
            kinds=tuple(kinds.get(jobs[i].external_id, "") for i in test.opportunities.tolist()),
            sizes=tuple(test.sizes.tolist()),
        )
        runs[direction] = TrainingRun(
            direction, result, sizes, _data_hash(train), bias, log, held_out
        )
    return runs


def _position_bias(groups: QueryGroups) -> PositionBiasEstimate | None:
    """Eta by intervention harvesting, where the log holds positions and enough repeats
    (from served rows only: imported history has no position, training/labels.py)."""
    if not (groups.position >= 1).any():
        return None
    try:
        return estimate_position_bias(groups.position, groups.label, pairs=groups.pair_codes())
    except ValueError:  # too few pairs seen at position 1 and elsewhere to say
        return None


def _true_fit_lookup(
    true_fit: TrueFit, people: Sequence[PersonInputs], jobs: Sequence[OpportunityInputs]
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    matrix, fit_people, fit_jobs = true_fit
    person_of = {e: i for i, e in enumerate(fit_people)}
    job_of = {o: i for i, o in enumerate(fit_jobs)}
    person_rows = np.array([person_of[p.external_id] for p in people])
    job_rows = np.array([job_of[o.external_id] for o in jobs])

    def lookup(who: np.ndarray, what: np.ndarray) -> np.ndarray:
        fit: np.ndarray = matrix[person_rows[who], job_rows[what]]
        return fit

    return lookup
