"""Typed FastAPI dependencies: state, one transaction per request, the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from data.importing import SkillResolver
from data.schemas import Role
from serving.auth import Principal, authenticate, authenticate_session
from serving.errors import Forbidden, Unavailable
from serving.session import cross_site_risk, request_credential
from serving.state import ServiceState
from training.live import LiveModel

AFTER_COMMIT = "after_commit"


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """One request, one transaction: commit if the handler returned, roll back if it raised.

    Function scope: the commit happens before the response is sent, so a client never reads a
    success whose commit then failed. Work that must only happen once data is durable (index
    refreshes) is queued with `after_commit` and runs right after the commit.
    """
    session = state.sessions()
    try:
        yield session
        session.commit()
        for callback in session.info.pop(AFTER_COMMIT, []):
            callback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


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


def resolver_for(
    state: ServiceState, user: Principal, *, bulk: bool = False, job: bool = False
) -> SkillResolver:
    """Skill resolution for one request: new custom skills are credited to the caller, and the
    free-text names one request may introduce are capped (higher for an admin's bulk import,
    higher still for one running as a background job: it costs no request its time)."""
    settings = state.settings
    if job:
        cap = settings.max_new_skill_names_job
    else:
        cap = settings.max_new_skill_names_bulk if bulk else settings.max_new_skill_names
    return state.skill_resolver(
        created_by=user.actor, max_new_names=cap, restricted=user.role is not Role.ADMIN
    )


def filed_as(request: Request, request_id: str) -> str:
    """The id the audit log filed a served ranking under becomes the request's id (and its
    X-Request-ID header): a client that reused an id learns the one that counts."""
    request.state.request_id = request_id
    return request_id


def live_model(state: ServiceState, direction: str) -> LiveModel:
    """The ranker serving this direction; 503 (with the reason) when none could be loaded."""
    try:
        return state.rankers.get(direction)
    except KeyError:
        reason = state.rankers.problems.get(direction, "no model loaded")
        raise Unavailable(f"no {direction} ranker is available: {reason}") from None
