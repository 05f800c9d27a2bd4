"""API tokens: issued once, stored as a keyed digest, with an id, an expiry and a revocation.

The digest is HMAC-SHA256 under a server secret kept outside the database, so a copy of the
database alone cannot be used to test guesses (the demo's tokens are guessable strings). Each
token also has a short public id: `talent token list` shows it and `talent token revoke` takes
it, so nobody needs the token itself to withdraw it. Rows written before keyed digests (plain
SHA-256) still authenticate once and are re-keyed on that use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.tables import ApiTokenRow
from data.storage.web_sessions import end_sessions_of

KEYED, LEGACY = "hmac", "sha256"
SCOPES = ("auditor",)  # auditor: may read served rankings item by item (each read is logged)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # the clear text: shown once, never stored
    token_id: str
    expires_at: dt.datetime


def token_digest(secret: bytes, token: str) -> str:
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def issue_token(
    session: Session,
    *,
    secret: bytes,
    role: Role,
    subject_external_id: str | None,
    label: str = "",
    token: str | None = None,
    scopes: Sequence[str] = (),
    lifetime: dt.timedelta = dt.timedelta(days=90),
    demo: bool = False,
) -> IssuedToken:
    """Store a token for a role (and the person it acts as). `token` fixes its text (the demo's
    documented tokens); re-issuing the same text replaces the old row."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s) {unknown}; known: {list(SCOPES)}")
    token = token or secrets.token_urlsafe(24)
    digest = token_digest(secret, token)
    now = dt.datetime.now(dt.UTC)
    row = session.get(ApiTokenRow, digest)
    if row is None:
        row = ApiTokenRow(digest=digest, token_id=secrets.token_hex(6))
        session.add(row)
    row.scheme = KEYED
    row.role, row.subject_external_id, row.label = role.value, subject_external_id, label
    row.scopes = sorted(set(scopes))
    row.demo = demo  # production refuses it (serving/auth.py)
    row.created_at, row.expires_at, row.revoked_at = now, now + lifetime, None
    session.flush()
    return IssuedToken(token, row.token_id, row.expires_at)


def find_token(session: Session, secret: bytes, token: str) -> ApiTokenRow | None:
    """The stored row of a token, whatever its state (the caller checks expiry/revocation)."""
    row = session.get(ApiTokenRow, token_digest(secret, token))
    if row is not None:
        return row
    legacy = session.scalar(
        select(ApiTokenRow).where(
            ApiTokenRow.digest == hashlib.sha256(token.encode()).hexdigest(),
            ApiTokenRow.scheme == LEGACY,
        )
    )
    if legacy is not None:  # re-key it now that the clear text is at hand
        legacy.digest, legacy.scheme = token_digest(secret, token), KEYED
        session.flush()
    return legacy


def token_by_digest(session: Session, digest: str) -> ApiTokenRow | None:
    """The row a web session was opened with (it keeps the token's keyed digest)."""
    return session.get(ApiTokenRow, digest)


def token_state(row: ApiTokenRow, now: dt.datetime | None = None) -> str:
    """'active', 'revoked' or 'expired'."""
    now = now or dt.datetime.now(dt.UTC)
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        return "expired"
    return "active"


def revoke_token(session: Session, token_id: str) -> ApiTokenRow | None:
    """Withdraw a token, and end the web sessions signed in with it (they would fail their next
    check anyway: this removes them now)."""
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_id == token_id))
    if row is not None and row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        end_sessions_of(session, row.digest)
        session.flush()
    return row


def token_by_id(session: Session, token_id: str) -> ApiTokenRow | None:
    return session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_id == token_id))


def list_tokens(session: Session) -> list[ApiTokenRow]:
    return list(session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.created_at)))


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
