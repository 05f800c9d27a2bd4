"""Writers racing on one profile or posting: each request's read-modify-write happens alone
(row lock on PostgreSQL, the write lock taken before the read on SQLite), so the result is one
request's whole change, never a mix; a constraint violation is a 409 in the error envelope;
a duplicate create is one 201 and 409s; the caps hold whatever runs at once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from data.schemas import Role
from data.storage.tables import SkillRow
from serving.errors import install_error_handlers
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity
from tests.helpers.api import seed, token_for

if TYPE_CHECKING:  # the TestClient's responses: httpx2's where installed (starlette)
    import httpx2

WRITERS = 8


def together(n: int, call: Callable[[int], httpx2.Response]) -> list[httpx2.Response]:
    """`call(0..n-1)` from n threads released at the same moment. The TestClient runs sync
    routes in its thread pool, so these really are worked on at once."""
    start = threading.Barrier(n)

    def run(i: int) -> httpx2.Response:
        start.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def taxonomy_ids(state: ServiceState, n: int) -> list[str]:
    with state.sessions() as session:
        query = select(SkillRow.skill_id).where(SkillRow.source != "custom")
        return list(session.scalars(query.order_by(SkillRow.skill_id).limit(n)))


def statuses(answers: list[httpx2.Response]) -> list[int]:
    return sorted(a.status_code for a in answers)


def assert_enveloped(answer: httpx2.Response) -> None:
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


def test_two_leads_creating_one_id_at_once_get_one_201_and_409s(
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
        answers = together(  # the two leads, each double-submitting 4 times
            WRITERS,
            lambda i: client.post(
                "/api/v1/opportunities",
                json={**postings[i % 2], "external_id": same},  # noqa: B023 (called in the loop)
                headers=leads[i % 2],
            ),
        )
        for answer in answers:
            assert_enveloped(answer)
        assert statuses(answers) == [201] + [409] * (WRITERS - 1), [a.text[:200] for a in answers]
        [won] = [i % 2 for i, a in enumerate(answers) if a.status_code == 201]
        stored = client.get(f"/api/v1/opportunities/{same}", headers=admin_headers).json()
        assert stored["owner_external_id"] == postings[won]["owner_external_id"]
        assert stored["title"] == postings[won]["title"]
        assert {a.json()["error"] for a in answers if a.status_code == 409} == {"conflict"}


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


# --- one stress test per route family: every answer enveloped, the result one writer's whole


def test_concurrent_profile_puts_store_one_request_whole(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """Full replacements from 8 writers: the stored bio and skills come from the same one."""
    seed(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    profile = client.get("/api/v1/employees/DATA", headers=dana).json()
    ids = taxonomy_ids(state, WRITERS * 5)
    bodies = [
        {
            **profile,
            "bio": f"writer {i}",
            "skills": [{"skill_id": s, "level": 3} for s in ids[i * 5 : (i + 1) * 5]],
        }
        for i in range(WRITERS)
    ]
    for body in bodies:
        body.pop("occupation", None)

    answers = together(
        WRITERS, lambda i: client.put("/api/v1/employees/DATA", json=bodies[i], headers=dana)
    )

    assert statuses(answers) == [200] * WRITERS, [a.text[:200] for a in answers]
    stored = client.get("/api/v1/employees/DATA", headers=dana).json()
    writer = int(stored["bio"].split()[-1])
    assert [s["skill_id"] for s in stored["skills"]] == [
        s["skill_id"] for s in bodies[writer]["skills"]
    ]


def test_concurrent_deletes_of_one_skill_answer_once(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    held = client.get("/api/v1/employees/DATA", headers=dana).json()["skills"]
    gone = held[0]["skill_id"]

    answers = together(
        WRITERS, lambda i: client.delete(f"/api/v1/employees/DATA/skills/{gone}", headers=dana)
    )

    for answer in answers:
        assert_enveloped(answer)
    assert statuses(answers) == [200] + [404] * (WRITERS - 1)
    after = client.get("/api/v1/employees/DATA", headers=dana).json()["skills"]
    assert [s["skill_id"] for s in after] == [s["skill_id"] for s in held[1:]]


def test_concurrent_skill_puts_and_deletes_of_different_skills_all_take_effect(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    held = [
        s["skill_id"] for s in client.get("/api/v1/employees/DATA", headers=dana).json()["skills"]
    ]
    added = [s for s in taxonomy_ids(state, 40) if s not in held][: WRITERS - len(held)]

    def call(i: int) -> httpx2.Response:
        if i < len(held):
            return client.delete(f"/api/v1/employees/DATA/skills/{held[i]}", headers=dana)
        skill = added[i - len(held)]
        return client.put(f"/api/v1/employees/DATA/skills/{skill}", json={"level": 2}, headers=dana)

    answers = together(WRITERS, call)

    assert statuses(answers) == [200] * WRITERS, [a.text[:200] for a in answers]
    after = client.get("/api/v1/employees/DATA", headers=dana).json()["skills"]
    assert {s["skill_id"] for s in after} == set(added)


def test_concurrent_posting_edits_store_one_list_whole(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    ids = taxonomy_ids(state, WRITERS * 10)
    lists = [
        [{"skill_id": s, "level": 2} for s in ids[i * 10 : (i + 1) * 10]] for i in range(WRITERS)
    ]

    answers = together(
        WRITERS,
        lambda i: client.patch(
            "/api/v1/opportunities/GIG-DATA",
            json={"required_skills": lists[i], "preferred_skills": [], "title": f"edit {i}"},
            headers=lead,
        ),
    )

    assert statuses(answers) == [200] * WRITERS, [a.text[:200] for a in answers]
    stored = client.get("/api/v1/opportunities/GIG-DATA", headers=lead).json()
    writer = int(stored["title"].split()[-1])
    assert [s["skill_id"] for s in stored["required_skills"]] == [
        s["skill_id"] for s in lists[writer]
    ]


def test_concurrent_conditional_edits_one_wins_the_rest_are_told_412(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """Writers that all read the same version: exactly one may apply its change."""
    seed(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    tag = client.get("/api/v1/opportunities/GIG-DATA", headers=lead).headers["etag"]
    mine = client.get("/api/v1/employees/DATA", headers=dana).headers["etag"]

    postings = together(
        WRITERS,
        lambda i: client.patch(
            "/api/v1/opportunities/GIG-DATA",
            json={"title": f"edit {i}"},
            headers={**lead, "If-Match": tag},
        ),
    )
    profiles = together(
        WRITERS,
        lambda i: client.patch(
            "/api/v1/employees/DATA", json={"bio": f"edit {i}"}, headers={**dana, "If-Match": mine}
        ),
    )

    for answers in (postings, profiles):
        assert statuses(answers) == [200] + [412] * (WRITERS - 1), [a.text[:120] for a in answers]
        for answer in answers:
            assert_enveloped(answer)
        [won] = [a for a in answers if a.status_code == 200]
        assert won.headers["etag"] not in (tag, mine)
        refused = [a.json() for a in answers if a.status_code == 412]
        assert all(r["error"] == "precondition_failed" for r in refused)


def test_concurrent_pipeline_steps_on_one_pair_take_effect_once(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """Pipeline steps are compare-and-set on the pair's version: an application sent 8 times
    at once is one application; 8 shortlists of it at once are one step."""
    seed(client, admin_headers)
    dana, lead = token_for(state, Role.EMPLOYEE, "DATA"), token_for(state, Role.LEAD, "LEAD")
    path = "/api/v1/opportunities/GIG-DATA/pipeline"

    applied = together(WRITERS, lambda i: client.post(path, json={"action": "apply"}, headers=dana))
    for answer in applied:
        assert_enveloped(answer)
    assert statuses(applied) == [201] + [409] * (WRITERS - 1), [a.text[:120] for a in applied]
    board = client.get(path, headers=lead).json()
    [handle] = [p["candidate"]["handle"] for p in board["stages"]["applied"]]

    shortlisted = together(
        WRITERS,
        lambda i: client.post(
            path, json={"action": "shortlist", "candidate": handle}, headers=lead
        ),
    )
    for answer in shortlisted:
        assert_enveloped(answer)
    assert statuses(shortlisted) == [200] + [409] * (WRITERS - 1)
    board = client.get(path, headers=lead).json()
    assert len(board["stages"]["shortlisted"]) == 1 and not board["stages"]["applied"]


def test_concurrent_bulk_upserts_leave_one_batch_whole(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """4 admin imports of the same 10 people at once (some new, some stored): the people end
    with one batch's lists, all from the same batch; a batch that lost the race to create a
    person is a 409 in the envelope, never a 500 or a mix."""
    seed(client, admin_headers)
    ids = taxonomy_ids(state, 4 * 3)
    people = ["DATA", "WEB"] + [f"NEW{n}" for n in range(8)]
    batches = [
        [
            make_employee(
                p,
                email=f"{p.lower()}@corp.example",
                name=f"Person {p}",
                bio=f"batch {b}",
                skills=[{"skill_id": s, "level": 2} for s in ids[b * 3 : (b + 1) * 3]],
            )
            for p in people
        ]
        for b in range(4)
    ]

    answers = together(
        4,
        lambda b: client.post("/api/v1/employees/bulk", json=batches[b], headers=admin_headers),
    )

    for answer in answers:
        assert_enveloped(answer)
    assert 200 in statuses(answers) and set(statuses(answers)) <= {200, 409}
    stored = [client.get(f"/api/v1/employees/{p}", headers=admin_headers).json() for p in people]
    [batch] = {s["bio"] for s in stored}  # one batch, everywhere
    b = int(batch.split()[-1])
    assert answers[b].status_code == 200
    for profile in stored:
        assert [s["skill_id"] for s in profile["skills"]] == ids[b * 3 : (b + 1) * 3]


def test_concurrent_reviews_of_one_custom_skill_decide_once(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    hrs = [token_for(state, Role.HR, "SHY") for _ in range(4)]
    profile = client.patch(
        "/api/v1/employees/DATA",
        json={"skills": [{"name": "qzv gridwelding", "level": 2}]},
        headers=dana,
    ).json()
    [skill] = [s["skill_id"] for s in profile["skills"]]

    answers = together(
        4,
        lambda i: client.post(
            f"/api/v1/skills/{skill}/review",
            json={"decision": "approve", "label": f"grid welding {i}", "reason": "reviewed"},
            headers=hrs[i],
        ),
    )

    for answer in answers:
        assert_enveloped(answer)
    assert statuses(answers) == [200, 404, 404, 404], [a.text[:160] for a in answers]
    [won] = [a.json() for a in answers if a.status_code == 200]
    held = client.get("/api/v1/employees/DATA", headers=dana).json()["skills"]
    assert [s["skill_id"] for s in held] == [won["published_as"]]


# --- ETag and If-Match


def test_etags_make_a_write_conditional(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    dana, hr = token_for(state, Role.EMPLOYEE, "DATA"), token_for(state, Role.HR, "SHY")
    read = client.get("/api/v1/employees/DATA", headers=dana)
    tag = read.headers["etag"]
    assert (
        tag.startswith('"')
        and client.get("/api/v1/employees/DATA", headers=dana).headers["etag"] == tag
    )  # nothing changed: the same tag
    # HR changes the title in between: Dana's edit based on the old version is refused.
    assert (
        client.patch("/api/v1/employees/DATA", json={"title": "Analyst II"}, headers=hr).status_code
        == 200
    )
    stale = client.patch(
        "/api/v1/employees/DATA", json={"bio": "mine"}, headers={**dana, "If-Match": tag}
    )
    assert stale.status_code == 412 and stale.json()["error"] == "precondition_failed"
    assert client.get("/api/v1/employees/DATA", headers=dana).json()["bio"] != "mine"
    fresh = client.get("/api/v1/employees/DATA", headers=dana).headers["etag"]
    for form in ("{}", '"nope", {}', "*"):  # the tag, a list holding it, any version
        header = form.format(fresh)
        done = client.patch(
            "/api/v1/employees/DATA", json={"bio": form}, headers={**dana, "If-Match": header}
        )
        assert done.status_code == 200, done.text
        fresh = done.headers["etag"]
        assert fresh == client.get("/api/v1/employees/DATA", headers=dana).headers["etag"]
    weak = client.patch(
        "/api/v1/employees/DATA", json={"bio": "w"}, headers={**dana, "If-Match": f"W/{fresh}"}
    )
    assert weak.status_code == 412  # If-Match compares strongly
    # The skill routes and postings take the same header.
    [skill] = taxonomy_ids(state, 1)
    put = client.put(
        f"/api/v1/employees/DATA/skills/{skill}",
        json={"level": 2},
        headers={**dana, "If-Match": tag},
    )
    assert put.status_code == 412
    gone = client.delete(
        f"/api/v1/employees/DATA/skills/{skill}", headers={**dana, "If-Match": tag}
    )
    assert gone.status_code == 412
    lead = token_for(state, Role.LEAD, "LEAD")
    posting = client.get("/api/v1/opportunities/GIG-DATA", headers=lead).headers["etag"]
    assert (
        client.patch(
            "/api/v1/opportunities/GIG-DATA",
            json={"seats": 2},
            headers={**lead, "If-Match": posting},
        ).status_code
        == 200
    )
    again = client.patch(
        "/api/v1/opportunities/GIG-DATA", json={"seats": 3}, headers={**lead, "If-Match": posting}
    )
    assert again.status_code == 412
    assert client.get("/api/v1/opportunities/GIG-DATA", headers=lead).json()["seats"] == 2


def test_an_accepted_seat_changes_the_postings_etag(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """The tag follows what GET shows, whoever changed it: a lead editing a posting that
    filled meanwhile (status `filled`) is told, not allowed to reopen it unknowingly."""
    seed(client, admin_headers)
    lead, dana = token_for(state, Role.LEAD, "LEAD"), token_for(state, Role.EMPLOYEE, "DATA")
    path = "/api/v1/opportunities/GIG-DATA/pipeline"
    assert client.post(path, json={"action": "apply"}, headers=dana).status_code == 201
    [handle] = [
        p["candidate"]["handle"] for p in client.get(path, headers=lead).json()["stages"]["applied"]
    ]
    assert (
        client.post(path, json={"action": "offer", "candidate": handle}, headers=lead).status_code
        == 200
    )
    before = client.get("/api/v1/opportunities/GIG-DATA", headers=lead).headers["etag"]
    assert client.post(path, json={"action": "accept_offer"}, headers=dana).status_code == 200
    assigned = client.post(path, json={"action": "assign", "candidate": handle}, headers=lead)
    assert assigned.status_code == 200, assigned.text
    now = client.get("/api/v1/opportunities/GIG-DATA", headers=lead)
    assert now.json()["status"] == "filled" and now.headers["etag"] != before
    stale = client.patch(
        "/api/v1/opportunities/GIG-DATA",
        json={"status": "open"},
        headers={**lead, "If-Match": before},
    )
    assert stale.status_code == 412


# --- constraint violations


def test_a_unique_key_taken_by_a_concurrent_writer_is_a_409_or_422_never_a_500(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """8 people given one address at once, each by its own request (8 rows, 8 locks): the
    one address is one person's; the others are told, in the envelope, whichever check
    caught them (the import's 422 naming the field, or the unique index's 409)."""
    seed(client, admin_headers)
    people = [make_employee(f"P{i}", email=f"p{i}@corp.example") for i in range(WRITERS)]
    assert (
        client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).status_code == 200
    )
    hr = token_for(state, Role.HR, "SHY")

    answers = together(
        WRITERS,
        lambda i: client.patch(
            f"/api/v1/employees/P{i}", json={"email": "same@corp.example"}, headers=hr
        ),
    )

    for answer in answers:
        assert_enveloped(answer)
    assert statuses(answers)[0] == 200 and set(statuses(answers)[1:]) <= {409, 422}
    held = [
        client.get(f"/api/v1/employees/P{i}", headers=admin_headers).json()["email"]
        for i in range(WRITERS)
    ]
    assert held.count("same@corp.example") == 1


def test_database_errors_are_answered_in_the_envelope() -> None:
    """The handlers themselves: a constraint violation is a 409 (the SQL and its values stay
    in the log), a lock waited on too long a 503 to retry, anything else stays a 500."""
    app = FastAPI()
    install_error_handlers(app)
    unique = sqlite3.IntegrityError("UNIQUE constraint failed: employees.email_key")
    locked = sqlite3.OperationalError("database is locked")

    @app.get("/unique")
    def _unique() -> None:
        raise IntegrityError("UPDATE employees SET email_key=?", ("dana@corp.example",), unique)

    @app.get("/locked")
    def _locked() -> None:
        raise OperationalError("BEGIN IMMEDIATE", (), locked)

    @app.get("/broken")
    def _broken() -> None:
        raise OperationalError("SELECT", (), sqlite3.OperationalError("no such table: x"))

    with TestClient(app, raise_server_exceptions=False) as http:
        conflict, busy, broken = http.get("/unique"), http.get("/locked"), http.get("/broken")
    assert conflict.status_code == 409 and conflict.json()["error"] == "conflict"
    assert "dana@corp.example" not in conflict.text and "UPDATE" not in conflict.text
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert busy.json()["error"] == "busy"
    assert broken.status_code == 500
