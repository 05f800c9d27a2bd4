"""profile_fit and tool_category_fit: a person's whole profile against a posting's whole work."""

from __future__ import annotations

import numpy as np
import pytest

from data.taxonomy.model import Taxonomy, TaxonomyOccupation, TaxonomySkill
from data.taxonomy.occupation_profiles import OccupationProfiles
from features import FEATURE_NAMES, FeatureStore
from tests.features.test_store import job, person, store_of

CAD, GIS, OFFICE = "toolcat:cad", "toolcat:gis", "toolcat:office"
TOOLS = {
    "tool:autocad": CAD,
    "tool:revit": CAD,
    "tool:vectorworks": CAD,
    "tool:arcgis": GIS,
    "tool:qgis": GIS,
    "tool:excel": OFFICE,
}


def _taxonomy() -> Taxonomy:
    skills = [TaxonomySkill(s, f"skill {s}") for s in (*"ABCDEFGHIJ", "X")]
    skills += [TaxonomySkill(t, t.split(":")[1], skill_type="tool") for t in TOOLS]
    occupations = [
        TaxonomyOccupation(
            "occ:drafter",
            "drafter",
            essential_skill_ids=("A", "B", "C", "D"),
            optional_skill_ids=("E", "F"),
            tool_ids=("tool:autocad", "tool:revit", "tool:excel"),
        ),
        TaxonomyOccupation(
            "occ:surveyor",
            "surveyor",
            essential_skill_ids=("G", "H", "I"),
            optional_skill_ids=("J", "A"),
            tool_ids=("tool:arcgis", "tool:excel"),
        ),
    ]
    # Many occupations list Excel: it should say little about the work.
    occupations += [
        TaxonomyOccupation(f"occ:office{i}", f"office {i}", tool_ids=("tool:excel",))
        for i in range(8)
    ]
    taxonomy = Taxonomy.build(skills, occupations, version="test")
    taxonomy.tool_categories = dict(TOOLS)
    return taxonomy


TAXONOMY = _taxonomy()
PROFILES = OccupationProfiles.from_taxonomy(TAXONOMY)


def _store(people, jobs) -> FeatureStore:
    return store_of(people, jobs, tool_categories=TOOLS, occupation_profiles=PROFILES)


def _values(store: FeatureStore, pairs: list[tuple[int, int]], name: str) -> np.ndarray:
    people, jobs = (np.array(side) for side in zip(*pairs, strict=True))
    return store.compute(people, jobs, 0)[:, FEATURE_NAMES.index(name)]


def _title_only(external_id: str, occupation: str | None):
    """A posting by title alone: asks nothing explicitly, its occupation describes the work."""
    return job(external_id, required={}, preferred={}, occupation_id=occupation)


def test_a_person_sampled_from_an_occupations_work_fits_its_posting_better_than_another():
    # Holds four of the drafter's skills, none of which a drafter's posting lists explicitly.
    drafter_like = person("P", skills={"B": 3, "D": 2, "E": 4, "F": 2})
    store = _store(
        [drafter_like],
        [_title_only("DRAFT", "occ:drafter"), _title_only("SURVEY", "occ:surveyor")],
    )
    fits = _values(store, [(0, 0), (0, 1)], "profile_fit")
    assert fits[0] > 0.5 and fits[1] == 0.0


def test_profile_fit_never_falls_when_the_person_adds_an_asked_skill():
    rng = np.random.default_rng(5)
    letters = list("ABCDEFGHIJX")
    for _ in range(60):
        held = {s: int(rng.integers(1, 6)) for s in rng.choice(letters, 4, replace=False)}
        asked = {s: 3 for s in rng.choice(letters, 3, replace=False)}
        occupation = [None, "occ:drafter", "occ:surveyor"][int(rng.integers(3))]
        posting = job("J", required=asked, preferred={}, occupation_id=occupation)
        missing = [s for s in asked if s not in held]
        if not missing:
            continue
        more = {**held, missing[0]: 3}
        store = _store([person("P0", skills=held), person("P1", skills=more)], [posting])
        before, after = _values(store, [(0, 0), (1, 0)], "profile_fit")
        assert after >= before - 1e-6, (held, asked, occupation)


def test_a_tool_of_the_same_kind_counts_where_the_product_is_not_listed():
    # Vectorworks is no drafter's listed tool, but it is CAD software like AutoCAD and Revit.
    cad_user = person("CAD", skills={"tool:vectorworks": 3})
    gis_user = person("GIS", skills={"tool:qgis": 3})
    office_user = person("XLS", skills={"tool:excel": 3})
    store = _store([cad_user, gis_user, office_user], [_title_only("DRAFT", "occ:drafter")])
    cad, gis, office = _values(store, [(0, 0), (1, 0), (2, 0)], "tool_category_fit")
    assert cad > office > gis == 0.0
    # One more tool of that kind never lowers it.
    more = person("CAD2", skills={"tool:vectorworks": 3, "tool:autocad": 2})
    store = _store([cad_user, more], [_title_only("DRAFT", "occ:drafter")])
    one, two = _values(store, [(0, 0), (1, 0)], "tool_category_fit")
    assert two >= one > 0


def test_a_posting_with_no_occupation_and_no_skills_and_a_person_without_tools_score_zero():
    store = _store(
        [person("P", skills={"A": 3}), person("Q", skills={})],
        [_title_only("VAGUE", None), _title_only("DRAFT", "occ:drafter")],
    )
    rows = store.compute(np.array([0, 1, 1]), np.array([0, 0, 1]), 0)
    assert rows[:, FEATURE_NAMES.index("profile_fit")].tolist() == [0.0, 0.0, 0.0]
    assert rows[:, FEATURE_NAMES.index("tool_category_fit")].tolist() == [0.0, 0.0, 0.0]


def test_blocks_of_pairs_give_what_one_pair_at_a_time_gives(monkeypatch: pytest.MonkeyPatch):
    import features.store as store_module

    people = [person(f"P{i}", skills={s: 3 for s in "ABCDGH"[i % 3 : i % 3 + 3]}) for i in range(7)]
    people += [person("T", skills={"tool:revit": 2, "tool:arcgis": 4, "A": 2})]
    jobs = [_title_only("DRAFT", "occ:drafter"), _title_only("SURVEY", "occ:surveyor")]
    store = _store(people, jobs)
    pairs = [(p, j) for p in range(len(people)) for j in range(len(jobs))]
    who, what = (np.array(side) for side in zip(*pairs, strict=True))
    whole = store.compute(who, what, 0)
    monkeypatch.setattr(store_module, "PROFILE_BLOCK", 3)
    blocked = store.compute(who, what, 0)
    np.testing.assert_allclose(whole, blocked)
    one_by_one = np.vstack([store.compute(np.array([p]), np.array([j]), 0) for p, j in pairs])
    np.testing.assert_allclose(whole, one_by_one)
