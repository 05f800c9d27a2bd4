"""Tokens issued and withdrawn from the admin console, under the same rules as `talent token`:
a person's token (employee, lead, HR) names the person it acts as, the auditor permission is
for HR and admin tokens only, and the secret is returned once. Each issue and revocation is an
oversight event (who, which token, for whom), never with the secret."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.employees import get_employee
from data.storage.tables import ApiTokenRow
from data.storage.tokens import (
    SCOPES,
    issue_token,
    list_tokens,
    revoke_token,
    token_by_id,
    token_state,
)
from fairness.policy import log_event
from serving.auth import Principal
from serving.errors import InvalidField, NotFound
from serving.state import ServiceState
from serving.timestamps import utc_iso

PERSON_ROLES = (Role.EMPLOYEE, Role.LEAD, Role.HR)
AUDITOR_ROLES = (Role.HR, Role.ADMIN)


def create_token(
    state: ServiceState,
    session: Session,
    user: Principal,
    *,
    role: Role,
    subject: str | None,
    label: str,
    scopes: list[str],
    days: int | None,
) -> dict[str, Any]:
    if role in PERSON_ROLES and not subject:
        # A person's token acts as that person: what it does is logged under their name.
        raise InvalidField("subject", "employee, lead and HR tokens need the person it acts as")
    if role is Role.SCIM and subject:
        raise InvalidField("subject", "a provisioning (SCIM) token acts as no person")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidField("scopes", f"unknown permission {unknown[0]!r}; known: {list(SCOPES)}")
    if scopes and role not in AUDITOR_ROLES:
        raise InvalidField("scopes", "the auditor permission is for HR and admin tokens")
    if subject and get_employee(session, subject) is None:
        raise InvalidField("subject", f"no employee {subject!r}")
    issued = issue_token(
        session,
        secret=state.token_secret,
        role=role,
        subject_external_id=subject or None,
        label=label,
        scopes=scopes,
        lifetime=dt.timedelta(days=days or state.settings.token_days),
    )
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="token_issue",
        reason=label,
        details={
            "token_id": issued.token_id,
            "role": role.value,
            "subject": subject or None,
            "scopes": sorted(scopes),
        },
    )
    row = token_by_id(session, issued.token_id)
    assert row is not None  # issued just now, in this transaction
    return {**token_view(row), "token": issued.token}


def tokens_listed(session: Session) -> list[dict[str, Any]]:
    """Every token, newest first, without its secret (only a keyed digest is stored)."""
    return [token_view(row) for row in reversed(list_tokens(session))]


def withdraw_token(session: Session, user: Principal, token_id: str) -> dict[str, Any]:
    row = revoke_token(session, token_id)
    if row is None:
        raise NotFound(f"no token {token_id!r}")
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="token_revoke",
        reason="",
        details={"token_id": token_id, "role": row.role, "subject": row.subject_external_id},
    )
    return token_view(row)


def token_view(row: ApiTokenRow) -> dict[str, Any]:
    return {
        "token_id": row.token_id,
        "role": row.role,
        "subject_external_id": row.subject_external_id,
        "label": row.label,
        "scopes": list(row.scopes or []),
        "created_at": utc_iso(row.created_at),
        "expires_at": utc_iso(row.expires_at) if row.expires_at else None,
        "revoked_at": utc_iso(row.revoked_at) if row.revoked_at else None,
        "state": token_state(row),
        "demo": bool(row.demo),
    }
