"""Notifications, on SQLite and PostgreSQL, delivered to real receivers on 127.0.0.1: an SMTP
server (aiosmtpd) and a webhook receiver in Slack's and Teams' formats.

What a person notices: the invitation arrives by e-mail with a link that opens the page to
accept it; the manager is asked, the applicant told the decision and the assignment, an
invitee told their invitation lapsed; the lead hears that "a candidate" applied, by handle; a
receiver that fails and recovers gets every message once; quiet mode sends nothing; bad
choices are refused naming the field; an event that fails leaves no message behind; and no
message carries a protected attribute or a masked person's identity.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from data.schemas import Role
from data.storage import notifications as store
from data.storage.tables import EmployeeRow, NotificationPreferenceRow, OutboxRow, PipelineRow
from matching.aliases import candidate_alias
from serving.app import create_app
from serving.cli import app as cli
from serving.notifications.delivery import Courier, Round
from serving.notifications.digest import queue_digests
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity
from tests.helpers.api import token_for
from tests.serving.notification_servers import Hooks, Inbox, smtp_server, webhook_receiver
from tests.serving.test_pipeline import handle_of, step

Headers = dict[str, str]
PUBLIC = "https://talent.corp.test"
# Distinctive self-reported demographics: none of these strings may reach any message.
DEMOGRAPHICS = {
    "gender": "gender-marker-qz",
    "race_ethnicity": "ethnicity-marker-qz",
    "age_band": "50-59",
    "disability": "disability-marker-qz",
}


@pytest.fixture
def receivers() -> Iterator[tuple[Inbox, int, Hooks]]:
    with smtp_server() as (inbox, port), webhook_receiver() as hooks:
        yield inbox, port, hooks


@pytest.fixture
def notifying(state: ServiceState, receivers: tuple[Inbox, int, Hooks]) -> Iterator[ServiceState]:
    """The shared state with e-mail to the local SMTP server and people's webhooks allowed to
    the local receiver; put back as it was afterwards."""
    _, port, _ = receivers
    original = state.settings
    state.settings = original.model_copy(
        update={
            "public_url": PUBLIC,
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "smtp_from": "Talent Marketplace <talent@corp.test>",
            "smtp_timeout_seconds": 5,
            "notify_webhook_hosts": ("127.0.0.1",),
            "notify_backoff_seconds": 30,
            "notify_backoff_max_seconds": 600,
            "notify_max_attempts": 4,
        }
    )
    try:
        yield state
    finally:
        state.settings = original


@pytest.fixture
def app_client(notifying: ServiceState) -> Iterator[TestClient]:
    with TestClient(create_app(notifying.settings, state=notifying)) as test_client:
        yield test_client


def company(client: TestClient, admin: Headers) -> None:
    people = [
        make_employee("LEAD", name="Lena Lead", level=5, title="Analytics Lead"),
        make_employee("MGR", name="Mia Manager", level=5, title="Finance Manager"),
        make_employee(
            "ANA",
            name="Ana Analyst",
            manager_external_id="MGR",
            availability_hours_per_week=20,
            skills=[{"name": PYTHON, "level": 4}, {"name": "SQL", "level": 3}],
            demographics=DEMOGRAPHICS,
        ),
        make_employee(
            "BEN",
            name="Ben Builder",
            availability_hours_per_week=20,
            skills=[{"name": PYTHON, "level": 4}],
            demographics=DEMOGRAPHICS,
        ),
        make_employee("CAT", name="Cat Coder", demographics=DEMOGRAPHICS),
    ]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    postings = [
        make_opportunity("GIG-BIG", owner="LEAD", title="Churn model", hours_per_week=12),
        make_opportunity("GIG-SMALL", owner="LEAD", title="Churn dashboard", hours_per_week=4),
    ]
    assert (
        client.post("/api/v1/opportunities/bulk", json=postings, headers=admin).status_code == 200
    )


def deliver(state: ServiceState, at: dt.datetime | None = None) -> Round:
    clock = (lambda: at) if at is not None else None
    return Courier(state.settings, state.sessions, clock=clock).run_once()


def outbox(state: ServiceState) -> list[OutboxRow]:
    with state.sessions() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def subjects(inbox: Inbox, address: str) -> list[str]:
    return [str(m["Subject"]) for m in inbox.to(address)]


def text_of(message: Any) -> str:
    return f"{message['Subject']}\n{message.get_content()}"


def test_the_workflow_reaches_each_person_by_email_with_a_link_to_act(
    app_client: TestClient,
    notifying: ServiceState,
    receivers: tuple[Inbox, int, Hooks],
    admin_headers: Headers,
) -> None:
    inbox, _, _ = receivers
    client = app_client
    company(client, admin_headers)
    lead, ana = token_for(notifying, Role.LEAD, "LEAD"), token_for(notifying, Role.EMPLOYEE, "ANA")
    ben = token_for(notifying, Role.EMPLOYEE, "BEN")
    manager = token_for(notifying, Role.EMPLOYEE, "MGR")

    # Ben is invited: the e-mail says so and links to the posting's page.
    ben_handle = handle_of(client, lead, "GIG-BIG", admin_headers, "BEN")
    invited = step(client, lead, "GIG-BIG", action="invite", candidate=ben_handle, note="Keen?")
    assert invited.status_code == 201, invited.text
    assert deliver(notifying).sent == 1
    [invitation] = inbox.to("ben@corp.example")
    assert invitation["Subject"] == "You are invited to “Churn model”"
    assert invitation["From"] == "Talent Marketplace <talent@corp.test>"
    assert invitation["Message-ID"].startswith("<notification-")
    assert f"{PUBLIC}/#opportunity=GIG-BIG" in invitation.get_content()
    assert "Keen?" in invitation.get_content()

    # Ana applies: the lead hears of "a candidate", by the alias the lead's lists show.
    ana_handle = handle_of(client, lead, "GIG-BIG", admin_headers, "ANA")
    assert step(client, ana, "GIG-BIG", action="apply").status_code == 201
    for action in ("shortlist", "offer"):
        assert step(client, lead, "GIG-BIG", action=action, candidate=ana_handle).status_code == 200
    # 12 h of a 40 h week needs her manager: Mia is asked, with the approvals page linked.
    accepted = step(client, ana, "GIG-BIG", action="accept_offer")
    assert accepted.json()["approval"]["status"] == "pending"
    deliver(notifying)
    [applied] = inbox.to("lead@corp.example")
    assert applied["Subject"] == "A candidate applied to “Churn model”"
    board = client.get("/api/v1/opportunities/GIG-BIG/pipeline", headers=lead).json()
    pairs = [p for stage in board["stages"].values() for p in stage]
    [alias] = [p["candidate"]["alias"] for p in pairs if p["candidate"]["handle"] == ana_handle]
    assert alias == candidate_alias(ana_handle) and alias.startswith("Candidate ")
    assert f"{alias} applied to" in applied.get_content()
    assert ana_handle not in applied.get_content()  # a raw handle the lead never sees
    [asked] = inbox.to("mgr@corp.example")
    assert asked["Subject"] == "Approval asked: Ana Analyst for “Churn model”"
    assert f"{PUBLIC}/#approvals" in asked.get_content()
    assert subjects(inbox, "ana@corp.example") == ["An offer for “Churn model”"]

    decided = client.post(
        "/api/v1/approvals/GIG-BIG/ANA",
        json={"decision": "approve", "reason": "fits the quarter"},
        headers=manager,
    )
    assert decided.status_code == 200
    assigned = step(client, lead, "GIG-BIG", action="assign", candidate=ana_handle)
    assert assigned.status_code == 200, assigned.text
    deliver(notifying)
    assert subjects(inbox, "ana@corp.example") == [
        "An offer for “Churn model”",
        "Your manager approved your time on “Churn model”",
        "You are assigned to “Churn model”",
    ]
    assert "fits the quarter" in inbox.to("ana@corp.example")[1].get_content()
    # The last seat went to Ana: Ben's invitation lapsed, and he is told.
    assert subjects(inbox, "ben@corp.example")[-1] == "Your invitation for “Churn model” lapsed"
    assert "Every seat of “Churn model”" in inbox.to("ben@corp.example")[-1].get_content()
    board = client.get("/api/v1/opportunities/GIG-BIG/pipeline", headers=lead).json()
    [lapse] = board["stages"]["lapsed"]  # the lead reads the same reason
    assert lapse["reason_code"] == "seats_filled"
    assert lapse["lapsed"].startswith("This invitation lapsed: every seat was taken on 20")

    # The link opens the page to act on: Ben's posting page answers, and a new invitation
    # (to the small gig) is accepted from it.
    link = inbox.to("ben@corp.example")[0].get_content()
    assert client.get("/api/v1/opportunities/GIG-BIG", headers=ben).status_code == 200
    assert "/#opportunity=" in link
    other = handle_of(client, lead, "GIG-SMALL", admin_headers, "BEN")
    assert step(client, lead, "GIG-SMALL", action="invite", candidate=other).status_code == 201
    deliver(notifying)
    opened = inbox.to("ben@corp.example")[-1].get_content()
    target = opened.split(f"{PUBLIC}/#opportunity=")[1].split()[0]
    assert target == "GIG-SMALL"
    assert step(client, ben, target, action="accept_invitation").status_code == 200
    deliver(notifying)
    said = inbox.to("lead@corp.example")[-1]
    assert said["Subject"] == "A candidate accepted your invitation to “Churn dashboard”"

    # Nothing sent twice, nothing left behind.
    assert deliver(notifying).sent == 0
    assert {row.status for row in outbox(notifying)} == {"sent"}

    # No message carries a protected attribute; the lead's never name a candidate.
    for message in inbox.messages:
        for value in DEMOGRAPHICS.values():
            assert value not in text_of(message)
    for message in inbox.to("lead@corp.example"):
        for secret in ("Ana Analyst", "Ben Builder", "ANA", "BEN", "ana@", "ben@"):
            assert secret not in text_of(message)


def test_a_webhook_that_fails_and_recovers_gets_every_message_exactly_once(
    app_client: TestClient,
    notifying: ServiceState,
    receivers: tuple[Inbox, int, Hooks],
    admin_headers: Headers,
) -> None:
    inbox, _, hooks = receivers
    client = app_client
    company(client, admin_headers)
    lead, ben = token_for(notifying, Role.LEAD, "LEAD"), token_for(notifying, Role.EMPLOYEE, "BEN")
    chose = client.put(
        "/api/v1/me/notifications",
        json={
            "channels": ["email", "slack", "teams"],
            "digest": "off",
            "quiet": False,
            "slack_webhook_url": hooks.url("/slack/ben"),
            "teams_webhook_url": hooks.url("/teams/ben"),
        },
        headers=ben,
    )
    assert chose.status_code == 200, chose.text
    assert hooks.url("/slack/ben") not in chose.text  # a webhook is a secret: hinted at only
    hooks.fail["/slack/ben"] = 3  # Slack is down for three attempts, then back

    for gig in ("GIG-BIG", "GIG-SMALL"):
        handle = handle_of(client, lead, gig, admin_headers, "BEN")
        assert step(client, lead, gig, action="invite", candidate=handle).status_code == 201
    now = dt.datetime.now(dt.UTC)
    first = deliver(notifying, now)
    # E-mail and Teams went at once; Slack failed both and waits its back-off.
    assert (first.sent, first.retrying) == (4, 2)
    assert len(inbox.to("ben@corp.example")) == 2
    assert deliver(notifying, now + dt.timedelta(seconds=10)).sent == 0  # not due yet
    second = deliver(notifying, now + dt.timedelta(seconds=31))
    assert (second.sent, second.retrying) == (1, 1)  # the third failure, then one recovered
    third = deliver(notifying, now + dt.timedelta(seconds=31 + 61))
    assert third.sent == 1
    assert deliver(notifying, now + dt.timedelta(hours=1)).sent == 0

    slack, teams = hooks.payloads("/slack/ben"), hooks.payloads("/teams/ben")
    assert hooks.answered_500 == 3
    assert sorted(p["text"].split(":")[0] for p in slack) == [
        "You are invited to “Churn dashboard”",
        "You are invited to “Churn model”",
    ]
    assert len(set(hooks.keys("/slack/ben"))) == 2 and len(teams) == 2
    assert len(inbox.to("ben@corp.example")) == 2  # e-mail was never sent again
    # Slack's format: a button to the page; Teams': an Adaptive Card opening it.
    button = slack[0]["blocks"][-1]["elements"][0]
    assert button["url"].startswith(f"{PUBLIC}/#opportunity=")
    card = teams[0]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["actions"][0]["url"].startswith(f"{PUBLIC}/#opportunity=")
    rows = outbox(notifying)
    assert {r.status for r in rows} == {"sent"}
    assert sorted(r.attempts for r in rows if r.channel == "slack") == [2, 3]


def test_attempts_are_bounded_and_an_admin_sees_and_retries_the_failed(
    app_client: TestClient,
    notifying: ServiceState,
    receivers: tuple[Inbox, int, Hooks],
    admin_headers: Headers,
) -> None:
    _, _, hooks = receivers
    client = app_client
    company(client, admin_headers)
    lead, ben = token_for(notifying, Role.LEAD, "LEAD"), token_for(notifying, Role.EMPLOYEE, "BEN")
    body = {"channels": ["slack"], "digest": "off", "quiet": False}
    body["slack_webhook_url"] = hooks.url("/slack/down")
    assert client.put("/api/v1/me/notifications", json=body, headers=ben).status_code == 200
    hooks.fail["/slack/down"] = 100
    handle = handle_of(client, lead, "GIG-BIG", admin_headers, "BEN")
    assert step(client, lead, "GIG-BIG", action="invite", candidate=handle).status_code == 201

    now = dt.datetime.now(dt.UTC)
    rounds = [deliver(notifying, now + dt.timedelta(hours=h)) for h in range(6)]
    assert [r.failed for r in rounds] == [0, 0, 0, 1, 0, 0]  # 4 attempts, then failed for good
    assert hooks.answered_500 == 4

    listed = client.get("/api/v1/notifications/outbox?status=failed", headers=admin_headers)
    assert listed.status_code == 200
    [failed] = listed.json()["items"]
    assert listed.json()["counts"]["failed"] == 1
    assert (failed["recipient_external_id"], failed["channel"], failed["attempts"]) == (
        "BEN",
        "slack",
        4,
    )
    assert "500" in failed["last_error"] and "down for maintenance" in failed["last_error"]
    assert client.get("/api/v1/notifications/outbox", headers=ben).status_code == 403

    hooks.fail["/slack/down"] = 0
    retry = f"/api/v1/notifications/outbox/{failed['id']}/retry"
    assert client.post(retry, headers=ben).status_code == 403
    again = client.post(retry, headers=admin_headers)
    assert again.status_code == 200 and again.json()["status"] == "pending"
    assert client.post(retry, headers=admin_headers).status_code == 409  # not failed now
    assert (
        client.post("/api/v1/notifications/outbox/999999/retry", headers=admin_headers).status_code
        == 404
    )
    # An id past the column's range is refused naming it, not sent to the database (a 500 on
    # PostgreSQL's 32-bit integer, found by the fuzzer).
    too_big = client.post(f"/api/v1/notifications/outbox/{2**31}/retry", headers=admin_headers)
    assert too_big.status_code == 422 and "message_id" in too_big.text
    assert deliver(notifying).sent == 1
    assert len(hooks.payloads("/slack/down")) == 1


def test_quiet_mode_sends_nothing(
    app_client: TestClient,
    notifying: ServiceState,
    receivers: tuple[Inbox, int, Hooks],
    admin_headers: Headers,
) -> None:
    inbox, _, _ = receivers
    client = app_client
    company(client, admin_headers)
    lead, ben = token_for(notifying, Role.LEAD, "LEAD"), token_for(notifying, Role.EMPLOYEE, "BEN")
    quiet = {"channels": ["email"], "digest": "weekly", "quiet": True}
    assert client.put("/api/v1/me/notifications", json=quiet, headers=ben).json()["quiet"] is True
    handle = handle_of(client, lead, "GIG-BIG", admin_headers, "BEN")
    assert step(client, lead, "GIG-BIG", action="invite", candidate=handle).status_code == 201
    deliver(notifying)
    assert inbox.to("ben@corp.example") == []
    assert [r.recipient_external_id for r in outbox(notifying)] == []

    # Turned quiet after the event, before the send: still nothing.
    loud = dict(quiet, quiet=False)
    assert client.put("/api/v1/me/notifications", json=loud, headers=ben).status_code == 200
    other = handle_of(client, lead, "GIG-SMALL", admin_headers, "BEN")
    assert step(client, lead, "GIG-SMALL", action="invite", candidate=other).status_code == 201
    assert client.put("/api/v1/me/notifications", json=quiet, headers=ben).status_code == 200
    assert deliver(notifying).cancelled == 1
    assert inbox.to("ben@corp.example") == []
    # And a quiet person gets no digest either.
    assert queue_digests(notifying) == 0 or all(
        r.recipient_external_id != "BEN" for r in outbox(notifying) if r.event == "digest"
    )


def test_preferences_are_read_and_bad_choices_refused_naming_the_field(
    app_client: TestClient,
    notifying: ServiceState,
    receivers: tuple[Inbox, int, Hooks],
    admin_headers: Headers,
) -> None:
    _, _, hooks = receivers
    client = app_client
    company(client, admin_headers)
    ana = token_for(notifying, Role.EMPLOYEE, "ANA")
    mine = client.get("/api/v1/me/notifications", headers=ana)
    assert mine.status_code == 200
    assert mine.json() | {"updated_at": None} == {
        "channels": ["email"],
        "digest": "weekly",
        "quiet": False,
        "email": "ana@corp.example",
        "email_available": True,
        "slack_webhook_url": None,
        "teams_webhook_url": None,
        "updated_at": None,
    }

    def refused(body: dict[str, Any]) -> str:
        answer = client.put("/api/v1/me/notifications", json=body, headers=ana)
        assert answer.status_code == 422, answer.text
        return answer.json()["detail"][0]["field"]

    good = {"channels": ["email"], "digest": "daily", "quiet": False}
    assert refused(good | {"digest": "hourly"}) == "digest"
    assert refused(good | {"channels": ["fax"]}).startswith("channels")
    assert refused(good | {"channels": ["email", "email"]}) == "channels"
    assert refused(good | {"channels": ["slack"]}) == "channels"  # no webhook given
    assert refused(good | {"slack_webhook_url": "https://evil.example/hook"}) == (
        "slack_webhook_url"
    )
    assert refused(good | {"teams_webhook_url": "ftp://127.0.0.1/x"}) == "teams_webhook_url"
    assert refused(good | {"quiet": "sometimes"}) == "quiet"
    assert refused({"channels": ["email"], "digest": "daily"}) == "quiet"
    assert refused(good | {"volume": 11}) == "volume"

    saved = client.put(
        "/api/v1/me/notifications",
        json=good | {"channels": ["email", "teams"], "teams_webhook_url": hooks.url("/t/ana")},
        headers=ana,
    )
    assert saved.status_code == 200
    assert saved.json()["channels"] == ["email", "teams"] and saved.json()["digest"] == "daily"
    assert saved.json()["teams_webhook_url"].endswith("/…/ana"[-4:])
    # The webhook is kept when left out, and removed when emptied (Teams then cannot stay).
    kept = client.put("/api/v1/me/notifications", json=good | {"channels": ["teams"]}, headers=ana)
    assert kept.status_code == 200
    assert refused(good | {"channels": ["teams"], "teams_webhook_url": None}) == "channels"
    # A token that acts for nobody has no choices to make.
    assert client.get("/api/v1/me/notifications", headers=admin_headers).status_code == 403


def test_an_event_that_fails_leaves_no_message(
    notifying: ServiceState,
    receivers: tuple[Inbox, int, Hooks],
    admin_headers: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, _, _ = receivers
    with TestClient(
        create_app(notifying.settings, state=notifying), raise_server_exceptions=False
    ) as client:
        company(client, admin_headers)
        lead = token_for(notifying, Role.LEAD, "LEAD")
        handle = handle_of(client, lead, "GIG-BIG", admin_headers, "BEN")

        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("the step failed after its messages were written")

        # The last part of the step, after the outbox write, fails: the transaction rolls back.
        monkeypatch.setattr("serving.usecases.pipeline._after_commit", broken)
        failed = step(client, lead, "GIG-BIG", action="invite", candidate=handle)
        assert failed.status_code == 500
    with notifying.sessions() as session:
        assert session.scalars(select(PipelineRow)).all() == []
    assert outbox(notifying) == []
    deliver(notifying)
    assert inbox.messages == []


def test_a_digest_lists_new_matches_once_per_period(
    app_client: TestClient,
    notifying: ServiceState,
    receivers: tuple[Inbox, int, Hooks],
    admin_headers: Headers,
) -> None:
    inbox, _, _ = receivers
    client = app_client
    company(client, admin_headers)
    ana = token_for(notifying, Role.EMPLOYEE, "ANA")
    daily = {"channels": ["email"], "digest": "daily", "quiet": False}
    assert client.put("/api/v1/me/notifications", json=daily, headers=ana).status_code == 200
    ben = token_for(notifying, Role.EMPLOYEE, "BEN")
    off = {"channels": ["email"], "digest": "off", "quiet": False}
    assert client.put("/api/v1/me/notifications", json=off, headers=ben).status_code == 200

    now = dt.datetime.now(dt.UTC)
    # The worker's first round starts each schedule and sends nothing; then a posting is new.
    assert queue_digests(notifying, now=now) == 0
    fresh = make_opportunity("GIG-NEW", owner="LEAD", title="Churn forecast", hours_per_week=4)
    assert client.post("/api/v1/opportunities", json=fresh, headers=admin_headers).status_code in (
        200,
        201,
    )
    later = now + dt.timedelta(days=1)
    assert queue_digests(notifying, now=later) >= 1
    assert queue_digests(notifying, now=later + dt.timedelta(hours=1)) == 0  # not due again yet
    deliver(notifying, at=later + dt.timedelta(hours=1))  # the digest is queued for `later`
    [digest] = inbox.to("ana@corp.example")
    assert "new match" in digest["Subject"] and digest["Subject"].endswith("today")
    assert "Churn forecast" in digest.get_content()
    assert f"{PUBLIC}/#opportunity=GIG-NEW" in digest.get_content()
    assert inbox.to("ben@corp.example") == []  # his digest is off
    for value in DEMOGRAPHICS.values():
        assert value not in text_of(digest)
    # A day later nothing new was posted: no empty digest.
    assert queue_digests(notifying, now=later + dt.timedelta(days=1, hours=1)) == 0


def test_turning_the_worker_on_for_an_existing_company_sends_no_storm_of_digests(
    app_client: TestClient, notifying: ServiceState, admin_headers: Headers
) -> None:
    """A company of people with the default weekly digest and none ever sent: the worker's
    first rounds send nothing; the first digests come one period later, spread over the
    period's last seventh (never all due on one round), each round within its cap."""
    client = app_client
    company(client, admin_headers)
    staff = [
        make_employee(
            f"P{n:03}", availability_hours_per_week=20, skills=[{"name": PYTHON, "level": 4}]
        )
        for n in range(60)
    ]
    assert (
        client.post("/api/v1/employees/bulk", json=staff, headers=admin_headers).status_code == 200
    )
    cap = 8
    notifying.settings = notifying.settings.model_copy(update={"notify_digests_per_run": cap})
    with notifying.sessions() as session:
        everyone = set(session.scalars(select(EmployeeRow.external_id)))

    def digests() -> list[OutboxRow]:
        return [row for row in outbox(notifying) if row.event == "digest"]

    def due(at: dt.datetime) -> list[str]:
        with notifying.sessions() as session:
            return store.due_for_digest(session, now=at, limit=1000)

    start = dt.datetime.now(dt.UTC)
    for later in (
        dt.timedelta(0),
        dt.timedelta(minutes=1),
        dt.timedelta(hours=6),
        dt.timedelta(days=5),
    ):
        assert queue_digests(notifying, now=start + later) == 0
    assert digests() == []
    # Every schedule started on the first round (none is left for a later storm).
    with notifying.sessions() as session:
        rows = session.scalars(select(NotificationPreferenceRow)).all()
    assert {r.employee_external_id for r in rows} == everyone
    assert all(r.last_digest_at is not None for r in rows)

    # Nobody is due before six sevenths of the week; some are halfway through the last day;
    # everyone one week after the start.
    week = dt.timedelta(days=7)
    assert due(start + week * 6 / 7 - dt.timedelta(minutes=1)) == []
    assert 0 < len(due(start + week * 13 / 14)) < len(everyone)
    assert set(due(start + week + dt.timedelta(minutes=1))) == everyone

    fresh = make_opportunity("GIG-NEW", owner="LEAD", title="Churn forecast", hours_per_week=4)
    created = client.post("/api/v1/opportunities", json=fresh, headers=admin_headers)
    assert created.status_code in (200, 201), created.text
    rounds = [
        queue_digests(notifying, now=start + week + dt.timedelta(minutes=m)) for m in range(1, 4)
    ]
    assert all(0 < queued <= cap for queued in rounds), rounds
    recipients = [row.recipient_external_id for row in digests()]
    assert len(recipients) == len(set(recipients)) == sum(rounds)


def test_the_server_sends_in_the_background_and_the_cli_from_scripts(
    notifying: ServiceState,
    receivers: tuple[Inbox, int, Hooks],
    admin_headers: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port, _ = receivers
    # The server's worker: every 0.2 s (digests off, so only the invitation goes out).
    notifying.settings = notifying.settings.model_copy(
        update={"notify_seconds": 0.2, "notify_digests_per_run": 0}
    )
    with TestClient(create_app(notifying.settings, state=notifying)) as client:
        company(client, admin_headers)
        lead = token_for(notifying, Role.LEAD, "LEAD")
        handle = handle_of(client, lead, "GIG-BIG", admin_headers, "BEN")
        assert step(client, lead, "GIG-BIG", action="invite", candidate=handle).status_code == 201
        deadline = time.monotonic() + 20
        while not inbox.to("ben@corp.example") and time.monotonic() < deadline:
            time.sleep(0.1)
    assert subjects(inbox, "ben@corp.example") == ["You are invited to “Churn model”"]

    # With no server worker, `talent notify --once` sends what is due, configured (like in
    # production) by the environment.
    settings = notifying.settings
    audit_key, token_secret = settings.audit_key, settings.token_secret
    assert audit_key is not None and token_secret is not None  # the suite's settings carry both
    environment = {
        "DATABASE_URL": settings.resolved_database_url,
        "VAR_DIR": str(settings.var_dir),
        "AUDIT_KEY": audit_key.get_secret_value(),
        "TOKEN_SECRET": token_secret.get_secret_value(),
        "PUBLIC_URL": PUBLIC,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "talent@corp.test",
    }
    for name, value in environment.items():
        monkeypatch.setenv(f"TALENT_{name}", value)
    with notifying.sessions() as session:
        ben = session.scalars(select(PipelineRow).where(PipelineRow.employee_external_id == "BEN"))
        assert ben.one().stage == "invited"
    with TestClient(create_app(original_off(notifying), state=notifying)) as client:
        small = handle_of(client, lead, "GIG-SMALL", admin_headers, "BEN")
        assert step(client, lead, "GIG-SMALL", action="invite", candidate=small).status_code == 201
    result = CliRunner().invoke(cli, ["notify", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert subjects(inbox, "ben@corp.example")[-1] == "You are invited to “Churn dashboard”"
    again = CliRunner().invoke(cli, ["notify", "--once"])
    assert "sent 0" in again.output


def original_off(state: ServiceState) -> Any:
    state.settings = state.settings.model_copy(update={"notify_seconds": 0})
    return state.settings


def test_a_mail_server_without_starttls_is_an_error_an_admin_can_read(
    app_client: TestClient,
    notifying: ServiceState,
    receivers: tuple[Inbox, int, Hooks],
    admin_headers: Headers,
) -> None:
    """TLS is never silently skipped: a server that does not offer STARTTLS gets no message,
    and the outbox says why."""
    inbox, _, _ = receivers
    client = app_client
    company(client, admin_headers)
    notifying.settings = notifying.settings.model_copy(update={"smtp_security": "starttls"})
    lead = token_for(notifying, Role.LEAD, "LEAD")
    handle = handle_of(client, lead, "GIG-BIG", admin_headers, "BEN")
    assert step(client, lead, "GIG-BIG", action="invite", candidate=handle).status_code == 201
    assert deliver(notifying).retrying == 1
    assert inbox.messages == []
    listed = client.get("/api/v1/notifications/outbox?status=pending", headers=admin_headers)
    [waiting] = listed.json()["items"]
    assert "STARTTLS" in waiting["last_error"] and waiting["attempts"] == 1


def test_an_approval_nobody_manages_goes_to_the_company_channel_for_hr(
    app_client: TestClient,
    notifying: ServiceState,
    receivers: tuple[Inbox, int, Hooks],
    admin_headers: Headers,
) -> None:
    _, _, hooks = receivers
    client = app_client
    company(client, admin_headers)
    notifying.settings = notifying.settings.model_copy(
        update={"slack_webhook_url": SecretStr(hooks.url("/slack/hr"))}
    )
    lead, ben = token_for(notifying, Role.LEAD, "LEAD"), token_for(notifying, Role.EMPLOYEE, "BEN")
    handle = handle_of(client, lead, "GIG-BIG", admin_headers, "BEN")
    assert step(client, ben, "GIG-BIG", action="apply").status_code == 201
    assert step(client, lead, "GIG-BIG", action="offer", candidate=handle).status_code == 200
    accepted = step(client, ben, "GIG-BIG", action="accept_offer")
    assert accepted.json()["approval"]["status"] == "pending"  # Ben has no manager on record
    deliver(notifying)
    [posted] = hooks.payloads("/slack/hr")
    assert posted["text"].startswith("Approval asked: Ben Builder for “Churn model”")
    assert "HR decides" in posted["blocks"][1]["text"]["text"]
    assert posted["blocks"][-1]["elements"][0]["url"] == f"{PUBLIC}/#approvals"
