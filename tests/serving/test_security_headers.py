"""Every kind of response carries the security headers (the review found `report.html` without a
CSP or `nosniff`, and API answers without `Cache-Control: no-store`): API JSON, each error
envelope (401, 404, 422, 429, 500), the HTML report, the web page, the API reference."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from data.schemas import Role
from serving.app import create_app
from serving.routes import me
from serving.state import ServiceState
from tests.helpers.api import seed, token_for

if TYPE_CHECKING:  # the TestClient's responses: httpx2's where installed (starlette)
    import httpx2

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": ("no-referrer", "same-origin"),
    "x-frame-options": "DENY",
}


def _secured(response: httpx2.Response, *, cacheable: bool = False) -> None:
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    for name, allowed in COMMON.items():
        value = response.headers.get(name)
        assert value in (allowed if isinstance(allowed, tuple) else (allowed,)), (where, name)
    if not cacheable:
        assert response.headers.get("cache-control") == "no-store", where
    if response.headers.get("content-type", "").startswith("text/html"):
        policy = response.headers.get("content-security-policy", "")
        assert "default-src" in policy and "frame-ancestors" in policy, (where, policy)


def test_every_kind_of_response_carries_the_security_headers(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    hr = token_for(state, Role.HR, "WEB")
    busy = token_for(state, Role.EMPLOYEE, "DATA")
    burst = 10
    limited = state.settings.model_copy(
        update={"rate_limit_per_minute": 1, "rate_limit_burst": burst}
    )
    with TestClient(create_app(limited, state=state)) as client:
        answers = [
            client.get("/api/v1/me", headers=hr),  # API JSON
            client.get("/api/v1/employees/E404", headers=admin_headers),  # 404 envelope
            client.get("/api/v1/nowhere", headers=admin_headers),  # unrouted 404
            client.get("/api/v1/employees?limit=0", headers=admin_headers),  # 422
            client.get("/api/v1/me"),  # 401 without a token
            client.get("/api/v1/me", headers={"Authorization": "Bearer wrong"}),  # 401
            client.get("/api/v1/session"),  # the page's sign-in check
            client.get("/openapi.json"),
            client.get("/healthz"),
            client.get("/readyz"),
            client.get("/metrics"),
            client.get("/"),  # the web page, with its own policy
            client.get("/docs"),  # the API reference, with its own (inline scripts) policy
            client.get("/redoc"),
        ]
        report = client.get("/api/v1/audits/report.html", headers=hr)
        answers.append(report)
        throttled = [client.get("/api/v1/me", headers=busy) for _ in range(burst + 1)][-1]
        answers.append(throttled)
        asset = client.get("/static/app.js")
    assert [a.status_code for a in answers[:6]] == [200, 404, 404, 422, 401, 401]
    assert report.status_code == 200 and throttled.status_code == 429
    for answer in answers:
        _secured(answer)
    _secured(asset, cacheable=True)  # the packaged scripts hold nobody's data
    assert asset.headers.get("cache-control") != "no-store"


def test_the_report_runs_no_script_and_the_pages_keep_their_own_policies(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    report = client.get("/api/v1/audits/report.html", headers=token_for(state, Role.HR, "WEB"))
    policy = report.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    # No script may run in it (chart labels are user text); its inline styles and SVG still do.
    assert directives["default-src"] == "'none'" and "script-src" not in directives
    assert "'unsafe-inline'" in directives["style-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert "<script" not in report.text and "<style>" in report.text and "<svg" in report.text
    assert not re.search(r'(?:src|href)="(?:https?:)?//', report.text)
    page = client.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in page and "'unsafe-inline'" not in page.split("script-src")[1]
    docs = client.get("/docs").headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in docs  # Swagger UI starts by an inline script


def test_an_error_that_escapes_a_route_is_an_envelope_with_the_headers(
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(me, "_me", broken)
    app = create_app(state.settings, state=state)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/me", headers={**admin_headers, "X-Request-ID": "bug-1"})
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "internal_error",
        "detail": "an unexpected error; quote the request id when reporting it",
        "request_id": "bug-1",
    }
    _secured(answer)
    # The id the person quotes finds the failure in the server's log.
    assert any(
        "bug-1" in r.getMessage() and "RuntimeError" in r.getMessage() for r in caplog.records
    )
