"""The web app's sign-in sessions: an opaque random id in the browser's cookie, its keyed digest
here (like tokens: a copy of the database cannot be replayed as cookies), with an expiry. A
token sign-in is bound to the token: revoking it ends every session opened with it (the
session's principal is read from the token's row on each use). A single sign-on carries its
principal (employee, role, permissions from the provider's groups at sign-in) and the ID token.
Signing out deletes the row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from data.storage.queries import affected_rows
from data.storage.tables import WebSessionRow

# A domain tag in the digest: a session id and a token with the same text never share one.
_TAG = b"web-session\x00"


@dataclass(frozen=True, slots=True)
class OpenedSession:
    session_id: str  # the clear text: goes into the cookie, never stored
    expires_at: dt.datetime


def session_digest(secret: bytes, session_id: str) -> str:
    return hmac.new(secret, _TAG + session_id.encode(), hashlib.sha256).hexdigest()


def open_session(
    session: Session, *, secret: bytes, token_digest: str, expires_at: dt.datetime
) -> OpenedSession:
    """A new session for the token whose keyed digest is `token_digest`, until `expires_at`."""
    return _open(session, secret, expires_at, token_digest=token_digest)


def open_sso_session(
    session: Session,
    *,
    secret: bytes,
    subject_external_id: str,
    role: str,
    scopes: list[str],
    id_token: str,
    expires_at: dt.datetime,
) -> OpenedSession:
    """A new session for a person signed in by single sign-on, until `expires_at`."""
    return _open(
        session,
        secret,
        expires_at,
        token_digest=None,
        subject_external_id=subject_external_id,
        role=role,
        scopes=sorted(scopes),
        id_token=id_token,
    )


def _open(
    session: Session, secret: bytes, expires_at: dt.datetime, **principal: Any
) -> OpenedSession:
    """Ended sessions are swept here, so the table holds only live ones (and those that ended
    since the last sign-in)."""
    now = dt.datetime.now(dt.UTC)
    session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
    session_id = secrets.token_urlsafe(32)
    session.add(
        WebSessionRow(
            digest=session_digest(secret, session_id),
            created_at=now,
            expires_at=expires_at,
            **principal,
        )
    )
    session.flush()
    return OpenedSession(session_id, expires_at)


def find_session(
    session: Session, secret: bytes, session_id: str, now: dt.datetime | None = None
) -> WebSessionRow | None:
    """The live session of this id (None if unknown, ended or expired)."""
    row = session.get(WebSessionRow, session_digest(secret, session_id))
    if row is None or _aware(row.expires_at) <= (now or dt.datetime.now(dt.UTC)):
        return None
    return row


def end_session(session: Session, secret: bytes, session_id: str) -> bool:
    """Sign out: the id stops being a session at once. False if it was none."""
    ended = session.execute(
        delete(WebSessionRow).where(WebSessionRow.digest == session_digest(secret, session_id))
    )
    session.flush()
    return bool(affected_rows(ended))


def end_sessions_of(session: Session, token_digest: str) -> int:
    """End every session opened with one token (when it is revoked)."""
    ended = session.execute(delete(WebSessionRow).where(WebSessionRow.token_digest == token_digest))
    session.flush()
    return affected_rows(ended)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
