"""Opportunities: a posting as its pages show it, and the list of postings
(serving/routes/opportunities.py)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from serving.schemas.base import Out
from serving.schemas.occupations import OccupationChoiceOut, OccupationOut
from serving.schemas.skills import SkillLevelOut


class PostingSkillOut(SkillLevelOut):
    inferred: bool | None = Field(
        default=None, description="implied by the occupation, not chosen by the lead"
    )


class OpportunityOut(Out):
    external_id: str
    kind: str
    title: str
    description: str
    owner_external_id: str
    department: str
    location: str
    required_skills: list[PostingSkillOut]
    preferred_skills: list[PostingSkillOut]
    hours_per_week: float
    duration_weeks: int | None
    start_date: dt.date | None
    level_min: int
    level_max: int
    seats: int
    status: str
    occupation: OccupationOut | None
    needs_skills: bool = Field(
        default=False,
        description="no required skill and no occupation: matched with nobody until the lead "
        "lists skills or sets occupation_id",
    )
    seats_taken: int | None = Field(
        default=None,
        description="seats held by assignments (and the history's acceptances): the count the "
        "matching engine's 'every seat taken' rule reads",
    )
    occupation_choices: list[OccupationChoiceOut] = Field(
        default_factory=list,
        description="needs_skills: the closest occupations to its title, to choose from",
    )


class OpportunityListItem(OpportunityOut):
    applicants: int = Field(
        description="people who applied to it (or joined its waitlist or accepted an invitation), "
        "whatever stage they reached since: the number its board says"
    )
    owner_name: str | None = Field(description="the lead who owns it, by name")


class OpportunityListOut(Out):
    items: list[OpportunityListItem]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")
    total: int = Field(description="how many match the filters, over all pages")
