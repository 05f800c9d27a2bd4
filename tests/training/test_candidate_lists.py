"""A lead's served candidate lists become graded groups of the candidates' ranker."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np

from training.candidate_lists import candidate_list_groups, merge_groups
from training.groups import Direction, build_groups
from training.labels import label_interactions

T0 = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
KINDS = {"G1": "gig", "G2": "gig"}


def shown(request: str, person: str, posting: str, position: int, minutes: int = 0):
    return SimpleNamespace(
        request_id=request,
        employee_external_id=person,
        opportunity_external_id=posting,
        occurred_at=T0 + dt.timedelta(minutes=minutes),
        position=position,
        kind="gig",
    )


def step(kind: str, person: str, posting: str, request: str | None, minutes: int):
    return SimpleNamespace(
        type=kind,
        employee_external_id=person,
        opportunity_external_id=posting,
        request_id=request,
        occurred_at=T0 + dt.timedelta(minutes=minutes),
        position=None,
        rating=None,
    )


def test_each_served_list_is_a_group_graded_by_what_the_lead_did_through_it() -> None:
    impressions = [
        shown("L1", "A", "G1", 1),
        shown("L1", "B", "G1", 2),
        shown("L1", "C", "G1", 3),
        shown("L2", "A", "G2", 1, minutes=60),
        shown("L2", "D", "G2", 2, minutes=60),
    ]
    events = [
        step("invite", "B", "G1", "L1", 5),
        step("apply", "B", "G1", "L1", 10),
        step("shortlist", "B", "G1", "L1", 20),
        step("reject", "C", "G1", "L1", 20),
        step("invite", "D", "G2", "L2", 65),
        step("shortlist", "A", "G2", None, 70),  # not through a list: not credited to one
        step("invite", "A", "G1", "ELSEWHERE", 5),
    ]
    groups = candidate_list_groups(impressions, events, kinds=KINDS)
    assert groups is not None and groups.direction is Direction.OPPORTUNITY
    assert groups.group_key.tolist() == ["L1", "L2"]
    assert groups.group_sizes.tolist() == [3, 2]
    assert groups.item_external_id.tolist() == ["A", "B", "C", "A", "D"]  # by position
    assert groups.label.tolist() == [0, 2, 0, 0, 1]
    assert groups.dismissed.tolist() == [False, False, True, False, False]
    assert groups.position.tolist() == [1, 2, 3, 1, 2]
    assert candidate_list_groups([], events, kinds=KINDS) is None


def test_served_lists_join_the_applicant_groups_in_time_order() -> None:
    events = [
        step("apply", "A", "G1", None, 30),
        step("apply", "B", "G1", None, 31),
        step("shortlist", "B", "G1", None, 40),
    ]
    applicants = build_groups(
        label_interactions(events), kinds=KINDS, direction=Direction.OPPORTUNITY
    )
    lists = candidate_list_groups(
        [shown("L0", "C", "G1", 1), shown("L9", "D", "G1", 1, minutes=90)],
        [step("invite", "C", "G1", "L0", 1)],
        kinds=KINDS,
    )
    merged = merge_groups(applicants, lists)
    assert merged.group_key.tolist() == ["L0", "G1", "L9"]  # first list, applicants, last
    assert merged.group_sizes.tolist() == [1, 2, 1]
    assert (np.diff(merged.group_time) >= 0).all()
    assert merged.label.tolist() == [1, *applicants.label.tolist(), 0]
    assert merge_groups(applicants, None) is applicants
