"""Career paths (serving/routes/career.py): next moves, a person's target and the path
to it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from serving.schemas.base import Out


class RoleMoveSkillOut(Out):
    skill_id: str
    label: str
    kind: Literal["skill", "tool"] = Field(description="an essential skill of it, or a tool")


class RoleMoveOut(Out):
    """A good next move: an occupation next to the person's own (matching/next_moves.py)."""

    occupation_id: str
    label: str
    relatedness: float = Field(description="to the person's occupation (0 to 1)")
    fit: float = Field(description="the order: relatedness and the weighted share held")
    held: list[RoleMoveSkillOut]
    gap: list[RoleMoveSkillOut] = Field(description="what the person lacks, most specific first")
    gap_total: int


class CareerTargetRef(Out):
    kind: Literal["role", "occupation"]
    id: str
    label: str


class CareerTargetOut(Out):
    employee_external_id: str
    target: CareerTargetRef | None
    set_at: dt.datetime | None = None


class CareerGap(Out):
    skill_id: str
    name: str
    level_held: int
    level_needed: int
    confirmed_by_work: bool = Field(description="held through completed work, not the profile")


class PathStep(Out):
    order: int
    kind: Literal["course", "mentorship", "gig"]
    external_id: str
    title: str
    hours: float
    hours_are: Literal["total", "per week"]
    builds: list[dict[str, Any]]


class CareerProgress(Out):
    skills_needed: int
    skills_met: int
    share: float


class CareerPathOut(Out):
    employee_external_id: str
    set_at: dt.datetime | None
    target: CareerTargetRef
    gap: list[CareerGap]
    path: list[PathStep]
    not_closed: list[dict[str, Any]] = Field(
        description="gaps the path builds only part of the way"
    )
    not_covered: list[dict[str, Any]] = Field(description="gaps nothing open today builds")
    progress: CareerProgress
