"""The audit log's sealing, without a database: seals and signatures recomputed by hand from
the secret, checkpoints that survive a round trip and fail when edited, and the exact texts a
seal covers."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest

from data.storage.audit import GENESIS
from fairness.audit_codec import parse
from fairness.audit_sealing import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_FORMAT_V1,
    AuditKey,
    Checkpoint,
    record_text,
    row_text,
    seal_body,
)

SECRET = b"0123456789abcdef-sealing-test"
KEY = AuditKey(SECRET)


def _derived(label: bytes) -> bytes:
    return hmac.new(SECRET, label, hashlib.sha256).digest()


def test_a_seal_is_the_keyed_mac_of_the_previous_seal_and_the_text() -> None:
    text = '{"seq":1}'
    expected = hmac.new(
        _derived(b"talent-audit/seal"), f"{GENESIS}\n{text}".encode(), hashlib.sha256
    ).hexdigest()
    assert KEY.seal(GENESIS, text) == expected
    assert KEY.seal(expected, text) != expected  # chained: the same text sealed again differs
    assert KEY.key_id == hmac.new(SECRET, b"talent-audit/key-id", hashlib.sha256).hexdigest()[:16]


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        AuditKey(b"too short")


def test_a_checkpoint_round_trips_and_is_refused_once_edited_or_under_another_key() -> None:
    made = Checkpoint.make(KEY, 7, "a" * 64, 3, "b" * 64)
    read = Checkpoint.from_json(made.to_json())
    assert read == made and read.valid(KEY)
    signed = f"{CHECKPOINT_FORMAT}\n7\n{'a' * 64}\n3\n{'b' * 64}\n{made.at}"
    assert (
        made.signature
        == hmac.new(
            _derived(b"talent-audit/checkpoint"), signed.encode(), hashlib.sha256
        ).hexdigest()
    )
    edited = json.loads(made.to_json()) | {"seals": 2}
    assert not Checkpoint.from_json(json.dumps(edited)).valid(KEY)
    assert not made.valid(AuditKey(b"another key of sixteen bytes"))


def test_a_format_1_checkpoint_vouches_for_records_only_and_still_verifies() -> None:
    at = "2026-11-02T09:00:00+00:00"
    signature = KEY.sign(f"{CHECKPOINT_FORMAT_V1}\n4\n{'c' * 64}\n{at}")
    document = {
        "format": CHECKPOINT_FORMAT_V1,
        "records": 4,
        "head": "c" * 64,
        "key_id": KEY.key_id,
        "at": at,
        "signature": signature,
    }
    read = Checkpoint.from_json(json.dumps(document))
    assert read.seals is None and read.seals_head is None and read.valid(KEY)
    assert read.as_dict() == document


@pytest.mark.parametrize(
    ("name", "value"),
    [("records", -1), ("records", True), ("records", "4"), ("format", "other/1"), ("head", None)],
)
def test_a_checkpoint_with_a_bad_or_missing_field_is_unreadable(name: str, value: object) -> None:
    document = json.loads(Checkpoint.make(KEY, 4, "c" * 64).to_json())
    if value is None:
        del document[name]
    else:
        document[name] = value
    with pytest.raises(ValueError):
        Checkpoint.from_json(json.dumps(document))


def test_a_row_is_sealed_as_canonical_json_of_its_stream_and_columns() -> None:
    at = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    assert row_text("interactions", {"id": 5, "at": at, "kind": "applied"}) == (
        '{"at":"2026-11-02T09:00:00+00:00","id":5,"kind":"applied","stream":"interactions"}'
    )


def test_a_seal_body_lists_each_rows_digest_and_the_digest_of_all() -> None:
    texts = ['{"id":1}', '{"id":2}']
    body = seal_body(
        seq=3, key_id=KEY.key_id, stream="oversight", sealed_at="at", ids=[1, 2], texts=texts
    )
    assert body["rows"] == [
        [1, hashlib.sha256(b'{"id":1}').hexdigest()[:16]],
        [2, hashlib.sha256(b'{"id":2}').hexdigest()[:16]],
    ]
    assert body["digest"] == hashlib.sha256(b'{"id":1}\n{"id":2}').hexdigest()
    assert (body["seq"], body["stream"], body["key_id"]) == (3, "oversight", KEY.key_id)


def test_a_record_is_sealed_numbered_naming_its_key_and_with_its_items_packed() -> None:
    assert record_text({"request_id": "r1", "b": [1, 2]}, seq=9, key_id="k") == (
        '{"b":[1,2],"key_id":"k","request_id":"r1","seq":9}'
    )
    items = [{"id": "E1", "score": 0.75, "similarity": 0.5, "before": 1, "after": 1}]
    text = record_text({"request_id": "r2", "items": items}, seq=1, key_id="k")
    assert "items" not in json.loads(text) and "items_packed" in json.loads(text)
    assert parse(text) == {"request_id": "r2", "items": items, "seq": 1, "key_id": "k"}
