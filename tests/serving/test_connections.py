"""Keep-alive connections are recycled, so that clients spread over the server's workers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from serving.connections import MAX_REQUESTS, ConnectionAges


def test_a_connection_closes_after_its_requests_or_its_age_and_then_starts_afresh() -> None:
    now = [0.0]
    ages = ConnectionAges(max_age=10.0, max_requests=3, clock=lambda: now[0])
    one, two = ("10.0.0.1", 50001), ["10.0.0.1", 50002]  # ASGI servers send either
    assert [ages.closing(one) for _ in range(4)] == [False, False, True, False]
    assert ages.closing(two) is False
    now[0] = 9.9
    assert ages.closing(two) is False
    now[0] = 10.0
    assert ages.closing(two) is True  # old enough, whatever its count
    assert ages.closing(two) is False  # the client's next connection from that port
    assert ages.closing(None) is False  # no address (not a TCP client): never closed


def test_the_server_asks_a_busy_connection_to_close_and_then_serves_the_next_one(
    client: TestClient,
) -> None:
    answers = [client.get("/healthz") for _ in range(MAX_REQUESTS + 1)]
    assert all(a.status_code == 200 for a in answers)
    closing = [i for i, a in enumerate(answers) if a.headers.get("connection") == "close"]
    assert closing == [MAX_REQUESTS - 1]
