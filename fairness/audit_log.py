"""The audit log: one append-only record per served ranking, chained with a keyed MAC, and seals
over the record of what people decided (the interaction log and the oversight record).

Each record's canonical JSON (`body`, sorted keys, its own sequence number and the key's id
inside) is sealed together with the previous record's seal:
seal_n = HMAC-SHA256(key, seal_{n-1} + "\n" + body_n), with 64 zeros before the first. Editing a
body breaks its seal; deleting or reordering records breaks the next record's link; and since
the key is not stored beside the log, someone who can write the database cannot re-seal an
edited chain (a plain SHA-256 chain could simply be recomputed). Since revision 0023 the JSON
sealed holds the items' numbers packed (fairness/audit_codec.py, expanded again on every read)
and the row keeps it zstd-compressed (data/storage/audit.py); the seal covers the same text
either way, and records filed before are read and verified as they were written.

The interaction log (applications, shortlists, rejections, assignments: data/storage/
interactions.py) and the oversight record (auditor reads, reveals, pins, pauses, policy changes:
data/storage/oversight.py) are written by many requests at once, inside their own
transactions; chaining each row there would make every write wait for one lock. They are sealed
in batches instead, just after the writing transaction commits (data/storage/audit.py tells the
log; a background thread seals, so a write costs nothing more than a flag): a seal lists each
row's id and digest, and is chained like the records, in `audit_seals`, with the same key. Each
sealed row is stamped with its seal (`sealed_by`). Deleting, rewriting or renumbering a sealed
row, or stamping it with another seal, is named by `verify`; a row written since the last seal
is "pending" (it is sealed within moments, or at the next start). Rows from before sealing
existed are sealed the same way the first time the log opens (the service's start).

Deleting the newest records (or seals) leaves a shorter chain that is still intact. Checkpoints
catch that: a checkpoint is the record count and newest seal, and the seal count and newest
seal of `audit_seals`, signed with the key. The log keeps its latest one in the head file
(`var/audit/head.json`, rewritten atomically after every append or seal and only ever
forwards); HR exports others (`talent audit checkpoint`, `GET /api/v1/audits/checkpoint`) and
keeps them elsewhere, because whoever can delete records can also put back an older genuine
head file. `verify(checkpoint=...)` then names the truncation. An empty log that no head file
or checkpoint vouches for is "unverifiable", never "intact": wiping everything looks like that.

The log stores what was served and the inputs that produced it (feature rows, model version,
policy, interventions). No demographics are stored; the membership a re-ranker used is kept
only as a keyed digest, so a replay can tell whether it changed since. A record read item by
item still tells who FA*IR moved up, hence who is in the protected group: reading records is
for auditors only, and every read is itself logged (serving/routes/audits.py).

Appends are group commits: concurrent callers queue their records and whichever holds the
writer's lock writes everything queued in one transaction, on the log's own connection, so an
append never waits on (or holds) a request's connection and 50 requests cost a few commits.

`health()` is what readiness probes ask: whether an append would be refused (the head file
check), whether the records and seals added since the last look verify, and what the last full
verification found; cached for a couple of seconds, and never a walk of the whole chain.

This module is the log callers use (`AuditLog`) and its writer: group-commit appends and the
background sealer. The rest, one job each: fairness/audit_sealing.py (the texts, seals, keys and
checkpoints, no database), fairness/audit_head.py (the head file), fairness/audit_verify.py (the
full walk) and fairness/audit_health.py (readiness).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.storage import audit as stored
from data.storage.audit import GENESIS as GENESIS
from data.storage.engine import transaction
from data.storage.tables import AuditRecordRow, AuditSealRow
from fairness.audit_codec import decode_matrix as decode_matrix  # read here by many callers
from fairness.audit_codec import encode_matrix as encode_matrix
from fairness.audit_codec import parse_served
from fairness.audit_head import AuditIntegrityError as AuditIntegrityError
from fairness.audit_head import check_head, read_head, read_head_or_refuse, write_head
from fairness.audit_health import HEALTH_SECONDS as HEALTH_SECONDS
from fairness.audit_health import HEALTH_STEP as HEALTH_STEP
from fairness.audit_health import AuditHealth as AuditHealth
from fairness.audit_health import Readiness
from fairness.audit_record import ServedRanking
from fairness.audit_sealing import CHECKPOINT_FORMAT as CHECKPOINT_FORMAT
from fairness.audit_sealing import CHECKPOINT_FORMAT_V1 as CHECKPOINT_FORMAT_V1
from fairness.audit_sealing import INDEXED as INDEXED
from fairness.audit_sealing import ROW_DIGEST as ROW_DIGEST
from fairness.audit_sealing import STREAMS as STREAMS
from fairness.audit_sealing import AuditKey as AuditKey
from fairness.audit_sealing import Checkpoint as Checkpoint
from fairness.audit_sealing import canonical as canonical
from fairness.audit_sealing import (
    record_text,
    row_text,
    seal_body,
    utc,
)
from fairness.audit_sealing import searched_columns as searched_columns
from fairness.audit_verify import LISTED as LISTED
from fairness.audit_verify import VERIFY_WINDOW as VERIFY_WINDOW
from fairness.audit_verify import Anchor as Anchor
from fairness.audit_verify import StreamCounts as StreamCounts
from fairness.audit_verify import Verification as Verification
from fairness.audit_verify import verify_log

logger = logging.getLogger(__name__)

MAX_BATCH = 500  # records written in one group commit
SEAL_ROWS = 2000  # rows under one seal: its body lists each id and digest (~50 KB)
SEAL_TRANSACTION = 10_000  # rows sealed per transaction (appends wait for the chain's lock)
SEAL_PAUSE = 0.5  # seconds between two seals: writes in between share the next one
SEAL_IDLE = 2.0  # the sealing thread ends after this long without a write


@dataclass(frozen=True, slots=True)
class Appended:
    seq: int
    hash: str
    request_id: str  # as filed: a reused id gets "~<seq>" so no record hides another


@dataclass
class _Pending:
    """One record waiting in the group-commit queue."""

    body: ServedRanking
    served_at: dt.datetime
    done: threading.Event = field(default_factory=threading.Event)
    fresh_id: bool = False  # minted by this server: no record can hold it yet
    result: Appended | None = None
    error: BaseException | None = None

    def outcome(self) -> Appended:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class AuditLog:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        key: AuditKey,
        head_path: Path | None = None,
        *,
        seal_writes: bool = True,
    ) -> None:
        """`sessions` should be the log's own (one connection is enough): see the docstring.

        With `seal_writes`, interactions and oversight events committed to this database by
        this process are sealed just after their commit, and rows still unsealed (from before
        sealing existed, or written by another process) are sealed now, in the background. A
        log opened only to verify passes False."""
        self.sessions = sessions
        self.key = key
        self.head_path = head_path
        self.seal_writes = seal_writes
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()  # one group commit (or seal) at a time in this process
        self._kick = threading.Event()
        self._sealer: threading.Thread | None = None
        self._sealer_lock = threading.Lock()
        self._sealer_complaint: str | None = None  # logged once
        self._stopped = threading.Event()  # close(): no more sealing by this log
        self._sealing_pool: Any = None  # the pool the last background seal drew from
        self._readiness = Readiness(key, head_path)  # what health() found, and how far
        self._engine = sessions.kw.get("bind")
        if seal_writes and isinstance(self._engine, Engine):
            stored.watch_commits(self._engine, self.seal_soon)
            # Disposing of the log's engine (the service closing) ends its sealing too: a seal
            # after that would open a connection nobody closes.
            ref = weakref.ref(self)
            event.listen(self._engine, "engine_disposed", lambda _engine: _close(ref))
            self.seal_soon()  # rows from before this start (an upgraded database's history)

    def close(self) -> None:
        """Stop sealing writes (rows committed later wait for another log, or the next start);
        returns once the sealing thread has finished."""
        self._stopped.set()
        if isinstance(self._engine, Engine):
            stored.unwatch_commits(self._engine, self.seal_soon)
        with self._sealer_lock:
            sealer = self._sealer
        self._kick.set()
        if sealer is not None and sealer is not threading.current_thread():
            sealer.join()
        # Closed because the engine was disposed while a seal ran: that seal's connection went
        # back to the pool the engine has just dropped, which nobody would close.
        pool = self._sealing_pool
        if pool is not None and isinstance(self._engine, Engine) and pool is not self._engine.pool:
            pool.dispose()

    # -- appending -------------------------------------------------------------------------
    def append(self, body: ServedRanking, *, fresh_id: bool = False) -> Appended:
        """Add a record after the newest one (its `seq` is set here); returns once committed.

        `fresh_id`: the server minted the record's request id (a random UUID) for a request that
        brought none, so no record can hold it and the log need not look whether one does."""
        # Stored in UTC: SQLite keeps no offset, so mixed offsets would compare wrongly.
        served_at = utc(dt.datetime.fromisoformat(body["served_at"]))
        pending = _Pending(body, served_at, fresh_id=fresh_id)
        with self._queue_lock:
            self._queue.append(pending)
        while not pending.done.is_set():
            with self._writer:
                if pending.done.is_set():  # the previous writer took it in its batch
                    break
                with self._queue_lock:
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                self._write(batch)
        return pending.outcome()

    def _write(self, batch: list[_Pending], *, attempts: int = 20) -> None:
        try:
            for attempt in range(attempts):
                try:
                    results, rows, seals = self._seal(batch)
                    break
                except IntegrityError:  # another process took these seqs: back off, retry
                    if attempt == attempts - 1:
                        raise
                    time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
            write_head(
                self.head_path,
                self.key,
                Checkpoint.make(self.key, rows[-1][0], rows[-1][1], *seals),
            )
        except BaseException as failed:
            for pending in batch:
                pending.error = failed
                pending.done.set()
            raise
        for pending, result in zip(batch, results, strict=True):
            pending.result = result
            pending.done.set()

    def _seal(
        self, batch: list[_Pending]
    ) -> tuple[list[Appended], list[tuple[int, str]], tuple[int, str]]:
        results: list[Appended] = []
        rows: list[tuple[int, str]] = []
        with transaction(self.sessions) as session:
            stored.lock_chain(session)
            (seq, previous), seals = stored.chain_ends(session)
            self._check_against_head((seq, previous), seals)
            wanted = sorted({p.body["request_id"] for p in batch if not p.fresh_id})
            taken = stored.taken_request_ids(session, wanted) if wanted else set()
            for pending in batch:
                seq += 1
                request_id = pending.body["request_id"]
                if request_id in taken:  # a client sent an id already in the log
                    request_id = f"{request_id}~{seq}"
                taken.add(request_id)
                filed = {**pending.body, "request_id": request_id}
                text = record_text(filed, seq=seq, key_id=self.key.key_id)
                link, previous = previous, self.key.seal(previous, text)
                searched = searched_columns(filed)
                stored.add_record(
                    session,
                    AuditRecordRow(
                        seq=seq,
                        served_at=pending.served_at,
                        body="",  # the sealed text is stored compressed
                        body_zstd=stored.pack_body(text, searched["item_ids"]),
                        prev_hash=link,
                        hash=previous,
                        **{name: filed[name] for name in INDEXED},
                        **searched,
                    ),
                )
                rows.append((seq, previous))
                results.append(Appended(seq, previous, request_id))
        return results, rows, seals

    def _check_against_head(self, records: tuple[int, str], seals: tuple[int, str]) -> None:
        """Refuse to append (or seal) behind a truncation: records chained after a gap would
        look intact to the next verify, and the head file would move past what was deleted.
        Called under the chain's lock: no append or seal commits between the rows read and
        the head file read here."""
        check_head(self.key, read_head_or_refuse(self.head_path), records, seals)

    def head(self) -> Checkpoint | None:
        """The head file's checkpoint (None if there is none; ValueError if unreadable)."""
        return read_head(self.head_path)

    def checkpoint(self, session: Session) -> Checkpoint:
        """A signed checkpoint of the log as it stands now, to export and keep elsewhere.

        It vouches for whatever the log holds, so export it after `seal_pending` and a `verify`
        that passed (the CLI and the API do all three in one call)."""
        return Checkpoint.make(self.key, *stored.newest(session), *stored.newest_seal(session))

    def export_checkpoint(self, session: Session) -> tuple[Verification, Checkpoint | None]:
        """Seal what is pending, verify, and (unless that found damage) sign a checkpoint of
        exactly what the verification walked; HR keeps it off this server."""
        self.seal_pending()
        result = self.verify(session)
        if result.problems:
            return result, None
        return result, Checkpoint.make(self.key, *result.newest)

    # -- sealing the interaction log and the oversight record ---------------------------------
    def seal_soon(self) -> None:
        """Seal what was just committed, on the sealing thread (returns at once: it is called
        from the committing request's thread)."""
        if self._stopped.is_set():
            return
        self._kick.set()
        with self._sealer_lock:
            if self._sealer is None:
                # The thread holds the log weakly: a log nobody uses any more is not kept
                # alive (and sealing) by its own thread.
                self._sealer = threading.Thread(
                    target=_seal_in_background, args=(weakref.ref(self),), daemon=True
                )
                self._sealer.start()

    def _seal_once(self) -> None:
        """One round of the sealing thread: what it raises is logged, never thrown."""
        if isinstance(self._engine, Engine):
            self._sealing_pool = self._engine.pool
        try:
            self.seal_pending()
            self._sealer_complaint = None
        except AuditIntegrityError as damaged:  # health() finds the same, by itself
            self._complain(f"interactions and oversight events are not sealed: {damaged}")
        except Exception as failed:  # the database went away: the next write retries
            self._complain(f"sealing failed: {type(failed).__name__}: {failed}")

    def _complain(self, message: str) -> None:
        if message != self._sealer_complaint:  # once, not at every write
            logger.error("audit log: %s", message)
            self._sealer_complaint = message

    def seal_pending(self) -> int:
        """Seal every committed interaction and oversight row that no seal covers yet; the
        number sealed. AuditIntegrityError (sealing nothing) behind a truncated chain."""
        total = 0
        while True:
            with self._writer:
                sealed = self._seal_rows(SEAL_TRANSACTION)
            total += sealed
            if sealed < SEAL_TRANSACTION:
                return total

    def _seal_rows(self, limit: int) -> int:
        sealed = 0
        with transaction(self.sessions) as session:
            stored.lock_chain(session)
            records, (seq, previous) = stored.chain_ends(session)
            self._check_against_head(records, (seq, previous))
            at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            for stream in STREAMS:
                while sealed < limit:
                    rows = stored.claim_unsealed(
                        session, stream, seal=seq + 1, limit=min(SEAL_ROWS, limit - sealed)
                    )
                    if not rows:
                        break
                    seq += 1
                    texts = [row_text(stream, row) for row in rows]
                    body = seal_body(
                        seq=seq,
                        key_id=self.key.key_id,
                        stream=stream,
                        sealed_at=at,
                        ids=[row["id"] for row in rows],
                        texts=texts,
                    )
                    text = canonical(body)
                    link, previous = previous, self.key.seal(previous, text)
                    stored.add_seal(
                        session,
                        AuditSealRow(
                            seq=seq,
                            stream=stream,
                            rows=len(rows),
                            body=text,
                            prev_hash=link,
                            hash=previous,
                        ),
                    )
                    sealed += len(rows)
        if sealed:
            write_head(self.head_path, self.key, Checkpoint.make(self.key, *records, seq, previous))
        return sealed

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """No append or seal of this process runs meanwhile: for wiping the log and its head
        file together (a seal committed before the wipe must not write its head after it)."""
        with self._writer:
            yield
        self.forget_health()

    def pending(self) -> int:
        """Interaction and oversight rows committed but not sealed yet. Counted under the
        writer's lock: a seal commits before its head file is written (both under that lock),
        so 0 means every row is sealed and the head file says so (a verify right after sees
        no seal the head file lacks)."""
        with self._writer, self.sessions() as session:
            return sum(stored.unsealed(session, stream) for stream in STREAMS)

    # -- verifying -------------------------------------------------------------------------
    def verify(
        self, session: Session, *, checkpoint: Checkpoint | None = None, batch: int = 2000
    ) -> Verification:
        """Walk the chain of records from the first and the chain of seals with every row they
        cover, and say what does not hold; with an exported `checkpoint`, also whether the log
        still holds everything it held then (fairness/audit_verify.py). The verdict stands for
        readiness until the log changes under it or a later one passes."""
        result = verify_log(session, self.key, self.head_path, checkpoint=checkpoint, batch=batch)
        self._readiness.remember(result)
        return result

    # -- readiness -------------------------------------------------------------------------
    def health(self, session: Session, *, max_age: float = HEALTH_SECONDS) -> AuditHealth:
        """The log's state for a readiness probe, reused for `max_age` seconds: damaged when an
        append would be refused, when a record or seal added since the last look does not
        verify, or when the last full verification (or the sealer) found a problem in the log as
        it still stands. Never walks the whole chain (fairness/audit_health.py)."""
        # Rows found unsealed (written by another process, or before this one started) are
        # sealed soon.
        unsealed = self.seal_soon if self.seal_writes else None
        return self._readiness.health(session, max_age=max_age, unsealed=unsealed)

    def forget_health(self) -> None:
        """The next `health()` looks again."""
        self._readiness.forget()

    # -- reading ---------------------------------------------------------------------------
    @staticmethod
    def find(session: Session, request_id: str) -> ServedRanking | None:
        """The record of one served ranking (the newest, if an id was reused)."""
        text = stored.find_body(session, request_id)
        return parse_served(text) if text is not None else None

    @staticmethod
    def between(
        session: Session,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        *,
        direction: str | None = None,
        query_external_id: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> Iterator[ServedRanking]:
        """Record bodies served in [start, end), oldest first (or newest first, at most
        `limit` of them)."""
        for text in stored.bodies(
            session,
            utc(start) if start is not None else None,
            utc(end) if end is not None else None,
            direction=direction,
            query_external_id=query_external_id,
            newest_first=newest_first,
            limit=limit,
        ):
            yield parse_served(text)


def _seal_in_background(ref: weakref.ref[AuditLog]) -> None:
    """The sealing thread: waits for commits, seals, pauses SEAL_PAUSE so that the writes of
    the meantime share one seal; ends after SEAL_IDLE without a write, or when the log is
    closed or gone."""
    while True:
        log = ref()
        if log is None:
            return
        kick, stopped, lock = log._kick, log._stopped, log._sealer_lock
        del log  # not held while waiting
        woken = kick.wait(SEAL_IDLE)
        log = ref()
        if log is None:
            return
        with lock:
            if stopped.is_set() or not (woken or kick.is_set()):
                log._sealer = None
                return
        kick.clear()
        log._seal_once()
        del log
        stopped.wait(SEAL_PAUSE)


def _close(ref: weakref.ref[AuditLog]) -> None:
    log = ref()
    if log is not None:
        log.close()
