"""Acting through the HTTP API as a given role, and the small company most API tests start
from (a lead, two fitting people, one closed to offers; two open gigs and a closed one)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.tokens import issue_token
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(
    state: ServiceState, role: Role, subject: str | None, scopes: tuple[str, ...] = ()
) -> dict[str, str]:
    with transaction(state.sessions) as session:
        issued = issue_token(
            session,
            secret=state.token_secret,
            role=role,
            subject_external_id=subject,
            scopes=scopes,
        )
        return bearer(issued.token)


def seed(client: TestClient, admin: dict[str, str]) -> None:
    people = [
        make_employee("LEAD", title="Analytics Lead", level=5, name="Lena Lead"),
        make_employee(
            "DATA",
            name="Dana Data",
            skills=[
                {"name": PYTHON, "level": 5},
                {"name": "SQL", "level": 4},
                {"name": "data mining", "level": 3},
            ],
        ),
        make_employee(
            "WEB",
            name="Wes Web",
            skills=[{"name": "JavaScript", "level": 4}, {"name": "CSS", "level": 4}],
            interests=["user interface design"],
        ),
        make_employee("SHY", name="Sam Shy", open_to=[]),
    ]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    gigs = [
        make_opportunity("GIG-DATA", owner="LEAD"),
        make_opportunity(
            "GIG-WEB",
            owner="LEAD",
            title="Landing page refresh",
            required_skills=[{"name": "JavaScript", "level": 3}],
            preferred_skills=[{"name": "CSS", "level": 3}],
        ),
        make_opportunity("GIG-CLOSED", owner="LEAD", status="closed"),
    ]
    assert client.post("/api/v1/opportunities/bulk", json=gigs, headers=admin).status_code == 200
