"""The read models of a logged interaction event that features and training consume.

Events reach features and training in several shapes: `InteractionIn` (the API contract, the
demo history), `InteractionRow` (stored), column rows from `data/storage/interactions.
history_events`, and `ServedImpression` (an audit record's shown item). They agree on the
fields below, which is all these layers read; the protocols say so, so a checker verifies each
caller instead of every reader taking `object` and silencing the checker.

Members are read-only properties: a frozen dataclass, a pydantic model and an ORM column all
provide them, and a narrower type (`request_id: str`) satisfies a wider one (`str | None`).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class PairAt(Protocol):
    """A person and a posting at a moment: what every logged event and shown item names."""

    @property
    def employee_external_id(self) -> str: ...

    @property
    def opportunity_external_id(self) -> str: ...

    @property
    def occurred_at(self) -> dt.datetime: ...


class Event(PairAt, Protocol):
    """What the history features and the store's counts read (features/history.py, store.py)."""

    @property
    def type(self) -> object:
        """An `InteractionType` or its value: readers take `getattr(type, "value", type)`."""
        ...


class LoggedEvent(Event, Protocol):
    """What labelling reads besides (training/labels.py, training/candidate_lists.py)."""

    @property
    def request_id(self) -> str | None: ...

    @property
    def position(self) -> int | None: ...

    @property
    def rating(self) -> int | None: ...


def event_kind(event: Event) -> str:
    """The event's type as its string value, whether it came as the enum or the string."""
    return str(getattr(event.type, "value", event.type))
