"""The audit log of served rankings: numbering, look-ups, exact feature rows, and a hash chain
that names the record behind every kind of tampering (edit, delete, reorder, truncate, a stale
indexed column), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, select, update

from data.storage.engine import transaction
from data.storage.tables import AuditRecordRow
from fairness.audit_log import (
    GENESIS,
    AuditLog,
    Verification,
    canonical,
    chain_hash,
    decode_matrix,
    encode_matrix,
)
from serving.state import ServiceState

MORNING = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def make_record(
    request_id: str,
    *,
    served_at: dt.datetime = MORNING,
    direction: str = "opportunity",
    kind: str = "gig",
    query_external_id: str = "O1",
    seed: int = 0,
) -> dict[str, Any]:
    """A record shaped like the serving path's: three scored candidates and their features."""
    rng = np.random.default_rng(seed)
    scores = np.sort(rng.random(3))[::-1]
    return {
        "request_id": request_id,
        "served_at": served_at.isoformat(),
        "caller_role": "lead",
        "direction": direction,
        "kind": kind,
        "query_external_id": query_external_id,
        "policy": {"name": "off"},
        "page_size": 3,
        "items": [
            {"id": f"E{i}", "score": float(s), "similarity": 0.5, "before": i + 1, "after": i + 1}
            for i, s in enumerate(scores)
        ],
        "features": encode_matrix(rng.normal(size=(3, 4)).astype(np.float32)),
        "moves": [],
        "overrides": [],
    }


@pytest.fixture
def log(state: ServiceState, tmp_path: Path) -> AuditLog:
    return AuditLog(state.sessions, tmp_path / "head.json")


def fill(log: AuditLog, count: int) -> None:
    for n in range(1, count + 1):
        log.append(make_record(f"req-{n}", served_at=MORNING + dt.timedelta(minutes=n), seed=n))


def about(result: Verification, seq: int) -> str:
    """Every problem that names `seq` as a whole number, joined (empty when none does)."""
    return "\n".join(p for p in result.problems if re.search(rf"\b{seq}\b", p))


def change(log: AuditLog, record: int, /, **values: Any) -> None:
    """Tamper with one stored record the way someone with database access could."""
    with transaction(log.sessions) as session:
        session.execute(update(AuditRecordRow).where(AuditRecordRow.seq == record).values(**values))


def stored_body(log: AuditLog, seq: int) -> dict[str, Any]:
    with log.sessions() as session:
        text = session.scalar(select(AuditRecordRow.body).where(AuditRecordRow.seq == seq))
    assert text is not None
    return json.loads(text)


# ---------------------------------------------------------------------------- appending, reading


def test_appends_are_numbered_from_one_and_the_untouched_chain_verifies(
    log: AuditLog, tmp_path: Path
) -> None:
    appended = [log.append(make_record(f"req-{n}", seed=n)) for n in range(1, 4)]

    assert [a.seq for a in appended] == [1, 2, 3]
    assert len({a.hash for a in appended}) == 3
    head = json.loads((tmp_path / "head.json").read_text())
    assert head == {"seq": 3, "hash": appended[-1].hash}
    result = log.verify()
    assert result.ok, result.problems
    assert result.records == 3


def test_an_empty_log_verifies_with_no_records(log: AuditLog) -> None:
    result = log.verify()
    assert result.ok
    assert result.records == 0


def test_the_first_record_links_to_the_genesis_hash(log: AuditLog) -> None:
    record = make_record("req-1")
    appended = log.append(record)
    assert appended.hash == chain_hash(GENESIS, canonical({**record, "seq": 1}))


def test_find_returns_the_logged_body_with_its_seq(log: AuditLog) -> None:
    fill(log, 2)
    record = make_record("req-x", kind="mentorship", seed=42)
    log.append(record)

    found = log.find("req-x")
    assert found == {**record, "seq": 3}
    assert log.find("req-unknown") is None


def test_a_reused_request_id_is_filed_apart_and_hides_nothing(log: AuditLog) -> None:
    first = log.append(make_record("req-1", query_external_id="O1"))
    second = log.append(make_record("req-1", query_external_id="O2"))

    assert first.request_id == "req-1" and second.request_id == "req-1~2"
    found, later = log.find("req-1"), log.find("req-1~2")
    assert found is not None and later is not None
    assert (found["seq"], found["query_external_id"]) == (1, "O1")
    assert (later["seq"], later["query_external_id"]) == (2, "O2")
    assert log.verify().ok


def test_between_keeps_served_times_in_the_half_open_window_and_the_direction(
    log: AuditLog,
) -> None:
    hours = {"early": 8, "start": 9, "inside": 10, "end": 11, "late": 12}
    for name, hour in hours.items():
        for direction in ("opportunity", "employee"):
            log.append(
                make_record(
                    f"{name}-{direction}",
                    served_at=MORNING.replace(hour=hour),
                    direction=direction,
                )
            )
    start, end = MORNING.replace(hour=9), MORNING.replace(hour=11)

    window = [r["request_id"] for r in log.between(start, end, direction="opportunity")]
    assert window == ["start-opportunity", "inside-opportunity"]
    everyone = [r["request_id"] for r in log.between(start, end)]
    assert everyone == [
        "start-opportunity",
        "start-employee",
        "inside-opportunity",
        "inside-employee",
    ]
    from_end = [r["request_id"] for r in log.between(end, direction="employee")]
    assert from_end == ["end-employee", "late-employee"]
    until_start = [r["request_id"] for r in log.between(None, start)]
    assert until_start == ["early-opportunity", "early-employee"]


def test_encoded_matrix_round_trips_float32_bit_exactly() -> None:
    rng = np.random.default_rng(11)
    matrix = rng.normal(scale=1e3, size=(5, 7)).astype(np.float32)
    awkward = [np.nan, np.inf, -np.inf, -0.0, np.finfo(np.float32).tiny / 4, 1 / 3]
    matrix[0, : len(awkward)] = awkward

    decoded = decode_matrix(json.loads(json.dumps(encode_matrix(matrix))))

    assert decoded.dtype == np.float32
    assert decoded.shape == (5, 7)
    assert decoded.tobytes() == matrix.tobytes()


def test_encoding_a_transposed_float64_matrix_keeps_its_float32_values() -> None:
    rng = np.random.default_rng(12)
    wide = rng.normal(size=(4, 6))
    decoded = decode_matrix(encode_matrix(wide.T))
    assert decoded.shape == (6, 4)
    assert decoded.tobytes() == np.ascontiguousarray(wide.T, dtype=np.float32).tobytes()


def test_feature_rows_read_back_from_the_log_are_the_ones_scored(log: AuditLog) -> None:
    record = make_record("req-1", seed=5)
    log.append(record)
    found = log.find("req-1")
    assert found is not None
    scored = decode_matrix(record["features"])
    assert decode_matrix(found["features"]).tobytes() == scored.tobytes()


# ---------------------------------------------------------------------------- tampering


def test_a_score_edited_in_the_database_names_that_record_as_edited(log: AuditLog) -> None:
    fill(log, 3)
    body = stored_body(log, 2)
    body["items"][0]["score"] = 0.01
    change(log, 2, body=canonical(body))

    result = log.verify()

    assert not result.ok
    assert result.records == 3
    assert len(result.problems) == 1
    assert "edited" in about(result, 2)


def test_an_edit_that_rehashes_its_own_record_breaks_the_next_link(log: AuditLog) -> None:
    fill(log, 3)
    body = stored_body(log, 2)
    body["items"][0]["score"] = 0.01
    with log.sessions() as session:
        previous = session.scalar(select(AuditRecordRow.hash).where(AuditRecordRow.seq == 1))
    assert previous is not None
    text = canonical(body)
    change(log, 2, body=text, hash=chain_hash(previous, text))

    result = log.verify()

    assert not result.ok
    assert "link" in about(result, 3)
    assert about(result, 2) == ""


def test_a_record_deleted_in_the_middle_is_reported_missing(log: AuditLog) -> None:
    fill(log, 4)
    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 2))

    result = log.verify()

    assert not result.ok
    assert result.records == 3
    assert "missing" in about(result, 2)
    assert "link" in about(result, 3)
    assert about(result, 4) == ""


def test_two_records_swapped_in_place_break_the_links(log: AuditLog) -> None:
    fill(log, 4)
    change(log, 2, seq=-1)  # seq is the primary key: park one record while the other moves
    change(log, 3, seq=2)
    change(log, -1, seq=3)

    result = log.verify()

    assert not result.ok
    assert result.records == 4
    assert "link" in about(result, 2)
    assert "link" in about(result, 3)
    assert about(result, 1) == ""
    assert about(result, 4) != ""  # record 4 still links to the old record 3, now in place 2


@pytest.mark.parametrize("deleted", [1, 2])
def test_deleting_the_newest_records_is_caught_by_the_head_file(
    log: AuditLog, deleted: int
) -> None:
    fill(log, 5)
    kept = 5 - deleted
    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq > kept))

    result = log.verify()

    assert not result.ok
    assert result.records == kept
    assert "deleted" in about(result, 5)


def test_without_a_head_file_a_truncated_log_still_looks_intact(state: ServiceState) -> None:
    log = AuditLog(state.sessions)
    fill(log, 3)
    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 3))
    assert log.verify().ok  # why the head file exists: only it remembers the newest record


def test_an_indexed_column_edited_without_its_body_disagrees_with_the_body(
    log: AuditLog,
) -> None:
    fill(log, 3)
    change(log, 2, kind="role")

    result = log.verify()

    assert not result.ok
    assert len(result.problems) == 1
    problem = about(result, 2)
    assert "kind" in problem
    assert "disagree" in problem


# ---------------------------------------------------------------------------- concurrency


def test_concurrent_appends_leave_a_gap_free_chain(log: AuditLog) -> None:
    threads, each = 4, 10
    start = threading.Barrier(threads)

    def serve(worker: int) -> list[int]:
        start.wait()
        return [log.append(make_record(f"w{worker}-{n}", seed=n)).seq for n in range(each)]

    with ThreadPoolExecutor(threads) as pool:
        seqs = [seq for batch in pool.map(serve, range(threads)) for seq in batch]

    assert sorted(seqs) == list(range(1, threads * each + 1))
    result = log.verify()
    assert result.ok, result.problems
    assert result.records == threads * each
    assert all(log.find(f"w{w}-{n}") is not None for w in range(threads) for n in range(each))
