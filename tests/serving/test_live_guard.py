"""The request guard behind a real server, started with the options `talent serve` gives
uvicorn: a body that trickles in is answered 408 once `body_timeout_seconds` have passed (it
was held 70 s and more), and X-Forwarded-For is believed only from TALENT_TRUSTED_PROXIES
(uvicorn by itself believes it from 127.0.0.1, so any local client chose its own address)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from serving.app import create_app
from serving.cli import server_options
from serving.middleware import RequestGuard
from serving.settings import Settings
from serving.state import ServiceState
from tests.conftest import ADMIN_TOKEN


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _serving(settings: Settings, state: ServiceState) -> Iterator[str]:
    port = _free_port()
    options = {**server_options(settings), "log_level": "warning"}
    config = uvicorn.Config(
        create_app(settings, state=state), host="127.0.0.1", port=port, **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _trickle(url: str, *, every: float, limit: float) -> tuple[bytes, float, bool]:
    """POST a JSON body one byte at a time; what came back, when, and whether the server reset
    the connection (it closes after its 408 while bytes are still arriving, and a reset can
    overtake the answer)."""
    host, port = url.removeprefix("http://").split(":")
    head = (
        "POST /api/v1/employees/bulk HTTP/1.1\r\n"
        f"Host: {host}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n["
    )
    answer = b""
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(head.encode())
        connection.settimeout(every)
        started = time.monotonic()
        while time.monotonic() - started < limit:
            with contextlib.suppress(OSError):  # closed by the server after answering
                connection.sendall(b" ")
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                return answer, time.monotonic() - started, True
            if not chunk:
                break
            answer += chunk
        return answer, time.monotonic() - started, False


def test_a_body_that_trickles_in_is_answered_408_in_time(state: ServiceState) -> None:
    settings = state.settings.model_copy(update={"body_timeout_seconds": 1.0})
    with _serving(settings, state) as url:
        answer, elapsed, reset = _trickle(url, every=0.2, limit=15)
        # The guard is still there for the next, well-behaved request.
        assert httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    # Cut off (the finding: held for as long as bytes came, 70 s and more): answered 408, or
    # reset by the close that follows the answer, before the trickle's own 15 s ran out.
    assert answer.startswith(b"HTTP/1.1 408") or (reset and not answer), answer[:200]
    assert elapsed < 15, elapsed
    if not answer:
        assert elapsed >= 0.9, elapsed
        return
    # Answered (the finding: held for as long as bytes came), not before the limit; no upper
    # wall-clock bound beyond the trickle's own 15 s (a shared 2-core machine stalls).
    assert elapsed >= 0.9, elapsed
    head, _, body = answer.partition(b"\r\n\r\n")
    headers = head.decode().lower()
    assert "connection: close" in headers and "cache-control: no-store" in headers
    assert "x-content-type-options: nosniff" in headers
    envelope = json.loads(body)
    assert envelope["error"] == "request_timeout" and "1 s" in envelope["detail"]


def test_a_slow_body_is_cut_off_at_the_limit_not_per_chunk() -> None:
    """Each piece arriving in time is not enough: the whole body has the limit (a sender that
    drips a byte just under any per-read timeout would otherwise hold on forever)."""
    settings = Settings(body_timeout_seconds=0.3, rate_limit_per_minute=0)
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.05)
        return {"type": "http.request", "body": b" ", "more_body": True}

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/employees/bulk",
        "query_string": b"",
        "headers": [
            (b"authorization", b"Bearer x"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 1),
    }
    started = time.monotonic()
    guarded = RequestGuard(app, settings)(scope, receive, send)
    with contextlib.suppress(TimeoutError):  # the finding: held as long as bytes kept coming
        asyncio.run(asyncio.wait_for(guarded, 5))
    elapsed = time.monotonic() - started
    # Answered within wait_for's 5 s although every piece came in time (per-read timeouts
    # would never fire), and not before the limit.
    assert sent and sent[0]["status"] == 408 and not reached, sent
    assert elapsed >= 0.3, elapsed


def _guesses(url: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(base_url=url) as client:
        return [
            client.get(
                "/api/v1/me",
                headers={"Authorization": f"Bearer guess-{n}", "X-Forwarded-For": address},
            ).status_code
            for n, address in enumerate(forwarded)
        ]


def test_forwarded_for_from_a_local_client_is_not_believed_by_default(
    state: ServiceState,
) -> None:
    settings = state.settings.model_copy(update={"rate_limit_per_minute": 1, "rate_limit_burst": 3})
    assert settings.trusted_proxies == ()
    with _serving(settings, state) as url:
        # A new address in the header for every guess: one client all the same.
        answers = _guesses(url, [f"10.0.0.{n}" for n in range(5)])
    assert answers == [401, 401, 401, 429, 429]


def test_forwarded_for_from_a_trusted_proxy_is_believed_by_the_server(
    state: ServiceState,
) -> None:
    settings = state.settings.model_copy(
        update={
            "rate_limit_per_minute": 1,
            "rate_limit_burst": 3,
            "trusted_proxies": ("127.0.0.1", "::1"),
        }
    )
    with _serving(settings, state) as url:
        each_their_own = _guesses(url, [f"10.0.0.{n}" for n in range(5)])
        one_client = _guesses(url, ["192.0.2.7"] * 5)
    assert each_their_own == [401] * 5  # five people behind the proxy, one guess each
    assert one_client == [401, 401, 401, 429, 429]


def test_a_guess_cannot_ride_on_a_valid_token_sent_in_a_second_header(
    state: ServiceState,
) -> None:
    """Found in review: with two Authorization headers the guard read the last (a valid token)
    and the route the first (a guess), so guesses went at the valid token's rate."""
    settings = state.settings.model_copy(update={"rate_limit_per_minute": 60})
    valid = f"Bearer {ADMIN_TOKEN}"
    with _serving(settings, state) as url, httpx.Client(base_url=url) as client:
        for doubled in (
            [("authorization", "Bearer guess-1"), ("authorization", valid)],
            [("authorization", valid), ("cookie", "a=1"), ("cookie", "talent_session=x")],
        ):
            answer = client.get("/api/v1/me", headers=httpx.Headers(doubled))
            assert answer.status_code == 400, answer.text
            assert answer.json()["detail"][0]["message"] == "sent twice"
        assert client.get("/api/v1/me", headers={"Authorization": valid}).status_code == 200
