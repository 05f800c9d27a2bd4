"""The workflow (serving/routes/pipeline.py, serving/usecases/pipeline.py): where a
(person, opportunity) pair stands, each side's board, approvals and skill proposals."""

# No `from __future__ import annotations` here: StepOut names `serving.schemas` as its
# module (see there), and pydantic resolves a string annotation in the module a class
# names, where this module's names are not defined yet; real annotations need no lookup.

import datetime as dt
from typing import Literal

from pydantic import Field

from serving.schemas.base import Out
from serving.schemas.candidates import MaskedCandidate
from serving.schemas.opportunities import OpportunityOut
from serving.schemas.skills import SkillLevelOut


class Identity(Out):
    """Who a candidate is: shown to the lead once the candidate applied or accepted."""

    external_id: str
    name: str
    email: str | None


class PipelineCandidate(MaskedCandidate):
    identity: Identity | None = Field(
        default=None, description="after an application or an accepted invitation only"
    )


class ApprovalState(Out):
    status: Literal["none", "pending", "approved", "declined", "cancelled"]
    approver_external_id: str | None = None
    requested_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    reason: str | None = None
    escalated: bool = False


class PairOut(Out):
    """Where one (person, opportunity) pair stands, as the side that asked sees it."""

    id: int
    opportunity_external_id: str
    stage: str
    allowed_next: list[str] = Field(description="the steps the caller may take now")
    origin: str = Field(description="application | invitation | waitlist")
    note: str
    reason_code: str | None = None
    approval: ApprovalState
    hours_per_week: float | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    lead_rating: int | None = None
    employee_rating: int | None = None
    skills_used: list[SkillLevelOut] | None = None
    request_id: str | None = Field(default=None, description="the served list it came from")
    created_at: dt.datetime
    updated_at: dt.datetime
    candidate: PipelineCandidate | None = Field(default=None, description="the lead's view")
    opportunity: OpportunityOut | None = Field(default=None, description="the employee's view")
    waitlist_position: int | None = None
    lapsed: str | None = Field(
        default=None,
        description="an invitation or offer that lapsed: why, in words ('every seat was "
        "taken on 2026-12-01')",
    )


class SkillProposalOut(Out):
    id: int
    skill_id: str
    label: str
    level: int
    current_level: int = Field(description="the level the profile holds now (0: none)")
    opportunity_external_id: str
    status: Literal["pending", "accepted", "declined"]
    created_at: dt.datetime
    decided_at: dt.datetime | None = None


class StepOut(PairOut):
    # serving/rights_schemas.py has a StepOut too, so the OpenAPI document names both by
    # their module: naming the package keeps this one `serving__schemas__StepOut`, the
    # name it had before serving/schemas.py became a package.
    __module__ = "serving.schemas"

    created: bool
    proposals: list[SkillProposalOut] = Field(
        default_factory=list, description="profile updates the completion proposes"
    )


class LeadPipelineOut(Out):
    opportunity_external_id: str
    status: str
    seats: int
    seats_filled: int = Field(description="seats held by assignments made in this workflow")
    seats_taken: int = Field(
        description="seats_filled plus the history's acceptances: what 'every seat is taken' counts"
    )
    applicants: int = Field(
        description="people here who applied (or joined the waitlist or accepted an invitation), "
        "whatever stage they reached since; the lead's list says the same number"
    )
    stages: dict[str, list[PairOut]] = Field(description="each stage with its pairs, oldest first")


class EmployeePipelineOut(Out):
    employee_external_id: str
    applications: list[PairOut]
    invitations: list[PairOut]
    offers: list[PairOut]
    waitlists: list[PairOut]
    assignments: list[PairOut]
    closed: list[PairOut]
    committed_hours_per_week: float
    availability_hours_per_week: float


class Commitment(Out):
    opportunity_external_id: str
    title: str
    hours_per_week: float
    ends_on: dt.date | None


class ApprovalOut(Out):
    pair_id: int
    employee: Identity
    opportunity: OpportunityOut
    hours_per_week: float
    share_of_week: float
    other_commitments_hours_per_week: float
    commitments: list[Commitment] = Field(
        default_factory=list, description="what the other committed hours are: current work"
    )
    availability_hours_per_week: float
    hours_left_per_week: float = Field(
        description="free hours less the committed ones and this gig's: negative when over"
    )
    approval: ApprovalState


class ApprovalsOut(Out):
    items: list[ApprovalOut]


class QuietModeOut(Out):
    employee_external_id: str
    quiet_mode: bool


class SkillProposalsOut(Out):
    items: list[SkillProposalOut]
