"""An employee's side of matching (serving/routes/employees.py): ranked opportunities
with their explanations, and the what-if of a profile edit."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from serving.schemas.base import Out
from serving.schemas.career import RoleMoveOut
from serving.schemas.opportunities import OpportunityOut
from serving.schemas.pipeline import PairOut
from serving.schemas.rankings import ModelOut, RankingOut, RetrievalOut, WhyOut


class MatchedSkill(Out):
    skill_id: str
    name: str
    level_required: int
    required: bool
    level: int = Field(description="the level held")
    inferred_from: str | None = Field(
        default=None,
        description="the posting's occupation, when this skill was implied by its title "
        "rather than chosen by its lead (typical for: ...)",
    )


class MissingSkill(Out):
    skill_id: str
    name: str
    level_required: int
    required: bool
    inferred_from: str | None = None


class EmployeeReason(Out):
    feature: str
    text: str
    contribution: float


class LearningItem(Out):
    skill_id: str
    skill_name: str
    level_held: int
    level_asked: int
    kind: str = Field(description="course, gig or mentorship")
    external_id: str
    title: str
    hours: float
    closes_gap: bool
    level_to: int | None = Field(default=None, description="courses: the level reached")
    level: int | None = Field(default=None, description="openings: the level they ask")
    url: str | None = Field(default=None, description="courses: where the catalogue has it")


class GapOut(Out):
    feature: str
    text: str = Field(description="what stands between the person and this work, as a gap")


class MatchExplanation(Out):
    reasons: list[EmployeeReason] = Field(description="what speaks for the match")
    gaps: list[GapOut] = Field(
        default_factory=list, description="what counts against it, worded as gaps to close"
    )
    base_value: float | None = None
    contributions: dict[str, float] | None = Field(
        default=None, description="base_value + all contributions == score"
    )
    paused: str | None = None
    matched_skills: list[MatchedSkill]
    missing_skills: list[MissingSkill]
    similarity: float
    learning: list[LearningItem]
    what_if: str


class MatchCard(Out):
    opportunity: OpportunityOut
    score: float
    rank: int
    explanation: MatchExplanation
    saved: bool = Field(default=False, description="the person saved it (and has not unsaved)")


class MatchFacets(Out):
    departments: list[str]
    locations: list[str]


class MatchesOut(Out):
    items: list[MatchCard]
    model: ModelOut
    ranking: RankingOut
    retrieval: RetrievalOut
    why: WhyOut | None = Field(default=None, description="when the list is empty or short")
    request_id: str = Field(description="the served ranking's id in the audit log")
    invitations: list[PairOut] = Field(
        default_factory=list, description="leads' invitations of this kind, waiting for you"
    )
    next_moves: list[RoleMoveOut] | None = Field(
        default=None,
        description="roles only: occupations next to yours that you are readiest for, with "
        "the gap, whether or not one is posted now",
    )
    matched: int | None = Field(
        default=None, description="eligible opportunities that passed the filters, all pages"
    )
    offset: int | None = Field(default=None, description="ranks skipped before this page")
    next_offset: int | None = Field(
        default=None, description="pass as `offset` for the next page (absent: the last page)"
    )
    filters: dict[str, Any] | None = Field(default=None, description="the filters applied")
    facets: MatchFacets | None = Field(
        default=None, description="departments and places among the eligible, to filter by"
    )


class SkillOverlap(Out):
    matched_skills: list[MatchedSkill]
    missing_skills: list[MissingSkill]


class WhatIfEdit(Out):
    change: Literal["add", "raise"]
    skill_id: str
    skill_name: str
    from_level: int
    to_level: int
    required: bool


class WhatIfOption(Out):
    edit: WhatIfEdit
    score: float
    score_change: float
    rank: int
    rank_change: int


class WhatIfCurrent(Out):
    score: float
    rank: int


class ProfileCorrection(Out):
    method: str
    path: str
    body: dict[str, str]


class WhatIfOut(Out):
    opportunity_external_id: str
    current: WhatIfCurrent
    best: WhatIfOption | None
    options: list[WhatIfOption]
    note: str
    model: ModelOut
    correct_profile: ProfileCorrection
