"""The single sign-on endpoints. The browser is sent to them (not a script): they answer with
redirects and, when a sign-in is refused, a page saying why (never a JSON error)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from data.storage.web_sessions import end_session
from serving.deps import SessionDep, StateDep
from serving.session import COOKIE, cookie_session_id
from serving.settings import Settings
from serving.sso.flow import (
    RETURN_COOKIE,
    STATE_COOKIE,
    STATE_COOKIE_PATH,
    begin,
    finish,
    return_cookie_value,
    return_to_of,
    safe_return_to,
)
from serving.sso.pages import PAGE_HEADERS, refusal_page
from serving.sso.provider import Provider
from serving.sso.refusals import SsoRefusal

log = logging.getLogger("talent.sso")
router = APIRouter(prefix="/api/v1/sso", tags=["auth"], include_in_schema=False)

# The session cookie as a token sign-in sets it (serving/routes/me.py).
SESSION_COOKIE_FLAGS: dict[str, Any] = {
    "path": "/",
    "httponly": True,
    "secure": True,
    "samesite": "strict",
}
# The state cookie must come back on the provider's redirect, a top-level navigation from
# another site: SameSite=Lax (Strict would withhold it), and only to these endpoints.
STATE_COOKIE_FLAGS: dict[str, Any] = {
    "path": STATE_COOKIE_PATH,
    "httponly": True,
    "secure": True,
    "samesite": "lax",
}


def provider_of(request: Request, settings: Settings) -> Provider:
    """The app's one provider client (its discovery and keys cached), made on first use."""
    provider = getattr(request.app.state, "sso_provider", None)
    if provider is None:
        provider = request.app.state.sso_provider = Provider(settings)
    return provider


@router.get("")
def sso_settings(state: StateDep) -> dict[str, Any]:
    """What the sign-in page offers: single sign-on (and under which name), the token form."""
    settings = state.settings
    return {
        "enabled": settings.sso_enabled,
        "provider_name": settings.sso_provider_name if settings.sso_enabled else None,
        "login_url": f"{router.prefix}/login" if settings.sso_enabled else None,
        "token_form": not (settings.sso_enabled and settings.sso_hide_token_form),
    }


@router.get("/login", response_model=None)
def login(
    request: Request, state: StateDep, session: SessionDep, return_to: str | None = None
) -> Response:
    """Off to the provider, with a new state, nonce and PKCE challenge. `return_to`: the page's
    fragment (`#opportunity=O42`) to come back to; anything else is ignored, not refused (the
    person still signs in, on the app's first page)."""
    settings = state.settings
    try:
        if not settings.sso_enabled:
            raise SsoRefusal("not_configured", "TALENT_SSO_ISSUER is not set")
        started = begin(session, settings, provider_of(request, settings), state.token_secret)
    except SsoRefusal as refusal:
        return _refused(refusal, settings)
    response = RedirectResponse(started.redirect_url, status_code=303, headers=PAGE_HEADERS)
    response.set_cookie(
        STATE_COOKIE, started.state, max_age=started.lifetime_seconds, **STATE_COOKIE_FLAGS
    )
    # Kept beside the state, for as long: a newer sign-in replaces (or clears) an older one's.
    fragment = safe_return_to(return_to)
    if fragment is None:
        if return_to:
            log.info("single sign-on: a return_to that is no in-app fragment was ignored")
        response.delete_cookie(RETURN_COOKIE, **STATE_COOKIE_FLAGS)
    else:
        response.set_cookie(
            RETURN_COOKIE,
            return_cookie_value(fragment),
            max_age=started.lifetime_seconds,
            **STATE_COOKIE_FLAGS,
        )
    return response


@router.get("/callback", response_model=None)
def callback(request: Request, state: StateDep, session: SessionDep) -> Response:
    """Back from the provider: signed in (a session cookie, then the app), or a page saying
    why not. The state is spent either way."""
    settings = state.settings
    params = dict(request.query_params)
    try:
        if not settings.sso_enabled:
            raise SsoRefusal("not_configured", "TALENT_SSO_ISSUER is not set")
        finished = finish(
            session,
            settings,
            provider_of(request, settings),
            state.token_secret,
            params=params,
            browser_state=request.cookies.get(STATE_COOKIE),
        )
    except SsoRefusal as refusal:
        response: Response = _refused(refusal, settings)
    else:
        # A session this browser held before (another person, or the same) ends here: one
        # browser, one sign-in.
        previous = cookie_session_id(request.headers.get("cookie"))
        if previous is not None:
            end_session(session, state.token_secret, previous)
        person = finished.person
        log.info(
            "signed in by single sign-on: employee %s as %s%s",
            person.external_id,
            person.role.value,
            "".join(f" +{scope}" for scope in person.scopes),
        )
        fragment = return_to_of(request.cookies.get(RETURN_COOKIE)) or ""
        response = RedirectResponse("/" + fragment, status_code=303, headers=PAGE_HEADERS)
        response.set_cookie(
            COOKIE,
            finished.opened.session_id,
            max_age=max(1, round(settings.session_hours * 3600)),
            **SESSION_COOKIE_FLAGS,
        )
    response.delete_cookie(STATE_COOKIE, **STATE_COOKIE_FLAGS)
    response.delete_cookie(RETURN_COOKIE, **STATE_COOKIE_FLAGS)
    return response


def _refused(refusal: SsoRefusal, settings: Settings) -> HTMLResponse:
    # The detail names what failed, never a token, code or claim value.
    log.warning("single sign-on refused (%s): %s", refusal.kind, refusal.detail)
    return refusal_page(refusal, provider_name=settings.sso_provider_name)
