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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


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


def epoch_seconds(value: dt.datetime) -> int:
    """Whole seconds since the epoch; a naive time is UTC (what SQLite hands back)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp())


NO_RATING = -1


@dataclass(frozen=True, slots=True)
class EventColumns:
    """Events as columns, in the log's order: who (codes into `people`), on what (codes into
    `postings`), the type, when (whole epoch seconds, all the features read) and the rating
    (NO_RATING: none). What the history features and the store's counts take: the engine holds
    its events this way (matching/history_log.py), and `of` turns any events into it."""

    people: Sequence[str]
    postings: Sequence[str]
    person: np.ndarray  # int64 per event
    posting: np.ndarray  # int64 per event
    kind: np.ndarray  # str per event
    at: np.ndarray  # int64 per event
    rating: np.ndarray  # int64 per event

    @classmethod
    def of(cls, events: Iterable[Event]) -> EventColumns:
        people: dict[str, int] = {}
        postings: dict[str, int] = {}
        person, posting, kind, at, rating = [], [], [], [], []
        for event in events:
            person.append(people.setdefault(event.employee_external_id, len(people)))
            posting.append(postings.setdefault(event.opportunity_external_id, len(postings)))
            kind.append(event_kind(event))
            at.append(epoch_seconds(event.occurred_at))
            given = getattr(event, "rating", None)
            rating.append(NO_RATING if given is None else given)
        return cls(
            list(people),
            list(postings),
            np.array(person, dtype=np.int64),
            np.array(posting, dtype=np.int64),
            np.array(kind, dtype=str),
            np.array(at, dtype=np.int64),
            np.array(rating, dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.person)

    def person_ids(self) -> set[str]:
        """The people the events name."""
        return {self.people[i] for i in np.unique(self.person).tolist()}

    def posting_ids(self) -> set[str]:
        return {self.postings[i] for i in np.unique(self.posting).tolist()}

    def rows(self) -> Iterator[tuple[str, str, str, int, int | None]]:
        """(employee, opportunity, type, epoch second, rating) per event, to compare."""
        for p, o, k, t, r in zip(
            self.person.tolist(),
            self.posting.tolist(),
            self.kind.tolist(),
            self.at.tolist(),
            self.rating.tolist(),
            strict=True,
        ):
            yield self.people[p], self.postings[o], k, t, None if r == NO_RATING else r

    def mapped(
        self, people: Mapping[str, int], postings: Mapping[str, int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each event's person and posting as indices of these maps (-1: not in them)."""
        person_at = np.array([people.get(p, -1) for p in self.people], dtype=np.int64)
        posting_at = np.array([postings.get(o, -1) for o in self.postings], dtype=np.int64)
        return person_at[self.person], posting_at[self.posting]
