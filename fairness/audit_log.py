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
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
import random
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.storage import audit as stored
from data.storage import retention as retained
from data.storage.audit import GENESIS
from data.storage.engine import read_snapshot, transaction
from data.storage.tables import AuditRecordRow, AuditSealRow
from fairness.audit_codec import compact, parse
from fairness.audit_codec import decode_matrix as decode_matrix  # read here by many callers
from fairness.audit_codec import encode_matrix as encode_matrix
from fairness.audit_record import ServedRanking
from fairness.audit_redaction import Redaction

logger = logging.getLogger(__name__)

# Columns repeated outside the body for filtering; verify checks they still agree with it.
INDEXED = ("request_id", "direction", "kind", "query_external_id")
CHECKPOINT_FORMAT = "talent-audit-checkpoint/2"  # records and seals
CHECKPOINT_FORMAT_V1 = "talent-audit-checkpoint/1"  # records only (still read)
MAX_BATCH = 500  # records written in one group commit

# The sealed streams: (one row, several rows) in what verify says.
STREAMS = {
    "interactions": ("interaction", "interactions"),
    "oversight": ("oversight event", "oversight events"),
}
SEAL_ROWS = 2000  # rows under one seal: its body lists each id and digest (~50 KB)
SEAL_TRANSACTION = 10_000  # rows sealed per transaction (appends wait for the chain's lock)
SEAL_PAUSE = 0.5  # seconds between two seals: writes in between share the next one
SEAL_IDLE = 2.0  # the sealing thread ends after this long without a write
ROW_DIGEST = 16  # hex digits of each row's digest in a seal (the seal's full digest covers all)
VERIFY_WINDOW = 5000  # sealed rows read back at once by verify
HEALTH_SECONDS = 2.0  # how long a readiness verdict is reused
HEALTH_STEP = 200  # records (and seals) a readiness check verifies at most, beyond the last
LISTED = 8  # rows named in one problem before "and N more"


def canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def searched_columns(body: dict[str, Any]) -> dict[str, Any]:
    """What a record repeats outside its compressed body for SQL to search: its scored items'
    ids (a JSON array, each id as data/storage/audit_search.json_string writes it) and
    whether it was interleaved. Verify checks they agree with the body. Either form of the
    record: the ids are read without unpacking the items' numbers (verify walks months)."""
    packed = body.get("items_packed")
    ids = packed["ids"] if packed is not None else [i["id"] for i in body.get("items", [])]
    return {
        "item_ids": json.dumps(ids, separators=(",", ":"), ensure_ascii=True),
        "interleaved": "interleaving" in body,
    }


class AuditKey:
    """The secret that seals records and signs checkpoints (two keys derived from it)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the audit key must hold at least 16 bytes")
        self._seal_key = hmac.new(secret, b"talent-audit/seal", hashlib.sha256).digest()
        self._sign_key = hmac.new(secret, b"talent-audit/checkpoint", hashlib.sha256).digest()
        # Public: names the key in records and checkpoints without revealing it.
        self.key_id = hmac.new(secret, b"talent-audit/key-id", hashlib.sha256).hexdigest()[:16]

    def seal(self, previous: str, body_text: str) -> str:
        return hmac.new(
            self._seal_key, f"{previous}\n{body_text}".encode(), hashlib.sha256
        ).hexdigest()

    def sign(self, text: str) -> str:
        return hmac.new(self._sign_key, text.encode(), hashlib.sha256).hexdigest()


class AuditIntegrityError(RuntimeError):
    """The log does not hold what its head file vouches for: appending would hide that."""


@dataclass(frozen=True, slots=True)
class Appended:
    seq: int
    hash: str
    request_id: str  # as filed: a reused id gets "~<seq>" so no record hides another


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The log's length and newest seal at one moment (records, and seals over the interaction
    and oversight rows), signed with the audit key. `seals` is None in a checkpoint made before
    those were sealed (format 1): it vouches for the records only."""

    records: int
    head: str
    key_id: str
    at: str
    signature: str
    seals: int | None = None
    seals_head: str | None = None

    @classmethod
    def make(
        cls, key: AuditKey, records: int, head: str, seals: int = 0, seals_head: str = GENESIS
    ) -> Checkpoint:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        signature = key.sign(_signed_text(records, head, at, seals, seals_head))
        return cls(records, head, key.key_id, at, signature, seals, seals_head)

    def valid(self, key: AuditKey) -> bool:
        expected = key.sign(
            _signed_text(self.records, self.head, self.at, self.seals, self.seals_head)
        )
        return self.key_id == key.key_id and hmac.compare_digest(expected, self.signature)

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format": CHECKPOINT_FORMAT if self.seals is not None else CHECKPOINT_FORMAT_V1,
            "records": self.records,
            "head": self.head,
        }
        if self.seals is not None:
            document |= {"seals": self.seals, "seals_head": self.seals_head}
        return document | {"key_id": self.key_id, "at": self.at, "signature": self.signature}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Parse a checkpoint file; ValueError naming what is wrong with it."""
        try:
            data = json.loads(text)
            if data.get("format") not in (CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_V1):
                raise ValueError(f"not a {CHECKPOINT_FORMAT} file")
            records = _count(data["records"], "records")
            seals, seals_head = None, None
            if data["format"] == CHECKPOINT_FORMAT:
                seals, seals_head = _count(data["seals"], "seals"), str(data["seals_head"])
            return cls(
                records,
                str(data["head"]),
                str(data["key_id"]),
                str(data["at"]),
                data["signature"],
                seals,
                seals_head,
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as bad:
            raise ValueError(f"unreadable checkpoint: {bad}") from None


def _count(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name!r} must be a whole number")
    return value


def _signed_text(
    records: int, head: str, at: str, seals: int | None, seals_head: str | None
) -> str:
    if seals is None:  # format 1: what such a checkpoint was signed over
        return f"{CHECKPOINT_FORMAT_V1}\n{records}\n{head}\n{at}"
    return f"{CHECKPOINT_FORMAT}\n{records}\n{head}\n{seals}\n{seals_head}\n{at}"


@dataclass
class StreamCounts:
    sealed: int = 0  # rows a seal covers (and that still match it)
    pending: int = 0  # rows written since the last seal


@dataclass
class Verification:
    records: int = 0
    problems: list[str] = field(default_factory=list)
    seals: int = 0
    streams: dict[str, StreamCounts] = field(
        default_factory=lambda: {name: StreamCounts() for name in STREAMS}
    )
    anchored: bool = False  # a head file or a checkpoint vouched for the log
    # The last record and seal a retention purge deleted: the chains are walked from there.
    purged: tuple[int, int] = (0, 0)
    redacted: int = 0  # records and rows an erasure rewrote, each vouched for by a redaction
    # The newest record's and seal's (seq, seal) the walk verified: what a checkpoint vouches.
    newest: tuple[int, str, int, str] = (0, GENESIS, 0, GENESIS)

    @property
    def status(self) -> str:
        """damaged (problems named), unverifiable (nothing sealed and nothing to say there
        should be: a new log, or a wiped one), or intact."""
        if self.problems:
            return "damaged"
        if not self.records and not self.seals and not self.anchored:
            return "unverifiable"
        return "intact"

    @property
    def ok(self) -> bool:
        return self.status == "intact"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "status": self.status,
            "records": self.records,
            "seals": self.seals,
            "streams": {
                name: {"sealed": counts.sealed, "pending": counts.pending}
                for name, counts in self.streams.items()
            },
            "purged_through": {"records": self.purged[0], "seals": self.purged[1]},
            "redacted": self.redacted,
            "problems": self.problems,
        }


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


# Where the log stood when a problem was found: the newest record's and seal's (seq, hash). A
# problem is forgotten once that no longer holds (the log was replaced, e.g. the demo rebuilt).
Anchor = tuple[int, str, int, str]


@dataclass
class _Pending:
    """One record waiting in the group-commit queue."""

    body: ServedRanking
    served_at: dt.datetime
    done: threading.Event = field(default_factory=threading.Event)
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
        self._health: tuple[float, Any, AuditHealth] | None = None  # when, head file, verdict
        self._health_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._cursor: Anchor | None = None  # verified up to here (records, seals)
        self._found: list[tuple[Anchor, str]] = []  # problems found, and where the log stood
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
    def append(self, body: ServedRanking) -> Appended:
        """Add a record after the newest one (its `seq` is set here); returns once committed."""
        # Stored in UTC: SQLite keeps no offset, so mixed offsets would compare wrongly.
        pending = _Pending(body, _utc(dt.datetime.fromisoformat(body["served_at"])))
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
            self._write_head(Checkpoint.make(self.key, rows[-1][0], rows[-1][1], *seals))
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
            seq, previous = stored.newest(session)
            seals = stored.newest_seal(session)
            self._check_against_head((seq, previous), seals)
            wanted = sorted({p.body["request_id"] for p in batch})
            taken = stored.taken_request_ids(session, wanted)
            for pending in batch:
                seq += 1
                request_id = pending.body["request_id"]
                if request_id in taken:  # a client sent an id already in the log
                    request_id = f"{request_id}~{seq}"
                taken.add(request_id)
                filed = {**pending.body, "request_id": request_id}
                sealed = compact({**filed, "seq": seq, "key_id": self.key.key_id})
                text = canonical(sealed)
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
        self._check_head(self._read_head(), records, seals)

    def _read_head(self) -> Checkpoint | None:
        try:
            return self.head()
        except ValueError as unreadable:
            raise AuditIntegrityError(f"the head file is unreadable ({unreadable})") from None

    def _check_head(
        self, head: Checkpoint | None, records: tuple[int, str], seals: tuple[int, str]
    ) -> None:
        """AuditIntegrityError when the log (as read after `head`) ends before what the head
        file vouches for, or differs from it where they end together."""
        if head is None:
            return
        if not head.valid(self.key):
            raise AuditIntegrityError("the head file is not signed with this audit key")
        seq, newest = records
        if head.records > seq:
            raise AuditIntegrityError(
                f"the head file vouches for {head.records} records but the log ends at {seq}: "
                "records were deleted"
            )
        if head.records == seq and head.records and head.head != newest:
            raise AuditIntegrityError(f"record {seq} differs from the head file: rewritten")
        if head.seals is None:  # a head file from before the seals
            return
        sealed, newest_seal = seals
        if head.seals > sealed:
            raise AuditIntegrityError(
                f"the head file vouches for {head.seals} seals but the seal chain ends at "
                f"{sealed}: seals were deleted (and with them the record of what they covered)"
            )
        if head.seals == sealed and sealed and head.seals_head != newest_seal:
            raise AuditIntegrityError(f"seal {sealed} differs from the head file: rewritten")

    def _write_head(self, checkpoint: Checkpoint) -> None:
        if self.head_path is None:
            return
        self.head_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Another process may have appended after us and written a later head already: the
        # head only moves forward (checked and written under a lock shared by processes).
        with open(self.head_path.with_name(f".{self.head_path.name}.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                current = self.head()
            except ValueError:
                current = None  # unreadable: replaced by a good one (verify said so before)
            if current is not None and current.valid(self.key):
                records = max(
                    (current.records, current.head), (checkpoint.records, checkpoint.head)
                )
                seals = max(
                    (current.seals or 0, current.seals_head or GENESIS),
                    (checkpoint.seals or 0, checkpoint.seals_head or GENESIS),
                )
                if records == (current.records, current.head) and seals == (
                    current.seals or 0,
                    current.seals_head or GENESIS,
                ):
                    return  # nothing newer than what the head file holds
                # Each part moves forward on its own: an appender and a sealer in two
                # processes may finish in either order.
                checkpoint = Checkpoint.make(self.key, *records, *seals)
            # One staging file per process and thread: concurrent writers never share it.
            staging = self.head_path.with_name(
                f".{self.head_path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
            )
            staging.write_text(checkpoint.to_json())
            os.replace(staging, self.head_path)

    def head(self) -> Checkpoint | None:
        """The head file's checkpoint (None if there is none; ValueError if unreadable)."""
        if self.head_path is None or not self.head_path.exists():
            return None
        return Checkpoint.from_json(self.head_path.read_text())

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
            records = stored.newest(session)
            seq, previous = stored.newest_seal(session)
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
                    texts = [_row_text(stream, row) for row in rows]
                    body = {
                        "seq": seq,
                        "key_id": self.key.key_id,
                        "stream": stream,
                        "sealed_at": at,
                        "rows": [
                            [row["id"], _digest(t)] for row, t in zip(rows, texts, strict=True)
                        ],
                        "digest": _batch_digest(texts),
                    }
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
            self._write_head(Checkpoint.make(self.key, *records, seq, previous))
        return sealed

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """No append or seal of this process runs meanwhile: for wiping the log and its head
        file together (a seal committed before the wipe must not write its head after it)."""
        with self._writer:
            yield
        self.forget_health()

    def pending(self) -> int:
        """Interaction and oversight rows committed but not sealed yet."""
        with self.sessions() as session:
            return sum(stored.unsealed(session, stream) for stream in STREAMS)

    # -- verifying -------------------------------------------------------------------------
    def verify(
        self, session: Session, *, checkpoint: Checkpoint | None = None, batch: int = 2000
    ) -> Verification:
        """Walk the chain of records from the first and the chain of seals with every row they
        cover, and say what does not hold; with an exported `checkpoint`, also whether the log
        still holds everything it held then."""
        result = Verification()
        # Read before the walk: what is appended meanwhile only adds to what the walk sees.
        try:
            head = self.head()
        except ValueError as unreadable:
            result.problems.append(f"the head file is unreadable ({unreadable})")
            head = None
        # One snapshot for the whole walk: a seal committed between two of its queries would
        # otherwise show rows stamped by a seal the walk never read, as if it had been deleted.
        with read_snapshot(_engine_of(session)) as snapshot:
            base = self._purge_base(snapshot, result)
            redactions = {(r.stream, r.row_key): r for r in _redactions(snapshot)}
            records = self._verify_records(snapshot, result, batch, base[:2], redactions)
            seals = self._verify_seals(snapshot, result, base[2:], redactions)
        last_record, last_seal = max(records, default=0), max(seals, default=0)
        result.newest = (
            last_record,
            records.get(last_record, GENESIS),
            last_seal,
            seals.get(last_seal, GENESIS),
        )
        if self.head_path is not None and head is None and (last_record or last_seal):
            result.problems.append(
                f"the head file {self.head_path} is missing although the log holds "
                f"{last_record} records and {last_seal} seals: the newest may have been deleted "
                "(verify against an exported checkpoint)"
            )
        for name, vouching in (("the head file", head), ("the checkpoint", checkpoint)):
            if vouching is not None:
                result.anchored = True
                self._check_checkpoint(vouching, name, records, seals, result)
        self._remember(result)
        return result

    def _purge_base(self, session: Session, result: Verification) -> Anchor:
        """Where the chains start: after the last record and seal a retention purge deleted
        (its checkpoint signed with this key), else at the first."""
        text = retained.purge_base(session)
        if text is None:
            return (0, GENESIS, 0, GENESIS)
        try:
            base = Checkpoint.from_json(text)
        except ValueError as unreadable:
            result.problems.append(f"the last purge's checkpoint is unreadable ({unreadable})")
            return (0, GENESIS, 0, GENESIS)
        if not base.valid(self.key):
            result.problems.append(
                "the last purge's checkpoint is not signed with this audit key (forged or "
                "edited): the chains are walked from their first record and seal instead"
            )
            return (0, GENESIS, 0, GENESIS)
        result.anchored = True
        result.purged = (base.records, base.seals or 0)
        return (base.records, base.head, base.seals or 0, base.seals_head or GENESIS)

    def _verify_records(
        self,
        session: Session,
        result: Verification,
        batch: int,
        base: tuple[int, str] = (0, GENESIS),
        redactions: dict[tuple[str, int], Redaction] | None = None,
    ) -> dict[int, str]:
        expected_seq, previous = base[0] + 1, base[1]
        seals: dict[int, str] = {base[0]: base[1]} if base[0] else {}
        foreign: dict[str, list[int]] = {}
        for row in stored.records_in_order(session, batch=batch):
            result.records += 1
            body = self._check_link(
                row, expected_seq, previous, "record", result.problems, foreign, redactions, result
            )
            if body is not None:
                _check_columns(row, body, result)
            seals[row.seq] = row.hash
            expected_seq, previous = row.seq + 1, row.hash
        _foreign_keys(foreign, "record", self.key, result.problems)
        return seals

    def _check_link(
        self,
        row: AuditRecordRow | AuditSealRow,
        expected_seq: int,
        previous: str,
        noun: str,
        problems: list[str],
        foreign: dict[str, list[int]],
        redactions: dict[tuple[str, int], Redaction] | None = None,
        result: Verification | None = None,
    ) -> dict[str, Any] | None:
        """What is wrong with one link of a chain (a record or a seal); its body if its seal
        holds (or, for a record an erasure rewrote, its signed redaction does)."""
        if row.seq != expected_seq:
            problems.append(
                f"{noun} {row.seq} follows {noun} {expected_seq - 1}: "
                f"{noun}s {expected_seq}..{row.seq - 1} are missing (deleted?)"
            )
        if row.prev_hash != previous:
            problems.append(
                f"{noun} {row.seq} does not link to the {noun} before it "
                f"(a {noun} was deleted, reordered or its link edited)"
            )
        text = _sealed_text(row)
        body = _parse(text) if text is not None else None
        key_id = body.get("key_id") if body is not None else None
        if key_id is not None and key_id != self.key.key_id:
            foreign.setdefault(str(key_id), []).append(row.seq)
            return None
        redaction = (redactions or {}).get(("records", row.seq)) if noun == "record" else None
        if (
            body is not None
            and redaction is not None
            and redaction.vouches(self.key.sign, original=row.hash, text=cast(str, text))
        ):
            if result is not None:
                result.redacted += 1
            return body
        if body is None or self.key.seal(row.prev_hash, text) != row.hash:
            problems.append(
                f"{noun} {row.seq} was edited (its seal does not match: changed, or "
                "re-sealed without the audit key)"
            )
            return None
        return body

    def _verify_seals(
        self,
        session: Session,
        result: Verification,
        base: tuple[int, str] = (0, GENESIS),
        redactions: dict[tuple[str, int], Redaction] | None = None,
    ) -> dict[int, str]:
        """The chain of seals, and every row each one covers, a window of seals at a time."""
        expected_seq, previous = base[0] + 1, base[1]
        hashes: dict[int, str] = {base[0]: base[1]} if base[0] else {}
        redactions = redactions or {}
        foreign: dict[str, list[int]] = {}
        findings = _Findings()
        window: list[tuple[int, str, dict[str, Any] | None]] = []
        listed = 0
        while True:
            rows = stored.seals_after(session, expected_seq - 1, limit=500)
            for row in rows:
                result.seals += 1
                body = self._check_link(
                    row, expected_seq, previous, "seal", result.problems, foreign
                )
                if body is not None and (
                    body.get("seq") != row.seq
                    or body.get("stream") != row.stream
                    or len(body.get("rows", ())) != row.rows
                ):
                    result.problems.append(f"seal {row.seq}: columns disagree with its body")
                    body = None
                window.append((row.seq, row.stream, body))
                listed += row.rows
                hashes[row.seq] = row.hash
                expected_seq, previous = row.seq + 1, row.hash
                if listed >= VERIFY_WINDOW:
                    self._check_sealed_rows(session, window, findings, result, redactions)
                    window, listed = [], 0
            if len(rows) < 500:
                break
        if window:
            self._check_sealed_rows(session, window, findings, result, redactions)
        _foreign_keys(foreign, "seal", self.key, result.problems)
        last = expected_seq - 1
        newest_now = stored.newest_seal(session)[0]
        for stream in STREAMS:
            if base[0]:  # stamped with a seal a purge deleted (with every row it covered)
                purged = stored.sealed_rows(session, stream, 1, base[0])
                findings.add_all("lost", stream, [(r["id"], r["sealed_by"]) for r in purged])
            # Stamped with a seal that does not exist even now: its seal was deleted.
            beyond = stored.stamped_beyond(session, stream, max(last, newest_now))
            findings.add_all("lost", stream, beyond)
            counts = result.streams[stream]
            counts.pending = stored.unsealed(session, stream, after_seal=last) - len(beyond)
        result.problems.extend(findings.problems())
        return hashes

    def _check_sealed_rows(
        self,
        session: Session,
        window: list[tuple[int, str, dict[str, Any] | None]],
        findings: _Findings,
        result: Verification,
        redactions: dict[tuple[str, int], Redaction] | None = None,
    ) -> None:
        first, last = window[0][0], window[-1][0]
        of_seal = {seq: (stream, body) for seq, stream, body in window}
        for stream in STREAMS:
            listed = {
                seq: dict(body["rows"]) if body is not None else None
                for seq, (s, body) in of_seal.items()
                if s == stream
            }
            texts: dict[int, list[str]] = {seq: [] for seq in listed}
            clean = set(listed)
            for row in stored.sealed_rows(session, stream, first, last):
                seq, row_id = row.pop("sealed_by"), row["id"]
                if seq not in of_seal:
                    findings.add("lost", stream, row_id, seq)
                    continue
                if seq not in listed:  # stamped with another stream's seal
                    findings.add("stamp", stream, row_id, seq)
                    continue
                expected = listed[seq]
                if expected is None:  # the seal itself is damaged: reported as such
                    continue
                text = _row_text(stream, row)
                digest = expected.pop(row_id, None)
                if digest is None:
                    findings.add("stamp", stream, row_id, seq)
                    clean.discard(seq)
                elif digest != _digest(text):
                    redaction = (redactions or {}).get((stream, row_id))
                    if redaction is not None and redaction.vouches(
                        self.key.sign, original=digest, text=text
                    ):
                        # Rewritten by an erasure: the seal's digest over all its rows no
                        # longer applies; each other row still matches its own digest.
                        result.streams[stream].sealed += 1
                        result.redacted += 1
                        clean.discard(seq)
                        continue
                    findings.add("rewritten", stream, row_id, seq)
                    clean.discard(seq)
                else:
                    result.streams[stream].sealed += 1
                    texts[seq].append(text)
            for seq, expected in listed.items():
                if expected:  # listed by the seal, no longer in the log
                    findings.add_all("deleted", stream, [(int(i), seq) for i in expected])
                    clean.discard(seq)
            for seq in clean:
                body = of_seal[seq][1]
                if body is not None and _batch_digest(texts[seq]) != body.get("digest"):
                    result.problems.append(
                        f"seal {seq}: the {STREAMS[stream][1]} it covers match their digests "
                        "one by one but not together: rewritten to collide"
                    )

    def _check_checkpoint(
        self,
        checkpoint: Checkpoint,
        name: str,
        records: dict[int, str],
        seals: dict[int, str],
        result: Verification,
    ) -> None:
        last, last_seal = max(records, default=0), max(seals, default=0)
        if checkpoint.key_id != self.key.key_id:
            result.problems.append(
                f"{name} is not signed with this audit key (it names key {checkpoint.key_id}; "
                f"this key is {self.key.key_id}): from another installation, or forged"
            )
            return
        if not checkpoint.valid(self.key):
            result.problems.append(
                f"{name} is not signed with this audit key: its signature does not match "
                "(edited or forged)"
            )
            return
        if checkpoint.records > last:
            result.problems.append(
                f"{name} ({checkpoint.at}) records {checkpoint.records} entries but the log ends "
                f"at {last}: the newest records were deleted"
            )
        elif (
            checkpoint.records > 0
            and checkpoint.records >= result.purged[0]  # older ones: purged with their records
            and records.get(checkpoint.records) != checkpoint.head
        ):
            result.problems.append(
                f"record {checkpoint.records} differs from {name} ({checkpoint.at}): the log "
                "was rewritten after it"
            )
        if checkpoint.seals is None:
            return
        if checkpoint.seals > last_seal:
            result.problems.append(
                f"{name} ({checkpoint.at}) vouches for {checkpoint.seals} seals but the seal "
                f"chain ends at {last_seal}: seals were deleted (and with them the record of the "
                "interactions and oversight events they covered)"
            )
        elif (
            checkpoint.seals > 0
            and checkpoint.seals >= result.purged[1]
            and seals.get(checkpoint.seals) != checkpoint.seals_head
        ):
            result.problems.append(
                f"seal {checkpoint.seals} differs from {name} ({checkpoint.at}): the seals were "
                "rewritten after it"
            )

    # -- readiness -------------------------------------------------------------------------
    def health(self, session: Session, *, max_age: float = HEALTH_SECONDS) -> AuditHealth:
        """The log's state for a readiness probe, reused for `max_age` seconds: damaged when an
        append would be refused, when a record or seal added since the last look does not
        verify, or when the last full verification (or the sealer) found a problem in the log as
        it still stands. Never walks the whole chain."""
        cached, head = self._health, self._head_stamp()
        # Every append and seal rewrites the head file: a verdict older than it is stale.
        if cached is not None and time.monotonic() - cached[0] < max_age and cached[1] == head:
            return cached[2]
        # One refresh at a time; other probes meanwhile take the previous answer.
        if not self._health_lock.acquire(blocking=cached is None):
            assert cached is not None
            return cached[2]
        try:
            health = self._check_health(session)
            self._health = (time.monotonic(), head, health)
            return health
        finally:
            self._health_lock.release()

    def _head_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.head_path.stat() if self.head_path is not None else None
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_ino) if stat is not None else None

    def forget_health(self) -> None:
        """The next `health()` looks again."""
        self._health = None

    def _check_health(self, session: Session) -> AuditHealth:
        problems: list[str] = []
        # The head file first: it is written after its rows commit, so rows read after it
        # reach at least as far; read the other way round, an append committed in between
        # would look like deleted records.
        try:
            head = self._read_head()
        except AuditIntegrityError as unreadable:
            problems.append(str(unreadable))
            head = None
        records, seals = stored.newest(session), stored.newest_seal(session)
        here: Anchor = (*records, *seals)
        try:
            self._check_head(head, records, seals)
        except AuditIntegrityError as refused:
            problems.append(str(refused))
            head = None
        problems += self._check_new(session, here)
        with self._state_lock:
            self._found = [(a, p) for a, p in self._found if _holds(session, a)]
            problems += [p for _, p in self._found if p not in problems]
        if self.seal_writes and stored.has_unsealed(session):
            self.seal_soon()  # written by another process, or before this one started
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
        redactions = {(r.stream, r.row_key): r for r in _redactions(session)}
        for row in stored.records_after(session, seq, limit=HEALTH_STEP):
            body = self._check_link(row, seq + 1, previous, "record", problems, foreign, redactions)
            if body is not None:
                result = Verification()
                _check_columns(row, body, result)
                problems += result.problems
            seq, previous = row.seq, row.hash
        _foreign_keys(foreign, "record", self.key, problems)
        foreign = {}
        for seal in stored.seals_after(session, seal_seq, limit=HEALTH_STEP):
            self._check_link(seal, seal_seq + 1, seal_previous, "seal", problems, foreign)
            seal_seq, seal_previous = seal.seq, seal.hash
        _foreign_keys(foreign, "seal", self.key, problems)
        advanced: Anchor = (seq, previous, seal_seq, seal_previous)
        with self._state_lock:
            self._cursor = advanced
            self._found += [(advanced, p) for p in problems]
        return problems

    def _remember(self, result: Verification) -> None:
        """A full verification's verdict stands for readiness until the log changes under it
        or a later one passes."""
        here = result.newest
        with self._state_lock:
            self._found = [(here, p) for p in result.problems]
            if not result.problems:
                self._cursor = here
        self._health = None

    # -- reading ---------------------------------------------------------------------------
    @staticmethod
    def find(session: Session, request_id: str) -> ServedRanking | None:
        """The record of one served ranking (the newest, if an id was reused)."""
        text = stored.find_body(session, request_id)
        return cast(ServedRanking, parse(text)) if text is not None else None

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
            _utc(start) if start is not None else None,
            _utc(end) if end is not None else None,
            direction=direction,
            query_external_id=query_external_id,
            newest_first=newest_first,
            limit=limit,
        ):
            yield cast(ServedRanking, parse(text))


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


class _Findings:
    """Rows found wrong while verifying the seals, gathered by what is wrong, so that a
    thousand rewritten rows make one problem naming the first few, not a thousand."""

    WHAT: ClassVar[dict[str, str]] = {
        "deleted": "deleted after they were sealed (the seal lists them, the log no longer "
        "holds them)",
        "rewritten": "rewritten after they were sealed (their contents no longer match the "
        "seal: edited, or swapped with another row's)",
        "stamp": "stamped as covered by a seal that never covered them (inserted, renumbered, "
        "or re-stamped)",
        "lost": "stamped with a seal that is missing from the seal chain (deleted?)",
    }

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], list[tuple[int, int]]] = {}

    def add(self, what: str, stream: str, row_id: int, seal: int) -> None:
        self.found.setdefault((what, stream), []).append((row_id, seal))

    def add_all(self, what: str, stream: str, rows: list[tuple[int, int]]) -> None:
        for row_id, seal in rows:
            self.add(what, stream, row_id, seal)

    def problems(self) -> list[str]:
        problems = []
        for (what, stream), rows in self.found.items():
            one, many = STREAMS[stream]
            rows.sort()
            named = ", ".join(f"{one} {row_id} (seal {seal})" for row_id, seal in rows[:LISTED])
            more = f" and {len(rows) - LISTED} more" if len(rows) > LISTED else ""
            counted = f"1 {one}" if len(rows) == 1 else f"{len(rows)} {many}"
            problems.append(f"{counted} {self.WHAT[what]}: {named}{more}")
        return problems


def _redactions(session: Session) -> list[Redaction]:
    return [
        Redaction(r.stream, r.row_key, r.original, r.redacted, r.at, r.signature)
        for r in retained.redaction_rows(session)
    ]


def _row_text(stream: str, row: dict[str, Any]) -> str:
    """What a seal covers of one row: its stream and columns as canonical JSON."""
    values = {
        name: value.isoformat() if isinstance(value, dt.datetime) else value
        for name, value in row.items()
    }
    return canonical({"stream": stream, **values})


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:ROW_DIGEST]


def _batch_digest(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()


def _holds(session: Session, anchor: Anchor) -> bool:
    """Whether the log still holds the newest record and seal it held at `anchor`."""
    seq, head, seals, seals_head = anchor
    if seq and stored.record_hash(session, seq) != head:
        return False
    return not seals or stored.seal_hash(session, seals) == seals_head


def _foreign_keys(
    foreign: dict[str, list[int]], noun: str, key: AuditKey, problems: list[str]
) -> None:
    for key_id, seqs in foreign.items():
        span = f"{noun} {seqs[0]}" if len(seqs) == 1 else f"{noun}s {seqs[0]}..{seqs[-1]}"
        problems.append(
            f"{len(seqs)} {noun}(s) ({span}) were sealed with key {key_id}, not with "
            f"this key ({key.key_id}): wrong TALENT_AUDIT_KEY, or forged {noun}s"
        )


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _sealed_text(row: AuditRecordRow | AuditSealRow) -> str | None:
    """The text a row's seal covers; None when a record's stored body cannot be read back."""
    if isinstance(row, AuditSealRow):
        return row.body
    try:
        return stored.record_text(row)
    except stored.UnreadableBody:
        return None


def _parse(text: str) -> dict[str, Any] | None:
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


def _check_columns(row: AuditRecordRow, body: dict[str, Any], result: Verification) -> None:
    stale = [n for n in INDEXED if body.get(n) != getattr(row, n)]
    served = _utc(dt.datetime.fromisoformat(body["served_at"]))
    if served != _utc(row.served_at):  # reports filter on the column
        stale.append("served_at")
    if body.get("seq") != row.seq:
        stale.append("seq")
    # NULL only on a record filed before they existed (revision 0023), stored as plain text; a
    # compressed one without them would be hidden from the searches that read them.
    if row.body_zstd is not None or row.item_ids is not None or row.interleaved is not None:
        expected = searched_columns(body)
        stale += [name for name, value in expected.items() if getattr(row, name) != value]
    if stale:
        result.problems.append(
            f"record {row.seq}: columns {', '.join(stale)} disagree with its body"
        )


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC (a naive time is taken as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
