"""The audit log: one append-only, hash-chained record per served ranking.

Each record's canonical JSON (`body`, sorted keys, its own sequence number inside) is hashed
together with the previous record's hash: hash_n = sha256(hash_{n-1} + "\n" + body_n), with
64 zeros before the first. Editing a body breaks its hash; deleting or reordering records
breaks the next record's link; deleting the newest records is caught by the head file
(`var/audit/head.json`, the last sequence number and hash, rewritten atomically on every
append), which an auditor can also copy elsewhere. The log stores what was served and the
inputs that produced it (feature rows, model version, policy, interventions). No demographics
are stored; the membership a re-ranker used is kept only as a keyed digest, so a replay can
tell whether it changed since. HR reads records item by item, though, and a candidate that
FA*IR moved up belongs to the protected group: the log is HR-only for that reason.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
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
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.storage.engine import transaction
from data.storage.tables import AuditRecordRow

GENESIS = "0" * 64
# Columns repeated outside the body for filtering; verify checks they still agree with it.
INDEXED = ("request_id", "direction", "kind", "query_external_id")


def canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_hash(previous: str, body_text: str) -> str:
    return hashlib.sha256(f"{previous}\n{body_text}".encode()).hexdigest()


def encode_matrix(matrix: np.ndarray) -> dict[str, Any]:
    """A float32 matrix as JSON: exact bytes, so a replay scores the very same inputs."""
    data = np.ascontiguousarray(matrix, dtype="<f4")
    return {"shape": list(data.shape), "f4_base64": base64.b64encode(data.tobytes()).decode()}


def decode_matrix(encoded: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(encoded["f4_base64"])
    return np.frombuffer(raw, dtype="<f4").reshape(encoded["shape"]).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Appended:
    seq: int
    hash: str
    request_id: str  # as filed: a reused id gets "~<seq>" so no record hides another


@dataclass
class Verification:
    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class AuditLog:
    def __init__(self, sessions: sessionmaker[Session], head_path: Path | None = None) -> None:
        self.sessions = sessions
        self.head_path = head_path
        self._lock = threading.Lock()  # one appender per process; other processes: retry

    def append(self, body: dict[str, Any], *, attempts: int = 20) -> Appended:
        """Add a record after the newest one (its `seq` is set here)."""
        # Stored in UTC: SQLite keeps no offset, so mixed offsets would compare wrongly.
        served_at = _utc(dt.datetime.fromisoformat(body["served_at"]))
        with self._lock:
            for attempt in range(attempts):
                try:
                    with transaction(self.sessions) as session:
                        last = session.execute(
                            select(AuditRecordRow.seq, AuditRecordRow.hash)
                            .order_by(AuditRecordRow.seq.desc())
                            .limit(1)
                        ).first()
                        seq, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
                        request_id = body["request_id"]
                        taken = session.scalar(
                            select(AuditRecordRow.seq)
                            .where(AuditRecordRow.request_id == request_id)
                            .limit(1)
                        )
                        if taken is not None:  # a client sent an id already in the log
                            request_id = f"{request_id}~{seq}"
                        filed = {**body, "request_id": request_id}
                        text = canonical({**filed, "seq": seq})
                        digest = chain_hash(previous, text)
                        session.add(
                            AuditRecordRow(
                                seq=seq,
                                served_at=served_at,
                                body=text,
                                prev_hash=previous,
                                hash=digest,
                                **{name: filed[name] for name in INDEXED},
                            )
                        )
                    break
                except IntegrityError:  # another process took this seq first: back off, retry
                    if attempt == attempts - 1:
                        raise
                    time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
            self._write_head(seq, digest)
        return Appended(seq, digest, request_id)

    def _write_head(self, seq: int, digest: str) -> None:
        if self.head_path is None:
            return
        self.head_path.parent.mkdir(parents=True, exist_ok=True)
        # Another process may have appended after us and written a later head already: the
        # head only moves forward (checked and written under a lock shared by processes).
        with open(self.head_path.with_name(f".{self.head_path.name}.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.head_path.exists():
                current = json.loads(self.head_path.read_text() or "{}")
                if current.get("seq", 0) >= seq:
                    return
            self._replace_head(seq, digest)

    def _replace_head(self, seq: int, digest: str) -> None:
        assert self.head_path is not None
        # One staging file per process and thread: concurrent writers never share it.
        staging = self.head_path.with_name(
            f".{self.head_path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        )
        staging.write_text(json.dumps({"seq": seq, "hash": digest}) + "\n")
        os.replace(staging, self.head_path)

    def verify(self, *, batch: int = 2000) -> Verification:
        """Walk the chain from the first record and say what does not hold."""
        result = Verification()
        expected_seq, previous = 1, GENESIS
        hashes: dict[int, str] = {}
        for row in self._rows(batch):
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
            if chain_hash(row.prev_hash, row.body) != row.hash:
                result.problems.append(f"record {row.seq} was edited (its hash does not match)")
            else:
                body = json.loads(row.body)
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
            hashes[row.seq] = row.hash
            expected_seq, previous = row.seq + 1, row.hash
        self._check_head(hashes, expected_seq - 1, result)
        return result

    def _check_head(self, hashes: dict[int, str], last: int, result: Verification) -> None:
        if self.head_path is None or not self.head_path.exists():
            return
        head = json.loads(self.head_path.read_text())
        if head["seq"] > last:
            result.problems.append(
                f"the head file records {head['seq']} entries but the log ends at {last}: "
                "the newest records were deleted"
            )
        elif hashes.get(head["seq"]) != head["hash"]:
            result.problems.append(f"record {head['seq']} differs from the head file's hash")

    def _rows(self, batch: int) -> Iterator[AuditRecordRow]:
        last = 0
        while True:
            with self.sessions() as session:
                rows = list(
                    session.scalars(
                        select(AuditRecordRow)
                        .where(AuditRecordRow.seq > last)
                        .order_by(AuditRecordRow.seq)
                        .limit(batch)
                    )
                )
                session.expunge_all()
            if not rows:
                return
            yield from rows
            last = rows[-1].seq

    def find(self, request_id: str) -> dict[str, Any] | None:
        """The record of one served ranking (the newest, if an id was reused)."""
        with self.sessions() as session:
            text = session.scalar(
                select(AuditRecordRow.body)
                .where(AuditRecordRow.request_id == request_id)
                .order_by(AuditRecordRow.seq.desc())
                .limit(1)
            )
        return json.loads(text) if text is not None else None

    def between(
        self,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        *,
        direction: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Record bodies served in [start, end), oldest first."""
        query = select(AuditRecordRow.body).order_by(AuditRecordRow.seq)
        if start is not None:
            query = query.where(AuditRecordRow.served_at >= _utc(start))
        if end is not None:
            query = query.where(AuditRecordRow.served_at < _utc(end))
        if direction is not None:
            query = query.where(AuditRecordRow.direction == direction)
        with self.sessions() as session:
            result = session.scalars(query.execution_options(yield_per=500))
            try:
                for text in result:
                    yield json.loads(text)
            finally:  # a consumer that stops early must not leave a server cursor open
                result.close()


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC (a naive time is taken as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
