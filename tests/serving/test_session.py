"""The web app's sign-in: a token opens a server-side session whose random id becomes an
HTTP-only, same-site, secure cookie; writes it authenticates need the page's own header;
sign-out and revoking the token end it on the server; a token put in the cookie is no session;
the pages load nothing from another site."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.tables import WebSessionRow
from data.storage.tokens import issue_token, revoke_token
from data.storage.web_sessions import session_digest
from serving.auth import authenticate_session
from serving.errors import Unauthorized
from serving.session import COOKIE
from serving.state import ServiceState
from tests.conftest import ADMIN_TOKEN
from tests.helpers.api import seed, token_for

PAGE = {"X-Requested-With": "talent-web"}


def _token(state: ServiceState, role: Role, subject: str | None) -> str:
    return token_for(state, role, subject)["Authorization"].removeprefix("Bearer ")


def _sign_in(client: TestClient, token: str) -> str:
    """The session id the server sets in the cookie (the test client keeps no cookie: each
    request below names the cookie it sends)."""
    signed = client.post("/api/v1/session", json={"token": token})
    assert signed.status_code == 200, signed.text
    match = re.match(rf"{COOKIE}=([^;]+);", signed.headers["set-cookie"])
    assert match is not None, signed.headers["set-cookie"]
    client.cookies.clear()
    return match.group(1)


def _cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={value}"}


def test_a_token_opens_a_session_whose_cookie_scripts_cannot_read(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    token = _token(state, Role.EMPLOYEE, "DATA")
    assert client.post("/api/v1/session", json={"token": "wrong"}).status_code == 401
    signed = client.post("/api/v1/session", json={"token": token})
    assert signed.status_code == 200 and signed.json()["name"] == "Dana Data"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/", "Max-Age=43200"):
        assert flag.lower() in cookie.lower(), cookie
    client.cookies.clear()
    session_id = _sign_in(client, token)
    # The cookie holds a random id, never the token; the database holds only its digest.
    assert token not in cookie and session_id != token and len(session_id) >= 40
    with state.sessions() as session:
        stored = session.scalars(select(WebSessionRow.digest)).all()
    assert session_digest(state.token_secret, session_id) in stored and session_id not in stored
    jar = _cookie(session_id)
    # The page asks first whether it is signed in: an answer either way, not an error.
    assert client.get("/api/v1/session").json() == {"signed_in": False}
    assert client.get("/api/v1/session", headers=_cookie("stale")).json() == {"signed_in": False}
    assert client.get("/api/v1/session", headers=jar).json()["me"]["name"] == "Dana Data"
    # Reads and writes work by the session as they did by the token.
    assert client.get("/api/v1/me", headers=jar).json()["subject_external_id"] == "DATA"
    # A write signed in by the cookie alone could come from another site's form: refused.
    forged = client.post("/api/v1/opportunities/GIG-WEB/saves", headers=jar)
    assert forged.status_code == 403 and "X-Requested-With" in forged.json()["detail"]
    saved = client.post("/api/v1/opportunities/GIG-WEB/saves", headers={**jar, **PAGE})
    assert saved.status_code == 201
    # HR's HTML report opens in a browser tab by the cookie.
    hr = _cookie(_sign_in(client, _token(state, Role.HR, "WEB")))
    assert client.get("/api/v1/audits/report.html", headers=hr).status_code == 200


def test_sign_out_ends_the_session_on_the_server(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    token = _token(state, Role.EMPLOYEE, "DATA")
    session_id = _sign_in(client, token)
    other = _sign_in(client, token)  # another browser, signed in with the same token
    jar = _cookie(session_id)
    assert client.get("/api/v1/me", headers=jar).status_code == 200
    out = client.delete("/api/v1/session", headers={**jar, **PAGE})
    assert out.status_code == 200 and out.json() == {"signed_out": True}
    assert "max-age=0" in out.headers["set-cookie"].lower()
    # A copy of the old cookie (another tab, a stolen one) is no session any more.
    gone = client.get("/api/v1/me", headers=jar)
    assert gone.status_code == 401 and "session" in gone.json()["detail"]
    assert client.get("/api/v1/session", headers=jar).json() == {"signed_in": False}
    write = client.post("/api/v1/opportunities/GIG-WEB/saves", headers={**jar, **PAGE})
    assert write.status_code == 401
    # Signing out is idempotent, and ends that session only.
    assert client.delete("/api/v1/session", headers=jar).status_code == 200
    assert client.delete("/api/v1/session").status_code == 200
    assert client.get("/api/v1/me", headers=_cookie(other)).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_token_put_in_the_cookie_is_no_session(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    for token in (_token(state, Role.EMPLOYEE, "DATA"), ADMIN_TOKEN):
        jar = _cookie(token)
        refused = client.get("/api/v1/me", headers=jar)
        assert refused.status_code == 401, refused.text
        assert client.get("/api/v1/session", headers=jar).json() == {"signed_in": False}
        write = client.post("/api/v1/opportunities/GIG-WEB/saves", headers={**jar, **PAGE})
        assert write.status_code == 401


def test_revoking_the_token_ends_its_sessions(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    with transaction(state.sessions) as session:
        issued = issue_token(
            session, secret=state.token_secret, role=Role.EMPLOYEE, subject_external_id="DATA"
        )
    kept = _token(state, Role.EMPLOYEE, "WEB")
    sessions = [_sign_in(client, issued.token) for _ in range(2)]
    survivor = _sign_in(client, kept)
    assert all(client.get("/api/v1/me", headers=_cookie(s)).status_code == 200 for s in sessions)
    with transaction(state.sessions) as session:
        revoke_token(session, issued.token_id)
    for session_id in sessions:
        assert client.get("/api/v1/me", headers=_cookie(session_id)).status_code == 401
    with state.sessions() as session:
        left = session.scalars(select(WebSessionRow.digest)).all()
    assert left == [session_digest(state.token_secret, survivor)]  # removed, not just refused
    assert client.get("/api/v1/me", headers=_cookie(survivor)).status_code == 200
    # A token revoked behind the store's back (another process) fails its sessions all the same.
    assert client.post("/api/v1/session", json={"token": issued.token}).status_code == 401


def test_a_session_ends_when_it_expires_and_never_outlives_its_token(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    with transaction(state.sessions) as session:
        brief = issue_token(
            session,
            secret=state.token_secret,
            role=Role.EMPLOYEE,
            subject_external_id="DATA",
            lifetime=dt.timedelta(hours=1),
        )
    signed = client.post("/api/v1/session", json={"token": brief.token})
    client.cookies.clear()
    lifetime = re.search(r"Max-Age=(\d+)", signed.headers["set-cookie"])
    assert lifetime, signed.headers["set-cookie"]
    max_age = int(lifetime.group(1))
    assert 3590 <= max_age <= 3600  # the token's hour, not the session's twelve
    session_id = _sign_in(client, _token(state, Role.EMPLOYEE, "WEB"))
    assert client.get("/api/v1/me", headers=_cookie(session_id)).status_code == 200
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with transaction(state.sessions) as session:
        session.execute(
            update(WebSessionRow)
            .where(WebSessionRow.digest == session_digest(state.token_secret, session_id))
            .values(expires_at=past)
        )
    assert client.get("/api/v1/me", headers=_cookie(session_id)).status_code == 401


def test_a_bootstrap_admin_session_ends_with_the_admin_token(
    client: TestClient, state: ServiceState
) -> None:
    session_id = _sign_in(client, ADMIN_TOKEN)
    assert client.get("/api/v1/me", headers=_cookie(session_id)).json()["role"] == "admin"
    changed = state.settings.model_copy(update={"admin_token": None})
    with state.sessions() as session:
        user = authenticate_session(session_id, state.settings, session, state.token_secret)
        assert user.role is Role.ADMIN
        with pytest.raises(Unauthorized):
            authenticate_session(session_id, changed, session, state.token_secret)


def test_the_pages_load_nothing_from_another_site(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for path in ("/", "/docs", "/redoc"):
        html = client.get(path).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources), (
            path,
            sources,
        )
    for asset in ("/static/app.js", "/static/app.css", "/docs-assets/swagger-ui-bundle.js"):
        assert client.get(asset).status_code == 200
