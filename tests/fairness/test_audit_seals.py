"""Seals over the interaction log and the oversight record: every row written is sealed just
after its commit, and deleting, rewriting, swapping, renumbering or un-stamping a sealed row,
or touching the seals themselves, is named by `verify` (row and seal), on SQLite and
PostgreSQL alike; rows written since the last seal are pending, not problems; an old
database's rows are sealed when the log first opens; readiness reads a cached, incremental
verdict."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from data.schemas import InteractionIn, InteractionType
from data.storage import audit as stored
from data.storage.engine import transaction
from data.storage.interactions import add_interactions
from data.storage.oversight import add_event
from data.storage.tables import (
    AuditRecordRow,
    AuditSealRow,
    Base,
    InteractionRow,
    OversightEventRow,
)
from fairness.audit_log import (
    CHECKPOINT_FORMAT_V1,
    AuditIntegrityError,
    AuditLog,
    Checkpoint,
    Verification,
)
from serving.state import ServiceState
from tests.fairness.test_audit_log import KEY, make_record

# The Core table: a bulk insert past the ORM.
INTERACTIONS = Base.metadata.tables["interactions"]

MORNING = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def log(state: ServiceState) -> AuditLog:
    """The service's own log (it seals what the shared database's sessions commit)."""
    return state.audit


def write_history(state: ServiceState, count: int = 6) -> list[int]:
    """`count` interactions in one bulk insert (as the demo and imports write them)."""
    kinds = [InteractionType.APPLY, InteractionType.SHORTLIST, InteractionType.REJECT]
    events = [
        InteractionIn(
            employee_external_id=f"E{n}",
            opportunity_external_id="O1",
            type=kinds[n % 3],
            occurred_at=MORNING + dt.timedelta(minutes=n),
            request_id=f"req-{n}",
        )
        for n in range(count)
    ]
    with transaction(state.sessions) as session:
        add_interactions(session, events)
    with state.sessions() as session:
        return list(session.scalars(select(InteractionRow.id).order_by(InteractionRow.id)))


def write_oversight(state: ServiceState, count: int = 3) -> list[int]:
    with transaction(state.sessions) as session:
        for n in range(count):
            add_event(
                session,
                actor_role="hr",
                actor="HR1",
                action="audit_read",
                reason="read the served ranking item by item",
                details={"request_id": f"req-{n}"},
            )
    with state.sessions() as session:
        return list(session.scalars(select(OversightEventRow.id).order_by(OversightEventRow.id)))


def sealed(log: AuditLog, timeout: float = 20.0) -> None:
    """Wait for the background seal of what was just committed."""
    deadline = time.monotonic() + timeout
    while log.pending() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log.pending() == 0
    log.seal_pending()  # waits for that seal's head file to be written (the same lock)


def verify(log: AuditLog, checkpoint: Checkpoint | None = None) -> Verification:
    with log.sessions() as session:
        return log.verify(session, checkpoint=checkpoint)


def problem_about(result: Verification, text: str) -> str:
    found = [p for p in result.problems if text in p]
    assert found, result.problems
    return found[0]


def stamp(state: ServiceState, table: Any, row_id: int) -> int | None:
    with state.sessions() as session:
        return session.scalar(select(table.sealed_by).where(table.id == row_id))


# ---------------------------------------------------------------------------- sealing


def test_rows_are_sealed_just_after_their_commit_and_verify(
    state: ServiceState, log: AuditLog
) -> None:
    interactions = write_history(state)
    events = write_oversight(state)
    sealed(log)

    assert stamp(state, InteractionRow, interactions[0]) is not None
    assert stamp(state, OversightEventRow, events[-1]) is not None
    result = verify(log)
    assert result.ok, result.problems
    assert result.streams["interactions"].sealed == len(interactions)
    assert result.streams["oversight"].sealed == len(events)
    assert result.seals >= 2
    head = log.head()
    assert head is not None and head.seals == result.seals and head.valid(KEY)


def test_an_orm_write_in_another_session_is_sealed_and_a_rollback_flags_nothing(
    state: ServiceState, log: AuditLog
) -> None:
    with state.sessions() as session:
        session.add(
            InteractionRow(
                employee_external_id="E1",
                opportunity_external_id="O1",
                type="apply",
                occurred_at=MORNING,
            )
        )
        session.flush()
        session.rollback()
    assert log.pending() == 0
    with transaction(state.sessions) as session:  # as pipeline steps write them
        session.add(
            InteractionRow(
                employee_external_id="E2",
                opportunity_external_id="O1",
                type="accept",
                occurred_at=MORNING,
                actor_role="lead",
                actor="L1",
                details={"note": "a fine fit"},
            )
        )
    sealed(log)
    assert verify(log).streams["interactions"].sealed == 1


def test_rows_written_since_the_last_seal_are_pending_not_problems(
    state: ServiceState,
) -> None:
    quiet = AuditLog(state.sessions, KEY, seal_writes=False)
    # A bulk insert that does not say so: nobody is told of the commit.
    with transaction(state.sessions) as session:
        session.execute(
            INTERACTIONS.insert(),
            [
                {
                    "employee_external_id": "E1",
                    "opportunity_external_id": "O1",
                    "type": "view",
                    "occurred_at": MORNING,
                }
            ],
        )
    result = verify(quiet)
    assert result.problems == [] and result.streams["interactions"].pending == 1
    assert quiet.seal_pending() == 1
    assert verify(quiet).streams["interactions"].sealed == 1


def test_a_seal_committed_while_verify_walks_is_not_taken_for_a_deleted_one(
    state: ServiceState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker seals between two of verify's queries (the sealer runs beside every
    request): the walk reads one snapshot, so those rows are pending in it, never 'lost'."""
    quiet = AuditLog(state.sessions, KEY, seal_writes=False)
    with transaction(state.sessions) as session:  # a bulk insert nobody is told of
        session.execute(
            INTERACTIONS.insert(),
            [
                {
                    "employee_external_id": "E1",
                    "opportunity_external_id": "O1",
                    "type": "apply",
                    "occurred_at": MORNING,
                }
            ],
        )
    newest_seal, walking = stored.newest_seal, threading.get_ident()
    sealed_meanwhile: list[int] = []

    def newest_then_a_seal_elsewhere(session: Any) -> tuple[int, str]:
        found = newest_seal(session)
        if threading.get_ident() == walking and not sealed_meanwhile:
            with ThreadPoolExecutor(1) as other:  # commits before the walk's next query
                sealed_meanwhile.append(other.submit(quiet.seal_pending).result())
        return found

    monkeypatch.setattr(stored, "newest_seal", newest_then_a_seal_elsewhere)
    result = verify(quiet)
    assert sealed_meanwhile == [1]
    assert result.problems == []
    assert result.streams["interactions"].pending == 1  # as it stood when the walk began
    monkeypatch.undo()
    assert verify(quiet).streams["interactions"].sealed == 1


def test_an_old_databases_rows_are_sealed_when_the_log_first_opens(
    state: ServiceState, tmp_path: Path
) -> None:
    """Rows from before sealing existed (`sealed_by` NULL after migration 0012)."""
    with transaction(state.sessions) as session:
        session.execute(
            INTERACTIONS.insert(),
            [
                {
                    "employee_external_id": f"E{n}",
                    "opportunity_external_id": "O1",
                    "type": "apply",
                    "occurred_at": MORNING,
                }
                for n in range(2500)  # more than one seal holds
            ],
        )
    opened = AuditLog(state.sessions, KEY, tmp_path / "head.json")  # as the service starts
    try:
        sealed(opened)
        result = verify(opened)
    finally:
        opened.close()
    assert result.ok, result.problems
    assert result.streams["interactions"].sealed == 2500 and result.seals == 2


def test_concurrent_writers_leave_every_row_sealed_once(state: ServiceState, log: AuditLog) -> None:
    start = threading.Barrier(4)

    def write(worker: int) -> None:
        start.wait()
        for n in range(15):
            with transaction(state.sessions) as session:
                add_event(
                    session, actor_role="lead", actor=f"L{worker}", action="pin", reason=f"{n}"
                )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    sealed(log)

    result = verify(log)
    assert result.ok, result.problems
    assert result.streams["oversight"].sealed == 60


# ---------------------------------------------------------------------------- tampering


def test_a_rewritten_interaction_is_named_with_its_seal(state: ServiceState, log: AuditLog) -> None:
    interactions = write_history(state)
    sealed(log)
    rejected = interactions[2]  # the third event is a rejection
    with transaction(state.sessions) as session:
        session.execute(
            update(InteractionRow).where(InteractionRow.id == rejected).values(type="shortlist")
        )

    result = verify(log)

    assert not result.ok
    problem = problem_about(result, f"interaction {rejected} (seal")
    assert "rewritten" in problem and problem.startswith("1 interaction rewritten")
    assert len(result.problems) == 1


def test_deleted_oversight_events_are_named(state: ServiceState, log: AuditLog) -> None:
    events = write_oversight(state, 3)
    sealed(log)
    with transaction(state.sessions) as session:
        session.execute(delete(OversightEventRow).where(OversightEventRow.id != events[1]))

    result = verify(log)

    problem = problem_about(result, "deleted")
    assert f"oversight event {events[0]}" in problem and f"oversight event {events[2]}" in problem
    assert f"oversight event {events[1]}" not in problem


def test_swapped_and_renumbered_rows_are_named(state: ServiceState, log: AuditLog) -> None:
    first, second, third, *_ = write_history(state)
    sealed(log)
    with state.sessions() as session:
        a, b = (session.get(InteractionRow, i) for i in (first, second))
        assert a is not None and b is not None
        swapped = {
            first: {"employee_external_id": b.employee_external_id, "type": b.type},
            second: {"employee_external_id": a.employee_external_id, "type": a.type},
        }
    with transaction(state.sessions) as session:
        for row_id, values in swapped.items():
            session.execute(
                update(InteractionRow).where(InteractionRow.id == row_id).values(values)
            )
        session.execute(update(InteractionRow).where(InteractionRow.id == third).values(id=9999))

    result = verify(log)

    rewritten = problem_about(result, "rewritten")
    assert f"interaction {first} " in rewritten and f"interaction {second} " in rewritten
    assert f"interaction {third} " in problem_about(result, "deleted")
    assert "interaction 9999 " in problem_about(result, "never covered them")


def test_an_unstamped_row_cannot_be_laundered_through_a_new_seal(
    state: ServiceState, log: AuditLog
) -> None:
    """Clearing a row's stamp to have it sealed again as rewritten leaves its first seal
    missing it."""
    interactions = write_history(state)
    sealed(log)
    target = interactions[0]
    with transaction(state.sessions) as session:
        session.execute(
            update(InteractionRow)
            .where(InteractionRow.id == target)
            .values(type="complete", sealed_by=None)
        )
    log.seal_pending()

    result = verify(log)

    assert f"interaction {target} " in problem_about(result, "deleted")
    assert result.streams["interactions"].pending == 0


def test_edited_and_deleted_seals_are_named(state: ServiceState, log: AuditLog) -> None:
    write_history(state, 3)
    sealed(log)
    events = write_oversight(state, 2)
    sealed(log)
    write_history(state, 2)
    sealed(log)
    with state.sessions() as session:
        seals = session.scalars(select(AuditSealRow).order_by(AuditSealRow.seq)).all()
    assert len(seals) >= 3
    body = json.loads(seals[0].body)
    body["rows"] = body["rows"][:-1]  # "that one was never sealed"
    with transaction(state.sessions) as session:
        session.execute(
            update(AuditSealRow)
            .where(AuditSealRow.seq == seals[0].seq)
            .values(body=json.dumps(body), rows=len(body["rows"]))
        )
        session.execute(delete(AuditSealRow).where(AuditSealRow.seq == seals[1].seq))

    result = verify(log)

    assert f"seal {seals[0].seq} was edited" in "\n".join(result.problems)
    assert any(f"seals {seals[1].seq}..{seals[1].seq} are missing" in p for p in result.problems)
    lost = problem_about(result, "missing from the seal chain")
    assert f"oversight event {events[0]} (seal {seals[1].seq})" in lost


def test_deleting_the_newest_seals_is_caught_by_the_head_and_a_checkpoint(
    state: ServiceState, log: AuditLog
) -> None:
    write_oversight(state, 1)
    sealed(log)
    assert log.head_path is not None
    old_head = log.head_path.read_text()
    write_oversight(state, 2)
    sealed(log)
    with log.sessions() as session:
        _, exported = log.export_checkpoint(session)
    assert exported is not None and exported.seals is not None
    with transaction(state.sessions) as session:
        newest = session.scalar(select(AuditSealRow.seq).order_by(AuditSealRow.seq.desc()))
        session.execute(delete(OversightEventRow).where(OversightEventRow.sealed_by == newest))
        session.execute(delete(AuditSealRow).where(AuditSealRow.seq == newest))

    assert "the head file" in problem_about(verify(log), "seals were deleted")
    with pytest.raises(AuditIntegrityError, match="seals were deleted"):
        log.append(make_record("after-the-gap"))
    log.head_path.write_text(old_head)  # an older genuine head file put back
    assert verify(log).ok
    assert "seals were deleted" in problem_about(verify(log, exported), "the checkpoint")


def test_a_head_file_from_before_the_seals_is_read_and_moved_forward(
    state: ServiceState, log: AuditLog
) -> None:
    log.append(make_record("req-1"))
    assert log.head_path is not None
    v2 = log.head()
    assert v2 is not None
    at = v2.at
    legacy = Checkpoint(
        1, v2.head, KEY.key_id, at, KEY.sign(f"{CHECKPOINT_FORMAT_V1}\n1\n{v2.head}\n{at}")
    )
    log.head_path.write_text(legacy.to_json())
    assert json.loads(log.head_path.read_text())["format"] == CHECKPOINT_FORMAT_V1
    assert verify(log).ok

    write_oversight(state, 1)
    sealed(log)

    head = log.head()
    assert head is not None and head.records == 1 and head.seals == 1
    assert verify(log).ok


# ---------------------------------------------------------------------------- readiness


def test_health_is_cached_and_incremental(
    state: ServiceState, log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    log.append(make_record("req-1"))
    log.forget_health()
    with state.sessions() as session:
        first = log.health(session)
        assert first.status == "intact"
        assert log.health(session) is first  # reused: nothing was written since
    walks: list[int] = []

    def records_in_order(*args: object, **kwargs: object) -> Iterator[object]:
        walks.append(1)
        return iter(())

    monkeypatch.setattr(stored, "records_in_order", records_in_order)
    log.append(make_record("req-2"))  # the head file moved: the next probe looks again
    with transaction(state.sessions) as session:  # record 2 edited after it was appended
        session.execute(
            update(AuditRecordRow)
            .where(AuditRecordRow.seq == 2)
            .values(body=AuditRecordRow.body + " ")
        )
    with state.sessions() as session:
        fresh = log.health(session)
    assert fresh.status == "damaged"
    assert any("record 2 was edited" in p for p in fresh.problems)
    assert walks == []  # never the whole chain


def test_health_forgets_damage_in_a_log_that_was_replaced(
    state: ServiceState, log: AuditLog
) -> None:
    write_history(state, 3)
    sealed(log)
    with transaction(state.sessions) as session:
        session.execute(update(InteractionRow).values(type="view"))
    assert not verify(log).ok
    with state.sessions() as session:
        assert log.health(session, max_age=0).status == "damaged"

    with transaction(state.sessions) as session:  # a company rebuilt from scratch
        session.execute(delete(InteractionRow))
        session.execute(delete(AuditSealRow))
    assert log.head_path is not None
    log.head_path.unlink()
    with state.sessions() as session:
        assert log.health(session, max_age=0).status == "unverifiable"
