"""Who owns which data: HR-owned profile fields, unique e-mail addresses, and tokens that can be
listed, revoked and expire, and that name only people who exist."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.tables import ApiTokenRow
from serving.cli import app as cli
from serving.state import ServiceState
from tests.factories import make_employee
from tests.helpers.api import bearer, seed, token_for

runner = CliRunner()


def _hired(client: TestClient, admin: dict[str, str]) -> None:
    seed(client, admin)
    hired = make_employee(
        "DATA", manager_external_id="LEAD", hire_date="2021-03-01", name="Dana Data"
    )
    hired["skills"] = [{"name": "SQL", "level": 4}]
    assert client.post("/api/v1/employees/bulk", json=[hired], headers=admin).status_code == 200


def test_a_profile_edit_leaves_what_it_does_not_name(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    _hired(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    profile = client.get("/api/v1/employees/DATA", headers=dana).json()
    for field in ("manager_external_id", "hire_date", "bio"):
        profile.pop(field)
    profile["aspirations"] = "lead a data team"
    saved = client.put("/api/v1/employees/DATA", json=profile, headers=dana)
    assert saved.status_code == 200, saved.text
    assert saved.json()["manager_external_id"] == "LEAD"
    assert saved.json()["hire_date"] == "2021-03-01"

    patched = client.patch(
        "/api/v1/employees/DATA", json={"availability_hours_per_week": 3}, headers=dana
    )
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert after["availability_hours_per_week"] == 3 and after["aspirations"] == "lead a data team"
    assert [s["name"] for s in after["skills"]] == ["SQL"] and after[
        "manager_external_id"
    ] == "LEAD"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("level", 7),
        ("title", "Chief Data Officer"),
        ("department", "Board"),
        ("manager_external_id", "WEB"),
        ("hire_date", "2010-01-01"),
        ("name", "Lena Lead"),
        ("email", "lead@corp.example"),
        ("demographics", {"gender": "female"}),
    ],
)
def test_an_employee_cannot_change_what_hr_owns(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    field: str,
    value: object,
) -> None:
    _hired(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    before = client.get("/api/v1/employees/DATA", headers=dana).json()
    refused = client.patch("/api/v1/employees/DATA", json={field: value}, headers=dana)
    assert refused.status_code == 403 and field in refused.json()["detail"]
    assert client.get("/api/v1/employees/DATA", headers=dana).json() == before


def test_hr_changes_what_hr_owns(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    _hired(client, admin_headers)
    hr = token_for(state, Role.HR, "SHY")
    changed = client.patch(
        "/api/v1/employees/DATA", json={"level": 4, "title": "Senior Analyst"}, headers=hr
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["level"], changed.json()["title"]) == (4, "Senior Analyst")
    assert changed.json()["skills"] == [
        {"skill_id": changed.json()["skills"][0]["skill_id"], "name": "SQL", "level": 4}
    ]


def test_one_person_per_e_mail_address_whatever_its_case(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    taken = make_employee("COPY", email="LEAD@corp.example")
    clash = client.post("/api/v1/employees/bulk", json=[taken], headers=admin_headers)
    assert clash.status_code == 422 and clash.json()["detail"][0]["field"] == "email"
    twins = [
        make_employee("T1", email="twin@corp.example"),
        make_employee("T2", email="Twin@corp.example"),
    ]
    both = client.post("/api/v1/employees/bulk", json=twins, headers=admin_headers)
    assert both.status_code == 422 and both.json()["detail"][0]["index"] == 1
    # Two people swapping addresses in one batch is fine.
    lead, data = (
        make_employee("LEAD", email="data@corp.example"),
        make_employee("DATA", email="lead@corp.example"),
    )
    assert (
        client.post("/api/v1/employees/bulk", json=[lead, data], headers=admin_headers).status_code
        == 200
    )


@pytest.mark.usefixtures("cli_env")
def test_tokens_are_listed_by_id_revoked_and_refused_for_unknown_people(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    unknown = runner.invoke(cli, ["token", "create", "--role", "employee", "--subject", "E99999"])
    assert unknown.exit_code != 0 and "no employee 'E99999'" in unknown.output

    made = runner.invoke(
        cli, ["token", "create", "--role", "lead", "--subject", "LEAD", "--days", "7"]
    )
    assert made.exit_code == 0, made.output
    token, note = made.output.strip().splitlines()[:2]
    token_id = note.split("id ")[1].split(",")[0]
    assert client.get("/api/v1/me", headers=bearer(token)).json()["subject_external_id"] == "LEAD"

    listing = runner.invoke(cli, ["token", "list"]).output
    assert token_id in listing and token not in listing and "active" in listing
    revoked = runner.invoke(cli, ["token", "revoke", token_id])
    assert revoked.exit_code == 0, revoked.output
    refused = client.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert "revoked" in runner.invoke(cli, ["token", "list"]).output
    assert runner.invoke(cli, ["token", "revoke", "nosuchid"]).exit_code != 0


def test_an_expired_token_is_refused(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    headers = token_for(state, Role.EMPLOYEE, "DATA")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with transaction(state.sessions) as session:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        session.execute(update(ApiTokenRow).values(expires_at=past))
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]


def test_a_token_stored_before_keyed_digests_works_once_then_is_re_keyed(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    legacy = "an-old-token-from-before-the-upgrade"
    with transaction(state.sessions) as session:
        session.add(
            ApiTokenRow(
                digest=hashlib.sha256(legacy.encode()).hexdigest(),
                token_id="legacy000001",
                scheme="sha256",
                role="employee",
                subject_external_id="DATA",
                label="",
                scopes=[],
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
            )
        )
    assert client.get("/api/v1/me", headers=bearer(legacy)).status_code == 200
    with state.sessions() as session:
        row = session.get(ApiTokenRow, hashlib.sha256(legacy.encode()).hexdigest())
        assert row is None  # no plain digest left in the database
    assert client.get("/api/v1/me", headers=bearer(legacy)).status_code == 200


def test_one_record_reports_its_own_fields_without_a_bulk_index(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    bad = client.patch(
        "/api/v1/employees/DATA",
        json={"skills": [{"skill_id": "custom:nope", "level": 2}]},
        headers=dana,
    )
    assert bad.status_code == 422
    [problem] = bad.json()["detail"]
    assert problem["loc"] == ["body", "skills", 0, "skill_id"] and "index" not in problem
    own = client.patch(
        "/api/v1/employees/DATA", json={"manager_external_id": "DATA"}, headers=admin_headers
    )
    assert own.status_code == 422 and own.json()["detail"][0]["field"] == "manager_external_id"
    path = client.put("/api/v1/employees/DATA/skills/custom:nope", json={"level": 3}, headers=dana)
    assert path.status_code == 422
    assert path.json()["detail"][0]["loc"] == ["path", "skill_id"]
