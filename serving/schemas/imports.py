"""Bulk imports of employees and opportunities (serving/routes/imports.py and the bulk
routes): the import report, the counts, and the background job that writes them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from serving.schemas.base import Out
from serving.schemas.occupations import OccupationChoiceOut


class NameResolutionOut(Out):
    name: str = Field(description="as first written")
    skill_id: str
    label: str = Field(description="what it became")
    method: Literal["alias", "alt_label", "spelling", "partial_label", "embedding", "custom"]
    score: float
    first_row: int
    rows: int = Field(description="records that wrote this name")
    review: bool = Field(description="a new custom skill, flagged for HR's review")
    nearest: str | None = Field(description="custom: the closest taxonomy skill")
    nearest_score: float | None


class SkillMergeOut(Out):
    row: int
    field: str
    skill_id: str
    label: str
    names: list[str] = Field(description="the names in the record that meant this skill")
    level: int = Field(description="the level kept: the highest given")
    reason: str


class UnplacedTitleOut(Out):
    row: int
    external_id: str
    title: str
    closest: list[OccupationChoiceOut] = Field(description="best first, all below the bar")


class ImportReportOut(Out):
    summary: dict[str, int]
    names: list[NameResolutionOut] = Field(
        description="every name that was not an exact ESCO preferred label"
    )
    merges: list[SkillMergeOut]
    department_defaulted_rows: list[int]
    unplaced_titles: list[UnplacedTitleOut] = Field(
        default_factory=list, description="titles placed in no occupation: stored without one"
    )
    needs_skills_rows: list[int] = Field(
        default_factory=list,
        description="postings with no skills and no occupation: stored, matched with nobody "
        "until their lead lists skills or picks an occupation",
    )
    taxonomy_changes: list[str] = Field(
        default_factory=list,
        description="what loading a newer packaged taxonomy changed before this import, e.g. "
        "\"custom skill 'Tableau' merged into Tableau (O*NET tool)\"",
    )
    truncated: bool = Field(description="lists cut at 1,000 entries; the summary counts all")


class UpsertOut(Out):
    created: int
    updated: int
    report: ImportReportOut


class ImportErrorOut(Out):
    index: int | None = Field(description="the item of the bulk array")
    field: str
    message: str


class ImportJobOut(Out):
    job_id: str
    kind: Literal["employees", "opportunities"]
    status: Literal["queued", "running", "succeeded", "failed"]
    phase: str = Field(description="what it is doing now")
    done: int
    total: int = Field(description="records in the batch")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    result: UpsertOut | None = Field(description="succeeded: counts and the import report")
    errors: list[ImportErrorOut] | None = Field(
        description="failed: every invalid field (nothing was written)"
    )
