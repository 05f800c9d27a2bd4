"""Who the caller is, and the web app's sign-in session (serving/routes/me.py)."""

from __future__ import annotations

from pydantic import Field

from serving.schemas.base import Out


class MeOut(Out):
    role: str
    subject_external_id: str | None
    name: str | None = Field(default=None, description="the person the token acts as")
    direct_reports: int = Field(
        default=0, description="people who name this person as their manager (approvals)"
    )
    scopes: list[str] = Field(default_factory=list)


class SessionOut(Out):
    signed_in: bool
    me: MeOut | None = None


class SignedOutOut(Out):
    signed_out: bool
    end_session_url: str | None = Field(
        default=None,
        description="A single sign-on session: the identity provider's sign-out to go to next",
    )
