"""The HTTP API as its users meet it: auth, validation, profiles, matches and candidates."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from data.schemas import Role
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity
from tests.helpers.api import bearer, seed, token_for


def test_health_and_readiness(client: TestClient, admin_headers: dict[str, str]) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"ready": True}  # and nothing else without a token
    ready = client.get("/readyz", headers=admin_headers).json()
    assert ready["ready"] is True and ready["details"]["database"] == "ok"
    assert "talent_http_requests_total" in client.get("/metrics").text


def test_every_api_endpoint_needs_a_valid_token(client: TestClient) -> None:
    response = client.get("/api/v1/employees/E1")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/v1/employees/E1", headers=bearer("nope")).status_code == 401
    assert client.get("/api/v1/skills/normalize?q=sql").status_code == 401


def test_bulk_import_422_names_item_and_field_and_stores_nothing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    people = [make_employee("E1"), make_employee("E2", skills=[{"name": "SQL", "level": 9}])]
    response = client.post("/api/v1/employees/bulk", json=people, headers=admin_headers)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_failed" and body["request_id"]
    assert [(d["index"], d["field"]) for d in body["detail"]] == [(1, "skills.0.level")]
    assert client.get("/api/v1/employees/E1", headers=admin_headers).status_code == 404


def test_only_admins_bulk_import(client: TestClient, state: ServiceState) -> None:
    employee = token_for(state, Role.EMPLOYEE, "E1")
    response = client.post("/api/v1/employees/bulk", json=[make_employee()], headers=employee)
    assert response.status_code == 403


def test_profile_read_and_edit_by_self_not_by_others(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    me, other = token_for(state, Role.EMPLOYEE, "DATA"), token_for(state, Role.EMPLOYEE, "WEB")
    profile = client.get("/api/v1/employees/DATA", headers=me).json()
    assert profile["name"] == "Dana Data" and "demographics" not in profile
    assert client.get("/api/v1/employees/DATA", headers=other).status_code == 403

    profile["aspirations"] = "lead a data team"
    saved = client.put("/api/v1/employees/DATA", json=profile, headers=me)
    assert saved.status_code == 200, saved.text
    assert saved.json()["aspirations"] == "lead a data team"
    assert saved.json()["skills"] == profile["skills"]
    # Level, title and the other employer-record fields are not the person's to change.
    for field, value in (("level", 5), ("title", "Head of Data"), ("hire_date", "2001-01-01")):
        refused = client.put("/api/v1/employees/DATA", json={**profile, field: value}, headers=me)
        assert refused.status_code == 403 and field in refused.json()["detail"]
    profile["title"] = "Senior Data Analyst"
    by_admin = client.put("/api/v1/employees/DATA", json=profile, headers=admin_headers)
    assert by_admin.status_code == 200 and by_admin.json()["title"] == "Senior Data Analyst"

    bad = client.put("/api/v1/employees/DATA", json={**profile, "level": 0}, headers=me)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "level"
    mismatch = client.put(
        "/api/v1/employees/DATA", json={**profile, "external_id": "X"}, headers=me
    )
    assert mismatch.status_code == 422 and mismatch.json()["detail"][0]["field"] == "external_id"
    assert client.get("/api/v1/employees/DATA", headers=me).json()["title"] == "Senior Data Analyst"


def test_matches_rank_the_fitting_gig_first_and_explain_skills(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    me = token_for(state, Role.EMPLOYEE, "DATA")
    body = client.get("/api/v1/employees/DATA/matches?kind=gig&limit=10", headers=me).json()
    ids = [item["opportunity"]["external_id"] for item in body["items"]]
    assert ids == ["GIG-DATA", "GIG-WEB"]  # closed gig never shown
    first = body["items"][0]
    assert first["rank"] == 1 and first["score"] > body["items"][1]["score"]
    assert {s["name"] for s in first["explanation"]["matched_skills"]} == {PYTHON, "SQL"}
    assert body["request_id"]

    web = client.get("/api/v1/employees/WEB/matches?kind=gig", headers=admin_headers).json()
    assert web["items"][0]["opportunity"]["external_id"] == "GIG-WEB"


def test_a_profile_edit_changes_matches_immediately(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    me = token_for(state, Role.EMPLOYEE, "WEB")
    before = client.get("/api/v1/employees/WEB/matches?kind=gig", headers=me).json()
    assert before["items"][0]["opportunity"]["external_id"] == "GIG-WEB"
    profile = client.get("/api/v1/employees/WEB", headers=me).json()
    profile["skills"] = [{"name": PYTHON, "level": 5}, {"name": "SQL", "level": 5}]
    profile["interests"] = ["data science"]
    assert client.put("/api/v1/employees/WEB", json=profile, headers=me).status_code == 200
    after = client.get("/api/v1/employees/WEB/matches?kind=gig", headers=me).json()
    assert after["items"][0]["opportunity"]["external_id"] == "GIG-DATA"


def test_lead_posts_and_sees_masked_candidates_of_own_opportunity_only(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    posted = client.post(
        "/api/v1/opportunities", json=make_opportunity("NEW", owner="LEAD"), headers=lead
    )
    assert posted.status_code == 201, posted.text
    someone_else = client.post(
        "/api/v1/opportunities", json=make_opportunity("NEW2", owner="DATA"), headers=lead
    )
    assert someone_else.status_code == 422
    assert someone_else.json()["detail"][0]["field"] == "owner_external_id"

    body = client.get("/api/v1/opportunities/NEW/candidates?limit=10", headers=lead).json()
    candidates = [item["candidate"] for item in body["items"]]
    assert candidates, "a new opportunity is matchable at once"
    assert candidates[0]["handle"].startswith("cand-")
    text = str(body)
    for secret in ("Dana Data", "Wes Web", "corp.example", "external_id"):
        assert secret not in text
    handles = [c["handle"] for c in candidates]
    assert len(set(handles)) == len(handles)
    assert "SHY" not in str(
        client.get("/api/v1/opportunities/NEW/candidates", headers=admin_headers).json()
    ), "people not open to gigs are never candidates"
    # the lead is never their own candidate
    admin_view = client.get("/api/v1/opportunities/NEW/candidates", headers=admin_headers).json()
    assert "LEAD" not in [i["candidate"]["external_id"] for i in admin_view["items"]]
    assert admin_view["items"][0]["candidate"]["external_id"] == "DATA"

    other_lead = token_for(state, Role.LEAD, "DATA")
    assert client.get("/api/v1/opportunities/NEW/candidates", headers=other_lead).status_code == 403


def test_opportunity_patch_and_listing(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    patched = client.patch("/api/v1/opportunities/GIG-WEB", json={"status": "filled"}, headers=lead)
    assert patched.status_code == 200 and patched.json()["status"] == "filled"
    bad = client.patch("/api/v1/opportunities/GIG-WEB", json={"hours_per_week": 100}, headers=lead)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "hours_per_week"
    listing = client.get("/api/v1/opportunities?kind=gig&status=open", headers=lead).json()
    assert [o["external_id"] for o in listing["items"]] == ["GIG-DATA"]
    page: dict[str, Any] = client.get("/api/v1/employees?limit=2", headers=admin_headers).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(
        f"/api/v1/employees?limit=2&cursor={page['next_cursor']}", headers=admin_headers
    )
    assert [p["external_id"] for p in rest.json()["items"]] == ["WEB", "SHY"]
    employee = token_for(state, Role.EMPLOYEE, "DATA")
    me = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=employee).json()
    assert "GIG-WEB" not in str(me), "a filled gig leaves the matches at once"


def test_skill_normalize_endpoint(client: TestClient, state: ServiceState) -> None:
    employee = token_for(state, Role.EMPLOYEE, "E1")
    body = client.get("/api/v1/skills/normalize?q=python%20programming&limit=3", headers=employee)
    assert body.status_code == 200
    assert body.json()["items"][0]["label"] == PYTHON
    blank = client.get("/api/v1/skills/normalize?q=%20%20", headers=employee)
    assert blank.status_code == 422 and blank.json()["detail"][0]["field"] == "q"


def test_a_new_opportunity_is_matchable_on_the_next_request_and_applying_hides_it(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    lead, me = token_for(state, Role.LEAD, "LEAD"), token_for(state, Role.EMPLOYEE, "DATA")
    fresh = make_opportunity("FRESH", owner="LEAD", title="Forecast model for finance")
    assert client.post("/api/v1/opportunities", json=fresh, headers=lead).status_code == 201
    body = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=me).json()
    assert "FRESH" in [i["opportunity"]["external_id"] for i in body["items"]]
    report = body["retrieval"]
    assert report["eligible"] == len(body["items"]) and report["pool"] >= report["eligible"]
    assert report["removed_by_rule"]["opportunity_not_open"] == 1  # GIG-CLOSED

    applied = client.post("/api/v1/opportunities/FRESH/applications", headers=me)
    assert applied.status_code == 201 and applied.json()["type"] == "apply"
    again = client.post("/api/v1/opportunities/FRESH/applications", headers=me)
    assert again.status_code == 409
    after = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=me).json()
    assert "FRESH" not in [i["opportunity"]["external_id"] for i in after["items"]]
    listed = client.get("/api/v1/opportunities/FRESH/applications", headers=lead).json()["items"]
    assert len(listed) == 1 and listed[0]["candidate"]["handle"].startswith("cand-")
    assert "DATA" not in str(listed) and "Dana" not in str(listed)
    assert client.get("/api/v1/opportunities/FRESH/applications", headers=me).status_code == 403
    assert after["retrieval"]["removed_by_rule"]["already_applied_or_dismissed"] == 1

    dismissed = client.post("/api/v1/opportunities/GIG-WEB/dismissals", headers=me)
    assert dismissed.status_code == 201
    assert client.post("/api/v1/opportunities/GIG-WEB/dismissals", headers=me).status_code == 200
    candidates = client.get("/api/v1/opportunities/GIG-WEB/candidates", headers=admin_headers)
    assert "DATA" not in [i["candidate"]["external_id"] for i in candidates.json()["items"]]
    own = client.post("/api/v1/opportunities/GIG-WEB/applications", headers=lead)
    assert own.status_code == 409 and "own opportunity" in own.json()["detail"]
    closed = client.post("/api/v1/opportunities/GIG-CLOSED/applications", headers=me)
    assert closed.status_code == 409


def test_odd_input_the_fuzzer_found_is_a_4xx_naming_the_field(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    odd_field = client.post("/api/v1/employees/bulk", json=[{"²": None}], headers=admin_headers)
    assert odd_field.status_code == 422
    past_int4 = client.get("/api/v1/opportunities?cursor=2147483648", headers=admin_headers)
    assert past_int4.status_code == 422 and past_int4.json()["detail"][0]["field"] == "cursor"
    nul_path = client.get("/api/v1/employees/E%001", headers=admin_headers)
    assert nul_path.status_code == 422 and nul_path.json()["detail"][0]["field"] == "path"
    nul_body = client.post(
        "/api/v1/employees/bulk",
        json=[make_employee("E9", title="Ana\x00lyst")],
        headers=admin_headers,
    )
    assert nul_body.status_code == 422 and nul_body.json()["detail"][0]["field"] == "title"
    assert client.get("/api/v1/employees/E9", headers=admin_headers).status_code == 404
