"""An employee opening an opportunity from a served list: logged once per list, changing no
match, and read by training as a view of that list's impression."""

from __future__ import annotations

from fastapi.testclient import TestClient

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.interactions import interactions_in_time_order
from data.storage.tokens import issue_token
from serving.state import ServiceState
from serving.usecases.training_data import served_impressions
from tests.factories import PYTHON, make_employee, make_opportunity
from training.labels import label_interactions

Headers = dict[str, str]


def _token(state: ServiceState, role: Role, subject: str | None) -> Headers:
    with transaction(state.sessions) as session:
        issued = issue_token(
            session, secret=state.token_secret, role=role, subject_external_id=subject
        )
        return {"Authorization": f"Bearer {issued.token}"}


def _company(client: TestClient, admin: Headers) -> None:
    people = [
        make_employee("LEAD", name="Lena Lead", level=5),
        make_employee(
            "ANA",
            name="Ana Analyst",
            availability_hours_per_week=20,
            skills=[{"name": PYTHON, "level": 4}, {"name": "SQL", "level": 3}],
        ),
    ]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    postings = [
        make_opportunity(f"G{i}", owner="LEAD", title=title, hours_per_week=4)
        for i, title in enumerate(["Churn model", "Forecast review", "Pricing study"])
    ]
    for posting in postings:
        assert client.post("/api/v1/opportunities", json=posting, headers=admin).status_code in (
            200,
            201,
        )


def _matches(client: TestClient, ana: Headers) -> dict:
    body = client.get("/api/v1/employees/ANA/matches?kind=gig&limit=20", headers=ana).json()
    return body


def test_a_view_is_logged_once_per_list_and_training_credits_that_list(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers)
    ana = _token(state, Role.EMPLOYEE, "ANA")
    first = _matches(client, ana)
    shown = [i["opportunity"]["external_id"] for i in first["items"]]
    assert "G1" in shown
    url = "/api/v1/opportunities/G1/views"

    opened = client.post(url, json={"request_id": first["request_id"]}, headers=ana)
    assert opened.status_code == 201 and opened.json()["created"] is True
    again = client.post(url, json={"request_id": first["request_id"]}, headers=ana)
    assert again.status_code == 200 and again.json()["created"] is False
    # A view hides nothing: the card is still in the next list.
    second = _matches(client, ana)
    assert "G1" in [i["opportunity"]["external_id"] for i in second["items"]]
    assert (
        client.post(url, json={"request_id": second["request_id"]}, headers=ana).status_code == 201
    )

    with state.sessions() as session:
        events = interactions_in_time_order(session)
        served = served_impressions(session)
    views = [e for e in events if e.type == "view"]
    assert [(v.employee_external_id, v.request_id) for v in views] == [
        ("ANA", first["request_id"]),
        ("ANA", second["request_id"]),
    ]
    labels = label_interactions([*events, *served.impressions]).impressions
    viewed = {
        (r, o)
        for r, o, v in zip(
            labels.request_id.tolist(),
            labels.opportunity_external_id.tolist(),
            labels.viewed.tolist(),
            strict=True,
        )
        if v
    }
    assert viewed == {(first["request_id"], "G1"), (second["request_id"], "G1")}


def test_without_a_list_a_view_counts_once_a_day(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers)
    ana = _token(state, Role.EMPLOYEE, "ANA")
    assert client.post("/api/v1/opportunities/G0/views", headers=ana).status_code == 201
    assert client.post("/api/v1/opportunities/G0/views", json={}, headers=ana).status_code == 200


def test_who_may_log_a_view_and_bad_input_named(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers)
    ana = _token(state, Role.EMPLOYEE, "ANA")
    lead = _token(state, Role.LEAD, "LEAD")
    hr = _token(state, Role.HR, None)
    bad = client.post(
        "/api/v1/opportunities/G0/views", json={"request_id": "no spaces; ok?"}, headers=ana
    )
    assert bad.status_code == 422 and "request_id" in bad.text
    assert client.post("/api/v1/opportunities/NOPE/views", headers=ana).status_code == 404
    own = client.post("/api/v1/opportunities/G0/views", headers=lead)
    assert own.status_code == 409 and "your own" in own.json()["detail"]
    assert client.post("/api/v1/opportunities/G0/views", headers=hr).status_code == 403
    assert client.post("/api/v1/opportunities/G0/views").status_code == 401
    # Not a reaction that can be taken back.
    assert client.delete("/api/v1/opportunities/G0/views", headers=ana).status_code in (405, 422)
