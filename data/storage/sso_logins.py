"""Single sign-ons under way: each started sign-in's state (as a keyed digest), its nonce and
PKCE verifier, until when it may come back, and whether it did. A state comes back once: the
claim is one conditional UPDATE, so two requests carrying the same state cannot both win, on
SQLite or PostgreSQL, in one process or many."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from data.storage.queries import affected_rows
from data.storage.tables import SsoLoginRow

# A domain tag in the digest: a state never shares one with a token or a session id.
_TAG = b"sso-state\x00"
# Claimed states are kept this long past their expiry, so a replay is told apart from a guess.
_KEEP_USED = dt.timedelta(hours=1)

ClaimOutcome = Literal["claimed", "unknown", "used", "expired"]


@dataclass(frozen=True, slots=True)
class ClaimedLogin:
    outcome: ClaimOutcome
    nonce: str = ""
    code_verifier: str = ""


def state_digest(secret: bytes, state: str) -> str:
    return hmac.new(secret, _TAG + state.encode(), hashlib.sha256).hexdigest()


def start_login(
    session: Session,
    *,
    secret: bytes,
    state: str,
    nonce: str,
    code_verifier: str,
    expires_at: dt.datetime,
) -> None:
    """Remember a sign-in sent to the provider; sweeps those long past."""
    now = dt.datetime.now(dt.UTC)
    session.execute(delete(SsoLoginRow).where(SsoLoginRow.expires_at <= now - _KEEP_USED))
    session.add(
        SsoLoginRow(
            digest=state_digest(secret, state),
            nonce=nonce,
            code_verifier=code_verifier,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()


def claim_login(
    session: Session, *, secret: bytes, state: str, now: dt.datetime | None = None
) -> ClaimedLogin:
    """Take the sign-in this state started, once: later claims are told 'used'."""
    now = now or dt.datetime.now(dt.UTC)
    digest = state_digest(secret, state)
    claimed = session.execute(
        update(SsoLoginRow)
        .where(
            SsoLoginRow.digest == digest,
            SsoLoginRow.used_at.is_(None),
            SsoLoginRow.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    row = session.get(SsoLoginRow, digest, populate_existing=True)
    if row is None:
        return ClaimedLogin("unknown")
    if not affected_rows(claimed):
        return ClaimedLogin("used" if row.used_at is not None else "expired")
    return ClaimedLogin("claimed", row.nonce, row.code_verifier)
