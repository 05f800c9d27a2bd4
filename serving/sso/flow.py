"""The sign-in's three steps.

- `begin`: a random state, nonce and PKCE verifier (S256); the state's digest, the nonce and
  the verifier are stored until the sign-in returns (sso_logins), and the browser gets the state
  in a short-lived cookie of its own too, so a sign-in finishes only in the browser that started
  it (a link carrying someone else's state and code cannot sign a victim in as them).
- `finish`: the state is claimed once, the code exchanged (with the verifier, and the secret of
  a confidential client), the ID token checked, the person matched and their groups mapped, and
  a server-side session opened like a token sign-in's.
- `return_to`: the in-app place (a URL fragment such as `#opportunity=O42`) a sign-in started
  from, kept through the provider's round trip so a deep link survives signing in; only a
  fragment of a few safe characters is taken, never a URL (no open redirect).
- `logout_url`: where the browser goes after signing out of a single sign-on session: the
  provider's end_session_endpoint (RP-initiated logout) with the ID token as hint, back here.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlencode

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from sqlalchemy.orm import Session

from data.storage.sso_logins import claim_login, start_login
from data.storage.web_sessions import OpenedSession, open_sso_session
from serving.settings import Settings
from serving.sso.id_token import validate_id_token
from serving.sso.people import SsoPerson, person_of
from serving.sso.provider import Provider
from serving.sso.refusals import RefusalKind, SsoRefusal

CALLBACK_PATH = "/api/v1/sso/callback"
STATE_COOKIE = "talent_sso_state"
STATE_COOKIE_PATH = "/api/v1/sso/"
RETURN_COOKIE = "talent_sso_return"
# An in-app place: a fragment of the app's own page (`#matches`, `#opportunity=O%2042`). No
# slash, quote, angle bracket or scheme can pass, so "/" + it never leaves this site.
_RETURN_TO = re.compile(r"#[A-Za-z0-9._~%=:,+-]{1,200}")


@dataclass(frozen=True, slots=True)
class Started:
    redirect_url: str
    state: str  # for the browser's own cookie
    lifetime_seconds: int


@dataclass(frozen=True, slots=True)
class Finished:
    person: SsoPerson
    opened: OpenedSession


def redirect_uri(settings: Settings) -> str:
    return settings.sso_redirect_base_url.rstrip("/") + CALLBACK_PATH


def after_logout_uri(settings: Settings) -> str:
    return settings.sso_redirect_base_url.rstrip("/") + "/"


def safe_return_to(value: str | None) -> str | None:
    """The fragment a sign-in may return to, or None (absent, or not a plain in-app fragment)."""
    if value is None or not _RETURN_TO.fullmatch(value):
        return None
    return value


def return_cookie_value(fragment: str) -> str:
    """The fragment as a cookie carries it (percent-encoded: no character a cookie quotes)."""
    return quote(fragment, safe="")


def return_to_of(cookie: str | None) -> str | None:
    """The fragment a finished sign-in goes to: the cookie's, checked again (a cookie is the
    browser's to send, so it is trusted no more than the query it came from)."""
    return safe_return_to(unquote(cookie)) if cookie else None


def begin(session: Session, settings: Settings, provider: Provider, secret: bytes) -> Started:
    metadata = provider.metadata()
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)  # 64 characters: within RFC 7636's 43..128
    lifetime = dt.timedelta(minutes=settings.sso_login_minutes)
    start_login(
        session,
        secret=secret,
        state=state,
        nonce=nonce,
        code_verifier=verifier,
        expires_at=dt.datetime.now(dt.UTC) + lifetime,
    )
    with _client(settings) as client:
        url, _ = client.create_authorization_url(
            metadata.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
        )
    return Started(url, state, round(lifetime.total_seconds()))


def finish(
    session: Session,
    settings: Settings,
    provider: Provider,
    secret: bytes,
    *,
    params: dict[str, str],
    browser_state: str | None,
) -> Finished:
    if "error" in params:
        # Logged by kind only: the provider's description may quote the person.
        raise SsoRefusal("provider_error", f"the provider answered error={params['error'][:60]!r}")
    state, code = params.get("state", ""), params.get("code", "")
    if not state or not code:
        raise SsoRefusal("unknown_state", "the callback carries no state or no code")
    claimed = claim_login(session, secret=secret, state=state)
    if claimed.outcome != "claimed":
        kinds: dict[str, RefusalKind] = {"used": "replayed_state", "expired": "expired_state"}
        raise SsoRefusal(kinds.get(claimed.outcome, "unknown_state"), f"state {claimed.outcome}")
    if browser_state is None or not hmac.compare_digest(browser_state, state):
        raise SsoRefusal("other_browser", "the state cookie is missing or names another sign-in")
    metadata = provider.metadata()
    tokens = _exchange(settings, metadata.token_endpoint, code, claimed.code_verifier)
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise SsoRefusal("invalid_token", "the token response carries no ID token")
    claims = validate_id_token(
        id_token,
        keys=lambda refresh: provider.keys(refresh=refresh),
        algorithms=metadata.signing_algorithms,
        issuer=metadata.issuer,
        client_id=settings.sso_client_id,
        nonce=claimed.nonce,
        leeway_seconds=settings.sso_clock_skew_seconds,
    )
    person = person_of(session, settings, claims)
    opened = open_sso_session(
        session,
        secret=secret,
        subject_external_id=person.external_id,
        role=person.role.value,
        scopes=list(person.scopes),
        id_token=id_token,
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=settings.session_hours),
    )
    return Finished(person, opened)


def logout_url(settings: Settings, provider: Provider, id_token: str | None) -> str | None:
    """The provider's sign-out for a single sign-on session (None if it offers none or cannot
    be reached: the local session has ended either way)."""
    try:
        endpoint = provider.metadata().end_session_endpoint
    except SsoRefusal:
        return None
    if endpoint is None:
        return None
    params = {"post_logout_redirect_uri": after_logout_uri(settings)}
    params["client_id"] = settings.sso_client_id
    if id_token:
        params["id_token_hint"] = id_token
    separator = "&" if "?" in endpoint else "?"
    return f"{endpoint}{separator}{urlencode(params)}"


def _exchange(settings: Settings, endpoint: str, code: str, verifier: str) -> dict[str, Any]:
    try:
        with _client(settings) as client:
            token = client.fetch_token(
                endpoint, grant_type="authorization_code", code=code, code_verifier=verifier
            )
    except OAuthError as exc:
        raise SsoRefusal("provider_error", f"the code exchange was refused ({exc.error})") from None
    except httpx.HTTPError as exc:
        raise SsoRefusal(
            "provider_unreachable", f"the token endpoint failed ({type(exc).__name__})"
        ) from None
    except ValueError:  # not JSON
        raise SsoRefusal("provider_error", "the token endpoint's answer is not JSON") from None
    return dict(token)


def _client(settings: Settings) -> OAuth2Client:
    secret = settings.sso_client_secret
    return OAuth2Client(
        client_id=settings.sso_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        # A public client proves itself by PKCE alone and names itself in the body.
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        scope=settings.sso_scopes,
        redirect_uri=redirect_uri(settings),
        code_challenge_method="S256",
        timeout=settings.sso_timeout_seconds,
    )
