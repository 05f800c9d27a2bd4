"""What other processes wrote, as PostgreSQL says it: LISTEN on the channel that the triggers
of migration 0009 notify, on a connection of its own, and hand the changed tables' names on.

Notifications are not stored: those sent while the connection is down are lost. So after
every (re)connection the feed reports every table once, and the server's periodic poll stays
on as the safety net; the notifications only make it prompt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    import psycopg

CHANNEL = "talent_changes"
EVERYTHING = frozenset({"*"})  # reported after a (re)connection: something may have been missed

log = logging.getLogger("talent.changes")


def listens(database_url: str) -> bool:
    """Whether this database can notify (PostgreSQL) or must be polled (SQLite)."""
    return make_url(database_url).get_backend_name() == "postgresql"


def _conninfo(database_url: str) -> str:
    """libpq's URL for SQLAlchemy's (`postgresql+psycopg://…` → `postgresql://…`)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class ChangeFeed:
    """A daemon thread: `on_change(tables)` after each burst of notifications (those arriving
    within `settle` seconds of each other are reported together)."""

    def __init__(
        self,
        database_url: str,
        on_change: Callable[[frozenset[str]], None],
        *,
        settle: float = 0.05,
        retry: float = 2.0,
    ) -> None:
        self.conninfo = _conninfo(database_url)
        self.on_change, self.settle, self.retry = on_change, settle, retry
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="change-feed", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    self.on_change(EVERYTHING)
                    self._listen(connection)
            except Exception as exc:  # the database away: retry, the poll covers the gap
                log.warning("change feed disconnected (%s: %s); retrying", type(exc).__name__, exc)
            finally:
                self.connected.clear()
            self._stop.wait(self.retry)

    def _listen(self, connection: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set():
            tables = {n.payload for n in connection.notifies(timeout=0.5, stop_after=1)}
            if not tables:
                continue
            # The rest of the burst: one catch-up for a transaction touching five tables.
            tables |= {n.payload for n in connection.notifies(timeout=self.settle)}
            self.on_change(frozenset(tables))
