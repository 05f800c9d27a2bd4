"""The queries behind HR's search of the served-ranking log (serving/usecases/audit_search.py):
the newest rankings' columns, titles and names by external id, external ids a word names, and
the rankings that listed any of some ids as an item."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from data.storage.tables import AuditRecordRow, EmployeeRow, OpportunityRow


def newest_rankings(
    session: Session,
    *,
    kind: str | None,
    direction: str | None,
    request_prefix: str | None = None,
    limit: int,
) -> list[Any]:
    """(seq, request_id, served_at, direction, kind, query_external_id), newest first."""
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
    if request_prefix is not None:
        query = query.where(AuditRecordRow.request_id.startswith(request_prefix, autoescape=True))
    return list(session.execute(query.limit(limit)))


def opportunity_titles(session: Session, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(OpportunityRow.external_id, OpportunityRow.title)
    rows = session.execute(query.where(OpportunityRow.external_id.in_(wanted)))
    return {external_id: title for external_id, title in rows}


def person_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(EmployeeRow.external_id, EmployeeRow.name)
    rows = session.execute(query.where(EmployeeRow.external_id.in_(wanted)))
    return {external_id: name for external_id, name in rows}


def ids_named(
    session: Session, what: Literal["people", "opportunities"], word: str, *, limit: int
) -> list[str]:
    """External ids whose id is `word` or whose name (people) or title (opportunities) holds
    it, case-insensitively; at most `limit`."""
    table: Any = EmployeeRow if what == "people" else OpportunityRow
    text = EmployeeRow.name if what == "people" else OpportunityRow.title
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(table.external_id).where(
        or_(
            func.lower(table.external_id) == word.lower(),
            func.lower(text).like(f"%{escaped.lower()}%", escape="\\"),
        )
    )
    return list(session.scalars(query.limit(limit)))


def rankings_listing(session: Session, since_seq: int, ids: Sequence[str]) -> set[int]:
    """Rankings (by seq, from `since_seq` on) that listed any of `ids` as an item: a record's
    `item_ids` is a JSON array, so an item reads as its JSON string; a record filed before that
    column (revision 0023) is searched in its plain body, canonical JSON, where an item reads
    `"id":"X"`."""
    if not ids:
        return set()
    listed = or_(*(AuditRecordRow.item_ids.contains(json_string(i), autoescape=True) for i in ids))
    in_body = or_(*(AuditRecordRow.body.contains(f'"id":"{i}"', autoescape=True) for i in ids))
    query = select(AuditRecordRow.seq).where(
        AuditRecordRow.seq >= since_seq,
        or_(listed, and_(AuditRecordRow.item_ids.is_(None), in_body)),
    )
    return set(session.scalars(query))


def json_string(value: str) -> str:
    """An id as the canonical JSON of a record writes it (fairness/audit_log.canonical)."""
    return json.dumps(value, ensure_ascii=True)
