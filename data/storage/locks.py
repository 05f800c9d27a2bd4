"""One writer per profile or posting: what a read-modify-write reads is what it overwrites.

PostgreSQL locks the rows (`SELECT ... FOR NO KEY UPDATE`): a second writer of the same row
waits for the first to commit, then reads what it wrote. SQLite locks the whole database for
writing, and pysqlite only starts a transaction at the first INSERT/UPDATE/DELETE, so what a
request read before that could be stale by then (8 concurrent PATCHes of one profile left the
union of their skill lists): `begin_write` takes the write lock (`BEGIN IMMEDIATE`) before the
read instead.

Rows read before the lock was taken are refreshed if another writer changed them since, as
their `version` (bumped by every write of the row) tells.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from data.storage.queries import chunked, rows_by_external_id
from data.storage.tables import EmployeeRow, OpportunityRow

Versioned = TypeVar("Versioned", EmployeeRow, OpportunityRow)

# PostgreSQL's advisory locks are keyed by a number: every key the service takes, in one place,
# so that no two locks share one (the audit chain's once shared the migration's, and a start-up
# migration waited behind sealing).
MIGRATION_LOCK = 0x7A1E47  # data/migrations/env.py: one migration run at a time
STARTUP_LOCK = 0x7A1E48  # data/storage/migrate.py: workers starting together take turns
AUDIT_CHAIN_LOCK = 0x7A1E49  # data/storage/audit.py: appenders to the audit chain queue
TRAINING_LOCK = 0x7A1E4A  # serving/usecases/training.py: one training run at a time


@contextmanager
def try_exclusive(engine: Engine, key: int) -> Iterator[bool]:
    """Whether this process got the advisory lock `key` (held until the block ends) without
    waiting: a second comer is told at once instead of queueing. PostgreSQL only, on its own
    connection outside any transaction; on SQLite (one machine's processes) it yields True and
    the caller's in-process lock is what serialises."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        got = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        try:
            yield got
        finally:
            if got:
                connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def begin_write(session: Session) -> None:
    """On SQLite, make this transaction the database's one writer now (waiting for the busy
    timeout if another holds the lock). A no-op on PostgreSQL, and on SQLite when this
    transaction has written already (it then holds the lock, and reads the newest data)."""
    if not is_sqlite(session):
        return
    connection = session.connection()
    driver = connection.connection.driver_connection  # sqlite3's own connection
    assert driver is not None, "a connection in use holds its driver's"
    if not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_rows(
    session: Session, table: type[Versioned], external_ids: Sequence[str]
) -> dict[str, Versioned]:
    """The rows with these external ids (unknown ids are left out), locked until this
    transaction ends and as they are now: a row this session read earlier and another writer
    has changed since is read again, skills included.

    Locks are taken in external-id order, so two writers locking overlapping sets (two bulk
    imports) wait for each other instead of deadlocking."""
    begin_write(session)
    wanted = sorted(set(external_ids))
    current: dict[str, tuple[int, int]] = {}
    for chunk in chunked(wanted):
        query = (
            select(table.external_id, table.id, table.version)
            .where(table.external_id.in_(chunk))
            .order_by(table.external_id)
        )
        if not is_sqlite(session):
            # FOR NO KEY UPDATE: writers of the row wait for each other, while inserts that
            # merely reference it (a skill row's foreign key) do not.
            query = query.with_for_update(key_share=True)
        current.update({x: (row_id, version) for x, row_id, version in session.execute(query)})
    stale = []
    for external_id, (row_id, version) in current.items():
        held = session.identity_map.get(identity_key(table, row_id))
        if held is not None and held.version != version:
            stale.append(external_id)
    for chunk in chunked(stale):
        fresh = select(table).where(table.external_id.in_(chunk))
        session.scalars(fresh.execution_options(populate_existing=True)).all()
    return rows_by_external_id(session, table, list(current))


def lock_row(session: Session, row: Versioned) -> Versioned | None:
    """`row` locked and read again whatever its version (a request's read-modify-write: the
    seat counter's conditional updates change a posting's status without a version); None if
    it was deleted meanwhile."""
    table = type(row)
    if row.external_id not in lock_rows(session, table, [row.external_id]):
        return None
    fresh = select(table).where(table.external_id == row.external_id)
    return session.scalar(fresh.execution_options(populate_existing=True))
