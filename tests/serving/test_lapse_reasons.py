"""An invitation that lapses says why, as stored on the pair: the person left (SCIM
deactivation) is never told to the lead as "every seat was taken"; a lapse stored before
reasons were kept says only that it lapsed. On SQLite and PostgreSQL (the `client` fixture)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from data.schemas import Role
from data.storage.tables import OpportunityRow, PipelineRow
from serving.notifications import messages
from serving.state import ServiceState
from tests.helpers.api import token_for
from tests.serving.test_pipeline import company, handle_of, step
from tests.serving.test_scim import patch, scim_token, user

Headers = dict[str, str]


def lapsed_pair(client: TestClient, lead: Headers, opportunity: str) -> dict[str, Any]:
    board = client.get(f"/api/v1/opportunities/{opportunity}/pipeline", headers=lead)
    assert board.status_code == 200, board.text
    [pair] = board.json()["stages"]["lapsed"]
    return pair


def test_a_deactivated_invitee_lapses_as_having_left_not_as_seats_taken(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    scim = scim_token(state)
    linked = client.post(
        "/scim/v2/Users", json=user("ana", enterprise={"employeeNumber": "ANA"}), headers=scim
    )
    assert linked.status_code == 201, linked.text
    lead = token_for(state, Role.LEAD, "LEAD")
    handle = handle_of(client, lead, "GIG-SMALL", admin_headers, "ANA")
    invited = step(client, lead, "GIG-SMALL", action="invite", candidate=handle)
    assert invited.status_code == 201, invited.text

    left = client.patch(
        "/scim/v2/Users/ANA",
        json=patch({"op": "replace", "path": "active", "value": False}),
        headers=scim,
    )
    assert left.status_code == 200 and left.json()["active"] is False, left.text

    # The lead's board: the invitation lapsed because Ana left; no seat was taken.
    pair = lapsed_pair(client, lead, "GIG-SMALL")
    assert pair["reason_code"] == "person_left"
    assert pair["lapsed"].startswith("This invitation lapsed on 20")
    assert "the person left" in pair["lapsed"] and "seat" not in pair["lapsed"]
    small = client.get("/api/v1/opportunities/GIG-SMALL", headers=lead).json()
    assert small["seats_taken"] == 0

    # A lapse stored before reasons were kept (no reason_code) says only that it lapsed.
    with state.sessions() as session, session.begin():
        row = session.scalars(
            select(PipelineRow).where(PipelineRow.opportunity_external_id == "GIG-SMALL")
        ).one()
        row.reason_code = None
    old = lapsed_pair(client, lead, "GIG-SMALL")
    assert "reason_code" not in old and old["lapsed"] == "This invitation lapsed"


def test_the_lapse_notice_says_the_stored_reason_or_none() -> None:
    posting = OpportunityRow(
        external_id="G1", title="Churn model", kind="gig", hours_per_week=4.0, duration_weeks=None
    )

    def text(reason: str | None) -> str:
        return messages.lapsed("https://t.test", posting, noun="invitation", reason=reason).text

    assert text("seats_filled").startswith("Every seat of “Churn model”")
    left = text("person_left")
    assert left.startswith("Your profile was deactivated") and "seat" not in left
    assert text(None) == (
        "Your invitation for “Churn model” (gig, 4 h a week) can no longer be accepted."
    )
