"""Time splits: whole groups, consecutive periods, the test period the latest."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest

from tests.training.events import KINDS, T0, shown
from training.groups import QueryGroups, employee_groups
from training.labels import label_interactions
from training.split import cutoff_split, time_split


def lists(n: int, *, minutes_apart: float = 10) -> QueryGroups:
    events = [
        e
        for g in range(n)
        for e in shown(f"r{g:03d}", f"E{g % 3}", ["A", "B", "C"][: 1 + g % 3], minutes_apart * g)
    ]
    return employee_groups(label_interactions(events), kinds=KINDS)


def assert_consecutive(parts: tuple[QueryGroups, ...]) -> None:
    nonempty = [p for p in parts if p.n_groups]
    for earlier, later in itertools.pairwise(nonempty):
        assert earlier.group_time.max() < later.group_time.min()
        assert earlier.occurred_at.max() < later.occurred_at.min()


def test_time_split_keeps_groups_whole_and_tests_on_the_latest() -> None:
    groups = lists(20)
    train, valid, test = time_split(groups, valid_fraction=0.2, test_fraction=0.2)
    assert (train.n_groups, valid.n_groups, test.n_groups) == (12, 4, 4)
    assert_consecutive((train, valid, test))
    assert test.group_time.max() == groups.group_time.max()
    # Every group lands in one part, whole.
    keys = [*train.group_key, *valid.group_key, *test.group_key]
    assert sorted(keys) == sorted(groups.group_key.tolist())
    for part in (train, valid, test):
        for key, size in zip(part.group_key, part.group_sizes, strict=True):
            assert size == groups.group_sizes[groups.group_key == key][0]
        assert len(part) == int(part.group_sizes.sum())


def test_groups_served_in_the_same_second_stay_on_one_side() -> None:
    groups = lists(10, minutes_apart=0)  # all at once: nothing can be told apart in time
    train, valid, test = time_split(groups)
    assert (train.n_groups, valid.n_groups, test.n_groups) == (0, 0, 10)


def test_default_fractions_and_zero_fractions() -> None:
    groups = lists(100)
    train, valid, test = time_split(groups)
    assert (train.n_groups, valid.n_groups, test.n_groups) == (70, 15, 15)
    train, valid, test = time_split(groups, valid_fraction=0, test_fraction=0)
    assert (train.n_groups, valid.n_groups, test.n_groups) == (100, 0, 0)


@pytest.mark.parametrize(("valid", "test"), [(-0.1, 0.2), (0.5, 0.5), (0.2, 1.0)])
def test_fractions_must_leave_a_training_part(valid: float, test: float) -> None:
    with pytest.raises(ValueError, match="fractions"):
        time_split(lists(5), valid_fraction=valid, test_fraction=test)


def test_cutoff_split_by_explicit_times() -> None:
    groups = lists(30)  # one list every 10 minutes from T0
    train, valid, test = cutoff_split(
        groups, valid_from=T0 + dt.timedelta(minutes=100), test_from=T0 + dt.timedelta(hours=4)
    )
    assert (train.n_groups, valid.n_groups, test.n_groups) == (10, 14, 6)
    assert_consecutive((train, valid, test))


def test_cutoff_split_reads_dates_as_midnight_utc_and_naive_times_as_utc() -> None:
    groups = lists(3)
    day = T0.date()
    train, valid, test = cutoff_split(groups, valid_from=day, test_from=day + dt.timedelta(1))
    assert (train.n_groups, valid.n_groups, test.n_groups) == (0, 3, 0)
    naive = (T0 + dt.timedelta(minutes=10)).replace(tzinfo=None)
    train, valid, test = cutoff_split(groups, valid_from=naive, test_from=naive)
    assert (train.n_groups, valid.n_groups, test.n_groups) == (1, 0, 2)
    with pytest.raises(ValueError, match="later"):
        cutoff_split(groups, valid_from=day + dt.timedelta(1), test_from=day)


def test_an_empty_set_splits_into_empty_parts() -> None:
    empty = employee_groups(label_interactions([]), kinds=KINDS)
    assert all(part.n_groups == 0 for part in time_split(empty))
    assert np.array_equal(time_split(empty).train.group_sizes, [])
