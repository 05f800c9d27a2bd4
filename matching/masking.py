"""What a lead sees of a candidate before the reveal: only what the posting asks about, and no
more than at least k candidates of the same list share.

A whole profile is a fingerprint: in the demo company every card of the old view (all reviewed
skills with levels, level, free hours, open_to) was unique within its list, and 141 people were
found again under other handles in other lists. So a card says nothing the posting did not ask
about (the asked skills held, in bands relative to the asked level; how many are held; whether
the person's level lies in the asked range: the hard rules, open to the kind and enough free
hours, hold for everyone listed), and it is coarsened, one detail level at a time, until its
visible combination is shared by at least k candidates of the pool the lead can be shown. A
detail level hides all that the levels above it show, so a card at a coarser level is a
generalisation of what a finer one would have said.

The anonymity sets are disjoint and each of size >= k (or the whole pool, when the pool has
fewer than k people): cards are grouped at the finest level first, groups of k or more keep
that level, the rest are tried one level coarser; should fewer than k be left for the last
level, the lowest-ranked members of a group that can spare them (or else a whole group) join
them. Counting only the people not already
shown finer matters: a card's anonymity set is the cards that look exactly like it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict

from data.storage.snapshots import StoredAskedSkill, StoredEmployee, StoredOpportunity
from features.inputs import PersonInputs
from features.registry import BY_NAME
from matching.views import (
    AskedSkillHeld,
    CandidateView,
    Coverage,
    LeadReason,
    LeadWeighing,
    RankedFeature,
)

# From finest to coarsest. "skills": each asked skill held at or above the asked level, below
# it, or not held; "held": held or not, without the band; "counts": how many required and
# preferred skills are held; "coarse": none / some / most / all of the required ones;
# "withheld": nothing beyond the handle and the rank.
DETAIL_LEVELS = ("skills", "held", "counts", "coarse", "withheld")
DEFAULT_K = 5
# A lead can be shown at most this many candidates of one posting in one list (the candidates
# route's largest `limit`): the pool the anonymity sets are counted in.
VISIBLE_POOL = 100


@dataclass(frozen=True, slots=True)
class AskedSkill:
    skill_id: str
    name: str
    required: bool
    level_asked: int


@dataclass(frozen=True, slots=True)
class Posting:
    """What a card may speak of: the asked skills in the posting's order and the level range."""

    skills: tuple[AskedSkill, ...]
    level_min: int | None
    level_max: int | None

    @classmethod
    def of(cls, opportunity: StoredOpportunity) -> Posting:
        skills: Sequence[StoredAskedSkill] = opportunity.skills
        asked = sorted(skills, key=lambda s: (not s.required, s.position))
        return cls(
            tuple(
                AskedSkill(s.skill_id, s.skill.label, bool(s.required), int(s.level)) for s in asked
            ),
            opportunity.level_min,
            opportunity.level_max,
        )


def _band(held: int, asked: int) -> str:
    if held <= 0:
        return "not_held"
    return "at_or_above" if held >= asked else "below"


def _share(held: int, of: int) -> str:
    if of == 0 or held == 0:
        return "none"
    if held == of:
        return "all"
    return "most" if held * 2 >= of else "some"


class Facts(TypedDict):
    """Everything a card may ever show about one person, before it is coarsened."""

    bands: tuple[str, ...]  # per asked skill, in the posting's order (`_band`)
    required: int
    required_held: int
    required_at_level: int
    preferred: int
    preferred_held: int
    level_in_range: bool


def full_facts(levels: dict[str, int], person_level: int, posting: Posting) -> Facts:
    """Everything a card may ever show about one person (the finest detail level)."""
    bands = [_band(levels.get(s.skill_id, 0), s.level_asked) for s in posting.skills]
    required = [b for b, s in zip(bands, posting.skills, strict=True) if s.required]
    preferred = [b for b, s in zip(bands, posting.skills, strict=True) if not s.required]
    low = posting.level_min if posting.level_min is not None else person_level
    high = posting.level_max if posting.level_max is not None else person_level
    return {
        "bands": tuple(bands),
        "required": len(required),
        "required_held": sum(b != "not_held" for b in required),
        "required_at_level": sum(b == "at_or_above" for b in required),
        "preferred": len(preferred),
        "preferred_held": sum(b != "not_held" for b in preferred),
        "level_in_range": low <= person_level <= high,
    }


def signature(facts: Facts, detail: str) -> tuple[object, ...]:
    """The visible combination of a card at one detail level (equal tuples look alike)."""
    if detail == "skills":
        return (detail, facts["bands"], facts["level_in_range"])
    if detail == "held":
        held = tuple(b != "not_held" for b in facts["bands"])
        return (detail, held, facts["level_in_range"])
    if detail == "counts":
        return (detail, facts["required_held"], facts["preferred_held"], facts["level_in_range"])
    if detail == "coarse":
        return (detail, _share(facts["required_held"], facts["required"]))
    return (detail,)


@dataclass(frozen=True, slots=True)
class Masked:
    detail: str  # one of DETAIL_LEVELS
    shared_by: int  # cards of the pool that look exactly like this one


def anonymise(pool: Sequence[Facts], k: int = DEFAULT_K) -> list[Masked]:
    """The detail level of each card of a pool (facts from `full_facts`, in the served order)
    such that each card looks exactly like at least k-1 others (or like the whole pool, when
    it has fewer than k people)."""
    if not pool:
        return []
    k = max(1, k)
    remaining = list(range(len(pool)))
    placed: dict[int, str] = {}
    accepted: list[tuple[str, list[int]]] = []  # (detail, members) of every kept group
    for detail in DETAIL_LEVELS[:-1]:
        groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for i in remaining:
            groups[signature(pool[i], detail)].append(i)
        left = []
        for members in groups.values():
            if len(members) >= k:
                accepted.append((detail, members))
            else:
                left.extend(members)
        remaining = left
    last = DETAIL_LEVELS[-1]
    needed = k - len(remaining)
    if 0 < len(remaining) < k and accepted:
        # Too few for the last level to hide anyone: the lowest-ranked members of a group that
        # can spare them join them (the group keeps >= k), else the smallest group joins whole.
        spare = [g for g in accepted if len(g[1]) >= k + needed]
        if spare:
            detail, members = max(spare, key=lambda g: len(g[1]))
            remaining.extend(members[-needed:])
            del members[-needed:]
        else:
            smallest = min(accepted, key=lambda g: len(g[1]))
            accepted.remove(smallest)
            remaining.extend(smallest[1])
    for detail, members in accepted:
        for i in members:
            placed[i] = detail
    for i in remaining:
        placed[i] = last
    sizes = Counter(signature(pool[i], placed[i]) for i in range(len(pool)))
    return [Masked(placed[i], sizes[signature(pool[i], placed[i])]) for i in range(len(pool))]


def card(facts: Facts, posting: Posting, masked: Masked, k: int) -> CandidateView:
    """The lead's view of one candidate at its detail level (no handle: the caller adds it)."""
    detail = masked.detail
    view: CandidateView = {"detail": detail, "shared_by": masked.shared_by, "k": k}
    if detail in ("skills", "held"):
        asked: list[AskedSkillHeld] = [
            {
                "skill_id": s.skill_id,
                "name": s.name,
                "required": s.required,
                "level_asked": s.level_asked,
                "held": band if detail == "skills" else ("held" if band != "not_held" else band),
            }
            for s, band in zip(posting.skills, facts["bands"], strict=True)
        ]
        view["asked_skills"] = asked
    if detail in ("skills", "held", "counts"):
        coverage: Coverage = {
            "required": facts["required"],
            "required_held": facts["required_held"],
            "preferred": facts["preferred"],
            "preferred_held": facts["preferred_held"],
        }
        if detail == "skills":
            coverage["required_at_level"] = facts["required_at_level"]
        view["coverage"] = coverage
        view["level_in_range"] = facts["level_in_range"]
    if detail == "coarse":
        view["coverage"] = {
            "required": facts["required"],
            "required_share": _share(facts["required_held"], facts["required"]),
        }
    return view


def levels_of(employee: StoredEmployee | PersonInputs) -> dict[str, int]:
    """Skill id -> level held, of a stored row (skills as rows) or of feature inputs (a dict)."""
    if isinstance(employee.skills, dict):
        return {skill_id: int(level) for skill_id, level in employee.skills.items()}
    return {s.skill_id: int(s.level) for s in employee.skills}


def mask_pool(
    employees: Iterable[StoredEmployee | PersonInputs],
    opportunity: StoredOpportunity,
    *,
    k: int = DEFAULT_K,
) -> list[CandidateView]:
    """The lead's cards for a pool of people (served order), each shared by >= k of them."""
    posting = Posting.of(opportunity)
    facts = [full_facts(levels_of(e), int(e.level), posting) for e in employees]
    return [card(f, posting, m, k) for f, m in zip(facts, anonymise(facts, k), strict=True)]


def revealed_card(employee: StoredEmployee, opportunity: StoredOpportunity) -> CandidateView:
    """The finest card, for a person who revealed themselves to this lead for this posting (an
    application or an accepted invitation): no anonymity set to keep."""
    posting = Posting.of(opportunity)
    return card(
        full_facts(levels_of(employee), int(employee.level), posting),
        posting,
        Masked("skills", 1),
        1,
    )


# The lead's reasons, said from the card ----------------------------------------------------

POSITIVE_REASONS, NEGATIVE_REASONS = 3, 2
NEGLIGIBLE = 1e-6


class CardFacts(TypedDict):
    """What a lead's sentence (a feature's `lead_template`) may name about a card."""

    inferred: str
    required: NotRequired[int]
    required_held: NotRequired[int | str]  # a count, or a share at the "coarse" level
    required_missing: NotRequired[int]
    preferred: NotRequired[int]
    preferred_held: NotRequired[int]
    required_at_level: NotRequired[int]
    required_short: NotRequired[int]
    level_range: NotRequired[str]  # within | outside


def text_facts(view: CandidateView, *, inferred: str = "") -> CardFacts:
    """What a lead's sentence may name about a card: exactly the facts the card shows, and
    where the posting's required skills came from (`inferred`: ' (typical for: …)' when its
    title implied them; a fact about the posting, not the person)."""
    facts: CardFacts = {"inferred": inferred}
    coverage: Coverage | None = view.get("coverage")
    if coverage is None:
        pass
    elif "required_held" in coverage:
        facts["required"] = coverage["required"]
        facts["required_held"] = coverage["required_held"]
        facts["required_missing"] = coverage["required"] - coverage["required_held"]
        facts["preferred"] = coverage["preferred"]
        facts["preferred_held"] = coverage["preferred_held"]
    elif "required_share" in coverage:
        facts["required"] = coverage["required"]
        facts["required_held"] = coverage["required_share"]
    if coverage is not None and "required_at_level" in coverage:
        facts["required_at_level"] = coverage["required_at_level"]
        facts["required_short"] = coverage["required"] - coverage["required_at_level"]
    if "level_in_range" in view:
        facts["level_range"] = "within" if view["level_in_range"] else "outside"
    return facts


def lead_reasons(
    ranked: Sequence[RankedFeature], view: CandidateView, *, inferred: str = ""
) -> list[LeadReason]:
    """The strongest features the card can speak of, each as a sentence with its direction:
    `ranked` comes from matching/explain (feature and effect, strongest first)."""
    facts = text_facts(view, inferred=inferred)
    said: list[LeadReason] = []
    wanted = {"raises": POSITIVE_REASONS, "lowers": NEGATIVE_REASONS}
    raising = [r for r in ranked if r["effect"] == "raises"]
    lowering = [r for r in reversed(ranked) if r["effect"] == "lowers"]  # strongest first
    for reason in raising + lowering:
        effect = reason["effect"]
        spec = BY_NAME[reason["feature"]]
        if wanted[effect] == 0 or spec.lead_template is None:
            continue
        try:
            text = spec.lead_template.format(**facts)
        except KeyError:  # names a fact this card does not show
            continue
        zero = _is_zero(reason["feature"], facts)
        if zero and spec.zero_texts is not None and spec.zero_texts[1]:
            text = spec.zero_texts[1]
        if _said_already(reason["feature"], effect, facts, said):
            continue
        said.append({"feature": reason["feature"], "text": text, "effect": effect})
        wanted[effect] -= 1
    return said


def _said_already(feature: str, effect: str, facts: CardFacts, said: Sequence[LeadReason]) -> bool:
    """A lowering "short of the asked level on 10 of the 10" beside "not held: 10 of 10" says
    one fact twice when every skill short is one not held: the second of them is left out."""
    pair = {"required_missing", "worst_level_deficit"}
    if feature not in pair or effect != "lowers":
        return False
    missing = facts.get("required_missing")
    (other,) = pair - {feature}
    return (
        missing is not None
        and missing == facts.get("required_short")
        and any(r["feature"] == other and r["effect"] == "lowers" for r in said)
    )


def _is_zero(feature: str, facts: CardFacts) -> bool:
    """Whether a feature's value reads as zero on the card (for its zero sentence)."""
    return {
        "required_missing": facts.get("required_missing") == 0,
        "worst_level_deficit": facts.get("required_short") == 0,
        "level_outside_band": facts.get("level_range") == "within",
    }.get(feature, False)


def shared_reasons(
    explanations: Sequence[LeadWeighing], views: Sequence[CandidateView]
) -> list[list[RankedFeature]]:
    """For each card of a page, the features the model weighed, strongest first, from the mean
    amounts of all the page's cards that look exactly alike: which reasons a card shows, and
    which way they push, must not tell apart cards that look the same (one person's own
    amounts depend on levels and hours the card does not show)."""
    alike: dict[str, list[int]] = defaultdict(list)
    for i, view in enumerate(views):
        alike[_looks(view)].append(i)
    out: list[list[RankedFeature]] = [[] for _ in views]
    for members in alike.values():
        totals: dict[str, float] = defaultdict(float)
        for i in members:
            for reason in explanations[i].get("reasons", []):
                totals[reason["feature"]] += reason["amount"] / len(members)
        ranked: list[RankedFeature] = [
            {"feature": name, "effect": "raises" if amount > 0 else "lowers"}
            for name, amount in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
            if abs(amount) > NEGLIGIBLE
        ]
        for i in members:
            out[i] = ranked
    return out


def _looks(view: CandidateView) -> str:
    """A card as a lead tells cards apart (the count of look-alikes is the same for all)."""
    return json.dumps({k: v for k, v in view.items() if k != "shared_by"}, sort_keys=True)
