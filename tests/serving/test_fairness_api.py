"""Fairness as HR and leads meet it through the API: re-ranked candidate lists that reveal no
one's group, a replayable audit log, pause and overrides with reasons, reports and monitoring."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from data.demo import DemoCompany, generate_company
from data.importing.demo import store_demo_company
from data.schemas import OpportunityIn, Role
from data.storage.engine import transaction
from data.storage.tables import AuditRecordRow
from data.taxonomy.packaged import load_packaged_taxonomy
from serving.state import ServiceState
from tests.conftest import TODAY
from tests.helpers.api import token_for

PROTECTED_WORDS = ("gender", "female", "male", "race", "ethnicity", "age_band", "disability")


def words_outside_skill_labels(value: Any) -> set[str]:
    """Every key and word of a response except skill labels: ESCO has skills such as "ensure
    gender equality in the workplace", which a lead may well see."""
    if isinstance(value, dict):
        found = {str(key).lower() for key in value}
        for key, item in value.items():
            if key not in ("label", "name", "skill_label"):
                found |= words_outside_skill_labels(item)
        return found
    if isinstance(value, list):
        return set().union(*(words_outside_skill_labels(item) for item in value))
    if isinstance(value, str):
        return set(re.findall(r"[a-z_]+", value.lower()))
    return set()


def stored_demo_with_open_gig(
    state: ServiceState, *, employees: int, opportunities: int
) -> tuple[DemoCompany, OpportunityIn]:
    """A demo company (with its history and self-reported demographics) stored and indexed, and
    its first open gig whose seat the simulated history has not filled (else no one is
    eligible)."""
    demo = generate_company(
        load_packaged_taxonomy(),
        employees=employees,
        opportunities=opportunities,
        seed=11,
        as_of=TODAY,
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, demo)
    with state.sessions() as session:
        state.matcher.load(session)
    filled = {i.opportunity_external_id for i in demo.interactions if i.type.value == "accept"}
    gig = next(
        o
        for o in demo.opportunities
        if o.kind.value == "gig" and o.status.value == "open" and o.external_id not in filled
    )
    return demo, gig


@pytest.fixture
def company(state: ServiceState) -> dict[str, Any]:
    """A small demo company (with self-reported demographics) in the index; its first gig."""
    demo, gig = stored_demo_with_open_gig(state, employees=200, opportunities=40)
    return {
        "gig": gig.external_id,
        "owner": gig.owner_external_id,
        "employee": demo.employees[5].external_id,
        "employees": [e.external_id for e in demo.employees[3:40]],
        "lead": token_for(state, Role.LEAD, gig.owner_external_id),
        "hr": token_for(state, Role.HR, demo.employees[2].external_id),
        "auditor": token_for(state, Role.HR, demo.employees[2].external_id, ("auditor",)),
    }


def candidates(client: TestClient, company: dict[str, Any], **params: Any) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in {"limit": 10, **params}.items())
    response = client.get(
        f"/api/v1/opportunities/{company['gig']}/candidates?{query}", headers=company["lead"]
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_lead_sees_a_re_ranked_list_that_names_no_group_and_it_is_logged(
    client: TestClient, state: ServiceState, company: dict[str, Any]
) -> None:
    body = candidates(client, company)
    assert body["ranking"]["policy"] == "fa*ir"
    assert not words_outside_skill_labels(body["items"]) & set(PROTECTED_WORDS)
    assert "moves" not in body and all("moved" not in item for item in body["items"])

    # Item by item, a record tells who FA*IR moved up: HR needs the auditor permission...
    path = f"/api/v1/audits/rankings/{body['request_id']}"
    refused = client.get(path, headers=company["hr"])
    assert refused.status_code == 403 and "auditor" in refused.json()["detail"]
    record = client.get(path, headers=company["auditor"]).json()
    assert record["caller_role"] == "lead" and record["direction"] == "opportunity"
    # ... and each such read is itself on the oversight log.
    events = client.get("/api/v1/audits/oversight", headers=company["hr"]).json()["items"]
    reads = [e for e in events if e["action"] == "audit_read"]
    assert [e["details"]["request_id"] for e in reads] == [body["request_id"]]
    assert record["model"]["version"] == body["model"]["version"]
    assert record["policy"]["name"] == "fa*ir" and "membership_digest" in record["policy"]
    assert not any(word in str(record["items"]).lower() for word in ("female", "male"))
    shown = [i for i in record["items"] if i["after"] is not None]
    served = sorted(shown, key=lambda i: i["after"])[:10]
    assert [i["after"] for i in served] == [item["rank"] for item in body["items"]]
    assert all("score" not in item for item in body["items"])
    # Leads cannot read the audit log.
    assert (
        client.get(
            f"/api/v1/audits/rankings/{body['request_id']}", headers=company["lead"]
        ).status_code
        == 403
    )


def test_replay_reproduces_served_lists_in_both_directions(
    client: TestClient, state: ServiceState, company: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    served = [candidates(client, company, limit=15)["request_id"]]
    for employee in company["employees"]:
        matches = client.get(
            f"/api/v1/employees/{employee}/matches?kind=gig&limit=10", headers=admin_headers
        ).json()
        if matches["items"]:
            break
    served.append(matches["request_id"])
    for request_id in served:
        path = f"/api/v1/audits/rankings/{request_id}/replay"
        result = client.get(path, headers=company["hr"]).json()
        assert result["exact"] is True, result
        # The lead's list was re-ranked on the membership stored: replay reads the same.
        assert result["membership_unchanged"] is (True if request_id == served[0] else None)
        # The explanations served are recomputed from the logged inputs and model version.
        assert result["explanation_match"] is True
        assert result["scores_match"] and result["max_score_difference"] == 0.0
        # HR's default view verifies without naming anyone; an auditor may list the items.
        assert "served" not in result and result["items"]["served"] > 0
        assert client.get(f"{path}?items=true", headers=company["hr"]).status_code == 403
        listed = client.get(f"{path}?items=true", headers=company["auditor"]).json()
        assert listed["served"] == listed["replayed"] and listed["served"]
    verified = client.get("/api/v1/audits/verify", headers=company["hr"]).json()
    assert verified["ok"] is True and verified["problems"] == []


def test_hr_pauses_ranking_for_a_kind_and_the_pause_is_logged(
    client: TestClient, company: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    bad = client.put("/api/v1/audits/policies/gig", json={"paused": True}, headers=company["hr"])
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "reason"
    paused = client.put(
        "/api/v1/audits/policies/gig",
        json={"paused": True, "reason": "model under review after complaint"},
        headers=company["hr"],
    )
    assert paused.status_code == 200 and paused.json()["paused"] is True
    body = candidates(client, company)
    assert body["ranking"]["policy"] == "paused"
    admin = client.get(
        f"/api/v1/opportunities/{company['gig']}/candidates?limit=10", headers=admin_headers
    ).json()
    similarity = [item["explanation"]["similarity"] for item in admin["items"]]
    assert similarity == sorted(similarity, reverse=True)
    # No model decides a paused list, so none is put into words or scored, and the log
    # replays it as served.
    assert all(i["explanation"]["reasons"] == [] for i in body["items"])
    assert all("paused by HR" in i["explanation"]["paused"] for i in body["items"])
    assert [i["score"] for i in admin["items"]] == similarity
    replayed = client.get(
        f"/api/v1/audits/rankings/{body['request_id']}/replay", headers=company["hr"]
    ).json()
    assert replayed["exact"] is True
    what_if = client.get(
        f"/api/v1/employees/{company['employee']}/matches/{company['gig']}/what-if",
        headers=admin_headers,
    )
    assert what_if.status_code == 409 and "paused" in what_if.json()["detail"]
    events = client.get("/api/v1/audits/oversight", headers=company["hr"]).json()["items"]
    assert events[0]["action"] == "pause" and events[0]["kind"] == "gig"
    assert events[0]["reason"] == "model under review after complaint"
    assert (
        client.put(
            "/api/v1/audits/policies/gig",
            json={"paused": True, "reason": "x" * 5},
            headers=company["lead"],
        ).status_code
        == 403
    )


def test_a_lead_pins_and_hides_candidates_with_reasons(
    client: TestClient, company: dict[str, Any]
) -> None:
    first = candidates(client, company)["items"]
    fifth, second = first[4]["candidate"]["handle"], first[1]["candidate"]["handle"]
    url = f"/api/v1/opportunities/{company['gig']}/overrides"
    pin = client.post(
        url,
        json={"candidate": fifth, "action": "pin", "reason": "worked with them on X"},
        headers=company["lead"],
    )
    assert pin.status_code == 201 and "external_id" not in pin.json()
    hide = client.post(
        url,
        json={"candidate": second, "action": "hide", "reason": "already on another gig"},
        headers=company["lead"],
    )
    assert hide.status_code == 201
    after = candidates(client, company)["items"]
    assert after[0]["candidate"]["handle"] == fifth and after[0]["pinned"] is True
    assert second not in {item["candidate"]["handle"] for item in after}

    by_id = client.post(
        url,
        json={"candidate": company["employee"], "action": "pin", "reason": "guessing ids"},
        headers=company["lead"],
    )
    assert by_id.status_code == 422 and by_id.json()["detail"][0]["field"] == "candidate"
    unknown = client.post(
        url,
        json={"candidate": "cand-0000000000", "action": "pin", "reason": "who?"},
        headers=company["lead"],
    )
    assert unknown.status_code == 404

    listed = client.get(url, headers=company["lead"]).json()["items"]
    revoked = client.delete(f"{url}/{listed[0]['id']}", headers=company["lead"])
    assert revoked.status_code == 200
    actions = [
        e["action"]
        for e in client.get("/api/v1/audits/oversight", headers=company["hr"]).json()["items"]
    ]
    assert actions[:3] == ["revoke", "hide", "pin"]


def test_the_report_shows_lead_decisions_and_served_lists_as_json_and_html(
    client: TestClient, state: ServiceState, company: dict[str, Any]
) -> None:
    for limit in (10, 20):
        candidates(client, company, limit=limit)
    report = client.get("/api/v1/audits/report", headers=company["hr"]).json()
    lists = report["candidate_lists"]
    assert lists["appearances"] > 0
    for stage in ("selection_before_reranking", "selection_after_reranking"):
        gender = lists[stage]["gender"]
        assert gender["threshold"] == 0.8 and gender["categories"]
        assert "gender × race_ethnicity" in lists[stage]
    # Two lists: a position's share would be one person's category, so it is withheld.
    assert "share_by_position" not in lists and "would identify people" in lists["withheld"]
    decisions = report["lead_decisions"]
    assert decisions["applications"] > 0 and decisions["shortlisted"]["gender"]["categories"]
    assert report["interventions"]["rankings"] == 2
    # HR's global view of the live candidate model, on the feature rows those lists logged.
    view = report["models"]["opportunity"]
    shares = [f["share"] for f in view["importance"]]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(1.0)
    curve = view["partial_dependence"][0]
    assert curve["feature"] == view["importance"][0]["feature"] and view["rows"] > 0
    assert len(curve["grid"]) == len(curve["mean_score"]) >= 2
    page = client.get("/api/v1/audits/report.html", headers=company["hr"])
    assert page.status_code == 200 and page.text.count("<svg") >= 3
    assert "four-fifths" in page.text and "Partial dependence" in page.text
    assert (
        client.get(
            "/api/v1/audits/report?from=2026-11-02&to=2026-11-01", headers=company["hr"]
        ).status_code
        == 422
    )
    assert client.get("/api/v1/audits/report", headers=company["lead"]).status_code == 403

    reading = state.monitor.refresh()
    # Two lists put fewer than 10 people of a group on a page: no ratio from such cells.
    assert reading["rankings"] == 2 and reading["impact_ratio_after"] is None
    assert reading["min_cell"] == state.settings.min_cell_size
    assert "details" not in client.get("/readyz").json()  # not without a token
    ready = client.get("/readyz", headers=company["hr"]).json()
    assert ready["details"]["fairness"]["rankings"] == 2
    gauge = 'talent_fairness_impact_ratio{attribute="gender",stage="after"}'
    assert gauge not in client.get("/metrics").text  # not without a token
    assert gauge in client.get("/metrics", headers=company["hr"]).text
    assert gauge not in client.get("/metrics", headers=company["lead"]).text


def test_a_reused_request_id_cannot_hide_an_earlier_ranking(
    client: TestClient, company: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    url = f"/api/v1/opportunities/{company['gig']}/candidates?limit=5"
    first = client.get(url, headers={**company["lead"], "X-Request-ID": "same-id"}).json()
    second = client.get(url, headers={**admin_headers, "X-Request-ID": "same-id"}).json()
    assert first["request_id"] == "same-id" and second["request_id"].startswith("same-id~")
    original = client.get("/api/v1/audits/rankings/same-id", headers=company["auditor"]).json()
    assert original["caller_role"] == "lead"
    later = client.get(
        f"/api/v1/audits/rankings/{second['request_id']}", headers=company["auditor"]
    ).json()
    assert later["caller_role"] == "admin"
    verified = client.get("/api/v1/audits/verify", headers=company["hr"]).json()
    assert verified["ok"] is True, verified


def test_a_damaged_audit_log_stops_serving_rankings(
    client: TestClient, state: ServiceState, company: dict[str, Any]
) -> None:
    first = candidates(client, company)
    candidates(client, company)
    with transaction(state.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 2))
    refused = client.get(
        f"/api/v1/opportunities/{company['gig']}/candidates", headers=company["lead"]
    )
    assert refused.status_code == 503 and refused.json()["error"] == "audit_log_damaged"
    assert first["items"]  # served before the damage, and logged


def test_a_reused_request_id_is_answered_under_the_id_it_was_filed_as(
    client: TestClient, company: dict[str, Any]
) -> None:
    url = f"/api/v1/opportunities/{company['gig']}/candidates?limit=3"
    client.get(url, headers={**company["lead"], "X-Request-ID": "twice"})
    again = client.get(url, headers={**company["lead"], "X-Request-ID": "twice"})
    assert again.json()["request_id"].startswith("twice~")
    assert again.headers["x-request-id"] == again.json()["request_id"]


def test_a_request_without_an_id_is_filed_under_the_id_the_server_minted(
    client: TestClient, company: dict[str, Any]
) -> None:
    """The log does not look whether a minted id is taken (a random UUID cannot be): each page
    is still filed once, under the id its response and header carry."""
    url = f"/api/v1/opportunities/{company['gig']}/candidates?limit=3"
    answers = [client.get(url, headers=company["lead"]) for _ in range(3)]
    ids = [a.json()["request_id"] for a in answers]
    assert len(set(ids)) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert [a.headers["x-request-id"] for a in answers] == ids
    for request_id in ids:
        found = client.get(f"/api/v1/audits/rankings/{request_id}", headers=company["auditor"])
        assert found.status_code == 200 and found.json()["request_id"] == request_id
