"""Views below every action: what the ranker is fitted to when the log records them."""

from __future__ import annotations

import numpy as np

from training.ranker import LambdaRanker
from training.targets import VIEW_GAIN, view_label_gain, with_views


def test_actions_keep_their_order_and_gains_and_a_view_sits_just_above_nothing() -> None:
    grades = np.array([0, 0, 1, 2, 3, 4, 1])
    viewed = np.array([False, True, True, False, True, False, False])
    labels = with_views(grades, viewed)
    assert labels.tolist() == [0, 1, 2, 4, 6, 8, 2]  # a view adds nothing to an action
    gains = view_label_gain()
    assert [gains[label] for label in labels.tolist()] == [0, VIEW_GAIN, 1, 3, 7, 15, 1]
    assert 0 < VIEW_GAIN < 1


def test_a_ranker_fitted_on_views_learns_what_people_open_when_no_one_applies() -> None:
    # 80 lists of 10; feature 0 decides which items people open, no one applies or saves:
    # on the grades alone every list is all zeros and nothing can be learned.
    rng = np.random.default_rng(3)
    features = rng.normal(size=(800, 29)).astype(np.float64)
    sizes = np.full(80, 10)
    viewed = features[:, 0] + 0.3 * rng.normal(size=800) > 0.8
    grades = np.zeros(800, dtype=np.int32)
    fitted = LambdaRanker(
        seed=7, n_estimators=30, num_leaves=3, min_child_samples=20, label_gain=view_label_gain()
    ).fit(features, with_views(grades, viewed), sizes)
    held_out = rng.normal(size=(500, 29))
    order = np.corrcoef(fitted.predict(held_out), held_out[:, 0])[0, 1]
    assert order > 0.5
