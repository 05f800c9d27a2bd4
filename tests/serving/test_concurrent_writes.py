"""Writers racing on one profile or posting: each request's read-modify-write happens alone
(row lock on PostgreSQL, the write lock taken before the read on SQLite), so the result is one
request's whole change, never a mix; a constraint violation is a 409 in the error envelope;
a duplicate create is one 201 and 409s; the caps hold whatever runs at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from data.schemas import Role
from data.storage.tables import SkillRow
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity
from tests.serving.test_api import seed, token_for

WRITERS = 8


def together(n: int, call: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """`call(0..n-1)` from n threads released at the same moment. The TestClient runs sync
    routes in its thread pool, so these really are worked on at once."""
    start = threading.Barrier(n)

    def run(i: int) -> httpx.Response:
        start.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def taxonomy_ids(state: ServiceState, n: int) -> list[str]:
    with state.sessions() as session:
        query = select(SkillRow.skill_id).where(SkillRow.source != "custom")
        return list(session.scalars(query.order_by(SkillRow.skill_id).limit(n)))


def statuses(answers: list[httpx.Response]) -> list[int]:
    return sorted(a.status_code for a in answers)


def assert_enveloped(answer: httpx.Response) -> None:
    """Every refusal is JSON in the envelope, never a plain-text 500."""
    assert answer.status_code < 500, answer.text[:300]
    if answer.status_code >= 400:
        body = answer.json()
        assert set(body) == {"error", "detail", "request_id"}, body


def test_concurrent_profile_patches_leave_one_whole_list_and_the_profile_editable(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """The finding: 8 PATCHes of 30 skills each left their union (240 > the 200 cap) and the
    profile refused every edit afterwards."""
    seed(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    ids = taxonomy_ids(state, WRITERS * 30)
    lists = [
        [{"skill_id": s, "level": 1 + k % 5} for k, s in enumerate(ids[i * 30 : (i + 1) * 30])]
        for i in range(WRITERS)
    ]

    answers = together(
        WRITERS,
        lambda i: client.patch("/api/v1/employees/DATA", json={"skills": lists[i]}, headers=dana),
    )

    for answer in answers:
        assert_enveloped(answer)
    assert statuses(answers) == [200] * WRITERS
    stored = client.get("/api/v1/employees/DATA", headers=dana).json()
    held = [s["skill_id"] for s in stored["skills"]]
    assert held in [[s["skill_id"] for s in sent] for sent in lists]  # one request's, whole
    edited = client.patch("/api/v1/employees/DATA", json={"bio": "still editable"}, headers=dana)
    assert edited.status_code == 200, edited.text


def test_concurrent_new_names_keep_each_request_under_its_cap(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """Each request may introduce 30 names outside the taxonomy; 8 at once must not leave a
    profile holding 8 requests' worth of them."""
    seed(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    cap = state.settings.max_new_skill_names
    lists = [
        [{"name": f"zqx{i}w{j} vorbulation", "level": 2} for j in range(cap)]
        for i in range(WRITERS)
    ]

    answers = together(
        WRITERS,
        lambda i: client.patch("/api/v1/employees/DATA", json={"skills": lists[i]}, headers=dana),
    )

    for answer in answers:
        assert_enveloped(answer)
    assert statuses(answers) == [200] * WRITERS
    stored = client.get("/api/v1/employees/DATA", headers=dana).json()
    assert len(stored["skills"]) <= cap
    names = {s["name"] for s in stored["skills"]}
    assert any(names == {s["name"] for s in sent} for sent in lists), sorted(names)[:5]


def test_concurrent_puts_of_one_skill_all_succeed(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """The finding: 8 PUTs of one skill answered 500 (a unique-constraint error, plain text)."""
    seed(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    [skill] = taxonomy_ids(state, 1)

    answers = together(
        WRITERS,
        lambda i: client.put(
            f"/api/v1/employees/DATA/skills/{skill}", json={"level": 1 + i % 5}, headers=dana
        ),
    )

    for answer in answers:
        assert_enveloped(answer)
    assert statuses(answers) == [200] * WRITERS
    stored = client.get("/api/v1/employees/DATA", headers=dana).json()
    assert [s["skill_id"] for s in stored["skills"]].count(skill) == 1


def test_concurrent_puts_of_different_skills_keep_every_one(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    before = {
        s["skill_id"] for s in client.get("/api/v1/employees/DATA", headers=dana).json()["skills"]
    }
    added = [s for s in taxonomy_ids(state, 40) if s not in before][:WRITERS]

    answers = together(
        WRITERS,
        lambda i: client.put(
            f"/api/v1/employees/DATA/skills/{added[i]}", json={"level": 3}, headers=dana
        ),
    )

    assert statuses(answers) == [200] * WRITERS, [a.text[:200] for a in answers]
    stored = client.get("/api/v1/employees/DATA", headers=dana).json()
    assert {s["skill_id"] for s in stored["skills"]} == before | set(added)


def test_two_leads_creating_one_id_get_one_201_and_one_409(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """The finding: both were told 201 and one posting was silently lost."""
    seed(client, admin_headers)
    second = make_employee("LEAD2", email="lead2@corp.example", name="Lee Second")
    assert (
        client.post("/api/v1/employees/bulk", json=[second], headers=admin_headers).status_code
        == 200
    )
    leads = [token_for(state, Role.LEAD, "LEAD"), token_for(state, Role.LEAD, "LEAD2")]
    postings = [
        make_opportunity("GIG-SAME", owner="LEAD", title="Churn model for EMEA"),
        make_opportunity("GIG-SAME", owner="LEAD2", title="Landing page refresh"),
    ]

    for round_ in range(3):  # a race: give it a few chances to interleave
        same = f"GIG-SAME-{round_}"
        answers = together(
            2,
            lambda i: client.post(
                "/api/v1/opportunities",
                json={**postings[i], "external_id": same},  # noqa: B023 (called in the loop)
                headers=leads[i],
            ),
        )
        assert statuses(answers) == [201, 409], [a.text[:200] for a in answers]
        [won] = [i for i, a in enumerate(answers) if a.status_code == 201]
        stored = client.get(f"/api/v1/opportunities/{same}", headers=admin_headers).json()
        assert stored["owner_external_id"] == postings[won]["owner_external_id"]
        assert stored["title"] == postings[won]["title"]
        [lost] = [a for a in answers if a.status_code == 409]
        assert lost.json()["error"] == "conflict"


@pytest.mark.parametrize("status", ["draft", "open"])
def test_a_taken_id_answers_alike_whoever_holds_it(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str], status: str
) -> None:
    """Another lead's draft is never confirmed: its id answers exactly as an id taken by a
    posting everyone can see (and as one the asking lead holds themself)."""
    seed(client, admin_headers)
    second = make_employee("LEAD2", email="lead2@corp.example", name="Lee Second")
    assert (
        client.post("/api/v1/employees/bulk", json=[second], headers=admin_headers).status_code
        == 200
    )
    lead, other = token_for(state, Role.LEAD, "LEAD"), token_for(state, Role.LEAD, "LEAD2")
    held = make_opportunity("GIG-HELD", owner="LEAD2", status=status)
    assert client.post("/api/v1/opportunities", json=held, headers=other).status_code == 201
    mine = make_opportunity("GIG-MINE", owner="LEAD")
    assert client.post("/api/v1/opportunities", json=mine, headers=lead).status_code == 201

    probe = client.post(
        "/api/v1/opportunities", json={**mine, "external_id": "GIG-HELD"}, headers=lead
    )
    own = client.post("/api/v1/opportunities", json=mine, headers=lead)

    assert probe.status_code == own.status_code == 409
    words = [
        a.json()["detail"].replace("GIG-HELD", "ID").replace("GIG-MINE", "ID") for a in (probe, own)
    ]
    assert words[0] == words[1]
    assert "draft" not in probe.json()["detail"].lower()
    assert "PATCH" not in probe.json()["detail"]  # the old answer's hint, leading to a 404
