"""Real companies' data through the API: titles -> occupations, title-only postings matched on
the skills their occupation implies, import reports, background import jobs, aliases."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from data.demo import generate_company
from data.importing.demo import store_demo_company
from data.schemas import Role
from data.storage.engine import transaction
from data.taxonomy.packaged import load_packaged_taxonomy
from serving.state import ServiceState
from tests.conftest import TODAY
from tests.factories import PYTHON, make_employee
from tests.helpers.api import token_for


def test_a_job_title_finds_its_esco_occupation(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/occupations/normalize?q=analyst").status_code == 401
    response = client.get(
        "/api/v1/occupations/normalize?q=Senior%20Business%20Analyst&limit=3",
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    first = response.json()["items"][0]
    # Its own label on the core title (seniority is the level): 0.99 and up, as typed 1.0.
    assert (first["label"], first["method"]) == ("business analyst", "label")
    assert first["score"] >= 0.99
    assert first["isco_group"] == "2421"
    fuzzy = client.get(
        "/api/v1/occupations/normalize?q=digital%20marketing%20executive", headers=admin_headers
    ).json()["items"]
    # No ESCO title as typed: found by its words ("marketing executive"), O*NET's or the rest.
    assert fuzzy[0]["method"] in ("head_noun", "other_title", "title")
    assert "marketing" in fuzzy[0]["label"]
    # Level words alone name no work: no occupation rather than a guess ("editorial assistant").
    for title in ("Intern", "Senior", "Sr. II"):
        answer = client.get(f"/api/v1/occupations/normalize?q={title}", headers=admin_headers)
        assert answer.status_code == 200 and answer.json()["items"] == [], answer.text
    blank = client.get("/api/v1/occupations/normalize?q=%20", headers=admin_headers)
    assert blank.status_code == 422 and blank.json()["detail"][0]["field"] == "q"


def test_a_lead_gets_the_skills_a_title_implies_to_confirm(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    people = [make_employee("LEAD"), make_employee("E2")]
    assert (
        client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).status_code == 200
    )
    lead = token_for(state, Role.LEAD, "LEAD")
    response = client.get(
        "/api/v1/opportunities/suggest-skills?title=Senior%20Business%20Analyst", headers=lead
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["occupation"]["label"] == "business analyst"
    # First what the title alone would ask (required, then preferred), then the rest of the
    # occupation's skills, essential first.
    implied = [s.get("implied") for s in body["skills"]]
    asked = [k for k in implied if k]
    assert asked[0] == "required" and asked == sorted(asked, key=lambda k: k != "required")
    assert implied == asked + [None] * (len(implied) - len(asked))
    rest = [s["essential"] for s in body["skills"][len(asked) :]]
    assert rest == sorted(rest, reverse=True)
    assert {s["typical_for"] for s in body["skills"]} == {"business analyst"}
    employee = token_for(state, Role.EMPLOYEE, "E2")
    refused = client.get("/api/v1/opportunities/suggest-skills?title=x", headers=employee)
    assert refused.status_code == 403


@pytest.fixture
def company(state: ServiceState) -> dict[str, Any]:
    """The demo company (seed 11, 200 people) in the index."""
    demo = generate_company(
        load_packaged_taxonomy(), employees=200, opportunities=40, seed=11, as_of=TODAY
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, demo)
    with state.sessions() as session:
        state.matcher.load(session)
    lead = demo.opportunities[0].owner_external_id
    return {"lead": lead, "headers": token_for(state, Role.LEAD, lead)}


def test_a_title_only_role_gets_candidates_whose_explanations_name_inferred_skills(
    client: TestClient, company: dict[str, Any]
) -> None:
    """The issue's acceptance: a posting with a title and nothing else."""
    posting = {
        "external_id": "ROLE-SEC",
        "kind": "role",
        "title": "Senior ICT Security Administrator",
        "owner_external_id": company["lead"],
        "hours_per_week": 40,
    }
    created = client.post("/api/v1/opportunities", json=posting, headers=company["headers"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["occupation"]["label"] == "ICT security administrator"
    assert body["occupation"]["source"] == "inferred"
    assert body["required_skills"] and all(s["inferred"] for s in body["required_skills"])
    assert body["department"]  # the lead's own
    ranked = client.get(
        "/api/v1/opportunities/ROLE-SEC/candidates?limit=5", headers=company["headers"]
    )
    assert ranked.status_code == 200, ranked.text
    items = ranked.json()["items"]
    assert items
    texts = [r["text"] for item in items for r in item["explanation"]["reasons"]]
    assert any("(typical for: ICT security administrator)" in t for t in texts), texts
    # Every sentence about the required skills says where they came from, even "0 of 10", in
    # whichever direction it is said ("Holds 2 of the 10 …" or "Required skills not held: …").
    coverage = [t for t in texts if "required skills" in t.casefold()]
    assert coverage and all(
        t.endswith("(typical for: ICT security administrator)") for t in coverage
    ), texts


def test_skills_you_may_have_come_from_the_persons_occupation(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    record = make_employee("E1", title="Data Engineer", skills=[{"name": "SQL", "level": 3}])
    assert (
        client.post("/api/v1/employees/bulk", json=[record], headers=admin_headers).status_code
        == 200
    )
    me = token_for(state, Role.EMPLOYEE, "E1")
    response = client.get("/api/v1/employees/E1/suggested-skills", headers=me)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["occupation"]["label"] == "data engineer"
    labels = [s["label"] for s in body["skills"]]
    assert labels and "SQL" not in labels  # only what the profile lacks
    other = token_for(state, Role.EMPLOYEE, "E9")
    assert client.get("/api/v1/employees/E1/suggested-skills", headers=other).status_code == 403


def test_a_bulk_import_reports_merges_and_remaps(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    skills = [{"name": "Python", "level": 2}, {"name": PYTHON, "level": 4}]
    response = client.post(
        "/api/v1/employees/bulk",
        json=[make_employee("E1", skills=skills)],
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()["report"]
    assert report["merges"][0]["names"] == ["Python", PYTHON]
    assert report["merges"][0]["level"] == 4
    assert report["names"][0]["method"] == "alt_label"
    assert report["summary"]["merges"] == 1


def _finished(client: TestClient, location: str, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(600):
        job = client.get(location, headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"import job did not finish: {job}")


def test_a_large_bulk_import_runs_as_a_job_with_progress(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    people = [make_employee(f"E{i}", skills=[{"name": "SQL", "level": 3}]) for i in range(30)]
    response = client.post("/api/v1/employees/bulk?wait=false", json=people, headers=admin_headers)
    assert response.status_code == 202, response.text
    location = response.headers["Location"]
    assert response.json()["total"] == 30
    job = _finished(client, location, admin_headers)
    assert job["status"] == "succeeded", job
    assert (job["result"]["created"], job["done"]) == (30, 30)
    assert job["result"]["report"]["summary"]["names_not_exact"] == 0
    assert client.get("/api/v1/employees/E29", headers=admin_headers).status_code == 200


def test_a_failed_import_job_names_every_bad_field_and_writes_nothing(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    people = [make_employee("E1"), make_employee("E2", level=99)]
    response = client.post("/api/v1/employees/bulk?wait=false", json=people, headers=admin_headers)
    job = _finished(client, response.headers["Location"], admin_headers)
    assert job["status"] == "failed" and job["result"] is None
    assert [(e["index"], e["field"]) for e in job["errors"]] == [(1, "level")]
    assert client.get("/api/v1/employees/E1", headers=admin_headers).status_code == 404
    employee = token_for(state, Role.EMPLOYEE, "E1")
    assert client.get(response.headers["Location"], headers=employee).status_code == 403


def test_an_admin_alias_joins_a_company_name_to_its_skill(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    # A company's own platform and its nickname, both unknown to the taxonomy ("k8s" and
    # Kubernetes were the example until O*NET's tools named both).
    people = [
        make_employee("E1", skills=[{"name": "Quibbleflow", "level": 4}]),
        make_employee("E2", skills=[{"name": "qflw", "level": 2}]),
    ]
    assert (
        client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).status_code == 200
    )
    queue = client.get("/api/v1/skills/review?order=uses", headers=admin_headers).json()["items"]
    assert {s["label"] for s in queue} >= {"Quibbleflow", "qflw"}
    approved = client.post(
        "/api/v1/skills/custom:quibbleflow/review",
        json={"decision": "approve", "reason": "a real skill, widely held"},
        headers=admin_headers,
    )
    assert approved.status_code == 200, approved.text
    alias = client.post(
        "/api/v1/skills/aliases",
        json={"alias": "qflw", "skill_id": "custom:quibbleflow", "reason": "same thing"},
        headers=admin_headers,
    )
    assert alias.status_code == 201, alias.text
    assert alias.json()["merged_custom_skill"] == "custom:qflw" and alias.json()["profiles"] == 1
    moved = client.get("/api/v1/employees/E2", headers=admin_headers).json()["skills"]
    assert [s["skill_id"] for s in moved] == ["custom:quibbleflow"]
    again = client.post(
        "/api/v1/employees/bulk",
        json=[make_employee("E3", skills=[{"name": "QFLW", "level": 3}])],
        headers=admin_headers,
    ).json()
    assert again["report"]["names"][0]["method"] == "alias"
    listed = client.get("/api/v1/skills/aliases", headers=admin_headers).json()
    assert listed == [{"alias": "qflw", "skill_id": "custom:quibbleflow", "label": "Quibbleflow"}]
    taken = client.post(
        "/api/v1/skills/aliases",
        json={"alias": "SQL", "skill_id": "custom:quibbleflow", "reason": "wrong"},
        headers=admin_headers,
    )
    assert taken.status_code == 409
    removed = client.post(
        "/api/v1/skills/aliases/QFLW/remove", json={"reason": "testing"}, headers=admin_headers
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["skill_id"] == "custom:quibbleflow"
    assert client.get("/api/v1/skills/aliases", headers=admin_headers).json() == []
    after = client.post(
        "/api/v1/employees/bulk",
        json=[make_employee("E4", skills=[{"name": "qflw", "level": 3}])],
        headers=admin_headers,
    ).json()
    assert after["report"]["names"][0]["method"] != "alias"


def test_the_person_and_the_lead_override_an_inferred_occupation(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    people = [make_employee("E1", title="Data Analyst"), make_employee("LEAD")]
    assert (
        client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).status_code == 200
    )
    me = token_for(state, Role.EMPLOYEE, "E1")
    profile = client.get("/api/v1/employees/E1", headers=me).json()
    assert profile["occupation"]["source"] == "inferred"
    analyst = client.get(
        "/api/v1/occupations/normalize?q=business%20analyst&limit=1", headers=me
    ).json()["items"][0]
    chosen = client.patch(
        "/api/v1/employees/E1", json={"occupation_id": analyst["occupation_id"]}, headers=me
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["occupation"]["label"] == "business analyst"
    assert chosen.json()["occupation"]["source"] == "declared"
    # A new title (HR's field) leaves a declared occupation alone; so does the profile sent
    # back unchanged.
    retitled = client.patch("/api/v1/employees/E1", json={"title": "Chef"}, headers=admin_headers)
    assert retitled.status_code == 200, retitled.text
    retitled = retitled.json()
    assert retitled["occupation"]["occupation_id"] == analyst["occupation_id"]
    assert client.put("/api/v1/employees/E1", json=retitled, headers=me).status_code == 200
    cleared = client.patch("/api/v1/employees/E1", json={"occupation_id": None}, headers=me).json()
    assert (
        cleared["occupation"]["source"] == "inferred" and "chef" in cleared["occupation"]["label"]
    )

    lead = token_for(state, Role.LEAD, "LEAD")
    posting = {
        "external_id": "G1",
        "kind": "gig",
        "title": "Business Analyst",
        "owner_external_id": "LEAD",
        "hours_per_week": 4,
    }
    assert client.post("/api/v1/opportunities", json=posting, headers=lead).status_code == 201
    engineer = client.get(
        "/api/v1/occupations/normalize?q=data%20engineer&limit=1", headers=lead
    ).json()["items"][0]
    changed = client.patch(
        "/api/v1/opportunities/G1", json={"occupation_id": engineer["occupation_id"]}, headers=lead
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["occupation"]["source"] == "declared"
    # Its implied skills follow the occupation the lead chose.
    implied = {s["skill_id"] for s in body["required_skills"]}
    essential = set(state.taxonomy.occupations[engineer["occupation_id"]].essential_skill_ids)
    assert implied and implied <= essential | set(
        state.taxonomy.occupations[engineer["occupation_id"]].optional_skill_ids
    )
