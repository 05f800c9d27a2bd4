"""The logged events the history features read, held in memory and kept current.

A page's history features (features/history.py) and counts (features/store.py) read the events
of its ~200 people and postings: a person's applications, saves, dismissals, declines, ratings,
acceptances and completions, and a posting's applications and its lead's steps. Read from the
database, that was one query of two 200-id IN lists a page (~9 ms on PostgreSQL at 100k people,
with no history at all). Held here, a page asks the database only for the events logged since
the last page, by id: usually none, one primary-key range read.

Freshness is the database's for what is added: every read first takes in the events after the
newest id held. Ids are not committed in their order on PostgreSQL (a transaction that took id
10 may commit after the one that took 11, and a large import's ids may wait minutes), so an id
missing below the newest one read is looked for again at each read until it appears or
`HOLE_PATIENCE` has passed (a rolled-back insert leaves a hole for good); the whole history is
read in one snapshot with the ids missing at that moment. What is deleted or renamed is read
again whole: in this process after its own erasure or purge (`mark_stale`), and by `refresh`
(the freshness poll) when the log's marks moved: an oversight event of an erasure or a purge
(counted, not only the newest: they too commit out of order), the oldest id (a purge deletes
the oldest events before it logs itself) or a newest id below the one held (a reset).

Held as columns (ids, person and posting codes, type, time in epoch seconds, rating) and each
side's owner order, ~70 bytes an event; an owner's events are found by binary search in that
order, and the events added since it was last sorted by a scan, until there are enough of them
to sort again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data.storage.engine import read_snapshot
from data.storage.interactions import (
    HISTORY_TYPES,
    OPPORTUNITY_HISTORY,
    PERSON_HISTORY,
    LogMarks,
    history_through,
    interaction_ids_between,
    interactions_since,
    log_marks,
)
from features.events import NO_RATING, EventColumns, epoch_seconds

# How long an id missing below the newest one read is looked for (a transaction still open).
HOLE_PATIENCE = 600.0  # seconds
# Missing ids are asked for as at most MAX_RANGES ranges of ids; at start, the last
# START_WINDOW ids are checked for ones not committed yet.
MAX_RANGES = 32
START_WINDOW = 1_000
# At most this many missing ids are remembered, the newest (16 bytes each): a jump of more
# (a sequence restarted far ahead) is not a transaction's.
MAX_HOLES = 1_000_000
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


class _Holes:
    """Ids missing below the newest one read, oldest first, each with when it was first
    missed: a transaction that took the id may still commit (a large import's are many)."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, np.int64)  # ascending
        self.since = np.zeros(0, np.float64)  # non-decreasing along ids

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, missing: np.ndarray, now: float) -> None:
        """Ids above every one held here."""
        self.ids = np.concatenate([self.ids, missing])
        self.since = np.concatenate([self.since, np.full(len(missing), now)])

    def fill(self, found: np.ndarray) -> np.ndarray:
        """Which of `found` (ids read again) were missing: they are missing no more."""
        filled = np.isin(found, self.ids)
        if filled.any():
            keep = ~np.isin(self.ids, found[filled])
            self.ids, self.since = self.ids[keep], self.since[keep]
        return filled

    def give_up(self, now: float) -> None:
        """Forget ids missing for longer than HOLE_PATIENCE."""
        expired = int(np.searchsorted(self.since, now - HOLE_PATIENCE, side="left"))
        if expired:
            self.ids, self.since = self.ids[expired:], self.since[expired:]

    def ranges(self) -> list[tuple[int, int]]:
        """The missing ids as inclusive ranges of consecutive ids, the closest merged (the
        ids held between them read again, and skipped) until at most MAX_RANGES are left."""
        if not len(self.ids):
            return []
        breaks = np.flatnonzero(np.diff(self.ids) > 1)
        if len(breaks) >= MAX_RANGES:  # keep the widest gaps apart
            gaps = np.diff(self.ids)[breaks]
            breaks = np.sort(
                breaks[np.argsort(gaps, kind="stable")[len(breaks) - MAX_RANGES + 1 :]]
            )
        starts = np.concatenate([[0], breaks + 1])
        ends = np.concatenate([breaks, [len(self.ids) - 1]])
        return list(zip(self.ids[starts].tolist(), self.ids[ends].tolist(), strict=True))


class _Log:
    """The held events: growable columns and each side's owner order, and the ids below the
    newest one read that are still missing."""

    def __init__(self, newest: int) -> None:
        self.newest = newest  # every id up to it is held, settled or a hole
        self.holes = _Holes()
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

    def take_in(self, rows: Sequence[Any], read_after: int, now: float) -> None:
        """Events read after `read_after` and in the holes asked for, of every type, by id."""
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        fresh = ids > self.newest
        fresh[~fresh] = self.holes.fill(ids[~fresh])
        self.add([r for r, keep in zip(rows, fresh.tolist(), strict=True) if keep])
        top = max(int(ids.max()) if len(ids) else read_after, read_after)
        if top > self.newest:
            between = np.arange(max(self.newest, top - MAX_HOLES) + 1, top, dtype=np.int64)
            self.holes.add(between[~np.isin(between, ids)], now)
            self.newest = top


class HistoryLog:
    """The history features' events, held; `events` is what a page reads."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._log: _Log | None = None
        self._marks: LogMarks | None = None  # the log's marks when it was read
        # Full reads asked for (`mark_stale`) and the last one done: a read asked for while
        # another runs is done again after it.
        self._asked = self._done = 0
        self._lock = threading.Lock()  # guards the held log
        self._loading = threading.Lock()  # one full read at a time

    @property
    def marks(self) -> LogMarks | None:
        """The log's marks when it was last read whole (None before)."""
        return self._marks

    @property
    def stale(self) -> bool:
        return self._asked > self._done

    def mark_stale(self) -> None:
        """Events were deleted or renamed here: read them all again before the next page."""
        with self._lock:
            self._asked += 1

    def load(self, session: Session) -> None:
        """Read the whole history (at start, and after events were deleted or renamed)."""
        with self._loading:
            self._load(session)

    def _load_if_due(self, session: Session, *, force: bool = False) -> None:
        """Load unless another thread has loaded since this one found it due."""
        with self._loading:
            if force or self._log is None or self.stale:
                self._load(session)

    def _load(self, session: Session) -> None:
        asked = self._asked
        # One snapshot for the marks, the events and the ids missing among the newest: read
        # one by one, an id committed between two reads would be neither held nor missed.
        bind = session.get_bind()
        snapshot_of = read_snapshot(bind) if isinstance(bind, Engine) else nullcontext(session)
        with snapshot_of as snapshot:
            marks = log_marks(snapshot)
            log = _Log(marks.newest)
            log.add(history_through(snapshot, marks.newest))
            low = max(marks.newest - START_WINDOW, 0)
            stored = interaction_ids_between(snapshot, low, marks.newest)
        # Ids taken by transactions still open then: looked for at the next reads.
        between = np.arange(low + 1, marks.newest, dtype=np.int64)
        log.holes.add(between[~np.isin(between, stored)], self._clock())
        with self._lock:
            self._log, self._marks = log, marks
            self._done = max(self._done, asked)

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
        """The freshness poll: read everything again if events were deleted or renamed since
        (here or by another process), else take in what was added."""
        if self._log is None or self._marks is None:
            return
        marks, held = log_marks(session), self._marks
        rewritten = (marks.rewrites, marks.newest_rewrite) != (held.rewrites, held.newest_rewrite)
        # The oldest events purged (the oversight event follows in a transaction of its own),
        # or the company's data cleared and loaded again (`talent demo`).
        deleted = held.oldest != 0 and marks.oldest != held.oldest
        if self.stale or rewritten or deleted or marks.newest < self._log.newest:
            self._load_if_due(session, force=True)
        else:
            self._advance(session)

    def _advance(self, session: Session) -> None:
        with self._lock:
            log = self._log
            assert log is not None
            log.holes.give_up(self._clock())
            after, holes = log.newest, log.holes.ranges()
        rows = interactions_since(session, after, also=holes)
        if not rows:
            return
        with self._lock:
            if self._log is log:  # else read again meanwhile: the new one reads its own
                log.take_in(rows, after, self._clock())
