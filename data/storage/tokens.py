"""API tokens: issued once, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.tables import ApiTokenRow


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    *,
    role: Role,
    subject_external_id: str | None,
    label: str = "",
    token: str | None = None,
) -> str:
    """Store a token for a role (and the person it acts as); returns the clear-text token."""
    token = token or secrets.token_urlsafe(24)
    digest = token_digest(token)
    row = session.get(ApiTokenRow, digest)
    if row is None:
        session.add(
            ApiTokenRow(
                token_sha256=digest,
                role=role.value,
                subject_external_id=subject_external_id,
                label=label,
            )
        )
    else:
        row.role, row.subject_external_id, row.label = role.value, subject_external_id, label
    session.flush()
    return token


def find_token(session: Session, token: str) -> ApiTokenRow | None:
    return session.scalar(
        select(ApiTokenRow).where(ApiTokenRow.token_sha256 == token_digest(token))
    )
