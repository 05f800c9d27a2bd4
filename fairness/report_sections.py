"""The sections of HR's fairness report as published (fairness/report.py builds them): one
`TypedDict` per section, its keys in the order the report writes them.

A section with nothing to report (no candidate lists served in the window, no applications)
is published as `{}`; the report holds None for it. The impact, exposure and shown-quality
tables are the ones fairness/metrics.py and fairness/exposure.py publish, and the outcome
figures fairness/outcomes.py's.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from fairness.exposure import ExposureTable
from fairness.metrics import ImpactTable, ShownQualityRow
from fairness.outcomes import MarketplaceOutcomes
from fairness.small_cells import SuppressedMarker

# "from" is a keyword: the functional form names it.
ReportWindow = TypedDict(
    "ReportWindow",
    {
        "from": str | None,
        "to": str | None,
        "focus_attribute": str,
        "min_cell": int | None,
        # Counted as the report is built (always there once it is).
        "served_candidate_lists": NotRequired[int],
        "applications": NotRequired[int],
        "served_match_lists": NotRequired[int],
    },
)

# attribute (and the sex × race/ethnicity intersection) -> its table
ImpactTables = dict[str, ImpactTable]


class PositionsSuppressed(TypedDict):
    reason: str
    positions: dict[str, dict[str, list[int]]]  # "before"/"after" -> category -> positions


class ShareByPosition(TypedDict):
    positions: list[int]  # 1, 2, ... to the longest page
    before: dict[str, list[float | None]]  # category -> its share of each position
    after: dict[str, list[float | None]]
    suppressed: NotRequired[PositionsSuppressed]  # only when some share is


class CandidateLists(TypedDict):
    appearances: int
    selection_before_reranking: ImpactTables
    selection_after_reranking: ImpactTables
    scoring: ImpactTables
    # With enough lists in the window, exposure and share by position; else why they are not.
    exposure_before_reranking: NotRequired[ExposureTable]
    exposure_after_reranking: NotRequired[ExposureTable]
    share_by_position: NotRequired[ShareByPosition]
    withheld: NotRequired[str]


class MovesSuppressed(SuppressedMarker):
    moved_up_by_category: list[str]  # the categories whose count is null


class Interventions(TypedDict):
    rankings: int
    reranked: int
    paused: int
    moves: int
    moved_up: int
    moved_up_by_category: dict[str, int | None]  # None: suppressed
    mean_displacement: float
    pins: int
    hides: int
    suppressed: NotRequired[MovesSuppressed]


class WeeklySelection(TypedDict):
    week: str  # ISO week, "2026-W05"
    lists: int
    appearances: int
    impact_ratio_before: float | None
    impact_ratio_after: float | None
    selection_rate: dict[str, dict[Literal["before", "after"], float]]
    too_few: dict[str, int | None]  # category -> people (None: suppressed)


class WeeklyShortlisting(TypedDict):
    week: str
    weeks_read: int
    applications: int
    shortlisted_rate: dict[str, float]
    impact_ratio: float | None
    too_few: dict[str, int | None]


class LeadDecisions(TypedDict):
    applications: int
    shortlisted: ImpactTables
    offered: ImpactTables
    accepted: ImpactTables
    weekly: list[WeeklyShortlisting]


class ShownQualityShown(ShownQualityRow):
    """A group's row of the employee-side comparison, shown."""

    suppressed: Literal[False]


class ShownQualitySuppressed(SuppressedMarker):
    category: str
    raw_mean: None
    mean: None
    peer_mean: None
    gap: None
    difference: None
    rows: None
    strata: None


class EmployeeSideTable(TypedDict):
    attribute: str
    best_served: str | None
    unknown_count: int | None  # None: suppressed
    unmatched_rows: int
    categories: list[ShownQualityShown | ShownQualitySuppressed]


class EmployeeSide(TypedDict):
    rows: int
    level: EmployeeSideTable
    hours: EmployeeSideTable


class OversightLine(TypedDict):
    at: str
    actor_role: str
    action: str
    kind: str | None
    opportunity_external_id: str | None
    reason: str


class FeatureWeight(TypedDict):
    feature: str
    share: float  # of the model's total gain
    meaning: str


class PartialDependence(TypedDict):
    feature: str
    grid: list[float]
    mean_score: list[float]


class GlobalView(TypedDict):
    """A model's global view, as the serving layer hands it in (training/global_view.py)."""

    importance: list[FeatureWeight]
    partial_dependence: list[PartialDependence]
    rows: int  # feature rows the partial dependence read


class ModelReading(GlobalView):
    version: str


class NoFigures(TypedDict):
    """A section with nothing to report: `{}`."""


class ReportDocument(TypedDict):
    window: ReportWindow
    threshold: float
    breaches: list[str]
    cautions: list[str]
    candidate_lists: CandidateLists | NoFigures
    lead_decisions: LeadDecisions | NoFigures
    employee_side: EmployeeSide | NoFigures
    trend: list[WeeklySelection]
    interventions: Interventions | NoFigures
    oversight: list[OversightLine]
    models: dict[str, ModelReading]  # per direction
    outcomes: MarketplaceOutcomes | NoFigures
