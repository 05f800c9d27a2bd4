"""A person's rights, on SQLite and PostgreSQL (the `client` fixture): the decisions made about
them with their place in the lead's list and its reasons (never another candidate's identity,
never a protected attribute), a human review from request to the person told (and the
oversight log), a correction accepted and one refused, overdue requests flagged against an
injected clock, one HR decision winning of two, and every role refused what is not its own."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from data.schemas import Role
from data.storage import reviews as stored
from data.storage.tables import OutboxRow, OversightEventRow, ReviewRequestRow
from serving.auth import Principal
from serving.errors import Conflict
from serving.state import ServiceState
from serving.usecases import reviews
from tests.factories import PYTHON, make_employee
from tests.helpers.api import token_for
from tests.serving.test_pipeline import company, handle_of, step

Headers = dict[str, str]
MARKERS = {"gender": "gender-marker-qz", "race_ethnicity": "ethnicity-marker-qz"}


@pytest.fixture
def mailing(state: ServiceState) -> Iterator[ServiceState]:
    """E-mail configured (never delivered here: the outbox row is what is checked)."""
    original = state.settings
    state.settings = original.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": 9, "public_url": "https://t.test"}
    )
    try:
        yield state
    finally:
        state.settings = original


def rejected_ana(client: TestClient, state: ServiceState, admin: Headers) -> dict[str, Headers]:
    """Ana (with demographics on record) applied to GIG-SMALL, the lead was served a list
    holding her and others, and rejected her."""
    company(client, admin)
    marked = make_employee(
        "ANA",
        name="Ana Analyst",
        manager_external_id="MGR",
        availability_hours_per_week=14,
        skills=[{"name": PYTHON, "level": 4}, {"name": "SQL", "level": 3}],
        demographics=MARKERS,
    )
    assert client.post("/api/v1/employees/bulk", json=[marked], headers=admin).status_code == 200
    tokens = {
        "ana": token_for(state, Role.EMPLOYEE, "ANA"),
        "lead": token_for(state, Role.LEAD, "LEAD"),
        "hr": token_for(state, Role.HR, "CAT"),
        "ben": token_for(state, Role.EMPLOYEE, "BEN"),
    }
    handle_of(client, tokens["lead"], "GIG-SMALL", admin, "ANA")  # the lead's list holds Ana
    assert step(client, tokens["ana"], "GIG-SMALL", action="apply").status_code == 201
    assert step(client, tokens["ben"], "GIG-SMALL", action="apply").status_code == 201
    # Once she applied, the lead knows who she is and may name her.
    rejected = step(
        client,
        tokens["lead"],
        "GIG-SMALL",
        action="reject",
        candidate="ANA",
        reason_code="skills",
    )
    assert rejected.status_code == 200, rejected.text
    return tokens


def the_rejection(client: TestClient, ana: Headers) -> dict[str, Any]:
    mine = client.get("/api/v1/me/decisions", headers=ana)
    assert mine.status_code == 200, mine.text
    [posting] = [i for i in mine.json()["items"] if i["opportunity"]["external_id"] == "GIG-SMALL"]
    [rejection] = [s for s in posting["steps"] if s["step"] == "reject"]
    return rejection


def test_decisions_say_the_step_the_role_and_the_place_in_the_leads_list_and_nothing_of_others(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    tokens = rejected_ana(client, state, admin_headers)
    mine = client.get("/api/v1/me/decisions", headers=tokens["ana"])
    assert mine.status_code == 200, mine.text
    [posting] = mine.json()["items"]
    assert posting["opportunity"] == {
        "external_id": "GIG-SMALL",
        "title": "Churn dashboard",
        "kind": "gig",
    }
    steps = {s["step"]: s for s in posting["steps"]}
    assert steps["apply"]["by"] == "you" and not steps["apply"]["can_ask_review"]
    rejection = steps["reject"]
    assert rejection["words"] == "Not shortlisted (the lead's reason: skills)"
    assert rejection["by"] == "lead" and rejection["adverse"] and rejection["can_ask_review"]
    place = rejection["list"]
    assert place["on_page"] and 1 <= place["position"] <= place["page_size"]
    assert place["list_length"] >= 3 and place["model_version"] and place["policy"]
    assert place["reasons"] and all(
        r["text"] and r["effect"] in ("raises", "lowers") for r in place["reasons"]
    )
    actions = {a["action"] for a in mine.json()["what_you_can_do"]}
    assert {"ask for a review", "correct your data"} <= actions

    # Nothing of another candidate, the lead's name or anyone's protected attributes.
    text = mine.text
    for other in ("BEN", "CAT", "MGR", "Ben Builder", "Cat Coder", "Lena Lead", 'LEAD"'):
        assert other not in text, other
    for marker in (*MARKERS.values(), "female", "gender", "membership"):
        assert marker not in text, marker

    # Ben's page holds his own application only: nothing of Ana's rejection.
    ben = client.get("/api/v1/me/decisions", headers=tokens["ben"]).json()
    assert [s["step"] for i in ben["items"] for s in i["steps"]] == ["apply"]
    assert "ANA" not in json.dumps(ben)


def test_only_the_person_reads_their_decisions_and_only_hr_decides(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    tokens = rejected_ana(client, state, admin_headers)
    for who in (tokens["hr"], admin_headers):
        assert client.get("/api/v1/me/decisions", headers=who).status_code == 403
        assert (
            client.post(
                "/api/v1/me/reviews", json={"decision_id": 1, "reason": "x"}, headers=who
            ).status_code
            == 403
        )
    for who in (tokens["ana"], tokens["lead"]):
        assert client.get("/api/v1/reviews", headers=who).status_code == 403
        assert client.get("/api/v1/corrections", headers=who).status_code == 403
        refused = client.post("/api/v1/reviews/1/decision", json={"outcome": "upheld"}, headers=who)
        assert refused.status_code == 403
        assert (
            client.put("/api/v1/reviews/settings", json={"days": 3}, headers=who).status_code == 403
        )
    assert client.get("/api/v1/me/decisions").status_code == 401


def test_a_review_goes_from_request_to_hr_to_the_person_told_and_every_step_is_logged(
    client: TestClient, mailing: ServiceState, admin_headers: Headers
) -> None:
    state = mailing
    tokens = rejected_ana(client, state, admin_headers)
    ana, hr = tokens["ana"], tokens["hr"]
    rejection = the_rejection(client, ana)

    # Bad input names the field; another's decision is unknown to her; her own step is not HR's.
    empty = client.post(
        "/api/v1/me/reviews",
        json={"decision_id": rejection["decision_id"], "reason": ""},
        headers=ana,
    )
    assert empty.status_code == 422 and empty.json()["detail"][0]["field"] == "reason"
    bens = client.get("/api/v1/me/decisions", headers=tokens["ben"]).json()
    ben_step = bens["items"][0]["steps"][0]["decision_id"]
    unknown = client.post(
        "/api/v1/me/reviews", json={"decision_id": ben_step, "reason": "why"}, headers=ana
    )
    assert unknown.status_code == 404 and "decision_id" in json.dumps(unknown.json()["detail"])
    [applied] = [
        s
        for i in client.get("/api/v1/me/decisions", headers=ana).json()["items"]
        for s in i["steps"]
        if s["step"] == "apply"
    ]
    own = client.post(
        "/api/v1/me/reviews",
        json={"decision_id": applied["decision_id"], "reason": "why"},
        headers=ana,
    )
    assert own.status_code == 422 and own.json()["detail"][0]["field"] == "decision_id"

    asked = client.post(
        "/api/v1/me/reviews",
        json={"decision_id": rejection["decision_id"], "reason": "I hold both skills asked"},
        headers=ana,
    )
    assert asked.status_code == 201, asked.text
    review = asked.json()
    assert review["status"] == "open" and not review["overdue"]
    again = client.post(
        "/api/v1/me/reviews",
        json={"decision_id": rejection["decision_id"], "reason": "again"},
        headers=ana,
    )
    assert again.status_code == 409
    assert the_rejection(client, ana)["review"] == {"id": review["id"], "status": "open"}

    # HR sees it, with the pair's history and the lead's list replayed.
    queue = client.get("/api/v1/reviews?status=open", headers=hr).json()
    assert [i["id"] for i in queue["items"]] == [review["id"]] and queue["overdue"] == 0
    assert queue["items"][0]["employee_external_id"] == "ANA"
    detail = client.get(f"/api/v1/reviews/{review['id']}", headers=hr)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert [h["type"] for h in body["history"]] == ["apply", "reject"]
    assert body["history"][1]["by"] == "lead" and body["history"][1]["actor"] == "LEAD"
    assert body["lists"] and body["lists"][0]["request_id"] == rejection["list"]["request_id"]
    assert body["replay"]["request_id"] == rejection["list"]["request_id"]
    assert body["replay"].get("exact") is True, body["replay"]
    assert client.get("/api/v1/reviews/999999", headers=hr).status_code == 404

    # Overturning needs a remedy; decided once.
    no_remedy = client.post(
        f"/api/v1/reviews/{review['id']}/decision", json={"outcome": "overturned"}, headers=hr
    )
    assert no_remedy.status_code == 422 and no_remedy.json()["detail"][0]["field"] == "remedy"
    decided = client.post(
        f"/api/v1/reviews/{review['id']}/decision",
        json={
            "outcome": "overturned",
            "answer": "Both skills are on record",
            "remedy": "The lead will interview you",
            "version": review["version"],
        },
        headers=hr,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "overturned"
    second = client.post(
        f"/api/v1/reviews/{review['id']}/decision", json={"outcome": "upheld"}, headers=hr
    )
    assert second.status_code == 409

    # The person is told: her list and her outbox.
    [told] = client.get("/api/v1/me/reviews", headers=ana).json()["items"]
    assert told["status"] == "overturned" and told["remedy"] == "The lead will interview you"
    assert told["decided_by"] == "hr" and "CAT" not in json.dumps(told)
    with state.sessions() as session:
        outbox = session.scalars(select(OutboxRow).where(OutboxRow.event == "review_decided")).all()
        assert [m.recipient_external_id for m in outbox] == ["ANA"]
        assert "The lead will interview you" in outbox[0].body
        logged = session.scalars(select(OversightEventRow).order_by(OversightEventRow.id)).all()
        actions = [(e.action, e.actor) for e in logged if e.action.startswith("review")]
        assert actions == [("review_asked", "ANA"), ("review_decided", "CAT")]


def test_overdue_requests_are_flagged_against_the_service_level_time_hr_sets(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    tokens = rejected_ana(client, state, admin_headers)
    hr = tokens["hr"]
    assert client.get("/api/v1/reviews/settings", headers=hr).json() == {"days": 30}
    bad = client.put("/api/v1/reviews/settings", json={"days": 0}, headers=hr)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "days"
    assert client.put(
        "/api/v1/reviews/settings", json={"days": 5, "reason": "policy"}, headers=hr
    ).json() == {"days": 5}
    rejection = the_rejection(client, tokens["ana"])
    asked = client.post(
        "/api/v1/me/reviews",
        json={"decision_id": rejection["decision_id"], "reason": "why"},
        headers=tokens["ana"],
    )
    created = dt.datetime.fromisoformat(asked.json()["created_at"])
    assert dt.datetime.fromisoformat(asked.json()["due_at"]) - created == dt.timedelta(days=5)

    hr_user = Principal(role=Role.HR, subject_external_id="CAT")
    with state.sessions() as session:
        on_time = reviews.hr_list(session, hr_user, "open", now=created + dt.timedelta(days=4))
        late = reviews.hr_list(
            session, hr_user, "open", now=created + dt.timedelta(days=5, seconds=1)
        )
        ana_view = reviews.my_reviews(
            session,
            Principal(role=Role.EMPLOYEE, subject_external_id="ANA"),
            now=created + dt.timedelta(days=6),
        )
    assert on_time["overdue"] == 0 and not on_time["items"][0]["overdue"]
    assert late["overdue"] == 1 and late["items"][0]["overdue"]
    assert ana_view["items"][0]["overdue"]
    with state.sessions() as session:
        events = session.scalars(
            select(OversightEventRow).where(OversightEventRow.action == "review_sla")
        ).all()
        assert [(e.details["days"], e.details["was"]) for e in events] == [(5, 30)]


def test_of_two_hr_decisions_on_one_request_only_the_first_wins(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    tokens = rejected_ana(client, state, admin_headers)
    rejection = the_rejection(client, tokens["ana"])
    asked = client.post(
        "/api/v1/me/reviews",
        json={"decision_id": rejection["decision_id"], "reason": "why"},
        headers=tokens["ana"],
    ).json()
    first, second = (
        Principal(role=Role.HR, subject_external_id="CAT"),
        Principal(role=Role.HR, subject_external_id="MGR"),
    )
    now = dt.datetime.now(dt.UTC)
    # Both read the open request at version 1; the first commits its decision, then the second
    # (which read before the first committed) tries its own on what it read.
    with state.sessions() as one, state.sessions() as two:
        read_one, read_two = stored.review(one, asked["id"]), stored.review(two, asked["id"])
        assert read_one is not None and read_one.status == "open"
        assert read_two is not None and read_two.status == "open"
        reviews.decide(
            state,
            one,
            first,
            asked["id"],
            outcome="upheld",
            answer="a",
            remedy="",
            version=1,
            now=now,
        )
        one.commit()
        with pytest.raises(Conflict):
            reviews.decide(
                state,
                two,
                second,
                asked["id"],
                outcome="overturned",
                answer="b",
                remedy="r",
                version=1,
                now=now,
            )
        two.rollback()
    with state.sessions() as session:
        row = session.get(ReviewRequestRow, asked["id"])
        assert row is not None
        assert (row.status, row.decided_by, row.version) == ("upheld", "CAT", 2)


def test_a_correction_accepted_changes_the_record_and_one_refused_does_not(
    client: TestClient, mailing: ServiceState, admin_headers: Headers
) -> None:
    state = mailing
    tokens = rejected_ana(client, state, admin_headers)
    ana, hr = tokens["ana"], tokens["hr"]
    wrong = client.post(
        "/api/v1/me/corrections", json={"field": "level", "value": 99, "reason": "x"}, headers=ana
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "value"
    name = client.post(
        "/api/v1/me/corrections", json={"field": "name", "value": "A", "reason": "x"}, headers=ana
    )
    assert name.status_code == 422 and name.json()["detail"][0]["field"] == "field"
    nobody = client.post(
        "/api/v1/me/corrections",
        json={"field": "manager_external_id", "value": "NOPE", "reason": "x"},
        headers=ana,
    )
    assert nobody.status_code == 422 and nobody.json()["detail"][0]["field"] == "value"
    same = client.post(
        "/api/v1/me/corrections", json={"field": "level", "value": 3, "reason": "x"}, headers=ana
    )
    assert same.status_code == 422

    level = client.post(
        "/api/v1/me/corrections",
        json={"field": "level", "value": 7, "reason": "promoted in June"},
        headers=ana,
    )
    assert level.status_code == 201, level.text
    assert level.json()["current_value"] == 3 and level.json()["proposed_value"] == 7
    title = client.post(
        "/api/v1/me/corrections",
        json={"field": "title", "value": "Chief Analyst", "reason": "my title"},
        headers=ana,
    )
    assert title.status_code == 201
    assert (
        client.post(
            "/api/v1/me/corrections",
            json={"field": "title", "value": "B", "reason": "x"},
            headers=ana,
        ).status_code
        == 409
    )

    before = client.get("/api/v1/employees/ANA/matches?kind=gig", headers=ana).json()
    assert "GIG-BIG" in {i["opportunity"]["external_id"] for i in before["items"]}
    queue = client.get("/api/v1/corrections?status=pending", headers=hr).json()["items"]
    assert [(c["field"], c["employee_external_id"]) for c in queue] == [
        ("level", "ANA"),
        ("title", "ANA"),
    ]
    accepted = client.post(
        f"/api/v1/corrections/{level.json()['id']}/decision",
        json={"outcome": "accepted", "answer": "confirmed"},
        headers=hr,
    )
    assert accepted.status_code == 200, accepted.text
    no_reason = client.post(
        f"/api/v1/corrections/{title.json()['id']}/decision",
        json={"outcome": "refused"},
        headers=hr,
    )
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["field"] == "answer"
    refused = client.post(
        f"/api/v1/corrections/{title.json()['id']}/decision",
        json={"outcome": "refused", "answer": "not in the HR system"},
        headers=hr,
    )
    assert refused.status_code == 200
    assert (
        client.post(
            f"/api/v1/corrections/{title.json()['id']}/decision",
            json={"outcome": "accepted"},
            headers=hr,
        ).status_code
        == 409
    )

    profile = client.get("/api/v1/employees/ANA", headers=ana).json()
    assert profile["level"] == 7 and profile["title"] == "Data Analyst"
    # The match engine read the new level: the gigs for levels 2 to 5 are no match any more.
    after = client.get("/api/v1/employees/ANA/matches?kind=gig", headers=ana).json()
    assert "GIG-BIG" not in {i["opportunity"]["external_id"] for i in after["items"]}
    mine = {
        c["field"]: c for c in client.get("/api/v1/me/corrections", headers=ana).json()["items"]
    }
    assert mine["level"]["status"] == "accepted" and mine["title"]["status"] == "refused"
    assert mine["title"]["answer"] == "not in the HR system" and mine["title"]["decided_by"] == "hr"
    with state.sessions() as session:
        told = session.scalars(
            select(OutboxRow).where(OutboxRow.event == "correction_decided")
        ).all()
        assert sorted(m.subject for m in told) == [
            "Your correction of level was accepted",
            "Your correction of title was refused",
        ]
        logged = session.scalars(
            select(OversightEventRow)
            .where(OversightEventRow.action.like("correction%"))
            .order_by(OversightEventRow.id)
        ).all()
        assert [(e.action, e.details.get("outcome")) for e in logged] == [
            ("correction_asked", None),
            ("correction_asked", None),
            ("correction_decided", "accepted"),
            ("correction_decided", "refused"),
        ]


def test_the_ranking_notice_says_what_is_read_never_read_and_links_the_live_card(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    notice = client.get("/api/v1/me/ranking-notice", headers=token_for(state, Role.EMPLOYEE, "ANA"))
    assert notice.status_code == 200, notice.text
    body = notice.json()
    assert "gender" in body["never_reads"] and "race ethnicity" in body["never_reads"]
    assert body["reads"] and body["models"] and body["models"][0]["card"]
    assert "quiet" in body["quiet_mode"].lower() and "HR" in body["pause"]


def test_a_review_may_name_the_posting_for_its_newest_decision(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    tokens = rejected_ana(client, state, admin_headers)
    ana = tokens["ana"]
    both = client.post(
        "/api/v1/me/reviews",
        json={"decision_id": 1, "opportunity_external_id": "GIG-SMALL", "reason": "x"},
        headers=ana,
    )
    assert both.status_code == 422 and both.json()["detail"][0]["field"] == "decision_id"
    elsewhere = client.post(
        "/api/v1/me/reviews",
        json={"opportunity_external_id": "GIG-BIG", "reason": "x"},
        headers=ana,
    )
    assert elsewhere.status_code == 404
    assert "opportunity_external_id" in json.dumps(elsewhere.json()["detail"])
    asked = client.post(
        "/api/v1/me/reviews",
        json={"opportunity_external_id": "GIG-SMALL", "reason": "x"},
        headers=ana,
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["decision_id"] == the_rejection(client, ana)["decision_id"]


def test_a_declined_approval_and_a_withdrawn_offer_say_their_roles(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    ana, lead = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.LEAD, "LEAD")
    manager = token_for(state, Role.EMPLOYEE, "MGR")
    assert step(client, ana, "GIG-BIG", action="apply").status_code == 201
    for action in ("shortlist", "offer"):
        assert step(client, lead, "GIG-BIG", action=action, candidate="ANA").status_code == 200
    assert step(client, ana, "GIG-BIG", action="accept_offer").status_code == 200
    declined = client.post(
        "/api/v1/approvals/GIG-BIG/ANA",
        json={"decision": "decline", "reason": "quarter-end close"},
        headers=manager,
    )
    assert declined.status_code == 200, declined.text
    assert step(client, ana, "GIG-SMALL", action="apply").status_code == 201
    assert step(client, lead, "GIG-SMALL", action="offer", candidate="ANA").status_code == 200
    taken_back = step(
        client, lead, "GIG-SMALL", action="reject", candidate="ANA", reason_code="other"
    )
    assert taken_back.status_code == 200, taken_back.text

    mine = client.get("/api/v1/me/decisions", headers=ana).json()
    steps = {
        i["opportunity"]["external_id"]: [(s["step"], s["by"], s["words"]) for s in i["steps"]]
        for i in mine["items"]
    }
    assert steps["GIG-BIG"] == [
        ("apply", "you", "You applied"),
        ("shortlist", "lead", "Shortlisted"),
        ("offer", "lead", "Offered"),
        ("accept_offer", "you", "You accepted the offer"),
        ("approval_declined", "manager", "Manager's approval declined: quarter-end close"),
    ]
    assert steps["GIG-SMALL"][-1] == (
        "reject",
        "lead",
        "Offer withdrawn (the lead's reason: other)",
    )
    assert "MGR" not in json.dumps(mine) and "Mia" not in json.dumps(mine)


def test_two_hr_decisions_sent_at_once_one_wins_the_other_gets_409(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    tokens = rejected_ana(client, state, admin_headers)
    rejection = the_rejection(client, tokens["ana"])
    asked = client.post(
        "/api/v1/me/reviews",
        json={"decision_id": rejection["decision_id"], "reason": "why"},
        headers=tokens["ana"],
    ).json()
    deciders = [tokens["hr"], token_for(state, Role.HR, "MGR")]
    bodies = [{"outcome": "upheld"}, {"outcome": "overturned", "remedy": "interview"}]
    start = threading.Barrier(2)
    answers: list[int] = []

    def decide(who: Headers, body: dict[str, str]) -> None:
        start.wait()
        url = f"/api/v1/reviews/{asked['id']}/decision"
        answers.append(client.post(url, json=body, headers=who).status_code)

    threads = [
        threading.Thread(target=decide, args=pair) for pair in zip(deciders, bodies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409]
    with state.sessions() as session:
        row = session.get(ReviewRequestRow, asked["id"])
        assert row is not None
        assert row.version == 2 and row.status in ("upheld", "overturned")
        decided = session.scalars(
            select(OversightEventRow).where(OversightEventRow.action == "review_decided")
        ).all()
        assert len(decided) == 1
