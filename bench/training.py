"""Training benchmark: the LambdaRank ranker on 1M labelled pairs, one process and on Dask.

A demo company (default 5,000 employees, 1,000 opportunities, seed 7, no history) gives the
hidden true fit. Each employee is one list of --list-size (200) opportunities: the most
similar by composed skill vectors, as retrieval serves them. Labels are graded from the true
fit within the list (3 for the top 5%, 2 the next 10%, 1 the next 15%, else 0) after seeded
noise, as logged outcomes are noisy. Lists split 80/10/10 into train/valid/test. Timed:
  - features: the FeatureStore rows of every pair (the code serving and training share);
  - fit_1m: `LambdaRanker.fit` on the train lists (early stopping on valid), one process;
  - fit_100k (baseline, same run): the same on a tenth of the train lists;
  - fit_dask: `fit_on_dask` on a 2-worker LocalCluster, the same lists (--dask-workers 0
    skips it);
and NDCG@10 against the true fit on the test lists for each model. Last line:
  training: pairs=… features_s=… fit_s=… fit_vs_100k=… dask_fit_s=… ndcg10_true=… ndcg10_dask=…
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from data.demo import generate_company  # noqa: E402
from data.taxonomy.packaged import load_packaged_taxonomy  # noqa: E402
from features.events import epoch_seconds  # noqa: E402
from features.inputs import opportunity_inputs, person_inputs  # noqa: E402
from features.store import FeatureStore  # noqa: E402
from matching.encoder import SentenceEncoder  # noqa: E402
from matching.skill_vectors import SkillVectorCache  # noqa: E402
from training.dataset import RankingSet  # noqa: E402
from training.metrics import ndcg_at  # noqa: E402
from training.ranker import LambdaRanker  # noqa: E402

AS_OF = dt.date(2026, 11, 1)
GRADES = ((0.05, 3), (0.15, 2), (0.30, 1))  # share of a list from the top, label


def labelled_pairs(args: argparse.Namespace) -> tuple[RankingSet, np.ndarray, dict[str, float]]:
    """Every employee's list of the most similar opportunities, featurised and labelled."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    taxonomy = load_packaged_taxonomy()
    company = generate_company(
        taxonomy,
        employees=args.employees,
        opportunities=args.opportunities,
        seed=args.seed,
        as_of=AS_OF,
        with_history=False,
    )
    timings["company_s"] = time.perf_counter() - started
    vectors_dir = REPO / "var" / "vectors"
    cache = SkillVectorCache(SentenceEncoder(), vectors_dir / "skill_vectors.npz")
    started = time.perf_counter()
    store = FeatureStore(
        [person_inputs(e) for e in company.employees],
        [opportunity_inputs(o) for o in company.opportunities],
        embed=cache.vectors,
        skill_labels=lambda skill: taxonomy.skills[skill].label,
        reference_date=AS_OF,
    )
    timings["store_s"] = time.perf_counter() - started
    people_vectors, job_vectors = store.person_vectors, store.opportunity_vectors
    size = min(args.list_size, len(company.opportunities))
    similar = np.argsort(-(people_vectors @ job_vectors.T), axis=1)[:, :size]
    people = np.repeat(np.arange(len(company.employees)), size)
    jobs = similar.reshape(-1)
    started = time.perf_counter()
    features = store.compute(people, jobs, epoch_seconds(dt.datetime(2026, 11, 1, tzinfo=dt.UTC)))
    timings["features_s"] = time.perf_counter() - started
    rng = np.random.default_rng(args.seed)
    fit = company.true_fit[people, jobs].reshape(-1, size)
    noisy = fit + rng.normal(0, args.noise, fit.shape)
    rank = np.argsort(np.argsort(-noisy, axis=1), axis=1) / size  # 0 = the top of the list
    labels = np.zeros(fit.shape, dtype=np.int32)
    for share, grade in reversed(GRADES):
        labels[rank < share] = grade
    rows = RankingSet(
        features=features,
        labels=labels.reshape(-1),
        sizes=np.full(len(company.employees), size),
        positions=np.zeros(0, dtype=np.int32),
        people=people,
        opportunities=jobs,
    )
    return rows, fit.reshape(-1), timings


def lists(rows: RankingSet, fit: np.ndarray, chosen: np.ndarray) -> tuple[RankingSet, np.ndarray]:
    size = int(rows.sizes[0])
    index = (chosen[:, None] * size + np.arange(size)).reshape(-1)
    part = RankingSet(
        features=rows.features[index],
        labels=rows.labels[index],
        sizes=np.full(len(chosen), size),
        positions=rows.positions,
        people=rows.people[index],
        opportunities=rows.opportunities[index],
    )
    return part, fit[index]


def timed_fit(train: RankingSet, valid: RankingSet, seed: int) -> tuple[LambdaRanker, float]:
    started = time.perf_counter()
    ranker = LambdaRanker(seed=seed).fit(
        train.features,
        train.labels,
        train.sizes,
        valid=(valid.features, valid.labels, valid.sizes),
    )
    return ranker, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--opportunities", type=int, default=1000)
    parser.add_argument("--list-size", type=int, default=200)
    parser.add_argument("--noise", type=float, default=0.05, help="sd added to the true fit")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dask-workers", type=int, default=2)
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()

    rows, fit, timings = labelled_pairs(args)
    print(
        f"{len(rows)} labelled pairs in {len(rows.sizes)} lists: company "
        f"{timings['company_s']:.1f}s, feature store {timings['store_s']:.1f}s, features "
        f"{timings['features_s']:.1f}s",
        flush=True,
    )
    order = np.random.default_rng(args.seed).permutation(len(rows.sizes))
    cut = [int(len(order) * 0.8), int(len(order) * 0.9)]
    (train, _), (valid, _), (test, test_fit) = (
        lists(rows, fit, np.sort(part)) for part in np.split(order, cut)
    )
    small, _ = lists(train, np.zeros(len(train)), np.arange(len(train.sizes) // 10))

    def ndcg_true(ranker: LambdaRanker) -> float:
        return ndcg_at(ranker.predict(test.features), test_fit, test.sizes, 10, exponential=False)

    model, fit_s = timed_fit(train, valid, args.seed)
    print(f"fit on {len(train)} pairs: {fit_s:.1f}s, {model.best_iteration_} trees", flush=True)
    small_model, small_s = timed_fit(small, valid, args.seed)
    print(f"fit on {len(small)} pairs: {small_s:.1f}s, {small_model.best_iteration_} trees")
    figures = {
        "pairs": len(rows),
        "train_pairs": len(train),
        **timings,
        "fit_s": fit_s,
        "trees": model.best_iteration_,
        "fit_100k_s": small_s,
        "ndcg10_true": ndcg_true(model),
        "ndcg10_true_100k": ndcg_true(small_model),
    }
    if args.dask_workers > 0:
        from distributed import Client, LocalCluster

        from training.distributed import fit_on_dask

        with (
            LocalCluster(
                n_workers=args.dask_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            started = time.perf_counter()
            spread = fit_on_dask(LambdaRanker(seed=args.seed), train, valid, client)
            figures["dask_fit_s"] = time.perf_counter() - started
        figures["dask_trees"] = spread.best_iteration_
        figures["ndcg10_dask"] = ndcg_true(spread)
        print(
            f"fit on {args.dask_workers} Dask workers: {figures['dask_fit_s']:.1f}s "
            f"({spread.n_estimators} trees grown, {spread.best_iteration_} kept)",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")
    print(
        f"training: pairs={len(rows)} features_s={figures['features_s']:.1f} "
        f"fit_s={fit_s:.1f} fit_vs_100k={fit_s / small_s:.1f} "
        f"dask_fit_s={figures.get('dask_fit_s', float('nan')):.1f} "
        f"ndcg10_true={figures['ndcg10_true']:.4f} "
        f"ndcg10_dask={figures.get('ndcg10_dask', float('nan')):.4f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
