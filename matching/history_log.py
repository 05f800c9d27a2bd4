"""The logged events the history features read, held in memory and kept current.

A page's history features (features/history.py) and counts (features/store.py) read the events
of its ~200 people and postings: a person's applications, saves, dismissals, declines, ratings,
acceptances and completions, and a posting's applications and its lead's steps. Read from the
database, that was one query of two 200-id IN lists a page (~9 ms on PostgreSQL at 100k people,
with no history at all). Held here, a page asks the database only for the events logged since
the last page, by id: usually none, one primary-key range read.

Freshness is the database's for what is added: every read first takes in the events after the
newest id held. Ids are not committed in their order on PostgreSQL (a transaction that took id
10 may commit after the one that took 11), so an id missing below the newest one read is looked
for again at each read until it appears or `HOLE_PATIENCE` has passed (a rolled-back insert
leaves a hole for good). What is deleted or renamed (an erasure, a retention purge) is seen by
the oversight event each logs: the next read after one (`stale`, in this process; `refresh`'s
poll, from another) reads the whole history again.

Held as columns (ids, person and posting codes, type, time in epoch seconds, rating) and each
side's owner order, ~70 bytes an event; an owner's events are found by binary search in that
order, and the events added since it was last sorted by a scan, until there are enough of them
to sort again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from data.storage.interactions import (
    HISTORY_TYPES,
    OPPORTUNITY_HISTORY,
    PERSON_HISTORY,
    history_through,
    interaction_ids_between,
    interactions_since,
    newest_interaction_id,
    newest_log_rewrite,
)
from features.events import NO_RATING, EventColumns, epoch_seconds

# How long an id missing below the newest one read is looked for (a transaction still open).
HOLE_PATIENCE = 600.0  # seconds
# At most this many missing ids are remembered (the newest), asked for as at most MAX_RANGES
# ranges of ids; at start, the last START_WINDOW ids are checked for ones not committed yet.
MAX_HOLES = 10_000
MAX_RANGES = 32
START_WINDOW = 1_000
# Events added since the last sort that a lookup scans instead of searching.
UNSORTED_LIMIT = 8192


class _Codes:
    """External id <-> a small int, for ids seen in the log."""

    def __init__(self) -> None:
        self.code: dict[str, int] = {}
        self.name: list[str] = []

    def of(self, external_id: str) -> int:
        found = self.code.get(external_id)
        if found is None:
            found = self.code[external_id] = len(self.name)
            self.name.append(external_id)
        return found

    def known(self, external_ids: Iterable[str]) -> np.ndarray:
        codes = [self.code[e] for e in external_ids if e in self.code]
        return np.unique(np.array(codes, dtype=np.int64))


class _Owners:
    """Positions of events by one owner column: sorted up to `sorted_upto`, scanned after."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, np.int64)  # owner codes, sorted
        self.positions = np.zeros(0, np.int64)  # event positions in that order
        self.sorted_upto = 0

    def sort(self, owners: np.ndarray) -> None:
        order = np.argsort(owners, kind="stable")
        self.keys, self.positions = owners[order].astype(np.int64), order.astype(np.int64)
        self.sorted_upto = len(owners)

    def of(self, codes: np.ndarray, owners: np.ndarray) -> np.ndarray:
        """Positions of the events whose owner is one of `codes` (`owners`: the whole column)."""
        lo = np.searchsorted(self.keys, codes, side="left")
        hi = np.searchsorted(self.keys, codes, side="right")
        found = [self.positions[a:b] for a, b in zip(lo, hi, strict=True) if b > a]
        tail = owners[self.sorted_upto :]
        found.append(self.sorted_upto + np.flatnonzero(np.isin(tail, codes)))
        return np.concatenate(found)


class _Log:
    """The held events: growable columns and each side's owner order."""

    def __init__(self, newest: int) -> None:
        self.newest = newest  # every id up to it is held, settled or a hole
        self.holes: dict[int, float] = {}  # missing id -> when it was first missed
        self.people, self.postings = _Codes(), _Codes()
        self.types = {name: code for code, name in enumerate(HISTORY_TYPES)}
        self.type_names = np.array(HISTORY_TYPES, dtype=str)
        self.person_side = np.isin(np.array(HISTORY_TYPES), PERSON_HISTORY)
        self.posting_side = np.isin(np.array(HISTORY_TYPES), OPPORTUNITY_HISTORY)
        self.size = 0
        self.ids = np.zeros(1024, np.int64)
        self.person = np.zeros(1024, np.int64)
        self.posting = np.zeros(1024, np.int64)
        self.type = np.zeros(1024, np.int8)
        self.seconds = np.zeros(1024, np.int64)
        self.rating = np.zeros(1024, np.int16)
        self.by_person, self.by_posting = _Owners(), _Owners()

    def add(self, rows: Sequence[Any]) -> None:
        """Append events (id, employee, opportunity, type, occurred_at, rating) it counts."""
        wanted = [r for r in rows if r[3] in self.types]
        if not wanted:
            return
        end = self.size + len(wanted)
        if end > len(self.ids):
            capacity = max(end, 2 * len(self.ids))
            for name in ("ids", "person", "posting", "type", "seconds", "rating"):
                column = getattr(self, name)
                grown = np.zeros(capacity, column.dtype)
                grown[: self.size] = column[: self.size]
                setattr(self, name, grown)
        span = slice(self.size, end)
        self.ids[span] = [r[0] for r in wanted]
        self.person[span] = [self.people.of(r[1]) for r in wanted]
        self.posting[span] = [self.postings.of(r[2]) for r in wanted]
        self.type[span] = [self.types[r[3]] for r in wanted]
        self.seconds[span] = [epoch_seconds(r[4]) for r in wanted]
        self.rating[span] = [NO_RATING if r[5] is None else r[5] for r in wanted]
        self.size = end
        if end - self.by_person.sorted_upto > max(UNSORTED_LIMIT, end // 4):
            self.by_person.sort(self.person[:end])
            self.by_posting.sort(self.posting[:end])

    def events_of(self, people: Iterable[str], postings: Iterable[str]) -> EventColumns:
        person_codes, posting_codes = self.people.known(people), self.postings.known(postings)
        found = [np.zeros(0, np.int64)]
        if len(person_codes):
            mine = self.by_person.of(person_codes, self.person[: self.size])
            found.append(mine[self.person_side[self.type[mine]]])
        if len(posting_codes):
            theirs = self.by_posting.of(posting_codes, self.posting[: self.size])
            found.append(theirs[self.posting_side[self.type[theirs]]])
        positions = np.unique(np.concatenate(found))
        positions = positions[np.argsort(self.ids[positions], kind="stable")]
        person_codes, person = np.unique(self.person[positions], return_inverse=True)
        posting_codes, posting = np.unique(self.posting[positions], return_inverse=True)
        return EventColumns(
            [self.people.name[c] for c in person_codes.tolist()],
            [self.postings.name[c] for c in posting_codes.tolist()],
            person.astype(np.int64),
            posting.astype(np.int64),
            self.type_names[self.type[positions]],
            self.seconds[positions],
            self.rating[positions].astype(np.int64),
        )

    def give_up(self, now: float) -> None:
        """Forget ids missing for longer than HOLE_PATIENCE."""
        for missing in [i for i, since in self.holes.items() if now - since > HOLE_PATIENCE]:
            del self.holes[missing]

    def take_in(self, rows: Sequence[Any], read_after: int, now: float) -> None:
        """Events read after `read_after` (and any holes asked for), of every type, by id."""
        read = {r[0] for r in rows}
        fresh = [r for r in rows if r[0] > self.newest or self.holes.pop(r[0], None) is not None]
        self.add(fresh)
        top = max(read, default=read_after)
        if top > self.newest:
            start = max(self.newest, top - MAX_HOLES)
            self.holes.update(
                (missing, now) for missing in range(start + 1, top) if missing not in read
            )
            self.newest = top
        if len(self.holes) > MAX_HOLES:
            for missing in sorted(self.holes)[: len(self.holes) - MAX_HOLES]:
                del self.holes[missing]


class HistoryLog:
    """The history features' events, held; `events` is what a page reads."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._log: _Log | None = None
        self._rewrites = 0  # the newest log-rewriting oversight event taken in
        self.stale = False  # set after this process deleted or renamed events
        self._lock = threading.Lock()  # guards the held log
        self._loading = threading.Lock()  # one full read at a time

    def load(self, session: Session) -> None:
        """Read the whole history (at start, and after events were deleted or renamed)."""
        with self._loading:
            self._load(session)

    def _load_if_due(self, session: Session) -> None:
        """Load unless another thread has loaded since this one found it due."""
        with self._loading:
            if self._log is None or self.stale:
                self._load(session)

    def _load(self, session: Session) -> None:
        self.stale = False
        rewrites = newest_log_rewrite(session)
        newest = newest_interaction_id(session)
        log = _Log(newest)
        log.add(history_through(session, newest))
        # Ids taken by transactions still open now: looked for at the next reads.
        stored = set(interaction_ids_between(session, newest - START_WINDOW, newest))
        now = self._clock()
        log.holes = {
            i: now for i in range(max(newest - START_WINDOW, 0) + 1, newest) if i not in stored
        }
        with self._lock:
            self._log, self._rewrites = log, rewrites

    def events(
        self, session: Session, *, people: Iterable[str], opportunities: Iterable[str]
    ) -> EventColumns:
        """The events the history features count for these people (their own) and postings
        (what they received and their leads did), by id, including all logged until now."""
        if self._log is None or self.stale:
            self._load_if_due(session)
        self._advance(session)
        with self._lock:
            assert self._log is not None
            return self._log.events_of(people, opportunities)

    def refresh(self, session: Session) -> None:
        """The freshness poll: read everything again if events were deleted or renamed since,
        else take in what was added."""
        if self._log is None:
            return
        rewritten = newest_log_rewrite(session) > self._rewrites
        # Fewer ids than held: the company's data was cleared and loaded again (`talent demo`).
        cleared = newest_interaction_id(session) < self._log.newest
        if self.stale or rewritten or cleared:
            self.load(session)
        else:
            self._advance(session)

    def _advance(self, session: Session) -> None:
        with self._lock:
            assert self._log is not None
            if self._log.holes:
                self._log.give_up(self._clock())
            after, holes = self._log.newest, _ranges(self._log.holes)
        rows = interactions_since(session, after, also=holes)
        if not rows:
            return
        with self._lock:
            self._log.take_in(rows, after, self._clock())

    @property
    def held(self) -> int:
        """How many events are held (0 before the first read)."""
        return 0 if self._log is None else self._log.size


def _ranges(holes: Iterable[int]) -> list[tuple[int, int]]:
    """Missing ids as inclusive ranges of consecutive ids; the closest merged (reading the ids
    held between them again, which are skipped) until at most MAX_RANGES are left."""
    ranges: list[list[int]] = []
    for i in sorted(holes):
        if ranges and i == ranges[-1][1] + 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    if len(ranges) <= MAX_RANGES:
        return [(lo, hi) for lo, hi in ranges]
    gaps = np.array([b[0] - a[1] for a, b in pairwise(ranges)])
    breaks = set(np.argsort(gaps, kind="stable")[len(gaps) - (MAX_RANGES - 1) :].tolist())
    merged, start = [], ranges[0][0]
    for k in range(len(ranges) - 1):
        if k in breaks:  # one of the widest gaps: the ranges stay apart there
            merged.append((start, ranges[k][1]))
            start = ranges[k + 1][0]
    merged.append((start, ranges[-1][1]))
    return merged
