"""Dense skill matrices shared by the true fit and the logging policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from data.schemas import EmployeeIn, OpportunityIn, SkillRef

PAD = -1


@dataclass(frozen=True, slots=True)
class SkillSpace:
    skill_ids: tuple[str, ...]
    proficiency: np.ndarray  # (E, S) float32, 0 where the employee lacks the skill
    interest: np.ndarray  # (E, S) bool, the skills their interests name
    required: np.ndarray  # (O, R) skill column, PAD beyond the opportunity's list
    required_level: np.ndarray  # (O, R) float32, 0 on padding
    preferred: np.ndarray  # (O, Q)
    preferred_level: np.ndarray  # (O, Q)


def _padded(
    lists: Sequence[Sequence[SkillRef]], column: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    width = max(1, max((len(x) for x in lists), default=0))
    ids = np.full((len(lists), width), PAD, dtype=np.int64)
    levels = np.zeros((len(lists), width), dtype=np.float32)
    for row, skills in enumerate(lists):
        for j, skill in enumerate(skills):
            ids[row, j] = column[skill.skill_id or ""]
            levels[row, j] = skill.level
    return ids, levels


def build_skill_space(
    employees: list[EmployeeIn],
    opportunities: list[OpportunityIn],
    interest_skill_ids: list[tuple[str, ...]],
) -> SkillSpace:
    """Every skill held, wanted or asked for gets one column (sorted ids: stable across runs)."""
    ids: set[str] = set()
    for employee in employees:
        ids.update(s.skill_id or "" for s in employee.skills)
    for opportunity in opportunities:
        ids.update(s.skill_id or "" for s in opportunity.required_skills)
        ids.update(s.skill_id or "" for s in opportunity.preferred_skills)
    for wanted in interest_skill_ids:
        ids.update(wanted)
    skill_ids = tuple(sorted(ids))
    column = {s: i for i, s in enumerate(skill_ids)}
    proficiency = np.zeros((len(employees), len(skill_ids)), dtype=np.float32)
    interest = np.zeros((len(employees), len(skill_ids)), dtype=bool)
    for row, employee in enumerate(employees):
        for skill in employee.skills:
            proficiency[row, column[skill.skill_id or ""]] = skill.level
        for skill_id in interest_skill_ids[row]:
            interest[row, column[skill_id]] = True
    required, required_level = _padded([o.required_skills for o in opportunities], column)
    preferred, preferred_level = _padded([o.preferred_skills for o in opportunities], column)
    return SkillSpace(
        skill_ids=skill_ids,
        proficiency=proficiency,
        interest=interest,
        required=required,
        required_level=required_level,
        preferred=preferred,
        preferred_level=preferred_level,
    )


def opportunity_matrix(space: SkillSpace, *, preferred_weight: float = 0.5) -> np.ndarray:
    """(O, S) asked levels; preferred skills count `preferred_weight` as much as required ones."""
    out = np.zeros((space.required.shape[0], len(space.skill_ids)), dtype=np.float32)
    rows = np.arange(out.shape[0])[:, None]
    for ids, levels, weight in (
        (space.preferred, space.preferred_level, preferred_weight),
        (space.required, space.required_level, 1.0),
    ):
        mask = ids != PAD
        out[np.broadcast_to(rows, ids.shape)[mask], ids[mask]] = levels[mask] * weight
    return out
