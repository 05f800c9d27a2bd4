"""The ranker learns a known ordering, reproduces with a seed and round-trips through disk."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from features.registry import FEATURE_NAMES
from training.metrics import ndcg_at
from training.ranker import LambdaRanker


def synthetic(
    groups: int, seed: int, *, interests: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relevance driven by required_coverage and skill_similarity (and, at a company where
    they matter, `interests` × interest_alignment), plus noise, cut into four grades.

    Each feature's column comes from its own stream, seeded by `seed` and the feature's name, so
    adding or removing other features in the registry leaves these draws as they are."""
    rng = np.random.default_rng(seed)
    sizes = np.full(groups, 10)
    x = np.column_stack(
        [
            np.random.default_rng([seed, zlib.crc32(name.encode())]).random(groups * 10)
            for name in FEATURE_NAMES
        ]
    ).astype(np.float32)
    signal = (
        2 * x[:, FEATURE_NAMES.index("required_coverage")]
        + x[:, FEATURE_NAMES.index("skill_similarity")]
        + interests * x[:, FEATURE_NAMES.index("interest_alignment")]
    )
    cuts = np.array([1.2, 1.8, 2.4]) + interests / 2
    labels = np.digitize(signal + 0.3 * rng.normal(size=len(signal)), cuts)
    return x, labels, sizes


def test_learns_the_ordering_and_beats_random() -> None:
    x, y, sizes = synthetic(300, seed=1)
    xv, yv, sv = synthetic(60, seed=2)
    ranker = LambdaRanker(n_estimators=150).fit(x, y, sizes, valid=(xv, yv, sv))
    xt, yt, st = synthetic(100, seed=3)
    learned = ndcg_at(ranker.predict(xt), yt, st, 10)
    random = ndcg_at(np.random.default_rng(0).random(len(yt)), yt, st, 10)
    assert learned > random + 0.2
    importance = ranker.feature_importance()
    assert max(importance, key=importance.__getitem__) == "required_coverage"


def test_seeded_training_is_reproducible_and_saves_without_pickle(tmp_path: Path) -> None:
    x, y, sizes = synthetic(100, seed=4)
    first = LambdaRanker(n_estimators=60).fit(x, y, sizes)
    second = LambdaRanker(n_estimators=60).fit(x, y, sizes)
    assert np.array_equal(first.predict(x), second.predict(x))
    first.save(tmp_path / "model.txt")
    loaded = LambdaRanker.load(tmp_path / "model.txt")
    assert np.allclose(loaded.predict(x), first.predict(x))
    contributions = loaded.contributions(x[:5])
    assert np.allclose(contributions.sum(axis=1), loaded.predict(x[:5]), atol=1e-6)


def test_predict_before_fit_says_what_to_do() -> None:
    with pytest.raises(NotFittedError, match="call fit"):
        LambdaRanker().predict(np.zeros((1, len(FEATURE_NAMES))))


def test_early_stopping_keeps_the_best_iteration_after_the_floor(tmp_path: Path) -> None:
    x, y, sizes = synthetic(200, seed=5)
    xv, yv, sv = synthetic(40, seed=6)
    ranker = LambdaRanker(n_estimators=300, min_trees=30, early_stopping_rounds=15)
    ranker.fit(x, y, sizes, valid=(xv, yv, sv))
    assert 30 <= ranker.best_iteration_ < 300
    ranker.save(tmp_path / "model.txt")
    assert LambdaRanker.load(tmp_path / "model.txt").best_iteration_ == ranker.best_iteration_


def test_continuing_from_a_model_learns_a_company_from_few_logs(tmp_path: Path) -> None:
    """A model trained on much generic data, corrected on 25 lists of one company's logs, ranks
    that company better than either the generic model or one trained on the 25 lists alone."""
    base = LambdaRanker(n_estimators=150).fit(*synthetic(400, seed=7), valid=synthetic(80, seed=8))
    few, valid, test = (
        synthetic(n, seed, interests=1.5) for n, seed in ((25, 9), (25, 10), (300, 11))
    )
    scratch = LambdaRanker().fit(*few, valid=valid)
    continued = LambdaRanker(min_trees=1).fit(*few, valid=valid, init_model=base)
    assert continued.base_trees_ == base.best_iteration_
    assert continued.best_iteration_ > continued.base_trees_  # it added trees of its own
    x, y, sizes = test
    scores = {
        name: ndcg_at(model.predict(x), y, sizes, 10)
        for name, model in (("base", base), ("scratch", scratch), ("continued", continued))
    }
    assert scores["continued"] > max(scores["base"], scores["scratch"]), scores
    continued.save(tmp_path / "model.txt")
    assert np.allclose(LambdaRanker.load(tmp_path / "model.txt").predict(x), continued.predict(x))
