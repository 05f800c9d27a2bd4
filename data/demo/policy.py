"""The logging policy: the plain ranker that decided what the simulated employees were shown.

Score = cosine between the employee's proficiency-weighted skill bag and the opportunity's
asked-level bag (preferred skills at half weight). It ignores interests, availability and
level, so the logs it produces carry its blind spots, as a real production log would.
Each page is sampled from the policy's top `candidate_pool` by softmax(score / temperature)
without replacement (Gumbel top-k), so the same opportunity lands at different positions in
different sessions: without that variation position effects could not be estimated from logs.
"""

from __future__ import annotations

import numpy as np

from data.demo.config import HistoryConfig
from data.demo.skillspace import SkillSpace, opportunity_matrix


def overlap_scores(space: SkillSpace) -> np.ndarray:
    """(E, O) cosine similarity of skill bags; 0 where either side lists nothing."""
    people: np.ndarray = space.proficiency.astype(np.float32)
    asked = opportunity_matrix(space)
    people_norm = np.linalg.norm(people, axis=1, keepdims=True)
    asked_norm = np.linalg.norm(asked, axis=1, keepdims=True)
    people = people / np.where(people_norm > 0, people_norm, 1.0)
    asked = asked / np.where(asked_norm > 0, asked_norm, 1.0)
    return people @ asked.T


def sample_pages(
    rng: np.random.Generator, scores: np.ndarray, eligible: np.ndarray, config: HistoryConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Pages for a batch of sessions: (opportunity index, shown) arrays of shape (N, page size).

    `scores` and `eligible` are (N, O). Row i lists what session i saw, best position first;
    `shown` is False past the end of the eligible set.
    """
    n, width = scores.shape
    masked = np.where(eligible, scores, -np.inf)
    pool = min(config.candidate_pool, width)
    if pool < width:
        top = np.argpartition(-masked, pool - 1, axis=1)[:, :pool]
    else:
        top = np.broadcast_to(np.arange(width), (n, width)).copy()
    top_scores = np.take_along_axis(masked, top, axis=1)
    keys = top_scores / config.temperature + rng.gumbel(size=top_scores.shape)
    page = min(config.shown_per_session, pool)
    order = np.argsort(-keys, axis=1, kind="stable")[:, :page]
    chosen = np.take_along_axis(top, order, axis=1)
    shown = np.isfinite(np.take_along_axis(top_scores, order, axis=1))
    return chosen, shown
