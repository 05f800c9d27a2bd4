"""Retention and erasure on the sealed log (fairness/audit_purge.py): a purge leaves a chain
that verifies from its signed checkpoint and still names tampering of what remains; a dry run
changes nothing; an erasure's signed redactions keep rewritten records verifying, and nothing
else does. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from data.storage import audit as stored
from data.storage.engine import transaction
from data.storage.tables import AuditPurgeRow, AuditRecordRow, AuditRedactionRow
from fairness.audit_log import AuditIntegrityError, AuditLog, Checkpoint, canonical
from fairness.audit_purge import PurgeResult, pseudonymise, purge
from serving.state import ServiceState
from tests.fairness.test_audit_log import KEY, MORNING, about, change, fill, make_record, verify


@pytest.fixture
def log(state: ServiceState, tmp_path: Path) -> AuditLog:
    return AuditLog(state.sessions, KEY, tmp_path / "head.json", seal_writes=False)


def records(log: AuditLog) -> list[int]:
    with log.sessions() as session:
        return list(session.scalars(select(AuditRecordRow.seq).order_by(AuditRecordRow.seq)))


def purge_before(log: AuditLog, minutes: float, *, dry_run: bool = False) -> PurgeResult:
    cutoff = MORNING + dt.timedelta(minutes=minutes)
    return purge(
        log,
        records_before=cutoff,
        rows_before={"interactions": cutoff, "oversight": cutoff},
        actor="test",
        dry_run=dry_run,
    )


def test_a_purge_deletes_old_records_and_the_rest_verifies_from_its_checkpoint(
    log: AuditLog,
) -> None:
    fill(log, 6)  # served at MORNING + 1..6 minutes

    done = purge_before(log, 3.5)

    assert done.counts["records"] == 3 and done.through["records"] == 3
    assert records(log) == [4, 5, 6]
    result = verify(log)
    assert result.ok, result.problems
    assert result.records == 3 and result.purged[0] == 3
    # The checkpoint exported before the purge still vouches for what is left.
    assert done.checkpoint is not None and done.checkpoint.records == 6
    assert verify(log, done.checkpoint).ok
    # And the purge's own checkpoint is signed with the key.
    with log.sessions() as session:
        base = Checkpoint.from_json(session.scalar(select(AuditPurgeRow.base)) or "")
    assert base.valid(KEY) and base.records == 3


def test_after_a_purge_verify_still_names_a_tampered_or_deleted_remaining_record(
    log: AuditLog,
) -> None:
    fill(log, 6)
    purge_before(log, 3.5)
    body = json.loads(_text(log, 5))
    body["kind"] = "role"
    change(log, 5, body=canonical(body), kind="role")
    assert "was edited" in about(verify(log), 5)

    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 4))
    assert "missing" in about(verify(log), 5)


def test_deleting_or_forging_the_purge_checkpoint_is_named(log: AuditLog) -> None:
    fill(log, 5)
    purge_before(log, 2.5)
    with transaction(log.sessions) as session:
        row = session.scalars(select(AuditPurgeRow)).one()
        forged = json.loads(row.base)
        forged["records"] = 3
        row.base = json.dumps(forged)
    assert any("purge's checkpoint is not signed" in p for p in verify(log).problems)

    with transaction(log.sessions) as session:
        session.execute(delete(AuditPurgeRow))
    assert "missing" in about(verify(log), 3)


def test_a_dry_run_counts_and_changes_nothing(log: AuditLog, tmp_path: Path) -> None:
    fill(log, 4)
    head_before = (tmp_path / "head.json").read_text()

    done = purge_before(log, 2.5, dry_run=True)

    assert done.dry_run and done.counts["records"] == 2 and done.checkpoint is None
    assert records(log) == [1, 2, 3, 4]
    with log.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditPurgeRow)) == 0
    assert (tmp_path / "head.json").read_text() == head_before
    assert verify(log).ok


def test_the_newest_record_is_never_purged(log: AuditLog) -> None:
    fill(log, 3)
    done = purge_before(log, 60)
    assert done.counts["records"] == 2 and records(log) == [3]
    assert verify(log).ok
    log.append(make_record("req-after", served_at=MORNING + dt.timedelta(hours=2)))
    assert verify(log).ok


def test_a_log_that_does_not_verify_is_not_purged(log: AuditLog) -> None:
    fill(log, 4)
    change(log, 2, kind="role")
    with pytest.raises(AuditIntegrityError, match="does not verify"):
        purge_before(log, 3.5)
    assert records(log) == [1, 2, 3, 4]


# -------------------------------------------------------------------------------------- erasure


def _text(log: AuditLog, seq: int) -> str:
    with log.sessions() as session:
        row = session.get(AuditRecordRow, seq)
        assert row is not None
        return stored.record_text(row)


def erase(log: AuditLog, external_id: str, pseudonym: str) -> dict[str, int]:
    with transaction(log.sessions) as session:
        return pseudonymise(log, session, external_id, pseudonym, now=MORNING)


def test_erasure_pseudonymises_records_and_the_chain_still_verifies(log: AuditLog) -> None:
    fill(log, 3)  # every record scores E0, E1, E2 for O1
    log.append(make_record("asked-by-e1", direction="employee", query_external_id="E1"))

    counts = erase(log, "E1", "erased-0123")

    assert counts["records"] == 4
    for seq in range(1, 5):
        text = _text(log, seq)
        assert '"E1"' not in text and "erased-0123" in text and '"E0"' in text
    with log.sessions() as session:
        purged = session.get(AuditRecordRow, 4)
        assert purged is not None and purged.query_external_id == "erased-0123"
        assert (
            session.scalar(select(func.count()).where(AuditRecordRow.item_ids.like('%"E1"%'))) == 0
        )
    result = verify(log)
    assert result.ok, result.problems
    assert result.redacted == 4


def test_a_redacted_record_edited_afterwards_or_without_its_redaction_is_named(
    log: AuditLog,
) -> None:
    fill(log, 2)
    erase(log, "E1", "erased-0123")
    body = json.loads(_text(log, 2))
    body["page_size"] = 2
    change(log, 2, body=canonical(body))
    assert "was edited" in about(verify(log), 2)

    with transaction(log.sessions) as session:
        session.execute(delete(AuditRedactionRow).where(AuditRedactionRow.row_key == 1))
    assert "was edited" in about(verify(log), 1)


def test_a_forged_redaction_is_refused(log: AuditLog) -> None:
    fill(log, 2)
    erase(log, "E1", "erased-0123")
    with transaction(log.sessions) as session:
        session.execute(
            update(AuditRedactionRow)
            .where(AuditRedactionRow.row_key == 1)
            .values(at="2020-01-01T00:00:00+00:00")
        )
    assert "was edited" in about(verify(log), 1)


def test_an_erasure_refuses_to_vouch_for_a_tampered_record(log: AuditLog) -> None:
    fill(log, 2)
    body = json.loads(_text(log, 2))
    body["page_size"] = 9
    change(log, 2, body=canonical(body))
    with pytest.raises(AuditIntegrityError, match="record 2 does not match its seal"):
        erase(log, "E1", "erased-0123")
    assert '"E1"' in _text(log, 1)  # rolled back: nothing rewritten
