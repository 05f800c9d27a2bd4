"""Alembic environment: runs migrations online against the configured URL.

On SQLite each migration run is one real transaction (the driver's own transaction handling
would commit every DDL statement as it goes, so a failed migration left half-altered tables):
all of it applies, or none of it.
"""

from alembic import context
from sqlalchemy import event, text

from data.storage.engine import make_engine
from data.storage.locks import MIGRATION_LOCK
from data.storage.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:

        @event.listens_for(engine, "connect")
        def _manual_transactions(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None  # the driver begins nothing by itself

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:  # type: ignore[no-untyped-def]
            connection.exec_driver_sql("BEGIN")

    try:
        _migrate(engine, sqlite)
    finally:  # a refused migration must not leave its connection open
        engine.dispose()


def _migrate(engine, sqlite: bool) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        if sqlite:
            # SQLite rebuilds a table to alter it (batch mode): copy, drop, rename. Dropping a
            # table that others reference fails while foreign keys are enforced, so they are
            # off during the migration (a PRAGMA has no effect inside a transaction, hence
            # before it) and every reference is checked before the commit.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
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
