"""The audit_records table: append-only rows of the sealed chain (fairness/audit_log.py seals
them; this module only reads and writes rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data.storage.queries import scalars_in
from data.storage.tables import AuditRecordRow

GENESIS = "0" * 64  # the link of the first record
# Any fixed number: the advisory lock PostgreSQL appenders queue on.
_CHAIN_LOCK = 0x7A1E47


def lock_chain(session: Session) -> None:
    """Appenders in other processes wait here for this transaction to end, instead of racing
    for the same sequence numbers and retrying (two server workers did, a lot)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    elif dialect == "sqlite":
        # Take the write lock first: a read snapshot that later tries to write fails at once
        # when another process committed in between.
        session.execute(text("BEGIN IMMEDIATE"))


def newest(session: Session) -> tuple[int, str]:
    """(sequence number, seal) of the newest record; (0, genesis) for an empty log."""
    query = select(AuditRecordRow.seq, AuditRecordRow.hash).order_by(AuditRecordRow.seq.desc())
    last = session.execute(query.limit(1)).first()
    return (last[0], last[1]) if last else (0, GENESIS)


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
    query = select(AuditRecordRow.body).where(AuditRecordRow.request_id == request_id)
    return session.scalar(query.order_by(AuditRecordRow.seq.desc()).limit(1))


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
    query = select(AuditRecordRow.body).order_by(order).limit(limit)
    if start is not None:
        query = query.where(AuditRecordRow.served_at >= start)
    if end is not None:
        query = query.where(AuditRecordRow.served_at < end)
    if direction is not None:
        query = query.where(AuditRecordRow.direction == direction)
    if query_external_id is not None:
        query = query.where(AuditRecordRow.query_external_id == query_external_id)
    result = session.scalars(query.execution_options(yield_per=500))
    try:
        yield from result
    finally:  # a consumer that stops early must not leave a server cursor open
        result.close()


def recent_records(
    session: Session,
    *,
    kind: str | None = None,
    direction: str | None = None,
    request_id: str | None = None,
    limit: int = 50,
) -> list[Any]:
    """(seq, request id, served at, direction, kind, query id) of the newest records,
    filtered; a `request_id` matches as a prefix."""
    query = select(
        AuditRecordRow.seq,
        AuditRecordRow.request_id,
        AuditRecordRow.served_at,
        AuditRecordRow.direction,
        AuditRecordRow.kind,
        AuditRecordRow.query_external_id,
    ).order_by(AuditRecordRow.seq.desc())
    if kind is not None:
        query = query.where(AuditRecordRow.kind == kind)
    if direction is not None:
        query = query.where(AuditRecordRow.direction == direction)
    if request_id is not None:
        query = query.where(AuditRecordRow.request_id.startswith(request_id, autoescape=True))
    return list(session.execute(query.limit(limit)))
