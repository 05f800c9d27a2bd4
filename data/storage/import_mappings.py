"""Column mappings of uploaded files, remembered per kind and header row."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.storage.tables import ImportMappingRow


def saved_mapping(session: Session, kind: str, header_key: str) -> ImportMappingRow | None:
    return session.scalar(
        select(ImportMappingRow).where(
            ImportMappingRow.kind == kind, ImportMappingRow.header_key == header_key
        )
    )


def save_mapping(
    session: Session,
    *,
    kind: str,
    header_key: str,
    headers: list[str],
    mapping: dict[str, str | None],
    by: str,
) -> ImportMappingRow:
    row = saved_mapping(session, kind, header_key)
    if row is None:
        row = ImportMappingRow(kind=kind, header_key=header_key)
        session.add(row)
    row.headers, row.mapping = list(headers), dict(mapping)
    row.updated_by, row.updated_at = by, dt.datetime.now(dt.UTC)
    session.flush()
    return row
