"""Oversight and audit (serving/routes/audits.py): the re-ranking policy, the oversight
record, the audit log's verification, checkpoints and replays, the report and outcome
figures, the live models and the served lists."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field

from serving.schemas.base import Out


class PolicyOut(Out):
    policy: str
    attribute: str
    protected: str | None
    p: float | None
    alpha: float
    targets: dict[str, float] | None
    paused: bool
    explore: bool = Field(description="exploration on: a few slots from just below the page")
    explore_share: float = Field(description="expected share of a first page's slots explored")
    explore_depth: int = Field(description="ranks below the page an explored item comes from")


class OversightEvent(Out):
    at: dt.datetime
    actor_role: str
    actor: str
    actor_name: str | None = Field(default=None, description="the actor's name, for auditors")
    action: str
    kind: str | None
    opportunity_external_id: str | None
    opportunity_title: str | None = None
    reason: str
    details: dict[str, Any]


class OversightOut(Out):
    items: list[OversightEvent]


class SealedStreamOut(Out):
    sealed: int = Field(description="rows a seal covers and that still match it")
    pending: int = Field(description="rows written since the last seal (sealed within moments)")


class VerifyOut(Out):
    ok: bool = Field(description="true only when intact")
    status: Literal["intact", "damaged", "unverifiable"] = Field(
        description="unverifiable: nothing sealed and no head file or checkpoint vouching for "
        "the log (a new log, or a wiped one)"
    )
    records: int
    seals: int = Field(description="seals over the interaction log and the oversight record")
    streams: dict[str, SealedStreamOut]
    purged_through: dict[str, int] = Field(
        description="the last record and seal a retention purge deleted: verified from there"
    )
    redacted: int = Field(
        description="records and rows an erasure pseudonymised, each vouched for by a redaction "
        "signed with the audit key"
    )
    problems: list[str]


class CheckpointOut(Out):
    format: str
    records: int
    head: str
    seals: int | None = None
    seals_head: str | None = None
    key_id: str
    at: str
    signature: str


class ReplayCounts(Out):
    served: int
    replayed: int


class ReplayOut(Out):
    request_id: str
    model_version: str
    scores_match: bool
    max_score_difference: float
    order_match: bool
    explanation_match: bool
    membership_unchanged: bool | None
    served: list[str] | None = Field(default=None, description="auditors (`items=true`)")
    replayed: list[str] | None = Field(default=None, description="auditors (`items=true`)")
    items: ReplayCounts | None = Field(default=None, description="how many, without who")
    notes: list[str]
    exact: bool


# The fairness report and the outcome figures (fairness/report_sections.py, fairness/outcomes.py),
# field for field and in the order the report writes them: a response model sets the order of
# the JSON, and one that does not match the figures fails the request (every model forbids
# fields it does not name).


def _absent(value: object) -> bool:
    return value is None


def _only_when(description: str) -> Any:
    """A key only some answers carry: left out of the JSON when absent (never sent as null)."""
    return Field(default=None, exclude_if=_absent, description=description)


SUPPRESSED_ROW = "suppressed: too few people in a cell, or needed to protect one; figures null"
Suppressed = Annotated[Literal[True], Field(description=SUPPRESSED_ROW)]
NotSuppressed = Annotated[Literal[False], Field(description="shown (not suppressed)")]
SuppressionReason = Annotated[str, Field(description='why, e.g. "fewer than 10 people"')]
Interval = tuple[float, float]


class ImpactRow(Out):
    """A category's rate and impact ratio (NYC LL144), with 95% intervals and a verdict."""

    category: str
    count: int = Field(description="rows: appearances, or applications")
    selected: int = Field(description="rows selected (or scored above the median)")
    rate: float
    impact_ratio: float | None = Field(
        description="rate ÷ the highest category's; null: too few to judge, or not shown"
    )
    excluded: bool = Field(description="too few to judge: shown, not compared")
    small_sample: bool
    below_four_fifths: bool = Field(description="the ratio's point estimate is under 0.8")
    people: int = Field(description="distinct people behind the rows")
    rate_ci: Interval | None = Field(description="95% Wilson interval")
    impact_ratio_ci: Interval | None = Field(description="95% Katz log interval")
    verdict: str = Field(description="below / at or above four-fifths, not enough evidence, ...")
    too_few: str | None = Field(description="why the category is too few to judge")
    suppressed: NotSuppressed


class SuppressedImpactRow(Out):
    """A suppressed category: its name, every figure null."""

    category: str
    count: None
    selected: None
    rate: None
    impact_ratio: None
    excluded: None
    small_sample: None
    people: None
    rate_ci: None
    impact_ratio_ci: None
    too_few: None
    below_four_fifths: Literal[False]
    verdict: Literal["suppressed"]
    suppressed: Suppressed
    reason: SuppressionReason


class ImpactTable(Out):
    """Selection (or scoring) rates by category of one attribute, and their impact ratios."""

    attribute: str = Field(description='e.g. "gender" or "gender × race_ethnicity"')
    measure: Literal["selection", "scoring"]
    threshold: float = Field(description="the four-fifths flag: 0.8")
    min_impact_ratio: float | None = Field(description="the lowest ratio among those shown")
    flagged: list[str] = Field(description="categories under four-fifths (point estimate)")
    below: list[str] = Field(description="categories whose whole interval is under 0.8")
    unsure: list[str] = Field(description="under 0.8, with an interval reaching 0.8")
    min_group: int = Field(description="fewest distinct people a category needs to be judged")
    unknown_count: int | None = Field(description="rows of unknown category; null: suppressed")
    categories: list[ImpactRow | SuppressedImpactRow] = Field(
        description="highest rate first; suppressed ones last"
    )
    warnings: list[str]


class ExposureRow(Out):
    category: str
    appearances: int
    exposure: float = Field(description="total position weight 1/log2(1+rank)")
    share: float = Field(description="of all exposure served, unknown included")
    mean_exposure: float = Field(description="per appearance")
    exposure_ratio: float | None = Field(
        description="mean exposure ÷ the most exposed group's; null: that group is suppressed"
    )
    suppressed: NotSuppressed


class SuppressedExposureRow(Out):
    category: str
    appearances: None
    exposure: None
    share: None
    mean_exposure: None
    exposure_ratio: None
    suppressed: Suppressed
    reason: SuppressionReason


class ExposureTable(Out):
    """Exposure of each group over the served pages (fairness/exposure.py)."""

    rankings: int
    min_exposure_ratio: float | None
    unknown_appearances: int | None = Field(description="null: suppressed")
    unknown_share: float | None = Field(description="null: suppressed")
    groups: list[ExposureRow | SuppressedExposureRow] = Field(
        description="highest ratio first; suppressed ones last"
    )
    notes: list[str] | None = _only_when("only when a group or the ratios are suppressed")


class PositionsSuppressed(Out):
    reason: SuppressionReason
    positions: dict[Literal["before", "after"], dict[str, list[int]]] = Field(
        description="per stage and category, the positions whose share is null"
    )


class ShareByPosition(Out):
    positions: list[int] = Field(description="1, 2, ... to the longest page")
    before: dict[str, list[float | None]] = Field(
        description="category -> its share of each position before re-ranking (null: suppressed)"
    )
    after: dict[str, list[float | None]] = Field(description="the same, as served")
    suppressed: PositionsSuppressed | None = _only_when("only when some share is suppressed")


class CandidateListsOut(Out):
    """Served candidate lists: "selected" is on the page the lead saw, per appearance."""

    appearances: int
    selection_before_reranking: dict[str, ImpactTable] = Field(
        description="per attribute (and sex × race/ethnicity), by the model's order"
    )
    selection_after_reranking: dict[str, ImpactTable] = Field(description="as served")
    scoring: dict[str, ImpactTable] = Field(
        description="share above the median model score, per attribute"
    )
    exposure_before_reranking: ExposureTable | None = _only_when(
        "only with enough lists in the window (else `withheld`)"
    )
    exposure_after_reranking: ExposureTable | None = _only_when("as `exposure_before_reranking`")
    share_by_position: ShareByPosition | None = _only_when("as `exposure_before_reranking`")
    withheld: str | None = _only_when("why exposure and share by position are not shown")


class NoFigures(Out):
    """Nothing to report in the window (no lists served, no applications): `{}`."""


class MovesSuppressed(Out):
    moved_up_by_category: list[str] = Field(description="the categories whose count is null")
    suppressed: Suppressed
    reason: SuppressionReason


class InterventionsOut(Out):
    """What the re-ranker and people changed in the served candidate lists."""

    rankings: int
    reranked: int = Field(description="rankings the policy re-ranked")
    paused: int = Field(description="rankings served while re-ranking was paused")
    moves: int
    moved_up: int
    moved_up_by_category: dict[str, int | None] = Field(description="null: suppressed")
    mean_displacement: float = Field(description="mean positions moved (up is positive)")
    pins: int
    hides: int
    suppressed: MovesSuppressed | None = _only_when("only when a count is suppressed")


class WeeklySelection(Out):
    week: str = Field(description='ISO week, e.g. "2026-W05"')
    lists: int
    appearances: int
    impact_ratio_before: float | None
    impact_ratio_after: float | None
    selection_rate: dict[str, dict[Literal["before", "after"], float]] = Field(
        description="category -> its rate before and after re-ranking (the groups judged)"
    )
    too_few: dict[str, int | None] = Field(
        description="groups left out that week -> people (null: suppressed)"
    )


class WeeklyShortlisting(Out):
    week: str
    weeks_read: int = Field(description="the trailing weeks of applications a point reads")
    applications: int
    shortlisted_rate: dict[str, float] = Field(description="gender -> shortlisting rate")
    impact_ratio: float | None
    too_few: dict[str, int | None] = Field(description="groups left out -> people")


class LeadDecisionsOut(Out):
    """Among applications in the window: who leads shortlisted, offered and took on."""

    applications: int
    shortlisted: dict[str, ImpactTable] = Field(description="per attribute")
    offered: dict[str, ImpactTable]
    accepted: dict[str, ImpactTable] = Field(description="taken on (assigned)")
    weekly: list[WeeklyShortlisting]


class ShownQualityRow(Out):
    category: str
    raw_mean: float = Field(description="over all its rows")
    mean: float | None = Field(description="over its rows in strata shared with another group")
    peer_mean: float | None
    gap: float | None = Field(description="mean − peer mean, stratum-standardised")
    difference: float | None = Field(description="against the best-served group")
    rows: int
    strata: int
    suppressed: NotSuppressed


class SuppressedShownQualityRow(Out):
    category: str
    raw_mean: None
    mean: None
    peer_mean: None
    gap: None
    difference: None
    rows: None
    strata: None
    suppressed: Suppressed
    reason: SuppressionReason


class ShownQualityTable(Out):
    attribute: str
    best_served: str | None
    unknown_count: int | None = Field(description="null: suppressed")
    unmatched_rows: int = Field(description="rows in strata holding one group: not compared")
    categories: list[ShownQualityRow | SuppressedShownQualityRow]


class EmployeeSideOut(Out):
    """Level and hours of the opportunities each group was shown, against peers of the same
    level and title."""

    rows: int
    level: ShownQualityTable
    hours: ShownQualityTable


class ReportOversightLine(Out):
    at: str
    actor_role: str
    action: str
    kind: str | None
    opportunity_external_id: str | None
    reason: str


class FeatureWeight(Out):
    feature: str
    share: float = Field(description="of the model's total gain")
    meaning: str


class PartialDependence(Out):
    feature: str
    grid: list[float] = Field(description="the feature's values (its quantiles)")
    mean_score: list[float] = Field(description="the mean score with the feature at each value")


class ModelReading(Out):
    """A live model's global view, over feature rows it scored in the window."""

    version: str
    importance: list[FeatureWeight]
    partial_dependence: list[PartialDependence]
    rows: int = Field(description="served feature rows the partial dependence read")


class ReportWindow(Out):
    from_: str | None = Field(alias="from")
    to: str | None
    focus_attribute: str = Field(description="the attribute verdicts and charts compare by")
    min_cell: int | None = Field(description="the smallest cell shown; null: every cell")
    served_candidate_lists: int
    applications: int
    served_match_lists: int


class FillCount(Out):
    posted: int
    filled_internally: int
    rate: float | None


class OutcomesWindow(Out):
    from_: str | None = Field(alias="from")
    to: str | None
    department: str | None
    days: float | None = Field(description="the window's length (an open end: its events')")
    min_cell: int | None = Field(description="the smallest cell shown; null: every cell")


class MedianDays(Out):
    median_days: float | None
    n: int


class Shares(Out):
    employees: int
    applied: float | None = Field(description="share of employees who applied")
    assigned: float | None = Field(description="share of employees assigned")


class GroupParticipation(Out):
    applied: ImpactTable
    assigned: ImpactTable


class Participation(Out):
    employees: int
    applied: float | None = Field(description="share of employees who applied")
    assigned: float | None = Field(description="share of employees assigned")
    by_department: dict[str, Shares]
    by_group: dict[str, GroupParticipation] = Field(description="per attribute")


class MobilityVelocity(Out):
    assignments: int
    role_moves: int
    assignments_per_100_per_quarter: float | None
    role_moves_per_100_per_quarter: float | None


class SkillsGapClosure(Out):
    skills_confirmed: int = Field(description="confirmed by the lead at completion")
    people_with_confirmed_skills: int
    profile_updates_proposed: int
    profile_updates_accepted: int
    through_courses: str = Field(description="why course completions are not counted")


class MentorLoad(Out):
    mentorships: int
    capacity: int = Field(description="mentee seats")
    mentees_now: int
    load: float | None = Field(description="mentees now over capacity")
    full: int = Field(description="mentorships with every seat taken")
    waitlisted: int
    longest_waitlist: int


class CareerPaths(Out):
    people_with_target: int
    targeting_roles: int
    targeting_occupations: int
    skills_confirmed_since_target: int
    roles_filled: int
    roles_filled_by_path_followers: int = Field(description="by someone whose target it was")
    share_by_path_followers: float | None


class MonthCounts(Out):
    applications: int
    assignments: int


class FillRate(Out):
    posted: int
    filled_internally: int
    rate: float | None
    by_kind: dict[str, FillCount]
    by_department: dict[str, FillCount]


class OutcomesOut(Out):
    """The marketplace's outcome figures (fairness/outcomes.py)."""

    window: OutcomesWindow
    employees: int
    internal_fill_rate: FillRate = Field(
        description="opportunities posted in the window that someone here took on"
    )
    time_to_first_application: MedianDays = Field(description="days from posting")
    time_to_fill: MedianDays = Field(description="days from posting")
    participation: Participation
    mobility_velocity: MobilityVelocity = Field(description="per 100 employees per quarter")
    skills_gap_closure: SkillsGapClosure
    time_to_proficiency: MedianDays = Field(
        description="days from an assignment to the completion confirming every skill it asked"
    )
    mentors: MentorLoad
    identity_reveals: int = Field(description="times a lead was shown who applied")
    career_paths: CareerPaths
    trend: dict[str, MonthCounts] = Field(description='per month ("2026-05"), oldest first')


class ReportOut(Out):
    window: ReportWindow
    threshold: float = Field(description="the four-fifths flag: 0.8")
    breaches: list[str] = Field(
        description="groups whose whole 95% impact-ratio interval is under four-fifths"
    )
    cautions: list[str] = Field(
        description="groups under four-fifths whose interval reaches 0.8 (not enough evidence "
        "either way), and groups too few to judge (under 30 people or 2% of the data), left "
        "out of every verdict"
    )
    candidate_lists: CandidateListsOut | NoFigures
    lead_decisions: LeadDecisionsOut | NoFigures
    employee_side: EmployeeSideOut | NoFigures
    trend: list[WeeklySelection] = Field(description="per ISO week with served lists")
    interventions: InterventionsOut | NoFigures
    oversight: list[ReportOversightLine] = Field(description="human oversight in the window")
    models: dict[str, ModelReading] = Field(description="per direction: the live model's view")
    outcomes: OutcomesOut = Field(description="the marketplace's outcome figures")


class BuildingOut(Out):
    """A report or aggregate not built yet (serving/builds.py): ask again at `poll`."""

    job_id: str
    kind: Literal["report", "outcomes"]
    status: Literal["queued", "building"]
    queued_at: dt.datetime
    poll: str = Field(description="the URL to ask again (this one with the job): 200 once built")
    retry_after: int = Field(description="seconds to wait before asking (also Retry-After)")


class LiveModel(Out):
    direction: str
    version: str
    source: Literal["company", "default"]
    card: str = Field(description="markdown")


class LiveModelsOut(Out):
    items: list[LiveModel]


class ServedListRef(Out):
    seq: int
    request_id: str
    served_at: dt.datetime
    direction: str
    kind: str
    query_external_id: str | None = Field(
        description="the opportunity; an employee only for auditors"
    )
    query_name: str | None = Field(
        default=None, description="the opportunity's title; the employee's name for auditors"
    )


class ServedListsOut(Out):
    items: list[ServedListRef]
    note: str | None = Field(
        default=None,
        description="why a search found less than it might (a person searched "
        "for without the auditor permission)",
    )
