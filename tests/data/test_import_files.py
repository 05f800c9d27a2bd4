"""Uploaded exports: CSV and XLSX read into a header row and rows, bad files refused with the
reason, Workday- and SuccessFactors-style headers mapped onto the contract, skills cells read
into the contract's skill list with what had to be guessed said."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from data.importing import import_employees, import_opportunities
from data.importing.mapping import (
    MappingProblem,
    apply_mapping,
    check_mapping,
    parse_skills,
    propose_mapping,
)
from data.importing.report import ImportReport
from data.importing.tables import FileProblem, header_key, read_table
from data.schemas import EmployeeIn
from data.storage.engine import transaction
from serving.state import ServiceState

WORKDAY = (
    "Employee ID,Worker,Legal Name,Business Title,Supervisory Organization,Location,"
    "Manager ID,Hire Date,Skills,Job Level\n"
    "P-1,Ada Park,Ada Park,Data Analyst,Finance (Ada Park),Berlin,,2021-03-01,"
    '"Python; SQL (4)",P3\n'
    "P-2,Bo Chen,Bo Chen,Analyst,Finance (Ada Park),Berlin,P-1,15/04/2022,Excel (expert),4\n"
)


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workday_export_is_mapped_and_read_into_contract_records() -> None:
    table = read_table("workers.csv", WORKDAY.encode())
    mapping = propose_mapping("employees", table.headers)
    assert mapping["Employee ID"] == "external_id"
    assert mapping["Worker"] == "name" and mapping["Legal Name"] is None  # the first one wins
    assert mapping["Supervisory Organization"] == "department"
    assert mapping["Manager ID"] == "manager_external_id"
    assert mapping["Job Level"] == "level"
    check_mapping("employees", table.headers, mapping, {})
    mapped = apply_mapping("employees", table, mapping, {})
    assert mapped.errors == []
    (row1, ada), (row2, bo) = mapped.records
    assert (row1, row2) == (2, 3)
    assert ada["skills"] == [{"name": "Python", "level": 3}, {"name": "SQL", "level": 4}]
    assert ada["level"] == 3 and "manager_external_id" not in ada
    assert bo["hire_date"] == "2022-04-15" and bo["skills"] == [{"name": "Excel", "level": 5}]
    EmployeeIn.model_validate(ada)
    assert [n.text for n in mapped.notes] == ["Python"]  # its level was assumed


def test_a_successfactors_xlsx_joins_first_and_last_names_and_reads_dates() -> None:
    content = _xlsx(
        [
            [
                "userId",
                "firstName",
                "lastName",
                "title",
                "department",
                "location",
                "managerId",
                "hireDate",
            ],
            [1042, "Lin", "Ito", "Engineer", "R&D", "Tokyo", None, dt.datetime(2020, 1, 6)],
        ]
    )
    table = read_table("export.xlsx", content)
    mapping = propose_mapping("employees", table.headers)
    assert mapping["userId"] == "external_id" and mapping["firstName"] == "first_name"
    with pytest.raises(MappingProblem, match="Job level"):
        check_mapping("employees", table.headers, mapping, {})
    check_mapping("employees", table.headers, mapping, {"level": "2"})
    [(row, record)] = apply_mapping("employees", table, mapping, {"level": "2"}).records
    assert row == 2
    assert record["external_id"] == "1042" and record["name"] == "Lin Ito"
    assert record["hire_date"] == "2020-01-06" and record["level"] == 2


def test_the_project_s_own_field_names_map_to_themselves() -> None:
    headers = [
        "external_id",
        "kind",
        "title",
        "owner_external_id",
        "hours_per_week",
        "required_skills",
    ]
    assert propose_mapping("opportunities", headers) == {h: h for h in headers}


def test_a_mapping_without_an_external_id_or_with_a_field_twice_is_refused() -> None:
    headers = ["Worker", "Business Title", "Location", "Job Level", "Department", "Title 2"]
    mapping = propose_mapping("employees", headers)
    with pytest.raises(MappingProblem, match="Employee ID") as refused:
        check_mapping("employees", headers, mapping, {})
    assert refused.value.field == "mapping"
    twice = mapping | {"Title 2": "title", "Worker": "external_id"}
    with pytest.raises(MappingProblem, match="both fill"):
        check_mapping("employees", headers, twice, {})


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("people.pdf", b"%PDF-1.4", "upload a CSV"),
        ("people.csv", b"  \n", "empty"),
        ("people.csv", b"E1,Ada Park,ada@corp.example\nE2,Bo,bo@corp.example\n", "header row"),
        ("people.csv", b"Employee ID,Worker\n", "no rows"),
        ("people.csv", b"Employee ID,employee_id\nE1,E1\n", "named alike"),
        ("people.xlsx", b"not a zip", "Excel workbook"),
    ],
)
def test_a_bad_file_is_refused_with_its_problem(name: str, content: bytes, reason: str) -> None:
    with pytest.raises(FileProblem, match=reason):
        read_table(name, content)


def test_skills_cells_say_what_they_had_to_guess() -> None:
    notes: list = []
    skills = parse_skills(
        "Python (5); Power BI (Microsoft); Data, analysis; Excel - advanced; esco:abc:2",
        7,
        "skills",
        notes,
    )
    assert skills == [
        {"name": "Python", "level": 5},
        {"name": "Power BI (Microsoft)", "level": 3},
        {"name": "Data, analysis", "level": 3},
        {"name": "Excel", "level": 4},
        {"skill_id": "esco:abc", "level": 2},
    ]
    said = {(n.text, n.note.split(":")[0]) for n in notes}
    assert ("Power BI (Microsoft)", "'(Microsoft)' is no level") in said
    assert ("Data, analysis", "holds a comma but skills are separated by ';'") in said
    assert all(n.row == 7 for n in notes)
    assert parse_skills("Python, SQL", 2, "skills", []) == [
        {"name": "Python", "level": 3},
        {"name": "SQL", "level": 3},
    ]


def test_a_date_that_reads_two_ways_is_an_error_naming_the_field() -> None:
    table = read_table("w.csv", b"Employee ID,Worker,Hire Date\nE1,Ada,03/04/2021\n")
    mapped = apply_mapping("employees", table, propose_mapping("employees", table.headers), {})
    [error] = mapped.errors
    assert (error.row, error.field) == (2, "hire_date") and "YYYY-MM-DD" in error.message


def test_the_same_columns_in_another_order_or_spelling_share_a_remembered_mapping() -> None:
    assert header_key(["Employee ID", "Worker"]) == header_key(["worker", "employee_id"])
    assert header_key(["Employee ID", "Worker"]) != header_key(["Employee ID", "Name"])


def test_a_column_of_dates_is_read_the_way_its_unambiguous_rows_are_written() -> None:
    us = b"Employee ID,Worker,Hire Date\nE1,Ada,03/04/2021\nE2,Bo,12/31/2020\n"
    table = read_table("w.csv", us)
    mapped = apply_mapping("employees", table, propose_mapping("employees", table.headers), {})
    assert mapped.errors == []
    assert [r["hire_date"] for _, r in mapped.records] == ["2021-03-04", "2020-12-31"]
    european = b"Employee ID,Worker,Hire Date\nE1,Ada,03/04/2021\nE2,Bo,31/12/2020\n"
    table = read_table("w.csv", european)
    mapped = apply_mapping("employees", table, propose_mapping("employees", table.headers), {})
    assert [r["hire_date"] for _, r in mapped.records] == ["2021-04-03", "2020-12-31"]


def test_a_file_imported_again_is_unchanged_and_its_custom_skills_are_existing(
    state: ServiceState,
) -> None:
    people = (
        "Employee ID,Worker,Business Title,Supervisory Organization,Location,Skills,Job Level\n"
        "P-U1,Ada Park,Data Analyst,Finance,Berlin,Python; Zorblax tuning (4),3\n"
        "P-U2,Bo Chen,Analyst,Finance,Berlin,SQL,2\n"
    )
    table = read_table("workers.csv", people.encode())
    mapped = apply_mapping("employees", table, propose_mapping("employees", table.headers), {})

    def run() -> ImportReport:
        resolver = state.skill_resolver(created_by="admin")
        with transaction(state.sessions) as session:
            import_employees(session, mapped.records, resolver)
        return resolver.report

    first = run().summary()
    assert (first["unchanged"], first["flagged_for_review"], first["existing_custom"]) == (0, 1, 0)
    again = run()
    assert sorted(again.unchanged) == ["P-U1", "P-U2"]
    assert (again.summary()["flagged_for_review"], again.summary()["existing_custom"]) == (0, 1)

    # One field changed (a level): that record is an update, the other stays unchanged.
    changed = people.replace("Berlin,SQL,2", "Berlin,SQL,3")
    table = read_table("workers.csv", changed.encode())
    mapped = apply_mapping("employees", table, propose_mapping("employees", table.headers), {})
    assert run().unchanged == ["P-U1"]

    owner_posting = [
        (
            1,
            {
                "external_id": "O-U1",
                "kind": "gig",
                "title": "Churn model",
                "owner_external_id": "P-U1",
                "hours_per_week": 4,
                "required_skills": [{"name": "SQL", "level": 3}],
            },
        )
    ]
    reports = []
    for _ in range(2):
        resolver = state.skill_resolver(created_by="admin")
        with transaction(state.sessions) as session:
            import_opportunities(session, owner_posting, resolver)
        reports.append(resolver.report.unchanged)
    assert reports == [[], ["O-U1"]]
