"""From a company's people, opportunities and logs to an offline evaluation of the ranker."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from data.schemas import EmployeeIn, OpportunityIn
from features.inputs import opportunity_inputs, person_inputs
from features.store import FeatureStore
from training.baselines import BM25Skills
from training.dataset import RankingSet, ranking_set
from training.evaluate import Evaluation, evaluate
from training.relevance import LabelledRows, label_impressions, time_split

Embed = Callable[[Sequence[str]], np.ndarray]


def _ranking_set(store: FeatureStore, rows: LabelledRows) -> RankingSet:
    return ranking_set(
        store,
        employee_ids=rows.employee_ids,
        opportunity_ids=rows.opportunity_ids,
        labels=rows.labels,
        sizes=rows.sizes,
        positions=rows.positions,
        at_seconds=rows.at_seconds,
    )


@dataclass(frozen=True, slots=True)
class TrainingRun:
    evaluation: Evaluation
    sizes: dict[str, int]
    data_hash: str  # identifies the training rows (pairs, labels, positions)


def _data_hash(rows: RankingSet) -> str:
    digest = hashlib.sha256()
    for array in (rows.people, rows.opportunities, rows.labels, rows.positions, rows.sizes):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def evaluate_company(
    employees: Sequence[EmployeeIn],
    opportunities: Sequence[OpportunityIn],
    interactions: Sequence[object],
    *,
    embed: Embed,
    skill_labels: Callable[[str], str],
    reference_date: dt.date,
    true_fit: tuple[np.ndarray, Sequence[str], Sequence[str]] | None = None,
    seed: int = 7,
) -> TrainingRun:
    """Train on the earlier 70% of served lists, stop early on the next 15%, test on the last.

    `true_fit` is (matrix, employee ids, opportunity ids) when known (the demo company).
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
    train, valid, test = (
        _ranking_set(store, part) for part in time_split(label_impressions(interactions))
    )
    lookup = None
    if true_fit is not None:
        matrix, fit_people, fit_jobs = true_fit
        person_of = {e: i for i, e in enumerate(fit_people)}
        person_row = np.array([person_of[p.external_id] for p in people])
        job_row = {o: i for i, o in enumerate(fit_jobs)}
        job_rows = np.array([job_row[o.external_id] for o in jobs])

        def lookup(who: np.ndarray, what: np.ndarray) -> np.ndarray:
            return matrix[person_row[who], job_rows[what]]

    result = evaluate(
        train,
        valid,
        test,
        bm25=BM25Skills(people, jobs, skill_labels),
        query_side="person",
        true_fit=lookup,
        seed=seed,
    )
    sizes = {
        "train_rows": len(train),
        "valid_rows": len(valid),
        "test_rows": len(test),
        "test_groups": len(test.sizes),
    }
    return TrainingRun(result, sizes, _data_hash(train))
