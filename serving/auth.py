"""Authentication (a bearer token, or the web app's server-side session) and role checks."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.employees import get_employee
from data.storage.tables import ApiTokenRow, WebSessionRow
from data.storage.tokens import SCOPES, find_token, token_by_digest, token_digest, token_state
from data.storage.web_sessions import OpenedSession, find_session, open_session
from serving.errors import Forbidden, Unauthorized
from serving.settings import Settings

BOOTSTRAP_ADMIN = "bootstrap-admin"


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    subject_external_id: str | None  # the employee this token acts as (None for admin/service)
    scopes: frozenset[str] = frozenset()
    token_id: str | None = None  # None: the bootstrap admin token, or a single sign-on
    single_sign_on: bool = False  # signed in through the identity provider (serving/sso/)

    def is_self(self, external_id: str) -> bool:
        return self.subject_external_id is not None and self.subject_external_id == external_id

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this action needs one of the roles: {allowed}")

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(
                f"this needs a token with the '{scope}' permission "
                f"(talent token create --scope {scope})"
            )

    @property
    def actor(self) -> str:
        """Who to name in logs: the person, else the token, else the role."""
        return self.subject_external_id or self.token_id or self.role.value

    @property
    def token_key(self) -> str:
        """The token behind this caller, however presented (header or any of its sessions):
        what its requests are counted under. A single sign-on has no token: its person."""
        if self.single_sign_on:
            return f"sso:{self.subject_external_id}"
        return self.token_id or BOOTSTRAP_ADMIN


def authenticate(
    authorization: str | None, settings: Settings, session: Session, secret: bytes
) -> Principal:
    """The caller of an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise Unauthorized("missing 'Authorization: Bearer <token>' header")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("expected 'Authorization: Bearer <token>'")
    return authenticate_token(token, settings, session, secret)


def authenticate_token(
    token: str, settings: Settings, session: Session, secret: bytes
) -> Principal:
    if _is_bootstrap_admin(token_digest(secret, token), settings, secret):
        return Principal(Role.ADMIN, None, frozenset(SCOPES))
    row = find_token(session, secret, token)
    if row is None:
        raise Unauthorized("unknown token")
    _refuse_demo(row, settings)
    state = token_state(row)
    if state != "active":
        raise Unauthorized(f"this token is {state}; ask an admin for a new one")
    return Principal(Role(row.role), row.subject_external_id, frozenset(row.scopes), row.token_id)


def authenticate_session(
    session_id: str, settings: Settings, session: Session, secret: bytes
) -> Principal:
    """The caller of a web session cookie: the session must be live, and the token it was
    opened with still active (its role and permissions are read now, not at sign-in). A bearer
    token put in the cookie is no session."""
    row = find_session(session, secret, session_id)
    if row is None:
        raise Unauthorized("not signed in, or the session has ended; sign in again")
    if row.token_digest is None:
        return _single_sign_on(session, row)
    if _is_bootstrap_admin(row.token_digest, settings, secret):
        return Principal(Role.ADMIN, None, frozenset(SCOPES))
    token = token_by_digest(session, row.token_digest)
    if token is not None:
        _refuse_demo(token, settings)
    state = "gone" if token is None else token_state(token)
    if token is None or state != "active":
        raise Unauthorized(f"the token this session was opened with is {state}; sign in again")
    return Principal(
        Role(token.role), token.subject_external_id, frozenset(token.scopes), token.token_id
    )


def _single_sign_on(session: Session, row: WebSessionRow) -> Principal:
    """A single sign-on session: its person must still be a current employee (removed or
    deactivated, their sessions end at once); role and permissions are those their groups gave
    at sign-in."""
    employee = get_employee(session, row.subject_external_id or "")
    if employee is None or not employee.active or row.role is None:
        raise Unauthorized("the person this session signed in as is not active now; sign in again")
    return Principal(
        Role(row.role), employee.external_id, frozenset(row.scopes or ()), single_sign_on=True
    )


def start_session(
    token: str, settings: Settings, session: Session, secret: bytes
) -> tuple[Principal, OpenedSession]:
    """Sign in with a token: a new session bound to it, lasting `session_hours` but never past
    the token's own expiry."""
    user = authenticate_token(token, settings, session, secret)
    digest = token_digest(secret, token)
    ends = dt.datetime.now(dt.UTC) + dt.timedelta(hours=settings.session_hours)
    row = token_by_digest(session, digest)
    if row is not None and row.expires_at is not None:
        ends = min(ends, _aware(row.expires_at))
    return user, open_session(session, secret=secret, token_digest=digest, expires_at=ends)


def verified_token_key(
    credential: str, *, from_cookie: bool, settings: Settings, session: Session, secret: bytes
) -> str | None:
    """The token key of a valid credential (a token, or a session id from the cookie); None
    for one that does not authenticate. The request guard asks this before refusing a
    credential from a client that has failed too often: a valid one is never refused."""
    check = authenticate_session if from_cookie else authenticate_token
    try:
        return check(credential, settings, session, secret).token_key
    except Unauthorized:
        return None


def _refuse_demo(row: ApiTokenRow, settings: Settings) -> None:
    """The demo's tokens have documented texts: a production instance opens for none of them,
    even on a state that began as the demo."""
    if row.demo and settings.environment == "production":
        raise Unauthorized(
            "demo tokens are refused in production; ask an admin for a token (talent token create)"
        )


def _is_bootstrap_admin(digest: str, settings: Settings, secret: bytes) -> bool:
    if settings.admin_token is None:
        return False
    admin = token_digest(secret, settings.admin_token.get_secret_value())
    return hmac.compare_digest(digest, admin)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
