"""Rankers a user might pick instead of the learned one, scored on the same pairs.

- BM25 over skill text (bm25s): the person's skill labels and interests as the query, the
  opportunity's required and preferred skill labels as the document (and the other way round
  for the candidate direction);
- embedding similarity alone (what retrieval already gives: the cosine of the composed
  profile and posting vectors, kept beside the features, not among them);
- required-skill overlap: fewest required skills missing, ties by level-aware coverage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import bm25s
import numpy as np

from features.inputs import OpportunityInputs, PersonInputs
from features.registry import FEATURE_NAMES
from training.dataset import RankingSet

MISSING = FEATURE_NAMES.index("required_missing")
COVERAGE = FEATURE_NAMES.index("required_coverage")


def embedding_similarity(rows: RankingSet) -> np.ndarray:
    if rows.similarity is None:
        raise ValueError("these rows were built without the composed similarity (ranking_set)")
    return rows.similarity


def required_skill_overlap(features: np.ndarray) -> np.ndarray:
    return -features[:, MISSING] + 0.01 * features[:, COVERAGE]


def _tokens(texts: list[str]) -> list[list[str]]:
    tokens: list[list[str]] = bm25s.tokenize(  # bm25s is untyped
        texts, stopwords="en", return_ids=False, show_progress=False
    )
    return tokens


class BM25Skills:
    """BM25 in both directions over skill-label text."""

    def __init__(
        self,
        people: Sequence[PersonInputs],
        opportunities: Sequence[OpportunityInputs],
        skill_labels: Callable[[str], str],
    ) -> None:
        self._person_text = [
            " ".join([*(skill_labels(s) for s in p.skills), *p.interests]) for p in people
        ]
        self._opportunity_text = [
            " ".join(skill_labels(s) for s in (*o.required, *o.preferred)) for o in opportunities
        ]
        self._opportunities = bm25s.BM25()
        self._opportunities.index(_tokens(self._opportunity_text), show_progress=False)
        self._people = bm25s.BM25()
        self._people.index(_tokens(self._person_text), show_progress=False)

    def scores(
        self, people: np.ndarray, opportunities: np.ndarray, *, query_side: str
    ) -> np.ndarray:
        """Score each pair; `query_side` is "person" (matches) or "opportunity" (candidates)."""
        out = np.zeros(len(people), dtype=np.float32)
        if query_side == "person":
            queries, items, texts, index = (
                people,
                opportunities,
                self._person_text,
                self._opportunities,
            )
        else:
            queries, items, texts, index = (
                opportunities,
                people,
                self._opportunity_text,
                self._people,
            )
        for query in np.unique(queries).tolist():
            rows = np.flatnonzero(queries == query)
            tokens = _tokens([texts[query]])[0]
            all_scores = index.get_scores(tokens) if tokens else np.zeros(index.scores["num_docs"])
            out[rows] = all_scores[items[rows]]
        return out
