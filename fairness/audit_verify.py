"""Verifying the audit log: a walk of the chain of records from the first, and of the chain of
seals with every interaction and oversight row each one covers, naming what does not hold.

Editing a body breaks its seal; deleting or reordering records breaks the next record's link; a
record sealed with another key is named with that key's id. A sealed row deleted, rewritten, or
stamped with a seal that never covered it (or that is missing) is named, a thousand of them in
one problem naming the first few. A row rewritten by an erasure, or a record, passes only with
its signed redaction (fairness/audit_redaction.py). The chains are walked from the last retention
purge's signed checkpoint when there is one (fairness/audit_purge.py), and the head file and an
exported checkpoint (fairness/audit_head.py) catch the newest records or seals deleted.

The walk reads one snapshot (data/storage/engine.read_snapshot): a seal committed between two of
its queries would otherwise show rows stamped by a seal it never read, as if deleted.
fairness/audit_health.py checks the newest records and seals the same way, a few at a time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data.storage import audit as stored
from data.storage import retention as retained
from data.storage.audit import GENESIS
from data.storage.engine import read_snapshot
from data.storage.tables import AuditRecordRow, AuditSealRow
from fairness.audit_head import read_head
from fairness.audit_redaction import Redaction
from fairness.audit_sealing import (
    INDEXED,
    STREAMS,
    AuditKey,
    Checkpoint,
    batch_digest,
    row_digest,
    row_text,
    searched_columns,
    utc,
)

VERIFY_WINDOW = 5000  # sealed rows read back at once by verify
LISTED = 8  # rows named in one problem before "and N more"

# Where the log stood: the newest record's and seal's (seq, hash).
Anchor = tuple[int, str, int, str]


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


def verify_log(
    session: Session,
    key: AuditKey,
    head_path: Path | None,
    *,
    checkpoint: Checkpoint | None = None,
    batch: int = 2000,
) -> Verification:
    """Walk the chain of records from the first and the chain of seals with every row they
    cover, and say what does not hold; with an exported `checkpoint`, also whether the log
    still holds everything it held then. `head_path`: the log's head file, if it keeps one."""
    result = Verification()
    # Read before the walk: what is appended meanwhile only adds to what the walk sees.
    try:
        head = read_head(head_path)
    except ValueError as unreadable:
        result.problems.append(f"the head file is unreadable ({unreadable})")
        head = None
    # One snapshot for the whole walk: a seal committed between two of its queries would
    # otherwise show rows stamped by a seal the walk never read, as if it had been deleted.
    with read_snapshot(_engine_of(session)) as snapshot:
        base = _purge_base(snapshot, key, result)
        redactions = {(r.stream, r.row_key): r for r in read_redactions(snapshot)}
        records = _verify_records(snapshot, key, result, batch, base[:2], redactions)
        seals = _verify_seals(snapshot, key, result, base[2:], redactions)
    last_record, last_seal = max(records, default=0), max(seals, default=0)
    result.newest = (
        last_record,
        records.get(last_record, GENESIS),
        last_seal,
        seals.get(last_seal, GENESIS),
    )
    if head_path is not None and head is None and (last_record or last_seal):
        result.problems.append(
            f"the head file {head_path} is missing although the log holds "
            f"{last_record} records and {last_seal} seals: the newest may have been deleted "
            "(verify against an exported checkpoint)"
        )
    for name, vouching in (("the head file", head), ("the checkpoint", checkpoint)):
        if vouching is not None:
            result.anchored = True
            _check_checkpoint(key, vouching, name, records, seals, result)
    return result


def _purge_base(session: Session, key: AuditKey, result: Verification) -> Anchor:
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
    if not base.valid(key):
        result.problems.append(
            "the last purge's checkpoint is not signed with this audit key (forged or "
            "edited): the chains are walked from their first record and seal instead"
        )
        return (0, GENESIS, 0, GENESIS)
    result.anchored = True
    result.purged = (base.records, base.seals or 0)
    return (base.records, base.head, base.seals or 0, base.seals_head or GENESIS)


def _verify_records(
    session: Session,
    key: AuditKey,
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
        body = check_link(
            key, row, expected_seq, previous, "record", result.problems, foreign, redactions, result
        )
        if body is not None:
            check_columns(row, body, result)
        seals[row.seq] = row.hash
        expected_seq, previous = row.seq + 1, row.hash
    name_foreign_keys(foreign, "record", key, result.problems)
    return seals


def check_link(
    key: AuditKey,
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
    if key_id is not None and key_id != key.key_id:
        foreign.setdefault(str(key_id), []).append(row.seq)
        return None
    redaction = (redactions or {}).get(("records", row.seq)) if noun == "record" else None
    if (
        body is not None
        and redaction is not None
        and redaction.vouches(key.sign, original=row.hash, text=cast(str, text))
    ):
        if result is not None:
            result.redacted += 1
        return body
    if text is None or body is None or key.seal(row.prev_hash, text) != row.hash:
        problems.append(
            f"{noun} {row.seq} was edited (its seal does not match: changed, or "
            "re-sealed without the audit key)"
        )
        return None
    return body


def _verify_seals(
    session: Session,
    key: AuditKey,
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
            body = check_link(key, row, expected_seq, previous, "seal", result.problems, foreign)
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
                _check_sealed_rows(session, key, window, findings, result, redactions)
                window, listed = [], 0
        if len(rows) < 500:
            break
    if window:
        _check_sealed_rows(session, key, window, findings, result, redactions)
    name_foreign_keys(foreign, "seal", key, result.problems)
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
    session: Session,
    key: AuditKey,
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
            text = row_text(stream, row)
            digest = expected.pop(row_id, None)
            if digest is None:
                findings.add("stamp", stream, row_id, seq)
                clean.discard(seq)
            elif digest != row_digest(text):
                redaction = (redactions or {}).get((stream, row_id))
                if redaction is not None and redaction.vouches(
                    key.sign, original=digest, text=text
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
            if body is not None and batch_digest(texts[seq]) != body.get("digest"):
                result.problems.append(
                    f"seal {seq}: the {STREAMS[stream][1]} it covers match their digests "
                    "one by one but not together: rewritten to collide"
                )


def _check_checkpoint(
    key: AuditKey,
    checkpoint: Checkpoint,
    name: str,
    records: dict[int, str],
    seals: dict[int, str],
    result: Verification,
) -> None:
    last, last_seal = max(records, default=0), max(seals, default=0)
    if checkpoint.key_id != key.key_id:
        result.problems.append(
            f"{name} is not signed with this audit key (it names key {checkpoint.key_id}; "
            f"this key is {key.key_id}): from another installation, or forged"
        )
        return
    if not checkpoint.valid(key):
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


def read_redactions(session: Session) -> list[Redaction]:
    """Every signed redaction an erasure filed (fairness/audit_redaction.py)."""
    return [
        Redaction(r.stream, r.row_key, r.original, r.redacted, r.at, r.signature)
        for r in retained.redaction_rows(session)
    ]


def name_foreign_keys(
    foreign: dict[str, list[int]], noun: str, key: AuditKey, problems: list[str]
) -> None:
    """One problem per other key that records (or seals) name: `foreign` maps its id to them."""
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


def check_columns(row: AuditRecordRow, body: dict[str, Any], result: Verification) -> None:
    """Whether the columns a record repeats outside its body still agree with it."""
    stale = [n for n in INDEXED if body.get(n) != getattr(row, n)]
    served = utc(dt.datetime.fromisoformat(body["served_at"]))
    if served != utc(row.served_at):  # reports filter on the column
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
