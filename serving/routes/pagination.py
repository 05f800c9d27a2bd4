"""Opaque cursors for `{items, next_cursor}` lists (the last row id, base-10)."""

from __future__ import annotations

from serving.errors import InvalidField

MAX_ROW_ID = 2**31 - 1


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    # isdigit() alone accepts "²"; row ids are 32-bit integers on PostgreSQL.
    if not (cursor.isascii() and cursor.isdigit() and int(cursor) < MAX_ROW_ID):
        raise InvalidField("cursor", "not a cursor returned by this API", where="query")
    return int(cursor)


def next_cursor(row_ids: list[int], limit: int) -> str | None:
    return str(row_ids[-1]) if len(row_ids) == limit else None
