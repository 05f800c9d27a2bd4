"""The web app's sign-in: the token a person types becomes an HTTP-only session cookie.

The API keeps bearer tokens; a browser page cannot keep a secret from its own scripts, so the
page never holds the token after sign-in: the server sets it as a cookie the page cannot read
(HttpOnly), sent only to this site (SameSite=Strict) and only over a secure connection
(Secure; browsers count http://localhost and 127.0.0.1 as secure). A write authenticated by
the cookie must also carry `X-Requested-With: talent-web`, which a cross-site form cannot set:
the second guard against cross-site requests, besides SameSite.
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


def cookie_token(cookie_header: str | None) -> str | None:
    """The session cookie's token, if the request carries one."""
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # a malformed Cookie header carries no session
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def request_token(headers: dict[str, str]) -> tuple[str | None, bool]:
    """(token, from the cookie?) as authentication reads it: the bearer header wins."""
    bearer = bearer_of(headers.get("authorization"))
    if bearer is not None:
        return bearer, False
    cookie = cookie_token(headers.get("cookie"))
    return cookie, cookie is not None


def cross_site_risk(method: str, headers: dict[str, str], *, from_cookie: bool) -> bool:
    """A write authenticated by the cookie alone, without the page's own header."""
    name, value = WEB_HEADER
    return from_cookie and method not in SAFE_METHODS and headers.get(name) != value
