"""Times as the API writes them: ISO 8601 in UTC, with its offset, whichever database stored
them (SQLite keeps no offset)."""

from __future__ import annotations

import datetime as dt


def utc_iso(value: dt.datetime) -> str:
    aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return aware.isoformat()
