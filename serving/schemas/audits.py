"""Oversight and audit (serving/routes/audits.py): the re-ranking policy, the oversight
record, the audit log's verification, checkpoints and replays, the report and outcome
figures, the live models and the served lists."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

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


class ReportOut(Out):
    window: dict[str, Any]
    threshold: float
    breaches: list[str] = Field(
        description="groups whose whole 95% impact-ratio interval is under four-fifths"
    )
    cautions: list[str] = Field(
        description="groups under four-fifths whose interval reaches 0.8 (not enough evidence "
        "either way), and groups too few to judge (under 30 people or 2% of the data), left "
        "out of every verdict"
    )
    candidate_lists: dict[str, Any]
    lead_decisions: dict[str, Any]
    employee_side: dict[str, Any]
    trend: list[dict[str, Any]]
    interventions: dict[str, Any]
    oversight: list[dict[str, Any]]
    models: dict[str, Any]
    outcomes: dict[str, Any] = Field(description="the marketplace's outcome figures")


class BuildingOut(Out):
    """A report or aggregate not built yet (serving/builds.py): ask again at `poll`."""

    job_id: str
    kind: Literal["report", "outcomes"]
    status: Literal["queued", "building"]
    queued_at: dt.datetime
    poll: str = Field(description="the URL to ask again (this one with the job): 200 once built")
    retry_after: int = Field(description="seconds to wait before asking (also Retry-After)")


class FillRate(Out):
    posted: int
    filled_internally: int
    rate: float | None
    by_kind: dict[str, dict[str, Any]]
    by_department: dict[str, dict[str, Any]]


class OutcomesOut(Out):
    window: dict[str, Any]
    employees: int
    internal_fill_rate: FillRate
    time_to_first_application: dict[str, Any]
    time_to_fill: dict[str, Any]
    participation: dict[str, Any]
    mobility_velocity: dict[str, Any]
    skills_gap_closure: dict[str, Any]
    time_to_proficiency: dict[str, Any]
    mentors: dict[str, Any]
    identity_reveals: int
    career_paths: dict[str, Any]
    trend: dict[str, dict[str, int]]


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
