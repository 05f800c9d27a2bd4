"""Notifications over HTTP: each person's choices (`/api/v1/me/notifications`), and the
outbox for an admin (what is pending, sent or failed, with attempts and the last error; a
failed message retried)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from data.schemas import ContractModel, Role
from data.storage import notifications as store
from data.storage.employees import get_employee
from data.storage.tables import EmployeeRow, OutboxRow
from serving.auth import Principal
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, Conflict, Forbidden, NotFound, documented
from serving.notifications.preferences import change_preferences, preferences_document
from serving.routes.pagination import MAX_ROW_ID
from serving.timestamps import utc_iso

router = APIRouter(prefix="/api/v1", tags=["notifications"], responses=API_ERRORS)

Channel = Literal["email", "slack", "teams"]
WebhookUrl = Annotated[str, Field(max_length=2000, pattern=r"^[^\s\x00]*$")]


class PreferencesIn(ContractModel):
    channels: list[Channel] = Field(
        max_length=3, description="where messages go: email, slack, teams (empty: nowhere)"
    )
    digest: Literal["off", "daily", "weekly"] = Field(
        description="how often a digest of new matches comes"
    )
    quiet: bool = Field(description="true: send me nothing at all")
    slack_webhook_url: WebhookUrl | None = Field(
        default=None,
        description="your own Slack incoming webhook (left out: kept; null or empty: removed)",
    )
    teams_webhook_url: WebhookUrl | None = Field(
        default=None, description="your own Microsoft Teams incoming webhook, likewise"
    )


class PreferencesOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: list[str]
    digest: str
    quiet: bool
    email: str | None = Field(description="where e-mail goes (the profile's address)")
    email_available: bool = Field(description="whether this company sends e-mail")
    slack_webhook_url: str | None = Field(description="host and last characters only")
    teams_webhook_url: str | None
    updated_at: str | None


def _me(session: Session, user: Principal) -> EmployeeRow:
    if user.subject_external_id is None:
        raise Forbidden("notification choices are a person's: this token acts for nobody")
    employee = get_employee(session, user.subject_external_id)
    if employee is None:
        raise NotFound("your profile is missing")
    return employee


@router.get("/me/notifications", response_model=PreferencesOut, responses=documented(403, 404))
def my_preferences(state: StateDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Your channels, your digest's frequency and whether you are in quiet mode."""
    return preferences_document(session, state.settings, _me(session, user))


@router.put(
    "/me/notifications", response_model=PreferencesOut, responses=documented(400, 403, 404, 415)
)
def set_my_preferences(
    state: StateDep, session: SessionDep, user: CurrentUser, body: PreferencesIn
) -> dict[str, Any]:
    """Choose channels, the digest (off, daily, weekly) and quiet mode (nothing sent)."""
    employee = _me(session, user)
    webhooks = {
        channel: getattr(body, f"{channel}_webhook_url")
        for channel in ("slack", "teams")
        if f"{channel}_webhook_url" in body.model_fields_set
    }
    change_preferences(
        session,
        state.settings,
        employee,
        channels=list(body.channels),
        digest=body.digest,
        quiet=body.quiet,
        webhooks=webhooks,
        development=state.settings.environment == "development",
    )
    return preferences_document(session, state.settings, employee)


# -- the outbox, for an admin --------------------------------------------------------------------


class OutboxItemOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    event: str
    recipient_external_id: str | None = Field(description="null: the company's own channel")
    channel: str
    subject: str
    status: str
    attempts: int
    last_error: str
    created_at: str
    next_attempt_at: str | None
    sent_at: str | None


class OutboxOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    counts: dict[str, int]
    items: list[OutboxItemOut]
    next_before: int | None = Field(description="pass as `before` for the next (older) page")


def _item(row: OutboxRow) -> dict[str, Any]:
    waiting = row.status == "pending"
    return {
        "id": row.id,
        "event": row.event,
        "recipient_external_id": row.recipient_external_id,
        "channel": row.channel,
        "subject": row.subject,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": utc_iso(row.created_at),
        "next_attempt_at": utc_iso(row.next_attempt_at) if waiting else None,
        "sent_at": utc_iso(row.sent_at) if row.sent_at is not None else None,
    }


@router.get("/notifications/outbox", response_model=OutboxOut, responses=documented(403))
def outbox(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[
        Literal["pending", "sending", "sent", "failed", "cancelled"] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> dict[str, Any]:
    """Messages newest first, by status, with their attempts and last error (admins)."""
    user.require(Role.ADMIN)
    rows = store.list_messages(session, status=status, limit=limit, before_id=before)
    return {
        "counts": store.status_counts(session),
        "items": [_item(row) for row in rows],
        "next_before": rows[-1].id if len(rows) == limit else None,
    }


@router.post(
    "/notifications/outbox/{message_id}/retry",
    response_model=OutboxItemOut,
    responses=documented(403, 404, 409),
)
def retry(
    session: SessionDep, user: CurrentUser, message_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
) -> dict[str, Any]:
    """Send a failed message again (its attempts counted afresh), at the worker's next round."""
    user.require(Role.ADMIN)
    row = store.get_message(session, message_id)
    if row is None:
        raise NotFound(f"no message {message_id}")
    if not store.retry_failed(session, message_id, now=dt.datetime.now(dt.UTC)):
        raise Conflict(f"message {message_id} is {row.status}: only a failed one is retried")
    session.refresh(row)
    return _item(row)
