"""Time-based train / valid / test splits of query groups.

A group goes whole to the part its time falls in, and the parts are consecutive periods: every
train group is older than every valid group, every valid group older than every test group, so
the test period is the latest, as it will be once the model serves. Groups sharing one instant
stay on the same side of a boundary (they move to the later part).

Labels are not cut at the boundaries: a train list whose application was accepted during the
test period keeps its 3, as it would in a retrain. The latest groups have had the least time
to collect outcomes, so test labels run lower than train labels; compare models on the same
test part only.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

from training.groups import QueryGroups


class Split(NamedTuple):
    train: QueryGroups
    valid: QueryGroups
    test: QueryGroups


def time_split(
    groups: QueryGroups, *, valid_fraction: float = 0.15, test_fraction: float = 0.15
) -> Split:
    """About the given fractions of groups (not rows) in valid and test, test the latest."""
    if valid_fraction < 0 or test_fraction < 0 or valid_fraction + test_fraction >= 1:
        raise ValueError("fractions must be non-negative and leave some groups for training")
    n = groups.n_groups
    test_start = n - round(n * test_fraction)
    valid_start = test_start - round(n * valid_fraction)
    return _split_at(groups, _time_at(groups, valid_start), _time_at(groups, test_start))


def cutoff_split(
    groups: QueryGroups, *, valid_from: dt.datetime | dt.date, test_from: dt.datetime | dt.date
) -> Split:
    """Train before `valid_from`, valid until `test_from`, test from then on.

    A date means its midnight UTC; a naive datetime is UTC. Resolution: one second.
    """
    valid_at, test_at = _seconds(valid_from), _seconds(test_from)
    if valid_at > test_at:
        raise ValueError("valid_from must not be later than test_from")
    return _split_at(groups, valid_at, test_at)


def _time_at(groups: QueryGroups, index: int) -> int:
    """Time of the group at `index`; past the end, a time after every group."""
    if index >= groups.n_groups:
        return int(groups.group_time[-1]) + 1 if groups.n_groups else 0
    return int(groups.group_time[index])


def _split_at(groups: QueryGroups, valid_at: int, test_at: int) -> Split:
    time = groups.group_time
    return Split(
        train=groups.select_groups(time < valid_at),
        valid=groups.select_groups((time >= valid_at) & (time < test_at)),
        test=groups.select_groups(time >= test_at),
    )


def _seconds(value: dt.datetime | dt.date) -> int:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return math.floor(value.timestamp())  # group times are whole seconds
