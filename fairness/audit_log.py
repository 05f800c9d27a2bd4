"""The audit log: one append-only record per served ranking, chained with a keyed MAC.

Each record's canonical JSON (`body`, sorted keys, its own sequence number and the key's id
inside) is sealed together with the previous record's seal:
seal_n = HMAC-SHA256(key, seal_{n-1} + "\n" + body_n), with 64 zeros before the first. Editing a
body breaks its seal; deleting or reordering records breaks the next record's link; and since
the key is not stored beside the log, someone who can write the database cannot re-seal an
edited chain (a plain SHA-256 chain could simply be recomputed).

Deleting the newest records leaves a shorter chain that is still intact. Checkpoints catch
that: a checkpoint is the record count and the newest seal, signed with the key. The log keeps
its latest one in the head file (`var/audit/head.json`, rewritten atomically after every
append and only ever forwards); HR exports others (`talent audit checkpoint`, `GET
/api/v1/audits/checkpoint`) and keeps them elsewhere, because whoever can delete records can
also put back an older genuine head file. `verify(checkpoint=...)` then names the truncation.

The log stores what was served and the inputs that produced it (feature rows, model version,
policy, interventions). No demographics are stored; the membership a re-ranker used is kept
only as a keyed digest, so a replay can tell whether it changed since. A record read item by
item still tells who FA*IR moved up, hence who is in the protected group: reading records is
for auditors only, and every read is itself logged (serving/routes/audits.py).

Appends are group commits: concurrent callers queue their records and whichever holds the
writer's lock writes everything queued in one transaction, on the log's own connection, so an
append never waits on (or holds) a request's connection and 50 requests cost a few commits.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.storage import audit as stored
from data.storage.audit import GENESIS
from data.storage.engine import transaction
from data.storage.tables import AuditRecordRow
from fairness.audit_record import ServedRanking

# Columns repeated outside the body for filtering; verify checks they still agree with it.
INDEXED = ("request_id", "direction", "kind", "query_external_id")
CHECKPOINT_FORMAT = "talent-audit-checkpoint/1"
MAX_BATCH = 500  # records written in one group commit


def canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


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


def encode_matrix(matrix: np.ndarray) -> dict[str, Any]:
    """A float32 matrix as JSON: exact bytes, so a replay scores the very same inputs."""
    data = np.ascontiguousarray(matrix, dtype="<f4")
    return {"shape": list(data.shape), "f4_base64": base64.b64encode(data.tobytes()).decode()}


def decode_matrix(encoded: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(encoded["f4_base64"])
    return np.frombuffer(raw, dtype="<f4").reshape(encoded["shape"]).astype(np.float32)


class AuditIntegrityError(RuntimeError):
    """The log does not hold what its head file vouches for: appending would hide that."""


@dataclass(frozen=True, slots=True)
class Appended:
    seq: int
    hash: str
    request_id: str  # as filed: a reused id gets "~<seq>" so no record hides another


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The log's length and newest seal at one moment, signed with the audit key."""

    records: int
    head: str
    key_id: str
    at: str
    signature: str

    @classmethod
    def make(cls, key: AuditKey, records: int, head: str) -> Checkpoint:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return cls(records, head, key.key_id, at, key.sign(_signed_text(records, head, at)))

    def valid(self, key: AuditKey) -> bool:
        expected = key.sign(_signed_text(self.records, self.head, self.at))
        return self.key_id == key.key_id and hmac.compare_digest(expected, self.signature)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "records": self.records,
            "head": self.head,
            "key_id": self.key_id,
            "at": self.at,
            "signature": self.signature,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Parse a checkpoint file; ValueError naming what is wrong with it."""
        try:
            data = json.loads(text)
            if data.get("format") != CHECKPOINT_FORMAT:
                raise ValueError(f"not a {CHECKPOINT_FORMAT} file")
            records = data["records"]
            if not isinstance(records, int) or isinstance(records, bool) or records < 0:
                raise ValueError("'records' must be a whole number")
            return cls(
                records, str(data["head"]), str(data["key_id"]), str(data["at"]), data["signature"]
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as bad:
            raise ValueError(f"unreadable checkpoint: {bad}") from None


def _signed_text(records: int, head: str, at: str) -> str:
    return f"{CHECKPOINT_FORMAT}\n{records}\n{head}\n{at}"


@dataclass
class Verification:
    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


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
        self, sessions: sessionmaker[Session], key: AuditKey, head_path: Path | None = None
    ) -> None:
        """`sessions` should be the log's own (one connection is enough): see the docstring."""
        self.sessions = sessions
        self.key = key
        self.head_path = head_path
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()  # one group commit at a time in this process

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
                    results, rows = self._seal(batch)
                    break
                except IntegrityError:  # another process took these seqs: back off, retry
                    if attempt == attempts - 1:
                        raise
                    time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
            self._write_head(Checkpoint.make(self.key, rows[-1][0], rows[-1][1]))
        except BaseException as failed:
            for pending in batch:
                pending.error = failed
                pending.done.set()
            raise
        for pending, result in zip(batch, results, strict=True):
            pending.result = result
            pending.done.set()

    def _seal(self, batch: list[_Pending]) -> tuple[list[Appended], list[tuple[int, str]]]:
        results: list[Appended] = []
        rows: list[tuple[int, str]] = []
        with transaction(self.sessions) as session:
            stored.lock_chain(session)
            seq, previous = stored.newest(session)
            self._check_against_head(seq, previous)
            wanted = sorted({p.body["request_id"] for p in batch})
            taken = stored.taken_request_ids(session, wanted)
            for pending in batch:
                seq += 1
                request_id = pending.body["request_id"]
                if request_id in taken:  # a client sent an id already in the log
                    request_id = f"{request_id}~{seq}"
                taken.add(request_id)
                filed = {**pending.body, "request_id": request_id}
                text = canonical({**filed, "seq": seq, "key_id": self.key.key_id})
                link, previous = previous, self.key.seal(previous, text)
                stored.add_record(
                    session,
                    AuditRecordRow(
                        seq=seq,
                        served_at=pending.served_at,
                        body=text,
                        prev_hash=link,
                        hash=previous,
                        **{name: filed[name] for name in INDEXED},
                    ),
                )
                rows.append((seq, previous))
                results.append(Appended(seq, previous, request_id))
        return results, rows

    def _check_against_head(self, seq: int, newest: str) -> None:
        """Refuse to append behind a truncation: records chained after a gap would look intact
        to the next verify, and the head file would move past what was deleted."""
        try:
            head = self.head()
        except ValueError as unreadable:
            raise AuditIntegrityError(f"the head file is unreadable ({unreadable})") from None
        if head is None:
            return
        if not head.valid(self.key):
            raise AuditIntegrityError("the head file is not signed with this audit key")
        if head.records > seq:
            raise AuditIntegrityError(
                f"the head file vouches for {head.records} records but the log ends at {seq}: "
                "records were deleted"
            )
        if head.records == seq and head.records and head.head != newest:
            raise AuditIntegrityError(f"record {seq} differs from the head file: rewritten")

    def _write_head(self, checkpoint: Checkpoint) -> None:
        if self.head_path is None:
            return
        self.head_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Another process may have appended after us and written a later head already: the
        # head only moves forward (checked and written under a lock shared by processes).
        with open(self.head_path.with_name(f".{self.head_path.name}.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.head()
            if current is not None and current.records >= checkpoint.records:
                return
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

        It vouches for whatever the log holds, so export it after a `verify` that passed (the
        CLI and the API do both in one call)."""
        return Checkpoint.make(self.key, *stored.newest(session))

    # -- verifying -------------------------------------------------------------------------
    def verify(
        self, session: Session, *, checkpoint: Checkpoint | None = None, batch: int = 2000
    ) -> Verification:
        """Walk the chain from the first record and say what does not hold; with an exported
        `checkpoint`, also whether the log still holds everything it held then."""
        result = Verification()
        expected_seq, previous = 1, GENESIS
        seals: dict[int, str] = {}
        foreign_keys: dict[str, list[int]] = {}
        for row in stored.records_in_order(session, batch=batch):
            result.records += 1
            if row.seq != expected_seq:
                result.problems.append(
                    f"record {row.seq} follows record {expected_seq - 1}: "
                    f"records {expected_seq}..{row.seq - 1} are missing (deleted?)"
                )
            if row.prev_hash != previous:
                result.problems.append(
                    f"record {row.seq} does not link to the record before it "
                    "(a record was deleted, reordered or its link edited)"
                )
            body = _parse(row.body)
            key_id = body.get("key_id") if body is not None else None
            if key_id is not None and key_id != self.key.key_id:
                foreign_keys.setdefault(str(key_id), []).append(row.seq)
            elif self.key.seal(row.prev_hash, row.body) != row.hash or body is None:
                result.problems.append(
                    f"record {row.seq} was edited (its seal does not match: changed, or "
                    "re-sealed without the audit key)"
                )
            else:
                _check_columns(row, body, result)
            seals[row.seq] = row.hash
            expected_seq, previous = row.seq + 1, row.hash
        for key_id, seqs in foreign_keys.items():
            result.problems.append(
                f"{len(seqs)} record(s) ({_span(seqs)}) were sealed with key {key_id}, not with "
                f"this key ({self.key.key_id}): wrong TALENT_AUDIT_KEY, or forged records"
            )
        last = expected_seq - 1
        try:
            head = self.head()
        except ValueError as unreadable:
            result.problems.append(f"the head file is unreadable ({unreadable})")
        else:
            if self.head_path is not None and head is None and last > 0:
                result.problems.append(
                    f"the head file {self.head_path} is missing although the log holds {last} "
                    "records: the newest records may have been deleted (verify against an "
                    "exported checkpoint)"
                )
            if head is not None:
                self._check_checkpoint(head, "the head file", seals, last, result)
        if checkpoint is not None:
            self._check_checkpoint(checkpoint, "the checkpoint", seals, last, result)
        return result

    def _check_checkpoint(
        self,
        checkpoint: Checkpoint,
        name: str,
        seals: dict[int, str],
        last: int,
        result: Verification,
    ) -> None:
        if checkpoint.key_id != self.key.key_id:
            result.problems.append(
                f"{name} is not signed with this audit key (it names key {checkpoint.key_id}; "
                f"this key is {self.key.key_id}): from another installation, or forged"
            )
        elif not checkpoint.valid(self.key):
            result.problems.append(
                f"{name} is not signed with this audit key: its signature does not match "
                "(edited or forged)"
            )
        elif checkpoint.records > last:
            result.problems.append(
                f"{name} ({checkpoint.at}) records {checkpoint.records} entries but the log ends "
                f"at {last}: the newest records were deleted"
            )
        elif checkpoint.records > 0 and seals.get(checkpoint.records) != checkpoint.head:
            result.problems.append(
                f"record {checkpoint.records} differs from {name} ({checkpoint.at}): the log "
                "was rewritten after it"
            )

    # -- reading ---------------------------------------------------------------------------
    @staticmethod
    def find(session: Session, request_id: str) -> ServedRanking | None:
        """The record of one served ranking (the newest, if an id was reused)."""
        text = stored.find_body(session, request_id)
        return json.loads(text) if text is not None else None

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
            yield json.loads(text)


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
    if stale:
        result.problems.append(
            f"record {row.seq}: columns {', '.join(stale)} disagree with its body"
        )


def _span(seqs: list[int]) -> str:
    return f"record {seqs[0]}" if len(seqs) == 1 else f"records {seqs[0]}..{seqs[-1]}"


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC (a naive time is taken as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
