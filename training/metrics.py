"""Ranking metrics over query groups: NDCG@k, MAP and recall@k.

Groups are contiguous rows described by `sizes` (LightGBM's layout). A group whose labels are
all equal carries no ranking signal and is skipped, as is usual for logged feedback. Graded
labels count from the group's lowest one: among applicants (all at least "applied") what
matters is who got further, so "applied" earns no gain there, as "ignored" earns none in a list.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def _groups(sizes: np.ndarray) -> Iterator[slice]:
    start = 0
    for size in sizes.tolist():
        yield slice(start, start + size)
        start += size


def _graded(labels: np.ndarray) -> np.ndarray | None:
    """Labels relative to the group's lowest, or None when they are all equal."""
    if len(labels) == 0 or labels.max() == (lowest := labels.min()):
        return None
    graded: np.ndarray = (labels - lowest).astype(np.float64)
    return graded


def _dcg(gains: np.ndarray, k: int) -> float:
    gains = gains[:k]
    return float((gains / np.log2(np.arange(2, len(gains) + 2))).sum())


def ndcg_at(
    scores: np.ndarray, labels: np.ndarray, sizes: np.ndarray, k: int, *, exponential: bool = True
) -> float:
    """Mean NDCG@k; gains 2^label - 1 for graded labels, the label itself for a continuous fit."""
    values = ndcg_per_group(scores, labels, sizes, k, exponential=exponential)
    counted = values[~np.isnan(values)]
    return float(counted.mean()) if counted.size else float("nan")


def ndcg_per_group(
    scores: np.ndarray,
    labels: np.ndarray,
    sizes: np.ndarray,
    k: int,
    *,
    exponential: bool = True,
    gain_weights: np.ndarray | None = None,
) -> np.ndarray:
    """NDCG@k of each group, NaN for a group without ranking signal (see `ndcg_at`).

    `gain_weights` scale each row's gain: inverse examination propensities turn logged clicks
    into an estimate of what a ranking would get had every position been looked at."""
    values = np.full(len(sizes), np.nan)
    for i, rows in enumerate(_groups(sizes)):
        if exponential:
            graded = _graded(labels[rows])
            if graded is None:
                continue
            label, gains = graded, np.power(2.0, graded) - 1
        else:
            label = gains = labels[rows].astype(np.float64)
            if not (label > 0).any():
                continue
        if gain_weights is not None:
            gains = gains * gain_weights[rows]
        order = np.lexsort((np.arange(len(label)), -scores[rows]))
        ideal = _dcg(np.sort(gains)[::-1], k)
        values[i] = _dcg(gains[order], k) / ideal if ideal > 0 else 0.0
    return values


def mean_average_precision(scores: np.ndarray, labels: np.ndarray, sizes: np.ndarray) -> float:
    """MAP with any label above the group's lowest counted relevant."""
    values = []
    for rows in _groups(sizes):
        graded = _graded(labels[rows])
        if graded is None:
            continue
        relevant = graded > 0
        order = np.lexsort((np.arange(len(relevant)), -scores[rows]))
        hits = relevant[order]
        precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        values.append(float((precision * hits).sum() / hits.sum()))
    return float(np.mean(values)) if values else float("nan")


def recall_at(scores: np.ndarray, labels: np.ndarray, sizes: np.ndarray, k: int) -> float:
    values = []
    for rows in _groups(sizes):
        graded = _graded(labels[rows])
        if graded is None:
            continue
        relevant = graded > 0
        order = np.lexsort((np.arange(len(relevant)), -scores[rows]))
        values.append(float(relevant[order][:k].sum() / relevant.sum()))
    return float(np.mean(values)) if values else float("nan")


def ranking_report(scores: np.ndarray, labels: np.ndarray, sizes: np.ndarray) -> dict[str, float]:
    return {
        "ndcg@5": ndcg_at(scores, labels, sizes, 5),
        "ndcg@10": ndcg_at(scores, labels, sizes, 10),
        "map": mean_average_precision(scores, labels, sizes),
        "recall@5": recall_at(scores, labels, sizes, 5),
    }
