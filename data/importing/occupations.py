"""The occupation of a person or a posting, and the skills a posting's occupation implies.

A title is matched to an ESCO occupation from the record's own evidence (its title, its skills,
a posting's description; never its lead's profile) and stored with its score as `inferred`;
`occupation_id` in a record overrides it (`declared`), and a declared occupation stays until
the record sets another or sends `null`. A title placed nowhere is kept with its closest
occupations (`OccupationOutcome.closest`) for the person or the lead to choose from.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from data.schemas import OpportunitySkillRef, normalize_label
from data.taxonomy.model import Taxonomy

# A posting given no skills is matched on this many of its occupation's essential skills
# (required) and optional ones (preferred): enough to match on, few enough to stay specific.
IMPLIED_REQUIRED = 10
IMPLIED_PREFERRED = 5
IMPLIED_REQUIRED_LEVEL = 3
IMPLIED_PREFERRED_LEVEL = 2
CHOICES = 3  # closest occupations kept for a title placed nowhere


@dataclass(frozen=True, slots=True)
class OccupationChoice:
    occupation_id: str
    label: str
    score: float
    source: str  # "inferred" | "declared"


class OccupationMatchLike(Protocol):
    # Read-only, as on the normaliser's frozen OccupationMatch.
    @property
    def occupation_id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def score(self) -> float: ...


class OccupationInferrer(Protocol):
    min_score: float

    def normalize_many(
        self,
        titles: list[str],
        *,
        limit: int = 5,
        skill_ids: list[Collection[str]] | None = None,
        descriptions: list[str] | None = None,
        neighbours_of_exact: bool = True,
    ) -> Sequence[Sequence[OccupationMatchLike]]: ...


@dataclass(frozen=True, slots=True)
class OccupationRequest:
    title: str
    skill_ids: frozenset[str]
    declared: str | None  # occupation_id sent in the record
    clears: bool  # the record sent occupation_id: null (back to inferring)
    stored: OccupationChoice | None  # what the stored record holds
    description: str = ""  # a posting's own text: the occupations it names vote


@dataclass(frozen=True, slots=True)
class OccupationOutcome:
    choice: OccupationChoice | None
    best_guess: OccupationChoice | None  # the top match even when below the bar
    error: str | None = None  # for the occupation_id field
    closest: tuple[OccupationChoice, ...] = ()  # inferred: the best few, even below the bar


def choose_occupations(
    requests: Sequence[OccupationRequest],
    taxonomy: Taxonomy,
    inferrer: OccupationInferrer | None,
) -> list[OccupationOutcome]:
    """Declared where given (or kept), else inferred from the title in one batch."""
    outcomes: list[OccupationOutcome | None] = [None] * len(requests)
    to_infer: list[int] = []
    for i, request in enumerate(requests):
        if request.declared is not None:
            occupation = taxonomy.occupations.get(request.declared)
            if occupation is None:
                outcomes[i] = OccupationOutcome(None, None, "unknown occupation id")
            else:
                choice = OccupationChoice(
                    occupation.occupation_id, occupation.label, 1.0, "declared"
                )
                outcomes[i] = OccupationOutcome(choice, choice)
        elif (
            request.stored is not None
            and request.stored.source == "declared"
            and not request.clears
        ):
            outcomes[i] = OccupationOutcome(request.stored, request.stored)
        else:
            to_infer.append(i)
    if to_infer and inferrer is not None and taxonomy.occupations:
        ranked = inferrer.normalize_many(
            [requests[i].title for i in to_infer],
            limit=CHOICES,
            skill_ids=[requests[i].skill_ids for i in to_infer],
            descriptions=[requests[i].description for i in to_infer],
            # The closest occupations are kept for a title that cannot be placed; a title that
            # is an occupation's own label is placed, so it needs no encoder pass for them.
            neighbours_of_exact=False,
        )
        for i, matches in zip(to_infer, ranked, strict=True):
            closest = tuple(
                OccupationChoice(m.occupation_id, m.label, m.score, "inferred") for m in matches
            )
            best = closest[0] if closest else None
            chosen = best if best is not None and best.score >= inferrer.min_score else None
            outcomes[i] = OccupationOutcome(chosen, best, closest=closest)
    return [o or OccupationOutcome(None, None) for o in outcomes]


def implied_skills(
    taxonomy: Taxonomy, occupation_id: str
) -> tuple[list[OpportunitySkillRef], list[OpportunitySkillRef]]:
    """(required, preferred) for a posting of this occupation: its essential skills, the most
    specific first (listed by the fewest occupations), then optional ones as preferred."""
    ranked = suggested_skills(taxonomy, occupation_id, limit=len(taxonomy.skills))
    essential = [i for i, _, is_essential in ranked if is_essential]
    optional = [i for i, _, is_essential in ranked if not is_essential]
    required = [
        OpportunitySkillRef(
            skill_id=i, name=taxonomy.skills[i].label, level=IMPLIED_REQUIRED_LEVEL, inferred=True
        )
        for i in essential[:IMPLIED_REQUIRED]
    ]
    preferred = [
        OpportunitySkillRef(
            skill_id=i, name=taxonomy.skills[i].label, level=IMPLIED_PREFERRED_LEVEL, inferred=True
        )
        for i in optional[:IMPLIED_PREFERRED]
    ]
    return required, preferred


def suggested_skills(
    taxonomy: Taxonomy, occupation_id: str, *, held: Collection[str] = (), limit: int = 15
) -> list[tuple[str, str, bool]]:
    """(skill id, label, essential) the occupation implies that `held` lacks, essential
    first, the most specific first within each."""
    occupation = taxonomy.occupations[occupation_id]
    seen = set(held)
    out: list[tuple[str, str, bool]] = []
    for essential, ids in (
        (True, occupation.essential_skill_ids),
        (False, occupation.optional_skill_ids),
    ):
        for skill_id in sorted(
            (i for i in ids if i in taxonomy.skills and i not in seen),
            key=lambda i: (taxonomy.listing_count(i), taxonomy.skills[i].label),
        ):
            seen.add(skill_id)
            out.append((skill_id, taxonomy.skills[skill_id].label, essential))
    return out[:limit]


TITLE_TOOL_WORDS = 4  # the longest product name looked for in a title, in words
_ENGLISH: dict[tuple[int, int], frozenset[str]] = {}


def _english_words(taxonomy: Taxonomy) -> frozenset[str]:
    """Words ESCO writes in lower case in its skills' labels: English words ("access",
    "react", "teams"), not products' names ("SAP", "Oracle", "R")."""
    key = (id(taxonomy.skills), len(taxonomy.skills))
    found = _ENGLISH.get(key)
    if found is None:
        found = frozenset(
            word
            for skill in taxonomy.skills.values()
            if skill.skill_type != "tool" and skill.skill_id not in taxonomy.tool_categories
            for word in re.findall(r"[A-Za-z][\w'-]*", skill.label)
            if word.islower()
        )
        _ENGLISH.clear()  # the one taxonomy in use; a new one replaces it
        _ENGLISH[key] = found
    return found


def tools_in_title(taxonomy: Taxonomy, title: str) -> list[OpportunitySkillRef]:
    """The tools and technologies a posting's title names by their name or an alias ("Tableau
    dashboard developer", "Salesforce administrator"), longest names first, none overlapping,
    as required skills the title implies. Aliases that are ordinary words ("Access", "Word")
    were never made (tools/taxonomy/derive_onet.py), so "Access Coordinator" names none."""
    words = normalize_label(title).split(" ")
    taken = [False] * len(words)
    found: dict[str, OpportunitySkillRef] = {}
    for size in range(min(TITLE_TOOL_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            if any(taken[start : start + size]):
                continue
            hit = taxonomy.lookup_label(" ".join(words[start : start + size]))
            if hit is None:
                continue
            skill = hit[0]
            if skill.skill_type != "tool" and skill.skill_id not in taxonomy.tool_categories:
                continue
            if size == 1 and words[start] in _english_words(taxonomy):
                continue  # "Access Coordinator", "React to incidents": a word, not a product
            taken[start : start + size] = [True] * size
            found.setdefault(
                skill.skill_id,
                OpportunitySkillRef(
                    skill_id=skill.skill_id,
                    name=skill.label,
                    level=IMPLIED_REQUIRED_LEVEL,
                    inferred=True,
                ),
            )
    return list(found.values())
