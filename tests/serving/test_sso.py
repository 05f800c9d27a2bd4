"""Single sign-on below the browser, on both databases: the ID token's checks run against
tokens signed by a key this test serves as the provider's JWKS (from a provider on 127.0.0.1
that hands out whichever ID token the test chose), through the real callback: a wrong audience,
an expired token, a foreign key, a wrong nonce or issuer are each refused with a page; a state
is claimed once; groups map to roles; a deactivated person's session ends; settings name what
is wrong."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import ValidationError
from sqlalchemy import update

from data.storage.engine import transaction
from data.storage.sso_logins import claim_login, start_login
from data.storage.tables import EmployeeRow
from serving.session import COOKIE
from serving.settings import Settings
from serving.sso.flow import RETURN_COOKIE, STATE_COOKIE
from serving.sso.people import role_of
from serving.state import ServiceState
from tests.factories import make_employee

CLIENT_ID = "talent-test"
KEY = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "test-key"})


class _Provider:
    """Discovery, JWKS and a token endpoint answering with `id_token(nonce)`."""

    def __init__(self) -> None:
        self.id_token: Any = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": provider.issuer,
                            "authorization_endpoint": f"{provider.issuer}/authorize",
                            "token_endpoint": f"{provider.issuer}/token",
                            "jwks_uri": f"{provider.issuer}/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }
                    )
                elif self.path == "/jwks":
                    self._json({"keys": [KEY.as_dict(private=False)]})
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                assert form["grant_type"] == ["authorization_code"]
                assert len(form["code_verifier"][0]) >= 43  # PKCE: the verifier comes back
                self._json(
                    {"access_token": "at", "token_type": "Bearer", "id_token": provider.id_token}
                )

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture(scope="module")
def provider() -> Iterator[_Provider]:
    served = _Provider()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.server.shutdown()
        served.server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def sso_client(
    state: ServiceState, provider: _Provider, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    from serving.app import create_app

    settings = Settings(
        **{
            **state.settings.model_dump(),
            "sso_issuer": provider.issuer,
            "sso_client_id": CLIENT_ID,
            "sso_redirect_base_url": "http://localhost:8000",
            "sso_required_groups": ("staff",),
            "sso_hr_groups": ("people-team",),
        }
    )
    monkeypatch.setattr(state, "settings", settings)
    admin_token = settings.admin_token
    assert admin_token is not None  # the suite's settings carry one
    with TestClient(create_app(settings, state=state)) as client:
        client.post(
            "/api/v1/employees/bulk",
            json=[make_employee("E1"), make_employee("E2")],
            headers={"Authorization": f"Bearer {admin_token.get_secret_value()}"},
        ).raise_for_status()
        yield client


def _claims(issuer: str, nonce: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": "person-1",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "email": "e1@corp.example",
        "groups": ["staff", "people-team"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], key: RSAKey = KEY) -> str:
    return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)


def _start(client: TestClient) -> tuple[str, str]:
    """Begin a sign-in: (state, nonce) as sent to the provider."""
    started = client.get("/api/v1/sso/login", follow_redirects=False)
    assert started.status_code == 303, started.text
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
    assert f"{STATE_COOKIE}=" in started.headers["set-cookie"]
    return query["state"][0], query["nonce"][0]


def _return(client: TestClient, state: str, *, cookie: str | None = None) -> Any:
    cookie = state if cookie is None else cookie
    return client.get(
        f"/api/v1/sso/callback?code=the-code&state={state}",
        headers={"Cookie": f"{STATE_COOKIE}={cookie}"},
        follow_redirects=False,
    )


def _reason(answer: Any) -> str:
    assert answer.headers["content-type"].startswith("text/html"), answer.text
    marker = 'data-reason="'
    start = answer.text.index(marker) + len(marker)
    return answer.text[start : answer.text.index('"', start)]


def test_a_valid_id_token_opens_a_session_as_the_matched_employee_with_the_groups_role(
    sso_client: TestClient, provider: _Provider
) -> None:
    state, nonce = _start(sso_client)
    provider.id_token = _sign(_claims(provider.issuer, nonce))
    answer = _return(sso_client, state)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
    session_id = cookie.split(";")[0].split("=", 1)[1]
    me = sso_client.get("/api/v1/me", headers={"Cookie": f"{COOKIE}={session_id}"}).json()
    assert (me["role"], me["subject_external_id"]) == ("hr", "E1")
    # Signing in again from the same browser ends the session it held.
    again_state, again_nonce = _start(sso_client)
    provider.id_token = _sign(_claims(provider.issuer, again_nonce))
    second = sso_client.get(
        f"/api/v1/sso/callback?code=c&state={again_state}",
        headers={"Cookie": f"{STATE_COOKIE}={again_state}; {COOKIE}={session_id}"},
        follow_redirects=False,
    )
    assert second.status_code == 303
    old = sso_client.get("/api/v1/session", headers={"Cookie": f"{COOKIE}={session_id}"})
    assert old.json() == {"signed_in": False}
    session_id = second.headers["set-cookie"].split(f"{COOKIE}=")[1].split(";")[0]
    # Signing out names no provider sign-out (this one offers none) and ends the session.
    out = sso_client.delete(
        "/api/v1/session",
        headers={"Cookie": f"{COOKIE}={session_id}", "X-Requested-With": "talent-web"},
    )
    assert out.json() == {"signed_out": True}
    again = sso_client.get("/api/v1/session", headers={"Cookie": f"{COOKIE}={session_id}"})
    assert again.json() == {"signed_in": False}


@pytest.mark.parametrize(
    ("overrides", "key", "reason", "status"),
    [
        ({"aud": "another-app"}, KEY, "wrong_audience", 401),
        ({"aud": [CLIENT_ID, "another-app"], "azp": "another-app"}, KEY, "wrong_audience", 401),
        (
            {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
            KEY,
            "expired_token",
            401,
        ),
        ({"iss": "https://impostor.example"}, KEY, "wrong_issuer", 401),
        ({"nonce": "not-this-sign-in"}, KEY, "nonce_mismatch", 401),
        ({}, OTHER_KEY, "invalid_token", 401),
        ({"exp": None}, KEY, "invalid_token", 401),
        ({"email": "nobody@corp.example"}, KEY, "unknown_person", 403),
        ({"email_verified": False}, KEY, "unverified_email", 403),
        ({"groups": ["people-team"]}, KEY, "missing_group", 403),
    ],
)
def test_an_id_token_that_fails_a_check_is_refused_with_a_page_and_opens_no_session(
    sso_client: TestClient,
    provider: _Provider,
    caplog: pytest.LogCaptureFixture,
    overrides: dict[str, Any],
    key: RSAKey,
    reason: str,
    status: int,
) -> None:
    state, nonce = _start(sso_client)
    claims = {**_claims(provider.issuer, nonce), **overrides}
    provider.id_token = _sign({k: v for k, v in claims.items() if v is not None}, key)
    with caplog.at_level("WARNING", logger="talent.sso"):
        answer = _return(sso_client, state)
    assert answer.status_code == status and _reason(answer) == reason
    assert f"{COOKIE}=" not in answer.headers.get("set-cookie", "").replace(f"{STATE_COOKIE}", "")
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert reason in logged and provider.id_token not in logged and "e1@corp" not in logged


def _set_cookies(answer: Any) -> dict[str, str]:
    """The cookies a response sets (name: value; a deleted one's value is empty)."""
    pairs = (line.split(";")[0].split("=", 1) for line in answer.headers.get_list("set-cookie"))
    return {name: value.strip('"') for name, value in pairs}


def _round_trip(
    client: TestClient, provider: _Provider, return_to: str, *, forged: str | None = None
) -> tuple[Any, Any]:
    """A sign-in started with `return_to`, back with the cookies the browser was given (or a
    forged return cookie): (the login's answer, the callback's)."""
    started = client.get(
        "/api/v1/sso/login", params={"return_to": return_to}, follow_redirects=False
    )
    assert started.status_code == 303, started.text
    query = parse_qs(urlsplit(started.headers["location"]).query)
    state, nonce = query["state"][0], query["nonce"][0]
    assert not return_to or return_to not in started.headers["location"]  # not the provider's
    provider.id_token = _sign(_claims(provider.issuer, nonce))
    cookies = _set_cookies(started)
    back = cookies.get(RETURN_COOKIE) if forged is None else forged
    cookie = f"{STATE_COOKIE}={cookies[STATE_COOKIE]}" + (
        f"; {RETURN_COOKIE}={back}" if back else ""
    )
    answer = client.get(
        f"/api/v1/sso/callback?code=c&state={state}",
        headers={"Cookie": cookie},
        follow_redirects=False,
    )
    return started, answer


@pytest.mark.parametrize("fragment", ["#opportunity=O-TRIAL-1", "#opportunity=O%20x.1_~", "#hr"])
def test_a_sign_in_started_from_a_deep_link_comes_back_to_it(
    sso_client: TestClient, provider: _Provider, fragment: str
) -> None:
    started, answer = _round_trip(sso_client, provider, fragment)
    assert _set_cookies(started)[RETURN_COOKIE]  # kept beside the state, for the way back
    assert answer.status_code == 303 and answer.headers["location"] == "/" + fragment
    assert f"{COOKIE}=" in answer.headers["set-cookie"]
    # Spent with the state: the browser's next sign-in without one lands on the first page.
    assert _set_cookies(answer)[RETURN_COOKIE] == ""
    _, plain = _round_trip(sso_client, provider, "")
    assert plain.headers["location"] == "/"


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "#x/..//evil.example",
        '#a"><script>alert(1)</script>',
        "#a'b",
        "#a<b",
        "#a b",
        "#",
        "#" + "a" * 201,
        "opportunity=O-TRIAL-1",
    ],
)
def test_a_return_to_that_is_no_in_app_fragment_is_ignored(
    sso_client: TestClient, provider: _Provider, hostile: str
) -> None:
    started, answer = _round_trip(sso_client, provider, hostile)
    assert _set_cookies(started).get(RETURN_COOKIE, "") == ""
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    # A return cookie the browser forged is checked as strictly as the query.
    from urllib.parse import quote

    _, forged = _round_trip(sso_client, provider, "#ok", forged=quote(hostile, safe=""))
    assert forged.status_code == 303 and forged.headers["location"] == "/"


def test_an_unverified_e_mail_is_refused_as_such_not_as_an_unknown_person(
    sso_client: TestClient,
    provider: _Provider,
    state: ServiceState,
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = state.settings.sso_provider_name
    login_state, nonce = _start(sso_client)
    # E1 is on file under this address: only the provider's flag stands in the way.
    provider.id_token = _sign(_claims(provider.issuer, nonce, email_verified=False))
    with caplog.at_level("WARNING", logger="talent.sso"):
        answer = _return(sso_client, login_state)
    assert answer.status_code == 403 and _reason(answer) == "unverified_email"
    assert f"Your e-mail address is not verified at {name}" in answer.text
    assert "not known to this app" not in answer.text
    assert "(unverified_email)" in caplog.text and "e1@corp" not in caplog.text
    # Verified (or a provider that sends no flag): the same person signs in.
    login_state, nonce = _start(sso_client)
    provider.id_token = _sign(_claims(provider.issuer, nonce, email_verified=True))
    assert _return(sso_client, login_state).status_code == 303


def test_a_state_comes_back_once_and_only_to_the_browser_that_started_it(
    sso_client: TestClient, provider: _Provider
) -> None:
    state, nonce = _start(sso_client)
    provider.id_token = _sign(_claims(provider.issuer, nonce))
    assert _return(sso_client, state).status_code == 303
    assert _reason(_return(sso_client, state)) == "replayed_state"
    assert _reason(_return(sso_client, "never-issued")) == "unknown_state"
    other, _ = _start(sso_client)
    assert _reason(_return(sso_client, other, cookie="someone-else")) == "other_browser"
    error = sso_client.get("/api/v1/sso/callback?error=access_denied&state=x")
    assert error.status_code == 400 and _reason(error) == "provider_error"


def test_a_claimed_state_cannot_be_claimed_again_nor_after_it_lapsed(state: ServiceState) -> None:
    import datetime as dt

    secret = state.token_secret
    now = dt.datetime.now(dt.UTC)
    with transaction(state.sessions) as session:
        start_login(
            session, secret=secret, state="s1", nonce="n", code_verifier="v" * 43,
            expires_at=now + dt.timedelta(minutes=5),
        )  # fmt: skip
        start_login(
            session, secret=secret, state="s2", nonce="n", code_verifier="v" * 43,
            expires_at=now - dt.timedelta(seconds=1),
        )  # fmt: skip
    with transaction(state.sessions) as session:
        first = claim_login(session, secret=secret, state="s1")
        assert (first.outcome, first.nonce) == ("claimed", "n")
        assert claim_login(session, secret=secret, state="s1").outcome == "used"
        assert claim_login(session, secret=secret, state="s2").outcome == "expired"
        assert claim_login(session, secret=secret, state="s3").outcome == "unknown"


def test_a_deactivated_person_s_single_sign_on_session_ends(
    sso_client: TestClient, provider: _Provider, state: ServiceState
) -> None:
    login_state, nonce = _start(sso_client)
    provider.id_token = _sign(_claims(provider.issuer, nonce))
    answer = _return(sso_client, login_state)
    session_id = answer.headers["set-cookie"].split(f"{COOKIE}=")[1].split(";")[0]
    cookie = {"Cookie": f"{COOKIE}={session_id}"}
    assert sso_client.get("/api/v1/me", headers=cookie).status_code == 200
    with transaction(state.sessions) as session:
        session.execute(
            update(EmployeeRow).where(EmployeeRow.external_id == "E1").values(active=False)
        )
    assert sso_client.get("/api/v1/me", headers=cookie).status_code == 401
    state_2, nonce_2 = _start(sso_client)
    provider.id_token = _sign(_claims(provider.issuer, nonce_2))
    assert _reason(_return(sso_client, state_2)) == "inactive_person"


def test_groups_map_to_the_highest_role_and_the_auditor_permission() -> None:
    settings = Settings(
        sso_lead_groups=("leads",), sso_hr_groups=("hr",), sso_admin_groups=("admins",),
        sso_auditor_groups=("auditors",),
    )  # fmt: skip
    assert role_of([], settings) == ("employee", ())
    assert role_of(["leads"], settings) == ("lead", ())
    assert role_of(["leads", "hr", "auditors"], settings) == ("hr", ("auditor",))
    assert role_of(["admins", "leads"], settings) == ("admin", ())


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"sso_client_id": "x"}, "TALENT_SSO_CLIENT_ID is set but TALENT_SSO_ISSUER is not"),
        ({"sso_issuer": "https://idp.example"}, "TALENT_SSO_REDIRECT_BASE_URL is required"),
        (
            {"sso_issuer": "https://idp.example", "sso_redirect_base_url": "https://t.example"},
            "TALENT_SSO_CLIENT_ID is required",
        ),
        (
            {"sso_issuer": "http://idp.example", "sso_client_id": "c",
             "sso_redirect_base_url": "https://t.example"},
            "TALENT_SSO_ISSUER ('http://idp.example') must use https://",
        ),
        (
            {"sso_issuer": "https://idp.example", "sso_client_id": "c",
             "sso_redirect_base_url": "https://t.example", "sso_scopes": "email"},
            "TALENT_SSO_SCOPES must include 'openid'",
        ),
    ],
)  # fmt: skip
def test_single_sign_on_settings_say_which_setting_is_wrong(
    values: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError, match=named.replace("(", r"\(").replace(")", r"\)")):
        Settings(**values)


def test_without_an_issuer_single_sign_on_is_off_and_says_so(client: TestClient) -> None:
    assert client.get("/api/v1/sso").json() == {
        "enabled": False, "provider_name": None, "login_url": None, "token_form": True,
    }  # fmt: skip
    answer = client.get("/api/v1/sso/login", follow_redirects=False)
    assert answer.status_code == 404 and _reason(answer) == "not_configured"


def test_an_unreachable_provider_is_a_page_saying_so_and_the_page_offers_what_is_set(
    state: ServiceState, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.app import create_app
    from tests.web.browsing import free_port

    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = Settings(
        **{
            **state.settings.model_dump(),
            "sso_issuer": closed,
            "sso_client_id": CLIENT_ID,
            "sso_redirect_base_url": "http://localhost:8000",
            "sso_timeout_seconds": 2,
            "sso_provider_name": "Okta",
            "sso_hide_token_form": True,
        }
    )
    monkeypatch.setattr(state, "settings", settings)
    with TestClient(create_app(settings, state=state)) as client:
        # The sign-in page learns what to offer (here: the provider only, no token form).
        assert client.get("/api/v1/sso").json() == {
            "enabled": True, "provider_name": "Okta", "login_url": "/api/v1/sso/login",
            "token_form": False,
        }  # fmt: skip
        answer = client.get("/api/v1/sso/login", follow_redirects=False)
    assert answer.status_code == 502 and _reason(answer) == "provider_unreachable"
    assert "cannot be reached" in answer.text
