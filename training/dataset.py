"""Feature rows for labelled query groups: pairs joined to the feature store at their time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.store import FeatureStore


@dataclass(frozen=True, slots=True)
class RankingSet:
    features: np.ndarray  # rows x features, registry order
    labels: np.ndarray
    sizes: np.ndarray  # rows per group, groups contiguous
    positions: np.ndarray  # logged position (1-based; 0 when not logged)
    people: np.ndarray  # feature-store indices, for joins (true fit, baselines)
    opportunities: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def ranking_set(
    store: FeatureStore,
    *,
    employee_ids: np.ndarray,
    opportunity_ids: np.ndarray,
    labels: np.ndarray,
    sizes: np.ndarray,
    positions: np.ndarray,
    at_seconds: np.ndarray,
) -> RankingSet:
    """Compute features for each row's pair at the row's time (no look-ahead)."""
    people = np.array([store.person_index[e] for e in employee_ids.tolist()], dtype=np.int64)
    jobs = np.array([store.opportunity_index[o] for o in opportunity_ids.tolist()], dtype=np.int64)
    return RankingSet(
        features=store.compute(people, jobs, at_seconds),
        labels=np.asarray(labels, dtype=np.int32),
        sizes=np.asarray(sizes, dtype=np.int64),
        positions=np.asarray(positions, dtype=np.int32),
        people=people,
        opportunities=jobs,
    )
