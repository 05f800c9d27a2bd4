"""What a lead may learn about people, and what one person's request may leave for others:
free text in skills stays masked until HR reviews it, handles are per lead and opportunity,
drafts do not exist for anyone but their lead, and a failed request leaves no skill behind."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from data.schemas import Role
from data.storage.tables import SkillRow
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity
from tests.helpers.api import seed, token_for

PERSON = "Lucas Tanaka lucas.tanaka@corp.example"


def _normalized(client: TestClient, headers: dict[str, str], q: str) -> list[str]:
    response = client.get("/api/v1/skills/normalize", params={"q": q, "limit": 10}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["label"] for item in response.json()["items"]]


def test_a_skill_named_after_a_person_reaches_no_lead_until_hr_reviews_it(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    data = token_for(state, Role.EMPLOYEE, "DATA")
    lead = token_for(state, Role.LEAD, "LEAD")
    profile = client.get("/api/v1/employees/DATA", headers=data).json()
    profile["skills"].append({"name": PERSON, "level": 3})
    saved = client.put("/api/v1/employees/DATA", json=profile, headers=data)
    assert saved.status_code == 200, saved.text
    assert PERSON in [s["name"] for s in saved.json()["skills"]]  # the person sees their own
    assert (
        client.post("/api/v1/opportunities/GIG-DATA/applications", headers=data).status_code == 201
    )

    def lead_views() -> str:
        applicants = client.get("/api/v1/opportunities/GIG-DATA/applications", headers=lead)
        candidates = client.get("/api/v1/opportunities/GIG-WEB/candidates", headers=lead)
        assert applicants.status_code == candidates.status_code == 200
        return applicants.text + candidates.text

    seen = lead_views()
    assert not re.search(r"lucas|tanaka|@corp", seen, re.IGNORECASE), seen
    applicant = client.get("/api/v1/opportunities/GIG-DATA/applications", headers=lead).json()
    posting = client.get("/api/v1/opportunities/GIG-DATA", headers=lead).json()
    asked = [s["name"] for s in posting["required_skills"] + posting["preferred_skills"]]
    # An applicant's card speaks of the skills the posting asks for, nothing else they hold.
    shown = applicant["items"][0]["candidate"]["asked_skills"]
    assert [s["name"] for s in shown] == asked

    hr = token_for(state, Role.HR, "WEB")
    queue = client.get("/api/v1/skills/review", headers=hr).json()["items"]
    [waiting] = [s for s in queue if s["label"] == PERSON]
    assert waiting["uses"] == {"profiles": 1, "opportunities": 0}
    decided = client.post(
        f"/api/v1/skills/{waiting['skill_id']}/review",
        json={"decision": "approve", "label": "client relations", "reason": "names removed"},
        headers=hr,
    )
    assert decided.status_code == 200, decided.text
    after = lead_views()
    # Reviewed or not, a skill the posting does not ask for is not on a lead's card.
    assert "client relations" not in after and not re.search(r"lucas|tanaka", after, re.IGNORECASE)
    events = client.get("/api/v1/audits/oversight", headers=hr).json()["items"]
    assert [e["action"] for e in events][:1] == ["skill_review"]


def test_a_rejected_request_leaves_no_skill_for_anyone_to_be_suggested(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    wes = token_for(state, Role.EMPLOYEE, "WEB")
    bad = [
        make_employee("NEW1", skills=[{"name": "zebra wrangling quixotry", "level": 2}]),
        make_employee("NEW2", level=9),
    ]
    rejected = client.post("/api/v1/employees/bulk", json=bad, headers=admin_headers)
    assert rejected.status_code == 422
    posting = make_opportunity(
        "GIG-NEW", owner="LEAD", required_skills=[{"name": "quixotry of zebras", "level": 2}]
    )
    posting["hours_per_week"] = 99
    lead = token_for(state, Role.LEAD, "LEAD")
    assert client.post("/api/v1/opportunities", json=posting, headers=lead).status_code == 422

    for text in ("zebra wrangling quixotry", "quixotry of zebras"):
        assert all("quixotry" not in label for label in _normalized(client, wes, text))
    with state.sessions() as session:
        custom = session.scalars(select(SkillRow.label).where(SkillRow.source == "custom")).all()
    assert not any("quixotry" in label for label in custom)


def test_an_unreviewed_custom_skill_is_suggested_only_to_whoever_introduced_it(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    dana, wes = (token_for(state, Role.EMPLOYEE, e) for e in ("DATA", "WEB"))
    profile = client.get("/api/v1/employees/DATA", headers=dana).json()
    profile["skills"].append({"name": "quarterly zebra census", "level": 2})
    assert client.put("/api/v1/employees/DATA", json=profile, headers=dana).status_code == 200

    assert "quarterly zebra census" in _normalized(client, dana, "quarterly zebra census")
    assert "quarterly zebra census" not in _normalized(client, wes, "quarterly zebra census")


def test_free_text_names_past_the_cap_are_refused_in_one_encoder_pass(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    profile = client.get("/api/v1/employees/DATA", headers=dana).json()
    cap = state.settings.max_new_skill_names
    profile["skills"] = [{"name": f"made-up skill number {n}", "level": 2} for n in range(200)]
    calls = state.encoder.calls
    response = client.put("/api/v1/employees/DATA", json=profile, headers=dana)

    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["detail"]]
    assert fields[0] == f"skills.{cap}.name" and len(fields) == 200 - cap
    assert state.encoder.calls - calls <= 1  # the names within the cap, in one batch
    stored = client.get("/api/v1/employees/DATA", headers=dana).json()
    assert not any("made-up" in s["name"] for s in stored["skills"])


def test_handles_differ_per_lead_and_opportunity_and_act_only_where_shown(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    other_lead = make_employee("LEAD2", name="Olga Other", title="Data Lead", level=5)
    assert client.post("/api/v1/employees/bulk", json=[other_lead], headers=admin_headers)
    twin = make_opportunity("GIG-TWIN", owner="LEAD2")
    assert client.post("/api/v1/opportunities/bulk", json=[twin], headers=admin_headers)
    first, second = token_for(state, Role.LEAD, "LEAD"), token_for(state, Role.LEAD, "LEAD2")

    def handles(opportunity: str, headers: dict[str, str]) -> set[str]:
        response = client.get(f"/api/v1/opportunities/{opportunity}/candidates", headers=headers)
        assert response.status_code == 200, response.text
        return {item["candidate"]["handle"] for item in response.json()["items"]}

    mine, same_lead_other_gig = handles("GIG-DATA", first), handles("GIG-WEB", first)
    theirs = handles("GIG-TWIN", second)
    assert mine and theirs and not mine & theirs and not mine & same_lead_other_gig

    def pin(opportunity: str, handle: str, headers: dict[str, str]) -> int:
        body = {"candidate": handle, "action": "pin", "reason": "strong portfolio"}
        url = f"/api/v1/opportunities/{opportunity}/overrides"
        return client.post(url, json=body, headers=headers).status_code

    assert pin("GIG-DATA", next(iter(theirs)), first) == 404  # seen only by the other lead
    assert pin("GIG-DATA", next(iter(same_lead_other_gig)), first) == 404  # another list
    assert pin("GIG-DATA", next(iter(mine)), first) == 201


def test_a_draft_does_not_exist_for_anyone_but_its_lead_and_admins(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    draft = make_opportunity("GIG-DRAFT", owner="LEAD", status="draft")
    assert client.post("/api/v1/opportunities/bulk", json=[draft], headers=admin_headers)
    outsider = token_for(state, Role.LEAD, "WEB")
    employee = token_for(state, Role.EMPLOYEE, "DATA")
    hr = token_for(state, Role.HR, "SHY")
    base = "/api/v1/opportunities/GIG-DRAFT"
    attempts = [
        ("GET", base, outsider, None),
        ("GET", base, hr, None),
        ("PATCH", base, outsider, {"title": "mine now"}),
        ("GET", f"{base}/candidates", outsider, None),
        ("GET", f"{base}/applications", outsider, None),
        ("GET", f"{base}/overrides", hr, None),
        (
            "POST",
            f"{base}/overrides",
            hr,
            {"candidate": "DATA", "action": "hide", "reason": "x" * 5},
        ),
        ("POST", f"{base}/applications", employee, None),
        ("POST", f"{base}/saves", employee, None),
        ("POST", f"{base}/dismissals", employee, None),
        ("GET", "/api/v1/employees/DATA/matches/GIG-DRAFT/what-if", employee, None),
    ]
    unknown = client.get("/api/v1/opportunities/NEVER-POSTED", headers=outsider).json()
    for method, url, headers, body in attempts:
        response = client.request(method, url, headers=headers, json=body)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["detail"] == unknown["detail"].replace("NEVER-POSTED", "GIG-DRAFT")
    lead = token_for(state, Role.LEAD, "LEAD")
    assert client.get(base, headers=lead).status_code == 200
    assert client.get(f"{base}/candidates", headers=lead).status_code == 200
    assert client.get(base, headers=admin_headers).status_code == 200


def test_lead_reasons_carry_no_amounts(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(client, admin_headers)
    monkeypatch.setattr(state.settings, "mask_k", 1)  # a tiny company: cards shown in full
    lead = token_for(state, Role.LEAD, "LEAD")
    body = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=lead).json()
    texts = [r["text"] for item in body["items"] for r in item["explanation"]["reasons"]]
    assert texts and not any(re.search(r"\d\.\d", t) for t in texts), texts
    reasons = [r for item in body["items"] for r in item["explanation"]["reasons"]]
    assert all(set(r) == {"feature", "text", "effect"} for r in reasons)  # no amount
    assert all(
        "score" not in item and "similarity" not in item["explanation"] for item in body["items"]
    )


def test_a_lead_cannot_probe_for_text_someone_else_typed(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(client, admin_headers)
    data, lead = token_for(state, Role.EMPLOYEE, "DATA"), token_for(state, Role.LEAD, "LEAD")
    profile = client.get("/api/v1/employees/DATA", headers=data).json()
    profile["skills"].append({"name": PERSON, "level": 3})
    saved = client.put("/api/v1/employees/DATA", json=profile, headers=data).json()
    [typed] = [s["skill_id"] for s in saved["skills"] if s["name"] == PERSON]

    # Typing the same text into a posting makes the lead's own skill, not a link to Dana's.
    probe = make_opportunity(
        "GIG-PROBE", owner="LEAD", required_skills=[{"name": PERSON, "level": 1}]
    )
    posted = client.post("/api/v1/opportunities", json=probe, headers=lead)
    assert posted.status_code == 201, posted.text
    [theirs] = [s["skill_id"] for s in posted.json()["required_skills"]]
    assert theirs != typed
    # Cards shown in full (k = 1) so that a held skill would show.
    monkeypatch.setattr(state.settings, "mask_k", 1)
    listed = client.get("/api/v1/opportunities/GIG-PROBE/candidates", headers=lead).json()
    held = [
        s["name"]
        for i in listed["items"]
        for s in i["candidate"]["asked_skills"]
        if s["held"] != "not_held"
    ]
    assert listed["items"] and PERSON not in held  # nobody holds the lead's text
    # Naming Dana's skill by its id answers exactly as for an id that does not exist.
    by_id = make_opportunity(
        "GIG-PROBE2", owner="LEAD", required_skills=[{"skill_id": typed, "level": 1}]
    )
    never = make_opportunity(
        "GIG-PROBE3", owner="LEAD", required_skills=[{"skill_id": "custom:never-typed", "level": 1}]
    )
    answers = [client.post("/api/v1/opportunities", json=o, headers=lead) for o in (by_id, never)]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json()["detail"] == answers[1].json()["detail"]


def test_renaming_an_approved_skill_takes_the_old_name_out_of_suggestions(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    dana, wes = (token_for(state, Role.EMPLOYEE, e) for e in ("DATA", "WEB"))
    hr = token_for(state, Role.HR, "SHY")
    typed = "Mia Rossi mia.rossi@corp.example"
    profile = client.get("/api/v1/employees/DATA", headers=dana).json()
    profile["skills"].append({"name": typed, "level": 2})
    assert client.put("/api/v1/employees/DATA", json=profile, headers=dana).status_code == 200
    [waiting] = client.get("/api/v1/skills/review", headers=hr).json()["items"]

    def review(skill_id: str, **body: str) -> dict:
        body = {"reason": "reviewed by HR", **body}
        response = client.post(f"/api/v1/skills/{skill_id}/review", json=body, headers=hr)
        assert response.status_code == 200, response.text
        return response.json()

    review(waiting["skill_id"], decision="approve")  # published as typed, by mistake
    assert typed in _normalized(client, wes, typed)
    renamed = review(waiting["skill_id"], decision="approve", label="stakeholder liaison")
    assert renamed["published_as"] != waiting["skill_id"]
    assert typed not in _normalized(client, wes, typed)
    assert "stakeholder liaison" in _normalized(client, wes, "stakeholder liaison")
    held = client.get("/api/v1/employees/DATA", headers=dana).json()["skills"]
    assert "stakeholder liaison" in [s["name"] for s in held] and typed not in str(held)
