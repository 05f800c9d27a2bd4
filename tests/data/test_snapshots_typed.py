"""The snapshot classes (data/storage/snapshots.py) declare exactly what they are given: every
column of their table with the column's type, and the skills. A column added to a table fails
here until its snapshot declares it, so the type checker never trusts a stale declaration."""

from __future__ import annotations

import datetime as dt
import typing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Mapped, Session

from data.storage.snapshots import (
    SKILL_COLUMNS,
    AskedSkillSnapshot,
    EmployeeSnapshot,
    HeldSkillSnapshot,
    OpportunitySnapshot,
    SkillSnapshot,
    Snapshot,
    snapshots_by_external_id,
    snapshots_by_id,
)
from data.storage.tables import (
    Base,
    EmployeeRow,
    EmployeeSkillRow,
    OpportunityRow,
    OpportunitySkillRow,
    SkillRow,
)

# Each snapshot class, its table, and what its relationships are read as.
SHAPES: list[tuple[type[Snapshot], type[Base], dict[str, object]]] = [
    (EmployeeSnapshot, EmployeeRow, {"skills": list[HeldSkillSnapshot]}),
    (OpportunitySnapshot, OpportunityRow, {"skills": list[AskedSkillSnapshot]}),
    (HeldSkillSnapshot, EmployeeSkillRow, {"skill": SkillSnapshot}),
    (AskedSkillSnapshot, OpportunitySkillRow, {"skill": SkillSnapshot}),
]


def declared(cls: type[Snapshot]) -> dict[str, object]:
    return typing.get_type_hints(cls)


def column_types(table: type[Base], names: typing.Iterable[str]) -> dict[str, object]:
    """The Python type each of these columns is mapped as (`Mapped[X]` -> X)."""
    hints = typing.get_type_hints(table)
    found = {}
    for name in names:
        assert typing.get_origin(hints[name]) is Mapped, name
        found[name] = typing.get_args(hints[name])[0]
    return found


@pytest.mark.parametrize(("snapshot", "table", "relations"), SHAPES)
def test_a_snapshot_declares_its_table_s_columns_with_their_types(
    snapshot: type[Snapshot], table: type[Base], relations: dict[str, object]
) -> None:
    columns = [c.name for c in table.__table__.columns]
    expected = column_types(table, columns) | relations
    assert declared(snapshot) == expected


def test_a_taxonomy_skill_snapshot_declares_what_a_held_skill_shows() -> None:
    expected = column_types(SkillRow, ("skill_id", *SKILL_COLUMNS))
    assert declared(SkillSnapshot) == expected


@pytest.fixture
def session(tmp_path: Path) -> typing.Iterator[Session]:
    engine = create_engine(f"sqlite:///{tmp_path / 'snapshots.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        session.add_all(
            [
                SkillRow(skill_id="sql", label="SQL", updated_at=now),
                SkillRow(skill_id="python", label="Python", skill_type="tool", updated_at=now),
            ]
        )
        session.flush()
        ana = EmployeeRow(
            external_id="ANA",
            name="Ana",
            title="Analyst",
            department="Finance",
            level=3,
            location="Lisbon",
            timezone="Europe/Lisbon",
            hire_date=dt.date(2020, 1, 6),
            interests=["data"],
            availability_hours_per_week=8,
            open_to=["gig"],
            updated_at=now,
        )
        ana.skills = [
            EmployeeSkillRow(skill_id="python", level=4, position=0),
            EmployeeSkillRow(skill_id="sql", level=2, position=1),
        ]
        gig = OpportunityRow(
            external_id="G-1",
            kind="gig",
            title="Dashboards",
            owner_external_id="LEAD",
            department="Finance",
            location="remote",
            hours_per_week=4,
            level_min=2,
            level_max=4,
            status="open",
            occupation_choices=[{"occupation_id": "x", "label": "X"}],
            updated_at=now,
        )
        gig.skills = [
            OpportunitySkillRow(skill_id="sql", level=3, required=True, position=0),
            OpportunitySkillRow(
                skill_id="python", level=2, required=False, position=1, inferred=True
            ),
        ]
        session.add_all([ana, gig])
        session.commit()
        yield session
    engine.dispose()


def same_as_row(snapshot: Snapshot, row: object) -> None:
    """The snapshot carries exactly its declared attributes, each equal to the ORM row's."""
    names = declared(type(snapshot))
    assert set(vars(snapshot)) == set(names), type(snapshot).__name__
    for name in names:
        value, stored = getattr(snapshot, name), getattr(row, name)
        if isinstance(value, Snapshot):
            same_as_row(value, stored)
        elif isinstance(value, list) and value and isinstance(value[0], Snapshot):
            assert len(value) == len(stored), name
            for one, its_row in zip(value, stored, strict=True):
                same_as_row(one, its_row)
        else:
            assert value == stored, name


def test_snapshots_read_carry_what_they_declare_and_what_the_orm_reads(session: Session) -> None:
    ana = session.scalars(select(EmployeeRow)).one()
    gig = session.scalars(select(OpportunityRow)).one()
    people = snapshots_by_id(session, EmployeeRow, [ana.id])
    postings = snapshots_by_external_id(session, OpportunityRow, [gig.external_id])
    assert isinstance(people[ana.id], EmployeeSnapshot)
    assert isinstance(postings[gig.external_id], OpportunitySnapshot)
    # ORM skills in position order, as the snapshot holds them.
    same_as_row(people[ana.id], ana)
    same_as_row(postings[gig.external_id], gig)
    bare = snapshots_by_external_id(session, EmployeeRow, ["ANA"], skills=False)["ANA"]
    assert bare.skills == [] and set(vars(bare)) == set(declared(EmployeeSnapshot))
