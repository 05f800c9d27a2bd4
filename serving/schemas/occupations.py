"""Occupations: the one a profile or posting is placed in, and what the occupation
routes answer (serving/routes/occupations.py): title matches and the skills they imply."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from serving.schemas.base import Out


class OccupationOut(Out):
    occupation_id: str
    label: str
    score: float | None = Field(description="how well the title matched it (1.0: declared)")
    source: Literal["inferred", "declared"]


class OccupationChoiceOut(Out):
    occupation_id: str
    label: str
    score: float


class OccupationMatchOut(Out):
    occupation_id: str
    label: str
    score: float = Field(description="1.0 for an exact title; else the embedding's cosine")
    method: Literal[
        "label", "alt_label", "hidden_label", "other_title", "head_noun", "title", "skills"
    ]
    matched_title: str = Field(description="the occupation's title that matched best")
    isco_group: str


class OccupationsOut(Out):
    query: str
    items: list[OccupationMatchOut]


class ImpliedSkillOut(Out):
    skill_id: str
    label: str
    essential: bool = Field(description="essential to the occupation (else optional)")
    typical_for: str = Field(description="the occupation that implies it")
    implied: Literal["required", "preferred"] | None = Field(
        default=None,
        description="suggest-skills: what a posting of this title sent without skills asks "
        "(required or preferred, at `level`); None: a further suggestion",
    )
    level: int | None = Field(default=None, description="the level an implied skill is asked at")


class SkillSuggestionsOut(Out):
    title: str
    occupation: OccupationMatchOut | None = Field(
        description="the occupation the title implies (None: no title matched well enough)"
    )
    alternatives: list[OccupationMatchOut] = Field(description="the next best occupations")
    skills: list[ImpliedSkillOut] = Field(description="essential first, the most specific first")


class MaybeSkillsOut(Out):
    occupation: OccupationOut | None
    skills: list[ImpliedSkillOut] = Field(
        description="skills the occupation implies that the profile lacks: confirm the ones "
        "you have (PUT /api/v1/employees/{id}/skills/{skill_id})"
    )
