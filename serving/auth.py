"""Bearer-token authentication and role checks."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.tokens import SCOPES, find_token, token_state
from serving.errors import Forbidden, Unauthorized
from serving.settings import Settings


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    subject_external_id: str | None  # the employee this token acts as (None for admin/service)
    scopes: frozenset[str] = frozenset()
    token_id: str | None = None  # None: the bootstrap admin token from settings

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


def authenticate(
    authorization: str | None, settings: Settings, session: Session, secret: bytes
) -> Principal:
    if not authorization:
        raise Unauthorized("missing 'Authorization: Bearer <token>' header")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("expected 'Authorization: Bearer <token>'")
    if settings.admin_token is not None and hmac.compare_digest(
        token.encode(), settings.admin_token.get_secret_value().encode()
    ):
        return Principal(Role.ADMIN, None, frozenset(SCOPES))
    row = find_token(session, secret, token)
    if row is None:
        raise Unauthorized("unknown token")
    state = token_state(row)
    if state != "active":
        raise Unauthorized(f"this token is {state}; ask an admin for a new one")
    return Principal(Role(row.role), row.subject_external_id, frozenset(row.scopes), row.token_id)
