"""Typed FastAPI dependencies: state, one transaction per request, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from data.schemas import Role
from serving.auth import Principal, authenticate, authenticate_session
from serving.errors import Forbidden
from serving.session import cross_site_risk, request_credential
from serving.state import ServiceState
from serving.unit_of_work import forget_after_commit, run_after_commit


def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service  # Starlette's app.state is untyped
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """One request, one transaction: commit if the handler returned, roll back if it raised.

    Function scope: the commit happens before the response is sent, so a client never reads a
    success whose commit then failed. Work that must only happen once data is durable (index
    refreshes) is queued with `serving.unit_of_work.after_commit` and runs right after it.
    """
    session = state.sessions()
    try:
        yield session
        session.commit()
        run_after_commit(session)
    except BaseException:
        forget_after_commit(session)
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    request: Request,
    state: StateDep,
    session: SessionDep,
    # Documented once as the bearer security scheme (serving/app.py), not as a parameter.
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """The caller, from the bearer header or (the web app) the session cookie."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    credential, from_cookie = request_credential(headers)
    if credential is not None and from_cookie:
        if cross_site_risk(request.method, headers, from_cookie=True):
            raise Forbidden(
                "a write signed in by the session cookie needs the header "
                "'X-Requested-With: talent-web' (the web app sends it)"
            )
        user = authenticate_session(credential, state.settings, session, state.token_secret)
    else:
        user = authenticate(authorization, state.settings, session, state.token_secret)
    if user.role is Role.SCIM:
        raise Forbidden("a provisioning (SCIM) token opens /scim/v2 and nothing else")
    vouch(request, user)
    return user


def vouch(request: Request, user: Principal) -> None:
    """Tell the request guard (serving/middleware.py) that this request's credential is valid
    and whose it is: its requests are counted under the token, and failures of others from
    the same client never hold it back."""
    request.state.token_key = user.token_key


CurrentUser = Annotated[Principal, Depends(get_principal)]


def filed_as(request: Request, request_id: str) -> str:
    """The id the audit log filed a served ranking under becomes the request's id (and its
    X-Request-ID header): a client that reused an id learns the one that counts."""
    request.state.request_id = request_id
    return request_id
