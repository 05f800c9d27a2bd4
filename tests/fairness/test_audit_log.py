"""The audit log of served rankings: numbering, look-ups, exact feature rows, and a sealed chain
that names the record behind every kind of tampering (edit, re-hash without the key, delete,
reorder, truncate, a forged or missing head, a stale indexed column), on SQLite and PostgreSQL
alike."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, SupportsFloat

import numpy as np
import pytest
import zstandard
from sqlalchemy import delete, select, update

from data.storage import audit as stored
from data.storage.audit_search import rankings_listing
from data.storage.engine import transaction
from data.storage.interleaving import interleaved_bodies
from data.storage.tables import AuditRecordRow
from fairness.audit_codec import compact, expand
from fairness.audit_log import (
    GENESIS,
    AuditIntegrityError,
    AuditKey,
    AuditLog,
    Checkpoint,
    Verification,
    canonical,
    decode_matrix,
    encode_matrix,
)
from fairness.audit_record import EncodedMatrix, Interleaved, ServedRanking
from serving.state import ServiceState
from tests.conftest import AUDIT_KEY

MORNING = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
# The service's own key: a log made here seals interactions and oversight events committed to
# the shared test database too, and must seal them as the service would.
KEY = AuditKey(AUDIT_KEY.encode())


def make_record(
    request_id: str,
    *,
    served_at: dt.datetime = MORNING,
    direction: str = "opportunity",
    kind: str = "gig",
    query_external_id: str = "O1",
    seed: int = 0,
) -> ServedRanking:
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
        "model": {"version": "test", "source": "default", "feature_hash": "x"},
        "policy": {"name": "off"},
        "page_size": 3,
        "items": [
            {"id": f"E{i}", "score": float(s), "similarity": 0.5, "before": i + 1, "after": i + 1}
            for i, s in enumerate(scores)
        ],
        "features": encode_matrix(rng.normal(size=(3, 4)).astype(np.float32)),
        "audience": "lead",
        "explained": [],
        "moves": [],
        "overrides": [],
        "retrieval": {},
    }


@pytest.fixture
def log(state: ServiceState, tmp_path: Path) -> AuditLog:
    # Served rankings only: the service's own log seals the shared database's interactions.
    return AuditLog(state.sessions, KEY, tmp_path / "head.json", seal_writes=False)


def verify(log: AuditLog, checkpoint: Checkpoint | None = None) -> Verification:
    with log.sessions() as session:
        return log.verify(session, checkpoint=checkpoint)


def find(log: AuditLog, request_id: str) -> ServedRanking | None:
    with log.sessions() as session:
        return AuditLog.find(session, request_id)


def between(log: AuditLog, *args: Any, **kwargs: Any) -> list[str]:
    with log.sessions() as session:
        return [r["request_id"] for r in AuditLog.between(session, *args, **kwargs)]


def sha256_chain(previous: str, text: str) -> str:
    """What an unkeyed chain would store: anyone can recompute it."""
    return hashlib.sha256(f"{previous}\n{text}".encode()).hexdigest()


def fill(log: AuditLog, count: int) -> None:
    for n in range(1, count + 1):
        log.append(make_record(f"req-{n}", served_at=MORNING + dt.timedelta(minutes=n), seed=n))


def about(result: Verification, seq: int) -> str:
    """Every problem that names `seq` as a whole number, joined (empty when none does)."""
    return "\n".join(p for p in result.problems if re.search(rf"\b{seq}\b", p))


def change(log: AuditLog, record: int, /, *, raw: bool = False, **values: Any) -> None:
    """Tamper with one stored record the way someone with database access could: a new `body`
    text is written the way the row keeps it (compressed, for a record filed since 0023),
    unless `raw`."""
    with transaction(log.sessions) as session:
        row = session.get(AuditRecordRow, record)
        if "body" in values and not raw and row is not None and row.body_zstd is not None:
            values["body_zstd"] = stored.pack_body(values.pop("body"), row.item_ids or "")
        session.execute(update(AuditRecordRow).where(AuditRecordRow.seq == record).values(**values))


def stored_body(log: AuditLog, seq: int) -> dict[str, Any]:
    with log.sessions() as session:
        row = session.get(AuditRecordRow, seq)
        assert row is not None
        return expand(json.loads(stored.record_text(row)))


def old_encode_matrix(matrix: np.ndarray) -> EncodedMatrix:
    """How feature rows were written before they were packed (revision 0023)."""
    data = np.ascontiguousarray(matrix, dtype="<f4")
    return {"shape": list(data.shape), "f4_base64": base64.b64encode(data.tobytes()).decode()}


def file_as_before_0023(log: AuditLog, record: Mapping[str, Any]) -> int:
    """File a record the way the log did before revision 0023: plain canonical JSON in `body`,
    the feature rows as plain base64, no search columns. Its seq."""
    record = {**record, "features": old_encode_matrix(decode_matrix(record["features"]))}
    with transaction(log.sessions) as session:
        seq, previous = stored.newest(session)
        seq += 1
        text = canonical({**record, "seq": seq, "key_id": KEY.key_id})
        session.add(
            AuditRecordRow(
                seq=seq,
                request_id=record["request_id"],
                served_at=dt.datetime.fromisoformat(record["served_at"]),
                direction=record["direction"],
                kind=record["kind"],
                query_external_id=record["query_external_id"],
                body=text,
                prev_hash=previous,
                hash=KEY.seal(previous, text),
            )
        )
    return seq


def file_as_first_compact(log: AuditLog, record: Mapping[str, Any]) -> int:
    """File a record the way the log did from revision 0023 until issue 27's forms: items in the
    first packed form, the explained page as it is, the text zstd-compressed with the item ids
    alone as dictionary (a bare frame). Its seq."""
    from tests.fairness.test_audit_codec import first_packed_items

    with transaction(log.sessions) as session:
        seq, previous = stored.newest(session)
        seq += 1
        body = {k: v for k, v in record.items() if k != "items"}
        body |= {"seq": seq, "key_id": KEY.key_id}
        if record["items"]:
            body["items_packed"] = first_packed_items(record["items"])
        else:
            body["items"] = []
        text = canonical(body)
        ids = json.dumps([i["id"] for i in record["items"]], separators=(",", ":"))
        dictionary = zstandard.ZstdCompressionDict(
            ids.encode(), dict_type=zstandard.DICT_TYPE_RAWCONTENT
        )
        session.add(
            AuditRecordRow(
                seq=seq,
                request_id=record["request_id"],
                served_at=dt.datetime.fromisoformat(record["served_at"]),
                direction=record["direction"],
                kind=record["kind"],
                query_external_id=record["query_external_id"],
                body="",
                body_zstd=zstandard.ZstdCompressor(level=7, dict_data=dictionary).compress(
                    text.encode()
                ),
                item_ids=ids,
                interleaved="interleaving" in record,
                prev_hash=previous,
                hash=KEY.seal(previous, text),
            )
        )
    return seq


# ---------------------------------------------------------------------------- appending, reading


def test_appends_are_numbered_from_one_and_the_untouched_chain_verifies(
    log: AuditLog, tmp_path: Path
) -> None:
    appended = [log.append(make_record(f"req-{n}", seed=n)) for n in range(1, 4)]

    assert [a.seq for a in appended] == [1, 2, 3]
    assert len({a.hash for a in appended}) == 3
    head = Checkpoint.from_json((tmp_path / "head.json").read_text())
    assert (head.records, head.head) == (3, appended[-1].hash)
    assert head.valid(KEY)
    result = verify(log)
    assert result.ok, result.problems
    assert result.records == 3


def test_an_empty_log_is_unverifiable_until_something_vouches_for_it(
    log: AuditLog, tmp_path: Path
) -> None:
    """A new log and a wiped one look the same: neither is "intact"."""
    result = verify(log)
    assert result.status == "unverifiable" and not result.ok and not result.problems
    assert result.records == 0

    with log.sessions() as session:
        empty = log.checkpoint(session)
    assert verify(log, empty).status == "intact"  # a checkpoint says it was empty then

    fill(log, 2)
    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow))
    (tmp_path / "head.json").unlink()
    wiped = verify(log)
    assert wiped.status == "unverifiable" and wiped.records == 0


def test_the_first_record_links_to_the_genesis_hash(log: AuditLog) -> None:
    record = make_record("req-1")
    appended = log.append(record)
    sealed = canonical(compact({**record, "seq": 1, "key_id": KEY.key_id}))
    assert appended.hash == KEY.seal(GENESIS, sealed)
    assert appended.hash != sha256_chain(GENESIS, sealed)


def test_find_returns_the_logged_body_with_its_seq(log: AuditLog) -> None:
    fill(log, 2)
    record = make_record("req-x", kind="mentorship", seed=42)
    log.append(record)

    found = find(log, "req-x")
    assert found == {**record, "seq": 3, "key_id": KEY.key_id}
    assert find(log, "req-unknown") is None


def test_a_reused_request_id_is_filed_apart_and_hides_nothing(log: AuditLog) -> None:
    first = log.append(make_record("req-1", query_external_id="O1"))
    second = log.append(make_record("req-1", query_external_id="O2"))

    assert first.request_id == "req-1" and second.request_id == "req-1~2"
    found, later = find(log, "req-1"), find(log, "req-1~2")
    assert found is not None and later is not None
    assert (found["seq"], found["query_external_id"]) == (1, "O1")
    assert (later["seq"], later["query_external_id"]) == (2, "O2")
    assert verify(log).ok


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

    window = between(log, start, end, direction="opportunity")
    assert window == ["start-opportunity", "inside-opportunity"]
    everyone = between(log, start, end)
    assert everyone == [
        "start-opportunity",
        "start-employee",
        "inside-opportunity",
        "inside-employee",
    ]
    from_end = between(log, end, direction="employee")
    assert from_end == ["end-employee", "late-employee"]
    until_start = between(log, None, start)
    assert until_start == ["early-opportunity", "early-employee"]


def test_encoded_matrix_round_trips_float32_bit_exactly() -> None:
    rng = np.random.default_rng(11)
    matrix = rng.normal(scale=1e3, size=(5, 7)).astype(np.float32)
    awkward: list[SupportsFloat] = [
        np.nan,
        np.inf,
        -np.inf,
        -0.0,
        np.finfo(np.float32).tiny / 4,
        1 / 3,
    ]
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
    found = find(log, "req-1")
    assert found is not None
    scored = decode_matrix(record["features"])
    assert decode_matrix(found["features"]).tobytes() == scored.tobytes()


# ---------------------------------------------------------------------------- tampering


def test_a_score_edited_in_the_database_names_that_record_as_edited(log: AuditLog) -> None:
    fill(log, 3)
    body = stored_body(log, 2)
    body["items"][0]["score"] = 0.01
    change(log, 2, body=canonical(body))

    result = verify(log)

    assert not result.ok
    assert result.records == 3
    assert len(result.problems) == 1
    assert "edited" in about(result, 2)


def test_an_edit_rehashed_without_the_key_is_named_whole_chain_or_not(log: AuditLog) -> None:
    fill(log, 3)
    body = stored_body(log, 2)
    body["items"][0]["score"] = 0.01
    with log.sessions() as session:
        previous = session.scalar(select(AuditRecordRow.hash).where(AuditRecordRow.seq == 1))
    assert previous is not None
    # Re-hash the edited record and every later one with plain SHA-256, links and all: a chain
    # without a key would verify after this.
    for seq in (2, 3):
        text = canonical(body if seq == 2 else stored_body(log, seq))
        digest = sha256_chain(previous, text)
        change(log, seq, body=text, prev_hash=previous, hash=digest)
        previous = digest

    result = verify(log)

    assert not result.ok
    assert "edited" in about(result, 2)
    assert "edited" in about(result, 3)
    assert about(result, 1) == ""


def test_an_edit_sealed_with_another_key_names_the_key(log: AuditLog) -> None:
    fill(log, 2)
    body = stored_body(log, 2)
    body["key_id"] = AuditKey(b"somebody else's key, 32 bytes...").key_id
    text = canonical(body)
    with log.sessions() as session:
        previous = session.scalar(select(AuditRecordRow.hash).where(AuditRecordRow.seq == 1))
    assert previous is not None
    change(
        log, 2, body=text, hash=AuditKey(b"somebody else's key, 32 bytes...").seal(previous, text)
    )

    result = verify(log)

    assert not result.ok
    assert "sealed with key" in about(result, 2)


def test_a_record_deleted_in_the_middle_is_reported_missing(log: AuditLog) -> None:
    fill(log, 4)
    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 2))

    result = verify(log)

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

    result = verify(log)

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

    result = verify(log)

    assert not result.ok
    assert result.records == kept
    assert "deleted" in about(result, 5)


def test_deleting_the_newest_record_and_forging_the_head_file_is_caught(
    log: AuditLog, tmp_path: Path
) -> None:
    fill(log, 3)
    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 3))
        second = session.scalar(select(AuditRecordRow.hash).where(AuditRecordRow.seq == 2))
    head = tmp_path / "head.json"
    forged = json.loads(head.read_text()) | {"records": 2, "head": second}
    head.write_text(json.dumps(forged))

    result = verify(log)

    assert not result.ok
    assert any("not signed with this audit key" in p for p in result.problems)


def test_deleting_the_newest_record_and_the_head_file_is_caught(
    log: AuditLog, tmp_path: Path
) -> None:
    fill(log, 3)
    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 3))
    (tmp_path / "head.json").unlink()

    result = verify(log)

    assert not result.ok
    assert any("head file" in p and "missing" in p for p in result.problems)


def test_an_exported_checkpoint_catches_truncation_behind_an_old_genuine_head(
    log: AuditLog, tmp_path: Path
) -> None:
    """Whoever can delete records can also put back yesterday's head file (it was genuine):
    only a checkpoint kept elsewhere remembers what the log held."""
    fill(log, 2)
    old_head = (tmp_path / "head.json").read_text()
    fill(log, 4)  # req-1..4 again: records 3..6
    with log.sessions() as session:
        exported = log.checkpoint(session)
    assert exported.records == 6
    kept = Checkpoint.from_json(exported.to_json())  # as HR stores it
    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq > 2))
    (tmp_path / "head.json").write_text(old_head)

    assert verify(log).ok  # the old head file vouches for records 1..2, which are intact
    result = verify(log, kept)
    assert not result.ok
    assert any("records 6 entries but the log ends at 2" in p for p in result.problems)


def test_a_checkpoint_from_another_key_or_edited_is_refused(log: AuditLog) -> None:
    fill(log, 2)
    with log.sessions() as session:
        exported = log.checkpoint(session)
    other = AuditLog(
        log.sessions, AuditKey(b"another installation's key 123456"), seal_writes=False
    )
    with other.sessions() as session:
        foreign = other.checkpoint(session)
    edited = Checkpoint.from_json(exported.to_json().replace('"records": 2', '"records": 1'))

    for bad in (foreign, edited):
        result = verify(log, bad)
        assert any("not signed with this audit key" in p for p in result.problems)
    with pytest.raises(ValueError, match="not a talent-audit-checkpoint"):
        Checkpoint.from_json('{"records": 3}')


def test_without_a_head_file_a_truncated_log_still_looks_intact(state: ServiceState) -> None:
    log = AuditLog(state.sessions, KEY, seal_writes=False)
    fill(log, 3)
    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 3))
    assert verify(log).ok  # why the head file and exported checkpoints exist


def test_an_indexed_column_edited_without_its_body_disagrees_with_the_body(
    log: AuditLog,
) -> None:
    fill(log, 3)
    change(log, 2, kind="role")

    result = verify(log)

    assert not result.ok
    assert len(result.problems) == 1
    problem = about(result, 2)
    assert "kind" in problem
    assert "disagree" in problem


# ---------------------------------------------------------------------------- concurrency


def test_the_chain_s_two_ends_are_read_in_one_statement_as_they_are_apart(
    log: AuditLog,
) -> None:
    def apart() -> tuple[tuple[int, str], tuple[int, str]]:
        with log.sessions() as session:
            return stored.newest(session), stored.newest_seal(session)

    def together() -> tuple[tuple[int, str], tuple[int, str]]:
        with log.sessions() as session:
            return stored.chain_ends(session)

    assert together() == apart() == ((0, GENESIS), (0, GENESIS))
    fill(log, 3)
    log.append(make_record("minted", seed=4), fresh_id=True)
    assert together() == apart() and together()[0][0] == 4
    assert find(log, "minted") is not None


def test_concurrent_appends_leave_a_gap_free_chain(log: AuditLog) -> None:
    threads, each = 4, 10
    start = threading.Barrier(threads)

    def serve(worker: int) -> list[int]:
        start.wait()
        return [log.append(make_record(f"w{worker}-{n}", seed=n)).seq for n in range(each)]

    with ThreadPoolExecutor(threads) as pool:
        seqs = [seq for batch in pool.map(serve, range(threads)) for seq in batch]

    assert sorted(seqs) == list(range(1, threads * each + 1))
    result = verify(log)
    assert result.ok, result.problems
    assert result.records == threads * each
    assert all(find(log, f"w{w}-{n}") is not None for w in range(threads) for n in range(each))


def test_two_processes_appending_at_once_leave_one_gap_free_chain(
    state: ServiceState, tmp_path: Path
) -> None:
    """Two logs on one database stand for two server processes: their group commits race for
    the same sequence numbers, and the loser retries."""
    logs = [
        AuditLog(state.sessions, KEY, tmp_path / "head.json", seal_writes=False) for _ in range(2)
    ]
    start = threading.Barrier(6)

    def serve(worker: int) -> None:
        start.wait()
        for n in range(8):
            logs[worker % 2].append(make_record(f"p{worker}-{n}", seed=n))

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(serve, range(6)))

    result = verify(logs[0])
    assert result.ok, result.problems
    assert result.records == 48


def test_appending_behind_a_truncation_is_refused(log: AuditLog) -> None:
    """Records chained after a gap would look intact: the log stops instead (until someone
    looks), rather than moving its head past what was deleted."""
    fill(log, 3)
    with transaction(log.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 3))
    with pytest.raises(AuditIntegrityError, match="records were deleted"):
        log.append(make_record("after-the-gap"))
    assert find(log, "after-the-gap") is None


def test_readiness_is_not_fooled_by_an_append_committed_while_it_looks(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request appends between readiness reading the log's end and its head file:
    the head file then runs ahead of the rows read, which must not read as deleted records
    (a damaged log refuses every ranking)."""
    fill(log, 2)
    newest, looking = stored.newest, threading.get_ident()
    appended: list[str] = []

    def newest_then_an_append_elsewhere(session: Any) -> tuple[int, str]:
        found = newest(session)
        if threading.get_ident() == looking and not appended:
            with ThreadPoolExecutor(1) as other:  # commits and moves the head file
                appended.append(
                    other.submit(log.append, make_record("meanwhile")).result().request_id
                )
        return found

    monkeypatch.setattr(stored, "newest", newest_then_an_append_elsewhere)
    with log.sessions() as session:
        health = log.health(session, max_age=0)
    assert appended == ["meanwhile"]
    assert not health.damaged, health.problems
    monkeypatch.undo()
    with log.sessions() as session:
        assert log.health(session, max_age=0).status == "intact"


# ---------------------------------------------------------------------------- compact records


def test_a_record_is_stored_compressed_and_read_back_as_sealed(log: AuditLog) -> None:
    record = make_record("req-1", seed=3)
    appended = log.append(record)

    with log.sessions() as session:
        row = session.get(AuditRecordRow, 1)
        assert row is not None
        assert row.body == "" and row.body_zstd is not None
        text = stored.record_text(row)
        assert json.loads(row.item_ids or "") == ["E0", "E1", "E2"]
        assert row.interleaved is False
    # The seal covers the canonical JSON of the record as sealed (its items packed); the row
    # keeps that text compressed, and readers get the items back as they were served.
    sealed = json.loads(text)
    assert "items_packed" in sealed and "items" not in sealed
    assert text == canonical(compact({**record, "seq": 1, "key_id": KEY.key_id}))
    assert appended.hash == KEY.seal(GENESIS, text)
    assert len(row.body_zstd) < len(text)
    assert expand(sealed) == {**record, "seq": 1, "key_id": KEY.key_id}
    assert "f4_columns_zstd" in record["features"] and "f4_base64" not in record["features"]


def test_records_filed_before_compression_still_verify_and_read_beside_new_ones(
    log: AuditLog,
) -> None:
    old = make_record("old-1", seed=1)
    file_as_before_0023(log, old)
    log.append(make_record("new-2", seed=2))
    file_as_before_0023(log, make_record("old-3", seed=3))  # a second process, not upgraded
    log.append(make_record("new-4", seed=4))

    result = verify(log)
    assert result.ok, result.problems
    assert result.records == 4
    found = find(log, "old-1")
    assert found is not None and "f4_base64" in found["features"]
    assert decode_matrix(found["features"]).tobytes() == decode_matrix(old["features"]).tobytes()
    assert between(log) == ["old-1", "new-2", "old-3", "new-4"]


def test_records_in_the_first_compressed_form_verify_and_read_beside_new_ones(
    log: AuditLog,
) -> None:
    first = make_record("first-1", seed=1)
    first["items"][1]["after"] = None  # hidden by an override: -1 in that form
    file_as_first_compact(log, first)
    log.append(make_record("new-2", seed=2))
    file_as_first_compact(log, make_record("first-3", seed=3))  # a process not upgraded yet
    log.append(make_record("new-4", seed=4))

    result = verify(log)
    assert result.ok, result.problems
    assert result.records == 4
    found = find(log, "first-1")
    assert found is not None
    assert found["items"] == first["items"]
    assert decode_matrix(found["features"]).tobytes() == decode_matrix(first["features"]).tobytes()
    assert between(log) == ["first-1", "new-2", "first-3", "new-4"]
    with log.sessions() as session:
        forms = [bytes(row.body_zstd or b"")[:1] for row in stored.records_in_order(session)]
    assert forms == [stored.ZSTD_MAGIC[:1], stored.WITH_SHIPPED] * 2
    with log.sessions() as session:
        assert rankings_listing(session, 1, ["E1"]) == {1, 2, 3, 4}


def test_tampering_with_a_compressed_body_is_named(log: AuditLog) -> None:
    fill(log, 5)
    with log.sessions() as session:
        packed = session.scalar(select(AuditRecordRow.body_zstd).where(AuditRecordRow.seq == 2))
    assert packed is not None
    flipped = bytearray(packed)
    flipped[len(flipped) // 2] ^= 0x01
    change(log, 2, body_zstd=bytes(flipped))  # a bit flipped in the stored bytes
    body = stored_body(log, 3)
    body["items"][0]["score"] = 0.01
    change(log, 3, body=canonical(body))  # recompressed after an edit
    change(log, 4, raw=True, body="{}")  # plain text written beside the compressed body
    change(log, 5, body_zstd=b"not a zstd frame")

    result = verify(log)

    assert not result.ok
    for seq in (2, 3, 4, 5):
        assert "edited" in about(result, seq), result.problems
    assert about(result, 1) == ""


@pytest.mark.parametrize(
    ("values", "named"),
    [
        # The body is read with its item ids: edited ids no longer give the sealed text.
        ({"item_ids": None}, "was edited"),
        ({"item_ids": '["E9"]'}, "was edited"),
        ({"interleaved": True}, "interleaved disagree"),
        ({"interleaved": None}, "interleaved disagree"),
    ],
)
def test_a_search_column_edited_without_its_body_is_named(
    log: AuditLog, values: dict[str, Any], named: str
) -> None:
    fill(log, 3)
    change(log, 2, **values)

    result = verify(log)

    assert named in about(result, 2), result.problems
    assert about(result, 1) == "" and about(result, 3) == ""


def test_searches_find_old_and_new_records_by_item_and_by_interleaving(log: AuditLog) -> None:
    teams: Interleaved = {"challenger": "v2", "seed": 7, "teams": {"E0": "live"}}
    file_as_before_0023(log, make_record("old-plain", seed=1))
    file_as_before_0023(log, {**make_record("old-drafted", seed=2), "interleaving": teams})
    log.append(make_record("new-plain", seed=3))
    log.append({**make_record("new-drafted", seed=4), "interleaving": teams})
    odd = make_record("new-odd", seed=5)
    odd["items"][1]["id"] = 'E"1'  # escaped in JSON: found as itself, never as "E1"
    log.append(odd)

    with log.sessions() as session:
        assert rankings_listing(session, 1, ["E2"]) == {1, 2, 3, 4, 5}
        assert rankings_listing(session, 2, ["E1"]) == {2, 3, 4}
        assert rankings_listing(session, 1, ['E"1']) == {5}
        assert rankings_listing(session, 1, ["E7"]) == set()
        drafted = interleaved_bodies(session, direction="opportunity", kind="gig", since=MORNING)
        assert [json.loads(b)["request_id"] for b in drafted] == ["old-drafted", "new-drafted"]
    assert verify(log).ok
