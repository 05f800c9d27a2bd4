"""Examination propensities, inverse propensity weights and eta estimates on known answers."""

from __future__ import annotations

import numpy as np
import pytest

from training.propensity import (
    estimate_position_bias,
    examination_propensity,
    inverse_propensity_weights,
)


def test_propensity_is_a_power_of_the_inverse_position() -> None:
    got = examination_propensity([1, 2, 4, 0], eta=1.0)
    np.testing.assert_allclose(got, [1.0, 0.5, 0.25, 1.0])  # 0: no position logged
    np.testing.assert_allclose(examination_propensity([1, 3, 9], eta=0.0), [1, 1, 1])
    np.testing.assert_allclose(examination_propensity([4], eta=0.5), [0.5])
    with pytest.raises(ValueError, match="eta"):
        examination_propensity([1], eta=-0.1)


def test_weights_are_clipped_then_normalised_to_mean_one() -> None:
    positions = np.array([[1, 2, 4], [8, 16, 32]])
    weights = inverse_propensity_weights(positions, eta=1.0, clip=10.0)
    raw = np.array([[1, 2, 4], [8, 10, 10]], dtype=float)  # 16 and 32 clipped at 10
    assert weights.shape == positions.shape
    np.testing.assert_allclose(weights, raw / raw.mean())
    assert weights.mean() == pytest.approx(1.0)


def test_with_labels_only_positives_are_reweighted() -> None:
    weights = inverse_propensity_weights([1, 2, 3, 3], eta=1.0, labels=[0, 2, 0, 1])
    raw = np.array([1, 2, 1, 3], dtype=float)
    np.testing.assert_allclose(weights, raw / raw.mean())


def test_weights_edge_cases() -> None:
    assert inverse_propensity_weights(np.zeros(0), eta=1.0).shape == (0,)
    np.testing.assert_allclose(inverse_propensity_weights([0, 0], eta=2.0), [1, 1])
    with pytest.raises(ValueError, match="clip"):
        inverse_propensity_weights([1], eta=1.0, clip=0.5)
    with pytest.raises(ValueError, match="shape"):
        inverse_propensity_weights([1, 2], eta=1.0, labels=[1])


def simulated_clicks(
    *, eta: float, sorted_by_fit: bool, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(positions, labels, pair codes): 3,000 pairs shown 40 times each at positions 1..10.

    With `sorted_by_fit`, better pairs tend to be shown higher, as under a ranking policy.
    """
    rng = np.random.default_rng(seed)
    pairs, shows = 3000, 40
    fit = rng.uniform(0.05, 0.6, pairs)
    pair = np.repeat(np.arange(pairs), shows)
    if sorted_by_fit:
        slot = (1 - fit[pair]) * 8 + rng.normal(0, 2.5, len(pair))
        position = np.clip(np.round(slot), 0, 9).astype(np.int64) + 1
    else:
        position = rng.integers(1, 11, len(pair))
    examined = rng.random(len(pair)) < (1.0 / position) ** eta
    labels = (examined & (rng.random(len(pair)) < fit[pair])).astype(np.int8)
    return position, labels, pair


def test_eta_is_recovered_when_positions_are_random() -> None:
    positions, labels, pairs = simulated_clicks(eta=0.8, sorted_by_fit=False)
    naive = estimate_position_bias(positions, labels)
    assert naive.method == "naive"
    assert naive.eta == pytest.approx(0.8, abs=0.05)
    assert naive.positions.tolist() == list(range(1, 11))
    assert naive.relative_rate[0] == 1.0
    harvested = estimate_position_bias(positions, labels, pairs=pairs)
    assert harvested.eta == pytest.approx(0.8, abs=0.08)


def test_under_a_ranking_policy_the_naive_eta_overstates_and_harvesting_corrects() -> None:
    positions, labels, pairs = simulated_clicks(eta=0.8, sorted_by_fit=True)
    naive = estimate_position_bias(positions, labels)
    harvested = estimate_position_bias(positions, labels, pairs=pairs)
    assert naive.eta > harvested.eta + 0.15
    assert harvested.method == "harvested"
    assert harvested.eta == pytest.approx(0.8, abs=0.1)


def test_too_little_data_is_an_error() -> None:
    with pytest.raises(ValueError, match="position 1"):
        estimate_position_bias([1, 2, 2], [1, 1, 0])
    with pytest.raises(ValueError, match="position 1"):
        estimate_position_bias([2] * 500 + [3] * 500, [1] * 1000)  # nothing at position 1
    with pytest.raises(ValueError, match="shape"):
        estimate_position_bias([1, 2], [1])
