"""Bearer-token authentication and role checks."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.tokens import find_token
from serving.errors import Forbidden, Unauthorized
from serving.settings import Settings


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    subject_external_id: str | None  # the employee this token acts as (None for admin/service)

    def is_self(self, external_id: str) -> bool:
        return self.subject_external_id is not None and self.subject_external_id == external_id

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this action needs one of the roles: {allowed}")


def authenticate(authorization: str | None, settings: Settings, session: Session) -> Principal:
    if not authorization:
        raise Unauthorized("missing 'Authorization: Bearer <token>' header")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("expected 'Authorization: Bearer <token>'")
    if settings.admin_token is not None and hmac.compare_digest(
        token.encode(), settings.admin_token.get_secret_value().encode()
    ):
        return Principal(Role.ADMIN, None)
    row = find_token(session, token)
    if row is None:
        raise Unauthorized("unknown or revoked token")
    return Principal(Role(row.role), row.subject_external_id)
