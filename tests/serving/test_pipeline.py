"""The marketplace's workflow through the API, on SQLite and PostgreSQL: each path end to end
(apply → shortlist → offer → approve → assign → complete → rate; invite → accept; reject with
a reason; waitlist → slot), each role only its own steps, 409s that say what may come next,
identities revealed only after the candidate asked (and each reveal logged), seats that count
down, and the last seat won by exactly one of two concurrent assignments."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from data.demo import generate_company
from data.importing.demo import open_pipeline, store_demo_company
from data.schemas import Role
from data.storage.engine import transaction
from data.storage.skills import merge_skill
from data.storage.tables import (
    InteractionRow,
    OversightEventRow,
    PipelineRow,
    SkillProposalRow,
    SkillRow,
)
from data.taxonomy.packaged import load_packaged_taxonomy
from serving.app import create_app
from serving.state import ServiceState
from tests.conftest import TODAY
from tests.factories import PYTHON, make_employee, make_opportunity
from tests.helpers.api import token_for

if TYPE_CHECKING:  # the TestClient's responses: httpx2's where installed (starlette)
    import httpx2

Headers = dict[str, str]


def company(client: TestClient, admin: Headers) -> None:
    people = [
        make_employee("LEAD", name="Lena Lead", level=5, title="Analytics Lead"),
        make_employee("MGR", name="Mia Manager", level=5, title="Finance Manager"),
        make_employee(
            "ANA",
            name="Ana Analyst",
            manager_external_id="MGR",
            availability_hours_per_week=14,
            skills=[{"name": PYTHON, "level": 4}, {"name": "SQL", "level": 3}],
        ),
        make_employee("BEN", name="Ben Builder", manager_external_id="MGR"),
        make_employee("CAT", name="Cat Coder"),
    ]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    postings = [
        make_opportunity("GIG-BIG", owner="LEAD", title="Churn model", hours_per_week=12),
        make_opportunity("GIG-SMALL", owner="LEAD", title="Churn dashboard", hours_per_week=4),
        make_opportunity(
            "MENTOR",
            owner="LEAD",
            kind="mentorship",
            title="Python mentoring",
            hours_per_week=2,
            seats=1,
        ),
    ]
    assert (
        client.post("/api/v1/opportunities/bulk", json=postings, headers=admin).status_code == 200
    )


def step(client: TestClient, who: Headers, opportunity: str, **body: Any) -> httpx2.Response:
    return client.post(f"/api/v1/opportunities/{opportunity}/pipeline", json=body, headers=who)


def handle_of(
    client: TestClient, lead: Headers, opportunity: str, admin: Headers, person: str
) -> str:
    """The handle the lead's own list shows for `person` (an admin's view says who is who)."""
    mine = client.get(f"/api/v1/opportunities/{opportunity}/candidates", headers=lead).json()
    seen = client.get(f"/api/v1/opportunities/{opportunity}/candidates", headers=admin).json()
    by_handle = {i["candidate"]["handle"]: i["candidate"]["external_id"] for i in seen["items"]}
    [handle] = [
        i["candidate"]["handle"]
        for i in mine["items"]
        if by_handle.get(i["candidate"]["handle"]) == person
    ]
    return handle


def events(state: ServiceState, opportunity: str) -> list[InteractionRow]:
    with state.sessions() as session:
        query = (
            select(InteractionRow)
            .where(InteractionRow.opportunity_external_id == opportunity)
            .order_by(InteractionRow.id)
        )
        return list(session.scalars(query))


def test_an_application_goes_from_apply_to_a_rated_completion(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    ana, lead = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.LEAD, "LEAD")
    manager, hr = token_for(state, Role.EMPLOYEE, "MGR"), token_for(state, Role.HR, "CAT")
    matches = client.get("/api/v1/employees/ANA/matches?kind=gig", headers=ana).json()
    assert {"GIG-BIG", "GIG-SMALL"} <= {i["opportunity"]["external_id"] for i in matches["items"]}

    applied = step(client, ana, "GIG-BIG", action="apply", note="I built the last churn model")
    assert applied.status_code == 201, applied.text
    assert applied.json()["stage"] == "applied"
    assert applied.json()["allowed_next"] == ["withdraw"]
    assert applied.json()["request_id"] == matches["request_id"]  # the list it came from

    # The lead sees who applied, by name; the first sight is logged for HR.
    board = client.get("/api/v1/opportunities/GIG-BIG/pipeline", headers=lead).json()
    [pair] = board["stages"]["applied"]
    assert pair["candidate"]["identity"]["name"] == "Ana Analyst"
    assert pair["note"] == "I built the last churn model"
    handle = pair["candidate"]["handle"]
    assert pair["allowed_next"] == ["shortlist", "offer", "reject"]

    # Each side only its own steps; a step out of turn says what may come next.
    assert step(client, ana, "GIG-BIG", action="shortlist", candidate=handle).status_code == 403
    early = step(client, lead, "GIG-BIG", action="assign", candidate=handle)
    assert early.status_code == 409
    assert early.json()["detail"]["stage"] == "applied"
    assert early.json()["detail"]["allowed_next"] == ["shortlist", "offer", "reject"]

    for action in ("shortlist", "offer"):
        moved = step(client, lead, "GIG-BIG", action=action, candidate=handle)
        assert moved.status_code == 200, moved.text
    assert step(client, ana, "GIG-BIG", action="accept_offer").json()["approval"]["status"] == (
        "pending"  # 12 h of a 40 h week is more than the company's 20%
    )
    waiting = step(client, lead, "GIG-BIG", action="assign", candidate=handle)
    assert waiting.status_code == 409 and "MGR" in waiting.json()["detail"]["message"]

    # The manager sees the approval with the employee's other commitments; HR does not yet.
    [approval] = client.get("/api/v1/approvals", headers=manager).json()["items"]
    assert approval["employee"]["external_id"] == "ANA" and approval["share_of_week"] == 0.3
    assert client.get("/api/v1/approvals", headers=hr).json()["items"] == []
    assert (
        client.post(
            "/api/v1/approvals/GIG-BIG/ANA",
            json={"decision": "approve", "reason": "fits the quarter"},
            headers=lead,
        ).status_code
        == 404
    )
    decided = client.post(
        "/api/v1/approvals/GIG-BIG/ANA",
        json={"decision": "approve", "reason": "fits the quarter"},
        headers=manager,
    )
    assert decided.status_code == 200 and decided.json()["approval"]["status"] == "approved"

    assigned = step(client, lead, "GIG-BIG", action="assign", candidate=handle)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["stage"] == "assigned" and assigned.json()["hours_per_week"] == 12
    board = client.get("/api/v1/opportunities/GIG-BIG/pipeline", headers=lead).json()
    assert board["status"] == "filled" and board["seats_filled"] == 1
    # 12 of Ana's 14 free hours are taken: a 4-hour gig no longer fits.
    after = client.get("/api/v1/employees/ANA/matches?kind=gig", headers=ana).json()
    assert "GIG-SMALL" not in {i["opportunity"]["external_id"] for i in after["items"]}
    assert after["retrieval"]["removed_by_rule"]["availability_below_hours"] >= 1
    mine = client.get("/api/v1/employees/ANA/pipeline", headers=ana).json()
    assert mine["committed_hours_per_week"] == 12
    assert [p["opportunity_external_id"] for p in mine["assignments"]] == ["GIG-BIG"]

    unrated = step(client, lead, "GIG-BIG", action="complete", candidate=handle)
    assert unrated.status_code == 422 and unrated.json()["detail"][0]["field"] == "rating"
    done = step(
        client,
        lead,
        "GIG-BIG",
        action="complete",
        candidate=handle,
        rating=5,
        skills_used=[{"name": "SQL", "level": 4}, {"name": PYTHON, "level": 4}],
    )
    assert done.status_code == 200, done.text
    # SQL at 4 is above Ana's 3: proposed, not written; Python at 4 she already has.
    [proposal] = done.json()["proposals"]
    assert (proposal["label"], proposal["level"], proposal["current_level"]) == ("SQL", 4, 3)
    profile = client.get("/api/v1/employees/ANA", headers=ana).json()
    assert {s["name"]: s["level"] for s in profile["skills"]}["SQL"] == 3

    assert step(client, ana, "GIG-BIG", action="rate", rating=4).status_code == 200
    assert step(client, ana, "GIG-BIG", action="rate", rating=5).status_code == 409
    accepted = client.post(
        f"/api/v1/employees/ANA/skill-proposals/{proposal['skill_id']}",
        json={"decision": "accept"},
        headers=ana,
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    profile = client.get("/api/v1/employees/ANA", headers=ana).json()
    assert {s["name"]: s["level"] for s in profile["skills"]}["SQL"] == 4

    logged = [(e.type, e.actor_role) for e in events(state, "GIG-BIG")]
    assert logged == [
        ("apply", "employee"),
        ("shortlist", "lead"),
        ("offer", "lead"),
        ("accept_offer", "employee"),
        ("approval", "employee"),
        ("assign", "lead"),
        ("complete", "lead"),
        ("rate", "employee"),
    ]
    assert all(e.request_id == matches["request_id"] for e in events(state, "GIG-BIG"))
    with state.sessions() as session:
        reveals = list(
            session.scalars(select(OversightEventRow).where(OversightEventRow.action == "reveal"))
        )
    assert [(r.actor, r.details["employee_external_id"], r.details["why"]) for r in reveals] == [
        ("LEAD", "ANA", "application")
    ]

    # HR's outcome figures count what happened, as JSON and in the HTML report.
    hr_only = client.get("/api/v1/audits/outcomes", headers=lead)
    assert hr_only.status_code == 403
    outcomes = client.get("/api/v1/audits/outcomes", headers=hr).json()
    fill = outcomes["internal_fill_rate"]
    assert (fill["posted"], fill["filled_internally"]) == (3, 1)
    assert fill["by_kind"]["gig"] == {"posted": 2, "filled_internally": 1, "rate": 0.5}
    assert outcomes["participation"]["employees"] == 5
    assert outcomes["participation"]["applied"] == outcomes["participation"]["assigned"] == 0.2
    assert outcomes["mobility_velocity"]["assignments"] == 1
    closure = outcomes["skills_gap_closure"]
    assert closure["skills_confirmed"] == 2 and closure["profile_updates_accepted"] == 1
    assert outcomes["time_to_proficiency"]["n"] == 1  # Python asked at 3, confirmed at 4
    assert outcomes["identity_reveals"] == 1
    assert outcomes["time_to_fill"]["n"] == 1 and outcomes["time_to_fill"]["median_days"] >= 0
    page = client.get("/api/v1/audits/report.html", headers=hr)
    assert page.status_code == 200 and "Marketplace outcomes" in page.text
    assert "1 of 3 posted" in page.text


def test_an_invitation_accepted_reveals_the_candidate_and_a_rejection_needs_a_reason(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    ben, lead = token_for(state, Role.EMPLOYEE, "BEN"), token_for(state, Role.LEAD, "LEAD")
    handle = handle_of(client, lead, "GIG-SMALL", admin_headers, "BEN")
    invited = step(client, lead, "GIG-SMALL", action="invite", candidate=handle, note="join us?")
    assert invited.status_code == 201 and invited.json()["stage"] == "invited"
    assert "identity" not in invited.json()["candidate"]  # not until Ben says yes
    assert "Ben" not in client.get("/api/v1/opportunities/GIG-SMALL/pipeline", headers=lead).text

    # Ben sees the invitation with his matches, and answers it.
    matches = client.get("/api/v1/employees/BEN/matches?kind=gig", headers=ben).json()
    [invitation] = matches["invitations"]
    assert invitation["opportunity"]["external_id"] == "GIG-SMALL"
    assert invitation["allowed_next"] == ["accept_invitation", "decline_invitation"]
    assert invitation["note"] == "join us?"
    assert (
        step(client, lead, "GIG-SMALL", action="offer", candidate=handle)
        .json()["detail"]["message"]
        .endswith("the other side acts next: accept_invitation, decline_invitation")
    )
    accepted = step(client, ben, "GIG-SMALL", action="accept_invitation")
    assert accepted.status_code == 200 and accepted.json()["stage"] == "applied"
    board = client.get("/api/v1/opportunities/GIG-SMALL/pipeline", headers=lead).json()
    [pair] = board["stages"]["applied"]
    assert pair["candidate"]["identity"]["email"] == "ben@corp.example"

    missing = step(client, lead, "GIG-SMALL", action="reject", candidate=handle)
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "reason_code"
    rejected = step(
        client, lead, "GIG-SMALL", action="reject", candidate=handle, reason_code="timing"
    )
    assert rejected.status_code == 200 and rejected.json()["reason_code"] == "timing"
    final = step(client, ben, "GIG-SMALL", action="withdraw")
    assert final.status_code == 409 and final.json()["detail"]["allowed_next"] == []
    assert "nothing more can happen" in final.json()["detail"]["message"]
    mine = client.get("/api/v1/employees/BEN/pipeline", headers=ben).json()
    assert [p["stage"] for p in mine["closed"]] == ["rejected"]
    # Quiet mode (the default): his manager sees none of it; once he turns it off, she may.
    manager = token_for(state, Role.EMPLOYEE, "MGR")
    assert client.get("/api/v1/employees/BEN/pipeline", headers=manager).status_code == 403
    assert (
        client.put(
            "/api/v1/employees/BEN/quiet-mode", json={"quiet_mode": False}, headers=ben
        ).status_code
        == 200
    )
    seen = client.get("/api/v1/employees/BEN/pipeline", headers=manager)
    assert seen.status_code == 200 and seen.json()["closed"][0]["allowed_next"] == []


def test_a_full_mentorship_offers_its_next_slot_in_waitlist_order(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    ana, ben, cat = (token_for(state, Role.EMPLOYEE, p) for p in ("ANA", "BEN", "CAT"))
    assert step(client, ben, "MENTOR", action="join_waitlist").status_code == 409  # a slot is free
    assert step(client, ana, "MENTOR", action="apply").status_code == 201
    handle = client.get("/api/v1/opportunities/MENTOR/pipeline", headers=lead).json()["stages"][
        "applied"
    ][0]["candidate"]["handle"]
    for who, action in ((lead, "offer"), (ana, "accept_offer"), (lead, "assign")):
        moved = step(
            client, who, "MENTOR", action=action, candidate=handle if who is lead else None
        )
        assert moved.status_code == 200, moved.text
    assert moved.json()["approval"]["status"] == "none"  # 2 hours: no approval needed

    full = step(client, ben, "MENTOR", action="apply")
    assert full.status_code == 409 and "join_waitlist" in full.json()["detail"]
    ben_waits = step(client, ben, "MENTOR", action="join_waitlist")
    cat_waits = step(client, cat, "MENTOR", action="join_waitlist")
    assert ben_waits.status_code == cat_waits.status_code == 201
    queue = client.get("/api/v1/employees/CAT/pipeline", headers=cat).json()["waitlists"]
    assert queue[0]["waitlist_position"] == 2
    # A full mentor is matched to nobody new.
    mentorships = client.get("/api/v1/employees/CAT/matches?kind=mentorship", headers=cat).json()
    assert "MENTOR" not in {i["opportunity"]["external_id"] for i in mentorships["items"]}

    done = step(client, lead, "MENTOR", action="complete", candidate=handle, rating=4)
    assert done.status_code == 200, done.text
    mine = client.get("/api/v1/employees/BEN/pipeline", headers=ben).json()
    assert [p["opportunity_external_id"] for p in mine["offers"]] == ["MENTOR"]
    assert mine["offers"][0]["allowed_next"] == ["accept_offer", "decline_offer"]
    still = client.get("/api/v1/employees/CAT/pipeline", headers=cat).json()["waitlists"]
    assert still[0]["waitlist_position"] == 1
    # Ben takes the slot; the mentor stays full with him.
    assert step(client, ben, "MENTOR", action="accept_offer").status_code == 200
    ben_handle = handle_of_pair(client, lead, "MENTOR", "accepted")
    assigned = step(client, lead, "MENTOR", action="assign", candidate=ben_handle)
    assert assigned.status_code == 200, assigned.text
    board = client.get("/api/v1/opportunities/MENTOR/pipeline", headers=lead).json()
    assert board["status"] == "filled" and board["seats_filled"] == 1
    offered = [e for e in events(state, "MENTOR") if e.type == "slot_offer"]
    assert [e.employee_external_id for e in offered] == ["BEN"]


def slot_offered_to_ben(
    client: TestClient, state: ServiceState, admin: Headers
) -> tuple[Headers, Headers, Headers]:
    """Ana mentored and done, Ben then Cat on the waitlist: the freed slot is offered to Ben.
    The lead's, Ben's and Cat's headers."""
    company(client, admin)
    lead = token_for(state, Role.LEAD, "LEAD")
    ana, ben, cat = (token_for(state, Role.EMPLOYEE, p) for p in ("ANA", "BEN", "CAT"))
    assert step(client, ana, "MENTOR", action="apply").status_code == 201
    for who, action in ((lead, "offer"), (ana, "accept_offer"), (lead, "assign")):
        body = {"candidate": "ANA"} if who is lead else {}
        assert step(client, who, "MENTOR", action=action, **body).status_code == 200
    for who in (ben, cat):
        assert step(client, who, "MENTOR", action="join_waitlist").status_code == 201
    done = step(client, lead, "MENTOR", action="complete", candidate="ANA", rating=4)
    assert done.status_code == 200
    return lead, ben, cat


def test_a_declined_waitlist_offer_passes_to_the_next_and_then_reopens_the_mentor(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    lead, ben, cat = slot_offered_to_ben(client, state, admin_headers)
    assert step(client, ben, "MENTOR", action="decline_offer").status_code == 200
    offers = client.get("/api/v1/employees/CAT/pipeline", headers=cat).json()["offers"]
    assert [p["opportunity_external_id"] for p in offers] == ["MENTOR"]
    board = client.get("/api/v1/opportunities/MENTOR/pipeline", headers=lead).json()
    assert board["status"] == "filled"  # held for Cat
    assert step(client, cat, "MENTOR", action="decline_offer").status_code == 200
    board = client.get("/api/v1/opportunities/MENTOR/pipeline", headers=lead).json()
    assert board["status"] == "open" and board["seats_filled"] == 0


def test_a_person_erased_while_offered_a_waitlist_slot_passes_it_to_the_next(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    lead, ben, cat = slot_offered_to_ben(client, state, admin_headers)
    offered = client.get("/api/v1/employees/BEN/pipeline", headers=ben).json()["offers"]
    assert [p["opportunity_external_id"] for p in offered] == ["MENTOR"]

    # Ben leaves (erased at his request) holding the offered slot: it goes to Cat, next in line.
    erased = client.post(
        "/api/v1/employees/BEN/erasure", json={"reason": "the person asked"}, headers=admin_headers
    )

    assert erased.status_code == 200, erased.text
    offers = client.get("/api/v1/employees/CAT/pipeline", headers=cat).json()["offers"]
    assert [p["opportunity_external_id"] for p in offers] == ["MENTOR"]
    board = client.get("/api/v1/opportunities/MENTOR/pipeline", headers=lead).json()
    assert board["status"] == "filled"  # held for Cat


def handle_of_pair(client: TestClient, lead: Headers, opportunity: str, stage: str) -> str:
    board = client.get(f"/api/v1/opportunities/{opportunity}/pipeline", headers=lead).json()
    [pair] = board["stages"][stage]
    return pair["candidate"]["handle"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_assignments_racing_for_the_last_seat_one_wins_the_other_gets_409(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    for person in ("BEN", "CAT"):
        who = token_for(state, Role.EMPLOYEE, person)
        assert step(client, who, "GIG-SMALL", action="apply").status_code == 201
    board = client.get("/api/v1/opportunities/GIG-SMALL/pipeline", headers=lead).json()
    handles = [p["candidate"]["handle"] for p in board["stages"]["applied"]]
    for handle, person in zip(handles, ("BEN", "CAT"), strict=True):
        assert step(client, lead, "GIG-SMALL", action="offer", candidate=handle).status_code == 200
        who = token_for(state, Role.EMPLOYEE, person)
        assert step(client, who, "GIG-SMALL", action="accept_offer").status_code == 200

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(state.settings, state=state),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    try:
        # The lead and an admin (a second lead's stand-in) each assign one of the two at once.
        racers = [(lead, handles[0]), (admin_headers, handles[1])]

        async def race() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                return list(
                    await asyncio.gather(
                        *(
                            http.post(
                                "/api/v1/opportunities/GIG-SMALL/pipeline",
                                json={"action": "assign", "candidate": handle},
                                headers=who,
                            )
                            for who, handle in racers
                        )
                    )
                )

        answers = asyncio.run(race())
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    [lost] = [a for a in answers if a.status_code == 409]
    assert "seat" in str(lost.json()["detail"])
    board = client.get("/api/v1/opportunities/GIG-SMALL/pipeline", headers=lead).json()
    assert board["seats_filled"] == 1 and board["status"] == "filled"
    assert len(board["stages"]["assigned"]) == 1 and len(board["stages"]["accepted"]) == 1


def test_an_approval_left_pending_goes_to_hr_and_a_declined_one_blocks_assignment(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    ana, lead = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.LEAD, "LEAD")
    hr = token_for(state, Role.HR, "CAT")
    assert step(client, ana, "GIG-BIG", action="apply").status_code == 201
    # Ana applied: her lead may now name her (an invitee only by handle, until she accepts).
    assert step(client, lead, "GIG-BIG", action="offer", candidate="ANA").status_code == 200
    assert step(client, lead, "GIG-SMALL", action="offer", candidate="BEN").status_code == 422
    assert step(client, ana, "GIG-BIG", action="accept_offer").status_code == 200
    assert client.get("/api/v1/approvals", headers=hr).json()["items"] == []
    with state.sessions() as session:
        session.execute(
            update(PipelineRow).values(
                approval_requested_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=6)
            )
        )
        session.commit()
    [late] = client.get("/api/v1/approvals", headers=hr).json()["items"]
    assert late["approval"]["escalated"] is True  # 6 days > the 5 the company allows
    declined = client.post(
        "/api/v1/approvals/GIG-BIG/ANA",
        json={"decision": "decline", "reason": "quarter close needs her"},
        headers=hr,
    )
    assert declined.status_code == 200 and declined.json()["approval"]["status"] == "declined"
    again = client.post(
        "/api/v1/approvals/GIG-BIG/ANA",
        json={"decision": "approve", "reason": "changed my mind"},
        headers=admin_headers,
    )
    assert again.status_code == 409
    blocked = step(client, lead, "GIG-BIG", action="assign", candidate="ANA")
    assert blocked.status_code == 409
    assert blocked.json()["detail"]["message"].endswith("quarter close needs her")
    assert blocked.json()["detail"]["allowed_next"] == ["reject"]
    ended = step(
        client, lead, "GIG-BIG", action="reject", candidate="ANA", reason_code="availability"
    )
    assert ended.status_code == 200 and ended.json()["stage"] == "rejected"


def test_a_withdrawal_cancels_the_pending_approval_and_edits_keep_the_rules(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    lead, manager = token_for(state, Role.LEAD, "LEAD"), token_for(state, Role.EMPLOYEE, "MGR")
    ana, ben = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.EMPLOYEE, "BEN")
    for who, name in ((ana, "ANA"), (ben, "BEN")):
        assert step(client, who, "GIG-BIG", action="apply").status_code == 201
        assert step(client, lead, "GIG-BIG", action="offer", candidate=name).status_code == 200
        assert step(client, who, "GIG-BIG", action="accept_offer").status_code == 200
    assert len(client.get("/api/v1/approvals", headers=manager).json()["items"]) == 2
    gone = step(client, ben, "GIG-BIG", action="withdraw")
    assert gone.status_code == 200 and gone.json()["approval"]["status"] == "cancelled"
    [left] = client.get("/api/v1/approvals", headers=manager).json()["items"]
    assert left["employee"]["external_id"] == "ANA"

    # A small gig accepted without approval needs one once its hours grow past the share.
    assert step(client, ben, "GIG-SMALL", action="apply").status_code == 201
    assert step(client, lead, "GIG-SMALL", action="offer", candidate="BEN").status_code == 200
    taken = step(client, ben, "GIG-SMALL", action="accept_offer").json()
    assert taken["approval"]["status"] == "none"
    grown = client.patch(
        "/api/v1/opportunities/GIG-SMALL", json={"hours_per_week": 16}, headers=lead
    )
    assert grown.status_code == 200, grown.text
    waiting = step(client, lead, "GIG-SMALL", action="assign", candidate="BEN")
    assert waiting.status_code == 409 and waiting.json()["detail"]["approval"] == "pending"
    assert (
        client.patch(
            "/api/v1/opportunities/GIG-SMALL", json={"hours_per_week": 4}, headers=lead
        ).status_code
        == 200
    )
    # Seats cannot drop below those taken, nor a full posting reopen.
    approve = client.post(
        "/api/v1/approvals/GIG-SMALL/BEN",
        json={"decision": "approve", "reason": "fine by me"},
        headers=manager,
    )
    assert approve.status_code == 200
    assert step(client, lead, "GIG-SMALL", action="assign", candidate="BEN").status_code == 200
    fewer = client.patch("/api/v1/opportunities/GIG-SMALL", json={"seats": 0}, headers=lead)
    assert fewer.status_code == 422
    reopen = client.patch("/api/v1/opportunities/GIG-SMALL", json={"status": "open"}, headers=lead)
    assert reopen.status_code == 422 and reopen.json()["detail"][0]["field"] == "status"


def test_a_gig_posted_by_the_employees_own_manager_needs_no_separate_approval(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    gig = make_opportunity("GIG-TEAM", owner="MGR", title="Team churn study", hours_per_week=12)
    assert (
        client.post("/api/v1/opportunities/bulk", json=[gig], headers=admin_headers).status_code
        == 200
    )
    ben = token_for(state, Role.EMPLOYEE, "BEN")
    assert step(client, ben, "GIG-TEAM", action="apply").status_code == 201
    offer = step(client, admin_headers, "GIG-TEAM", action="offer", candidate="BEN")
    assert offer.status_code == 200
    accepted = step(client, ben, "GIG-TEAM", action="accept_offer").json()
    assert accepted["approval"]["status"] == "approved"
    assert "manager posted this gig" in accepted["approval"]["reason"]


def test_the_demo_historys_open_applications_are_live_pipelines(
    client: TestClient, state: ServiceState
) -> None:
    company_ = generate_company(
        load_packaged_taxonomy(), employees=150, opportunities=40, seed=7, as_of=TODAY
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, company_)
    rows = open_pipeline(company_)
    assert rows and {r.stage for r in rows} <= {"applied", "shortlisted"}
    first = rows[0]
    owner = next(
        o.owner_external_id
        for o in company_.opportunities
        if o.external_id == first.opportunity_external_id
    )
    lead = token_for(state, Role.LEAD, owner)
    board = client.get(
        f"/api/v1/opportunities/{first.opportunity_external_id}/pipeline", headers=lead
    ).json()
    listed = [p["candidate"]["identity"]["external_id"] for p in board["stages"][first.stage]]
    assert first.employee_external_id in listed
    again = step(
        client,
        token_for(state, Role.EMPLOYEE, first.employee_external_id),
        first.opportunity_external_id,
        action="apply",
    )
    assert again.status_code == 409 and again.json()["detail"]["stage"] == first.stage


def test_merging_a_skill_moves_the_confirmations_and_proposals_that_name_it(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    sql = client.get("/api/v1/skills/normalize?q=SQL", headers=admin_headers).json()["items"][0]
    now = dt.datetime.now(dt.UTC)
    custom = "custom:warehouse-queries"
    with transaction(state.sessions) as session:
        session.add(SkillRow(skill_id=custom, label="warehouse queries", source="custom"))
        session.flush()
        session.add(
            PipelineRow(
                employee_external_id="ANA",
                opportunity_external_id="GIG-SMALL",
                stage="completed",
                version=1,
                origin="application",
                note="",
                approval="none",
                approval_reason="",
                skills_used=[{"skill_id": custom, "name": "warehouse queries", "level": 4}],
                created_at=now,
                updated_at=now,
            )
        )
        session.add(
            SkillProposalRow(
                employee_external_id="ANA",
                skill_id=custom,
                level=4,
                opportunity_external_id="GIG-SMALL",
                proposed_by="LEAD",
                status="pending",
                created_at=now,
            )
        )
    with transaction(state.sessions) as session:
        merge_skill(session, custom, sql["skill_id"])  # HR merged it into SQL
    [moved] = client.get("/api/v1/employees/ANA/skill-proposals", headers=ana).json()["items"]
    assert (moved["skill_id"], moved["label"]) == (sql["skill_id"], "SQL")
    mine = client.get("/api/v1/employees/ANA/pipeline", headers=ana).json()
    assert [s["skill_id"] for s in mine["closed"][0]["skills_used"]] == [sql["skill_id"]]


def test_accepted_offers_commit_their_hours_on_every_page_that_counts_them(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    """Two offers accepted (4 h, then 12 h, of Ana's 14 free) before any assignment: her page,
    her matches' free hours and the manager's approval all count both."""
    company(client, admin_headers)
    lead, manager = token_for(state, Role.LEAD, "LEAD"), token_for(state, Role.EMPLOYEE, "MGR")
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    for gig in ("GIG-SMALL", "GIG-BIG"):
        assert step(client, ana, gig, action="apply").status_code == 201
        assert step(client, lead, gig, action="offer", candidate="ANA").status_code == 200
        assert step(client, ana, gig, action="accept_offer").status_code == 200
    mine = client.get("/api/v1/employees/ANA/pipeline", headers=ana).json()
    assert mine["committed_hours_per_week"] == 16
    assert mine["assignments"] == []  # nothing assigned yet: the offers alone commit
    [approval] = client.get("/api/v1/approvals", headers=manager).json()["items"]
    assert approval["opportunity"]["external_id"] == "GIG-BIG"
    assert approval["other_commitments_hours_per_week"] == 4
    assert [c["title"] for c in approval["commitments"]] == ["Churn dashboard"]
    assert approval["hours_left_per_week"] == -2
    # No free hours are left: even the 2-hour mentorship is out of her matches.
    matches = client.get("/api/v1/employees/ANA/matches?kind=mentorship", headers=ana).json()
    assert "MENTOR" not in {i["opportunity"]["external_id"] for i in matches["items"]}
    assert matches["retrieval"]["removed_by_rule"]["availability_below_hours"] >= 1
    # A declined approval frees the hours its offer held.
    declined = client.post(
        "/api/v1/approvals/GIG-BIG/ANA",
        json={"decision": "decline", "reason": "quarter close"},
        headers=manager,
    )
    assert declined.status_code == 200
    mine = client.get("/api/v1/employees/ANA/pipeline", headers=ana).json()
    assert mine["committed_hours_per_week"] == 4
