"""Interleaving through the API: an admin turns it on for a kind and direction with a registered
model, people's lists are team-drafted from the live model and the challenger, their saves and
applications credit the team whose item it was, the model card shows the win rate, and a winner
is promoted from there (logged). Off, a list is served exactly as before."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from data.schemas import Role
from data.storage.tables import OversightEventRow
from fairness.audit_log import AuditLog
from fairness.audit_record import ServedRanking, served_page
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity
from tests.helpers.api import token_for
from tests.training.test_ranker import synthetic
from training.ranker import LambdaRanker

PEOPLE = [f"P{i}" for i in range(6)]
SKILLS = [PYTHON, "SQL", "data mining", "JavaScript", "CSS", "statistics"]
REASON = "compare the retrained model on real lists"


def _company(client: TestClient, admin: dict[str, str]) -> None:
    people = [make_employee("LEAD", title="Analytics Lead", level=5)] + [
        make_employee(
            pid,
            # Everyone holds every skill, at levels that differ person by person, and has the
            # hours: every gig is eligible, and the two models order them differently.
            skills=[{"name": skill, "level": 1 + (i + j) % 5} for j, skill in enumerate(SKILLS)],
            availability_hours_per_week=30,
            demographics={"gender": "female" if i % 2 else "male"},
        )
        for i, pid in enumerate(PEOPLE)
    ]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    gigs = [
        make_opportunity(
            f"G{i}",
            owner="LEAD",
            title=f"Gig {i} with {SKILLS[i % 6]}",
            required_skills=[{"name": SKILLS[i % 6], "level": 1}],
            preferred_skills=[{"name": SKILLS[(i + 2) % 6], "level": 2}],
            hours_per_week=2 + i % 4,
            duration_weeks=2 + 3 * (i % 3),
            seats=3,
        )
        for i in range(10)
    ]
    assert client.post("/api/v1/opportunities/bulk", json=gigs, headers=admin).status_code == 200


def _register(state: ServiceState, direction: str, seed: int = 11) -> str:
    x, y, sizes = synthetic(80, seed=seed)
    return state.rankers.registry.register(
        LambdaRanker(n_estimators=20, seed=seed).fit(x, y, sizes),
        direction=direction,
        metrics={},
        data_hash=f"{seed:064d}",
        card="# challenger\n",
    )


def _turn_on(client: TestClient, admin: dict[str, str], version: str, **extra: Any) -> Any:
    body = {"enabled": True, "challenger_version": version, "reason": REASON, **extra}
    return client.put("/api/v1/interleaving/gig/employee", json=body, headers=admin)


def _record(state: ServiceState, request_id: str) -> ServedRanking:
    with state.sessions() as session:
        record = AuditLog.find(session, request_id)
    assert record is not None
    return record.copy()


def _matches(
    client: TestClient, state: ServiceState, person: str
) -> tuple[list[str], ServedRanking]:
    headers = token_for(state, Role.EMPLOYEE, person)
    body = client.get(f"/api/v1/employees/{person}/matches?kind=gig", headers=headers).json()
    ids = [item["opportunity"]["external_id"] for item in body["items"]]
    return ids, _record(state, body["request_id"])


def _save(client: TestClient, headers: dict[str, str], item: str) -> int:
    return client.post(f"/api/v1/opportunities/{item}/saves", headers=headers).status_code


@pytest.fixture
def challenger(client: TestClient, state: ServiceState, admin_headers: dict[str, str]) -> str:
    _company(client, admin_headers)
    return _register(state, "employee")


def test_off_a_list_is_served_as_before_and_on_it_is_drafted_from_both_models(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str], challenger: str
) -> None:
    plain, record = _matches(client, state, "P0")
    assert len(plain) >= 4 and "interleaving" not in record
    assert _turn_on(client, admin_headers, challenger).status_code == 200

    drafted, record = _matches(client, state, "P0")
    logged = record["interleaving"]
    assert logged["challenger"] == challenger
    assert sorted(logged["teams"]) == sorted(drafted)  # every shown item has its team
    teams = [logged["teams"][item] for item in drafted]
    assert {"live", "challenger"} <= set(teams)
    assert abs(teams.count("live") - teams.count("challenger")) <= 1
    assert sorted(drafted) == sorted(plain)  # the same eligible items, none twice
    # The record replays exactly: the challenger and the draft's seed are logged.
    replay = client.get(
        f"/api/v1/audits/rankings/{record['request_id']}/replay", headers=admin_headers
    ).json()
    assert replay["exact"] is True, replay

    off = {"enabled": False, "reason": "test over"}
    assert (
        client.put("/api/v1/interleaving/gig/employee", json=off, headers=admin_headers).json()[
            "enabled"
        ]
        is False
    )
    again, record = _matches(client, state, "P0")
    assert again == plain and "interleaving" not in record


def test_actions_credit_the_team_whose_item_it_was_list_by_list(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str], challenger: str
) -> None:
    assert _turn_on(client, admin_headers, challenger).status_code == 200
    picks = {}
    for person, team in (("P0", "challenger"), ("P1", "live"), ("P2", "challenger")):
        _ids, record = _matches(client, state, person)
        picks[person] = next(i for i, t in record["interleaving"]["teams"].items() if t == team)
    headers = {p: token_for(state, Role.EMPLOYEE, p) for p in picks}
    # A save carries its own request's id: it is credited to the list that showed the item.
    saved = client.post(f"/api/v1/opportunities/{picks['P0']}/saves", headers=headers["P0"])
    assert saved.status_code == 201
    applied = client.post(
        f"/api/v1/opportunities/{picks['P1']}/applications", headers=headers["P1"]
    )
    assert applied.status_code == 201, applied.json()
    # P2 acts on one item of each team: a tie, left out.
    other = next(
        i for i, t in _record_of_last(state, "P2")["interleaving"]["teams"].items() if t == "live"
    )
    for item in (picks["P2"], other):
        assert (
            client.post(f"/api/v1/opportunities/{item}/saves", headers=headers["P2"]).status_code
            == 201
        )
    # A list an admin previewed is nobody's: not counted.
    client.get("/api/v1/employees/P3/matches?kind=gig", headers=admin_headers)

    hr = token_for(state, Role.HR, None)
    [test] = client.get("/api/v1/interleaving", headers=hr).json()["items"]
    assert (test["lists"], test["challenger_wins"], test["live_wins"], test["ties"]) == (3, 1, 1, 1)
    assert test["win_rate"] == 0.5 and test["winner"] is None
    low, high = test["interval_95"]
    assert low < 0.5 < high


def _record_of_last(state: ServiceState, person: str) -> ServedRanking:
    from fairness.audit_log import AuditLog

    with state.sessions() as session:
        return next(
            AuditLog.between(
                session, direction="employee", query_external_id=person, newest_first=True, limit=1
            )
        )


def test_the_card_shows_the_win_rate_and_a_winner_is_promoted_from_it(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str], challenger: str
) -> None:
    assert _turn_on(client, admin_headers, challenger).status_code == 200
    promote = "/api/v1/interleaving/gig/employee/promote"
    early = client.post(promote, json={"reason": REASON}, headers=admin_headers)
    assert early.status_code == 409 and "not promoted" in early.json()["detail"]

    for person in PEOPLE[:5]:  # five lists, each preferring the challenger's item
        _ids, record = _matches(client, state, person)
        item = next(i for i, t in record["interleaving"]["teams"].items() if t == "challenger")
        headers = token_for(state, Role.EMPLOYEE, person)
        assert (
            client.post(f"/api/v1/opportunities/{item}/saves", headers=headers).status_code == 201
        )

    hr = token_for(state, Role.HR, None)
    cards = client.get("/api/v1/audits/models", headers=hr).json()["items"]
    card = next(c["card"] for c in cards if c["direction"] == "employee")
    assert "## Interleaving" in card
    assert f"| gig | `{challenger}` | yes | 5 | 5 | 0 | 0 | 1.000 (0.566-1.000) |" in card
    assert f"`{challenger}` won on gig lists" in card and promote in card
    assert "## Interleaving" not in next(c["card"] for c in cards if c["direction"] != "employee")

    assert client.post(promote, json={"reason": REASON}, headers=hr).status_code == 403
    done = client.post(promote, json={"reason": REASON}, headers=admin_headers)
    assert done.status_code == 200 and done.json()["promoted"] == challenger
    assert state.rankers.get("employee").version == challenger
    with state.sessions() as session:
        event = session.scalars(
            select(OversightEventRow).where(OversightEventRow.action == "promote")
        ).one()
    assert event.details["version"] == challenger and event.details["challenger_wins"] == 5
    assert event.reason == REASON and event.actor_role == "admin"
    # The test is over: the challenger is the live model, lists are plain again.
    [test] = client.get("/api/v1/interleaving", headers=hr).json()["items"]
    assert test["enabled"] is False
    _ids, record = _matches(client, state, "P0")
    assert "interleaving" not in record and record["model"]["version"] == challenger


def test_a_version_that_cannot_be_a_challenger_is_refused_naming_the_field(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str], challenger: str
) -> None:
    other_direction = _register(state, "opportunity", seed=12)
    live = _register(state, "employee", seed=13)
    state.rankers.registry.promote(live)
    for version, said in (
        ("employee-nope", "no registered model version"),
        (other_direction, "opportunity direction"),
        (live, "is the live model"),
    ):
        refused = _turn_on(client, admin_headers, version)
        assert refused.status_code == 422, refused.json()
        [problem] = refused.json()["detail"]
        assert problem["field"] == "challenger_version" and said in problem["message"]
    bad_kind = client.put(
        "/api/v1/interleaving/party/employee",
        json={"enabled": True, "challenger_version": challenger, "reason": REASON},
        headers=admin_headers,
    )
    assert bad_kind.status_code == 422
    off = {"enabled": False, "reason": REASON}  # no test to turn off
    assert (
        client.put(
            "/api/v1/interleaving/gig/opportunity", json=off, headers=admin_headers
        ).status_code
        == 404
    )
    with state.sessions() as session:  # nothing stored, nothing logged
        assert not session.scalars(
            select(OversightEventRow).where(OversightEventRow.action.like("interleaving%"))
        ).all()


def test_only_an_admin_turns_interleaving_on_and_hr_reads_it(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str], challenger: str
) -> None:
    body = {"enabled": True, "challenger_version": challenger, "reason": REASON}
    for role, subject in ((Role.EMPLOYEE, "P0"), (Role.LEAD, "LEAD"), (Role.HR, None)):
        headers = token_for(state, role, subject)
        put = client.put("/api/v1/interleaving/gig/employee", json=body, headers=headers)
        assert put.status_code == 403
    assert (
        client.get(
            "/api/v1/interleaving", headers=token_for(state, Role.EMPLOYEE, "P0")
        ).status_code
        == 403
    )
    assert client.get("/api/v1/interleaving", headers=token_for(state, Role.HR, None)).json() == {
        "items": []
    }
    assert _turn_on(client, admin_headers, challenger).status_code == 200
    with state.sessions() as session:
        event = session.scalars(
            select(OversightEventRow).where(OversightEventRow.action == "interleaving_on")
        ).one()
    assert event.details["after"]["challenger_version"] == challenger and event.reason == REASON


def test_a_leads_candidates_are_drafted_then_fairly_re_ranked_and_an_invite_credits_its_team(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    _company(client, admin_headers)
    version = _register(state, "opportunity", seed=21)
    body = {"enabled": True, "challenger_version": version, "reason": REASON}
    put = client.put("/api/v1/interleaving/gig/opportunity", json=body, headers=admin_headers)
    assert put.status_code == 200
    lead = token_for(state, Role.LEAD, "LEAD")
    shown = client.get("/api/v1/opportunities/G0/candidates", headers=lead).json()
    record = _record(state, shown["request_id"])
    # The kind's FA*IR policy re-ranked the drafted order, and met its minimum.
    assert record["policy"]["name"] == "fa*ir" and record["policy"]["applied"] is True
    assert record["policy"]["satisfied"] is True
    page = [item["id"] for item in served_page(record)]
    teams = record["interleaving"]["teams"]
    assert sorted(teams) == sorted(page) and {"live", "challenger"} <= set(teams.values())
    replay = client.get(
        f"/api/v1/audits/rankings/{record['request_id']}/replay", headers=admin_headers
    ).json()
    assert replay["exact"] is True and replay["membership_unchanged"] is True, replay

    # The lead invites a candidate the challenger drafted, by the handle the list showed.
    handles = [item["candidate"]["handle"] for item in shown["items"]]
    picked = next(
        handle for handle, pid in zip(handles, page, strict=True) if teams[pid] == "challenger"
    )
    invite = {"action": "invite", "candidate": picked, "note": "join us?"}
    invited = client.post("/api/v1/opportunities/G0/pipeline", json=invite, headers=lead)
    assert invited.status_code == 201, invited.json()
    results = client.get("/api/v1/interleaving", headers=admin_headers).json()["items"]
    [test] = [t for t in results if t["direction"] == "opportunity"]
    assert (test["lists"], test["challenger_wins"], test["live_wins"]) == (1, 1, 0)
