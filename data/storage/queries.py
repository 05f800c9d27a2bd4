"""Queries by many keys, and rows by their keys: the one place that splits a long IN list.

SQLite refuses statements with more than 999 bound parameters, so a list of keys is asked for
in chunks of 900; PostgreSQL is asked the same way (the chunks are rarely more than one).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

MAX_PARAMETERS = 900

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def chunked(values: Iterable[T], size: int = MAX_PARAMETERS) -> Iterator[list[T]]:
    """The distinct values, in first-seen order, `size` at a time."""
    distinct = list(dict.fromkeys(values))
    for start in range(0, len(distinct), size):
        yield distinct[start : start + size]


def rows_in(
    session: Session, query: Select[Any], column: InstrumentedAttribute[Any], values: Iterable[Any]
) -> list[Any]:
    """The result rows of `query` where `column` is one of `values`."""
    return [
        row for chunk in chunked(values) for row in session.execute(query.where(column.in_(chunk)))
    ]


def scalars_in(
    session: Session, query: Select[Any], column: InstrumentedAttribute[Any], values: Iterable[Any]
) -> list[Any]:
    """The first column (or the entity) of `query` where `column` is one of `values`."""
    return [x for chunk in chunked(values) for x in session.scalars(query.where(column.in_(chunk)))]


def rows_by_key(
    session: Session, table: type[T], key: InstrumentedAttribute[K], values: Iterable[K]
) -> dict[K, T]:
    """ORM rows of `table` whose `key` column is one of `values`, by that key."""
    return {getattr(row, key.key): row for row in scalars_in(session, select(table), key, values)}


def rows_by_external_id(
    session: Session, table: type[T], external_ids: Sequence[str]
) -> dict[str, T]:
    """Employees, opportunities or courses by external id (unknown ids are left out)."""
    return rows_by_key(session, table, table.external_id, external_ids)  # type: ignore[attr-defined]


def rows_by_id(session: Session, table: type[T], row_ids: Iterable[int]) -> dict[int, T]:
    return rows_by_key(session, table, table.id, row_ids)  # type: ignore[attr-defined]


def batches(session: Session, table: type[T], size: int) -> Iterator[list[T]]:
    """Every row of `table` (employees or opportunities), `size` at a time, in id order."""
    last = 0
    while True:
        query = select(table).where(table.id > last).order_by(table.id).limit(size)  # type: ignore[attr-defined]
        rows = list(session.scalars(query))
        if not rows:
            return
        yield rows
        last = rows[-1].id  # type: ignore[attr-defined]


def rows_of(session: Session, table: type[T], row_ids: Sequence[int]) -> list[T]:
    """ORM rows of `table` with these ids (unknown ids are left out)."""
    return list(rows_by_id(session, table, row_ids).values())
