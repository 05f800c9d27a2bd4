"""A person's and a posting's own history as pair features: known answers, time, undo, default."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pytest

from features import FEATURE_NAMES, FeatureStore
from features.events import Event
from features.history import HISTORY_FEATURES, HistoryItems
from tests.features.test_store import ENCODER, REFERENCE, LoggedEvent, event, job, person
from training.cold_start import NO_HISTORY

DIM = 8  # the fake encoder's, which the other features use
# Postings: two data gigs pointing the same way, one finance gig orthogonal to them.
POSTING_VECTORS = {
    "DATA1": [1.0, 0.0, 0.0, 0.0],
    "DATA2": [0.8, 0.6, 0.0, 0.0],
    "FIN": [0.0, 0.0, 1.0, 0.0],
}
PEOPLE_VECTORS = {
    "ME": [1.0, 0.0, 0.0, 0.0],
    "ALIKE": [0.6, 0.8, 0.0, 0.0],
    "OTHER": [0.0, 0.0, 0.0, 1.0],
    "LEAD": [0.0, 0.0, 1.0, 0.0],
}


def padded(rows: Iterable[list[float]]) -> np.ndarray:
    matrix = np.array(list(rows), dtype=np.float32)
    return np.pad(matrix, ((0, 0), (0, DIM - matrix.shape[1])))


def store(events: Sequence[Event] = (), *, extra: HistoryItems | None = None) -> FeatureStore:
    people = [person(p) for p in PEOPLE_VECTORS]
    jobs = [
        job("DATA1", department="Data"),
        job("DATA2", department="Data"),
        job("FIN", department="Finance"),
    ]
    return FeatureStore(
        people,
        jobs,
        person_vectors=padded(PEOPLE_VECTORS.values()),
        opportunity_vectors=padded(POSTING_VECTORS.values()),
        embed=ENCODER.encode,
        skill_labels=lambda skill: f"skill {skill}",
        events=events,
        reference_date=REFERENCE,
        history_items=extra,
    )


def history(s: FeatureStore, who: str, what: str, day: int) -> dict[str, float]:
    at = int(dt.datetime(2026, 10, day, tzinfo=dt.UTC).timestamp())
    row = s.compute(np.array([s.person_index[who]]), np.array([s.opportunity_index[what]]), at)[0]
    values = dict(zip(FEATURE_NAMES, row.tolist(), strict=True))
    return {name: values[name] for name in HISTORY_FEATURES}


def test_no_history_gives_the_value_the_packaged_models_were_trained_on() -> None:
    values = history(store(), "ME", "DATA2", 20)
    assert values == {name: NO_HISTORY[name] for name in HISTORY_FEATURES}
    assert set(HISTORY_FEATURES) <= set(NO_HISTORY)


def test_what_a_person_applied_to_makes_similar_postings_closer_as_of_that_moment() -> None:
    s = store([event("ME", "DATA1", "apply", 10)])
    before = history(s, "ME", "DATA2", 10)
    after = history(s, "ME", "DATA2", 11)
    assert before["history_liked_similarity"] == 0.0  # not yet happened
    assert after["history_liked_similarity"] == pytest.approx(0.8)  # cos(DATA1, DATA2)
    assert history(s, "ME", "FIN", 11)["history_liked_similarity"] == pytest.approx(0.0)
    assert after["history_department_affinity"] == pytest.approx(1.0)
    assert history(s, "ME", "FIN", 11)["history_department_affinity"] == 0.0


def test_the_pair_s_own_events_never_count_for_it() -> None:
    """The application to DATA1 is what training labels: DATA1's own features must not see it."""
    s = store([event("ME", "DATA1", "apply", 10), event("ME", "DATA2", "save", 12)])
    own = history(s, "ME", "DATA1", 20)
    assert own["history_liked_similarity"] == pytest.approx(0.8)  # only the DATA2 save
    assert own["history_department_affinity"] == pytest.approx(1.0)


def test_dismissals_count_against_and_an_undo_cancels_from_its_moment() -> None:
    s = store(
        [
            event("ME", "FIN", "dismiss", 5),
            event("ME", "DATA1", "save", 6),
            event("ME", "DATA1", "unsave", 8),
        ]
    )
    saved = history(s, "ME", "DATA2", 7)
    undone = history(s, "ME", "DATA2", 9)
    assert saved["history_liked_similarity"] == pytest.approx(0.8)
    assert undone["history_liked_similarity"] == pytest.approx(0.0)
    fin = history(s, "ME", "FIN", 9)
    assert fin["history_passed_similarity"] == 0.0  # its own dismissal left out
    assert history(s, "ME", "DATA2", 9)["history_passed_similarity"] == pytest.approx(0.0)
    other_fin = history(store([event("ME", "FIN", "dismiss", 5)]), "ME", "DATA1", 9)
    assert other_fin["history_department_affinity"] == 0.0  # FIN is another department
    s2 = store([event("ME", "DATA1", "dismiss", 5)])
    assert history(s2, "ME", "DATA2", 9)["history_department_affinity"] == pytest.approx(-1.0)
    assert history(s2, "ME", "DATA2", 9)["history_passed_similarity"] == pytest.approx(0.8)


def test_a_posting_s_chosen_candidates_make_similar_people_closer() -> None:
    s = store([event("ME", "DATA1", "shortlist", 10), event("OTHER", "DATA1", "reject", 10)])
    alike = history(s, "ALIKE", "DATA1", 11)
    assert alike["posting_chosen_similarity"] == pytest.approx(0.6)
    assert alike["posting_passed_similarity"] == pytest.approx(0.0)
    assert history(s, "ME", "DATA1", 11)["posting_chosen_similarity"] == 0.0  # itself
    assert history(s, "OTHER", "DATA1", 11)["posting_passed_similarity"] == 0.0  # itself
    # Another posting's choices say nothing about this one.
    assert history(s, "ALIKE", "DATA2", 11)["posting_chosen_similarity"] == 0.0


def test_postings_beyond_the_scored_ones_count_through_the_engine_s_vectors() -> None:
    """The serving path scores ~200 retrieved postings; the person applied to one not among them."""
    elsewhere = HistoryItems(
        opportunity_ids=["GONE"],
        opportunity_vectors=padded([[0.0, 1.0, 0.0, 0.0]]),
        opportunity_departments=["Data"],
    )
    events = [event("ME", "GONE", "apply", 10), event("ME", "NOWHERE", "apply", 10)]
    without = history(store(events), "ME", "DATA2", 11)
    assert without["history_liked_similarity"] == 0.0
    found = history(store(events, extra=elsewhere), "ME", "DATA2", 11)
    assert found["history_liked_similarity"] == pytest.approx(0.6)  # NOWHERE: not held
    assert found["history_department_affinity"] == pytest.approx(1.0)


def test_a_good_rating_is_liked_and_a_poor_one_passed() -> None:
    def rated(stars: int | None) -> LoggedEvent:
        return dataclasses.replace(event("ME", "DATA1", "rate", 10), rating=stars)

    assert history(store([rated(5)]), "ME", "DATA2", 11)["history_liked_similarity"] > 0
    assert history(store([rated(1)]), "ME", "DATA2", 11)["history_passed_similarity"] > 0
    for unsure in (3, None):
        neutral = history(store([rated(unsure)]), "ME", "DATA2", 11)
        assert neutral == {name: 0.0 for name in HISTORY_FEATURES}
