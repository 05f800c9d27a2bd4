"""A person's notification preferences: read them (with what this company can deliver), and
change them with each field checked, the refusal naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from data.storage import notifications as store
from data.storage.tables import EmployeeRow, NotificationPreferenceRow
from serving.errors import InvalidField
from serving.notifications.outbox import CHANNELS, DEFAULT_CHANNELS
from serving.notifications.settings import NotificationSettings, webhook_url_problem
from serving.timestamps import utc_iso

WEBHOOK_FIELDS = {"slack": "slack_webhook_url", "teams": "teams_webhook_url"}
CHANNEL_NAMES = {"email": "E-mail", "slack": "Slack", "teams": "Microsoft Teams"}


def preferences_document(
    session: Session, settings: NotificationSettings, employee: EmployeeRow
) -> dict[str, Any]:
    prefs = store.get_preferences(session, employee.external_id)
    return {
        "channels": list(prefs.channels) if prefs is not None else list(DEFAULT_CHANNELS),
        "digest": prefs.digest if prefs is not None else store.DEFAULT_DIGEST,
        "quiet": bool(prefs.quiet) if prefs is not None else False,
        "email": employee.email,
        "email_available": settings.email_enabled,
        "slack_webhook_url": _hint(prefs.slack_webhook_url if prefs else None),
        "teams_webhook_url": _hint(prefs.teams_webhook_url if prefs else None),
        "updated_at": utc_iso(prefs.updated_at) if prefs is not None else None,
    }


def _hint(url: str | None) -> str | None:
    """A webhook URL is a secret (whoever has it posts as the integration): shown by its host
    and last four characters only."""
    if not url:
        return None
    host = url.split("/")[2] if url.count("/") >= 2 else ""
    return f"https://{host}/…{url[-4:]}"


def change_preferences(
    session: Session,
    settings: NotificationSettings,
    employee: EmployeeRow,
    *,
    channels: list[str],
    digest: str,
    quiet: bool,
    webhooks: dict[str, str | None],
    development: bool,
) -> NotificationPreferenceRow:
    """`webhooks`: channel -> new URL (None or "" removes it); channels absent keep theirs."""
    if len(set(channels)) != len(channels):
        raise InvalidField("channels", "each channel at most once")
    stored = store.get_preferences(session, employee.external_id)
    values: dict[str, Any] = {"channels": [c for c in CHANNELS if c in channels]}
    for channel, url in webhooks.items():
        field = WEBHOOK_FIELDS[channel]
        if url:
            problem = webhook_url_problem(
                url, settings.notify_webhook_hosts, development=development
            )
            if problem:
                raise InvalidField(field, problem)
        values[field] = url or None
    for channel in channels:
        if channel == "email":
            if not settings.email_enabled:
                raise InvalidField(
                    "channels",
                    "e-mail is not set up here (the administrator sets TALENT_SMTP_HOST)",
                )
            if not employee.email:
                raise InvalidField("channels", "your profile has no e-mail address for e-mail")
            continue
        field = WEBHOOK_FIELDS[channel]
        url = values[field] if field in values else getattr(stored, field, None)
        if not url:
            raise InvalidField(
                "channels", f"{CHANNEL_NAMES[channel]} needs your incoming webhook: give {field}"
            )
    if stored is not None and stored.digest not in store.DIGEST_PERIOD:
        # Turned back on: a schedule of its own starts at the worker's next round (the first
        # digest one period later), not one due at once since the last digest months ago.
        values["last_digest_at"] = None
    return store.save_preferences(
        session,
        employee.external_id,
        now=dt.datetime.now(dt.UTC),
        digest=digest,
        quiet=quiet,
        **values,
    )
