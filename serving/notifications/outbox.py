"""Write notifications to the outbox, inside the transaction of the event that causes them:
the event and its messages commit together or not at all.

One row per recipient and channel, so that a channel that fails is retried alone (the e-mail
already sent is never sent again because Slack was down). Only channels that can deliver are
written: e-mail when the company configured SMTP and the person has an address, Slack or
Teams when the person gave their webhook; a person in quiet mode gets no rows at all.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from data.storage import notifications as store
from data.storage.employees import get_employee
from data.storage.tables import OutboxRow
from serving.notifications.messages import Notice
from serving.notifications.settings import NotificationSettings

CHANNELS = ("email", "slack", "teams")
DEFAULT_CHANNELS = ("email",)


def notify(
    session: Session,
    settings: NotificationSettings,
    recipient_external_id: str | None,
    notice: Notice,
    *,
    now: dt.datetime | None = None,
) -> list[OutboxRow]:
    """Queue `notice` for one person (None: the company's own channels) on each channel they
    chose that can deliver; nothing when they are in quiet mode."""
    now = now or dt.datetime.now(dt.UTC)
    channels = (
        _company_channels(settings)
        if recipient_external_id is None
        else deliverable_channels(session, settings, recipient_external_id)
    )
    rows = [
        OutboxRow(
            event=notice.event,
            recipient_external_id=recipient_external_id,
            channel=channel,
            subject=notice.subject[:300],
            body=notice.text,
            link=notice.link,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            last_error="",
            created_at=now,
        )
        for channel in channels
    ]
    if rows:
        store.add_messages(session, rows)
    return rows


def _company_channels(settings: NotificationSettings) -> list[str]:
    return [
        channel
        for channel, url in (
            ("slack", settings.slack_webhook_url),
            ("teams", settings.teams_webhook_url),
        )
        if url is not None
    ]


def deliverable_channels(
    session: Session, settings: NotificationSettings, external_id: str
) -> list[str]:
    """The channels this person chose that can reach them now (none in quiet mode)."""
    employee = get_employee(session, external_id)
    if employee is None or not store.is_active(employee):
        return []
    prefs = store.get_preferences(session, external_id)
    if prefs is not None and prefs.quiet:
        return []
    chosen = prefs.channels if prefs is not None else DEFAULT_CHANNELS
    deliverable = {
        "email": settings.email_enabled and bool(employee.email),
        "slack": prefs is not None and bool(prefs.slack_webhook_url),
        "teams": prefs is not None and bool(prefs.teams_webhook_url),
    }
    return [channel for channel in CHANNELS if channel in chosen and deliverable[channel]]
