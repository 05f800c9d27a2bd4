"""Ranking metrics over query groups: NDCG@k, MAP and recall@k.

Groups are contiguous rows described by `sizes` (LightGBM's layout). Groups whose labels are
all zero carry no ranking signal and are skipped, as is usual for logged feedback.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def _groups(sizes: np.ndarray) -> Iterator[slice]:
    start = 0
    for size in sizes.tolist():
        yield slice(start, start + size)
        start += size


def _dcg(gains: np.ndarray, k: int) -> float:
    gains = gains[:k]
    return float((gains / np.log2(np.arange(2, len(gains) + 2))).sum())


def ndcg_at(
    scores: np.ndarray, labels: np.ndarray, sizes: np.ndarray, k: int, *, exponential: bool = True
) -> float:
    """Mean NDCG@k; gains 2^label - 1 for graded labels, the label itself for a continuous fit."""
    values = []
    for rows in _groups(sizes):
        label = labels[rows].astype(np.float64)
        if not (label > 0).any():
            continue
        gains = np.power(2.0, label) - 1 if exponential else label
        order = np.lexsort((np.arange(len(label)), -scores[rows]))
        ideal = _dcg(np.sort(gains)[::-1], k)
        values.append(_dcg(gains[order], k) / ideal if ideal > 0 else 0.0)
    return float(np.mean(values)) if values else float("nan")


def mean_average_precision(scores: np.ndarray, labels: np.ndarray, sizes: np.ndarray) -> float:
    """MAP with any label > 0 counted relevant."""
    values = []
    for rows in _groups(sizes):
        relevant = labels[rows] > 0
        if not relevant.any():
            continue
        order = np.lexsort((np.arange(len(relevant)), -scores[rows]))
        hits = relevant[order]
        precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        values.append(float((precision * hits).sum() / hits.sum()))
    return float(np.mean(values)) if values else float("nan")


def recall_at(scores: np.ndarray, labels: np.ndarray, sizes: np.ndarray, k: int) -> float:
    values = []
    for rows in _groups(sizes):
        relevant = labels[rows] > 0
        if not relevant.any():
            continue
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
