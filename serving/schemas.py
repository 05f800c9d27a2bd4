"""What each route answers: the response models the OpenAPI document shows.

Every model forbids fields it does not name, so a route that starts sending something new fails
its tests instead of drifting from its documentation. Fields that only some answers carry (an
admin's `external_id`, the employee's amounts, a paused kind's note) are optional and left out
when absent (routes set `response_model_exclude_unset`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(Out, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


# -- people and opportunities ------------------------------------------------------------------


class SkillLevelOut(Out):
    skill_id: str
    name: str
    level: int = Field(description="1 (aware) … 5 (expert)")


class OccupationOut(Out):
    occupation_id: str
    label: str
    score: float | None = Field(description="how well the title matched it (1.0: declared)")
    source: Literal["inferred", "declared"]


class PostingSkillOut(SkillLevelOut):
    inferred: bool | None = Field(
        default=None, description="implied by the occupation, not chosen by the lead"
    )


class ProfileOut(Out):
    external_id: str
    name: str
    email: str | None
    title: str
    department: str
    level: int
    location: str
    timezone: str
    manager_external_id: str | None
    hire_date: dt.date | None
    skills: list[SkillLevelOut]
    interests: list[str]
    aspirations: str
    bio: str
    availability_hours_per_week: float
    open_to: list[str]
    occupation: OccupationOut | None


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


class PersonOut(Out):
    """A person to pick (an admin choosing the lead who owns a posting)."""

    external_id: str
    name: str
    title: str
    department: str
    leads: bool = Field(description="owns postings, manages people or holds a lead token")
    why: str = Field(description="why they can own a posting, in words")


class PeopleOut(Out):
    items: list[PersonOut]


class DepartmentsOut(Out):
    items: list[str] = Field(description="the company's departments, by name")


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


class OccupationChoiceOut(Out):
    occupation_id: str
    label: str
    score: float


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


class MeOut(Out):
    role: str
    subject_external_id: str | None
    name: str | None = Field(default=None, description="the person the token acts as")
    direct_reports: int = Field(
        default=0, description="people who name this person as their manager (approvals)"
    )
    scopes: list[str] = Field(default_factory=list)


class SessionOut(Out):
    signed_in: bool
    me: MeOut | None = None


class SignedOutOut(Out):
    signed_out: bool
    end_session_url: str | None = Field(
        default=None,
        description="A single sign-on session: the identity provider's sign-out to go to next",
    )


class StatsOut(Out):
    employees: int
    opportunities: dict[str, dict[str, int]] = Field(description="kind -> status -> count")
    interactions: dict[str, int] = Field(description="event type -> count")


# -- served rankings ---------------------------------------------------------------------------


class ModelOut(Out):
    version: str
    source: Literal["company", "default"]


class RankingOut(Out):
    policy: str = Field(description="the re-ranking policy applied (never who it moved)")


class RetrievalOut(Out):
    pool: int
    eligible: int
    removed_by_rule: dict[str, int] | None = Field(
        default=None,
        description="exact counts per rule; left out of a lead's candidates (counts of people "
        "that could single someone out: `why` says them banded)",
    )
    ranked: int


class WhyRuleOut(Out):
    rule: str = Field(
        description="an eligibility rule (matching/eligibility.py), or hidden_from_this_list"
    )
    removed: int | None = Field(
        description="how many it removed; null on a lead's list where the exact count could "
        "single people out (see removed_words)"
    )
    removed_words: str = Field(description="the count as said: 40, fewer than 5, ...")
    alone: int | None = Field(description="how many it alone removed (null: banded, or n/a)")
    alone_words: str
    text: str = Field(description="what removed them, in words")
    change: str | None = Field(description="what the reader could change about it")
    where: Literal["profile", "applications", "posting"] | None = Field(
        description="the page to change it on"
    )
    field: str | None = Field(description="the field there")


class WhyChangeOut(Out):
    text: str
    where: Literal["profile", "applications", "posting"] | None
    field: str | None
    would_add: int | None = Field(
        description="items this change alone would bring back (null: unknown or banded)"
    )


class WhyOut(Out):
    """Why a list is empty or shorter than asked (present only then)."""

    summary: str
    considered: int = Field(description="items searched over")
    eligible: int = Field(description="items no hard rule removed")
    shown: int
    asked: int = Field(description="the limit asked for")
    rules: list[WhyRuleOut] = Field(description="largest first")
    changes: list[WhyChangeOut] = Field(description="those bringing back the most first")


class MatchedSkill(Out):
    skill_id: str
    name: str
    level_required: int
    required: bool
    level: int = Field(description="the level held")
    inferred_from: str | None = Field(
        default=None,
        description="the posting's occupation, when this skill was implied by its title "
        "rather than chosen by its lead (typical for: ...)",
    )


class MissingSkill(Out):
    skill_id: str
    name: str
    level_required: int
    required: bool
    inferred_from: str | None = None


class EmployeeReason(Out):
    feature: str
    text: str
    contribution: float


class LeadReason(Out):
    feature: str
    text: str
    effect: Literal["raises", "lowers"]


class LearningItem(Out):
    skill_id: str
    skill_name: str
    level_held: int
    level_asked: int
    kind: str = Field(description="course, gig or mentorship")
    external_id: str
    title: str
    hours: float
    closes_gap: bool
    level_to: int | None = Field(default=None, description="courses: the level reached")
    level: int | None = Field(default=None, description="openings: the level they ask")
    url: str | None = Field(default=None, description="courses: where the catalogue has it")


class GapOut(Out):
    feature: str
    text: str = Field(description="what stands between the person and this work, as a gap")


class MatchExplanation(Out):
    reasons: list[EmployeeReason] = Field(description="what speaks for the match")
    gaps: list[GapOut] = Field(
        default_factory=list, description="what counts against it, worded as gaps to close"
    )
    base_value: float | None = None
    contributions: dict[str, float] | None = Field(
        default=None, description="base_value + all contributions == score"
    )
    paused: str | None = None
    matched_skills: list[MatchedSkill]
    missing_skills: list[MissingSkill]
    similarity: float
    learning: list[LearningItem]
    what_if: str


class MatchCard(Out):
    opportunity: OpportunityOut
    score: float
    rank: int
    explanation: MatchExplanation
    saved: bool = Field(default=False, description="the person saved it (and has not unsaved)")


class MatchFacets(Out):
    departments: list[str]
    locations: list[str]


class RoleMoveSkillOut(Out):
    skill_id: str
    label: str
    kind: Literal["skill", "tool"] = Field(description="an essential skill of it, or a tool")


class RoleMoveOut(Out):
    """A good next move: an occupation next to the person's own (matching/next_moves.py)."""

    occupation_id: str
    label: str
    relatedness: float = Field(description="to the person's occupation (0 to 1)")
    fit: float = Field(description="the order: relatedness and the weighted share held")
    held: list[RoleMoveSkillOut]
    gap: list[RoleMoveSkillOut] = Field(description="what the person lacks, most specific first")
    gap_total: int


class MatchesOut(Out):
    items: list[MatchCard]
    model: ModelOut
    ranking: RankingOut
    retrieval: RetrievalOut
    why: WhyOut | None = Field(default=None, description="when the list is empty or short")
    request_id: str = Field(description="the served ranking's id in the audit log")
    invitations: list[PairOut] = Field(
        default_factory=list, description="leads' invitations of this kind, waiting for you"
    )
    next_moves: list[RoleMoveOut] | None = Field(
        default=None,
        description="roles only: occupations next to yours that you are readiest for, with "
        "the gap, whether or not one is posted now",
    )
    matched: int | None = Field(
        default=None, description="eligible opportunities that passed the filters, all pages"
    )
    offset: int | None = Field(default=None, description="ranks skipped before this page")
    next_offset: int | None = Field(
        default=None, description="pass as `offset` for the next page (absent: the last page)"
    )
    filters: dict[str, Any] | None = Field(default=None, description="the filters applied")
    facets: MatchFacets | None = Field(
        default=None, description="departments and places among the eligible, to filter by"
    )


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


class SkillOverlap(Out):
    matched_skills: list[MatchedSkill]
    missing_skills: list[MissingSkill]


class Applicant(Out):
    candidate: MaskedCandidate
    applied_at: dt.datetime


class ApplicantsOut(Out):
    items: list[Applicant]


class WhatIfEdit(Out):
    change: Literal["add", "raise"]
    skill_id: str
    skill_name: str
    from_level: int
    to_level: int
    required: bool


class WhatIfOption(Out):
    edit: WhatIfEdit
    score: float
    score_change: float
    rank: int
    rank_change: int


class WhatIfCurrent(Out):
    score: float
    rank: int


class ProfileCorrection(Out):
    method: str
    path: str
    body: dict[str, str]


class WhatIfOut(Out):
    opportunity_external_id: str
    current: WhatIfCurrent
    best: WhatIfOption | None
    options: list[WhatIfOption]
    note: str
    model: ModelOut
    correct_profile: ProfileCorrection


# -- oversight ---------------------------------------------------------------------------------


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


# -- skills ------------------------------------------------------------------------------------


class Suggestion(Out):
    skill_id: str
    label: str
    score: float
    method: str


class SuggestionsOut(Out):
    query: str
    items: list[Suggestion]


class OccupationMatchOut(Out):
    occupation_id: str
    label: str
    score: float = Field(description="1.0 for an exact title; else the embedding's cosine")
    method: Literal[
        "label", "alt_label", "hidden_label", "other_title", "head_noun", "title", "skills"
    ]
    matched_title: str = Field(description="the occupation's title that matched best")
    isco_group: str


class OccupationsOut(Out):
    query: str
    items: list[OccupationMatchOut]


class ImpliedSkillOut(Out):
    skill_id: str
    label: str
    essential: bool = Field(description="essential to the occupation (else optional)")
    typical_for: str = Field(description="the occupation that implies it")
    implied: Literal["required", "preferred"] | None = Field(
        default=None,
        description="suggest-skills: what a posting of this title sent without skills asks "
        "(required or preferred, at `level`); None: a further suggestion",
    )
    level: int | None = Field(default=None, description="the level an implied skill is asked at")


class SkillSuggestionsOut(Out):
    title: str
    occupation: OccupationMatchOut | None = Field(
        description="the occupation the title implies (None: no title matched well enough)"
    )
    alternatives: list[OccupationMatchOut] = Field(description="the next best occupations")
    skills: list[ImpliedSkillOut] = Field(description="essential first, the most specific first")


class MaybeSkillsOut(Out):
    occupation: OccupationOut | None
    skills: list[ImpliedSkillOut] = Field(
        description="skills the occupation implies that the profile lacks: confirm the ones "
        "you have (PUT /api/v1/employees/{id}/skills/{skill_id})"
    )


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
    skill_id: str
    status: str | None = None
    label: str | None = None
    published_as: str | None = None
    merged_into: str | None = None
    profiles: int | None = None
    opportunities: int | None = None


# -- health ------------------------------------------------------------------------------------


class HealthOut(Out):
    status: str


class ReadyOut(Out):
    ready: bool
    details: dict[str, Any] | None = Field(
        default=None, description="for an HR or admin token only"
    )


# -- the workflow (serving/usecases/pipeline.py) -----------------------------------------------


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


# -- career paths ------------------------------------------------------------------------------


class CareerTargetRef(Out):
    kind: Literal["role", "occupation"]
    id: str
    label: str


class CareerTargetOut(Out):
    employee_external_id: str
    target: CareerTargetRef | None
    set_at: dt.datetime | None = None


class CareerGap(Out):
    skill_id: str
    name: str
    level_held: int
    level_needed: int
    confirmed_by_work: bool = Field(description="held through completed work, not the profile")


class PathStep(Out):
    order: int
    kind: Literal["course", "mentorship", "gig"]
    external_id: str
    title: str
    hours: float
    hours_are: Literal["total", "per week"]
    builds: list[dict[str, Any]]


class CareerProgress(Out):
    skills_needed: int
    skills_met: int
    share: float


class CareerPathOut(Out):
    employee_external_id: str
    set_at: dt.datetime | None
    target: CareerTargetRef
    gap: list[CareerGap]
    path: list[PathStep]
    not_closed: list[dict[str, Any]] = Field(
        description="gaps the path builds only part of the way"
    )
    not_covered: list[dict[str, Any]] = Field(description="gaps nothing open today builds")
    progress: CareerProgress


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
