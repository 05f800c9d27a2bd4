"""Skills: a skill held or asked at a level, and what the skill routes answer
(serving/routes/skills.py): suggestions, custom skills, aliases, HR's review."""

# No `from __future__ import annotations` here: ReviewOut names `serving.schemas` as its
# module (see there), and pydantic resolves a string annotation in the module a class
# names, where this module's names are not defined yet; real annotations need no lookup.

from pydantic import Field

from serving.schemas.base import Out


class SkillLevelOut(Out):
    skill_id: str
    name: str
    level: int = Field(description="1 (aware) … 5 (expert)")


class Suggestion(Out):
    skill_id: str
    label: str
    score: float
    method: str


class SuggestionsOut(Out):
    query: str
    items: list[Suggestion]


class SkillUses(Out):
    profiles: int
    opportunities: int


class Resemblance(Out):
    skill_id: str
    label: str
    score: float


class CustomSkill(Out):
    skill_id: str
    label: str
    status: str
    created_by: str | None
    uses: SkillUses
    resembles: list[Resemblance]


class AliasOut(Out):
    alias: str
    skill_id: str
    label: str


class AliasAddedOut(AliasOut):
    merged_custom_skill: str | None = Field(
        description="the custom skill made from this name before, merged into the skill"
    )
    profiles: int = Field(description="profiles moved from that custom skill")
    opportunities: int


class ReviewOut(Out):
    # serving/rights_schemas.py has a ReviewOut too, so the OpenAPI document names both by
    # their module: naming the package keeps this one `serving__schemas__ReviewOut`, the
    # name it had before serving/schemas.py became a package.
    __module__ = "serving.schemas"

    skill_id: str
    status: str | None = None
    label: str | None = None
    published_as: str | None = None
    merged_into: str | None = None
    profiles: int | None = None
    opportunities: int | None = None
