"""One employee's path to a target role: the gap, an ordered path of what is open now, a
completed gig confirming a skill, and the re-planned path with that gap closed; the route between
the person's occupation and the target's, and the next moves from their occupation."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from data.schemas import CourseIn, Role
from data.storage.courses import upsert_courses
from data.storage.employees import get_employee
from data.storage.engine import transaction
from data.taxonomy.relatedness import OccupationRelatedness
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity
from tests.helpers.api import token_for

MINING = "data mining"


def _company(client: TestClient, state: ServiceState, admin: dict[str, str]) -> None:
    people = [
        make_employee("LEAD", level=5, title="Analytics Lead"),
        make_employee(
            "ANA",
            name="Ana Analyst",
            availability_hours_per_week=10,
            skills=[{"name": PYTHON, "level": 4}, {"name": "SQL", "level": 3}],
        ),
    ]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    postings = [
        make_opportunity(
            "ROLE-DS",
            owner="LEAD",
            kind="role",
            title="Data Scientist",
            hours_per_week=40,
            duration_weeks=None,
            required_skills=[{"name": PYTHON, "level": 4}, {"name": MINING, "level": 3}],
            preferred_skills=[{"name": "SQL", "level": 4}],
        ),
        make_opportunity(
            "GIG-MINING",
            owner="LEAD",
            title="Mine the support tickets",
            hours_per_week=4,
            required_skills=[{"name": MINING, "level": 3}],
            preferred_skills=[],
        ),
    ]
    posted = client.post("/api/v1/opportunities/bulk", json=postings, headers=admin)
    assert posted.status_code == 200
    sql = client.get("/api/v1/skills/normalize?q=SQL", headers=admin).json()["items"][0]
    with transaction(state.sessions) as session:
        upsert_courses(
            session,
            [
                CourseIn.model_validate(
                    {
                        "external_id": "C-SQL",
                        "title": "Advanced SQL",
                        "provider": "Academy",
                        "format": "self-paced",
                        "hours": 12,
                        "skills": [{"skill_id": sql["skill_id"], "level_from": 2, "level_to": 4}],
                    }
                )
            ],
        )


def test_a_path_to_a_target_role_is_replanned_once_a_gig_confirms_a_skill(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    _company(client, state, admin_headers)
    ana, lead = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.LEAD, "LEAD")
    assert client.get("/api/v1/employees/ANA/career-path", headers=ana).status_code == 409
    wrong = client.put(
        "/api/v1/employees/ANA/career-target",
        json={"opportunity_external_id": "GIG-MINING"},
        headers=ana,
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == (
        "opportunity_external_id"
    )
    assert (
        client.put(
            "/api/v1/employees/ANA/career-target",
            json={"opportunity_external_id": "ROLE-DS"},
            headers=lead,
        ).status_code
        == 403
    )
    chosen = client.put(
        "/api/v1/employees/ANA/career-target",
        json={"opportunity_external_id": "ROLE-DS"},
        headers=ana,
    )
    assert chosen.status_code == 200 and chosen.json()["target"]["label"] == "Data Scientist"

    plan = client.get("/api/v1/employees/ANA/career-path", headers=ana).json()
    assert {(g["name"], g["level_held"], g["level_needed"]) for g in plan["gap"]} == {
        (MINING, 0, 3),
        ("SQL", 3, 4),
    }
    steps = [(s["order"], s["kind"], s["external_id"]) for s in plan["path"]]
    assert sorted(s[2] for s in steps) == ["C-SQL", "GIG-MINING"]
    assert [s[0] for s in steps] == [1, 2]
    course = next(s for s in plan["path"] if s["external_id"] == "C-SQL")
    assert course["hours"] == 12 and course["hours_are"] == "total"
    assert course["builds"][0]["to"] == 4 and course["builds"][0]["closes_gap"]
    assert plan["progress"] == {"skills_needed": 3, "skills_met": 1, "share": 0.333}

    # The stretch gig, done: the lead confirms data mining at 3.
    assert (
        client.post(
            "/api/v1/opportunities/GIG-MINING/pipeline", json={"action": "apply"}, headers=ana
        ).status_code
        == 201
    )
    board = client.get("/api/v1/opportunities/GIG-MINING/pipeline", headers=lead).json()
    handle = board["stages"]["applied"][0]["candidate"]["handle"]
    for who, body in (
        (lead, {"action": "offer", "candidate": handle}),
        (ana, {"action": "accept_offer"}),
        (lead, {"action": "assign", "candidate": handle}),
        (
            lead,
            {
                "action": "complete",
                "candidate": handle,
                "rating": 5,
                "skills_used": [{"name": MINING, "level": 3}],
            },
        ),
    ):
        moved = client.post("/api/v1/opportunities/GIG-MINING/pipeline", json=body, headers=who)
        assert moved.status_code == 200, moved.text

    replanned = client.get("/api/v1/employees/ANA/career-path", headers=ana).json()
    assert [(g["name"], g["level_needed"]) for g in replanned["gap"]] == [("SQL", 4)]
    assert [s["external_id"] for s in replanned["path"]] == ["C-SQL"]
    assert replanned["progress"]["skills_met"] == 2

    # HR sees how many follow a path and how far they got.
    outcomes = client.get(
        "/api/v1/audits/outcomes", headers=token_for(state, Role.HR, "LEAD")
    ).json()
    assert outcomes["career_paths"]["people_with_target"] == 1
    assert outcomes["career_paths"]["skills_confirmed_since_target"] == 1


def test_an_occupation_can_be_the_target(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    _company(client, state, admin_headers)
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    found = client.get("/api/v1/occupations/normalize?q=data scientist", headers=ana).json()
    occupation = found["items"][0]["occupation_id"]
    unknown = client.put(
        "/api/v1/employees/ANA/career-target", json={"occupation_id": "esco:nope"}, headers=ana
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "occupation_id"
    chosen = client.put(
        "/api/v1/employees/ANA/career-target", json={"occupation_id": occupation}, headers=ana
    )
    assert chosen.status_code == 200 and chosen.json()["target"]["kind"] == "occupation"
    plan = client.get("/api/v1/employees/ANA/career-path", headers=ana).json()
    assert plan["progress"]["skills_needed"] == 10  # its ten most specific essential skills
    assert len(plan["gap"]) + plan["progress"]["skills_met"] == 10
    covered = {b["skill_id"] for step in plan["path"] for b in step["builds"]}
    uncovered = {g["skill_id"] for g in plan["not_covered"]}
    assert {g["skill_id"] for g in plan["gap"]} <= covered | uncovered


def _occupation_id(state: ServiceState, label: str) -> str:
    return next(o.occupation_id for o in state.taxonomy.occupations.values() if o.label == label)


@pytest.mark.parametrize(
    ("own", "target", "stones"),
    [
        ("data analyst", "data analyst", False),  # already there: no move
        ("data analyst", "data scientist", False),  # next door: the direct move
        ("nurse assistant", "specialist nurse", True),  # via general care nursing
    ],
)
def test_the_path_shows_the_route_between_the_occupations(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    own: str,
    target: str,
    stones: bool,
) -> None:
    _company(client, state, admin_headers)
    own_id, target_id = _occupation_id(state, own), _occupation_id(state, target)
    placed = [make_employee("BEA", title=own, occupation_id=own_id, skills=[])]
    assert (
        client.post("/api/v1/employees/bulk", json=placed, headers=admin_headers).status_code == 200
    )
    bea = token_for(state, Role.EMPLOYEE, "BEA")
    chosen = client.put(
        "/api/v1/employees/BEA/career-target", json={"occupation_id": target_id}, headers=bea
    )
    assert chosen.status_code == 200
    route = client.get("/api/v1/employees/BEA/career-path", headers=bea).json()["route"]
    relatedness = OccupationRelatedness.from_taxonomy(state.taxonomy)
    assert route["from_occupation"] == {"occupation_id": own_id, "label": own}
    assert route["to_occupation"] == {"occupation_id": target_id, "label": target}
    assert route["relatedness"] == pytest.approx(relatedness.score(own_id, target_id), abs=1e-4)
    if own == target:
        assert route["steps"] == [] and route["relatedness"] == 1.0
        return
    assert route["steps"][-1]["occupation_id"] == target_id
    hops = [own_id, *(s["occupation_id"] for s in route["steps"])]
    for before, step in zip(hops, route["steps"], strict=False):
        assert step["relatedness"] == pytest.approx(
            relatedness.score(before, step["occupation_id"]), abs=1e-4
        )
    assert route["weakest"] == min(s["relatedness"] for s in route["steps"])
    assert (len(route["steps"]) > 1) is stones
    if stones:  # a stepping stone is there because every move is more related than the leap
        assert route["weakest"] > route["relatedness"]


def test_a_person_without_an_occupation_has_no_route_and_no_next_moves(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    _company(client, state, admin_headers)
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    with transaction(state.sessions) as session:
        employee = get_employee(session, "ANA")
        assert employee is not None
        employee.occupation_id = None
    assert (
        client.put(
            "/api/v1/employees/ANA/career-target",
            json={"opportunity_external_id": "ROLE-DS"},
            headers=ana,
        ).status_code
        == 200
    )
    assert client.get("/api/v1/employees/ANA/career-path", headers=ana).json()["route"] is None
    moves = client.get("/api/v1/employees/ANA/next-moves", headers=ana).json()
    assert moves["items"] == [] and moves["occupation"] is None
    assert "no occupation" in moves["why_empty"]


@pytest.mark.parametrize(
    "own", ["data analyst", "welder", "specialist nurse", "software developer"]
)
def test_next_moves_are_related_occupations_with_what_the_person_holds_and_lacks(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str], own: str
) -> None:
    own_id = _occupation_id(state, own)
    essential = state.taxonomy.occupations[own_id].essential_skill_ids
    skills = [{"skill_id": s, "level": 3} for s in essential[:6]]
    people = [
        make_employee("CY", title=own, occupation_id=own_id, skills=skills),
        make_employee("DEV", title="Developer"),
    ]
    assert (
        client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).status_code == 200
    )
    cy = token_for(state, Role.EMPLOYEE, "CY")
    answer = client.get("/api/v1/employees/CY/next-moves?limit=4", headers=cy)
    assert answer.status_code == 200
    body = answer.json()
    assert body["occupation"] == {"occupation_id": own_id, "label": own}
    moves = body["items"]
    assert 1 <= len(moves) <= 4 and own_id not in {m["occupation_id"] for m in moves}
    relatedness = OccupationRelatedness.from_taxonomy(state.taxonomy)
    nearest = {n for n, _ in relatedness.neighbours(own_id, 30)}
    held = {s["skill_id"] for s in skills}
    for move in moves:
        assert move["occupation_id"] in nearest
        assert {h["skill_id"] for h in move["held"]} <= held
        assert not {g["skill_id"] for g in move["gap"]} & held
    # Someone else's moves are theirs; a limit out of range is named.
    dev = token_for(state, Role.EMPLOYEE, "DEV")
    assert client.get("/api/v1/employees/CY/next-moves", headers=dev).status_code == 403
    bad = client.get("/api/v1/employees/CY/next-moves?limit=0", headers=cy)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "limit"
