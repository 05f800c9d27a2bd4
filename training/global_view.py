"""A model's global view for HR: which features it leans on, and how its score moves with them.

Importance is LightGBM's total gain per feature (shares of the whole). Partial dependence for
a feature is the mean score over a sample of real inputs (feature rows from the audit log)
with that feature set to each point of a grid of its own quantiles, everything else as it was:
what the model does with the feature, not what the data says about people.
"""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np

from features.registry import BY_NAME, FEATURE_NAMES
from training.ranker import LambdaRanker

GRID_POINTS = 12
TOP_FEATURES = 4
MAX_ROWS = 2000


class FeatureShare(TypedDict):
    feature: str
    share: float  # of the model's total gain
    meaning: str


def global_view(
    ranker: LambdaRanker, sample: np.ndarray | None, *, seed: int = 0
) -> dict[str, Any]:
    gains = ranker.feature_importance()
    total = sum(gains.values()) or 1.0
    importance = sorted(
        (
            FeatureShare(feature=f, share=g / total, meaning=BY_NAME[f].meaning)
            for f, g in gains.items()
        ),
        key=lambda item: -item["share"],
    )
    view: dict[str, Any] = {"importance": importance, "partial_dependence": [], "rows": 0}
    if sample is None or not len(sample):
        return view
    rng = np.random.default_rng(seed)
    if len(sample) > MAX_ROWS:
        sample = sample[rng.choice(len(sample), size=MAX_ROWS, replace=False)]
    view["rows"] = len(sample)
    for item in importance[:TOP_FEATURES]:
        column = FEATURE_NAMES.index(item["feature"])
        grid = np.unique(np.quantile(sample[:, column], np.linspace(0.02, 0.98, GRID_POINTS)))
        stacked = np.repeat(sample[None, :, :], len(grid), axis=0)
        stacked[:, :, column] = grid[:, None]
        scores = ranker.predict(stacked.reshape(-1, sample.shape[1])).reshape(len(grid), -1)
        view["partial_dependence"].append(
            {
                "feature": item["feature"],
                "grid": grid.astype(float).tolist(),
                "mean_score": scores.mean(axis=1).astype(float).tolist(),
            }
        )
    return view
