"""Imports are all-or-nothing and report every bad row and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data.importing import ImportRejected, import_employees, import_opportunities, read_records
from data.storage.engine import transaction
from data.storage.tables import DemographicsRow, EmployeeRow
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def employee_count(state: ServiceState) -> int:
    with state.sessions() as session:
        return session.scalar(select(func.count()).select_from(EmployeeRow)) or 0


def test_jsonl_import_stores_profiles_and_demographics_apart(
    state: ServiceState, tmp_path: Path
) -> None:
    records = [
        make_employee("E1", demographics={"gender": "female", "age_band": "35-44"}),
        make_employee("E2"),
    ]
    path = write_jsonl(tmp_path / "people.jsonl", records)
    with transaction(state.sessions) as session:
        _, counts = import_employees(session, read_records(path), state.skill_resolver())
    assert (counts.created, counts.updated) == (2, 0)
    with state.sessions() as session:
        person = session.scalar(select(EmployeeRow).where(EmployeeRow.external_id == "E1"))
        assert person is not None
        assert person.skills[0].skill.label == "SQL"
        demographics = session.get(DemographicsRow, person.id)
        assert demographics is not None and demographics.gender == "female"
        assert not hasattr(person, "gender")


def test_one_bad_row_writes_nothing_and_is_reported_with_its_line_and_field(
    state: ServiceState, tmp_path: Path
) -> None:
    records = [
        make_employee("E1"),
        make_employee("E2", skills=[{"name": "SQL", "level": 7}]),
        make_employee("E3", availability_hours_per_week=99),
    ]
    path = write_jsonl(tmp_path / "people.jsonl", records)
    with pytest.raises(ImportRejected) as rejected, transaction(state.sessions) as session:
        import_employees(session, read_records(path), state.skill_resolver())
    found = {(e.row, e.field) for e in rejected.value.errors}
    assert found == {(2, "skills.0.level"), (3, "availability_hours_per_week")}
    assert "row 2, skills.0.level" in rejected.value.report()
    assert employee_count(state) == 0


def test_reimport_updates_in_place_and_a_failed_update_keeps_the_old_data(
    state: ServiceState, tmp_path: Path
) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [make_employee("E1", title="Analyst")])
    with transaction(state.sessions) as session:
        import_employees(session, read_records(first), state.skill_resolver())
    bad = write_jsonl(
        tmp_path / "b.jsonl",
        [make_employee("E1", title="Senior Analyst"), make_employee("E2", level=99)],
    )
    with pytest.raises(ImportRejected), transaction(state.sessions) as session:
        import_employees(session, read_records(bad), state.skill_resolver())
    with state.sessions() as session:
        titles = session.scalars(select(EmployeeRow.title)).all()
    assert titles == ["Analyst"]


def test_csv_import_with_skill_pairs_lists_and_dotted_columns(
    state: ServiceState, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "external_id,name,title,department,level,location,timezone,skills,interests,"
        "open_to,availability_hours_per_week,demographics.gender\n"
        "E7,Ada Park,Data Analyst,Finance,3,Berlin,Europe/Berlin,"
        '"SQL:4;Python (computer programming):3",machine learning;statistics,gig;role,8,female\n'
    )
    with transaction(state.sessions) as session:
        stored, _ = import_employees(session, read_records(path), state.skill_resolver())
    assert stored[0].interests == ["machine learning", "statistics"]
    assert [s.level for s in stored[0].skills] == [4, 3]
    assert stored[0].demographics is not None and stored[0].demographics.gender == "female"


def test_csv_errors_point_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("external_id,name,skills\nE1,Ada,SQL-without-level\n")
    with pytest.raises(ImportRejected) as rejected:
        read_records(path)
    assert (rejected.value.errors[0].row, rejected.value.errors[0].field) == (2, "skills.0")


def test_opportunity_owner_must_exist_and_unknown_skill_ids_are_errors(
    state: ServiceState,
) -> None:
    records = [
        (1, make_opportunity("O1", owner="NOBODY")),
        (
            2,
            make_opportunity(
                "O2", required_skills=[{"skill_id": "esco:does-not-exist", "level": 2}]
            ),
        ),
    ]
    with pytest.raises(ImportRejected) as rejected, transaction(state.sessions) as session:
        import_opportunities(session, records, state.skill_resolver())
    found = {(e.row, e.field) for e in rejected.value.errors}
    assert (1, "owner_external_id") in found
    assert (2, "required_skills.0.skill_id") in found


def test_unknown_skill_names_become_custom_skills(state: ServiceState) -> None:
    record = make_employee("E1", skills=[{"name": "Quarterly Zorblax reconciliation", "level": 2}])
    with transaction(state.sessions) as session:
        stored, _ = import_employees(session, [(1, record)], state.skill_resolver())
    assert stored[0].skills[0].skill_id == "custom:quarterly-zorblax-reconciliation"
