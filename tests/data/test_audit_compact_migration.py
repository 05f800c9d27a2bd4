"""Migration 0023 on a database whose audit log holds records filed as plain JSON: they are kept
as written (never rewritten), verify and read beside records filed compressed after the
upgrade, and are found by the searches; the revision goes back down only while no record is
stored compressed, since going down would lose those."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from data.storage.audit_search import rankings_listing
from data.storage.engine import make_engine, make_session_factory
from data.storage.interleaving import interleaved_bodies
from data.storage.migrate import alembic_config, upgrade_to_head
from fairness.audit_log import AuditLog, canonical, decode_matrix
from fairness.audit_record import Interleaved
from tests.data.test_migrations import empty_url  # noqa: F401 (a fixture)
from tests.fairness.test_audit_log import KEY, MORNING, make_record, old_encode_matrix

GENESIS = "0" * 64


def _records_at_0022(url: str) -> list[str]:
    """Two records sealed and stored as the log did at revision 0022; their texts."""
    command.upgrade(alembic_config(url), "0022")
    engine = make_engine(url)
    texts, previous = [], GENESIS
    interleaved: dict[str, Any] = {
        "interleaving": {"challenger": "v2", "seed": 3, "teams": {"E0": "live"}}
    }
    with engine.begin() as connection:
        for seq, extra in ((1, {}), (2, interleaved)):
            record = {**make_record(f"old-{seq}", seed=seq), **extra}
            record["features"] = old_encode_matrix(decode_matrix(record["features"]))
            body = canonical({**record, "seq": seq, "key_id": KEY.key_id})
            seal = KEY.seal(previous, body)
            connection.execute(
                text(
                    "INSERT INTO audit_records (seq, request_id, served_at, direction, kind, "
                    "query_external_id, body, prev_hash, hash) VALUES (:seq, :r, :at, "
                    "'opportunity', 'gig', 'O1', :body, :prev, :hash)"
                ),
                {
                    "seq": seq,
                    "r": f"old-{seq}",
                    "at": MORNING,
                    "body": body,
                    "prev": previous,
                    "hash": seal,
                },
            )
            texts.append(body)
            previous = seal
    engine.dispose()
    return texts


@pytest.fixture
def upgraded(empty_url: str) -> Iterator[tuple[str, list[str]]]:  # noqa: F811
    texts = _records_at_0022(empty_url)
    upgrade_to_head(empty_url)
    yield empty_url, texts


def test_old_records_are_kept_as_written_and_read_beside_new_ones(
    upgraded: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, texts = upgraded
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            kept = connection.execute(
                text("SELECT body, body_zstd, item_ids, interleaved FROM audit_records")
            ).all()
        assert [tuple(row) for row in kept] == [(t, None, None, None) for t in texts]
        sessions = make_session_factory(engine)
        log = AuditLog(sessions, KEY, tmp_path / "head.json", seal_writes=False)
        drafted: Interleaved = {"challenger": "v2", "seed": 4, "teams": {"E1": "live"}}
        log.append({**make_record("new-3", seed=3), "interleaving": drafted})
        log.append(make_record("new-4", seed=4))
        with sessions() as session:
            result = log.verify(session)
            assert result.ok and result.records == 4, result.problems
            found = AuditLog.find(session, "old-1")
            assert found is not None and "f4_base64" in found["features"]
            assert [r["request_id"] for r in AuditLog.between(session)] == [
                "old-1",
                "old-2",
                "new-3",
                "new-4",
            ]
            assert rankings_listing(session, 1, ["E2"]) == {1, 2, 3, 4}
            since = MORNING - dt.timedelta(days=1)
            bodies = interleaved_bodies(session, direction="opportunity", kind="gig", since=since)
            assert [b.count('"interleaving"') for b in bodies] == [1, 1]
    finally:
        engine.dispose()


def test_the_revision_goes_back_down_only_while_nothing_is_stored_compressed(
    upgraded: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, _ = upgraded
    command.downgrade(alembic_config(url), "0022")  # old records only: nothing to lose
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        log = AuditLog(make_session_factory(engine), KEY, tmp_path / "head.json", seal_writes=False)
        log.append(make_record("new-3", seed=3))
    finally:
        engine.dispose()
    # Later revisions go down first, so 0023's refusal is what is tested on both databases
    # (PostgreSQL would roll a refused multi-step downgrade back to the head).
    command.downgrade(alembic_config(url), "0023")
    with pytest.raises(RuntimeError, match="1 audit records are stored compressed"):
        command.downgrade(alembic_config(url), "0022")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM audit_records")).scalar_one()
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert (count, version) == (3, "0023")
    finally:
        engine.dispose()
