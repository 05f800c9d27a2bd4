"""What the bias audit and impact assessment routes answer as JSON (serving/routes/bias_audit.py):
the shapes fairness/bias_audit.py and fairness/impact_assessment.py return."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from serving.schemas import Out


class AuditCategoryOut(Out):
    category: str
    count: int | None = Field(description="rows: applications, or appearances on lists")
    people: int | None = Field(description="distinct people behind the rows")
    share: float | None = Field(description="of the rows whose category is known")
    selected: int | None = Field(description="rows that reached the step / scored above median")
    rate: float | None = Field(description="selection rate or scoring rate")
    impact_ratio: float | None = Field(description="rate ÷ the highest compared category's rate")
    rate_ci: list[float] | None
    impact_ratio_ci: list[float] | None
    excluded: bool | None = Field(description="under 2% of the data: left out of the ratios")
    too_few: str | None
    small_sample: bool | None
    below_four_fifths: bool
    verdict: str
    suppressed: bool = Field(description="a small cell: figures withheld")
    reason: str | None = None


class ExcludedOut(Out):
    category: str
    count: int | None
    people: int | None
    rate: float | None
    too_few: str | None


class AuditTableOut(Out):
    measure: str = Field(description="shortlisted | offered | assigned | scored above the median")
    sample: str
    attribute: str
    attribute_name: str = Field(description="as LL144 names it: sex, race/ethnicity, ...")
    reference: str | None
    categories: list[AuditCategoryOut]
    unknown_rows: int | None = Field(description="rows whose category is not reported")
    unknown_people: int | None
    excluded: list[ExcludedOut]
    warnings: list[str]


class PeriodOut(Out):
    start: str
    end: str


class BiasAuditOut(Out):
    title: str
    audited_at: str
    period: PeriodOut
    kind: str
    data_source: str
    applications: int
    candidate_lists: int
    median_score: float | None
    min_share: float
    min_cell: int | None = Field(description="cells under this many people suppressed (None: all)")
    tables: list[AuditTableOut]


class PublishedOut(Out):
    published_at: str
    published_by_role: str
    sha256: str = Field(description="of the stored snapshot, as on the oversight log")
    audit: BiasAuditOut


class ImpactAssessmentOut(Out):
    drafted_at: str
    period: PeriodOut
    purpose: str
    features: list[tuple[str, str]]
    never_read: list[str]
    protected_attributes: list[str]
    live_models: list[dict[str, Any]]
    monitor: dict[str, Any]
    incidents: list[dict[str, Any]]
    policies: dict[str, dict[str, Any]]
    interleaving: list[dict[str, Any]]
    oversight_actions: dict[str, int]
    gates: str
