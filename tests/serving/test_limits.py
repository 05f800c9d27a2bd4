"""Limits and hygiene: oversized bodies, rate limits, failed authentication limited per
credential and per client without ever locking out a valid credential, X-Forwarded-For believed
only from trusted proxies, one error envelope for every 4xx, health endpoints that say nothing
private, and data files only their owner can read."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from data.schemas import Role
from serving.app import create_app
from serving.cli import app as cli
from serving.middleware import TokenBuckets
from serving.session import COOKIE
from serving.settings import Settings
from serving.state import ServiceState
from tests.helpers.api import token_for

if TYPE_CHECKING:  # the TestClient's responses: httpx2's where installed (starlette)
    import httpx2


def _envelope(response: httpx2.Response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail", "request_id"} and body["error"] == error, body
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_an_oversized_body_is_refused_before_it_is_read_or_the_caller_checked(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    limit = state.settings.max_body_bytes
    big = b"[" + b'{"external_id": "E1"},' * (limit // 20) + b"{}]"
    assert len(big) > limit
    json_type = {"content-type": "application/json"}
    # No token at all: the declared size answers first (a 50 MB body is not parsed to say 401).
    body = _envelope(
        client.post("/api/v1/employees/bulk", content=big, headers=json_type),
        413,
        "payload_too_large",
    )
    assert str(limit) in body["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the guard counts as it reads
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    with_token = {**admin_headers, **json_type}
    streamed = client.post("/api/v1/employees/bulk", content=chunks(), headers=with_token)
    _envelope(streamed, 413, "payload_too_large")
    # A chunked body that also claims a small length is counted, not believed.
    lying = client.post(
        "/api/v1/employees/bulk", content=chunks(), headers={**with_token, "content-length": "5"}
    )
    assert lying.status_code in (400, 413), lying.text
    # Without a token a chunked body is not read at all.
    unread = client.post("/api/v1/employees/bulk", content=chunks(), headers=json_type)
    _envelope(unread, 401, "unauthorized")


def test_a_body_without_a_token_or_not_json_is_refused_before_it_is_parsed(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    json_type = {"content-type": "application/json"}
    _envelope(
        client.post("/api/v1/employees/bulk", content=b"[{", headers=json_type),
        401,
        "unauthorized",
    )
    _envelope(
        client.post(
            "/api/v1/employees/bulk",
            content=b"[]",
            headers={**admin_headers, "content-type": "text/plain"},
        ),
        415,
        "unsupported_media_type",
    )
    broken = _envelope(
        client.post(
            "/api/v1/employees/bulk", content=b"[{", headers={**admin_headers, **json_type}
        ),
        422,
        "validation_failed",
    )
    assert broken["detail"][0]["field"] == "body" and "JSON" in broken["detail"][0]["message"]


def test_every_client_error_comes_in_one_envelope_with_the_request_id(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    _envelope(client.get("/api/v1/nowhere", headers=admin_headers), 404, "not_found")
    _envelope(client.delete("/api/v1/stats", headers=admin_headers), 405, "method_not_allowed")
    query = _envelope(
        client.get("/api/v1/employees?cursor=abc", headers=admin_headers), 422, "validation_failed"
    )
    assert query["detail"][0]["loc"][0] == "query" and query["detail"][0]["field"] == "cursor"
    _envelope(client.get("/api/v1/stats"), 401, "unauthorized")


def test_a_token_over_its_rate_gets_429_with_retry_after(
    state: ServiceState, admin_headers: dict[str, str]
) -> None:
    limited = state.settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3})
    with TestClient(create_app(limited, state=state)) as client:
        token = admin_headers["Authorization"].split()[1]
        # However the header is spelt, it is one token with one bucket.
        spellings = [f"Bearer {token}", f"bearer {token}", f"BEARER  {token} ", f"bEaReR {token}"]
        answers = [client.get("/api/v1/me", headers={"Authorization": a}) for a in spellings]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        body = _envelope(answers[-1], 429, "rate_limited")
        assert int(answers[-1].headers["retry-after"]) >= 1 and "retry" in body["detail"]
        assert client.get("/healthz").status_code == 200  # probes are never limited


def test_guessing_tokens_is_limited_per_address(state: ServiceState) -> None:
    limited = state.settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3})
    with TestClient(create_app(limited, state=state)) as client:
        guesses = [
            client.get("/api/v1/me", headers={"Authorization": f"Bearer guess-{n}"})
            for n in range(5)
        ]
        assert [g.status_code for g in guesses] == [401, 401, 401, 429, 429]
        body = _envelope(guesses[-1], 429, "rate_limited")
        assert "failed authentications" in body["detail"]
        # Signing in through the page, or asking whether a cookie is a session, is guessing too.
        sign_in = client.post("/api/v1/session", json={"token": "guess-9"})
        assert sign_in.status_code == 429
        asked = client.get("/api/v1/session", headers={"Cookie": f"{COOKIE}=guess-10"})
        assert asked.status_code == 429


def test_a_flood_of_bad_tokens_never_locks_out_a_valid_one(
    state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """As filed: 400 bad tokens from one address, and the next valid employee and admin
    requests got 429."""
    # One failure earned back a minute: however slow this machine, the flood stays refused.
    limited = state.settings.model_copy(update={"rate_limit_per_minute": 1, "rate_limit_burst": 3})
    employee = token_for(state, Role.EMPLOYEE, "E1")
    fresh = token_for(state, Role.LEAD, "L1")  # first seen after the flood
    signing_in = token_for(state, Role.HR, "H1")["Authorization"].removeprefix("Bearer ")
    with TestClient(create_app(limited, state=state)) as client:
        assert client.get("/api/v1/me", headers=employee).status_code == 200
        signed = client.post("/api/v1/session", json={"token": signing_in})
        session = {"Cookie": signed.headers["set-cookie"].split(";")[0]}
        client.cookies.clear()
        flood = [
            client.get("/api/v1/me", headers={"Authorization": f"Bearer bad-{n}"}).status_code
            for n in range(400)
        ]
        assert flood[:3] == [401] * 3 and set(flood[3:]) == {429}
        # Every valid credential from the same address goes through, known here or not.
        for valid in (employee, fresh, admin_headers, session):
            answer = client.get("/api/v1/me", headers=valid)
            assert answer.status_code == 200, (valid, answer.text)
        assert client.post("/api/v1/session", json={"token": signing_in}).status_code == 200
        # ... and still no guess does.
        assert (
            client.get("/api/v1/me", headers={"Authorization": "Bearer bad-x"}).status_code == 429
        )


def test_a_bad_token_is_limited_whoever_sends_it(state: ServiceState) -> None:
    """Failures count per presented credential too: one guessed token tried from many
    addresses (here: many clients behind a trusted proxy) is refused after its burst."""
    limited = state.settings.model_copy(
        update={
            "rate_limit_per_minute": 1,
            "rate_limit_burst": 3,
            "trusted_proxies": ("127.0.0.1",),
        }
    )
    app = create_app(limited, state=state)
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        answers = [
            client.get(
                "/api/v1/me",
                headers={"Authorization": "Bearer the-guess", "X-Forwarded-For": f"10.0.0.{n}"},
            ).status_code
            for n in range(6)
        ]
        assert answers == [401, 401, 401, 429, 429, 429]
        other = client.get(
            "/api/v1/me",
            headers={"Authorization": "Bearer another-guess", "X-Forwarded-For": "10.0.0.99"},
        )
        assert other.status_code == 401


def test_forwarded_for_from_an_untrusted_client_neither_dodges_nor_aims_the_limit(
    state: ServiceState,
) -> None:
    limited = state.settings.model_copy(update={"rate_limit_per_minute": 1, "rate_limit_burst": 3})
    app = create_app(limited, state=state)
    with TestClient(app, client=("198.51.100.7", 40000)) as attacker:
        # A new address in the header for each guess: still one client, limited as one.
        dodging = [
            attacker.get(
                "/api/v1/me",
                headers={"Authorization": f"Bearer g-{n}", "X-Forwarded-For": f"10.9.0.{n}"},
            ).status_code
            for n in range(5)
        ]
        assert dodging == [401, 401, 401, 429, 429]
        # Naming someone else's address charges the sender, not them.
        for n in range(5):
            attacker.get(
                "/api/v1/me",
                headers={"Authorization": f"Bearer h-{n}", "X-Forwarded-For": "203.0.113.9"},
            )
    with TestClient(app, client=("203.0.113.9", 40000)) as victim:
        mistyped = victim.get("/api/v1/me", headers={"Authorization": "Bearer typo"})
        assert mistyped.status_code == 401  # not 429: the attacker's failures are not theirs
        assert victim.get("/").status_code == 200


def test_forwarded_for_from_a_trusted_proxy_is_believed(state: ServiceState) -> None:
    limited = state.settings.model_copy(
        update={
            "rate_limit_per_minute": 1,
            "rate_limit_burst": 3,
            "trusted_proxies": ("10.1.0.0/16", "127.0.0.1"),
        }
    )
    app = create_app(limited, state=state)

    def guess(client: TestClient, n: int, forwarded: str) -> int:
        headers = {"Authorization": f"Bearer g-{n}", "X-Forwarded-For": forwarded}
        return client.get("/api/v1/me", headers=headers).status_code

    with TestClient(app, client=("127.0.0.1", 40000)) as proxy:
        # Two proxies in a row (10.1.2.3 forwarded to 127.0.0.1): the client is the first
        # untrusted address from the right; what it wrote on the left is not believed.
        chain = "6.6.6.6, 192.0.2.10, 10.1.2.3"
        assert [guess(proxy, n, chain) for n in range(4)] == [401, 401, 401, 429]
        assert guess(proxy, 5, "7.7.7.7, 192.0.2.10, 10.1.2.3") == 429
        assert guess(proxy, 6, "192.0.2.11") == 401  # another client behind the proxy
    with TestClient(app, client=("192.0.2.50", 40000)) as stranger:  # no proxy of ours
        assert guess(stranger, 7, "10.1.2.3") == 401
        assert guess(stranger, 8, "192.0.2.11") == 401  # not charged to 192.0.2.11


def test_trusted_proxies_are_addresses_or_networks(state: ServiceState) -> None:
    # A comma list, as the environment gives it: the field's validator splits it.
    parsed = Settings(
        trusted_proxies="10.0.0.5, 10.1.0.0/16 ::1"  # type: ignore[arg-type]  # a comma list
    )
    assert parsed.trusted_proxies == ("10.0.0.5", "10.1.0.0/16", "::1")
    assert Settings().trusted_proxies == ()
    with pytest.raises(ValidationError, match=re.escape("TALENT_TRUSTED_PROXIES: 'proxy.local'")):
        Settings(trusted_proxies="10.0.0.5,proxy.local")  # type: ignore[arg-type]  # a comma list


def test_token_buckets_refill_at_their_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=2.0, burst=2, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] = 0.5
    assert buckets.take("a") == 0.0
    assert buckets.take("b") == 0.0


def test_health_endpoints_say_nothing_private_without_a_token(client: TestClient) -> None:
    assert client.get("/readyz").json() == {"ready": True}
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "talent_fairness" not in metrics.text and "talent_http_requests_total" in metrics.text


@pytest.mark.slow
def test_files_holding_people_are_private_to_the_service_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var = tmp_path / "var"
    monkeypatch.setenv("TALENT_VAR_DIR", str(var))
    monkeypatch.setenv("TALENT_DATABASE_URL", f"sqlite:///{var / 'talent.db'}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    made = CliRunner().invoke(cli, ["demo", "--employees", "30", "--opportunities", "8"])
    assert made.exit_code == 0, made.output

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(var) == 0o700 and mode(var / "demo") == 0o700
    for private in ("talent.db", "demo/employees.jsonl", "demo/tokens.json", "demo/true_fit.npz"):
        assert mode(var / private) == 0o600, private
    keys = tmp_path / "config" / "talent-marketplace"
    assert mode(keys) == 0o700 and mode(keys / "token.key") == 0o600
    # The demo's tokens are written in clear only in its own file, never in the database.
    assert b"demo-employee-token" not in (var / "talent.db").read_bytes()


def test_a_wrong_method_names_every_method_the_path_takes(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    wrong = client.delete("/api/v1/employees/E1", headers=admin_headers)
    _envelope(wrong, 405, "method_not_allowed")
    assert {m.strip() for m in wrong.headers["allow"].split(",")} >= {"GET", "PUT", "PATCH"}
