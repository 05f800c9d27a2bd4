"""Queries by many keys, and rows by their keys: the one place that splits a long IN list.

SQLite refuses statements with more than 999 bound parameters, so a list of keys is asked for
in chunks of 900. PostgreSQL gets the keys as one array parameter (`key = ANY(:keys)`): the
statement's text is then the same whatever the number of keys, so psycopg prepares it once,
where an IN list of 200 parameters was parsed and planned again each time (200 people's
protected attributes at 100k people: 2.7-4.1 ms against 1.2-1.8 ms).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ARRAY, ColumnElement, CursorResult, Result, Select, any_, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session

MAX_PARAMETERS = 900

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def affected_rows(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE run through `Session.execute` matched.

    `Session.execute` is annotated to return `Result`; for a DML statement it returns the
    `CursorResult` that carries `rowcount`. Narrowed here once, not ignored at every caller.
    """
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount


def chunked(values: Iterable[T], size: int = MAX_PARAMETERS) -> Iterator[list[T]]:
    """The distinct values, in first-seen order, `size` at a time."""
    distinct = list(dict.fromkeys(values))
    for start in range(0, len(distinct), size):
        yield distinct[start : start + size]


def one_of(session: Session, column: Any, values: Iterable[Any]) -> Iterator[ColumnElement[bool]]:
    """Conditions that together select the rows whose `column` is one of `values`: one
    `= ANY(array)` on PostgreSQL, IN lists of at most MAX_PARAMETERS elsewhere (none for no
    values)."""
    if session.get_bind().dialect.name == "postgresql":
        distinct = list(dict.fromkeys(values))
        if distinct:
            yield column == any_(literal(distinct, ARRAY(column.type)))
        return
    for chunk in chunked(values):
        yield column.in_(chunk)


def rows_in(
    session: Session,
    query: Select[*tuple[Any, ...]],
    column: InstrumentedAttribute[Any],
    values: Iterable[Any],
) -> list[Any]:
    """The result rows of `query` where `column` is one of `values`."""
    return [
        row
        for condition in one_of(session, column, values)
        for row in session.execute(query.where(condition))
    ]


def scalars_in(
    session: Session,
    query: Select[*tuple[Any, ...]],
    column: InstrumentedAttribute[Any],
    values: Iterable[Any],
) -> list[Any]:
    """The first column (or the entity) of `query` where `column` is one of `values`."""
    return [
        x
        for condition in one_of(session, column, values)
        for x in session.scalars(query.where(condition))
    ]


def rows_by_key(
    session: Session, table: type[T], key: InstrumentedAttribute[K], values: Iterable[K]
) -> dict[K, T]:
    """ORM rows of `table` whose `key` column is one of `values`, by that key."""
    return {getattr(row, key.key): row for row in scalars_in(session, select(table), key, values)}


# The `type: ignore[attr-defined]` below: `T` is any mapped table with the column read, and no
# Protocol can say so (mypy matches none against a `Mapped[...]` class attribute, and a TypeVar
# constrained to the tables refuses the `type[EmployeeRow] | type[OpportunityRow]` callers pass).


def rows_by_external_id(
    session: Session, table: type[T], external_ids: Sequence[str]
) -> dict[str, T]:
    """Employees, opportunities or courses by external id (unknown ids are left out)."""
    column = table.external_id  # type: ignore[attr-defined]  # any table with the column
    return rows_by_key(session, table, column, external_ids)


def rows_by_id(session: Session, table: type[T], row_ids: Iterable[int]) -> dict[int, T]:
    column = table.id  # type: ignore[attr-defined]  # any table with the column
    return rows_by_key(session, table, column, row_ids)


def batches(session: Session, table: type[T], size: int) -> Iterator[list[T]]:
    """Every row of `table` (employees or opportunities), `size` at a time, in id order."""
    row_id = table.id  # type: ignore[attr-defined]  # any table with the column
    last = 0
    while True:
        query = select(table).where(row_id > last).order_by(row_id).limit(size)
        rows = list(session.scalars(query))
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], row_id.key)


def rows_of(session: Session, table: type[T], row_ids: Sequence[int]) -> list[T]:
    """ORM rows of `table` with these ids (unknown ids are left out)."""
    return list(rows_by_id(session, table, row_ids).values())
