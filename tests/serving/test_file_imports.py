"""Importing an uploaded export from the admin console: the columns proposed, a dry run that
writes nothing, the import as a job, the mapping remembered; bad files and mappings refused
with the problem named; an admin's business alone."""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from data.schemas import Role
from data.storage.tables import (
    EmployeeRow,
    ImportJobRow,
    ImportMappingRow,
    OversightEventRow,
    SkillRow,
)
from serving.state import ServiceState
from tests.factories import make_employee
from tests.helpers.api import token_for

WORKDAY = (
    "Employee ID,Worker,Business Title,Supervisory Organization,Location,Manager ID,Hire Date,"
    "Skills,Job Level\n"
    "P-FILE-1,Ada Park,Data Analyst,Finance,Berlin,,2021-03-01,Python; SQL (4); Zorblax tuning,3\n"
    "P-FILE-2,Bo Chen,Analyst,Finance,Berlin,P-FILE-1,2022-04-15,Power BI (Microsoft),2\n"
)


def _file(text: str, name: str = "workers.csv", kind: str = "employees") -> dict[str, str]:
    return {"kind": kind, "filename": name, "content": base64.b64encode(text.encode()).decode()}


def _counts(state: ServiceState) -> tuple[int, ...]:
    with state.sessions() as session:
        return tuple(
            session.scalars(select(func.count()).select_from(table)).one()
            for table in (EmployeeRow, SkillRow, ImportJobRow, ImportMappingRow, OversightEventRow)
        )


def _finished(client: TestClient, location: str, headers: dict[str, str]) -> dict:
    for _ in range(600):
        job = client.get(location, headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"{location} did not finish")


def test_a_workday_file_is_mapped_tried_without_a_write_then_imported_as_a_job(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    stored = [make_employee("P-FILE-2", name="Bo Chen")]
    assert (
        client.post("/api/v1/employees/bulk", json=stored, headers=admin_headers).status_code == 200
    )
    upload = _file(WORKDAY)
    columns = client.post("/api/v1/imports/files/columns", json=upload, headers=admin_headers)
    assert columns.status_code == 200, columns.text
    proposed = columns.json()
    assert proposed["rows"] == 2 and proposed["remembered"] is None
    assert proposed["mapping"]["Employee ID"] == "external_id"
    assert proposed["mapping"]["Supervisory Organization"] == "department"
    assert proposed["samples"]["Worker"] == ["Ada Park", "Bo Chen"]

    before = _counts(state)
    dry = client.post(
        "/api/v1/imports/files/dry-run",
        json=upload | {"mapping": proposed["mapping"]},
        headers=admin_headers,
    )
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["create"], report["update"], report["errors"]) == (1, 1, [])
    custom = [n for n in report["report"]["names"] if n["method"] == "custom"]
    assert [n["name"] for n in custom] == ["Zorblax tuning"] and custom[0]["review"]
    assert {n["text"] for n in report["skill_notes"]} >= {"Python", "Power BI (Microsoft)"}
    assert _counts(state) == before  # nothing written: people, skills, jobs, mapping, log

    # A large file's dry run is a job to poll: the same answer, still nothing written.
    queued = client.post(
        "/api/v1/imports/files/dry-run?wait=false",
        json=upload | {"mapping": proposed["mapping"]},
        headers=admin_headers,
    )
    assert queued.status_code == 202, queued.text
    polled = _finished(client, queued.headers["Location"], admin_headers)
    assert polled["status"] == "succeeded" and polled["kind"] == "employees"
    assert polled["result"] == report
    assert client.get(f"/api/v1/imports/{polled['job_id']}", headers=admin_headers).status_code == (
        404
    )
    assert _counts(state)[:2] == before[:2]

    mapping = proposed["mapping"] | {"Hire Date": None}  # the admin's own choice
    started = client.post(
        "/api/v1/imports/files", json=upload | {"mapping": mapping}, headers=admin_headers
    )
    assert started.status_code == 202, started.text
    job = started.json()
    for _ in range(600):
        job = client.get(f"/api/v1/imports/{job['job_id']}", headers=admin_headers).json()
        if job["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "succeeded", job
    assert (job["result"]["created"], job["result"]["updated"]) == (1, 1)
    ada = client.get("/api/v1/employees/P-FILE-1", headers=admin_headers).json()
    assert ada["department"] == "Finance" and ada["hire_date"] is None
    assert {s["name"] for s in ada["skills"]} >= {"SQL"}

    again = client.post("/api/v1/imports/files/columns", json=upload, headers=admin_headers)
    assert again.json()["mapping"]["Hire Date"] is None  # remembered for these columns
    assert again.json()["remembered"] is not None


def test_bad_files_and_mappings_are_refused_naming_the_problem(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    def refused(path: str, body: Mapping[str, object]) -> tuple[str, str]:
        answer = client.post(f"/api/v1/imports/files{path}", json=body, headers=admin_headers)
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["detail"]
        return problem["field"], problem["message"]

    assert refused("/columns", _file("x", "people.pdf")) == (
        "file",
        "a .pdf file cannot be imported here: upload a CSV (.csv) or Excel (.xlsx) file",
    )
    assert refused("/columns", _file("")) == ("file", "the file is empty")
    assert "header row" in refused("/columns", _file("E1,Ada,ada@corp.example\n"))[1]
    assert refused("/columns", _file("a", "x.xlsx"))[1].startswith("the file is not a readable")
    no_id = {"Employee ID": None} | {h: None for h in ("Worker",)}
    field, message = refused("/dry-run", _file(WORKDAY) | {"mapping": no_id})
    assert field == "mapping" and "Employee ID" in message
    bad_base64 = {"kind": "employees", "filename": "w.csv", "content": "###"}
    assert refused("/columns", bad_base64)[0] == "content"


def test_only_an_admin_imports_files(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    people = [make_employee("P-FILE-9")]
    assert (
        client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).status_code == 200
    )
    for role in (Role.EMPLOYEE, Role.LEAD, Role.HR):
        other = token_for(state, role, "P-FILE-9")
        for path in ("/columns", "/dry-run", ""):
            answer = client.post(f"/api/v1/imports/files{path}", json=_file(WORKDAY), headers=other)
            assert answer.status_code == 403, (role, path)


def test_postings_from_a_requisition_export_take_one_kind_given_for_every_row(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    leads = [make_employee("P-FILE-LEAD", name="Lee Lead", department="Data")]
    assert (
        client.post("/api/v1/employees/bulk", json=leads, headers=admin_headers).status_code == 200
    )
    export = (
        "Job Requisition ID,Job Posting Title,Hiring Manager ID,Required Skills,Hours,Openings\n"
        "O-FILE-1,Churn model,P-FILE-LEAD,Python (4); SQL,6,2\n"
    )
    upload = _file(export, "requisitions.csv", kind="opportunities")
    columns = client.post("/api/v1/imports/files/columns", json=upload, headers=admin_headers)
    mapping = columns.json()["mapping"]
    assert mapping == {
        "Job Requisition ID": "external_id",
        "Job Posting Title": "title",
        "Hiring Manager ID": "owner_external_id",
        "Required Skills": "required_skills",
        "Hours": "hours_per_week",
        "Openings": "seats",
    }
    body = upload | {"mapping": mapping}
    refused = client.post("/api/v1/imports/files/dry-run", json=body, headers=admin_headers)
    assert refused.status_code == 422 and "Kind" in refused.json()["detail"][0]["message"]
    body["defaults"] = {"kind": "gig"}
    dry = client.post("/api/v1/imports/files/dry-run", json=body, headers=admin_headers).json()
    assert (dry["create"], dry["error_count"]) == (1, 0)
    job = client.post("/api/v1/imports/files", json=body, headers=admin_headers).json()
    for _ in range(600):
        job = client.get(f"/api/v1/imports/{job['job_id']}", headers=admin_headers).json()
        if job["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "succeeded", job
    posting = client.get("/api/v1/opportunities/O-FILE-1", headers=admin_headers).json()
    assert (posting["kind"], posting["seats"], posting["department"]) == ("gig", 2, "Data")


THREE_ROWS = (
    "Employee ID,Worker,Business Title,Supervisory Organization,Location,Manager ID,Hire Date,"
    "Skills,Job Level\n"
    "P-AGAIN-1,Ada Park,Data Analyst,Finance,Berlin,,2021-03-01,Python; SQL (4); Zorblax tuning,3\n"
    "P-AGAIN-2,Bo Chen,Analyst,Finance,Berlin,P-AGAIN-1,2022-04-15,SQL; Quuxite brewing,2\n"
    "P-AGAIN-3,Cy Diaz,Analyst,Finance,Berlin,P-AGAIN-1,2022-05-01,SQL,2\n"
)


def _dry(client: TestClient, text: str, headers: dict[str, str]) -> dict:
    answer = client.post("/api/v1/imports/files/dry-run", json=_file(text), headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_importing_the_same_file_again_is_unchanged_and_its_custom_skills_are_not_new(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    first = _dry(client, THREE_ROWS, admin_headers)
    assert (first["create"], first["update"], first["unchanged"]) == (3, 0, 0)
    assert first["report"]["summary"]["flagged_for_review"] == 2
    started = client.post("/api/v1/imports/files", json=_file(THREE_ROWS), headers=admin_headers)
    assert started.status_code == 202, started.text
    done = _finished(client, started.headers["Location"], admin_headers)
    assert done["status"] == "succeeded", done
    # The review queue says where the new custom skills came from, and who imported them.
    queue = client.get("/api/v1/skills/review?limit=200", headers=admin_headers).json()["items"]
    origins = {i["label"]: i["origin"] for i in queue}
    day = done["created_at"][:10]
    for label in ("Zorblax tuning", "Quuxite brewing"):
        assert origins[label].startswith(f"from the import of workers.csv on {day} by "), origins

    again = _dry(client, THREE_ROWS, admin_headers)
    assert (again["create"], again["update"], again["unchanged"]) == (0, 0, 3)
    summary = again["report"]["summary"]
    assert (summary["flagged_for_review"], summary["existing_custom"]) == (0, 2)
    custom = [n for n in again["report"]["names"] if n["method"] == "custom"]
    assert custom and not any(n["review"] for n in custom)

    # One row really changed (a new level): one update, the rest unchanged.
    changed = THREE_ROWS.replace("2022-05-01,SQL,2", "2022-05-01,SQL,3")
    edited = _dry(client, changed, admin_headers)
    assert (edited["create"], edited["update"], edited["unchanged"]) == (0, 1, 2)
