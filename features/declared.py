"""Which candidates declare any of what a posting requires.

A person's occupation suggests skills they may have ("usually involves"); a skill on their
profile is what they say they have. The learned ranker weighs both, and on its own it can put
someone who lists none of a posting's required skills above someone who lists two, when the
first one's occupation is closer. A lead reads that as the matcher not reading the profile. So
the candidates' list is ordered in two tiers before any fairness re-ranking: those holding at
least one required skill (level-credited, `required_coverage` > 0), then those holding none;
the ranker orders each tier. A posting that requires nothing puts everyone in the first tier.
"""

from __future__ import annotations

import numpy as np

from features.registry import FEATURE_NAMES

_COVERAGE = FEATURE_NAMES.index("required_coverage")
_MISSING = FEATURE_NAMES.index("required_missing")


def declared_tiers(features: np.ndarray) -> np.ndarray:
    """1 for a row (registry order) that holds a required skill or was asked none, else 0."""
    features = np.asarray(features)
    if features.ndim != 2 or not len(features):
        return np.zeros(len(features), dtype=np.int64)
    holds = features[:, _COVERAGE] > 0
    asked_none = (features[:, _MISSING] == 0) & ~holds
    declared: np.ndarray = (holds | asked_none).astype(np.int64)
    return declared


def tiered_scores(scores: np.ndarray, tiers: np.ndarray) -> np.ndarray:
    """Stand-in scores whose order is (tier, score, position): n for the first, 1 for the last.
    The re-rankers read only the order of scores; ranks keep it exact where adding an offset
    would round close scores together."""
    scores = np.asarray(scores, dtype=np.float64)
    order = np.lexsort((np.arange(len(scores)), -scores, -np.asarray(tiers)))
    ranked = np.empty(len(scores), dtype=np.float64)
    ranked[order] = np.arange(len(scores), 0, -1, dtype=np.float64)
    return ranked
