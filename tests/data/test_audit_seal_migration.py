"""Migration 0012 on a database that already holds a history: every interaction and oversight
event written before it is kept, unsealed, and sealed when the audit log first opens; on
PostgreSQL, stamping a seal does not notify other server processes; the revision goes back
down cleanly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from data.storage.engine import make_engine, make_session_factory
from data.storage.migrate import alembic_config, upgrade_to_head
from fairness.audit_log import AuditLog
from tests.data.test_migrations import empty_url  # noqa: F401 (a fixture)
from tests.fairness.test_audit_log import KEY


def _history_at_0011(url: str) -> None:
    command.upgrade(alembic_config(url), "0011")
    engine = make_engine(url)
    with engine.begin() as connection:
        for n in range(3):
            connection.execute(
                text(
                    "INSERT INTO interactions (employee_external_id, opportunity_external_id, "
                    "type, occurred_at) VALUES (:e, 'O1', 'reject', '2026-11-02 09:00:00')"
                ),
                {"e": f"E{n}"},
            )
        connection.execute(
            text(
                "INSERT INTO oversight_events (at, actor_role, actor, action, reason, details) "
                "VALUES ('2026-11-02 10:00:00', 'hr', 'HR1', 'audit_read', 'read it', '{}')"
            )
        )
    engine.dispose()


@pytest.fixture
def upgraded(empty_url: str) -> Iterator[str]:  # noqa: F811
    _history_at_0011(empty_url)
    upgrade_to_head(empty_url)
    yield empty_url


def test_an_old_history_is_kept_unsealed_then_sealed_when_the_log_opens(
    upgraded: str, tmp_path: Path
) -> None:
    engine = make_engine(upgraded)
    try:
        with engine.connect() as connection:
            stamps = connection.execute(text("SELECT sealed_by FROM interactions")).scalars()
            assert list(stamps) == [None, None, None]
        sessions = make_session_factory(engine)
        log = AuditLog(sessions, KEY, tmp_path / "head.json")
        try:
            deadline = time.monotonic() + 20
            while log.pending() and time.monotonic() < deadline:
                time.sleep(0.02)
            with sessions() as session:
                result = log.verify(session)
        finally:
            log.close()
        assert result.ok, result.problems
        assert result.streams["interactions"].sealed == 3
        assert result.streams["oversight"].sealed == 1
    finally:
        engine.dispose()


def test_stamping_a_seal_does_not_notify_other_processes(upgraded: str) -> None:
    engine = make_engine(upgraded)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        pytest.skip("change notifications are PostgreSQL's (SQLite processes poll)")
    try:
        with engine.connect() as listener, engine.connect() as writer:
            listener.execute(text("LISTEN talent_changes"))
            listener.commit()
            writer.execute(text("UPDATE interactions SET sealed_by = 1"))
            writer.commit()
            writer.execute(text("UPDATE interactions SET type = 'apply' WHERE id = 1"))
            writer.commit()
            listener.execute(text("SELECT 1"))
            raw = listener.connection.driver_connection
            assert raw is not None
            # The first may be slow on a busy machine; a second would come right behind it.
            heard = [n.payload for n in raw.notifies(timeout=15, stop_after=1)]
            heard += [n.payload for n in raw.notifies(timeout=1, stop_after=1)]
        assert heard == ["interactions"]  # the rewrite, not the stamp
    finally:
        engine.dispose()


def test_the_revision_goes_back_down(upgraded: str) -> None:
    command.downgrade(alembic_config(upgraded), "0011")
    engine = make_engine(upgraded)
    try:
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM interactions")).scalar_one()
            assert count == 3
            with pytest.raises(Exception, match="sealed_by"):
                connection.execute(text("SELECT sealed_by FROM interactions"))
    finally:
        engine.dispose()
    upgrade_to_head(upgraded)  # and up again
