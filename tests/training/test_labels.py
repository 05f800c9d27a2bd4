"""Graded labels per impression and per application, on hand-made logs with known answers."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import pytest

from tests.training.events import ev, shown
from training.labels import InteractionLabels, label_interactions


def by_opportunity(labels: InteractionLabels) -> dict[str, int]:
    shown_rows = labels.impressions
    return dict(
        zip(shown_rows.opportunity_external_id.tolist(), shown_rows.label.tolist(), strict=True)
    )


def one_list_log() -> list:
    return [
        *shown("r1", "E1", ["A", "B", "C", "D", "F", "M"], 0),
        ev("apply", "E1", "A", 1, request_id="r1"),
        ev("save", "E1", "B", 2, request_id="r1"),
        ev("apply", "E1", "C", 3, request_id="r1"),
        ev("shortlist", "E1", "C", 60 * 24 * 3),
        ev("accept", "E1", "C", 60 * 24 * 9),
        ev("complete", "E1", "C", 60 * 24 * 60, rating=5),
        ev("apply", "E1", "D", 4, request_id="r1"),
        ev("shortlist", "E1", "D", 60 * 24 * 2),
        ev("accept", "E1", "D", 60 * 24 * 8),
        ev("complete", "E1", "D", 60 * 24 * 70, rating=2),
        ev("view", "E1", "F", 1),
        ev("dismiss", "E1", "F", 5, request_id="r1"),
    ]


def test_grades_follow_the_furthest_outcome() -> None:
    labels = label_interactions(one_list_log())
    assert by_opportunity(labels) == {"A": 1, "B": 1, "C": 4, "D": 3, "F": 0, "M": 0}
    assert labels.impressions.dismissed.tolist() == [False, False, False, False, True, False]
    assert labels.impressions.position.tolist() == [1, 2, 3, 4, 5, 6]
    assert labels.impressions.request_id.tolist() == ["r1"] * 6
    assert labels.unattributed == 0


@pytest.mark.parametrize(("rating", "grade"), [(5, 4), (4, 4), (3, 3), (2, 3), (1, 3), (None, 3)])
def test_a_completion_gives_4_only_with_a_good_rating(rating: int | None, grade: int) -> None:
    events = [*shown("r1", "E1", ["A"], 0), ev("complete", "E1", "A", 500, rating=rating)]
    assert by_opportunity(label_interactions(events)) == {"A": grade}


def test_a_reject_or_a_later_save_never_lowers_a_grade() -> None:
    events = [
        *shown("r1", "E1", ["A", "B"], 0),
        ev("apply", "E1", "A", 1),
        ev("shortlist", "E1", "A", 100),
        ev("reject", "E1", "A", 200),
        ev("save", "E1", "A", 300),
        ev("reject", "E1", "B", 5),
    ]
    assert by_opportunity(label_interactions(events)) == {"A": 2, "B": 0}


def test_an_outcome_without_request_id_goes_to_the_latest_earlier_impression() -> None:
    events = [
        *shown("early", "E1", ["A", "B"], 0),
        *shown("late", "E1", ["B", "A"], 100),
        ev("apply", "E1", "A", 120),  # no request id
        ev("save", "E1", "B", 50, request_id="elsewhere"),  # an id that showed nothing
        *shown("later", "E1", ["A"], 200),  # after both outcomes: gets nothing
    ]
    rows = label_interactions(events).impressions
    assert rows.request_id.tolist() == ["early", "early", "late", "late", "later"]
    assert rows.opportunity_external_id.tolist() == ["A", "B", "B", "A", "A"]
    assert rows.label.tolist() == [0, 1, 0, 1, 0]


def test_an_outcome_naming_its_list_is_credited_there_even_if_shown_again_since() -> None:
    events = [
        *shown("first", "E1", ["A", "B"], 0),
        ev("apply", "E1", "A", 2, request_id="first"),
        *shown("again", "E1", ["A", "B"], 60),  # the pair is shown again before the decision
        ev("shortlist", "E1", "A", 60 * 24 * 4, request_id="first"),
        ev("accept", "E1", "A", 60 * 24 * 9),  # no id: the most recent impression
    ]
    rows = label_interactions(events).impressions
    assert list(zip(rows.request_id.tolist(), rows.label.tolist(), strict=True)) == [
        ("first", 2),
        ("first", 0),
        ("again", 3),
        ("again", 0),
    ]


def test_outcomes_before_any_impression_are_counted_not_credited() -> None:
    events = [
        ev("apply", "E1", "A", 0),  # applied from outside the lists
        *shown("r1", "E1", ["A"], 10),
        ev("apply", "E2", "A", 20),  # never shown to E2
    ]
    labels = label_interactions(events)
    assert labels.impressions.label.tolist() == [0]
    assert labels.unattributed == 2
    # Both still applied: the opportunity direction counts them.
    assert sorted(labels.applications.employee_external_id.tolist()) == ["E1", "E2"]


def test_an_outcome_in_the_impressions_second_is_credited_to_it() -> None:
    events = [ev("apply", "E1", "A", 0), *shown("r1", "E1", ["A"], 0)]  # listed out of order
    labels = label_interactions(events)
    assert labels.impressions.label.tolist() == [1]
    assert labels.unattributed == 0


def test_input_order_does_not_matter() -> None:
    events = one_list_log()
    shuffled = events[:]
    random.Random(5).shuffle(shuffled)
    assert by_opportunity(label_interactions(shuffled)) == by_opportunity(
        label_interactions(events)
    )


def test_a_repeated_impression_in_one_list_keeps_its_first_position() -> None:
    events = [*shown("r1", "E1", ["A", "B", "A"], 0), ev("apply", "E1", "A", 1)]
    rows = label_interactions(events).impressions
    assert rows.opportunity_external_id.tolist() == ["A", "B"]
    assert rows.position.tolist() == [1, 2]
    assert rows.label.tolist() == [1, 0]


def test_impressions_without_request_id_form_one_list_per_person_and_second() -> None:
    events = [
        ev("impression", "E1", "A", 0, position=1),
        ev("impression", "E1", "B", 0, position=2),
        ev("impression", "E2", "A", 0, position=1),
    ]
    names = label_interactions(events).impressions.request_id.tolist()
    assert names[0] == names[1] != names[2]
    assert names[0].startswith("E1@")


def test_stored_rows_with_string_types_and_naive_times_are_read_as_utc() -> None:
    naive = dt.datetime(2026, 5, 1, 9)
    rows = [
        SimpleNamespace(
            request_id="r1",
            employee_external_id="E1",
            opportunity_external_id="A",
            type="impression",
            position=1,
            rating=None,
            occurred_at=naive,
        ),
        SimpleNamespace(
            request_id=None,
            employee_external_id="E1",
            opportunity_external_id="A",
            type="accept",
            position=None,
            rating=None,
            occurred_at=naive + dt.timedelta(days=3),
        ),
    ]
    labels = label_interactions(rows)
    assert labels.impressions.label.tolist() == [3]
    assert labels.impressions.occurred_at.tolist() == [
        int(naive.replace(tzinfo=dt.UTC).timestamp())
    ]


def test_an_unknown_event_type_is_an_error() -> None:
    row = SimpleNamespace(
        request_id=None,
        employee_external_id="E1",
        opportunity_external_id="A",
        type="like",
        position=None,
        rating=None,
        occurred_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    with pytest.raises(ValueError, match="like"):
        label_interactions([row])


def test_applications_are_graded_by_how_far_the_applicant_got() -> None:
    labels = label_interactions(one_list_log()).applications
    graded = dict(zip(labels.opportunity_external_id.tolist(), labels.label.tolist(), strict=True))
    # B was only saved: no application. A applied, C completed well, D completed badly.
    assert graded == {"A": 1, "C": 4, "D": 3}
    assert labels.employee_external_id.tolist() == ["E1", "E1", "E1"]


def test_an_application_keeps_its_first_time_and_ignores_decisions_before_it() -> None:
    events = [
        ev("shortlist", "E1", "A", 0),  # a decision with no application yet: not counted
        ev("apply", "E1", "A", 10),
        ev("apply", "E1", "A", 20),
    ]
    labels = label_interactions(events).applications
    assert labels.label.tolist() == [1]
    assert labels.applied_at.tolist() == [int(ev("apply", "E1", "A", 10).occurred_at.timestamp())]


def test_steps_that_came_from_a_leads_list_grade_the_application_but_no_impression() -> None:
    log = [
        *shown("r1", "E1", ["A", "B"], 0),
        # The lead invited E1 to A from its candidate list "lead-1"; E1 accepted (an apply).
        ev("invite", "E1", "A", 5, request_id="lead-1"),
        ev("apply", "E1", "A", 6, request_id="lead-1"),
        ev("assign", "E1", "A", 60, request_id="lead-1"),
        ev("apply", "E1", "B", 7, request_id="r1"),
        ev("offer", "E1", "B", 30, request_id="r1"),
        ev("slot_offer", "E1", "B", 31),
    ]
    plain = label_interactions(log)
    assert by_opportunity(plain) == {"A": 3, "B": 2}  # the fallback credits A to r1
    labels = label_interactions(log, other_lists={"lead-1"})
    assert by_opportunity(labels) == {"A": 0, "B": 2}
    assert labels.unattributed == plain.unattributed + 3
    applications = dict(
        zip(
            labels.applications.opportunity_external_id.tolist(),
            labels.applications.label.tolist(),
            strict=True,
        )
    )
    assert applications == {"A": 3, "B": 2}  # the candidates' ranker still learns from both
