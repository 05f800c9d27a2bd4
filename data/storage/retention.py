"""Rows of retention: HR's periods, the purges of old records and the signed redactions an
erasure leaves (fairness/audit_log.py reads the last two when it verifies), and the deletions
a purge makes. Only reads and writes rows: the use case (serving/usecases/retention.py)
decides what goes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Text, delete, func, or_, select
from sqlalchemy.orm import Session

from data.storage.audit import SEALED_COLUMNS, SEALED_TABLES, STORED, _plain, body_text, pack_body
from data.storage.queries import affected_rows
from data.storage.tables import (
    AuditPurgeRow,
    AuditRecordRow,
    AuditRedactionRow,
    AuditSealRow,
    EmployeeRow,
    OutboxRow,
    RetentionPolicyRow,
)

FINISHED = ("sent", "failed", "cancelled")  # notifications nobody will send again


def stored_periods(session: Session) -> dict[str, RetentionPolicyRow]:
    return {row.kind: row for row in session.scalars(select(RetentionPolicyRow))}


def save_period(session: Session, kind: str, days: int, *, by: str, now: dt.datetime) -> None:
    row = session.get(RetentionPolicyRow, kind)
    if row is None:
        session.add(RetentionPolicyRow(kind=kind, days=days, updated_at=now, updated_by=by))
    else:
        row.days, row.updated_at, row.updated_by = days, now, by
    session.flush()


# -- purges -----------------------------------------------------------------------------------


def purge_base(session: Session) -> str | None:
    """The newest purge's signed checkpoint (JSON), None when nothing was ever purged."""
    query = select(AuditPurgeRow.base).order_by(AuditPurgeRow.id.desc()).limit(1)
    return session.scalar(query)


def add_purge(session: Session, row: AuditPurgeRow) -> None:
    session.add(row)
    session.flush()


def purges(session: Session, *, limit: int = 20) -> list[AuditPurgeRow]:
    query = select(AuditPurgeRow).order_by(AuditPurgeRow.id.desc()).limit(limit)
    return list(session.scalars(query))


def last_record_before(session: Session, cutoff: dt.datetime) -> tuple[int, str] | None:
    """(seq, seal) of the newest record served before `cutoff`, never the log's newest record
    (the head file vouches for it: deleting it would read as a truncation)."""
    newest = session.scalar(select(func.max(AuditRecordRow.seq)))
    if newest is None:
        return None
    query = (
        select(AuditRecordRow.seq, AuditRecordRow.hash)
        .where(AuditRecordRow.served_at < cutoff, AuditRecordRow.seq < newest)
        .order_by(AuditRecordRow.seq.desc())
        .limit(1)
    )
    found = session.execute(query).first()
    return (found[0], found[1]) if found else None


def seals_in_order(session: Session, *, after: int, limit: int) -> list[AuditSealRow]:
    query = select(AuditSealRow).where(AuditSealRow.seq > after).order_by(AuditSealRow.seq)
    return list(session.scalars(query.limit(limit)))


def newest_seal_seq(session: Session) -> int:
    return session.scalar(select(func.max(AuditSealRow.seq))) or 0


def count_records_through(session: Session, seq: int) -> int:
    query = select(func.count()).select_from(AuditRecordRow).where(AuditRecordRow.seq <= seq)
    return session.scalar(query) or 0


def delete_records_through(session: Session, seq: int) -> int:
    result = session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq <= seq))
    session.execute(
        delete(AuditRedactionRow).where(
            AuditRedactionRow.stream == "records", AuditRedactionRow.row_key <= seq
        )
    )
    return affected_rows(result)


def count_sealed_through(session: Session, stream: str, seal: int) -> int:
    table = SEALED_TABLES[stream]
    query = select(func.count()).select_from(table).where(table.c.sealed_by <= seal)
    return session.scalar(query) or 0


def delete_sealed_through(session: Session, seal: int) -> dict[str, int]:
    """Delete the seals up to `seal` and every row they cover; rows deleted, per stream."""
    deleted: dict[str, int] = {}
    for stream, table in SEALED_TABLES.items():
        ids = select(table.c.id).where(table.c.sealed_by <= seal)
        session.execute(
            delete(AuditRedactionRow).where(
                AuditRedactionRow.stream == stream, AuditRedactionRow.row_key.in_(ids)
            )
        )
        result = session.execute(delete(table).where(table.c.sealed_by <= seal))
        deleted[stream] = affected_rows(result)
    session.execute(delete(AuditSealRow).where(AuditSealRow.seq <= seal))
    return deleted


# -- redactions -------------------------------------------------------------------------------


def redaction_rows(session: Session) -> list[AuditRedactionRow]:
    return list(session.scalars(select(AuditRedactionRow)))


def save_redaction(session: Session, **values: Any) -> None:
    """One redaction per row: a later erasure's replaces the earlier one."""
    row = session.scalar(
        select(AuditRedactionRow).where(
            AuditRedactionRow.stream == values["stream"],
            AuditRedactionRow.row_key == values["row_key"],
        )
    )
    if row is None:
        session.add(AuditRedactionRow(**values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()


def _naming(external_id: str) -> Any:
    """Records that may name the id: asked about, or among the scored items."""
    quoted = f'%"{_escaped(external_id)}"%'
    return or_(
        AuditRecordRow.query_external_id == external_id,
        AuditRecordRow.item_ids.like(quoted, escape="\\"),
        # Filed before revision 0023: no item column, the text in `body`.
        AuditRecordRow.body.like(quoted, escape="\\"),
    )


def records_naming(session: Session, external_id: str) -> list[AuditRecordRow]:
    """Records that may name the id, oldest first, locked for the erasure's rewrite; the
    caller reads each text to be sure."""
    query = select(AuditRecordRow).where(_naming(external_id)).order_by(AuditRecordRow.seq)
    return list(session.scalars(query.with_for_update()))


def record_texts_naming(session: Session, external_id: str) -> list[str]:
    """The sealed texts of the records that may name the id, oldest first."""
    query = select(*STORED).where(_naming(external_id)).order_by(AuditRecordRow.seq)
    return [body_text(*row) for row in session.execute(query)]


def rows_naming(
    session: Session, stream: str, external_id: str, columns: Iterable[str]
) -> list[dict[str, Any]]:
    """The sealed columns (and `sealed_by`) of the rows of `stream` whose `columns` equal the
    id or whose details mention it, locked: the sealing thread skips locked rows."""
    table = SEALED_TABLES[stream]
    quoted = f'%"{_escaped(external_id)}"%'
    conditions = [table.c[name] == external_id for name in columns]
    conditions.append(table.c.details.cast(Text).like(quoted, escape="\\"))
    query = (
        select(*(table.c[name] for name in SEALED_COLUMNS[stream]), table.c.sealed_by)
        .where(or_(*conditions))
        .order_by(table.c.id)
        .with_for_update()
    )
    return [_plain(row._mapping) for row in session.execute(query)]


def rewrite_record(
    row: AuditRecordRow, text: str, *, item_ids: str, query_external_id: str
) -> None:
    """An erased record's new sealed text, stored in the form the record has: compressed
    with its item ids (which the text's items may have changed), or plain."""
    if row.body_zstd is not None:
        row.body_zstd, row.item_ids = pack_body(text, item_ids), item_ids
    else:
        row.body = text
    row.query_external_id = query_external_id


def rewrite_row(session: Session, stream: str, row_id: int, values: dict[str, Any]) -> None:
    table = SEALED_TABLES[stream]
    session.execute(table.update().where(table.c.id == row_id).values(**values))


def seal_body(session: Session, seq: int) -> str | None:
    return session.scalar(select(AuditSealRow.body).where(AuditSealRow.seq == seq))


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- people who left, finished notifications --------------------------------------------------


def departed_before(session: Session, cutoff: dt.datetime) -> list[EmployeeRow]:
    """People deactivated before `cutoff` (their profile's period has run out)."""
    query = (
        select(EmployeeRow)
        .where(EmployeeRow.active.is_(False), EmployeeRow.deactivated_at < cutoff)
        .order_by(EmployeeRow.id)
    )
    return list(session.scalars(query))


def _finished(cutoff: dt.datetime) -> tuple[Any, ...]:
    return (OutboxRow.status.in_(FINISHED), OutboxRow.created_at < cutoff)


def finished_messages(session: Session, cutoff: dt.datetime) -> int:
    query = select(func.count()).select_from(OutboxRow).where(*_finished(cutoff))
    return session.scalar(query) or 0


def delete_finished_messages(session: Session, cutoff: dt.datetime) -> int:
    result = session.execute(delete(OutboxRow).where(*_finished(cutoff)))
    return affected_rows(result)
