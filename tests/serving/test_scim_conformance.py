"""scim2-tester's checks of RFC 7643/7644 against /scim/v2, over HTTP: the app served by
uvicorn on a free 127.0.0.1 port, a scim2-client with the provisioning token. Any check that
fails fails this test, naming the checks; the tally is printed (-s shows it)."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx2
import pytest
import uvicorn
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from data.schemas import Role
from serving.app import create_app
from serving.state import ServiceState
from tests.helpers.api import token_for

FAILING = {Status.ERROR, Status.CRITICAL}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def scim_server(state: ServiceState) -> Iterator[str]:
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
    try:
        deadline = time.monotonic() + 30
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "the SCIM test server did not start within 30 s"
        yield f"http://127.0.0.1:{port}/scim/v2"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_scim2_tester_finds_no_failing_check(state: ServiceState, scim_server: str) -> None:
    random.seed(25)  # scim2-tester draws its attribute values from `random`
    headers = token_for(state, Role.SCIM, None)
    with httpx2.Client(base_url=scim_server, headers=headers, timeout=30) as http:
        results = check_server(SyncSCIMClient(http))
    tally = Counter(result.status.name for result in results)
    print(f"scim2-tester: {len(results)} checks, {dict(sorted(tally.items()))}")
    for skipped in (r for r in results if r.status is Status.SKIPPED):
        print(f"  skipped {skipped.title} [{skipped.resource_type or '-'}]: {skipped.reason}")
    failing = [
        f"{r.title} [{r.resource_type or '-'}]: {r.reason}" for r in results if r.status in FAILING
    ]
    assert not failing, "\n".join(failing)
    assert tally["SUCCESS"] >= 20  # the discovery, CRUD and PATCH checks ran
