"""Many requests at once against a real server, and writes made by other processes: every
request is answered, every served ranking is in an intact audit log, probes answer while the
queue is full, concurrent writes of one record run one at a time, and what another process
stored becomes matchable without a restart."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from data.importing import SkillResolver, import_employees
from data.schemas import InteractionType, Role
from data.storage.employees import get_employee
from data.storage.engine import make_engine, make_session_factory, transaction
from data.storage.interactions import record_reaction
from data.storage.opportunities import get_opportunity
from data.storage.skills import load_taxonomy
from data.storage.tables import SkillRow
from fairness.audit_log import AuditLog
from serving.app import create_app
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity
from tests.helpers.api import seed, token_for

CONCURRENT = 32


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(client: TestClient, state: ServiceState, admin_headers: dict[str, str]) -> Iterator[str]:
    """The seeded company behind a real HTTP server that admits only 4 requests at a time, so
    32 at once must queue (and each holds at most one of the pool's connections)."""
    seed(client, admin_headers)
    people = [make_employee(f"P{i:02d}", email=f"p{i}@corp.example") for i in range(12)]
    assert (
        client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).status_code == 200
    )
    gigs = [make_opportunity(f"GIG-{i}", owner="LEAD") for i in range(4)]
    assert (
        client.post("/api/v1/opportunities/bulk", json=gigs, headers=admin_headers).status_code
        == 200
    )
    settings = state.settings.model_copy(update={"max_concurrent_requests": 4})
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, state=state), host="127.0.0.1", port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(200):
        if running.started:
            break
        time.sleep(0.05)
    assert running.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_32_concurrent_requests_all_succeed_and_all_are_audited(
    server: str, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    lead = token_for(state, Role.LEAD, "LEAD")
    employees = {f"P{i:02d}": token_for(state, Role.EMPLOYEE, f"P{i:02d}") for i in range(12)}
    requests = []
    for n in range(CONCURRENT):
        if n % 4 == 3:
            requests.append((f"/api/v1/opportunities/GIG-{n % 4}/candidates?limit=5", lead))
        else:
            person = f"P{n % 12:02d}"
            kind = ("gig", "mentorship", "role")[n % 3]
            requests.append((f"/api/v1/employees/{person}/matches?kind={kind}", employees[person]))

    async def fire() -> tuple[list[httpx.Response], list[httpx.Response]]:
        async with httpx.AsyncClient(base_url=server, timeout=60) as http:
            pages = [asyncio.create_task(http.get(path, headers=h)) for path, h in requests]
            await asyncio.sleep(0)  # the pages are queued: the probe must not wait behind them
            probes = [await http.get("/healthz") for _ in range(3)]
            return list(await asyncio.gather(*pages)), probes

    pages, probes = asyncio.run(fire())

    assert [p.status_code for p in probes] == [200, 200, 200]
    failures = [(r.status_code, r.text[:200]) for r in pages if r.status_code != 200]
    assert failures == []
    request_ids = {r.json()["request_id"] for r in pages}
    assert len(request_ids) == CONCURRENT
    with state.sessions() as session:
        assert all(AuditLog.find(session, rid) is not None for rid in request_ids)
        verified = state.audit.verify(session)
    assert verified.ok and verified.records == CONCURRENT, verified.problems


def test_what_another_process_writes_becomes_matchable_without_a_restart(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")

    def candidates() -> set[str]:
        body = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=admin_headers).json()
        return {item["candidate"]["external_id"] for item in body["items"]}

    def gig_matches(person: str) -> set[str]:
        body = client.get(
            f"/api/v1/employees/{person}/matches?kind=gig", headers=admin_headers
        ).json()
        return {item["opportunity"]["external_id"] for item in body["items"]}

    assert "FRESH" not in candidates() and "GIG-WEB" in gig_matches("DATA")
    # Another process (`talent import`, a second worker): its own engine, its own transaction.
    engine = make_engine(state.settings.resolved_database_url)
    try:
        sessions = make_session_factory(engine)
        with transaction(sessions) as session:
            fresh = make_employee(
                "FRESH", email="fresh@corp.example", skills=[{"name": PYTHON, "level": 5}]
            )
            import_employees(session, [(1, fresh)], SkillResolver(load_taxonomy(session)))
        with transaction(sessions) as session:
            employee, gig = get_employee(session, "DATA"), get_opportunity(session, "GIG-WEB")
            assert employee is not None and gig is not None
            record_reaction(
                session, employee=employee, opportunity=gig, type=InteractionType.DISMISS
            )
    finally:
        engine.dispose()

    assert state.catch_up() >= 2  # what the server's freshness poll does every few seconds
    assert "FRESH" in candidates()
    assert "GIG-WEB" not in gig_matches("DATA")
    assert client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=lead).status_code == 200
    assert state.catch_up() == 0  # nothing new since: nothing is applied twice


def test_a_page_says_where_its_time_went(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """Server-Timing names each stage of the ranking (what bench/serving.py reads in process)."""
    seed(client, admin_headers)
    answer = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=admin_headers)
    assert answer.status_code == 200
    stages = dict(part.split(";dur=") for part in answer.headers["server-timing"].split(", "))
    for name in ("retrieve", "load_rows", "features", "score", "rerank", "explain", "audit_write"):
        assert float(stages[name]) >= 0, stages
    assert "server-timing" not in client.get("/healthz").headers  # nothing ranked, nothing said


def test_concurrent_writes_over_http_run_one_at_a_time_per_record(
    server: str, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """The same races as tests/serving/test_concurrent_writes.py, through a real server:
    8 edits of one profile's skills, 8 PUTs of one skill and 8 creates of one posting id at
    once. Each profile ends with one request's list, whole; every answer is JSON."""
    person = token_for(state, Role.EMPLOYEE, "P00")
    lead = token_for(state, Role.LEAD, "LEAD")
    with state.sessions() as session:
        query = select(SkillRow.skill_id).where(SkillRow.source != "custom")
        ids = list(session.scalars(query.order_by(SkillRow.skill_id).limit(8 * 30)))
    lists = [[{"skill_id": s, "level": 2} for s in ids[i * 30 : (i + 1) * 30]] for i in range(8)]
    posting = make_opportunity("GIG-RACE", owner="LEAD")

    async def fire() -> tuple[list[httpx.Response], ...]:
        async with httpx.AsyncClient(base_url=server, timeout=60) as http:
            patches = [
                http.patch("/api/v1/employees/P00", json={"skills": s}, headers=person)
                for s in lists
            ]
            puts = [
                http.put(
                    f"/api/v1/employees/P01/skills/{ids[0]}",
                    json={"level": 1 + i % 5},
                    headers=admin_headers,
                )
                for i in range(8)
            ]
            creates = [
                http.post("/api/v1/opportunities", json=posting, headers=lead) for _ in range(8)
            ]
            answered = list(await asyncio.gather(*patches, *puts, *creates))
            return answered[:8], answered[8:16], answered[16:]

    patches, puts, creates = asyncio.run(fire())

    for answer in [*patches, *puts, *creates]:
        assert answer.headers["content-type"] == "application/json", answer.text[:200]
    assert [a.status_code for a in patches] == [200] * 8
    assert [a.status_code for a in puts] == [200] * 8
    assert sorted(a.status_code for a in creates) == [201] + [409] * 7
    with state.sessions() as session:
        p00, p01 = get_employee(session, "P00"), get_employee(session, "P01")
        assert p00 is not None and p01 is not None
        held = [s.skill_id for s in p00.skills]
        assert held in [[s["skill_id"] for s in sent] for sent in lists]
        assert [s.skill_id for s in p01.skills].count(ids[0]) == 1
