"""Two server processes on one PostgreSQL database: what is written through one is matched by
the other, carried by the database's change notifications (the periodic poll is set to an hour
here, longer than the test, so it cannot be what delivers it). How fast (tenths of a second on
two cores, docs/scaling.md) is printed, not asserted: wall-clock bounds are the perf tier's."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from data.storage.engine import make_engine, make_session_factory
from features.registry import FEATURE_NAMES
from tests.conftest import (
    ADMIN_TOKEN,
    AUDIT_KEY,
    DEFAULT_POSTGRES_URL,
    LABEL_VECTOR_CACHE,
    TOKEN_SECRET,
    _postgres_database,
    copy_text_store,
)
from tests.factories import PYTHON, make_employee, make_opportunity
from training.ranker import LambdaRanker
from training.registry import ModelRegistry

POLL_S = 3600  # the safety-net poll: never due while the test runs
READY_TIMEOUT_S = 180
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TALENT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if base.strip().lower() == "off":
        pytest.skip("PostgreSQL half disabled by TALENT_TEST_POSTGRES_URL=off")
    yield from _postgres_database(base)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def two_workers(
    postgres_url: str, var_dir: Path, tmp_path: Path
) -> Iterator[tuple[httpx.Client, httpx.Client, Path]]:
    """`talent serve` twice, started together (their migrations take turns), sharing the
    database and the data folder, as two replicas behind a load balancer would."""
    shared = tmp_path / "var"
    (shared / "vectors").mkdir(parents=True)
    for cached in [*LABEL_VECTOR_CACHE.glob("*.npy"), *(var_dir / "vectors").glob("*.npy")]:
        shutil.copy(cached, shared / "vectors" / cached.name)
    copy_text_store(var_dir / "vectors", shared / "vectors")
    env = {
        **os.environ,
        "TALENT_DATABASE_URL": postgres_url,
        "TALENT_VAR_DIR": str(shared),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "TALENT_ADMIN_TOKEN": ADMIN_TOKEN,
        "TALENT_AUDIT_KEY": AUDIT_KEY,
        "TALENT_TOKEN_SECRET": TOKEN_SECRET,
        "TALENT_FRESHNESS_SECONDS": str(POLL_S),
        "TALENT_MODEL_POLL_SECONDS": str(POLL_S),
        "TALENT_MONITOR_SECONDS": "0",
        "TALENT_RATE_LIMIT_PER_MINUTE": "0",
    }
    talent = str(Path(sys.executable).parent / "talent")
    servers, clients = [], []
    try:
        for name in ("a", "b"):
            port = _free_port()
            with (tmp_path / f"server-{name}.log").open("wb") as log:  # the child keeps its own
                servers.append(
                    subprocess.Popen(
                        [talent, "serve", "--host", "127.0.0.1", "--port", str(port)],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            clients.append(
                httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=ADMIN, timeout=60)
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        for name, server, client in zip("ab", servers, clients, strict=True):
            while True:
                assert server.poll() is None, (tmp_path / f"server-{name}.log").read_text()[-3000:]
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"server {name} was not ready in time"
                time.sleep(0.25)
        yield clients[0], clients[1], shared
    finally:
        for client in clients:
            client.close()
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _seconds_until(check: Callable[[], bool], limit: float = 10.0) -> float:
    """How long until `check()` holds (polled every 50 ms); fails after `limit` seconds."""
    started = time.monotonic()
    while not check():
        elapsed = time.monotonic() - started
        assert elapsed < limit, f"not visible after {limit:.0f} s"
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.mark.slow
def test_a_write_through_one_worker_is_matched_by_the_other_through_notifications(
    two_workers: tuple[httpx.Client, httpx.Client, Path], postgres_url: str
) -> None:
    a, b, shared = two_workers
    starts = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    people = [
        make_employee("LEAD", title="Analytics Lead", level=5),
        make_employee("DATA", skills=[{"name": PYTHON, "level": 5}, {"name": "SQL", "level": 4}]),
        make_employee("WEB", skills=[{"name": "JavaScript", "level": 4}]),
    ]
    assert a.post("/api/v1/employees/bulk", json=people).status_code == 200

    def gig_ids(client: httpx.Client, person: str) -> set[str]:
        answer = client.get(f"/api/v1/employees/{person}/matches", params={"kind": "gig"})
        assert answer.status_code == 200, answer.text
        return {item["opportunity"]["external_id"] for item in answer.json()["items"]}

    def candidates(client: httpx.Client, posting: str) -> dict:
        answer = client.get(f"/api/v1/opportunities/{posting}/candidates")
        assert answer.status_code == 200, answer.text
        return answer.json()

    # B has taken in the people imported through A (and served a first page: the first
    # request of a process pays for what it loads lazily, not for the write measured next).
    people_s = _seconds_until(lambda: gig_ids(b, "DATA") == set())
    print(f"people reached B in {people_s:.2f} s")

    # A new posting, through A; matched for DATA by B.
    gig = make_opportunity("GIG-NEW", owner="LEAD", start_date=starts)
    assert a.post("/api/v1/opportunities", json=gig).status_code == 201
    posting_s = _seconds_until(lambda: "GIG-NEW" in gig_ids(b, "DATA"))

    # A profile edit, through A: WEB adds Python, and B's candidate list says WEB has it.
    def web_matches_python() -> bool:
        for item in candidates(b, "GIG-NEW")["items"]:
            if item["candidate"]["external_id"] == "WEB":
                asked = item["candidate"]["asked_skills"]
                return any(s["name"] == PYTHON and s["held"] != "not_held" for s in asked)
        return False

    before = web_matches_python()
    skill_id = next(
        s["skill_id"]
        for s in a.get("/api/v1/employees/DATA").json()["skills"]
        if s["name"] == PYTHON
    )
    edited = a.put(f"/api/v1/employees/WEB/skills/{skill_id}", json={"level": 5})
    assert edited.status_code == 200, edited.text
    profile_s = _seconds_until(web_matches_python)

    # A changed policy, through A: B's next candidate list is served under it.
    assert candidates(b, "GIG-NEW")["ranking"]["policy"] != "off"
    changed = a.put(
        "/api/v1/audits/policies/gig", json={"policy": "off", "reason": "replicas test"}
    )
    assert changed.status_code == 200, changed.text
    policy_s = _seconds_until(lambda: candidates(b, "GIG-NEW")["ranking"]["policy"] == "off")

    # A promoted model (registered and promoted by another process, `talent train` say).
    engine = make_engine(postgres_url)
    try:
        registry = ModelRegistry(shared / "models", make_session_factory(engine))
        rng = np.random.default_rng(0)
        model = LambdaRanker(n_estimators=5, min_trees=5, min_child_samples=5).fit(
            rng.random((400, len(FEATURE_NAMES))), rng.integers(0, 3, 400), np.full(40, 10)
        )
        version = registry.register(
            model, direction="employee", metrics={}, data_hash="workers0", card="# test\n"
        )
        registry.promote(version)
    finally:
        engine.dispose()

    def b_serves(version: str) -> bool:
        answer = b.get("/api/v1/employees/DATA/matches", params={"kind": "gig"})
        return answer.json()["model"]["version"] == version

    model_s = _seconds_until(lambda: b_serves(version))

    assert not before  # nothing was visible before the write: the wait measured the write
    for what, seconds in (
        ("posting", posting_s),
        ("profile edit", profile_s),
        ("policy", policy_s),
        ("promoted model", model_s),
    ):
        print(f"{what}: {seconds:.2f} s")  # each within _seconds_until's limit: it arrived
