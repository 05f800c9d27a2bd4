"""Fairness benchmark: what fair re-ranking changes on the biased demo company, and what it costs.

On the demo company (2,000 people, 300 opportunities, leads biased against gender = female):
  - the candidate-direction ranker is trained on the company's own (biased) history, as
    `talent train` does;
  - for every opportunity, its 100 nearest employees by composed-vector similarity (open to the
    kind) are scored by that ranker; the page is the top 10;
  - before: the page by score; after: the serving path's `serve_order` with the default policy
    (FA*IR, gender = female protected, p from the pool, alpha 0.1);
  - selection impact ratio (on the page, per appearance) and exposure ratio by gender, before
    and after; NDCG@10 of each page against the hidden true fit, and its relative cost;
  - the leads' historical shortlist impact ratio (the bias in the labels), for reference;
  - time per list of 100: re-ranking (`serve_order`, including moves) against the ranker's own
    scoring of the same 100 feature rows, measured in the same run.
Last line:
  fairness: impact_ratio_before=… after=… ndcg10_cost_pct=… rerank_ms_p99=…
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data.demo import DemoCompany, generate_company
from data.taxonomy.packaged import load_packaged_taxonomy
from fairness.exposure import group_exposure
from fairness.metrics import selection_impact
from fairness.policy import PolicySettings
from fairness.rerank import ServedOrder, serve_order
from features.events import epoch_seconds
from features.inputs import opportunity_inputs, person_inputs
from features.store import FeatureStore
from matching.encoder import SentenceEncoder
from matching.skill_vectors import SkillVectorCache
from training.cold_start import load_default_ranker
from training.groups import Direction
from training.metrics import ndcg_at
from training.pipeline import TrainingRun, evaluate_company

POOL, PAGE = 100, 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--opportunities", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=Path("var/vectors/skill_vectors.npz"))
    parser.add_argument(
        "--policy", choices=["fa*ir", "detgreedy"], default=None, help="default: the service's"
    )
    parser.add_argument("--alpha", type=float, default=None, help="default: the service's")
    args = parser.parse_args()

    taxonomy = load_packaged_taxonomy()
    company = generate_company(
        taxonomy, employees=args.employees, opportunities=args.opportunities, seed=args.seed
    )
    cache = SkillVectorCache(SentenceEncoder(), args.cache)
    label = lambda skill: taxonomy.skills[skill].label  # noqa: E731
    runs = evaluate_company(
        company.employees,
        company.opportunities,
        company.interactions,
        embed=cache.vectors,
        skill_labels=label,
        reference_date=company.as_of,
        directions=[Direction.OPPORTUNITY],
    )
    run = runs[Direction.OPPORTUNITY]
    if isinstance(run, TrainingRun) and run.evaluation.ranker is not None:
        ranker, source = run.evaluation.ranker, "trained on this company's history"
    else:  # as the service does: the packaged default serves until the company has its own
        ranker = load_default_ranker(Direction.OPPORTUNITY).ranker
        source = f"packaged default ({run})"

    people = [person_inputs(e) for e in company.employees]
    jobs = [opportunity_inputs(o) for o in company.opportunities]
    store = FeatureStore(
        people,
        jobs,
        embed=cache.vectors,
        skill_labels=label,
        events=company.interactions,
        reference_date=company.as_of,
    )
    cache.save()
    gender = [e.demographics.gender if e.demographics else None for e in company.employees]
    open_to = [{k.value for k in e.open_to} for e in company.employees]
    fit_row = {e: i for i, e in enumerate(company.employee_ids)}
    fit_col = {o: i for i, o in enumerate(company.opportunity_ids)}
    at = epoch_seconds_of(company.as_of)
    settings = PolicySettings()
    if args.policy is not None or args.alpha is not None:
        name = args.policy or settings.name
        settings = PolicySettings(
            name=name,
            alpha=args.alpha or settings.alpha,
            protected=settings.protected if name == "fa*ir" else None,
        )

    selected_before, selected_after, labels = [], [], []
    pages_before, pages_after = [], []
    ndcg_before, ndcg_after = [], []
    rerank_ms, score_ms = [], []
    for j, job in enumerate(jobs):
        eligible = np.array([job.kind in kinds for kinds in open_to])
        eligible[store.person_index.get(job.owner_external_id, -1)] = False
        similarity = store.person_vectors @ store.opportunity_vectors[j]
        similarity[~eligible] = -np.inf
        pool = np.argsort(-similarity, kind="stable")[:POOL]
        features = store.compute(pool, np.full(len(pool), j), at)
        scores = ranker.predict(features)
        score_ms.append(_median_ms(lambda f=features: ranker.predict(f)))
        ids = [people[i].external_id for i in pool]
        categories = [gender[i] for i in pool]

        def rerank(
            scores: np.ndarray = scores,
            similarity: np.ndarray = similarity[pool],
            ids: list[str] = ids,
            c: list[str | None] = categories,
        ) -> ServedOrder:
            return serve_order(
                scores, similarity, ids, settings=settings, page=PAGE, membership=lambda _a: c
            )

        served = rerank()
        rerank_ms.append(_median_ms(rerank))
        before = np.argsort(-scores, kind="stable")[:PAGE]
        after = served.order[:PAGE]
        on_before, on_after = np.zeros(len(pool), bool), np.zeros(len(pool), bool)
        on_before[before], on_after[after] = True, True
        selected_before += on_before.tolist()
        selected_after += on_after.tolist()
        labels += ["unknown" if c is None else c for c in categories]
        pages_before.append([categories[i] for i in before])
        pages_after.append([categories[i] for i in after])
        fit = company.true_fit[
            [fit_row[people[i].external_id] for i in pool], fit_col[job.external_id]
        ]
        sizes = np.array([len(pool)])
        rank_before = np.zeros(len(pool))
        rank_before[before] = np.arange(PAGE, 0, -1)
        rank_after = np.zeros(len(pool))
        rank_after[after] = np.arange(PAGE, 0, -1)
        ndcg_before.append(ndcg_at(rank_before, fit, sizes, PAGE, exponential=False))
        ndcg_after.append(ndcg_at(rank_after, fit, sizes, PAGE, exponential=False))

    labels_array = np.array(labels)
    impact_before = selection_impact(np.array(selected_before), labels_array, attribute="gender")
    impact_after = selection_impact(np.array(selected_after), labels_array, attribute="gender")
    exposure_before = group_exposure(pages_before).min_exposure_ratio
    exposure_after = group_exposure(pages_after).min_exposure_ratio
    quality_before, quality_after = float(np.mean(ndcg_before)), float(np.mean(ndcg_after))
    cost = (quality_before - quality_after) / quality_before * 100
    rerank_p99, score_p99 = np.percentile(rerank_ms, 99), np.percentile(score_ms, 99)
    history = leads_shortlist_ratio(company)

    print(f"company: {len(people)} people, {len(jobs)} opportunities, seed {args.seed}")
    print(f"candidate ranker: {source}; policy: {settings.name}, alpha {settings.alpha}")
    print(f"leads' historical shortlist impact ratio (gender): {history:.3f}")
    for name, impact in (("before", impact_before), ("after", impact_after)):
        rates = ", ".join(f"{c.category} {c.rate:.3f}" for c in impact.categories)
        print(f"selection on the page {name} re-ranking: {rates}")
    print(f"exposure ratio before={exposure_before:.3f} after={exposure_after:.3f}")
    print(f"NDCG@10 vs true fit: before={quality_before:.4f} after={quality_after:.4f}")
    print(
        f"per list of {POOL}: ranker p99 {score_p99:.3f} ms, re-ranking p99 {rerank_p99:.3f} ms "
        f"(ratio {rerank_p99 / score_p99:.2f}x the ranker's own time)"
    )
    print(
        f"fairness: impact_ratio_before={impact_before.min_impact_ratio:.3f} "
        f"after={impact_after.min_impact_ratio:.3f} ndcg10_cost_pct={cost:.2f} "
        f"rerank_ms_p99={rerank_p99:.3f}"
    )


def _median_ms(work: Callable[[], object], repeats: int = 5) -> float:
    """Median of a few timings of the same call: one list's cost without scheduler spikes."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


def epoch_seconds_of(day: dt.date) -> int:
    """Noon UTC of the company's as-of date: history features count everything before it."""
    return epoch_seconds(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))


def leads_shortlist_ratio(company: DemoCompany) -> float:
    """Shortlisted / applied by gender among the company's applications (the biased labels)."""
    applied: dict[tuple[str, str], bool] = {}
    for event in company.interactions:
        pair = (event.employee_external_id, event.opportunity_external_id)
        kind = str(getattr(event.type, "value", event.type))
        if kind == "apply":
            applied.setdefault(pair, False)
        elif kind == "shortlist" and pair in applied:
            applied[pair] = True
    gender = {
        e.external_id: (e.demographics.gender if e.demographics else None)
        for e in company.employees
    }
    pairs = list(applied)
    labels = np.array(["unknown" if gender[p[0]] is None else gender[p[0]] for p in pairs])
    impact = selection_impact(np.array([applied[p] for p in pairs]), labels, attribute="gender")
    return impact.min_impact_ratio or float("nan")


if __name__ == "__main__":
    main()
