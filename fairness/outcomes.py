"""The figures talent-mobility programmes report, from the live log (or the demo's history).

- internal fill rate: opportunities posted in the window that someone here was assigned to
  (the demo history's `accept` or the workflow's `assign`), over those posted;
- time to first application and time to fill: median days from posting;
- participation: the share of employees who applied, and who were assigned, by department and
  by group (self-reported attributes, "unknown" counted);
- mobility velocity: assignments, and moves into roles, per 100 employees per quarter;
- skills-gap closure: skills confirmed by the lead at completion (with the level shown), and
  how many of those proposals people accepted into their profiles;
- time to proficiency: days from an assignment to the completion that confirmed every skill
  it asked for at the asked level;
- mentor load (mentees now over capacity) and waitlist length;
- identity reveals: how often a lead was shown who a candidate is.

Participation by group is the one figure split by a protected attribute: with `min_cell`, its
cells of fewer people are suppressed (fairness/small_cells.py; a department and a short window
can leave a group of one), and the ratios come from the cells shown.

Every figure is counted, not estimated, and names what it is the share of. Course completions
are not recorded by the service, so skills built through courses are not counted (said so in
the figures rather than shown as zero).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from statistics import median
from typing import Protocol, TypedDict, overload

import numpy as np
from sqlalchemy.orm import Session

from data.schemas import InteractionType, OpportunityKind
from data.storage.interactions import events_of
from data.storage.opportunities import get_opportunity
from data.storage.outcomes import (
    all_pairs,
    career_targets,
    employee_departments,
    opportunity_facts,
    reveal_count,
)
from data.storage.pipeline import proposal_counts
from data.storage.tables import PipelineRow
from data.workflow import Stage
from fairness.demographics import ATTRIBUTES, categories
from fairness.metrics import ImpactTable, category_labels, selection_impact
from fairness.small_cells import check_min_cell

DAYS_PER_QUARTER = 365.25 / 4
TAKEN_ON = (InteractionType.ACCEPT.value, InteractionType.ASSIGN.value)
EVENTS = (
    InteractionType.APPLY.value,
    InteractionType.WAITLIST.value,
    InteractionType.COMPLETE.value,
    *TAKEN_ON,
)


class OpportunityFacts(Protocol):
    """What the figures read of an opportunity (data/storage/outcomes.py opportunity_facts)."""

    external_id: str
    kind: str
    department: str
    seats: int
    posted_at: dt.datetime | None


# The outcome figures as published, section by section ("from" is a keyword: the functional
# form names it).
OutcomesWindow = TypedDict(
    "OutcomesWindow",
    {
        "from": str | None,
        "to": str | None,
        "department": str | None,
        "days": float | None,  # the window's length (an open end closed by its events)
        "min_cell": int | None,
    },
)


class FillCount(TypedDict):
    posted: int
    filled_internally: int
    rate: float | None


class FillRate(FillCount):
    by_kind: dict[str, FillCount]
    by_department: dict[str, FillCount]


class MedianDays(TypedDict):
    median_days: float | None
    n: int


class Shares(TypedDict):
    employees: int
    applied: float | None
    assigned: float | None


class GroupParticipation(TypedDict):
    applied: ImpactTable
    assigned: ImpactTable


class Participation(Shares):
    by_department: dict[str, Shares]
    by_group: dict[str, GroupParticipation]  # per attribute


class MobilityVelocity(TypedDict):
    assignments: int
    role_moves: int
    assignments_per_100_per_quarter: float | None
    role_moves_per_100_per_quarter: float | None


class SkillsGapClosure(TypedDict):
    skills_confirmed: int
    people_with_confirmed_skills: int
    profile_updates_proposed: int
    profile_updates_accepted: int
    through_courses: str


class MentorLoad(TypedDict):
    mentorships: int
    capacity: int
    mentees_now: int
    load: float | None
    full: int
    waitlisted: int
    longest_waitlist: int


class CareerPaths(TypedDict):
    people_with_target: int
    targeting_roles: int
    targeting_occupations: int
    skills_confirmed_since_target: int
    roles_filled: int
    roles_filled_by_path_followers: int
    share_by_path_followers: float | None


class MonthCounts(TypedDict):
    applications: int
    assignments: int


class MarketplaceOutcomes(TypedDict):
    window: OutcomesWindow
    employees: int
    internal_fill_rate: FillRate
    time_to_first_application: MedianDays
    time_to_fill: MedianDays
    participation: Participation
    mobility_velocity: MobilityVelocity
    skills_gap_closure: SkillsGapClosure
    time_to_proficiency: MedianDays
    mentors: MentorLoad
    identity_reveals: int
    career_paths: CareerPaths
    trend: dict[str, MonthCounts]  # "2026-05" -> that month's counts, oldest first


@overload
def _utc(value: dt.datetime) -> dt.datetime: ...
@overload
def _utc(value: dt.datetime | None) -> dt.datetime | None: ...
def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _inside(at: dt.datetime | None, start: dt.datetime | None, end: dt.datetime | None) -> bool:
    if at is None:
        return start is None and end is None
    return (start is None or at >= start) and (end is None or at < end)


def _days(values: Iterable[float]) -> MedianDays:
    values = sorted(values)
    if not values:
        return {"median_days": None, "n": 0}
    return {"median_days": round(median(values), 1), "n": len(values)}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def marketplace_outcomes(
    session: Session,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    department: str | None = None,
    min_cell: int | None = None,
) -> MarketplaceOutcomes:
    """The outcome figures for opportunities posted, and steps taken, in [start, end);
    `min_cell`: suppress cells by group of fewer people (None: every cell, for auditors)."""
    check_min_cell(min_cell)
    start, end = _utc(start), _utc(end)
    departments = employee_departments(session)
    people = [e for e, d in departments.items() if department is None or d == department]
    opportunities: dict[str, OpportunityFacts] = {
        row.external_id: row
        for row in opportunity_facts(session)
        if department is None or row.department == department
    }
    first: dict[tuple[str, str], dict[str, dt.datetime]] = defaultdict(dict)
    for employee, opportunity, kind, at in events_of(session, EVENTS):
        kind = InteractionType.ASSIGN.value if kind in TAKEN_ON else kind
        kind = InteractionType.APPLY.value if kind == InteractionType.WAITLIST.value else kind
        seen = first[(employee, opportunity)]
        at = _utc(at)
        if kind not in seen or at < seen[kind]:
            seen[kind] = at
    applied_at: dict[str, list[dt.datetime]] = defaultdict(list)
    assigned_at: dict[str, list[dt.datetime]] = defaultdict(list)
    appliers: set[str] = set()
    assignees: set[str] = set()
    assignments = role_moves = 0
    for (employee, opportunity), seen in first.items():
        if opportunity not in opportunities:
            continue
        if InteractionType.APPLY.value in seen:
            applied_at[opportunity].append(seen[InteractionType.APPLY.value])
            if _inside(seen[InteractionType.APPLY.value], start, end):
                appliers.add(employee)
        taken = seen.get(InteractionType.ASSIGN.value)
        if taken is not None:
            assigned_at[opportunity].append(taken)
            if _inside(taken, start, end):
                assignees.add(employee)
                assignments += 1
                role_moves += opportunities[opportunity].kind == OpportunityKind.ROLE.value

    posted = [o for o in opportunities.values() if _inside(_utc(o.posted_at), start, end)]
    filled = [o for o in posted if assigned_at.get(o.external_id)]
    to_first_application = [
        (min(applied_at[o.external_id]) - _utc(o.posted_at)).total_seconds() / 86400
        for o in posted
        if o.posted_at is not None and applied_at.get(o.external_id)
    ]
    to_fill = [
        (min(assigned_at[o.external_id]) - _utc(o.posted_at)).total_seconds() / 86400
        for o in filled
        if o.posted_at is not None
    ]
    span = _span_days(start, end, [t for s in first.values() for t in s.values()])
    quarters = span / DAYS_PER_QUARTER if span else None
    per_100 = (100 / len(people) / quarters) if people and quarters else None
    pairs = [p for p in all_pairs(session) if p.opportunity_external_id in opportunities]
    return {
        "window": {
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "department": department,
            "days": round(span, 1) if span else None,
            "min_cell": min_cell,
        },
        "employees": len(people),
        "internal_fill_rate": {
            "posted": len(posted),
            "filled_internally": len(filled),
            "rate": _share(len(filled), len(posted)),
            "by_kind": _fill_by(posted, filled, lambda o: o.kind),
            "by_department": _fill_by(posted, filled, lambda o: o.department),
        },
        "time_to_first_application": _days(to_first_application),
        "time_to_fill": _days(to_fill),
        "participation": _participation(
            session, people, departments, appliers, assignees, min_cell
        ),
        "mobility_velocity": {
            "assignments": assignments,
            "role_moves": role_moves,
            "assignments_per_100_per_quarter": (
                round(assignments * per_100, 2) if per_100 is not None else None
            ),
            "role_moves_per_100_per_quarter": (
                round(role_moves * per_100, 2) if per_100 is not None else None
            ),
        },
        "skills_gap_closure": _skills_closure(session, pairs, start, end),
        "time_to_proficiency": _days(_proficiency_days(pairs, start, end, session)),
        "mentors": _mentor_load(pairs, opportunities),
        "identity_reveals": reveal_count(session, start, end),
        "career_paths": _career_paths(session, set(people), pairs, first, opportunities),
        "trend": _trend(first, opportunities),
    }


def _span_days(
    start: dt.datetime | None, end: dt.datetime | None, times: list[dt.datetime]
) -> float:
    """The window's length; an open end is closed by the events it holds."""
    lo = start or (min(times) if times else None)
    hi = end or (max(times) if times else None)
    if lo is None or hi is None or hi <= lo:
        return 0.0
    return (hi - lo).total_seconds() / 86400


def _fill_by(
    posted: list[OpportunityFacts],
    filled: list[OpportunityFacts],
    key: Callable[[OpportunityFacts], str],
) -> dict[str, FillCount]:
    out: dict[str, FillCount] = {}
    for name in sorted({key(o) for o in posted}):
        n = sum(key(o) == name for o in posted)
        k = sum(key(o) == name for o in filled)
        out[name] = {"posted": n, "filled_internally": k, "rate": _share(k, n)}
    return out


def _participation(
    session: Session,
    people: list[str],
    departments: dict[str, str],
    appliers: set[str],
    assignees: set[str],
    min_cell: int | None,
) -> Participation:
    def shares(members: list[str]) -> Shares:
        return {
            "employees": len(members),
            "applied": _share(sum(m in appliers for m in members), len(members)),
            "assigned": _share(sum(m in assignees for m in members), len(members)),
        }

    by_department: dict[str, list[str]] = defaultdict(list)
    for person in people:
        by_department[departments[person]].append(person)
    # By group as the fairness report counts selection: rates, impact ratios, the four-fifths
    # flag, and small groups flagged (a department filter can leave a group of one).
    known = categories(session, people)
    applied = np.array([p in appliers for p in people], dtype=bool)
    assigned = np.array([p in assignees for p in people], dtype=bool)
    by_group: dict[str, GroupParticipation] = {}
    for attribute in ATTRIBUTES:
        labels = category_labels([known.get(p, {}).get(attribute) for p in people])
        by_group[attribute] = {
            "applied": selection_impact(applied, labels, attribute=attribute).as_dict(min_cell),
            "assigned": selection_impact(assigned, labels, attribute=attribute).as_dict(min_cell),
        }
    return {
        **shares(people),
        "by_department": {d: shares(m) for d, m in sorted(by_department.items())},
        "by_group": by_group,
    }


def _completed_in(pair: PipelineRow, start: dt.datetime | None, end: dt.datetime | None) -> bool:
    return pair.stage == Stage.COMPLETED.value and _inside(_utc(pair.updated_at), start, end)


def _skills_closure(
    session: Session, pairs: list[PipelineRow], start: dt.datetime | None, end: dt.datetime | None
) -> SkillsGapClosure:
    confirmed = [
        (p.opportunity_external_id, s["skill_id"])
        for p in pairs
        if _completed_in(p, start, end)
        for s in p.skills_used or []
    ]
    proposals = proposal_counts(session, start, end)
    return {
        "skills_confirmed": len(confirmed),
        "people_with_confirmed_skills": len(
            {
                p.employee_external_id
                for p in pairs
                if _completed_in(p, start, end) and p.skills_used
            }
        ),
        "profile_updates_proposed": sum(proposals.values()),
        "profile_updates_accepted": proposals.get("accepted", 0),
        "through_courses": "not recorded: the service does not track course completions",
    }


def _proficiency_days(
    pairs: list[PipelineRow], start: dt.datetime | None, end: dt.datetime | None, session: Session
) -> list[float]:
    """Assignment to the completion that confirmed every required skill at its level."""
    days = []
    for pair in pairs:
        if not _completed_in(pair, start, end) or pair.starts_on is None:
            continue
        opportunity = get_opportunity(session, pair.opportunity_external_id)
        if opportunity is None:
            continue
        shown = {s["skill_id"]: s["level"] for s in pair.skills_used or []}
        asked = [(s.skill_id, s.level) for s in opportunity.skills if s.required]
        if asked and all(shown.get(skill, 0) >= level for skill, level in asked):
            done = _utc(pair.updated_at)
            assert done is not None
            started = dt.datetime.combine(pair.starts_on, dt.time(0), dt.UTC)
            days.append(max((done - started).total_seconds() / 86400, 0.0))
    return days


def _mentor_load(
    pairs: list[PipelineRow], opportunities: dict[str, OpportunityFacts]
) -> MentorLoad:
    mentorships = {
        k: o for k, o in opportunities.items() if o.kind == OpportunityKind.MENTORSHIP.value
    }
    active: dict[str, int] = defaultdict(int)
    waiting: dict[str, int] = defaultdict(int)
    for pair in pairs:
        if pair.opportunity_external_id not in mentorships:
            continue
        if pair.stage == Stage.ASSIGNED.value:
            active[pair.opportunity_external_id] += 1
        elif pair.stage == Stage.WAITLISTED.value:
            waiting[pair.opportunity_external_id] += 1
    capacity = sum(o.seats for o in mentorships.values())
    return {
        "mentorships": len(mentorships),
        "capacity": capacity,
        "mentees_now": sum(active.values()),
        "load": _share(sum(active.values()), capacity),
        "full": sum(active[k] >= o.seats for k, o in mentorships.items()),
        "waitlisted": sum(waiting.values()),
        "longest_waitlist": max(waiting.values(), default=0),
    }


def _career_paths(
    session: Session,
    people: set[str],
    pairs: list[PipelineRow],
    first: dict[tuple[str, str], dict[str, dt.datetime]],
    opportunities: dict[str, OpportunityFacts],
) -> CareerPaths:
    """Who follows a path, the skills work confirmed since they set it, and the share of
    roles filled by someone who had that role as their target."""
    targets = {row.external_id: row for row in career_targets(session) if row.external_id in people}
    confirmed = sum(
        len(p.skills_used or [])
        for p in pairs
        if p.employee_external_id in targets
        and p.stage == Stage.COMPLETED.value
        and _utc(p.updated_at) >= _utc(targets[p.employee_external_id].target_set_at)
    )
    roles = [
        (employee, opportunity)
        for (employee, opportunity), seen in first.items()
        if InteractionType.ASSIGN.value in seen
        and opportunity in opportunities
        and opportunities[opportunity].kind == OpportunityKind.ROLE.value
    ]
    followers = sum(
        employee in targets and targets[employee].target_opportunity_external_id == opportunity
        for employee, opportunity in roles
    )
    return {
        "people_with_target": len(targets),
        "targeting_roles": sum(
            t.target_opportunity_external_id is not None for t in targets.values()
        ),
        "targeting_occupations": sum(t.target_occupation_id is not None for t in targets.values()),
        "skills_confirmed_since_target": confirmed,
        "roles_filled": len(roles),
        "roles_filled_by_path_followers": followers,
        "share_by_path_followers": _share(followers, len(roles)),
    }


def _trend(
    first: dict[tuple[str, str], dict[str, dt.datetime]],
    opportunities: dict[str, OpportunityFacts],
) -> dict[str, MonthCounts]:
    """Applications and assignments per month (the chart's series)."""
    months: dict[str, MonthCounts] = defaultdict(lambda: {"applications": 0, "assignments": 0})
    for (_, opportunity), seen in first.items():
        if opportunity not in opportunities:
            continue
        if InteractionType.APPLY.value in seen:
            months[f"{seen[InteractionType.APPLY.value]:%Y-%m}"]["applications"] += 1
        if InteractionType.ASSIGN.value in seen:
            months[f"{seen[InteractionType.ASSIGN.value]:%Y-%m}"]["assignments"] += 1
    return dict(sorted(months.items()))
