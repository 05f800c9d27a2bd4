"""Pair features on a fixture with known answers, and their blindness to demographics."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from data.demo import generate_company
from data.schemas import Demographics
from data.taxonomy.occupation_profiles import OccupationProfiles
from data.taxonomy.packaged import load_packaged_taxonomy
from data.taxonomy.relatedness import OccupationRelatedness
from features import FEATURE_NAMES, FEATURES, FeatureStore, opportunity_inputs, person_inputs
from features.events import Event
from features.inputs import OpportunityInputs, PersonInputs
from tests.matching.fakes import HashEncoder

REFERENCE = dt.date(2026, 11, 1)
ENCODER = HashEncoder(dim=8)


def person(external_id: str, **overrides: object) -> PersonInputs:
    values: dict = {
        "external_id": external_id,
        "level": 3,
        "availability": 8.0,
        "location": "Berlin",
        "timezone": "Europe/Berlin",
        "department": "Data",
        "hire_date": dt.date(2020, 11, 1),
        "skills": {"A": 4, "B": 2},
        "interests": ("analytics",),
        "aspirations": "",
    }
    values.update(overrides)
    return PersonInputs(**values)


def job(external_id: str, **overrides: object) -> OpportunityInputs:
    values: dict = {
        "external_id": external_id,
        "title": f"Project {external_id}",
        "kind": "gig",
        "owner_external_id": "LEAD",
        "department": "Data",
        "location": "Remote",
        "hours": 5.0,
        "level_min": 2,
        "level_max": 4,
        "required": {"A": 3, "B": 4, "C": 2},
        "preferred": {"D": 1},
    }
    values.update(overrides)
    return OpportunityInputs(**values)


@dataclasses.dataclass(frozen=True)
class LoggedEvent:
    """An interaction as the features read it (features.events.Event), with its stars if rated."""

    employee_external_id: str
    opportunity_external_id: str
    type: str
    occurred_at: dt.datetime
    rating: int | None = None


def event(who: str, what: str, kind: str, day: int) -> LoggedEvent:
    at = dt.datetime(2026, 10, day, 12, tzinfo=dt.UTC)
    return LoggedEvent(
        employee_external_id=who, opportunity_external_id=what, type=kind, occurred_at=at
    )


def store_of(
    people: Sequence[PersonInputs],
    jobs: Sequence[OpportunityInputs],
    events: Sequence[Event] = (),
    *,
    tool_categories: Mapping[str, str] | None = None,
    occupation_relatedness: OccupationRelatedness | None = None,
    occupation_profiles: OccupationProfiles | None = None,
) -> FeatureStore:
    return FeatureStore(
        people,
        jobs,
        person_vectors=ENCODER.encode([p.external_id for p in people]),
        opportunity_vectors=ENCODER.encode([o.external_id for o in jobs]),
        embed=ENCODER.encode,
        skill_labels=lambda skill: f"skill {skill}",
        events=events,
        reference_date=REFERENCE,
        tool_categories=tool_categories,
        occupation_relatedness=occupation_relatedness,
        occupation_profiles=occupation_profiles,
    )


def features_of(store: FeatureStore, who: int, what: int, at: dt.datetime) -> dict[str, float]:
    row = store.compute(np.array([who]), np.array([what]), int(at.timestamp()))[0]
    return dict(zip(FEATURE_NAMES, row.tolist(), strict=True))


def test_skill_features_are_level_aware() -> None:
    store = store_of([person("ME"), person("LEAD", timezone="America/New_York")], [job("G")])
    f = features_of(store, 0, 0, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    assert f["required_coverage"] == pytest.approx((1 + 0.5 + 0) / 3)  # A 4>=3, B 2/4, C none
    assert f["required_missing"] == 1
    assert f["preferred_coverage"] == 0
    assert f["level_surplus"] == pytest.approx(1 / 3)  # A +1 over 3 required; B short adds 0
    assert f["worst_level_deficit"] == 2  # B short by 2; C missing, asked 2
    assert f["availability_slack"] == 3  # 8 free, 5 asked
    assert f["level_outside_band"] == 0 and f["level_position"] == pytest.approx(0.5)
    assert f["location_match"] == 1  # remote
    assert f["timezone_gap_hours"] == 6  # Berlin (UTC+1) vs New York (UTC-5) in November
    assert f["tenure_years"] == pytest.approx(6.0, abs=0.01)
    assert f["cross_department"] == 0
    assert f["mentor_level_gap"] == 0 and f["mentee_interest_in_offered"] == 0  # not a mentorship


def test_band_location_and_roles() -> None:
    jobs = [
        job("ROLE", kind="role", hours=40.0, level_min=5, level_max=6),
        job("ONSITE", location="London", department="Finance"),
    ]
    store = store_of([person("ME"), person("LEAD")], jobs)
    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    role, onsite = features_of(store, 0, 0, at), features_of(store, 0, 1, at)
    assert role["availability_slack"] == 0  # a role replaces the job: free hours do not bind
    assert role["level_outside_band"] == 2 and role["level_position"] == 0
    assert onsite["location_match"] == 0 and onsite["cross_department"] == 1


def test_history_counts_only_events_before_the_request() -> None:
    events = [
        event("ME", "X", "accept", 1),
        event("ME", "X", "complete", 10),
        event("ME", "Y", "accept", 20),
        event("OTHER", "G", "apply", 5),
        event("ME", "G", "apply", 25),
    ]
    store = store_of([person("ME"), person("OTHER"), person("LEAD")], [job("G")], events)
    early = features_of(store, 0, 0, dt.datetime(2026, 10, 15, tzinfo=dt.UTC))
    late = features_of(store, 0, 0, dt.datetime(2026, 10, 30, tzinfo=dt.UTC))
    assert early["past_completion_rate"] == pytest.approx((1 + 2 * 0.7) / (1 + 2))
    assert late["past_completion_rate"] == pytest.approx((1 + 2 * 0.7) / (2 + 2))
    assert early["opportunity_popularity"] == pytest.approx(np.log1p(1))
    assert late["opportunity_popularity"] == pytest.approx(np.log1p(2))


def test_mentorship_features_compare_mentor_and_mentee_levels() -> None:
    mentor = person("LEAD", skills={"A": 5, "B": 5, "C": 3})
    mentoring = job("M", kind="mentorship", required={"A": 4, "B": 4}, preferred={})
    store = store_of([person("ME"), mentor], [mentoring])
    f = features_of(store, 0, 0, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    assert f["mentor_level_gap"] == pytest.approx(((5 - 4) + (5 - 2)) / 2)
    assert f["mentee_interest_in_offered"] != 0


def test_many_pairs_at_once_equal_one_pair_at_a_time() -> None:
    people = [person(f"P{i}", skills={"A": 1 + i % 5, "C": 2}, level=1 + i % 7) for i in range(30)]
    people.append(person("LEAD"))
    jobs = [job(f"O{j}", required={"A": 1 + j % 4, "B": 2}, level_min=1 + j % 3) for j in range(7)]
    store = store_of(people, jobs)
    who, what = np.repeat(np.arange(30), 7), np.tile(np.arange(7), 30)
    batch = store.compute(who, what, 1_800_000_000)
    single = np.vstack(
        [
            store.compute(np.array([w]), np.array([o]), 1_800_000_000)
            for w, o in zip(who, what, strict=True)
        ]
    )
    assert np.allclose(batch, single)
    assert batch.shape == (210, len(FEATURES)) and np.isfinite(batch).all()


def test_at_least_15_documented_features_none_protected() -> None:
    assert len(FEATURES) >= 15
    for feature in FEATURES:
        assert feature.meaning and feature.template and feature.monotone in (-1, 0, 1)
    protected = set(Demographics.model_fields)
    assert not protected & {f.name for f in dataclasses.fields(PersonInputs)}
    words = {part for name in FEATURE_NAMES for part in name.split("_")}
    assert not words & {"gender", "race", "ethnicity", "age", "disability", "sex"}


def test_shuffling_demographics_leaves_every_feature_unchanged() -> None:
    company = generate_company(
        load_packaged_taxonomy(), employees=120, opportunities=30, seed=5, as_of=REFERENCE
    )
    rng = np.random.default_rng(1)
    shuffled_demographics = [
        company.employees[i].demographics for i in rng.permutation(len(company.employees))
    ]
    shuffled = [
        e.model_copy(update={"demographics": d})
        for e, d in zip(company.employees, shuffled_demographics, strict=True)
    ]
    assert any(
        a.demographics != b.demographics for a, b in zip(company.employees, shuffled, strict=True)
    )

    def matrix(employees: list) -> np.ndarray:
        store = store_of(
            [person_inputs(e) for e in employees],
            [opportunity_inputs(o) for o in company.opportunities],
            company.interactions,
        )
        who = np.repeat(np.arange(len(employees)), len(company.opportunities))
        what = np.tile(np.arange(len(company.opportunities)), len(employees))
        return store.compute(who, what, 1_800_000_000)

    assert np.array_equal(matrix(company.employees), matrix(shuffled))


def test_an_empty_candidate_set_gives_an_empty_feature_matrix() -> None:
    company = generate_company(
        load_packaged_taxonomy(), employees=30, opportunities=6, seed=5, as_of=REFERENCE
    )
    store = store_of([person_inputs(e) for e in company.employees], [], [])
    features = store.compute(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0)
    assert features.shape == (0, len(FEATURE_NAMES))


def test_tenure_is_taken_at_each_pairs_own_time() -> None:
    store = store_of([person("ME")], [job("G")])
    a_year_earlier = features_of(store, 0, 0, dt.datetime(2025, 11, 1, tzinfo=dt.UTC))
    now = features_of(store, 0, 0, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    assert now["tenure_years"] - a_year_earlier["tenure_years"] == pytest.approx(1.0, abs=0.01)


def test_interest_and_aspiration_vectors_are_each_person_s_own_mean() -> None:
    """The text means are computed for a whole request at once: each person's must be the mean
    of their own texts' vectors, to the bit, whatever the others hold."""
    interests = [(), ("analytics",), ("analytics", "design", "analytics"), ("x", "y", "z", "w")]
    people = [
        person(f"P{i}", interests=chosen, aspirations="lead a team" if i % 2 else "")
        for i, chosen in enumerate(interests)
    ]
    store = store_of(people, [job("J")])
    for i, chosen in enumerate(interests):
        if not chosen:
            assert not store.p_interests[i].any()
            continue
        mean = ENCODER.encode(list(chosen)).mean(axis=0)
        np.testing.assert_array_equal(store.p_interests[i], mean / np.linalg.norm(mean))
    lead = ENCODER.encode(["lead a team"])[0]
    np.testing.assert_array_equal(store.p_aspirations[1], lead / np.linalg.norm(lead))
    assert not store.p_aspirations[0].any()
