"""The audit tables: append-only rows of the sealed chain of served rankings (audit_records),
the seals over the interaction log and the oversight record (audit_seals, and each sealed row's
`sealed_by`), and the hook that tells the audit log when such rows were committed.
fairness/audit_log.py seals them; this module only reads and writes rows.

A served ranking's sealed text is its canonical JSON. Rows filed before revision 0023 hold it
in `body`; rows filed since hold it zstd-compressed in `body_zstd`, `body` empty: first with
the row's item ids as zstd's dictionary (a bare zstd frame), and since issue 27 with a shipped
text ahead of the ids (`audit_dictionary_1.json.gz`, the frame after a form byte, 1). Every
reader here hands back the text, whichever way it was stored, so the seal means what it always
meant.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import zstandard
from sqlalchemy import Engine, event, func, or_, select, text
from sqlalchemy.orm import Session, object_session

from data.storage.locks import AUDIT_CHAIN_LOCK
from data.storage.queries import scalars_in
from data.storage.tables import AuditRecordRow, AuditSealRow, InteractionRow, OversightEventRow

GENESIS = "0" * 64  # the link of the first record
# zstd level of stored bodies, measured on 200-item records of the demo company: level 3 took
# 0.12 ms, 7 took 0.25 ms for 3% less, 9 took 0.6 ms for nothing more, 19 took 22 ms; the
# append holds the chain's lock meanwhile.
BODY_LEVEL = 7
MAX_BODY_BYTES = 64 * 1024 * 1024  # a stored body never inflates beyond this (a forged frame)


class UnreadableBody(ValueError):
    """A stored record whose text cannot be read back: text in both forms, or bytes that do
    not decompress with its item ids (damaged or forged; verify names it as edited)."""


# What the records' keys, feature names, detail names and templates' words share, frozen: rows
# compressed with it are read with it as long as the log is kept (bench/audit_dictionary.py).
SHIPPED = Path(__file__).with_name("audit_dictionary_1.json.gz")
SHIPPED_SHA256 = "5fee6344b1c5f2b201f5ac7173385904750d9bd91285cee7d6b00db80a8c03b4"
WITH_SHIPPED = b"\x01"  # body_zstd's first byte: a frame compressed with the shipped text
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # the first form: a bare frame, the ids alone its dictionary


def pack_body(body: str, item_ids: str) -> bytes:
    """What `body_zstd` holds for a record's sealed text: zstd, with the shipped text and then
    the row's `item_ids` as a dictionary of raw content, so that what every record repeats, and
    the ids the body repeats, are stored once (~1.3 KB and ~750 bytes at 200 items). A new
    compressor each time: the dictionary ends with the record's own ids (and a zstd context is
    not thread-safe)."""
    dictionary = _dictionary(_shipped() + item_ids.encode())
    compressor = zstandard.ZstdCompressor(level=BODY_LEVEL, dict_data=dictionary)
    return WITH_SHIPPED + compressor.compress(body.encode())


def body_text(body: str, body_zstd: bytes | None, item_ids: str | None) -> str:
    """The sealed text of a stored record (UnreadableBody when it cannot be read back)."""
    if body_zstd is None:
        return body
    if body:  # a compressed record's `body` is empty: anything there was written since
        raise UnreadableBody("a compressed record has text in its plain body as well")
    if item_ids is None:
        raise UnreadableBody("a compressed record has lost the item ids it is read with")
    stored = bytes(body_zstd)
    if stored[:1] == WITH_SHIPPED:
        frame, content = stored[1:], _shipped() + item_ids.encode()
    elif stored[:4] == ZSTD_MAGIC:
        frame, content = stored, item_ids.encode()
    else:
        raise UnreadableBody("its compressed body is in no form the log writes")
    try:
        reader = zstandard.ZstdDecompressor(dict_data=_dictionary(content))
        return reader.decompress(frame, max_output_size=MAX_BODY_BYTES).decode()
    except (zstandard.ZstdError, UnicodeDecodeError) as bad:
        raise UnreadableBody(f"its compressed body does not decompress ({bad})") from None


# The columns a record's text is read from, in body_text's order.
STORED = (AuditRecordRow.body, AuditRecordRow.body_zstd, AuditRecordRow.item_ids)


def record_text(row: AuditRecordRow) -> str:
    return body_text(row.body, row.body_zstd, row.item_ids)


def _dictionary(content: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(content, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


@functools.cache
def _shipped() -> bytes:
    """The shipped text, refused if it is not the one records were compressed with (they would
    read as damaged, and verify would name them edited)."""
    text = gzip.decompress(SHIPPED.read_bytes())
    if hashlib.sha256(text).hexdigest() != SHIPPED_SHA256:
        raise RuntimeError(f"{SHIPPED} is not the text audit records were compressed with")
    return text


# What a seal covers of each row, in this order: the columns as they were when sealing began
# (a column added later is not covered; `sealed_by` is the seal itself).
SEALED_TABLES: dict[str, Any] = {
    "interactions": InteractionRow.__table__,
    "oversight": OversightEventRow.__table__,
}
SEALED_COLUMNS: dict[str, tuple[str, ...]] = {
    "interactions": (
        "id",
        "request_id",
        "employee_external_id",
        "opportunity_external_id",
        "type",
        "position",
        "rating",
        "occurred_at",
        "actor_role",
        "actor",
        "details",
    ),
    "oversight": (
        "id",
        "at",
        "actor_role",
        "actor",
        "action",
        "kind",
        "opportunity_external_id",
        "reason",
        "details",
    ),
}


def lock_chain(session: Session) -> None:
    """Appenders in other processes wait here for this transaction to end, instead of racing
    for the same sequence numbers and retrying (two server workers did, a lot)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK})
    elif dialect == "sqlite":
        # Take the write lock first: a read snapshot that later tries to write fails at once
        # when another process committed in between.
        session.execute(text("BEGIN IMMEDIATE"))


def newest(session: Session) -> tuple[int, str]:
    """(sequence number, seal) of the newest record; (0, genesis) for an empty log."""
    query = select(AuditRecordRow.seq, AuditRecordRow.hash).order_by(AuditRecordRow.seq.desc())
    last = session.execute(query.limit(1)).first()
    return (last[0], last[1]) if last else (0, GENESIS)


def chain_ends(session: Session) -> tuple[tuple[int, str], tuple[int, str]]:
    """`newest` and `newest_seal` in one statement (one round trip, one snapshot)."""

    def last(table: Any) -> tuple[Any, Any]:
        newest_first = select(table.seq).order_by(table.seq.desc()).limit(1).scalar_subquery()
        top = select(table.hash).order_by(table.seq.desc()).limit(1).scalar_subquery()
        return newest_first, top

    row = session.execute(select(*last(AuditRecordRow), *last(AuditSealRow))).one()
    record = (row[0], row[1]) if row[0] is not None else (0, GENESIS)
    seal = (row[2], row[3]) if row[2] is not None else (0, GENESIS)
    return record, seal


def taken_request_ids(session: Session, request_ids: Iterable[str]) -> set[str]:
    query = select(AuditRecordRow.request_id)
    return set(scalars_in(session, query, AuditRecordRow.request_id, request_ids))


def add_record(session: Session, row: AuditRecordRow) -> None:
    session.add(row)


def records_in_order(session: Session, *, batch: int = 2000) -> Iterator[AuditRecordRow]:
    """Every row, oldest first, `batch` at a time (detached: safe to keep)."""
    last: int | None = None
    while True:
        query = select(AuditRecordRow).order_by(AuditRecordRow.seq).limit(batch)
        if last is not None:
            query = query.where(AuditRecordRow.seq > last)
        rows = list(session.scalars(query))
        for row in rows:
            session.expunge(row)
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def find_body(session: Session, request_id: str) -> str | None:
    """The body filed under a request id (the newest, if an id was reused)."""
    query = select(*STORED).where(AuditRecordRow.request_id == request_id)
    found = session.execute(query.order_by(AuditRecordRow.seq.desc()).limit(1)).first()
    return body_text(*found) if found is not None else None


def bodies(
    session: Session,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    direction: str | None = None,
    query_external_id: str | None = None,
    newest_first: bool = False,
    limit: int | None = None,
) -> Iterator[str]:
    """Record bodies served in [start, end) (aware times), oldest first (or newest first, at
    most `limit` of them)."""
    order = AuditRecordRow.seq.desc() if newest_first else AuditRecordRow.seq
    query = select(*STORED).order_by(order).limit(limit)
    if start is not None:
        query = query.where(AuditRecordRow.served_at >= start)
    if end is not None:
        query = query.where(AuditRecordRow.served_at < end)
    if direction is not None:
        query = query.where(AuditRecordRow.direction == direction)
    if query_external_id is not None:
        query = query.where(AuditRecordRow.query_external_id == query_external_id)
    result = session.execute(query.execution_options(yield_per=500))
    try:
        for stored in result:
            yield body_text(*stored)
    finally:  # a consumer that stops early must not leave a server cursor open
        result.close()


def stored_bytes(session: Session, *, after_seq: int = 0) -> tuple[int, float]:
    """(records, mean bytes each) filed after `after_seq`: what the log grows by a served list
    (the body as stored and the search columns; the database's own overhead not counted)."""
    size = (
        func.length(AuditRecordRow.body)
        + func.coalesce(func.length(AuditRecordRow.body_zstd), 0)
        + func.coalesce(func.length(AuditRecordRow.item_ids), 0)
    )
    query = select(func.count(), func.avg(size)).where(AuditRecordRow.seq > after_seq)
    count, mean = session.execute(query).one()
    return int(count), float(mean or 0.0)


def record_hash(session: Session, seq: int) -> str | None:
    return session.scalar(select(AuditRecordRow.hash).where(AuditRecordRow.seq == seq))


def records_after(session: Session, seq: int, *, limit: int) -> list[AuditRecordRow]:
    """At most `limit` rows after `seq`, oldest first (detached)."""
    query = select(AuditRecordRow).where(AuditRecordRow.seq > seq).order_by(AuditRecordRow.seq)
    rows = list(session.scalars(query.limit(limit)))
    for row in rows:
        session.expunge(row)
    return rows


# -- seals over the interaction log and the oversight record -------------------------------


def newest_seal(session: Session) -> tuple[int, str]:
    """(sequence number, seal) of the newest seal; (0, genesis) when nothing is sealed."""
    query = select(AuditSealRow.seq, AuditSealRow.hash).order_by(AuditSealRow.seq.desc())
    last = session.execute(query.limit(1)).first()
    return (last[0], last[1]) if last else (0, GENESIS)


def seal_hash(session: Session, seq: int) -> str | None:
    return session.scalar(select(AuditSealRow.hash).where(AuditSealRow.seq == seq))


def add_seal(session: Session, row: AuditSealRow) -> None:
    session.add(row)
    session.flush()


def claim_unsealed(session: Session, stream: str, *, seal: int, limit: int) -> list[dict[str, Any]]:
    """Stamp up to `limit` committed, unsealed rows of `stream` (oldest first) as covered by
    `seal`, and return what they hold (times as aware UTC): one statement, so the rows sealed
    are exactly the rows stamped."""
    table = SEALED_TABLES[stream]
    # Rows another transaction holds (one deleting a company's data) are left for the next
    # seal: waiting for them while holding others would deadlock with it (PostgreSQL).
    oldest = (
        select(table.c.id)
        .where(table.c.sealed_by.is_(None))
        .order_by(table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    # The ids first, then the update: as one statement (`id IN (subquery)`), a table whose
    # statistics still said "1 row" after a bulk load was planned as a nested loop that ran
    # the locking subquery once per row (47k rows: minutes, holding the chain's lock).
    ids = list(session.scalars(oldest))
    if not ids:
        return []
    statement = (
        table.update()
        .where(table.c.id.in_(ids))
        .values(sealed_by=seal)
        .returning(*(table.c[name] for name in SEALED_COLUMNS[stream]))
    )
    rows = [_plain(row._mapping) for row in session.execute(statement)]
    return sorted(rows, key=lambda row: row["id"])


def has_unsealed(session: Session) -> bool:
    for table in SEALED_TABLES.values():
        query = select(table.c.id).where(table.c.sealed_by.is_(None)).limit(1)
        if session.execute(query).first() is not None:
            return True
    return False


def unsealed(session: Session, stream: str, *, after_seal: int | None = None) -> int:
    """Rows of `stream` no seal covers yet (or, with `after_seal`, none up to that seal)."""
    table = SEALED_TABLES[stream]
    condition = table.c.sealed_by.is_(None)
    if after_seal is not None:
        condition = or_(condition, table.c.sealed_by > after_seal)
    return session.scalar(select(func.count()).select_from(table).where(condition)) or 0


def seals_after(session: Session, seq: int, *, limit: int | None = None) -> list[AuditSealRow]:
    """Seals after `seq`, oldest first (detached)."""
    query = select(AuditSealRow).where(AuditSealRow.seq > seq).order_by(AuditSealRow.seq)
    rows = list(session.scalars(query.limit(limit)))
    for row in rows:
        session.expunge(row)
    return rows


def stamped_beyond(session: Session, stream: str, seal: int) -> list[tuple[int, int]]:
    """(id, seal) of the rows of `stream` stamped with a seal after `seal`."""
    table = SEALED_TABLES[stream]
    query = select(table.c.id, table.c.sealed_by).where(table.c.sealed_by > seal)
    return [(row_id, stamp) for row_id, stamp in session.execute(query.order_by(table.c.id))]


def sealed_rows(session: Session, stream: str, first: int, last: int) -> list[dict[str, Any]]:
    """The rows of `stream` stamped with a seal in [first, last], by seal then id, with
    `sealed_by` (times as aware UTC)."""
    table = SEALED_TABLES[stream]
    columns = [table.c[name] for name in SEALED_COLUMNS[stream]]
    query = (
        select(*columns, table.c.sealed_by)
        .where(table.c.sealed_by.between(first, last))
        .order_by(table.c.sealed_by, table.c.id)
    )
    return [_plain(row._mapping) for row in session.execute(query)]


def _plain(row: Any) -> dict[str, Any]:
    """A row's values with times in aware UTC: SQLite hands them back without an offset."""
    return {
        name: _utc(value) if isinstance(value, dt.datetime) else value
        for name, value in row.items()
    }


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# -- telling the audit log that sealable rows were committed --------------------------------

_SEALABLE = "talent.audit.sealable"  # a Session.info key: this transaction wrote such rows
_watchers: dict[str, list[weakref.WeakMethod[Callable[[], None]]]] = {}
_watchers_lock = threading.Lock()


def watch_commits(engine: Engine, callback: Callable[[], None]) -> None:
    """Call `callback` (a bound method, held weakly: it must return at once) after any
    session on `engine`'s database commits interactions or oversight events."""
    key = _database(engine)
    with _watchers_lock:
        alive = [ref for ref in _watchers.get(key, []) if ref() is not None]
        _watchers[key] = [*alive, weakref.WeakMethod(callback)]


def unwatch_commits(engine: Engine, callback: Callable[[], None]) -> None:
    key = _database(engine)
    with _watchers_lock:
        _watchers[key] = [
            ref for ref in _watchers.get(key, []) if ref() is not None and ref() != callback
        ]


def mark_sealable(session: Session) -> None:
    """Rows were written without the ORM's unit of work (bulk inserts): say so by hand."""
    session.info[_SEALABLE] = True


def _database(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@event.listens_for(InteractionRow, "after_insert")
@event.listens_for(OversightEventRow, "after_insert")
def _inserted(_mapper: Any, _connection: Any, target: Any) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_SEALABLE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if not session.info.pop(_SEALABLE, False):
        return
    try:
        key = _database(session.get_bind().engine)
    except Exception:  # a session without a single bind: nothing to tell
        return
    with _watchers_lock:
        refs = list(_watchers.get(key, ()))
    for ref in refs:
        callback = ref()
        if callback is not None:
            callback()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_SEALABLE, None)
