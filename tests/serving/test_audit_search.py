"""HR's search of the served-ranking log: every word must match, anywhere in a ranking's
readable fields; a person is found by id or name only with the auditor permission; tables name
opportunities by title for all HR and people by name for auditors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from data.schemas import Role
from data.storage.tables import EmployeeRow, OpportunityRow
from serving.state import ServiceState
from tests.helpers.api import token_for
from tests.serving.test_fairness_api import stored_demo_with_open_gig


@pytest.fixture
def company(state: ServiceState) -> dict[str, Any]:
    """A small demo company in the index, its first open gig, HR and auditor tokens."""
    demo, gig = stored_demo_with_open_gig(state, employees=200, opportunities=40)
    return {
        "gig": gig.external_id,
        "employee": demo.employees[5].external_id,
        "lead": token_for(state, Role.LEAD, gig.owner_external_id),
        "hr": token_for(state, Role.HR, demo.employees[2].external_id),
        "auditor": token_for(state, Role.HR, demo.employees[2].external_id, ("auditor",)),
    }


def _served(client: TestClient, state: ServiceState, company: dict[str, Any]) -> dict[str, str]:
    """A lead's candidate list for the gig and an employee's matches, by request id."""
    lists = client.get(
        f"/api/v1/opportunities/{company['gig']}/candidates?limit=10", headers=company["lead"]
    )
    assert lists.status_code == 200, lists.text
    person = company["employee"]
    mine = token_for(state, Role.EMPLOYEE, person)
    matches = client.get(f"/api/v1/employees/{person}/matches?kind=gig", headers=mine)
    assert matches.status_code == 200, matches.text
    return {"candidates": lists.json()["request_id"], "matches": matches.json()["request_id"]}


def _search(client: TestClient, headers: dict[str, str], q: str) -> dict[str, Any]:
    answer = client.get("/api/v1/audits/rankings", params={"q": q}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _ids(found: dict[str, Any]) -> set[str]:
    return {item["request_id"] for item in found["items"]}


def test_words_match_anywhere_and_all_must_match(
    client: TestClient, state: ServiceState, company: dict[str, Any]
) -> None:
    served = _served(client, state, company)
    with state.sessions() as session:
        title = session.query(OpportunityRow.title).filter_by(external_id=company["gig"]).scalar()
    words = title.split()
    # The title's words out of order, with the kind: the candidate list is found and named.
    query = " ".join([*reversed(words), "gig"])
    found = _search(client, company["hr"], query)
    assert served["candidates"] in _ids(found)
    hit = next(i for i in found["items"] if i["request_id"] == served["candidates"])
    assert hit["query_name"] == title and hit["query_external_id"] == company["gig"]
    # One word that matches nothing: no ranking holds every word.
    assert _search(client, company["hr"], f"{words[0]} zzzunheardof")["items"] == []
    # A request id finds its ranking alone.
    assert _ids(_search(client, company["hr"], served["matches"])) == {served["matches"]}


def test_a_person_is_found_by_id_or_name_only_by_auditors(
    client: TestClient, state: ServiceState, company: dict[str, Any]
) -> None:
    served = _served(client, state, company)
    person = company["employee"]
    with state.sessions() as session:
        name = session.query(EmployeeRow.name).filter_by(external_id=person).scalar()
    # Plain HR: a person's id finds nothing, and the answer says why.
    plain = _search(client, company["hr"], person)
    assert plain["items"] == [] and "auditor permission" in plain["note"]
    listed = client.get("/api/v1/audits/rankings", headers=company["hr"]).json()["items"]
    theirs = next(i for i in listed if i["request_id"] == served["matches"])
    assert theirs["query_external_id"] is None and theirs["query_name"] is None
    # An auditor: the id finds the person's own matches, named.
    by_id = _search(client, company["auditor"], person)
    assert served["matches"] in _ids(by_id)
    mine = next(i for i in by_id["items"] if i["request_id"] == served["matches"])
    assert mine["query_name"] == name and by_id["note"] is None
    # Looking a person up is on the oversight log, like an item-level read.
    events = client.get("/api/v1/audits/oversight", headers=company["hr"]).json()["items"]
    assert any(e["action"] == "audit_read" and e["details"].get("query") == person for e in events)
    # Their name, words reversed, finds the same list.
    assert served["matches"] in _ids(
        _search(client, company["auditor"], " ".join(name.split()[::-1]))
    )


def test_an_auditor_finds_the_candidate_lists_a_person_was_in(
    client: TestClient, state: ServiceState, company: dict[str, Any]
) -> None:
    served = _served(client, state, company)
    record = client.get(
        f"/api/v1/audits/rankings/{served['candidates']}", headers=company["auditor"]
    ).json()
    listed = record["items"][0]["id"]
    assert served["candidates"] in _ids(_search(client, company["auditor"], listed))
    assert served["candidates"] not in _ids(_search(client, company["hr"], listed))


def test_oversight_names_the_posting_for_hr_and_the_actor_for_auditors(
    client: TestClient, state: ServiceState, company: dict[str, Any]
) -> None:
    paused = client.put(
        "/api/v1/audits/policies/role",
        json={"paused": True, "reason": "role matching under review"},
        headers=company["auditor"],
    )
    assert paused.status_code == 200, paused.text
    plain = client.get("/api/v1/audits/oversight", headers=company["hr"]).json()["items"][0]
    audited = client.get("/api/v1/audits/oversight", headers=company["auditor"]).json()["items"][0]
    assert plain["action"] == audited["action"] == "pause"
    assert plain["actor_name"] is None
    with state.sessions() as session:
        name = session.query(EmployeeRow.name).filter_by(external_id=audited["actor"]).scalar()
    assert name and audited["actor_name"] == name
