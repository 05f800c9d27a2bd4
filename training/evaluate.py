"""Offline evaluation: the learned ranker against the baselines, on the same held-out groups.

Scored twice: against the logged outcomes (what vendors report) and, where the hidden true fit
is known (the demo company), against it (what is right). The ranker is also trained without
position debiasing, so the effect of handling position bias is visible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from training import baselines
from training.dataset import RankingSet
from training.metrics import ndcg_at, ranking_report
from training.ranker import LambdaRanker

BASELINES = ("bm25_skills", "embedding_similarity", "required_skill_overlap")


@dataclass
class Evaluation:
    logged: dict[str, dict[str, float]] = field(default_factory=dict)
    true_fit_ndcg10: dict[str, float] = field(default_factory=dict)
    ranker: LambdaRanker | None = None

    @property
    def best_baseline(self) -> tuple[str, float]:
        name = max(BASELINES, key=lambda b: self.logged[b]["ndcg@10"])
        return name, self.logged[name]["ndcg@10"]

    def summary_line(self, label: str = "evaluate") -> str:
        ranker = self.logged["ranker"]["ndcg@10"]
        name, best = self.best_baseline
        return (
            f"{label}: ndcg10_ranker={ranker:.4f} ndcg10_best_baseline={best:.4f} ({name}) "
            f"ratio={ranker / best:.2f}"
        )


def evaluate(
    train: RankingSet,
    valid: RankingSet,
    test: RankingSet,
    *,
    bm25: baselines.BM25Skills,
    query_side: str,
    true_fit: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    seed: int = 7,
    incumbent: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Evaluation:
    """`incumbent`: the model serving now, scored on the same held-out groups as `live` (what
    the promotion gate compares the new one with)."""
    positions = train.positions if train.has_positions else None
    ranker = LambdaRanker(seed=seed).fit(
        train.features,
        train.labels,
        train.sizes,
        positions=positions,
        valid=(valid.features, valid.labels, valid.sizes),
    )
    scores = {"ranker": ranker.predict(test.features)}
    if positions is not None:  # the same ranker blind to positions shows what debiasing buys
        naive = LambdaRanker(seed=seed, debias_positions=False).fit(
            train.features,
            train.labels,
            train.sizes,
            valid=(valid.features, valid.labels, valid.sizes),
        )
        scores["ranker_no_position_debiasing"] = naive.predict(test.features)
    if incumbent is not None:
        scores["live"] = incumbent(test.features)
    scores |= {
        "bm25_skills": bm25.scores(test.people, test.opportunities, query_side=query_side),
        "embedding_similarity": baselines.embedding_similarity(test.features),
        "required_skill_overlap": baselines.required_skill_overlap(test.features),
    }
    result = Evaluation(ranker=ranker)
    fit = true_fit(test.people, test.opportunities) if true_fit is not None else None
    for name, values in scores.items():
        result.logged[name] = ranking_report(values, test.labels, test.sizes)
        if fit is not None:
            result.true_fit_ndcg10[name] = ndcg_at(values, fit, test.sizes, 10, exponential=False)
    return result


# A new model may score a little below the live one on a small held-out period by chance; more
# than this is a retraining that made things worse (too little data, a feedback loop, bad logs).
GATE_TOLERANCE = 0.01


def promotion_gate(evaluation: Evaluation) -> tuple[bool, str]:
    """Whether the new ranker may replace the live one, and why, from NDCG@10 on the latest
    held-out lists (logged outcomes)."""
    new = evaluation.logged["ranker"]["ndcg@10"]
    live = evaluation.logged.get("live", {}).get("ndcg@10")
    if live is None:
        return True, "no live model was scored on the held-out lists"
    if new + GATE_TOLERANCE < live:
        return False, (
            f"NDCG@10 on the latest held-out lists {new:.4f} < the live model's {live:.4f} "
            f"(tolerance {GATE_TOLERANCE}): the retraining made ranking worse; the live model stays"
        )
    return True, f"NDCG@10 on the latest held-out lists {new:.4f} vs the live model's {live:.4f}"
