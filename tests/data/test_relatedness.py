"""Occupation relatedness: its contract (identity 1, unknown 0, symmetric, bounded, vectorised
alike), each kind of evidence moving the score the way the design says on small taxonomies
built for it, and the packaged taxonomy's classes: one ISCO unit group far above random pairs,
ESCO siblings above the rest of their group, neighbours that are the same kind of work and
not made by generic skills."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

import numpy as np
import pytest

from data.taxonomy.model import Taxonomy, TaxonomyOccupation, TaxonomySkill
from data.taxonomy.packaged import load_packaged_taxonomy
from data.taxonomy.relatedness import OccupationRelatedness


def _taxonomy(*occupations: TaxonomyOccupation, version: str = "") -> Taxonomy:
    listed = {
        s for o in occupations for s in (*o.essential_skill_ids, *o.optional_skill_ids, *o.tool_ids)
    }
    skills = [TaxonomySkill(s, s.replace(":", " ")) for s in sorted(listed)]
    return Taxonomy.build(skills, occupations, version=version)


def _occupation(
    name: str,
    code: str = "",
    skills: tuple[str, ...] = (),
    *,
    onet_codes: tuple[str, ...] = (),
    tool_ids: tuple[str, ...] = (),
) -> TaxonomyOccupation:
    return TaxonomyOccupation(
        occupation_id=f"esco:{name}",
        label=name,
        code=code,
        isco_group=code.split(".")[0],
        essential_skill_ids=skills,
        onet_codes=onet_codes,
        tool_ids=tool_ids,
    )


def _filler(count: int) -> list[TaxonomyOccupation]:
    """Unrelated occupations elsewhere in ISCO, so a skill's rarity means something."""
    return [
        _occupation(f"filler{i}", f"9{i % 10}{i:02d}.1", (f"skill:filler{i}", "skill:generic"))
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("code_b", "level"),
    [
        ("2511.4.1", "filed directly under"),
        ("2511.4.2", "siblings"),
        ("2511.4.2.1", "same ESCO branch"),
        ("2511.7", "same unit group"),
        ("2512.3", "same minor group"),
        ("2521.3", "same sub-major group"),
        ("3511.3", "same major group only"),
    ],
)
def test_the_hierarchy_orders_pairs_that_share_no_skills(code_b: str, level: str) -> None:
    closer_to_farther = [
        "2511.4.1",
        "2511.4.2",
        "2511.4.2.1",
        "2511.7",
        "2512.3",
        "2521.3",
        "3511.3",
    ]
    anchor = _occupation("anchor", "2511.4.9", ("skill:own",))
    others = [_occupation(f"o{i}", c, (f"skill:o{i}",)) for i, c in enumerate(closer_to_farther)]
    others[0] = _occupation("o0", "2511.4.9.1", ("skill:o0",))  # filed under the anchor
    relatedness = OccupationRelatedness.from_taxonomy(_taxonomy(anchor, *others))
    scores = relatedness.scores(anchor.occupation_id, [o.occupation_id for o in others])
    position = closer_to_farther.index(code_b)
    assert all(scores[:position] >= scores[position]), level
    assert all(scores[position] > scores[position + 1 :]), level
    assert scores[-1] == 0.0  # nothing shared at all


def test_one_specific_shared_skill_says_more_than_many_generic_ones() -> None:
    generic = tuple(f"skill:generic{i}" for i in range(5))
    fillers = [
        _occupation(f"filler{i}", f"9{i % 10}{i:02d}.1", (*generic, f"skill:filler{i}"))
        for i in range(40)
    ]
    anchor = _occupation("anchor", "2111.1", (*generic, "skill:spectroscopy", "skill:a"))
    generic_twin = _occupation("generic", "7111.1", (*generic, "skill:b"))
    specific = _occupation("specific", "5111.1", ("skill:spectroscopy", "skill:c"))
    relatedness = OccupationRelatedness.from_taxonomy(
        _taxonomy(anchor, generic_twin, specific, *fillers)
    )
    assert relatedness.score("esco:anchor", "esco:specific") > 2 * relatedness.score(
        "esco:anchor", "esco:generic"
    )
    assert relatedness.neighbours("esco:anchor", 1)[0][0] == "esco:specific"


def test_shared_onet_codes_or_tools_raise_the_score_and_missing_ones_do_not_lower_it() -> None:
    def pair(name: str, onet: tuple[tuple[str, ...], tuple[str, ...]], tools=((), ())):
        return [
            _occupation(
                f"{name}{side}",
                f"{code}.1",
                (f"skill:{name}{side}", "skill:shared"),
                onet_codes=onet[side],
                tool_ids=tools[side],
            )
            for side, code in enumerate(("4110", "4311"))
        ]

    no_data = pair("none", ((), ()))
    same_onet = pair("same", (("43-1011.00",), ("43-1011.00",)))
    other_onet = pair("other", (("43-1011.00",), ("43-3031.00",)))
    same_tools = pair("tools", ((), ()), (("tool:excel", "tool:sap"), ("tool:sap", "tool:excel")))
    other_tools = pair("tooled", ((), ()), (("tool:excel",), ("tool:autocad",)))
    relatedness = OccupationRelatedness.from_taxonomy(
        _taxonomy(*no_data, *same_onet, *other_onet, *same_tools, *other_tools, *_filler(20))
    )

    def score(occupations: list[TaxonomyOccupation]) -> float:
        return relatedness.score(occupations[0].occupation_id, occupations[1].occupation_id)

    assert score(same_onet) > score(no_data) > score(other_onet)
    assert score(same_tools) > score(no_data) > score(other_tools)


def test_the_contract_identity_unknown_none_symmetry_and_the_vectorised_form() -> None:
    taxonomy = load_packaged_taxonomy()
    relatedness = OccupationRelatedness.from_taxonomy(taxonomy)
    rng = np.random.default_rng(11)
    ids = sorted(taxonomy.occupations)
    sample = [ids[i] for i in rng.choice(len(ids), 60, replace=False)]
    for a in sample[:10]:
        assert relatedness.score(a, a) == 1.0
        assert relatedness.score(a, None) == relatedness.score(None, a) == 0.0
        assert relatedness.score(a, "esco:no-such") == relatedness.score("esco:no-such", a) == 0.0
        bs = [*sample, None, "esco:no-such", a]
        row = relatedness.scores(a, bs)
        assert row.dtype == np.float32 and row.shape == (len(bs),)
        assert row.tolist() == [relatedness.score(a, b) for b in bs]
        assert ((row >= 0) & (row <= 1)).all()
        others = np.array([b != a for b in bs])
        assert (row[others] < 1.0).all()  # only the occupation itself scores 1
    for a, b in itertools.combinations(sample[:20], 2):
        assert relatedness.score(a, b) == pytest.approx(relatedness.score(b, a), abs=1e-6)
    assert relatedness.scores(None, sample).tolist() == [0.0] * len(sample)
    assert relatedness.neighbours("esco:no-such") == []


def test_neighbours_are_the_best_scored_others_in_order() -> None:
    taxonomy = load_packaged_taxonomy()
    relatedness = OccupationRelatedness.from_taxonomy(taxonomy)
    ids = sorted(taxonomy.occupations)
    rng = np.random.default_rng(5)
    for a in (ids[i] for i in rng.choice(len(ids), 20, replace=False)):
        found = relatedness.neighbours(a, 7)
        assert len(found) == 7 and a not in {n for n, _ in found}
        scores = [s for _, s in found]
        assert scores == sorted(scores, reverse=True)
        everyone = relatedness.scores(a, ids)
        everyone[ids.index(a)] = -1
        assert scores[0] == pytest.approx(everyone.max()) and scores[-1] == pytest.approx(
            np.sort(everyone)[-7]
        )


def test_built_once_per_content_a_copy_shares_it_other_content_is_rebuilt() -> None:
    taxonomy = load_packaged_taxonomy()
    built = OccupationRelatedness.from_taxonomy(taxonomy)
    assert OccupationRelatedness.from_taxonomy(taxonomy.copy()) is built
    small = _taxonomy(_occupation("a", "2511.1", ("skill:x",)), _occupation("b", "2511.2"))
    changed = _taxonomy(_occupation("a", "2511.1", ("skill:x",)), _occupation("b", "7212.2"))
    assert OccupationRelatedness.from_taxonomy(small).score("esco:a", "esco:b") > 0
    assert OccupationRelatedness.from_taxonomy(changed).score("esco:a", "esco:b") == 0


@pytest.fixture(scope="module")
def packaged() -> tuple[Taxonomy, OccupationRelatedness]:
    taxonomy = load_packaged_taxonomy()
    return taxonomy, OccupationRelatedness.from_taxonomy(taxonomy)


def test_one_unit_group_scores_far_above_random_pairs_and_esco_siblings_above_the_rest(
    packaged: tuple[Taxonomy, OccupationRelatedness],
) -> None:
    taxonomy, relatedness = packaged
    occupations = sorted(taxonomy.occupations.values(), key=lambda o: o.occupation_id)
    ids = [o.occupation_id for o in occupations]
    unit = np.array([o.isco_group for o in occupations])
    parent = np.array([o.code.rsplit(".", 1)[0] for o in occupations])
    rng = np.random.default_rng(7)
    same_unit, siblings, rest_of_unit, random_pairs = [], [], [], []
    for i in rng.choice(len(ids), 200, replace=False):
        row = relatedness.scores(ids[i], ids)
        others = np.arange(len(ids)) != i
        in_unit = others & (unit == unit[i])
        sibling = in_unit & (parent == parent[i]) & ("." in parent[i])
        same_unit.extend(row[in_unit])
        siblings.extend(row[sibling])
        rest_of_unit.extend(row[in_unit & ~sibling])
        random_pairs.extend(row[rng.choice(np.flatnonzero(others), 20, replace=False)])
    # Measured: same unit 0.43, random 0.010, siblings 0.67, the rest of the unit 0.34.
    assert np.mean(same_unit) > 10 * np.mean(random_pairs)
    assert np.mean(siblings) > np.mean(rest_of_unit) + 0.15
    assert np.mean(random_pairs) < 0.05


def test_neighbours_are_the_same_kind_of_work_and_stay_without_generic_skills(
    packaged: tuple[Taxonomy, OccupationRelatedness],
) -> None:
    taxonomy, relatedness = packaged
    listings = Counter(
        s
        for o in taxonomy.occupations.values()
        for s in {*o.essential_skill_ids, *o.optional_skill_ids}
    )
    generic = {s for s, count in listings.items() if count > 100}  # 147 skills
    without_generic = OccupationRelatedness.from_taxonomy(
        Taxonomy.build(
            taxonomy.skills.values(),
            [
                dataclasses.replace(
                    o,
                    essential_skill_ids=tuple(s for s in o.essential_skill_ids if s not in generic),
                    optional_skill_ids=tuple(s for s in o.optional_skill_ids if s not in generic),
                )
                for o in taxonomy.occupations.values()
            ],
        )
    )
    ids = sorted(taxonomy.occupations)
    rng = np.random.default_rng(13)
    in_minor_group, kept = [], []
    for a in (ids[i] for i in rng.choice(len(ids), 200, replace=False)):
        mine = taxonomy.occupations[a]
        nearest = [b for b, _ in relatedness.neighbours(a, 5)]
        in_minor_group += [
            taxonomy.occupations[b].isco_group[:3] == mine.isco_group[:3] for b in nearest
        ]
        still = {b for b, _ in without_generic.neighbours(a, 5)}
        kept.append(len(still & set(nearest)) / len(nearest))
    # Measured: 87% of the five nearest in the same minor group; 94% of them still among the
    # five nearest when no occupation lists a skill that over 100 occupations list.
    assert np.mean(in_minor_group) > 0.8
    assert np.mean(kept) > 0.85


@pytest.mark.parametrize(
    ("label", "isco_prefix", "expected"),
    [
        ("data analyst", "25", "data scientist"),
        ("specialist nurse", "22", "nurse responsible for general care"),
        ("welder", "72", "spot welder"),
        ("software developer", "25", "ICT application developer"),
    ],
)
def test_examples_across_the_taxonomy_have_neighbours_of_their_own_field(
    packaged: tuple[Taxonomy, OccupationRelatedness], label: str, isco_prefix: str, expected: str
) -> None:
    taxonomy, relatedness = packaged
    by_label = {o.label: o.occupation_id for o in taxonomy.occupations.values()}
    nearest = relatedness.neighbours(by_label[label], 10)
    labels = [taxonomy.occupations[n].label for n, _ in nearest]
    assert expected in labels[:3]
    in_field = [taxonomy.occupations[n].isco_group.startswith(isco_prefix) for n, _ in nearest]
    assert sum(in_field) >= 8, labels
