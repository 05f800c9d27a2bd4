"""An employee opening an opportunity from a served list: logged once per list, changing no
match, and read by the person's history features (a weaker like than an application)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.interactions import interactions_in_time_order
from data.storage.tokens import issue_token
from fairness.audit_log import decode_matrix
from features.registry import FEATURE_NAMES
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity
from tests.helpers.api import seed, token_for

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


def test_a_view_is_logged_once_per_list_and_changes_no_match(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers)
    ana = _token(state, Role.EMPLOYEE, "ANA")
    first = _matches(client, ana)
    assert "G1" in [i["opportunity"]["external_id"] for i in first["items"]]
    url = "/api/v1/opportunities/G1/views"

    opened = client.post(url, json={"request_id": first["request_id"]}, headers=ana)
    assert opened.status_code == 201 and opened.json()["created"] is True
    again = client.post(url, json={"request_id": first["request_id"]}, headers=ana)
    assert again.status_code == 200 and again.json()["created"] is False
    # A view hides nothing: the card is still in the next list, and opening it from that list
    # is a new view.
    second = _matches(client, ana)
    assert "G1" in [i["opportunity"]["external_id"] for i in second["items"]]
    assert (
        client.post(url, json={"request_id": second["request_id"]}, headers=ana).status_code == 201
    )
    with state.sessions() as session:
        views = [e for e in interactions_in_time_order(session) if e.type == "view"]
    assert [(v.employee_external_id, v.request_id) for v in views] == [
        ("ANA", first["request_id"]),
        ("ANA", second["request_id"]),
    ]


def test_what_a_person_opened_reaches_the_history_features_of_their_next_list(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    seed(client, admin_headers)
    lead, me = token_for(state, Role.LEAD, "LEAD"), token_for(state, Role.EMPLOYEE, "DATA")
    auditor = token_for(state, Role.HR, "LEAD", ("auditor",))
    fresh = make_opportunity("FRESH", owner="LEAD", title="Forecast model for finance")
    assert client.post("/api/v1/opportunities", json=fresh, headers=lead).status_code == 201
    first = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=me).json()
    liked = _liked(client, auditor, first["request_id"])
    assert liked and all(v == 0.0 for v in liked.values()), liked

    opened = {"request_id": first["request_id"]}
    assert (
        client.post("/api/v1/opportunities/FRESH/views", json=opened, headers=me).status_code == 201
    )
    second = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=me).json()
    shown = [i["opportunity"]["external_id"] for i in second["items"]]
    assert "FRESH" in shown and "GIG-DATA" in shown  # opening leaves the card where it was
    liked = _liked(client, auditor, second["request_id"])
    assert 0.0 < liked["GIG-DATA"] <= 1.0  # like the forecast gig opened
    assert liked["FRESH"] == 0.0  # never the pair's own event


def _liked(client: TestClient, auditor: Headers, request_id: str) -> dict[str, float]:
    record = client.get(f"/api/v1/audits/rankings/{request_id}", headers=auditor).json()
    column = decode_matrix(record["features"])[:, FEATURE_NAMES.index("history_liked_similarity")]
    return dict(zip([i["id"] for i in record["items"]], column.tolist(), strict=True))


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
