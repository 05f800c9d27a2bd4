"""Ranking metrics on tiny groups with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from training.metrics import mean_average_precision, ndcg_at, recall_at

SIZES = np.array([3, 2])
LABELS = np.array([0, 2, 1, 0, 0])  # the second group has no positive label: skipped


def test_perfect_and_reversed_orders() -> None:
    perfect = np.array([0.1, 0.9, 0.5, 0.3, 0.2])
    assert ndcg_at(perfect, LABELS, SIZES, 10) == pytest.approx(1.0)
    reversed_ = np.array([0.9, 0.1, 0.5, 0.3, 0.2])
    # order: 0 (gain 0), 2 (gain 1), 1 (gain 3) -> DCG = 1/log2(3) + 3/log2(4)
    dcg = 1 / np.log2(3) + 3 / 2
    ideal = 3 + 1 / np.log2(3)
    assert ndcg_at(reversed_, LABELS, SIZES, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at(reversed_, LABELS, SIZES, 1) == 0.0


def test_map_and_recall() -> None:
    scores = np.array([0.9, 0.1, 0.5, 0.3, 0.2])  # ranks: item0 (0), item2 (1), item1 (2)
    assert mean_average_precision(scores, LABELS, SIZES) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert recall_at(scores, LABELS, SIZES, 2) == pytest.approx(0.5)


def test_continuous_gains_for_a_true_fit() -> None:
    fit = np.array([0.2, 0.8, 0.5])
    scores = np.array([0.0, 1.0, 0.5])
    assert ndcg_at(scores, fit, np.array([3]), 3, exponential=False) == pytest.approx(1.0)
