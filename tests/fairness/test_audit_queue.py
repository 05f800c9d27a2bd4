"""Records a page files without waiting for their commit (AuditLog.append_soon): none is lost,
none is out of order, a reader finds them at once, and a failing database makes pages wait
(and fail) again instead of piling up records nobody will write."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from data.storage import audit as stored
from data.storage.tables import AuditRecordRow
from fairness.audit_log import AuditLog
from fairness.audit_record import ServedRanking
from serving.state import ServiceState
from tests.fairness.test_audit_log import KEY, find, make_record, verify


@pytest.fixture
def log(state: ServiceState, tmp_path: Path) -> Iterator[AuditLog]:
    made = AuditLog(state.sessions, KEY, tmp_path / "head.json", seal_writes=False)
    made.settle_reads(state.engine)
    yield made
    made.close()


def filed(log: AuditLog) -> list[str]:
    with log.sessions() as session:
        query = select(AuditRecordRow.request_id).order_by(AuditRecordRow.seq)
        return list(session.scalars(query))


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def test_queued_records_are_filed_in_order_under_the_ids_given(log: AuditLog) -> None:
    ids = [log.append_soon(make_record(f"soon-{n}", seed=n)) for n in range(30)]
    assert ids == [f"soon-{n}" for n in range(30)]
    assert filed(log) == ids  # the read waited for every one of them
    assert log.queued() == 0
    result = verify(log)
    assert result.ok, result.problems
    assert result.records == 30


def test_a_read_waits_for_the_records_queued_before_it(log: AuditLog) -> None:
    with log._writer:  # the writer thread cannot commit yet
        log.append_soon(make_record("held-back"))
        found: list[ServedRanking | None] = []
        reader = threading.Thread(target=lambda: found.append(find(log, "held-back")))
        reader.start()
        reader.join(0.3)
        assert reader.is_alive(), "the read did not wait for the queued record"
    reader.join(10)
    assert found and found[0] is not None and found[0]["request_id"] == "held-back"


def test_pages_queueing_from_many_threads_with_waiting_appends_between(log: AuditLog) -> None:
    start = threading.Barrier(4)

    def serve(worker: int) -> None:
        start.wait()
        for n in range(15):
            record = make_record(f"t{worker}-{n}", seed=n)
            if n % 5 == 0:  # a client's own request id: the page waits for its commit
                log.append(record)
            else:
                log.append_soon(record)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(serve, range(4)))
    assert sorted(filed(log)) == sorted(f"t{w}-{n}" for w in range(4) for n in range(15))
    result = verify(log)
    assert result.ok, result.problems


def test_a_failing_database_loses_no_queued_record_and_fails_the_next_page(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = threading.Event()
    broken.set()
    lock_chain = stored.lock_chain

    def flaky(session) -> None:
        if broken.is_set():
            raise OperationalError("SELECT 1", {}, Exception("the database went away"))
        lock_chain(session)

    monkeypatch.setattr(stored, "lock_chain", flaky)
    assert log.append_soon(make_record("before-the-outage")) == "before-the-outage"
    wait_until(lambda: log._failing)
    # While writes fail, a page waits for its own record, so it fails rather than being
    # served with a record nobody may ever write.
    with pytest.raises(OperationalError):
        log.append_soon(make_record("during-the-outage"))
    assert log.queued() == 1
    broken.clear()
    assert log.flush(30)
    assert filed(log) == ["before-the-outage"]
    assert log.append_soon(make_record("after-the-outage")) == "after-the-outage"
    assert filed(log) == ["before-the-outage", "after-the-outage"]
    assert verify(log).ok


def test_closing_writes_what_is_queued(state: ServiceState, tmp_path: Path) -> None:
    log = AuditLog(state.sessions, KEY, tmp_path / "head.json", seal_writes=False)
    with log._writer:
        for n in range(5):
            log.append_soon(make_record(f"closing-{n}", seed=n))
    log.close()
    assert log.queued() == 0
    assert filed(log) == [f"closing-{n}" for n in range(5)]
