"""Who the caller is (the web page picks its views by it), and the web app's sign-in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from data.schemas import ContractModel
from data.storage.employees import direct_report_count, get_employee
from serving.auth import Principal, authenticate
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, Unauthorized, documented
from serving.schemas import MeOut, SessionOut, SignedOutOut
from serving.session import COOKIE, SESSION_PATH, request_token

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


@router.post(
    "/session",
    response_model=MeOut,
    response_model_exclude_unset=True,
    responses=documented(400, 415),
)
def sign_in(
    request: Request, response: Response, state: StateDep, session: SessionDep, body: SignIn
) -> dict[str, Any]:
    """Exchange a token for an HTTP-only session cookie (the web app's sign-in)."""
    user = authenticate(f"Bearer {body.token}", state.settings, session, state.token_secret)
    response.set_cookie(
        COOKIE,
        body.token,
        httponly=True,
        secure=True,
        samesite="strict",
        path="/",
        max_age=12 * 3600,
    )
    return _me(session, user)


@router.get("/session", response_model=SessionOut, response_model_exclude_unset=True)
def session_state(request: Request, state: StateDep, session: SessionDep) -> dict[str, Any]:
    """Whether this browser is signed in (the page asks before showing the sign-in form); a
    missing or stale cookie is an answer here, not an error."""
    token, _ = request_token({k.lower(): v for k, v in request.headers.items()})
    if token is None:
        return {"signed_in": False}
    try:
        user = authenticate(f"Bearer {token}", state.settings, session, state.token_secret)
    except Unauthorized:
        return {"signed_in": False}
    return {"signed_in": True, "me": _me(session, user)}


@router.post(f"{SESSION_PATH.removeprefix('/api/v1')}/end", response_model=SignedOutOut)
def sign_out(response: Response) -> dict[str, bool]:
    """Forget the session cookie (signing out of the web app)."""
    response.delete_cookie(COOKIE, path="/", httponly=True, secure=True, samesite="strict")
    return {"signed_out": True}
