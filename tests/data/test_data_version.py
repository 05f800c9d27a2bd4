"""The data version HR's cached reports are keyed by moves with every write they would read (a
cached answer is never stale) and stays put for reads and for auditors' logged reads."""

from __future__ import annotations

from fastapi.testclient import TestClient

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.oversight import add_event
from data.storage.versions import aggregate_data_version
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity
from tests.helpers.api import token_for


def test_every_write_a_report_reads_moves_the_version_and_reads_do_not(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    def version() -> str:
        with state.sessions() as session:
            return aggregate_data_version(session)

    def bulk(kind: str, records: list[dict]) -> None:
        stored = client.post(f"/api/v1/{kind}/bulk", json=records, headers=admin_headers)
        assert stored.status_code == 200, stored.text

    seen = [version()]

    def moved() -> bool:
        seen.append(version())
        return seen[-1] != seen[-2]

    people = [
        make_employee("LEAD", title="Analytics Lead", level=5),
        make_employee("ANA", demographics={"gender": "female"}),
    ]
    bulk("employees", people)
    assert moved()
    bulk("opportunities", [make_opportunity("GIG-1", owner="LEAD")])
    assert moved()
    # A person's department, then only their self-reported group.
    bulk("employees", [{**people[1], "department": "Data"}])
    assert moved()
    bulk("employees", [{**people[1], "department": "Data", "demographics": {"gender": "male"}}])
    assert moved()
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    assert client.get("/api/v1/employees/ANA", headers=ana).status_code == 200
    assert not moved()  # a read
    applied = client.post("/api/v1/opportunities/GIG-1/applications", headers=ana)
    assert applied.status_code == 201, applied.text
    assert moved()  # an interaction and a pipeline pair
    with transaction(state.sessions) as session:
        add_event(session, actor_role="hr", actor="HR", action="audit_read", reason="read")
    assert not moved()  # an auditor's read changes no figure
    with transaction(state.sessions) as session:
        add_event(session, actor_role="hr", actor="HR", action="pause", kind="gig", reason="r")
    assert moved()
    served = client.get("/api/v1/employees/ANA/matches?kind=gig", headers=ana)
    assert served.status_code == 200, served.text
    assert moved()  # a served ranking in the audit log
