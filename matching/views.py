"""What matching hands to serving for a match card or a candidate card: the reasons, the
explanations, the skills views, the masked cards and the ways to close a gap.

They are TypedDicts, not classes, because they leave as JSON as they are (the API's responses,
the audit record's `explained`, replay's comparison of a recomputed explanation with the logged
one): the documents stay plain dicts, key order included, while mypy checks the keys each layer
writes and reads. `NotRequired` marks a key some documents of a shape lack.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

# -- reasons (matching/explain.py, matching/masking.py) ---------------------------------------


class EmployeeReason(TypedDict):
    """One of the model's reasons as an employee reads it, with its exact amount."""

    feature: str
    text: str
    contribution: float


class WeighedReason(TypedDict):
    """One feature the model weighed for a lead's candidate: no words yet (they are said from
    the masked card), and the amount stays in the audit record."""

    feature: str
    effect: str  # raises | lowers
    amount: float


class RankedFeature(TypedDict):
    """A feature a lead's card may speak of, from the amounts shared by look-alike cards."""

    feature: str
    effect: str  # raises | lowers


class LeadReason(TypedDict):
    """A sentence a lead reads about a masked candidate: a direction, never an amount."""

    feature: str
    text: str
    effect: str  # raises | lowers


class Gap(TypedDict):
    """What stands between a person and the work, said apart from the reasons."""

    feature: str
    text: str


# -- the model's explanations (matching/explain.py), as the audit record keeps them ----------


class EmployeeExplanation(TypedDict):
    """base_value + sum(contributions) == score; a paused kind has reasons [] and `paused`."""

    reasons: list[EmployeeReason]
    base_value: NotRequired[float]
    contributions: NotRequired[dict[str, float]]
    paused: NotRequired[str]


class LeadWeighing(TypedDict):
    """The features weighed for one of a lead's candidates (a paused kind: none, and `paused`)."""

    reasons: list[WeighedReason]
    paused: NotRequired[str]


# -- the skills view of a pair (matching/results.skill_overlap) ------------------------------


class AskedSkill(TypedDict):
    skill_id: str
    name: str
    level_required: int
    required: bool
    inferred_from: NotRequired[str]  # implied by the title (this occupation), not chosen


class MatchedSkill(AskedSkill):
    level: int  # the person's


class SkillOverlap(TypedDict):
    matched_skills: list[MatchedSkill]
    missing_skills: list[AskedSkill]


# -- ways to close a gap (matching/learning.py) ----------------------------------------------


class LearningItem(TypedDict):
    """A course, or an open gig or mentorship where the skill is built on the job, for one gap."""

    skill_id: str
    skill_name: str
    level_held: int  # 0 when the person lacks the skill
    level_asked: int
    kind: str  # course | gig | mentorship
    external_id: str
    title: str
    level_to: NotRequired[int]  # a course: the level it takes the person to
    level: NotRequired[int]  # an opening: the level it asks
    hours: float  # a course's hours in all; an opening's hours a week
    closes_gap: bool
    url: NotRequired[str]  # a course with a link


# -- an employee's match card (matching/results.opportunity_items) ---------------------------


class ReasonsAndGaps(EmployeeExplanation):
    """An explanation with what stands against the match moved from `reasons` to `gaps`."""

    gaps: list[Gap]


class PairExplanation(ReasonsAndGaps, SkillOverlap):
    similarity: float  # the retrieval cosine


class CardExplanation(PairExplanation):
    learning: list[LearningItem]


class OpportunityItem(TypedDict):
    score: float
    rank: int
    explanation: CardExplanation


# -- a lead's masked candidate (matching/masking.py, matching/results.py) --------------------


class AskedSkillHeld(TypedDict):
    skill_id: str
    name: str
    required: bool
    level_asked: int
    held: str  # at_or_above | below | not_held ("skills"); held | not_held ("held")


class Coverage(TypedDict):
    """How many asked skills are held: counts down to the "counts" level, a share at "coarse"."""

    required: int
    required_held: NotRequired[int]
    preferred: NotRequired[int]
    preferred_held: NotRequired[int]
    required_at_level: NotRequired[int]  # "skills" only
    required_share: NotRequired[str]  # "coarse" only: none | some | most | all


class Identity(TypedDict):
    external_id: str
    name: str
    email: str | None


class CandidateView(TypedDict):
    """What a card shows at its detail level (matching/masking.DETAIL_LEVELS); "withheld"
    outside a ranked list shows nothing else. A candidate's document is its handle and alias,
    then these keys: `external_id` and `identity` are the document's, never a card's."""

    detail: str
    shared_by: NotRequired[int]
    k: NotRequired[int]
    asked_skills: NotRequired[list[AskedSkillHeld]]
    coverage: NotRequired[Coverage]
    level_in_range: NotRequired[bool]
    external_id: NotRequired[str]  # admins only
    identity: NotRequired[Identity]  # once the person revealed themselves to the lead


class Candidate(CandidateView):
    handle: str
    alias: str


class LeadExplanation(TypedDict):
    reasons: list[LeadReason]
    paused: NotRequired[str]
    similarity: NotRequired[float]  # admins only


class CandidateItem(TypedDict):
    candidate: Candidate
    rank: int
    explanation: LeadExplanation
    score: NotRequired[float]  # admins only
    pinned: NotRequired[bool]  # set by the use case (serving/usecases/rankings.py)
