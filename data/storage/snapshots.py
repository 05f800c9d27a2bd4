"""Read-only copies of employee and opportunity rows for the ranking path, built from two plain
queries per table instead of the ORM.

A ranked list reads about 200 rows and their ~3,000 skills; as ORM objects (identity map,
change tracking, the skill rows' JSON and descriptions) that cost ~0.35 ms a row, most of a
page's time at 100k people (bench/serving.py). A snapshot has the same attribute names as the
ORM row (every column, and `skills` with `skill.label`), so the feature, explanation and page
code reads either; nothing is ever written through one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import FromClause, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import KeyedColumnElement

from data.storage.queries import chunked
from data.storage.tables import (
    Base,
    EmployeeRow,
    EmployeeSkillRow,
    OpportunityRow,
    OpportunitySkillRow,
    SkillRow,
)

# What a held or asked skill shows of the taxonomy skill (not its description or alt labels).
SKILL_COLUMNS = ("label", "skill_type", "source", "status")


class Snapshot:
    """Attributes only; `skills` in position order.

    The three declared here are the ones every employee and opportunity snapshot has and this
    module reads; the other columns are set from the row, read by name as on the ORM row.
    """

    id: int
    external_id: str
    skills: list[Snapshot]

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Snapshot({getattr(self, 'external_id', '?')!r})"


_LINKS: dict[type[Base], tuple[FromClause, KeyedColumnElement[Any]]] = {
    EmployeeRow: (EmployeeSkillRow.__table__, EmployeeSkillRow.__table__.c.employee_id),
    OpportunityRow: (OpportunitySkillRow.__table__, OpportunitySkillRow.__table__.c.opportunity_id),
}


def _snapshots(
    session: Session, table: type[Base], column: str, values: Iterable[Any], *, skills: bool = True
) -> list[Snapshot]:
    main = table.__table__
    link, owner = _LINKS[table]
    taxonomy = SkillRow.__table__
    found: dict[int, Snapshot] = {}
    names = [c.name for c in main.columns]  # zipped with each row: RowMapping costs more
    for chunk in chunked(values):
        for row in session.execute(select(*main.columns).where(main.c[column].in_(chunk))):
            snapshot = Snapshot(dict(zip(names, row, strict=True)))
            snapshot.skills = []
            found[snapshot.id] = snapshot
    if not skills:
        return list(found.values())
    held = [c.name for c in link.columns]
    query = select(*link.columns, *(taxonomy.c[n] for n in SKILL_COLUMNS)).join(
        taxonomy, taxonomy.c.skill_id == link.c.skill_id
    )
    at = held.index(owner.name)
    for chunk in chunked(found):
        for row in session.execute(query.where(owner.in_(chunk)).order_by(owner, link.c.position)):
            values = dict(zip(held, row, strict=False))
            values["skill"] = Snapshot(
                dict(zip(SKILL_COLUMNS, row[len(held) :], strict=True), skill_id=values["skill_id"])
            )
            found[row[at]].skills.append(Snapshot(values))
    return list(found.values())


def snapshots_by_id(
    session: Session, table: type[Base], row_ids: Iterable[int]
) -> dict[int, Snapshot]:
    """Employees or opportunities by row id (ids not stored are left out)."""
    return {s.id: s for s in _snapshots(session, table, "id", row_ids)}


def snapshots_by_external_id(
    session: Session, table: type[Base], external_ids: Sequence[str], *, skills: bool = True
) -> dict[str, Snapshot]:
    """By external id; `skills=False` leaves every `skills` list empty (one query, not two)."""
    found = _snapshots(session, table, "external_id", external_ids, skills=skills)
    return {s.external_id: s for s in found}
