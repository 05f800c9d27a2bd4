"""Eligibility: the hard rules, each named, evaluated as boolean masks over a whole pool.

A rule returns True where an item FAILS it. The mask handed to the index is "active and fails
no rule", so retrieval itself only ever returns eligible items. The report counts, per rule,
how many active items that rule rejects (an item failing two rules counts under both), and how
many it alone rejects (what changing that one fact would bring back: the "why is my list empty"
answer names it, matching/shortfall.py).

Rules (both directions):
- not_open_to_kind: the employee has not opted into this kind of opportunity;
- availability_below_hours: for gigs and mentorships, fewer free hours than the hours asked,
  after the hours of current assignments (roles replace the current job, so free hours do not
  apply);
- level_out_of_range: job level outside [level_min, level_max];
- own_opportunity: the employee is the lead who posted it;
- already_applied_or_dismissed: the employee applied to it or dismissed it;
- opportunity_not_open: status is not open (a lead may preview candidates for a draft);
- seats_filled: as many accepted candidates as seats;
- start_date_passed: the start date is before today;
- onsite_location_mismatch: an on-site opportunity (not Remote) elsewhere than the employee.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from matching.pool import KIND_BITS, NO_DATE, EmployeePool, OpportunityPool, day_number

RULES = (
    "not_open_to_kind",
    "availability_below_hours",
    "level_out_of_range",
    "own_opportunity",
    "already_applied_or_dismissed",
    "opportunity_not_open",
    "seats_filled",
    "start_date_passed",
    "onsite_location_mismatch",
)
HOURS_BOUND_KINDS = frozenset({"gig", "mentorship"})


@dataclass(frozen=True, slots=True)
class MaskReport:
    pool: int  # active items searched over
    eligible: int
    removed_by_rule: dict[str, int]
    # Items failing this rule and no other (left out of `as_dict`: the audit record keeps the
    # shape it always had).
    only_by_rule: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "pool": self.pool,
            "eligible": self.eligible,
            "removed_by_rule": self.removed_by_rule,
        }


@dataclass(frozen=True, slots=True)
class EmployeeFacts:
    row_id: int
    level: int
    availability: float
    open_to_bits: int
    location: int


@dataclass(frozen=True, slots=True)
class OpportunityFacts:
    row_id: int
    kind: str
    owner_row_id: int
    level_min: int
    level_max: int
    hours: float
    is_open: bool
    is_draft: bool
    seats: int
    accepted: int
    start_day: int
    location: int
    onsite: bool


def employee_facts(pool: EmployeePool, position: int) -> EmployeeFacts:
    return EmployeeFacts(
        row_id=int(pool.row_ids[position]),
        level=int(pool.column("level")[position]),
        availability=float(pool.column("availability")[position]),
        open_to_bits=int(pool.column("open_to")[position]),
        location=int(pool.column("location")[position]),
    )


def opportunity_facts(pool: OpportunityPool, position: int, kind: str) -> OpportunityFacts:
    col = pool.column
    return OpportunityFacts(
        row_id=int(pool.row_ids[position]),
        kind=kind,
        owner_row_id=int(col("owner_row_id")[position]),
        level_min=int(col("level_min")[position]),
        level_max=int(col("level_max")[position]),
        hours=float(col("hours")[position]),
        is_open=bool(col("is_open")[position]),
        is_draft=bool(col("is_draft")[position]),
        seats=int(col("seats")[position]),
        accepted=int(col("accepted")[position]),
        start_day=int(col("start_day")[position]),
        location=int(col("location")[position]),
        onsite=bool(col("onsite")[position]),
    )


def _combine(
    active: np.ndarray, failures: dict[str, np.ndarray | bool]
) -> tuple[np.ndarray, MaskReport]:
    # A rule about the one item on the other side (the posting is closed) is one bool: it
    # fails every item alike.
    failed = {
        rule: np.broadcast_to(np.asarray(failures[rule], dtype=bool), active.shape) & active
        for rule in RULES
    }
    failed_rules = np.sum([failed[rule] for rule in RULES], axis=0, dtype=np.int32)
    eligible = active & (failed_rules == 0)
    alone = failed_rules == 1
    report = MaskReport(
        pool=int(active.sum()),
        eligible=int(eligible.sum()),
        removed_by_rule={rule: int(failed[rule].sum()) for rule in RULES},
        only_by_rule={rule: int((failed[rule] & alone).sum()) for rule in RULES},
    )
    return eligible, report


def _positions_mask(size: int, positions: Collection[int]) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    if positions:
        mask[np.fromiter(positions, dtype=np.int64)] = True
    return mask


def opportunities_for(
    employee: EmployeeFacts,
    pool: OpportunityPool,
    kind: str,
    *,
    today: dt.date,
    excluded_positions: Collection[int] = (),
) -> tuple[np.ndarray, MaskReport]:
    """Which opportunities of `kind` this employee may be shown."""
    col = pool.column
    start = col("start_day")
    failures: dict[str, np.ndarray | bool] = {
        "not_open_to_kind": not employee.open_to_bits & KIND_BITS[kind],
        "availability_below_hours": (
            col("hours") > employee.availability if kind in HOURS_BOUND_KINDS else False
        ),
        "level_out_of_range": (col("level_min") > employee.level)
        | (col("level_max") < employee.level),
        "own_opportunity": col("owner_row_id") == employee.row_id,
        "already_applied_or_dismissed": _positions_mask(pool.size, excluded_positions),
        "opportunity_not_open": ~col("is_open"),
        "seats_filled": col("accepted") >= col("seats"),
        "start_date_passed": (start != NO_DATE) & (start < day_number(today)),
        "onsite_location_mismatch": col("onsite") & (col("location") != employee.location),
    }
    return _combine(pool.active, failures)


def employees_for(
    opportunity: OpportunityFacts,
    pool: EmployeePool,
    *,
    today: dt.date,
    excluded_positions: Collection[int] = (),
    committed: np.ndarray | None = None,
) -> tuple[np.ndarray, MaskReport]:
    """Which employees may be proposed to the lead of this opportunity (`committed`: hours a
    week each pool position already gives to assignments)."""
    col = pool.column
    free = col("availability") if committed is None else col("availability") - committed
    passed = opportunity.start_day != NO_DATE and opportunity.start_day < day_number(today)
    failures: dict[str, np.ndarray | bool] = {
        "not_open_to_kind": (col("open_to") & KIND_BITS[opportunity.kind]) == 0,
        "availability_below_hours": (
            free < opportunity.hours if opportunity.kind in HOURS_BOUND_KINDS else False
        ),
        "level_out_of_range": (col("level") < opportunity.level_min)
        | (col("level") > opportunity.level_max),
        "own_opportunity": pool.row_ids == opportunity.owner_row_id,
        "already_applied_or_dismissed": _positions_mask(pool.size, excluded_positions),
        "opportunity_not_open": not (opportunity.is_open or opportunity.is_draft),
        "seats_filled": opportunity.accepted >= opportunity.seats,
        "start_date_passed": passed,
        "onsite_location_mismatch": (
            col("location") != opportunity.location if opportunity.onsite else False
        ),
    }
    return _combine(pool.active, failures)
