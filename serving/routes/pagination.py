"""Opaque cursors for `{items, next_cursor}` lists (the last row id, base-10)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from serving.errors import InvalidField

MAX_ROW_ID = 2**31 - 1
# What the API hands out (row ids stay well below 10^9 here): documented, so a client or a
# fuzzer knows the shape without guessing.
Cursor = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{1,9}$", description="`next_cursor` of the previous page"),
]


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    # isdigit() alone accepts "²"; row ids are 32-bit integers on PostgreSQL.
    if not (cursor.isascii() and cursor.isdigit() and int(cursor) < MAX_ROW_ID):
        raise InvalidField("cursor", "not a cursor returned by this API", where="query")
    return int(cursor)


def next_cursor(row_ids: list[int], limit: int) -> str | None:
    return str(row_ids[-1]) if len(row_ids) == limit else None
