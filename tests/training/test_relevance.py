"""Graded labels, credit to the latest impression, contiguous groups and a time split."""

from __future__ import annotations

import datetime as dt

import numpy as np

from data.schemas import InteractionIn
from training.relevance import label_impressions, time_split

T0 = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)


def ev(kind: str, who: str, what: str, minutes: int, **extra: object) -> InteractionIn:
    return InteractionIn(
        employee_external_id=who,
        opportunity_external_id=what,
        type=kind,
        occurred_at=T0 + dt.timedelta(minutes=minutes),
        **extra,
    )


def shown(request: str, who: str, items: list[str], minutes: int) -> list[InteractionIn]:
    return [
        ev("impression", who, item, minutes, position=i + 1, request_id=request)
        for i, item in enumerate(items)
    ]


def test_grades_follow_the_furthest_outcome() -> None:
    events = [
        *shown("r1", "E1", ["A", "B", "C", "D", "F"], 0),
        ev("apply", "E1", "A", 1),
        ev("save", "E1", "B", 2),
        ev("apply", "E1", "C", 3),
        ev("shortlist", "E1", "C", 60),
        ev("accept", "E1", "C", 90),
        ev("complete", "E1", "C", 900, rating=5),
        ev("apply", "E1", "D", 4),
        ev("accept", "E1", "D", 95),
        ev("complete", "E1", "D", 950, rating=2),
        ev("dismiss", "E1", "F", 5),
    ]
    rows = label_impressions(events)
    labels = dict(zip(rows.opportunity_ids.tolist(), rows.labels.tolist(), strict=True))
    assert labels == {"A": 1, "B": 1, "C": 4, "D": 3, "F": 0}
    assert rows.dismissed.tolist() == [False, False, False, False, True]
    assert rows.positions.tolist() == [1, 2, 3, 4, 5]


def test_an_outcome_is_credited_to_the_latest_earlier_impression() -> None:
    events = [
        *shown("early", "E1", ["A", "B"], 0),
        *shown("late", "E1", ["B", "A"], 100),
        ev("apply", "E1", "A", 120),
        ev("apply", "E2", "A", 130),  # never shown to E2: ignored
    ]
    rows = label_impressions(events)
    assert rows.sizes.tolist() == [2, 2]
    assert rows.labels.tolist() == [0, 0, 0, 1]  # the apply belongs to "late", position 2
    assert rows.opportunity_ids.tolist() == ["A", "B", "B", "A"]


def test_time_split_keeps_groups_whole_and_tests_on_the_latest() -> None:
    events = [e for g in range(20) for e in shown(f"r{g}", f"E{g % 3}", ["A", "B", "C"], 10 * g)]
    train, valid, test = time_split(
        label_impressions(events), valid_fraction=0.2, test_fraction=0.2
    )
    assert (len(train.sizes), len(valid.sizes), len(test.sizes)) == (12, 4, 4)
    assert all((part.sizes == 3).all() for part in (train, valid, test))
    assert train.group_seconds.max() < valid.group_seconds.min()
    assert valid.group_seconds.max() < test.group_seconds.min()
    assert np.array_equal(np.sort(test.at_seconds), test.at_seconds)
