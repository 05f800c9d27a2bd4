"""What readiness probes learn of the audit log, cheaply: whether an append would be refused
(the head file check, fairness/audit_head.py), whether the records and seals added since the
last look verify (fairness/audit_verify.py's checks, at most HEALTH_STEP of each), and what the
last full verification found in the log as it still stands. Cached for a couple of seconds
and never a walk of the whole chain.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from data.storage import audit as stored
from fairness.audit_head import (
    AuditIntegrityError,
    check_head,
    head_stamp,
    read_head_or_refuse,
)
from fairness.audit_sealing import AuditKey
from fairness.audit_verify import (
    LISTED,
    Anchor,
    Verification,
    check_columns,
    check_link,
    name_foreign_keys,
    read_redactions,
)

HEALTH_SECONDS = 2.0  # how long a readiness verdict is reused
HEALTH_STEP = 200  # records (and seals) a readiness check verifies at most, beyond the last


@dataclass(frozen=True, slots=True)
class AuditHealth:
    """What a readiness probe learns of the log (see AuditLog.health)."""

    status: str  # intact | damaged | unverifiable
    problems: tuple[str, ...]
    checked_at: str

    @property
    def damaged(self) -> bool:
        return self.status == "damaged"

    def as_dict(self) -> dict[str, Any]:
        shown = list(self.problems[:LISTED])
        if len(self.problems) > LISTED:
            shown.append(f"and {len(self.problems) - LISTED} more (talent audit verify)")
        return {"status": self.status, "problems": shown, "checked_at": self.checked_at}


class Readiness:
    """One log's readiness verdicts: the cached one, how far the records and seals were
    checked, and the problems found with where the log stood when each was found (an Anchor:
    a problem is forgotten once that no longer holds, e.g. the log was replaced by a rebuilt
    demo)."""

    def __init__(self, key: AuditKey, head_path: Path | None) -> None:
        self.key = key
        self.head_path = head_path
        self._health: tuple[float, Any, AuditHealth] | None = None  # when, head file, verdict
        self._health_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._cursor: Anchor | None = None  # verified up to here (records, seals)
        self._found: list[tuple[Anchor, str]] = []  # problems found, and where the log stood

    def health(
        self,
        session: Session,
        *,
        max_age: float = HEALTH_SECONDS,
        unsealed: Callable[[], None] | None = None,
    ) -> AuditHealth:
        """The log's state for a readiness probe, reused for `max_age` seconds: damaged when an
        append would be refused, when a record or seal added since the last look does not
        verify, or when the last full verification (or the sealer) found a problem in the log as
        it still stands. Never walks the whole chain. `unsealed` is called when a look finds
        rows waiting for a seal (passed per call: held here, the log's own bound method would
        keep the log alive in a cycle, and its sealing thread holds it only weakly)."""
        cached, head = self._health, head_stamp(self.head_path)
        # Every append and seal rewrites the head file: a verdict older than it is stale.
        if cached is not None and time.monotonic() - cached[0] < max_age and cached[1] == head:
            return cached[2]
        # One refresh at a time; other probes meanwhile take the previous answer.
        if not self._health_lock.acquire(blocking=cached is None):
            assert cached is not None
            return cached[2]
        try:
            health = self._check_health(session, unsealed)
            self._health = (time.monotonic(), head, health)
            return health
        finally:
            self._health_lock.release()

    def forget(self) -> None:
        """The next `health()` looks again."""
        self._health = None

    def remember(self, result: Verification) -> None:
        """A full verification's verdict stands for readiness until the log changes under it
        or a later one passes."""
        here = result.newest
        with self._state_lock:
            self._found = [(here, p) for p in result.problems]
            if not result.problems:
                self._cursor = here
        self._health = None

    def _check_health(self, session: Session, unsealed: Callable[[], None] | None) -> AuditHealth:
        problems: list[str] = []
        # The head file first: it is written after its rows commit, so rows read after it
        # reach at least as far; read the other way round, an append committed in between
        # would look like deleted records.
        try:
            head = read_head_or_refuse(self.head_path)
        except AuditIntegrityError as unreadable:
            problems.append(str(unreadable))
            head = None
        records, seals = stored.newest(session), stored.newest_seal(session)
        here: Anchor = (*records, *seals)
        try:
            check_head(self.key, head, records, seals)
        except AuditIntegrityError as refused:
            problems.append(str(refused))
            head = None
        problems += self._check_new(session, here)
        with self._state_lock:
            self._found = [(a, p) for a, p in self._found if _holds(session, a)]
            problems += [p for _, p in self._found if p not in problems]
        if unsealed is not None and stored.has_unsealed(session):
            unsealed()  # written by another process, or before this one started
        if problems:
            status = "damaged"
        elif records[0] or seals[0] or head is not None:
            status = "intact"
        else:
            status = "unverifiable"
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return AuditHealth(status, tuple(problems), at)

    def _check_new(self, session: Session, here: Anchor) -> list[str]:
        """Verify the records and seals added since the last look (at most HEALTH_STEP of
        each); the first look starts at the newest."""
        with self._state_lock:
            cursor = self._cursor
        if cursor is None or not _holds(session, cursor):
            # First look, or the log was replaced below us (a rebuilt company): start here.
            with self._state_lock:
                self._cursor = here
            return []
        problems: list[str] = []
        foreign: dict[str, list[int]] = {}
        seq, previous, seal_seq, seal_previous = cursor
        redactions = {(r.stream, r.row_key): r for r in read_redactions(session)}
        for row in stored.records_after(session, seq, limit=HEALTH_STEP):
            body = check_link(
                self.key, row, seq + 1, previous, "record", problems, foreign, redactions
            )
            if body is not None:
                result = Verification()
                check_columns(row, body, result)
                problems += result.problems
            seq, previous = row.seq, row.hash
        name_foreign_keys(foreign, "record", self.key, problems)
        foreign = {}
        for seal in stored.seals_after(session, seal_seq, limit=HEALTH_STEP):
            check_link(self.key, seal, seal_seq + 1, seal_previous, "seal", problems, foreign)
            seal_seq, seal_previous = seal.seq, seal.hash
        name_foreign_keys(foreign, "seal", self.key, problems)
        advanced: Anchor = (seq, previous, seal_seq, seal_previous)
        with self._state_lock:
            self._cursor = advanced
            self._found += [(advanced, p) for p in problems]
        return problems


def _holds(session: Session, anchor: Anchor) -> bool:
    """Whether the log still holds the newest record and seal it held at `anchor`."""
    seq, head, seals, seals_head = anchor
    if seq and stored.record_hash(session, seq) != head:
        return False
    return not seals or stored.seal_hash(session, seals) == seals_head
