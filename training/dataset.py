"""Feature rows for labelled query groups: pairs joined to the feature store at their time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.store import FeatureStore
from training.groups import QueryGroups


@dataclass(frozen=True, slots=True)
class RankingSet:
    features: np.ndarray  # rows x features, registry order
    labels: np.ndarray
    sizes: np.ndarray  # rows per group, groups contiguous
    positions: np.ndarray  # logged position (1-based; 0 when not logged)
    people: np.ndarray  # feature-store indices, for joins (true fit, baselines)
    opportunities: np.ndarray
    # Cosine of the composed vectors (retrieval's score): the embedding baseline's, not a feature.
    similarity: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def has_positions(self) -> bool:
        """Whether any row was shown in a served list (imported history never was)."""
        return bool((self.positions > 0).any())

    def examined_positions(self) -> np.ndarray | None:
        """Positions for position debiasing: a row no served list showed (imported history,
        training/labels.py) counts as position 1, examined for sure (propensity 1, the
        position-based model's reference); None when no row was served."""
        if not self.has_positions:
            return None
        return np.where(self.positions > 0, self.positions, 1).astype(np.int32)


def ranking_set(store: FeatureStore, groups: QueryGroups) -> RankingSet:
    """Compute features for each row's pair at the row's time (no look-ahead)."""
    people = np.array(
        [store.person_index[e] for e in groups.employee_external_id.tolist()], dtype=np.int64
    )
    jobs = np.array(
        [store.opportunity_index[o] for o in groups.opportunity_external_id.tolist()],
        dtype=np.int64,
    )
    return RankingSet(
        features=store.compute(people, jobs, groups.occurred_at),
        labels=np.asarray(groups.label, dtype=np.int32),
        sizes=np.asarray(groups.group_sizes, dtype=np.int64),
        positions=np.asarray(groups.position, dtype=np.int32),
        people=people,
        opportunities=jobs,
        similarity=store.composed_similarity(people, jobs),
    )
