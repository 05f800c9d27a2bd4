"""The "owning lead or an admin" check (serving/access.py) answers alike on every route that
uses it, whether as a FastAPI dependency or called with the loaded record: another lead 403
with the same words, a draft 404 to whoever may not know it exists, a malformed request 422
before any of that; and an approval refuses HR before escalation (403) and a stranger as if
there were none (404)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from data.schemas import Role
from serving.state import ServiceState
from tests.factories import make_opportunity
from tests.helpers.api import token_for
from tests.serving.test_pipeline import company, step

Headers = dict[str, str]
NOT_THE_OWNER = "only the lead who owns this opportunity or an admin may do this"


def test_only_the_owning_lead_or_an_admin_acts_on_a_posting(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    draft = make_opportunity("DRAFT", owner="LEAD", title="Unannounced gig", status="draft")
    assert client.post("/api/v1/opportunities/bulk", json=[draft], headers=admin_headers).is_success
    lead, other = token_for(state, Role.LEAD, "LEAD"), token_for(state, Role.LEAD, "MGR")
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    assert step(client, ana, "GIG-BIG", action="apply").status_code == 201
    for path in ("pipeline", "applications", "candidates", "overrides"):
        url = f"/api/v1/opportunities/GIG-BIG/{path}"
        assert client.get(url, headers=lead).status_code == 200, path
        assert client.get(url, headers=admin_headers).status_code == 200, path
        refused = client.get(url, headers=other)
        assert refused.status_code == 403, path
        assert refused.json()["detail"] == NOT_THE_OWNER, path
        hidden = client.get(f"/api/v1/opportunities/DRAFT/{path}", headers=other)
        assert hidden.status_code == 404, path
        assert hidden.json()["detail"] == "no opportunity 'DRAFT'", path
        missing = client.get(f"/api/v1/opportunities/NOPE/{path}", headers=lead)
        assert missing.status_code == 404, path
    edit = client.patch("/api/v1/opportunities/GIG-BIG", json={"seats": 3}, headers=other)
    assert (edit.status_code, edit.json()["detail"]) == (403, NOT_THE_OWNER)
    # Malformed input is named before anyone's rights are looked at, as it always was.
    bad_limit = client.get("/api/v1/opportunities/GIG-BIG/candidates?limit=0", headers=other)
    assert bad_limit.status_code == 422 and bad_limit.json()["detail"][0]["field"] == "limit"
    bad_edit = client.patch("/api/v1/opportunities/DRAFT", json={"seats": "x"}, headers=other)
    assert bad_edit.status_code == 422
    # A lead's step on someone else's posting: the same check, the step's own words.
    offer = step(client, other, "GIG-BIG", action="offer", candidate="ANA")
    assert offer.status_code == 403
    assert offer.json()["detail"] == (
        "only the lead who owns this opportunity (or an admin) takes this step"
    )


def test_an_approval_is_decided_by_the_manager_and_refused_to_others_as_before(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    ana, lead = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.LEAD, "LEAD")
    manager, hr = token_for(state, Role.LEAD, "MGR"), token_for(state, Role.HR, "CAT")
    stranger = token_for(state, Role.EMPLOYEE, "BEN")
    assert step(client, ana, "GIG-BIG", action="apply").status_code == 201
    assert step(client, lead, "GIG-BIG", action="offer", candidate="ANA").status_code == 200
    assert step(client, ana, "GIG-BIG", action="accept_offer").status_code == 200
    [waiting] = client.get("/api/v1/approvals", headers=manager).json()["items"]
    assert waiting["employee"]["external_id"] == "ANA"
    assert waiting["approval"] | {"requested_at": None} == {
        "status": "pending",
        "approver_external_id": "MGR",
        "requested_at": None,
        "escalated": False,
    }
    assert client.get("/api/v1/approvals", headers=stranger).json()["items"] == []
    decide = "/api/v1/approvals/GIG-BIG/ANA"
    body = {"decision": "approve", "reason": "the quarter allows it"}
    too_early = client.post(decide, json=body, headers=hr)
    assert too_early.status_code == 403
    assert too_early.json()["detail"] == "HR decides an approval only once it has escalated"
    unknown = client.post(decide, json=body, headers=stranger)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "no approval for 'ANA' on 'GIG-BIG'"
    none = client.post("/api/v1/approvals/GIG-SMALL/ANA", json=body, headers=manager)
    assert none.status_code == 404
    approved = client.post(decide, json=body, headers=manager)
    assert approved.status_code == 200, approved.text
    assert approved.json()["approval"]["status"] == "approved"
    assert approved.json()["approval"]["reason"] == "the quarter allows it"
    again = client.post(decide, json=body, headers=manager)
    assert again.status_code == 409
    assert again.json()["detail"] == "this approval was already decided: approved"
    board = client.get("/api/v1/opportunities/GIG-BIG/pipeline", headers=lead).json()
    [pair] = board["stages"]["accepted"]
    assert pair["approval"]["status"] == "approved"
