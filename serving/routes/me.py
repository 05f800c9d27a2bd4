"""Who the caller is (the web page picks its views by it), and the web app's sign-in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from data.schemas import ContractModel
from data.storage.employees import direct_report_count, get_employee
from data.storage.web_sessions import end_session, find_session
from serving.auth import Principal, authenticate_session, authenticate_token, start_session
from serving.deps import CurrentUser, SessionDep, StateDep, vouch
from serving.errors import API_ERRORS, Unauthorized, documented
from serving.schemas import MeOut, SessionOut, SignedOutOut
from serving.session import COOKIE, SESSION_PATH, cookie_session_id, request_credential
from serving.sso.flow import logout_url
from serving.sso.routes import provider_of

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=API_ERRORS)


def _me(session: SessionDep, user: Principal) -> dict[str, Any]:
    body: dict[str, Any] = {
        "role": user.role.value,
        "subject_external_id": user.subject_external_id,
        "scopes": sorted(user.scopes),
    }
    if user.subject_external_id is not None:
        person = get_employee(session, user.subject_external_id)
        if person is not None:
            body["name"] = person.name
        body["direct_reports"] = direct_report_count(session, user.subject_external_id)
    return body


@router.get("/me", response_model=MeOut, response_model_exclude_unset=True)
def me(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return _me(session, user)


class SignIn(ContractModel):
    # Printable ASCII, no spaces: what tokens are made of (and read alike by every regex dialect).
    token: str = Field(min_length=1, max_length=512, pattern=r"^[!-~]+$")


_COOKIE_FLAGS: dict[str, Any] = {
    "path": "/",
    "httponly": True,
    "secure": True,
    "samesite": "strict",
}


@router.post(
    SESSION_PATH.removeprefix("/api/v1"),
    response_model=MeOut,
    response_model_exclude_unset=True,
    responses=documented(400, 415),
)
def sign_in(
    request: Request, response: Response, state: StateDep, session: SessionDep, body: SignIn
) -> dict[str, Any]:
    """Exchange a token for a session (the web app's sign-in): an HTTP-only cookie holding a
    random session id, never the token, that lasts TALENT_SESSION_HOURS at most (no longer
    than the token) and ends at sign-out."""
    user, opened = start_session(body.token, state.settings, session, state.token_secret)
    vouch(request, user)
    lifetime = opened.expires_at - dt.datetime.now(dt.UTC)
    response.set_cookie(
        COOKIE, opened.session_id, max_age=max(1, round(lifetime.total_seconds())), **_COOKIE_FLAGS
    )
    return _me(session, user)


@router.get(
    SESSION_PATH.removeprefix("/api/v1"),
    response_model=SessionOut,
    response_model_exclude_unset=True,
)
def session_state(request: Request, state: StateDep, session: SessionDep) -> dict[str, Any]:
    """Whether this browser is signed in (the page asks before showing the sign-in form); a
    missing or ended session is an answer here, not an error."""
    credential, from_cookie = request_credential({k.lower(): v for k, v in request.headers.items()})
    if credential is None:
        return {"signed_in": False}
    check = authenticate_session if from_cookie else authenticate_token
    try:
        user = check(credential, state.settings, session, state.token_secret)
    except Unauthorized:
        # Counted like a 401 by the request guard: this answer must be no free guessing oracle.
        request.state.auth_failed = True
        return {"signed_in": False}
    vouch(request, user)
    return {"signed_in": True, "me": _me(session, user)}


@router.delete(
    SESSION_PATH.removeprefix("/api/v1"),
    response_model=SignedOutOut,
    response_model_exclude_none=True,
)
def sign_out(
    request: Request, response: Response, state: StateDep, session: SessionDep
) -> dict[str, Any]:
    """Sign out of the web app: the session ends on the server (its cookie is no session from
    now on, wherever a copy of it is) and the browser forgets the cookie. A single sign-on
    session also names the provider's sign-out page to go to, where it offers one."""
    body: dict[str, Any] = {"signed_out": True}
    session_id = cookie_session_id(request.headers.get("cookie"))
    if session_id is not None:
        row = find_session(session, state.token_secret, session_id)
        if row is not None and row.token_digest is None and state.settings.sso_enabled:
            body["end_session_url"] = logout_url(
                state.settings, provider_of(request, state.settings), row.id_token
            )
        end_session(session, state.token_secret, session_id)
    response.delete_cookie(COOKIE, **_COOKIE_FLAGS)
    return body
