"""Alembic environment: runs migrations online against the configured URL.

On SQLite each migration run is one real transaction (the driver's own transaction handling
would commit every DDL statement as it goes, so a failed migration left half-altered tables):
all of it applies, or none of it.
"""

import sqlite3

from alembic import context
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.pool import ConnectionPoolEntry

from data.storage.engine import make_engine
from data.storage.locks import MIGRATION_LOCK
from data.storage.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:  # data/storage/migrate.py sets it
        raise RuntimeError("no sqlalchemy.url: run migrations through data/storage/migrate.py")
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:

        @event.listens_for(engine, "connect")
        def _manual_transactions(
            dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry
        ) -> None:
            dbapi_connection.isolation_level = None  # the driver begins nothing by itself

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    try:
        _migrate(engine, sqlite)
    finally:  # a refused migration must not leave its connection open
        engine.dispose()


def _migrate(engine: Engine, sqlite: bool) -> None:
    with engine.connect() as connection:
        if sqlite:
            # SQLite rebuilds a table to alter it (batch mode): copy, drop, rename. Dropping a
            # table that others reference fails while foreign keys are enforced, so they are
            # off during the migration (a PRAGMA has no effect inside a transaction, hence
            # before it) and every reference is checked before the commit.
            driver = connection.connection.driver_connection
            assert driver is not None, "a connection just opened holds its driver's"
            driver.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=sqlite
        )
        with context.begin_transaction():
            if not sqlite:
                # Several server workers start at once, each migrating: one at a time, and
                # those after the first find the schema already at head.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            context.run_migrations()
            if sqlite:
                broken = connection.execute(text("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")


run_migrations_online()
