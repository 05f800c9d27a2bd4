"""Good next moves for a person: occupations next to theirs, with what they hold and lack.

A move is an occupation related to the person's own (`OccupationRelatedness`, at least
`MIN_RELATEDNESS`), never the same one. What the target's work asks for is its essential
skills and its first `TOOLS_CONSIDERED` tools (O*NET lists the hot ones first); each weighs
its specificity (the weight relatedness gives it), so holding "perform business analysis"
counts for more than holding "use Microsoft Office". Moves are ordered by

    fit = RELATEDNESS_SHARE * relatedness + (1 - RELATEDNESS_SHARE) * held share (weighted)

so among equally related occupations the one the person is readier for comes first, and a
person who lists no skills gets the most related first. The gap lists what they lack, the most
specific first: what sets the target's work apart, before what almost every job asks.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from data.taxonomy.model import Taxonomy, TaxonomyOccupation
from data.taxonomy.relatedness import OccupationRelatedness

MIN_RELATEDNESS = 0.2  # below it the neighbours of a nurse or a welder are other work
CANDIDATES = 30  # the nearest occupations considered before readiness re-orders them
RELATEDNESS_SHARE = 0.6
TOOLS_CONSIDERED = 10
GAP_SHOWN = 10


@dataclass(frozen=True, slots=True)
class MoveSkill:
    skill_id: str
    label: str
    kind: str  # "skill" (an essential skill of the target) | "tool"


@dataclass(frozen=True, slots=True)
class NextMove:
    occupation_id: str
    label: str
    relatedness: float
    fit: float  # the order: relatedness and the weighted share of the target already held
    held: tuple[MoveSkill, ...]  # what the target asks for that the person holds
    gap: tuple[MoveSkill, ...]  # what they lack, the most specific first (at most GAP_SHOWN)
    gap_total: int  # how many they lack in all


def next_moves(
    taxonomy: Taxonomy,
    relatedness: OccupationRelatedness,
    occupation_id: str | None,
    held_skill_ids: Collection[str],
    *,
    limit: int = 5,
) -> list[NextMove]:
    """The best `limit` moves from `occupation_id`, best first; [] for no or an unknown
    occupation. `held_skill_ids` may use retired ids (they count as the skill they became)."""
    if occupation_id is None or occupation_id not in taxonomy.occupations or limit <= 0:
        return []
    held = {taxonomy.canonical_id(s) for s in held_skill_ids}
    moves = []
    for target_id, related in relatedness.neighbours(occupation_id, CANDIDATES):
        target = taxonomy.occupations.get(target_id)
        if target is None or related < MIN_RELATEDNESS:
            continue
        moves.append(_move(taxonomy, relatedness, target, related, held))
    # Stable: equal fits keep the neighbours' order (more related first, then by id).
    moves.sort(key=lambda m: -m.fit)
    return moves[:limit]


def asked_for(taxonomy: Taxonomy, occupation: TaxonomyOccupation) -> list[MoveSkill]:
    """What an occupation's work asks for: its essential skills and first tools (known ones)."""
    asked = [
        MoveSkill(s, taxonomy.skills[s].label, "skill")
        for s in dict.fromkeys(occupation.essential_skill_ids)
        if s in taxonomy.skills
    ]
    tools = [t for t in dict.fromkeys(occupation.tool_ids) if t in taxonomy.skills]
    asked += [MoveSkill(t, taxonomy.skills[t].label, "tool") for t in tools[:TOOLS_CONSIDERED]]
    return asked


def _move(
    taxonomy: Taxonomy,
    relatedness: OccupationRelatedness,
    target: TaxonomyOccupation,
    related: float,
    held: set[str],
) -> NextMove:
    asked = asked_for(taxonomy, target)
    weight = {a.skill_id: relatedness.specificity(a.skill_id) for a in asked}
    specific_first = sorted(asked, key=lambda a: (-weight[a.skill_id], a.label))
    have = [a for a in specific_first if a.skill_id in held]
    lack = [a for a in specific_first if a.skill_id not in held]
    total = sum(weight.values())
    share = sum(weight[a.skill_id] for a in have) / total if total > 0 else 0.0
    return NextMove(
        occupation_id=target.occupation_id,
        label=target.label,
        relatedness=round(related, 4),
        fit=RELATEDNESS_SHARE * related + (1 - RELATEDNESS_SHARE) * share,
        held=tuple(have),
        gap=tuple(lack[:GAP_SHOWN]),
        gap_total=len(lack),
    )
