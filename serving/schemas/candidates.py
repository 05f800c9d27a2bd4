"""A lead's side of matching (serving/routes/opportunities.py): masked candidates, the
ranked list of them, applicants, and the pins and hides set on a list."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from serving.schemas.base import Out
from serving.schemas.rankings import ModelOut, RankingOut, RetrievalOut, WhyOut


class LeadReason(Out):
    feature: str
    text: str
    effect: Literal["raises", "lowers"]


class AskedSkillHeld(Out):
    skill_id: str
    name: str
    required: bool
    level_asked: int
    held: Literal["at_or_above", "below", "held", "not_held"] = Field(
        description="at or above the asked level, below it, held (level band withheld), or not"
    )


class CandidateCoverage(Out):
    required: int
    required_held: int | None = None
    required_at_level: int | None = Field(default=None, description="held at the asked level")
    preferred: int | None = None
    preferred_held: int | None = None
    required_share: Literal["none", "some", "most", "all"] | None = Field(
        default=None, description="on a coarse card, instead of the counts"
    )


class MaskedCandidate(Out):
    """Before the reveal, only what the posting asks about, coarsened until at least `k`
    candidates of the list look exactly alike (matching/masking.py)."""

    handle: str = Field(description="a pseudonym for this lead and opportunity only")
    alias: str = Field(
        description="a readable name read off the handle ('Candidate Amber Falcon'): stable "
        "for this candidate on this posting, saying nothing of who it is"
    )
    detail: Literal["skills", "held", "counts", "coarse", "withheld"] = Field(
        description="how much this card shows: each asked skill in a band; held or not; "
        "counts; a share of the required skills; nothing"
    )
    shared_by: int | None = Field(
        default=None, description="candidates of this list whose card looks exactly alike"
    )
    k: int | None = Field(default=None, description="the fewest a card must look like")
    asked_skills: list[AskedSkillHeld] | None = None
    coverage: CandidateCoverage | None = None
    level_in_range: bool | None = Field(
        default=None, description="whether the person's level lies in the posting's range"
    )
    external_id: str | None = Field(default=None, description="admins only")


class CandidateExplanation(Out):
    reasons: list[LeadReason] = Field(description="said from the card's facts only")
    paused: str | None = None
    similarity: float | None = Field(default=None, description="admins only")


class CandidateCard(Out):
    candidate: MaskedCandidate
    rank: int
    explanation: CandidateExplanation
    pinned: bool
    score: float | None = Field(default=None, description="admins only")


class CandidatesOut(Out):
    items: list[CandidateCard]
    model: ModelOut
    ranking: RankingOut
    retrieval: RetrievalOut
    why: WhyOut | None = Field(default=None, description="when the list is empty or short")
    request_id: str


class Applicant(Out):
    candidate: MaskedCandidate
    applied_at: dt.datetime


class ApplicantsOut(Out):
    items: list[Applicant]


class OverrideOut(Out):
    id: int
    candidate: str = Field(description="the handle the owning lead knows")
    alias: str = Field(description="the handle's readable name")
    external_id: str | None = Field(default=None, description="HR and admins")
    action: Literal["pin", "hide"]
    reason: str
    by_role: str
    created_at: dt.datetime


class OverridesOut(Out):
    items: list[OverrideOut]


class RevokedOut(Out):
    revoked: int
