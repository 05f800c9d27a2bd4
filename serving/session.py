"""The web app's sign-in: the token a person types opens a server-side session, whose random id
becomes an HTTP-only cookie.

The API keeps bearer tokens; a browser page cannot keep a secret from its own scripts, so the
page never holds the token after sign-in. The cookie holds no token either: an opaque session
id (data/storage/web_sessions.py), bound to the token's principal, with an expiry, ended at
sign-out (`DELETE /api/v1/session`) or when the token is revoked; a token put in the cookie
is no session. The cookie is one the page cannot read (HttpOnly), sent only to this site
(SameSite=Strict) and only over a secure connection (Secure; browsers count
http://localhost and 127.0.0.1 as secure). A write authenticated by the cookie must also
carry `X-Requested-With: talent-web`, which a cross-site form cannot set: the second guard
against cross-site requests, besides SameSite.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

COOKIE = "talent_session"
WEB_HEADER = ("x-requested-with", "talent-web")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_PATH = "/api/v1/session"


def bearer_of(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def cookie_session_id(cookie_header: str | None) -> str | None:
    """The session id in the request's cookie, if it carries one."""
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # a malformed Cookie header carries no session
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def request_credential(headers: dict[str, str]) -> tuple[str | None, bool]:
    """(credential, from the cookie?) as authentication reads it: a bearer token in the header
    wins; else the session id in the cookie."""
    bearer = bearer_of(headers.get("authorization"))
    if bearer is not None:
        return bearer, False
    session_id = cookie_session_id(headers.get("cookie"))
    return session_id, session_id is not None


def cross_site_risk(method: str, headers: dict[str, str], *, from_cookie: bool) -> bool:
    """A write authenticated by the cookie alone, without the page's own header."""
    name, value = WEB_HEADER
    return from_cookie and method not in SAFE_METHODS and headers.get(name) != value
