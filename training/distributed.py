"""The same LambdaRank model, trained on a Dask cluster with LightGBM's Dask interface.

For companies whose logs outgrow one machine's memory or patience (`talent train --dask
ADDRESS`). The rows are split into one partition per worker along query-group boundaries (a
list is never split: LambdaRank compares items within it). Two things LightGBM's Dask
interface lacks are done here instead, so the model means what the single-process one means:
  - early stopping: all `n_estimators` trees are grown, then the best iteration is picked on
    the validation lists with the same floor and patience as `LambdaRanker.fit`;
  - positions: the interface cannot pass the logged positions, so this model is trained
    without position debiasing (the model card says so).
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np

from features.registry import FEATURE_NAMES
from training.dataset import RankingSet
from training.metrics import ndcg_at
from training.ranker import LambdaRanker, dense

if TYPE_CHECKING:  # an optional dependency, imported when a cluster is asked for
    from distributed import Client


class DaskUnavailable(RuntimeError):
    """The cluster cannot be reached, or dask is not installed (the message says which)."""


@contextmanager
def dask_client(address: str) -> Iterator[Client]:
    """A client of the scheduler at `address` (`tcp://host:8786`)."""
    try:
        from distributed import Client
    except ImportError as exc:  # an optional dependency of training at scale
        raise DaskUnavailable("dask[distributed] is not installed") from exc
    try:
        client = Client(address, timeout="5s")
    except (OSError, TimeoutError) as exc:
        raise DaskUnavailable(f"no Dask scheduler answers at {address}: {exc}") from exc
    try:
        yield client
    finally:
        client.close()


def group_partitions(sizes: np.ndarray, parts: int) -> list[np.ndarray]:
    """Split the lists (their sizes, in order) into `parts` runs of about equal rows."""
    ends = np.cumsum(sizes)
    total = int(ends[-1]) if len(ends) else 0
    cuts = [int(np.searchsorted(ends, total * k / parts, side="left")) + 1 for k in range(1, parts)]
    bounds = [0, *sorted(set(min(c, len(sizes)) for c in cuts)), len(sizes)]
    return [sizes[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def fit_on_dask(
    template: LambdaRanker, train: RankingSet, valid: RankingSet, client: Client
) -> LambdaRanker:
    """Train `template`'s model on the cluster behind `client`; returns a fitted LambdaRanker
    (the booster is brought back to this process)."""
    import dask.array as da

    workers = max(1, len(client.scheduler_info()["workers"]))
    parts = group_partitions(np.asarray(train.sizes), workers)
    rows = tuple(int(p.sum()) for p in parts)
    features = da.from_array(train.features, chunks=(rows, train.features.shape[1]))
    labels = da.from_array(np.asarray(train.labels), chunks=(rows,))
    groups = da.from_array(np.concatenate(parts), chunks=(tuple(len(p) for p in parts),))
    params = template._params()
    model = lgb.DaskLGBMRanker(
        client=client,
        n_estimators=template.n_estimators,
        learning_rate=params.pop("learning_rate"),
        num_leaves=params.pop("num_leaves"),
        min_child_samples=params.pop("min_data_in_leaf"),
        random_state=params.pop("seed"),
        **{k: v for k, v in params.items() if k not in ("metric", "eval_at", "num_threads")},
    )
    with warnings.catch_warnings():
        # The threads per worker are the cluster's (nthreads), as LightGBM says it does.
        warnings.filterwarnings("ignore", "Parameter (n_jobs|num_threads) will be ignored")
        model.fit(features, labels, group=groups, feature_name=list(FEATURE_NAMES))
    ranker = dataclasses.replace(template, debias_positions=False)
    ranker.booster_ = model.to_local().booster_
    ranker.best_iteration_ = best_iteration(ranker.booster_, valid, template)
    return ranker


def best_iteration(booster: lgb.Booster, valid: RankingSet, template: LambdaRanker) -> int:
    """The iteration early stopping would have kept: the best validation NDCG@10 from
    `min_trees` trees on, stopping once `early_stopping_rounds` trees bring nothing better.
    Scores are accumulated one tree at a time (each tree predicted once)."""
    trees = booster.current_iteration()
    scores = np.zeros(len(valid.labels))
    best, best_score = trees, float("-inf")
    for tree in range(trees):
        scores += dense(booster.predict(valid.features, start_iteration=tree, num_iteration=1))
        count = tree + 1
        if count < template.min_trees:
            continue
        score = ndcg_at(scores, np.asarray(valid.labels, dtype=np.float64), valid.sizes, 10)
        if score > best_score:
            best, best_score = count, score
        elif count - best >= template.early_stopping_rounds:
            break
    return best
