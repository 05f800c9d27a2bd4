"""Tokens from the admin console's API: issued once with the same rules as `talent token`,
listed without their secret, revoked at once; an admin's business alone."""

from __future__ import annotations

from fastapi.testclient import TestClient

from data.schemas import Role
from serving.state import ServiceState
from tests.factories import make_employee
from tests.helpers.api import bearer, token_for


def _person(client: TestClient, admin: dict[str, str]) -> None:
    people = [make_employee("P-TOK-1", name="Tia Token")]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200


def test_a_token_is_shown_once_listed_without_its_secret_and_revoked(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    _person(client, admin_headers)
    body = {"role": "employee", "subject_external_id": "P-TOK-1", "label": "Tia's laptop"}
    made = client.post("/api/v1/tokens", json=body, headers=admin_headers)
    assert made.status_code == 201, made.text
    issued = made.json()
    secret, token_id = issued["token"], issued["token_id"]
    assert issued["state"] == "active" and issued["subject_external_id"] == "P-TOK-1"
    # The secret works as a bearer token for that person.
    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200 and me.json()["subject_external_id"] == "P-TOK-1"

    listed = client.get("/api/v1/tokens", headers=admin_headers)
    assert listed.status_code == 200
    mine = [t for t in listed.json() if t["token_id"] == token_id]
    assert mine and mine[0]["label"] == "Tia's laptop"
    assert secret not in listed.text and "token" not in mine[0]

    revoked = client.post(f"/api/v1/tokens/{token_id}/revoke", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert client.delete("/api/v1/tokens/ffffffffffff", headers=admin_headers).status_code == 404


def test_token_rules_match_the_command_line(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    _person(client, admin_headers)

    def refused(body: dict[str, object]) -> str:
        answer = client.post("/api/v1/tokens", json=body, headers=admin_headers)
        assert answer.status_code == 422, answer.text
        return answer.json()["detail"][0]["field"]

    assert refused({"role": "lead"}) == "subject"  # a person's token names the person
    assert refused({"role": "employee", "subject_external_id": "NOBODY"}) == "subject"
    employee = {"role": "employee", "subject_external_id": "P-TOK-1"}
    assert refused(employee | {"scopes": ["auditor"]}) == "scopes"
    assert refused({"role": "admin", "scopes": ["everything"]}) == "scopes"
    auditor = {"role": "hr", "subject_external_id": "P-TOK-1", "scopes": ["auditor"], "days": 7}
    made = client.post("/api/v1/tokens", json=auditor, headers=admin_headers)
    assert made.status_code == 201 and made.json()["scopes"] == ["auditor"]
    admin = client.post("/api/v1/tokens", json={"role": "admin"}, headers=admin_headers)
    assert admin.status_code == 201


def test_only_an_admin_manages_tokens(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    _person(client, admin_headers)
    for role in (Role.EMPLOYEE, Role.LEAD, Role.HR):
        other = token_for(state, role, "P-TOK-1")
        assert client.get("/api/v1/tokens", headers=other).status_code == 403
        body = {"role": "admin"}
        assert client.post("/api/v1/tokens", json=body, headers=other).status_code == 403
        assert client.post("/api/v1/tokens/abc123/revoke", headers=other).status_code == 403
        assert client.delete("/api/v1/tokens/abc123", headers=other).status_code == 403
