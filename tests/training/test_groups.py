"""Query groups in both directions: contiguity, sizes, order, and the columns kept per row."""

from __future__ import annotations

import numpy as np
import pytest

from data.schemas import OpportunityKind
from tests.training.events import KINDS, ev, shown
from training.groups import (
    Direction,
    QueryGroups,
    build_groups,
    employee_groups,
    opportunity_groups,
    opportunity_kinds,
)
from training.labels import label_interactions


def log() -> list:
    return [
        *shown("r2", "E2", ["C", "A"], 30),
        *shown("r1", "E1", ["A", "B", "C"], 0),
        *shown("r3", "E1", ["M"], 60),
        ev("apply", "E1", "B", 1),
        ev("apply", "E2", "A", 31),
        ev("shortlist", "E2", "A", 600),
        ev("apply", "E3", "A", 5),  # never shown: applied all the same
        ev("dismiss", "E2", "C", 32),
    ]


def assert_contiguous(groups: QueryGroups) -> None:
    ids = np.repeat(groups.group_id[groups.group_starts], groups.group_sizes)
    assert np.array_equal(ids, groups.group_id)
    assert len(np.unique(groups.group_id)) == groups.n_groups
    assert int(groups.group_sizes.sum()) == len(groups)


def test_employee_groups_are_served_lists_in_time_order_rows_by_position() -> None:
    groups = employee_groups(label_interactions(log()), kinds=KINDS)
    assert_contiguous(groups)
    assert groups.direction is Direction.EMPLOYEE
    assert groups.group_key.tolist() == ["r1", "r2", "r3"]
    assert groups.group_sizes.tolist() == [3, 2, 1]
    assert groups.group_id.tolist() == [0, 0, 0, 1, 1, 2]
    assert groups.item_external_id.tolist() == ["A", "B", "C", "C", "A", "M"]
    assert groups.query_external_id.tolist() == ["E1"] * 3 + ["E2"] * 2 + ["E1"]
    assert np.array_equal(groups.employee_external_id, groups.query_external_id)
    assert np.array_equal(groups.opportunity_external_id, groups.item_external_id)
    assert groups.position.tolist() == [1, 2, 3, 1, 2, 1]
    assert groups.label.tolist() == [0, 1, 0, 0, 2, 0]
    assert groups.dismissed.tolist() == [False, False, False, True, False, False]
    assert groups.kind.tolist() == ["gig"] * 5 + ["mentorship"]
    assert np.all(np.diff(groups.group_time) >= 0)
    assert groups.occurred_at.dtype == np.int64


def test_a_list_mixing_kinds_is_one_group_per_kind() -> None:
    events = shown("r1", "E1", ["A", "M", "B"], 0)
    groups = employee_groups(label_interactions(events), kinds=KINDS)
    assert_contiguous(groups)
    assert groups.group_sizes.tolist() == [2, 1]
    assert groups.group_kind.tolist() == ["gig", "mentorship"]
    assert groups.group_key.tolist() == ["r1", "r1"]
    assert groups.position.tolist() == [1, 3, 2]


def test_opportunity_groups_are_applicants_graded_by_how_far_they_got() -> None:
    labels = label_interactions(log())
    groups = opportunity_groups(labels, kinds=KINDS)
    assert_contiguous(groups)
    assert groups.direction is Direction.OPPORTUNITY
    # B's first application (minute 1) precedes A's (E3 at minute 5, never shown A).
    assert groups.group_key.tolist() == ["B", "A"]
    assert groups.group_sizes.tolist() == [1, 2]
    assert groups.item_external_id.tolist() == ["E1", "E3", "E2"]  # by application time
    assert np.array_equal(groups.employee_external_id, groups.item_external_id)
    assert groups.query_external_id.tolist() == ["B", "A", "A"]
    assert groups.label.tolist() == [1, 1, 2]
    assert groups.position.tolist() == [0, 0, 0]
    assert groups.group_time.tolist() == [
        int(ev("apply", "E1", "B", 1).occurred_at.timestamp()),
        int(ev("apply", "E3", "A", 5).occurred_at.timestamp()),
    ]
    assert np.array_equal(
        build_groups(labels, kinds=KINDS, direction="opportunity").label, [1, 1, 2]
    )


def test_selecting_groups_keeps_rows_whole_and_ids_stable() -> None:
    groups = employee_groups(label_interactions(log()), kinds=KINDS)
    gigs = groups.for_kind(OpportunityKind.GIG)
    assert gigs.group_key.tolist() == ["r1", "r2"]
    assert gigs.group_id.tolist() == [0, 0, 0, 1, 1]
    later = groups.select_groups(np.array([False, True, True]))
    assert later.group_id.tolist() == [1, 1, 2]
    assert later.group_sizes.tolist() == [2, 1]
    with pytest.raises(ValueError, match="one flag per group"):
        groups.select_groups(np.array([True]))


def test_pair_codes_match_exactly_the_rows_of_one_pair() -> None:
    events = [*shown("r1", "E1", ["A", "B"], 0), *shown("r2", "E1", ["B", "A"], 10)]
    groups = employee_groups(label_interactions(events), kinds=KINDS)
    codes = groups.pair_codes()
    assert codes[0] == codes[3] != codes[1] == codes[2]


def test_an_opportunity_of_unknown_kind_is_an_error_naming_it() -> None:
    labels = label_interactions(shown("r1", "E1", ["A", "Z"], 0))
    with pytest.raises(ValueError, match="'Z'"):
        employee_groups(labels, kinds=KINDS)


def test_an_empty_log_gives_empty_groups() -> None:
    labels = label_interactions([])
    for direction in Direction:
        groups = build_groups(labels, kinds=KINDS, direction=direction)
        assert len(groups) == 0 and groups.n_groups == 0


def test_kinds_come_from_opportunities_as_plain_strings() -> None:
    class Posted:
        def __init__(self, external_id: str, kind: OpportunityKind | str) -> None:
            self.external_id, self.kind = external_id, kind

    kinds = opportunity_kinds([Posted("A", OpportunityKind.ROLE), Posted("M", "mentorship")])
    assert kinds == {"A": "role", "M": "mentorship"}
    assert all(type(k) is str for k in kinds.values())
