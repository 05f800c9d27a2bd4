"""Why a match scored what it did, in sentences that are true to the model.

LightGBM's TreeSHAP contributions (`pred_contrib=True`) split each score exactly into a base
value plus one signed amount per feature. The strongest positive and negative amounts become
the reasons, each written from its feature's template (features/registry.py) with the pair's
details: which skills are held and missing, hours asked and free, and so on. Only the page that
is returned is explained (TreeSHAP costs far more than scoring).

A lead reads about a masked candidate: only features with a lead template are put into words,
from the facts the masked card shows (matching/masking.py), each with the direction it pushes
("raises" / "lowers") but no amounts, and no score reaches a lead. With a fair re-ranker on,
a lower score served above a higher one would say who was moved up, and so which group they
belong to.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, TypedDict, overload

import numpy as np

from data.storage.snapshots import StoredAskedSkill, StoredEmployee, StoredOpportunity
from data.taxonomy.packaged import occupation_skill_ids
from features.registry import BY_NAME, FEATURE_NAMES
from features.taxonomy_facts import packaged_tool_categories
from matching.views import EmployeeExplanation, EmployeeReason, LeadWeighing, WeighedReason

# Final, so that each is its Literal and `explain` knows which shape it returns.
EMPLOYEE: Final = "employee"
LEAD: Final = "lead"
POSITIVE_REASONS, NEGATIVE_REASONS = 3, 2
NAMES_SHOWN = 4  # skill names listed in one sentence before "and N more"
NEGLIGIBLE = 1e-6

Contributions = Callable[[np.ndarray], np.ndarray]
PAUSED = "Automated ranking is paused by HR for this kind: ordered by skill similarity"


def paused_explanation() -> EmployeeExplanation:
    """While HR pauses a kind, no model decides the order, so none is put into words."""
    return {"reasons": [], "paused": PAUSED}


def paused_weighing() -> LeadWeighing:
    """`paused_explanation` for a lead's candidates (the same document)."""
    return {"reasons": [], "paused": PAUSED}


def _names(labels: Sequence[str]) -> str:
    if not labels:
        return ""
    shown = ", ".join(labels[:NAMES_SHOWN])
    more = len(labels) - NAMES_SHOWN
    return f": {shown}" + (f" and {more} more" if more > 0 else "")


class AskedWords(TypedDict):
    asked: str  # what the posting's required skills are called
    asked_missing: str  # and those the person lacks


class PairDetails(AskedWords):
    """What a reason's template is filled with (features/registry.py), logged with the
    explanation. Readers of logged details take any mapping: older records lack later keys."""

    matched: int
    required: int
    matched_names: str
    missing_count: int
    missing_names: str
    implied: int
    implied_names: str
    related: int
    related_names: str
    preferred_matched: int
    preferred: int
    hours: float
    availability: float
    free_hours: str
    mentor_ahead: str
    location_text: str
    applications: int
    resemblance: str
    band_part: str
    kind: str
    department: str


def pair_details(
    employee: StoredEmployee,
    opportunity: StoredOpportunity,
    row: np.ndarray,
    *,
    committed_hours: float = 0.0,
) -> PairDetails:
    """What the templates may say about one pair (skills, hours, level; no identity).
    `committed_hours`: hours a week the person already gives to assignments."""
    have = {s.skill_id: s.level for s in employee.skills}
    required = [s for s in opportunity.skills if s.required]
    preferred = [s for s in opportunity.skills if not s.required]
    matched = [s.skill.label for s in required if s.skill_id in have]
    missing = [s.skill.label for s in required if s.skill_id not in have]
    may_have = occupation_skill_ids(employee.occupation_id)
    implied = [s.skill.label for s in required if s.skill_id not in have and s.skill_id in may_have]
    related = _related_tools(employee, [s for s in required if s.skill_id not in have])
    # A posting's skills implied by its title, not chosen by its lead: say so wherever named.
    source = inferred_note(opportunity)
    popularity = float(row[FEATURE_NAMES.index("opportunity_popularity")])
    remote = float(row[FEATURE_NAMES.index("location_match")]) > 0
    similarity = float(row[FEATURE_NAMES.index("skill_similarity")])
    return {
        "matched": len(matched),
        "required": len(required),
        # Said even when none matched: "Has 0 of 10 required skills (typical for: X)".
        "matched_names": _names(matched) + (source if required else ""),
        "missing_count": len(missing),
        "missing_names": _names(missing) + (source if missing else ""),
        "implied": len(implied),
        "implied_names": _names(implied),
        "related": len(related),
        "related_names": _names(related),
        "preferred_matched": sum(s.skill_id in have for s in preferred),
        "preferred": len(preferred),
        "hours": float(opportunity.hours_per_week),
        "availability": float(employee.availability_hours_per_week),
        "free_hours": free_hours_text(float(employee.availability_hours_per_week), committed_hours),
        "mentor_ahead": mentor_ahead_text(float(row[FEATURE_NAMES.index("mentor_level_gap")])),
        **asked_words(opportunity.kind),
        "location_text": "remote or in your location" if remote else "on site elsewhere",
        "applications": round(math.expm1(popularity)),
        "resemblance": _resemblance(similarity),
        "band_part": _band_part(float(row[FEATURE_NAMES.index("level_position")])),
        "kind": opportunity.kind,
        "department": opportunity.department or "this department's",
    }


def asked_words(kind: str) -> AskedWords:
    """What a posting's required skills are called: a mentorship's are the mentor's skills on
    offer, there to be learned ("0 of 3 required skills" would read as a failing)."""
    if kind == "mentorship":
        return {"asked": "skills on offer", "asked_missing": "Skills on offer new to you"}
    return {"asked": "required skills", "asked_missing": "Required skills not held yet"}


def free_hours_text(availability: float, committed: float) -> str:
    """'8 of your 20 free hours are left after the 12 you have committed' (never 'you have
    20' when 12 of them are taken)."""
    if committed <= 0:
        return f"you have {availability:g} free"
    left = availability - committed
    if left < 0:  # accepted offers and work past the free hours: said as the overrun
        return (
            f"your {committed:g} committed hours are already {-left:g} more than "
            f"the {availability:g} free you have"
        )
    return (
        f"{left:g} of your {availability:g} free hours are left "
        f"after the {committed:g} you have committed"
    )


def mentor_ahead_text(levels: float) -> str:
    """How far ahead of the mentee the mentor is on the skills offered, in words (a level is
    1 aware to 5 expert, so the mean gap runs from -4 to +4)."""
    if levels >= 3:
        return "an expert where you are starting out"
    if levels >= 2:
        return "well ahead of you"
    if levels >= 1:
        return "a step ahead of you"
    if levels > 0:
        return "a little ahead of you"
    return "about level with you"


def _related_tools(employee: StoredEmployee, missing: Sequence[StoredAskedSkill]) -> list[str]:
    """'Tableau, similar to Microsoft Power BI' for each required tool not held whose category
    the person holds a tool of (what required_related_coverage credits)."""
    categories = packaged_tool_categories()
    held_by_category: dict[str, str] = {}
    for skill in employee.skills:
        category = categories.get(skill.skill_id)
        if category is not None:
            held_by_category.setdefault(category, skill.skill.label)
    out = []
    for wanted in missing:
        held = held_by_category.get(categories.get(wanted.skill_id, ""))
        if held is not None:
            out.append(f"{held}, similar to {wanted.skill.label}")
    return out


def inferred_note(opportunity: StoredOpportunity) -> str:
    """' (typical for: business analyst)' when the posting's required skills were implied by
    its occupation rather than chosen by its lead; '' otherwise."""
    if opportunity.occupation_label and any(s.inferred for s in opportunity.skills if s.required):
        return f" (typical for: {opportunity.occupation_label})"
    return ""


def _band_part(position: float) -> str:
    """Where a level sits in the asked range, in words (0 at level_min, 1 at level_max)."""
    if position < 1 / 3:
        return "lower part"
    return "middle" if position <= 2 / 3 else "upper part"


def _resemblance(similarity: float) -> str:
    """The similarity in words, for leads: the bands are the terciles of the candidates on
    leads' pages in the demo company (120 lists, 670 candidates: 0.586 and 0.719)."""
    if similarity >= 0.72:
        return "closely"
    if similarity >= 0.58:
        return "in part"
    return "loosely"


def _speaks_of(feature: str, details: Mapping[str, Any]) -> bool:
    """Whether a feature means something for this pair's kind (a mentorship's feature is never
    a reason about a gig)."""
    kinds = BY_NAME[feature].kinds
    return kinds is None or "kind" not in details or details["kind"] in kinds


# Features whose sentence names a count of skills: with none to name there is nothing to say.
COUNTED_BY = {"implied_required_coverage": "implied", "required_related_coverage": "related"}


def _in_words(feature: str, value: float, details: Mapping[str, Any]) -> str | None:
    """An employee's sentence with no raw score in it ("(similarity 0.59)", "(relatedness
    1.00)" mean nothing to a reader): the amount said in words, or left out."""
    if feature == "skill_similarity":
        return {
            "closely": "Your skills come close to the ones it asks for",
            "in part": "Some of your skills come close to the ones it asks for",
            "loosely": "A few of your skills are like the ones it asks for",
        }[_resemblance(value)]
    if feature == "occupation_relatedness":
        if value >= 0.99:
            return "It is for your own occupation"
        if value >= 0.5:
            return "Your occupation is close to the one it is for"
        return "Your occupation is related to the one it is for"
    if feature == "timezone_gap_hours":
        # A mentorship's other side is the mentor; a gig's or role's, its lead.
        who = "mentor" if details.get("kind") == "mentorship" else "lead"
        return f"The {who}'s working day is {value:.0f} h apart from yours (time zones)"
    return WITHOUT_SCORE.get(feature)


# Sentences whose template ends in a score: said without it.
WITHOUT_SCORE = {
    "interest_alignment": "It matches your stated interests",
    "aspiration_similarity": "It fits your aspirations",
    "profile_fit": "Your skills fit this line of work as a whole, not only the ones listed",
    "tool_category_fit": "You use the kinds of software this work uses",
}


def sentence(feature: str, value: float, details: Mapping[str, Any]) -> str | None:
    """The employee's sentence about one feature of their match (a lead's: matching/masking)."""
    spec = BY_NAME[feature]
    if not _speaks_of(feature, details):
        return None
    if details.get(COUNTED_BY.get(feature, ""), 1) == 0:
        return None  # "Your occupation usually involves 0 more of the required skills"
    if value == 0 and spec.zero_texts is not None:
        return spec.zero_texts[0]
    worded = _in_words(feature, value, details)
    if worded is not None:
        return worded
    # Details logged before these words existed still say something true.
    derived = {
        "free_hours": free_hours_text(float(details.get("availability", 0.0)), 0.0),
        "mentor_ahead": mentor_ahead_text(value),
        **asked_words(details.get("kind", "gig")),
        "department": "this department's",
    }
    return spec.template.format(value=value, **{**derived, **details})


@overload
def explain_rows(
    contributions: np.ndarray,
    features: np.ndarray,
    details: Sequence[Mapping[str, Any]],
    *,
    audience: Literal["employee"],
) -> list[EmployeeExplanation]: ...
@overload
def explain_rows(
    contributions: np.ndarray,
    features: np.ndarray,
    details: Sequence[Mapping[str, Any]],
    *,
    audience: Literal["lead"],
) -> list[LeadWeighing]: ...
@overload
def explain_rows(
    contributions: np.ndarray,
    features: np.ndarray,
    details: Sequence[Mapping[str, Any]],
    *,
    audience: str,
) -> list[EmployeeExplanation] | list[LeadWeighing]: ...
def explain_rows(
    contributions: np.ndarray,
    features: np.ndarray,
    details: Sequence[Mapping[str, Any]],
    *,
    audience: str,
) -> list[EmployeeExplanation] | list[LeadWeighing]:
    """One explanation per row from precomputed contributions (n x (features + 1), base last)."""
    rows = zip(contributions, features, details, strict=True)
    if audience == EMPLOYEE:
        return [_for_employee(contribution, row, detail) for contribution, row, detail in rows]
    return [_for_lead(contribution, row, detail) for contribution, row, detail in rows]


@overload
def explain(
    contributions_of: Contributions,
    features: np.ndarray,
    details: Sequence[Mapping[str, Any]],
    *,
    audience: Literal["employee"],
) -> list[EmployeeExplanation]: ...
@overload
def explain(
    contributions_of: Contributions,
    features: np.ndarray,
    details: Sequence[Mapping[str, Any]],
    *,
    audience: Literal["lead"],
) -> list[LeadWeighing]: ...
@overload
def explain(
    contributions_of: Contributions,
    features: np.ndarray,
    details: Sequence[Mapping[str, Any]],
    *,
    audience: str,
) -> list[EmployeeExplanation] | list[LeadWeighing]: ...
def explain(
    contributions_of: Contributions,
    features: np.ndarray,
    details: Sequence[Mapping[str, Any]],
    *,
    audience: str,
) -> list[EmployeeExplanation] | list[LeadWeighing]:
    if not len(features):
        return []
    return explain_rows(contributions_of(features), features, details, audience=audience)


def _ranked(
    amounts: list[float], values: list[float], *, to_leads: bool
) -> list[tuple[str, float]]:
    """The features said, strongest first, each with its amount (said with its direction)."""
    said = _said_with_its_direction(amounts, values)
    spoken = {n: a for n, a in said.items() if n in _TO_LEADS} if to_leads else said
    return sorted(spoken.items(), key=lambda kv: (-kv[1], kv[0]))


def _for_lead(
    contribution: np.ndarray, row: np.ndarray, details: Mapping[str, Any]
) -> LeadWeighing:
    # A lead's sentences are said from the masked card (matching/masking.py), which alone
    # knows what this lead may see of this person, from the amounts shared by every card
    # alike (one person's own amounts would tell cards apart); the amounts stay here and in
    # the audit record, never in a lead's answer.
    reasons: list[WeighedReason] = [
        {"feature": name, "effect": "raises" if amount > 0 else "lowers", "amount": amount}
        for name, amount in _ranked(contribution[:-1].tolist(), row.tolist(), to_leads=True)
        if abs(amount) > NEGLIGIBLE and _speaks_of(name, details)
    ]
    return {"reasons": reasons}


def _for_employee(
    contribution: np.ndarray, row: np.ndarray, details: Mapping[str, Any]
) -> EmployeeExplanation:
    base = float(contribution[-1])
    amounts, values = contribution[:-1].tolist(), row.tolist()
    ranked = _ranked(amounts, values, to_leads=False)
    positive = [kv for kv in ranked if kv[1] > NEGLIGIBLE][:POSITIVE_REASONS]
    negative = [kv for kv in reversed(ranked) if kv[1] < -NEGLIGIBLE][:NEGATIVE_REASONS]
    reasons: list[EmployeeReason] = []
    for name, amount in positive + negative:
        value = float(values[_INDEX[name]])
        text = sentence(name, value, details)
        if text is None:
            continue
        reasons.append({"feature": name, "text": text, "contribution": amount})
    contributions = dict(zip(FEATURE_NAMES, amounts, strict=True))
    return {"reasons": reasons, "base_value": base, "contributions": contributions}


# The registry's facts that every row's explanation reads, looked up once (a page's words were
# ~70 µs a row, most of it these lookups, against ~200 µs of TreeSHAP: bench/scoring.py).
_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
_TO_LEADS = frozenset(f for f in FEATURE_NAMES if BY_NAME[f].lead_template is not None)
# Per feature, in registry order: (name, direction, has a zero sentence, opposite, unsaid against).
_DIRECTIONS = [
    (
        f,
        BY_NAME[f].monotone,
        BY_NAME[f].zero_texts is not None,
        BY_NAME[f].opposite,
        BY_NAME[f].unsaid_against,
    )
    for f in FEATURE_NAMES
]
# (name, index, floor) of the +1 features without a zero sentence, said as raising a score only
# above their floor; and of the history features (no direction) with a floor.
_RAISES_ABOVE = [
    (f, i, BY_NAME[f].said_above)
    for i, f in enumerate(FEATURE_NAMES)
    if BY_NAME[f].monotone > 0 and BY_NAME[f].zero_texts is None
]
_HISTORY_ABOVE = [
    (f, i, BY_NAME[f].said_above)
    for i, f in enumerate(FEATURE_NAMES)
    if BY_NAME[f].monotone == 0 and BY_NAME[f].said_above > 0
]


def _said_with_its_direction(amounts: list[float], values: list[float]) -> dict[str, float]:
    """Each feature's amount, where an amount against a monotone feature's direction is said
    by its opposite ("Holds 2 of 6 required skills" lowering a score becomes "Required skills
    not held: 4 of 6"), or not at all for a share of skills with none (`unsaid_against`): more
    of a +1 feature never lowers a score, so "Has 2 of 6 (lowers)" would read as if holding
    them were held against the person, when it is the 4 missing that count against them
    relative to others. Features that read right either way ("Needs 10 h/week; you have 6")
    keep their amounts. `amounts` and `values` are one row's, in registry order."""
    out: dict[str, float] = {}
    for (name, monotone, zero_text, opposite, unsaid_against), amount, value in zip(
        _DIRECTIONS, amounts, values, strict=True
    ):
        # A zero with its own sentence reads right either way ("No required skill is missing").
        if monotone * amount >= 0 or (value == 0 and zero_text):
            out[name] = out.get(name, 0.0) + amount
        elif opposite is not None:
            out[opposite] = out.get(opposite, 0.0) + amount
        elif not unsaid_against:
            out[name] = out.get(name, 0.0) + amount
    # None of a thing to have more of, or too little (Feature.said_above), is no reason a score
    # rose ("Holds 0 of the 1 required skills (raises)"): a tree can credit the least value
    # against a reference that held less of something else; left unsaid, its amount stays in
    # `contributions`.
    for name, i, floor in _RAISES_ABOVE:
        if out.get(name, 0.0) > 0 and values[i] <= floor:
            del out[name]
    # A history feature (no direction) at or under its floor means "no such history": whatever
    # a tree made of it, "Like the work you applied to before" would be untrue.
    for name, i, floor in _HISTORY_ABOVE:
        if name in out and values[i] <= floor:
            del out[name]
    return out
