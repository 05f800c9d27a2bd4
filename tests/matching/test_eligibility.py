"""Each hard rule, in both directions, on tiny pools with known answers."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import numpy as np
import pytest

from matching.eligibility import (
    RULES,
    EmployeeFacts,
    OpportunityFacts,
    employees_for,
    opportunities_for,
)
from matching.index import VectorIndex
from matching.pool import KIND_BITS, NO_DATE, EmployeePool, OpportunityPool, day_number

TODAY = dt.date(2026, 11, 1)
PoolT = TypeVar("PoolT", EmployeePool, OpportunityPool)
BERLIN, LONDON, REMOTE = 0, 1, 2
ALL_KINDS = KIND_BITS["gig"] | KIND_BITS["mentorship"] | KIND_BITS["role"]


def opportunity(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "owner_row_id": 99,
        "level_min": 1,
        "level_max": 7,
        "hours": 5.0,
        "is_open": True,
        "is_draft": False,
        "seats": 1,
        "accepted": 0,
        "start_day": day_number(TODAY),
        "location": REMOTE,
        "onsite": False,
    }
    values.update(overrides)
    return values


def employee(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "level": 3,
        "availability": 8.0,
        "open_to": ALL_KINDS,
        "location": BERLIN,
    }
    values.update(overrides)
    return values


def filled(pool: PoolT, items: list[dict[str, Any]]) -> PoolT:
    columns = {name: np.array([item[name] for item in items]) for name in items[0]}
    vectors = np.eye(4, dtype=np.float32)[[0] * len(items)]
    rows = list(range(1, len(items) + 1))
    pool.put(rows, [f"X{i}" for i in rows], vectors, columns)
    return pool


def opportunity_pool(items: list[dict[str, Any]]) -> OpportunityPool:
    return filled(OpportunityPool(4, VectorIndex(4)), items)


def employee_pool(items: list[dict[str, Any]]) -> EmployeePool:
    return filled(EmployeePool(4, VectorIndex(4)), items)


ME = EmployeeFacts(row_id=7, level=3, availability=8.0, open_to_bits=ALL_KINDS, location=BERLIN)


@pytest.mark.parametrize(
    ("rule", "failing", "kind", "me"),
    [
        ("availability_below_hours", opportunity(hours=10.0), "gig", ME),
        ("level_out_of_range", opportunity(level_min=4), "gig", ME),
        ("level_out_of_range", opportunity(level_max=2), "role", ME),
        ("own_opportunity", opportunity(owner_row_id=7), "gig", ME),
        ("opportunity_not_open", opportunity(is_open=False), "gig", ME),
        ("seats_filled", opportunity(seats=2, accepted=2), "gig", ME),
        ("start_date_passed", opportunity(start_day=day_number(TODAY) - 1), "gig", ME),
        ("onsite_location_mismatch", opportunity(location=LONDON, onsite=True), "gig", ME),
    ],
)
def test_each_rule_removes_exactly_the_opportunity_that_breaks_it(
    rule: str, failing: dict[str, Any], kind: str, me: EmployeeFacts
) -> None:
    pool = opportunity_pool([opportunity(), failing])
    mask, report = opportunities_for(me, pool, kind, today=TODAY)
    assert mask.tolist() == [True, False]
    assert report.removed_by_rule[rule] == 1
    assert sum(report.removed_by_rule.values()) == 1
    assert (report.pool, report.eligible) == (2, 1)


def test_rules_that_do_not_break_stay_quiet() -> None:
    pool = opportunity_pool(
        [
            opportunity(start_day=NO_DATE),  # no start date: never "passed"
            opportunity(location=BERLIN, onsite=True),  # on-site where I am
            opportunity(hours=40.0),  # a role asks 40 h, but free hours do not bind roles
            opportunity(is_draft=True, is_open=False),  # drafts are never shown to employees
        ]
    )
    mask, report = opportunities_for(ME, pool, "role", today=TODAY)
    assert mask.tolist() == [True, True, True, False]
    assert report.removed_by_rule["opportunity_not_open"] == 1


def test_not_open_to_kind_and_applied_or_dismissed() -> None:
    pool = opportunity_pool([opportunity(), opportunity(), opportunity()])
    gigs_only = EmployeeFacts(7, 3, 8.0, KIND_BITS["gig"], BERLIN)
    mask, report = opportunities_for(gigs_only, pool, "mentorship", today=TODAY)
    assert not mask.any() and report.removed_by_rule["not_open_to_kind"] == 3
    mask, report = opportunities_for(ME, pool, "gig", today=TODAY, excluded_positions={1})
    assert mask.tolist() == [True, False, True]
    assert report.removed_by_rule["already_applied_or_dismissed"] == 1


def test_removed_items_are_outside_the_pool() -> None:
    pool = opportunity_pool([opportunity(), opportunity()])
    pool.deactivate([2])
    mask, report = opportunities_for(ME, pool, "gig", today=TODAY)
    assert mask.tolist() == [True, False] and report.pool == 1


def gig(**overrides: Any) -> OpportunityFacts:
    values: dict[str, Any] = {
        "row_id": 50,
        "kind": "gig",
        "owner_row_id": 1,
        "level_min": 2,
        "level_max": 4,
        "hours": 5.0,
        "is_open": True,
        "is_draft": False,
        "seats": 1,
        "accepted": 0,
        "start_day": day_number(TODAY),
        "location": REMOTE,
        "onsite": False,
    }
    values.update(overrides)
    return OpportunityFacts(**values)


def test_candidate_rules_per_person() -> None:
    people = employee_pool(
        [
            employee(level=5),  # row 1: the owner (and out of range)
            employee(),  # row 2: eligible
            employee(open_to=KIND_BITS["role"]),  # row 3: not open to gigs
            employee(availability=2.0),  # row 4: too few hours
            employee(level=1),  # row 5: level below range
            employee(location=LONDON),  # row 6: elsewhere (fine while remote)
            employee(),  # row 7: dismissed it
        ]
    )
    mask, report = employees_for(gig(), people, today=TODAY, excluded_positions={6})
    assert mask.tolist() == [False, True, False, False, False, True, False]
    assert report.removed_by_rule["own_opportunity"] == 1
    assert report.removed_by_rule["not_open_to_kind"] == 1
    assert report.removed_by_rule["availability_below_hours"] == 1
    assert report.removed_by_rule["level_out_of_range"] == 2
    assert report.removed_by_rule["already_applied_or_dismissed"] == 1
    onsite = employees_for(gig(location=BERLIN, onsite=True), people, today=TODAY)[0]
    assert onsite.tolist() == [False, True, False, False, False, False, True]


@pytest.mark.parametrize(
    ("facts", "rule"),
    [
        (gig(is_open=False), "opportunity_not_open"),
        (gig(seats=1, accepted=1), "seats_filled"),
        (gig(start_day=day_number(TODAY) - 3), "start_date_passed"),
    ],
)
def test_an_unstaffable_opportunity_has_no_candidates(facts: OpportunityFacts, rule: str) -> None:
    people = employee_pool([employee(), employee()])
    mask, report = employees_for(facts, people, today=TODAY)
    assert not mask.any() and report.removed_by_rule[rule] == 2


def test_a_lead_can_preview_candidates_of_a_draft() -> None:
    people = employee_pool([employee(), employee()])
    draft = gig(is_open=False, is_draft=True, owner_row_id=99)
    mask, _ = employees_for(draft, people, today=TODAY)
    assert mask.all()


def test_every_rule_is_reported() -> None:
    _, report = opportunities_for(ME, opportunity_pool([opportunity()]), "gig", today=TODAY)
    assert tuple(report.removed_by_rule) == RULES
