"""A company's past in the interaction log: the events already there for the people an import
names (so a second import of the same history writes nothing) and the insert of new ones.

Imported rows carry their origin in `details` ({"source": "import", "file": <digest>, "row":
n}), a column the audit seal covers (data/storage/audit.py), so the marker cannot be changed
or dropped unnoticed; they are sealed like every other interaction, after their commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from data.storage.audit import mark_sealable
from data.storage.queries import rows_in
from data.storage.tables import InteractionRow

IMPORT_SOURCE = "import"


def is_imported(details: Any) -> bool:
    """Whether a stored row came from a history import (its `details` say so)."""
    return isinstance(details, dict) and details.get("source") == IMPORT_SOURCE


@dataclass(frozen=True, slots=True)
class StoredEvent:
    rating: int | None
    imported: bool


# (employee, opportunity, type, UTC day): what makes two history events the same one.
EventKey = tuple[str, str, str, dt.date]


def utc_day(value: dt.datetime) -> dt.date:
    """The UTC day of a stored time (SQLite hands back naive UTC)."""
    if value.tzinfo is None:
        return value.date()
    return value.astimezone(dt.UTC).date()


def stored_events(
    session: Session, *, people: Sequence[str], types: Sequence[str]
) -> dict[EventKey, StoredEvent]:
    """The logged events of these types for these people, by natural key (live or imported)."""
    query = select(
        InteractionRow.employee_external_id,
        InteractionRow.opportunity_external_id,
        InteractionRow.type,
        InteractionRow.occurred_at,
        InteractionRow.rating,
        InteractionRow.details,
    ).where(InteractionRow.type.in_(list(types)))
    found: dict[EventKey, StoredEvent] = {}
    for person, posting, kind, at, rating, details in rows_in(
        session, query, InteractionRow.employee_external_id, people
    ):
        key = (person, posting, kind, utc_day(at))
        found.setdefault(key, StoredEvent(rating, is_imported(details)))
    return found


def add_imported_events(
    session: Session, events: Sequence[dict[str, Any]], *, batch: int = 5000
) -> int:
    """Append history events (employee_external_id, opportunity_external_id, type, rating,
    occurred_at, details): no list was served, so no request id and no position."""
    for start in range(0, len(events), batch):
        session.execute(
            insert(InteractionRow),
            [
                {**event, "request_id": None, "position": None}
                for event in events[start : start + batch]
            ],
        )
    if events:
        mark_sealable(session)  # a bulk insert passes no ORM event: say so by hand
    return len(events)


def known_ids(session: Session, table: type, external_ids: set[str]) -> set[str]:
    """Which of these external ids `table` (people or postings) holds."""
    column = table.external_id  # type: ignore[attr-defined]  # as in queries.rows_by_external_id
    return {row[0] for row in rows_in(session, select(column), column, sorted(external_ids))}
