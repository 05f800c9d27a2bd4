"""A request's few rows are scored and explained on one LightGBM thread, bulk scoring on all:
the numbers are LightGBM's own either way, bit for bit (replay requires equal scores)."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pytest

from features.registry import FEATURE_NAMES
from tests.training.test_ranker import synthetic
from training.ranker import ONE_THREAD_ROWS, LambdaRanker


@pytest.fixture(scope="module")
def ranker() -> LambdaRanker:
    x, y, sizes = synthetic(200, seed=11)
    return LambdaRanker(n_estimators=60).fit(x, y, sizes)


def rows_with_edges(count: int, seed: int) -> np.ndarray:
    """Rows as served (float32), with zeros, NaN and values in LightGBM's zero band."""
    rng = np.random.default_rng(seed)
    x = rng.random((count, len(FEATURE_NAMES))).astype(np.float32)
    cells = rng.random(x.shape)
    x[cells < 0.1] = 0.0
    x[(cells >= 0.1) & (cells < 0.13)] = np.nan
    x[(cells >= 0.13) & (cells < 0.15)] = np.float32(1e-36)
    return x


class Spy:
    """The booster, recording the keyword arguments of each predict call."""

    def __init__(self, booster: lgb.Booster) -> None:
        self.booster = booster
        self.calls: list[dict[str, Any]] = []

    def predict(self, data: np.ndarray, **kwargs: Any) -> np.ndarray:
        self.calls.append(kwargs)
        scores = self.booster.predict(data, **kwargs)
        assert isinstance(scores, np.ndarray)  # sparse only for sparse input; these rows are dense
        return scores

    def __getattr__(self, name: str) -> Any:
        return getattr(self.booster, name)


@pytest.mark.parametrize("count", [1, 20, 200, ONE_THREAD_ROWS, ONE_THREAD_ROWS + 1])
def test_scores_and_contributions_equal_lightgbm_defaults_bit_for_bit(
    ranker: LambdaRanker, count: int
) -> None:
    booster = ranker.booster_
    assert booster is not None
    x = rows_with_edges(count, seed=count)
    assert np.array_equal(ranker.predict(x), booster.predict(x))
    page = x[:50]
    want = booster.predict(page, pred_contrib=True)
    assert isinstance(want, np.ndarray)  # dense rows in, dense contributions out
    assert np.array_equal(ranker.contributions(page), want)
    # Each row of contributions still adds up to its score (TreeSHAP's promise).
    assert np.allclose(want.sum(axis=1), booster.predict(page), atol=1e-9)


def test_a_requests_rows_use_one_thread_and_bulk_scoring_the_default(
    ranker: LambdaRanker,
) -> None:
    assert ranker.booster_ is not None
    spy = Spy(ranker.booster_)
    ranker.booster_ = spy  # type: ignore[assignment]  # a stand-in recording the Booster's calls
    try:
        ranker.predict(rows_with_edges(200, seed=1))
        ranker.contributions(rows_with_edges(20, seed=2))
        ranker.predict(rows_with_edges(ONE_THREAD_ROWS + 1, seed=3))
    finally:
        ranker.booster_ = spy.booster
    assert [call.get("num_threads") for call in spy.calls] == [1, 1, None]
    assert spy.calls[1]["pred_contrib"] is True
