"""Read-only copies of employee and opportunity rows for the ranking path, built from two plain
queries per table instead of the ORM.

A ranked list reads about 200 rows and their ~3,000 skills; as ORM objects (identity map,
change tracking, the skill rows' JSON and descriptions) that cost ~0.35 ms a row, most of a
page's time at 100k people (bench/serving.py). A snapshot has the same attribute names as the
ORM row (every column, and `skills` with `skill.label`), so the feature, explanation and page
code reads either (`StoredEmployee`, `StoredOpportunity`); nothing is ever written through one.
Each snapshot class declares exactly the attributes it is given, with the column's type
(tests/data/test_snapshots_typed.py holds them to the tables), and validates nothing: the
values come from the database as the ORM would have them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar, overload

from sqlalchemy import FromClause, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import KeyedColumnElement

from data.storage.queries import one_of
from data.storage.tables import (
    EmployeeRow,
    EmployeeSkillRow,
    OpportunityRow,
    OpportunitySkillRow,
    SkillRow,
)

# What a held or asked skill shows of the taxonomy skill (not its description or alt labels).
SKILL_COLUMNS = ("label", "skill_type", "source", "status")


class Snapshot:
    """Attributes only, set from a row's values as they are (no copy, no check)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({getattr(self, 'external_id', '?')!r})"


class SkillSnapshot(Snapshot):
    """A taxonomy skill as a held or asked skill shows it: `SKILL_COLUMNS` and its id."""

    skill_id: str
    label: str
    skill_type: str
    source: str
    status: str


class HeldSkillSnapshot(Snapshot):
    """An `EmployeeSkillRow`."""

    employee_id: int
    skill_id: str
    level: int
    position: int
    skill: SkillSnapshot


class AskedSkillSnapshot(Snapshot):
    """An `OpportunitySkillRow`."""

    opportunity_id: int
    skill_id: str
    level: int
    required: bool
    position: int
    inferred: bool
    skill: SkillSnapshot


class EmployeeSnapshot(Snapshot):
    """An `EmployeeRow`: every column, and `skills` in position order."""

    id: int
    external_id: str
    name: str
    email: str | None
    email_key: str | None
    title: str
    department: str
    level: int
    location: str
    timezone: str
    manager_external_id: str | None
    hire_date: dt.date | None
    interests: list[str]
    aspirations: str
    bio: str
    availability_hours_per_week: float
    open_to: list[str]
    occupation_id: str | None
    occupation_label: str | None
    occupation_score: float | None
    occupation_source: str | None
    quiet_mode: bool
    target_opportunity_external_id: str | None
    target_occupation_id: str | None
    target_set_at: dt.datetime | None
    updated_at: dt.datetime
    version: int
    active: bool
    deactivated_at: dt.datetime | None
    skills: list[HeldSkillSnapshot]


class OpportunitySnapshot(Snapshot):
    """An `OpportunityRow`: every column, and `skills` in position order."""

    id: int
    external_id: str
    kind: str
    title: str
    description: str
    owner_external_id: str
    department: str
    location: str
    hours_per_week: float
    duration_weeks: int | None
    start_date: dt.date | None
    level_min: int
    level_max: int
    seats: int
    seats_filled: int
    status: str
    posted_at: dt.datetime | None
    occupation_id: str | None
    occupation_label: str | None
    occupation_score: float | None
    occupation_source: str | None
    occupation_choices: list[dict[str, Any]] | None
    updated_at: dt.datetime
    version: int
    skills: list[AskedSkillSnapshot]


# An employee or a posting as the matching code reads it: the ORM row (a request's own query
# row) or its snapshot (the rows a ranked page shows); both have the same attributes.
StoredEmployee: TypeAlias = EmployeeRow | EmployeeSnapshot
StoredOpportunity: TypeAlias = OpportunityRow | OpportunitySnapshot
StoredHeldSkill: TypeAlias = EmployeeSkillRow | HeldSkillSnapshot
StoredAskedSkill: TypeAlias = OpportunitySkillRow | AskedSkillSnapshot

RowT = TypeVar("RowT", EmployeeSnapshot, OpportunitySnapshot)
SkillT = TypeVar("SkillT", HeldSkillSnapshot, AskedSkillSnapshot)


@dataclass(frozen=True, slots=True)
class _Shape(Generic[RowT, SkillT]):
    """How one table's snapshots are read: its skills' link table and the classes made."""

    main: FromClause
    link: FromClause
    owner: KeyedColumnElement[Any]  # the link's column naming the employee or opportunity
    row: type[RowT]
    skill: type[SkillT]


_EMPLOYEES = _Shape(
    EmployeeRow.__table__,
    EmployeeSkillRow.__table__,
    EmployeeSkillRow.__table__.c.employee_id,
    EmployeeSnapshot,
    HeldSkillSnapshot,
)
_OPPORTUNITIES = _Shape(
    OpportunityRow.__table__,
    OpportunitySkillRow.__table__,
    OpportunitySkillRow.__table__.c.opportunity_id,
    OpportunitySnapshot,
    AskedSkillSnapshot,
)


def _snapshots(
    session: Session,
    shape: _Shape[RowT, SkillT],
    column: str,
    values: Iterable[Any],
    *,
    skills: bool = True,
) -> list[RowT]:
    main, link, owner = shape.main, shape.link, shape.owner
    taxonomy = SkillRow.__table__
    found: dict[int, RowT] = {}
    held_by: dict[int, list[SkillT]] = {}  # each snapshot's own `skills` list
    names = [c.name for c in main.columns]  # zipped with each row: RowMapping costs more
    at_id = names.index("id")
    for condition in one_of(session, main.c[column], values):
        for row in session.execute(select(*main.columns).where(condition)).all():
            fields = dict(zip(names, row, strict=True))
            fields["skills"] = held_by[row[at_id]] = []
            found[row[at_id]] = shape.row(fields)
    if not skills:
        return list(found.values())
    held = [c.name for c in link.columns]
    query = select(*link.columns, *(taxonomy.c[n] for n in SKILL_COLUMNS)).join(
        taxonomy, taxonomy.c.skill_id == link.c.skill_id
    )
    at = held.index(owner.name)
    for condition in one_of(session, owner, found):
        for row in session.execute(query.where(condition).order_by(owner, link.c.position)).all():
            fields = dict(zip(held, row, strict=False))
            fields["skill"] = SkillSnapshot(
                dict(zip(SKILL_COLUMNS, row[len(held) :], strict=True), skill_id=fields["skill_id"])
            )
            held_by[row[at]].append(shape.skill(fields))
    return list(found.values())


@overload
def snapshots_by_id(
    session: Session, table: type[EmployeeRow], row_ids: Iterable[int]
) -> dict[int, EmployeeSnapshot]: ...
@overload
def snapshots_by_id(
    session: Session, table: type[OpportunityRow], row_ids: Iterable[int]
) -> dict[int, OpportunitySnapshot]: ...
def snapshots_by_id(
    session: Session, table: type[EmployeeRow] | type[OpportunityRow], row_ids: Iterable[int]
) -> dict[int, EmployeeSnapshot] | dict[int, OpportunitySnapshot]:
    """Employees or opportunities by row id (ids not stored are left out)."""
    if table is EmployeeRow:
        return {s.id: s for s in _snapshots(session, _EMPLOYEES, "id", row_ids)}
    return {s.id: s for s in _snapshots(session, _OPPORTUNITIES, "id", row_ids)}


@overload
def snapshots_by_external_id(
    session: Session,
    table: type[EmployeeRow],
    external_ids: Sequence[str],
    *,
    skills: bool = True,
) -> dict[str, EmployeeSnapshot]: ...
@overload
def snapshots_by_external_id(
    session: Session,
    table: type[OpportunityRow],
    external_ids: Sequence[str],
    *,
    skills: bool = True,
) -> dict[str, OpportunitySnapshot]: ...
def snapshots_by_external_id(
    session: Session,
    table: type[EmployeeRow] | type[OpportunityRow],
    external_ids: Sequence[str],
    *,
    skills: bool = True,
) -> dict[str, EmployeeSnapshot] | dict[str, OpportunitySnapshot]:
    """By external id; `skills=False` leaves every `skills` list empty (one query, not two)."""
    if table is EmployeeRow:
        people = _snapshots(session, _EMPLOYEES, "external_id", external_ids, skills=skills)
        return {s.external_id: s for s in people}
    postings = _snapshots(session, _OPPORTUNITIES, "external_id", external_ids, skills=skills)
    return {s.external_id: s for s in postings}
