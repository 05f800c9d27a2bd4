"""What the rights routes take and send (serving/routes/rights.py): a person's decisions, their
review requests and data corrections, HR's queues of both, and the notice where ranking
happens."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from data.schemas import ContractModel

Reason = Field(min_length=1, max_length=2000, description="why, in the person's words")


class ListPlace(BaseModel):
    """The person's place in one list the lead was served, from its sealed audit record."""

    request_id: str
    served_at: str
    position: int | None = Field(description="served rank; null: hidden by an override")
    on_page: bool
    page_size: int
    list_length: int = Field(description="how many people the list ranked")
    reasons: list[dict[str, str]] = Field(description="{text, effect: raises | lowers}")
    model_version: str
    policy: str = Field(description="the re-ranking policy's name (off, none, fa*ir, ...)")
    paused: bool = Field(description="automated ranking was paused by HR for this kind")


class StepOut(BaseModel):
    decision_id: int
    step: str
    words: str
    at: str
    by: str = Field(description="a role: you | lead | manager | hr | admin | the service")
    adverse: bool
    can_ask_review: bool
    list: ListPlace | None = None
    review: dict[str, Any] | None = None


class PostingRef(BaseModel):
    external_id: str
    title: str | None
    kind: str | None


class PostingDecisions(BaseModel):
    opportunity: PostingRef
    steps: list[StepOut]


class WhatYouCanDo(BaseModel):
    action: str
    how: str


class DecisionsOut(BaseModel):
    items: list[PostingDecisions]
    what_you_can_do: list[WhatYouCanDo]


class ReviewAsk(ContractModel):
    """One decision: its `decision_id`, or `opportunity_external_id` for the newest decision
    about you on that posting that is not your own step."""

    decision_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="a decision's id from /me/decisions"
    )
    opportunity_external_id: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Reason


class ReviewOut(BaseModel):
    id: int
    decision_id: int
    decision: str
    opportunity_external_id: str
    reason: str
    status: Literal["open", "upheld", "overturned"]
    created_at: str
    due_at: str
    overdue: bool
    version: int
    remedy: str | None = None
    answer: str | None = None
    decided_at: str | None = None
    decided_by: str | None = Field(default=None, description="a role, never a name")
    employee_external_id: str | None = Field(default=None, description="HR's views only")


class ReviewsOut(BaseModel):
    items: list[ReviewOut]


class HrReviewsOut(ReviewsOut):
    sla_days: int
    overdue: int


class HistoryStep(BaseModel):
    id: int
    type: str
    at: str
    by: str
    actor: str | None
    details: dict[str, Any]


class ReviewDetailOut(ReviewOut):
    history: list[HistoryStep]
    lists: list[ListPlace]
    replay: dict[str, Any] | None = Field(
        default=None, description="the newest list behind the decision, replayed (no names)"
    )


class ReviewDecide(ContractModel):
    outcome: Literal["upheld", "overturned"]
    answer: str = Field(default="", max_length=2000, description="HR's reasons, told the person")
    remedy: str = Field(
        default="", max_length=2000, description="what will be done (needed when overturned)"
    )
    version: int | None = Field(default=None, ge=1, le=2**31 - 1, description="as read")


class SlaIn(ContractModel):
    days: int = Field(ge=1, le=365, description="days HR has to answer a review request")
    reason: str = Field(default="", max_length=2000)


class SlaOut(BaseModel):
    days: int


CorrectableField = Literal["title", "level", "department", "manager_external_id", "hire_date"]


class CorrectionAsk(ContractModel):
    field: CorrectableField
    value: str | int | None = Field(description="the right value (level: 1 to 7; hire_date: ISO)")
    reason: str = Reason


class CorrectionOut(BaseModel):
    id: int
    field: str
    current_value: Any = None
    proposed_value: Any = None
    reason: str
    status: Literal["pending", "accepted", "refused"]
    created_at: str
    version: int
    answer: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None
    employee_external_id: str | None = None


class CorrectionsOut(BaseModel):
    items: list[CorrectionOut]


class CorrectionDecide(ContractModel):
    outcome: Literal["accepted", "refused"]
    answer: str = Field(default="", max_length=2000, description="HR's reasons (a refusal: needed)")
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class LiveCard(BaseModel):
    direction: str
    version: str
    source: str
    card: str


class NoticeOut(BaseModel):
    """Where ranking happens: what it is, what it reads and never reads, how to step out of
    it and how to contest it, and the live models' cards."""

    automated: str
    reads: list[str]
    never_reads: list[str]
    pause: str
    quiet_mode: str
    review: str
    correct: str
    models: list[LiveCard]
