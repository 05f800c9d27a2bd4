"""Next moves: adjacent occupations (never the person's own, never unrelated work), each with what
the person holds and the gap, most specific first; among moves alike, the one the person is
readier for first."""

from __future__ import annotations

import numpy as np
import pytest

from data.taxonomy.model import Taxonomy, TaxonomyOccupation, TaxonomySkill
from data.taxonomy.packaged import load_packaged_taxonomy
from data.taxonomy.relatedness import OccupationRelatedness
from matching.next_moves import GAP_SHOWN, MIN_RELATEDNESS, TOOLS_CONSIDERED, next_moves


@pytest.fixture(scope="module")
def packaged() -> tuple[Taxonomy, OccupationRelatedness]:
    taxonomy = load_packaged_taxonomy()
    return taxonomy, OccupationRelatedness.from_taxonomy(taxonomy)


def _sample(taxonomy: Taxonomy, count: int, seed: int) -> list[str]:
    ids = sorted(taxonomy.occupations)
    rng = np.random.default_rng(seed)
    return [ids[i] for i in rng.choice(len(ids), count, replace=False)]


def test_moves_are_related_others_with_held_and_gap_splitting_what_the_target_asks(
    packaged: tuple[Taxonomy, OccupationRelatedness],
) -> None:
    taxonomy, relatedness = packaged
    rng = np.random.default_rng(3)
    for occupation_id in _sample(taxonomy, 40, seed=1):
        own = taxonomy.occupations[occupation_id].essential_skill_ids
        held = [s for s in own if rng.random() < 0.6]
        moves = next_moves(taxonomy, relatedness, occupation_id, held, limit=5)
        assert len(moves) <= 5
        assert occupation_id not in {m.occupation_id for m in moves}
        fits = [m.fit for m in moves]
        assert fits == sorted(fits, reverse=True)
        for move in moves:
            target = taxonomy.occupations[move.occupation_id]
            assert move.label == target.label
            assert move.relatedness >= MIN_RELATEDNESS
            assert move.relatedness == pytest.approx(
                relatedness.score(occupation_id, move.occupation_id), abs=1e-4
            )
            asked = set(target.essential_skill_ids) | set(target.tool_ids)
            assert {h.skill_id for h in move.held} <= asked & set(held)
            assert not {g.skill_id for g in move.gap} & set(held)
            assert len(move.gap) == min(move.gap_total, GAP_SHOWN)
            assert len(move.held) + move.gap_total == len(
                {s for s in target.essential_skill_ids if s in taxonomy.skills}
            ) + min(len([t for t in target.tool_ids if t in taxonomy.skills]), TOOLS_CONSIDERED)
            # The gap's first entries are the target's most specific ones.
            weights = [relatedness.specificity(g.skill_id) for g in move.gap]
            assert weights == sorted(weights, reverse=True)


def test_holding_more_of_a_target_never_moves_it_down(
    packaged: tuple[Taxonomy, OccupationRelatedness],
) -> None:
    taxonomy, relatedness = packaged
    for occupation_id in _sample(taxonomy, 25, seed=2):
        before = next_moves(taxonomy, relatedness, occupation_id, [], limit=10)
        if len(before) < 2:
            continue
        last = before[-1]
        learned = taxonomy.occupations[last.occupation_id].essential_skill_ids
        after = next_moves(taxonomy, relatedness, occupation_id, learned, limit=10)
        position = {m.occupation_id: i for i, m in enumerate(after)}
        assert position[last.occupation_id] <= len(before) - 1
        moved = next(m for m in after if m.occupation_id == last.occupation_id)
        assert moved.fit > last.fit and moved.gap_total < last.gap_total


def test_with_no_skills_held_the_most_related_come_first_and_unknowns_get_nothing(
    packaged: tuple[Taxonomy, OccupationRelatedness],
) -> None:
    taxonomy, relatedness = packaged
    for occupation_id in _sample(taxonomy, 20, seed=4):
        moves = next_moves(taxonomy, relatedness, occupation_id, [], limit=5)
        nearest = [n for n, s in relatedness.neighbours(occupation_id, 5) if s >= MIN_RELATEDNESS]
        assert [m.occupation_id for m in moves] == nearest
        assert all(m.held == () for m in moves)
    assert next_moves(taxonomy, relatedness, None, ["esco:x"]) == []
    assert next_moves(taxonomy, relatedness, "esco:no-such", []) == []


def test_a_retired_skill_id_counts_as_the_skill_it_became() -> None:
    skills = [TaxonomySkill(f"esco:{n}", n) for n in ("audit", "tax", "ledger", "payroll")]
    occupations = [
        TaxonomyOccupation("esco:bookkeeper", "bookkeeper", code="4311.1", isco_group="4311",
                           essential_skill_ids=("esco:ledger", "esco:payroll")),
        TaxonomyOccupation("esco:accountant", "accountant", code="4311.2", isco_group="4311",
                           essential_skill_ids=("esco:ledger", "esco:audit", "esco:tax")),
    ]  # fmt: skip
    taxonomy = Taxonomy.build(skills, occupations, aliases={"esco:old-audit": "esco:audit"})
    relatedness = OccupationRelatedness.from_taxonomy(taxonomy)
    [move] = next_moves(taxonomy, relatedness, "esco:bookkeeper", ["esco:ledger", "esco:old-audit"])
    assert move.occupation_id == "esco:accountant"
    assert {h.skill_id for h in move.held} == {"esco:ledger", "esco:audit"}
    assert [g.skill_id for g in move.gap] == ["esco:tax"] and move.gap_total == 1
