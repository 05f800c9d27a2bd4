"""Interleaving tests stored: the setting per kind and direction, and the reads that count one
(the interleaved lists' sealed records and the interactions on their items)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from data.storage.audit import STORED, body_text
from data.storage.tables import AuditRecordRow, InteractionRow, InterleavingRow

# A record filed before the `interleaved` column (revision 0023) says so only in its plain
# body, canonical JSON (fairness/audit_log.canonical), which writes the key this way: a
# plain-text filter skips the lists that were not interleaved without parsing them.
INTERLEAVED_MARK = '%"interleaving":{%'


def setting(session: Session, kind: str, direction: str) -> InterleavingRow | None:
    return session.get(InterleavingRow, (kind, direction))


def all_settings(session: Session) -> list[InterleavingRow]:
    query = select(InterleavingRow).order_by(InterleavingRow.kind, InterleavingRow.direction)
    return list(session.scalars(query))


def save_setting(
    session: Session,
    kind: str,
    direction: str,
    *,
    challenger_version: str,
    enabled: bool,
    by: str,
    now: dt.datetime,
) -> InterleavingRow:
    """Store the setting; a new challenger (or turning it back on) starts a new count."""
    row = setting(session, kind, direction)
    if row is None:
        row = InterleavingRow(kind=kind, direction=direction)
        session.add(row)
    if (
        enabled and (not row.enabled or row.challenger_version != challenger_version)
    ) or row.started_at is None:
        row.started_at = now
    row.challenger_version, row.enabled = challenger_version, enabled
    row.updated_by, row.updated_at = by, now
    session.flush()
    return row


def interleaved_bodies(
    session: Session, *, direction: str, kind: str, since: dt.datetime
) -> Iterator[str]:
    """Bodies of the interleaved lists of a kind and direction served from `since`, oldest
    first."""
    query = (
        select(*STORED)
        .where(
            AuditRecordRow.direction == direction,
            AuditRecordRow.kind == kind,
            AuditRecordRow.served_at >= since,
            or_(
                AuditRecordRow.interleaved.is_(True),
                and_(
                    AuditRecordRow.interleaved.is_(None),
                    AuditRecordRow.body.like(INTERLEAVED_MARK),
                ),
            ),
        )
        .order_by(AuditRecordRow.seq)
    )
    result = session.execute(query.execution_options(yield_per=500))
    try:
        for stored in result:
            yield body_text(*stored)
    finally:
        result.close()


def interactions_since(
    session: Session,
    *,
    direction: str,
    queries: Sequence[str],
    types: Sequence[str],
    since: dt.datetime,
) -> list[InteractionRow]:
    """Interactions of these types from `since` on the lists of these queries (employees for
    their matches, opportunities for their candidates), oldest first."""
    if not queries:
        return []
    column = (
        InteractionRow.employee_external_id
        if direction == "employee"
        else InteractionRow.opportunity_external_id
    )
    rows: list[InteractionRow] = []
    for start in range(0, len(queries), 500):  # bounded IN lists on either backend
        query = select(InteractionRow).where(
            column.in_(queries[start : start + 500]),
            InteractionRow.type.in_(list(types)),
            InteractionRow.occurred_at >= since,
        )
        rows.extend(session.scalars(query))
    return sorted(rows, key=lambda r: r.id)
