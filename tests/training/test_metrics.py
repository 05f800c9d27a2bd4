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


def test_applicant_groups_count_grades_above_the_lowest() -> None:
    # Three applicants: applied (1), applied (1), accepted (3); a second group all "applied".
    labels = np.array([1, 1, 3, 1, 1])
    sizes = np.array([3, 2])
    accepted_first = np.array([0.1, 0.2, 0.9, 0.5, 0.4])
    accepted_last = np.array([0.9, 0.8, 0.1, 0.5, 0.4])
    assert ndcg_at(accepted_first, labels, sizes, 10) == pytest.approx(1.0)
    # Gain 2^(3-1)-1 = 3 at rank 3 only; the all-equal group is skipped, not scored 1.
    assert ndcg_at(accepted_last, labels, sizes, 10) == pytest.approx(3 / 2 / 3)
    assert mean_average_precision(accepted_last, labels, sizes) == pytest.approx(1 / 3)
    assert recall_at(accepted_last, labels, sizes, 2) == 0.0
