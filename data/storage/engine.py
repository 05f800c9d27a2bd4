"""Engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

# How long a SQLite writer waits for another's lock before "database is locked".
SQLITE_BUSY_SECONDS = 30


def make_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = 30
) -> Engine:
    """Create an engine; for a SQLite file, create it private (0600, in its folder) and turn on
    foreign keys and WAL. `pool_size` bounds the connections one process keeps open."""
    parsed = make_url(url)
    pool = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_private(Path(parsed.database))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
            **(pool if parsed.database not in (None, "", ":memory:") else {}),
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(
            dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry
        ) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL lets the API read while an import writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def _create_private(path: Path) -> None:
    """The database holds demographics: readable by the service's user only (SQLite gives its
    -wal and -shm files the database file's mode)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    elif path.stat().st_uid == os.getuid():  # one made before this rule, or by hand
        for existing in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            if existing.exists():
                existing.chmod(0o600)


def ping(session: Session) -> None:
    """A round trip to the database (raises if it is unreachable)."""
    session.execute(text("SELECT 1"))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_snapshot(bind: Engine) -> Iterator[Session]:
    """A session of its own whose every read sees the database as of its first one: for walks
    over several tables (verifying the audit log) that a writer committing between two of
    their queries would otherwise see half done. Writes nothing; rolled back at the end."""
    session = Session(bind=bind)
    try:
        if bind.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        else:  # SQLite (WAL): a deferred transaction reads one snapshot until it ends
            session.execute(text("BEGIN"))
        yield session
    finally:
        session.rollback()
        session.close()
