"""API tokens, for an admin: issue one (its secret is in this one answer and never again),
list them (never the secret), revoke one. The same rules as `talent token`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from data.schemas import ContractModel, Role
from data.storage.tokens import SCOPES
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, documented
from serving.usecases.tokens import create_token, tokens_listed, withdraw_token

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], responses=API_ERRORS)

TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{1,16}$")]


class TokenIn(ContractModel):
    role: Role
    subject_external_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="the person the token acts as (employee, lead and HR tokens)"
    )
    label: Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")] = Field(
        default="", description="a note for whoever audits tokens (who has it, what for)"
    )
    scopes: list[str] = Field(
        default_factory=list, description=f"extra permissions: {', '.join(SCOPES)}"
    )
    days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        default=None, description="lifetime in days (default TALENT_TOKEN_DAYS)"
    )


class TokenOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token_id: str = Field(description="names the token in lists and revocations")
    role: str
    subject_external_id: str | None
    label: str
    scopes: list[str]
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    state: str = Field(description="active, revoked or expired")
    demo: bool = Field(description="one of the demo's documented tokens")


class IssuedTokenOut(TokenOut):
    token: str = Field(description="the secret: shown in this answer only, never stored")


@router.post(
    "", status_code=201, response_model=IssuedTokenOut, responses=documented(400, 415, 403)
)
def issue(state: StateDep, session: SessionDep, user: CurrentUser, body: TokenIn) -> Any:
    """Issue a token; its secret is in this answer and nowhere else (a keyed digest is kept)."""
    user.require(Role.ADMIN)
    return create_token(
        state,
        session,
        user,
        role=body.role,
        subject=body.subject_external_id,
        label=body.label,
        scopes=body.scopes,
        days=body.days,
    )


@router.get("", response_model=list[TokenOut], responses=documented(403))
def listed(session: SessionDep, user: CurrentUser) -> list[dict[str, Any]]:
    """Every token, newest first: who it is for, its permissions and state; never its secret."""
    user.require(Role.ADMIN)
    return tokens_listed(session)


@router.post("/{token_id}/revoke", response_model=TokenOut, responses=documented(403, 404))
def revoke(session: SessionDep, user: CurrentUser, token_id: TokenId) -> dict[str, Any]:
    """Withdraw a token at once: its requests answer 401, its web sessions end."""
    user.require(Role.ADMIN)
    return withdraw_token(session, user, token_id)


@router.delete("/{token_id}", response_model=TokenOut, responses=documented(403, 404))
def delete(session: SessionDep, user: CurrentUser, token_id: TokenId) -> dict[str, Any]:
    """The same as `POST .../revoke` (the row stays, revoked, for the audit trail)."""
    user.require(Role.ADMIN)
    return withdraw_token(session, user, token_id)
