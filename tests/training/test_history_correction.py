"""Continuing a model on the history features only: the new trees split on nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from features.registry import FEATURE_NAMES
from training.evaluate import LOG_FEATURES
from training.ranker import LambdaRanker


def _lists(rng: np.random.Generator, n_groups: int = 120, size: int = 10):
    features = rng.random((n_groups * size, len(FEATURE_NAMES))).astype(np.float32)
    # What people act on follows a profile feature and a history feature alike.
    signal = (
        features[:, FEATURE_NAMES.index("interest_alignment")]
        + features[:, FEATURE_NAMES.index("history_liked_similarity")]
    )
    labels = (signal > np.quantile(signal, 0.8)).astype(np.int32)
    return features, labels, np.full(n_groups, size)


def test_a_history_only_continuation_adds_trees_that_split_on_log_features_alone() -> None:
    rng = np.random.default_rng(0)
    features, labels, sizes = _lists(rng)
    valid = _lists(rng, 40)
    base = LambdaRanker(seed=1, min_trees=5, n_estimators=20).fit(features, labels, sizes)
    base_gain = base.feature_importance()
    personal = LambdaRanker(seed=1, min_trees=5, n_estimators=40, only_features=LOG_FEATURES)
    personal.fit(features, labels, sizes, valid=valid, init_model=base)
    added = {name: personal.feature_importance()[name] - base_gain[name] for name in FEATURE_NAMES}
    assert added["history_liked_similarity"] > 0
    assert all(
        gain == pytest.approx(0.0, abs=1e-6)
        for name, gain in added.items()
        if name not in LOG_FEATURES
    ), {n: g for n, g in added.items() if g > 1e-6}


def test_an_unknown_feature_is_refused() -> None:
    with pytest.raises(ValueError, match="not in the feature registry"):
        LambdaRanker(only_features=("shoe_size",))._params()
