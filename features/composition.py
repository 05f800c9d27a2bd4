"""Profile and opportunity vectors composed from cached short-text vectors.

Employee:    v_e = unit( 0.75 · S_e + 0.25 · I_e )
    S_e = Σ_s w(level_s) · u(label_s) / Σ_s w(level_s),   w(level) = level / 5
    I_e = mean of u(interest) over the stated interests (term dropped, weights renormalised,
          when there are none)
Opportunity: v_o = unit( 0.60 · R_o + 0.15 · P_o + 0.25 · u(title_o) )
    R_o, P_o = level-weighted means over required / preferred skills (P dropped when empty)

u(·) is the unit-length MiniLM embedding of a short text, taken from the skill-vector cache,
so composing 10^5 profiles is a few matrix products rather than 10^5 transformer calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

# Unit vectors for short texts, one row each (the skill-vector cache's `vectors` in practice).
Embed = Callable[[Sequence[str]], np.ndarray]


EMPLOYEE_SKILL_WEIGHT, EMPLOYEE_INTEREST_WEIGHT = 0.75, 0.25
OPPORTUNITY_REQUIRED_WEIGHT, OPPORTUNITY_PREFERRED_WEIGHT, OPPORTUNITY_TITLE_WEIGHT = (
    0.6,
    0.15,
    0.25,
)


@dataclass(frozen=True, slots=True)
class LeveledSkill:
    label: str
    level: int


@dataclass(frozen=True, slots=True)
class EmployeeText:
    skills: Sequence[LeveledSkill]
    interests: Sequence[str]


@dataclass(frozen=True, slots=True)
class OpportunityText:
    title: str
    required: Sequence[LeveledSkill]
    preferred: Sequence[LeveledSkill]


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: np.ndarray = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def _weighted_means(
    groups: Sequence[Sequence[LeveledSkill]], embed: Embed, dim: int
) -> tuple[np.ndarray, np.ndarray]:
    """Level-weighted mean vector per group, and whether the group was non-empty.

    Computed as one sparse (groups x distinct labels) weight matrix times the distinct labels'
    vectors: 10^5 profiles share a few thousand labels, so nothing per (profile, skill) pair
    is ever materialised at full width.
    """
    column_of: dict[str, int] = {}
    rows, columns, weights = [], [], []
    for row, group in enumerate(groups):
        for skill in group:
            rows.append(row)
            columns.append(column_of.setdefault(skill.label, len(column_of)))
            weights.append(skill.level / 5)
    totals = np.zeros(len(groups), dtype=np.float32)
    if not column_of:
        return np.zeros((len(groups), dim), dtype=np.float32), totals > 0
    matrix = sparse.csr_matrix(
        (np.array(weights, dtype=np.float32), (rows, columns)),
        shape=(len(groups), len(column_of)),
    )
    totals = np.asarray(matrix.sum(axis=1), dtype=np.float32).ravel()
    sums = np.asarray(matrix @ embed(list(column_of)), dtype=np.float32)
    present = totals > 0
    sums[present] /= totals[present, None]
    return sums, present


def _plain_means(
    groups: Sequence[Sequence[str]], embed: Embed, dim: int
) -> tuple[np.ndarray, np.ndarray]:
    leveled = [[LeveledSkill(text, 5) for text in group] for group in groups]
    return _weighted_means(leveled, embed, dim)


def compose_employees(employees: Sequence[EmployeeText], embed: Embed, dim: int) -> np.ndarray:
    skills, _ = _weighted_means([e.skills for e in employees], embed, dim)
    interests, has_interests = _plain_means([e.interests for e in employees], embed, dim)
    interest_weight = np.where(has_interests, EMPLOYEE_INTEREST_WEIGHT, 0.0)[:, None]
    return _unit(EMPLOYEE_SKILL_WEIGHT * skills + interest_weight * interests)


def compose_opportunities(
    opportunities: Sequence[OpportunityText], embed: Embed, dim: int
) -> np.ndarray:
    required, _ = _weighted_means([o.required for o in opportunities], embed, dim)
    preferred, has_preferred = _weighted_means([o.preferred for o in opportunities], embed, dim)
    titles = embed([o.title for o in opportunities]) if opportunities else required
    preferred_weight = np.where(has_preferred, OPPORTUNITY_PREFERRED_WEIGHT, 0.0)[:, None]
    return _unit(
        OPPORTUNITY_REQUIRED_WEIGHT * required
        + preferred_weight * preferred
        + OPPORTUNITY_TITLE_WEIGHT * titles
    )
