"""The packed forms of an audit record's numbers: bit for bit back, smaller than the JSON they
replace, and refused (never misread) when damaged."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest

from fairness.audit_codec import (
    compact,
    compact_items,
    decode_matrix,
    encode_matrix,
    expand,
    expand_items,
)


def realistic_matrix(rows: int = 200, seed: int = 0) -> np.ndarray:
    """Columns like the feature registry's: shares and counts with few values, cosines and
    tenures with as many values as rows, constants, and an all-zero column."""
    rng = np.random.default_rng(seed)
    columns = [
        rng.integers(0, 7, rows) / 6,  # a coverage share
        rng.integers(0, 5, rows).astype(float),  # a count
        np.zeros(rows),
        np.full(rows, 1.9459101),  # a posting's popularity: one value for the list
        rng.uniform(0.2, 0.95, rows),  # a cosine
        rng.uniform(0, 20, rows),  # tenure in years
    ]
    return np.column_stack(columns).astype(np.float32)


def items(count: int = 200, *, seed: int = 0, propensity: bool = True) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(count)
    logged = []
    for i in range(count):
        item: dict[str, Any] = {
            "id": f"E{i:05d}",
            "score": float(rng.normal()),
            "similarity": float(np.float32(rng.uniform(0.3, 0.9))),  # FAISS: float32
            "before": i + 1,
            "after": None if i == 7 else int(order[i]) + 1,  # one hidden by an override
        }
        if propensity:
            item["propensity"] = [1.0, 0.0, 16 / 17, 0.8 / 17][i % 4]
        logged.append(item)
    return logged


def test_a_realistic_matrix_comes_back_bit_for_bit_in_under_half_its_bytes() -> None:
    matrix = realistic_matrix()
    matrix[0, 4:] = [np.nan, -0.0]  # what a bit-exact encoding must keep as well

    encoded = json.loads(json.dumps(encode_matrix(matrix)))

    assert decode_matrix(encoded).tobytes() == matrix.tobytes()
    assert len(encoded["f4_columns_zstd"]) < len(base64.b64encode(matrix.tobytes())) / 2


def test_a_matrix_of_one_row_or_none_and_a_wide_table_column_round_trip() -> None:
    for matrix in (realistic_matrix(1), realistic_matrix(0)):
        assert decode_matrix(encode_matrix(matrix)).tobytes() == matrix.tobytes()
    # 256 distinct values: the most a column is tabled with (its index is one byte).
    tabled = np.repeat(np.arange(256, dtype=np.float32), 3).reshape(-1, 1)
    assert decode_matrix(encode_matrix(tabled)).tobytes() == tabled.tobytes()


def test_a_damaged_matrix_is_refused() -> None:
    encoded = encode_matrix(realistic_matrix())
    raw = bytearray(base64.b64decode(encoded["f4_columns_zstd"]))
    raw[len(raw) // 2] ^= 0xFF
    with pytest.raises(ValueError):
        decode_matrix({**encoded, "f4_columns_zstd": base64.b64encode(bytes(raw)).decode()})
    with pytest.raises(ValueError):  # the wrong shape for its bytes
        decode_matrix({**encoded, "shape": [199, 6]})


@pytest.mark.parametrize("propensity", [True, False])
def test_items_come_back_exactly_as_logged(propensity: bool) -> None:
    logged = items(propensity=propensity)

    packed = compact_items(logged)

    assert packed is not None
    back = expand_items(json.loads(json.dumps(packed)))
    assert back == logged
    assert [type(i["after"]) for i in back] == [type(i["after"]) for i in logged]
    # The similarity is float32 and kept so; a score is float64 and kept so.
    assert "similarity:<f4" in packed["columns"] and "score:<f8" in packed["columns"]
    assert len(json.dumps(packed)) < len(json.dumps(logged)) / 2


def test_a_similarity_that_is_not_a_float32_is_kept_as_float64() -> None:
    logged = items(10)
    logged[3]["similarity"] = 0.1  # not a float32 value
    packed = compact_items(logged)
    assert packed is not None and "similarity:<f8" in packed["columns"]
    assert expand_items(packed) == logged


@pytest.mark.parametrize(
    "odd",
    [
        {"note": "x"},  # a field the packing does not know
        {"score": 1},  # an int where a float is logged
        {"before": None},  # only `after` may be none
        {"after": -3},
        {"id": 7},
    ],
)
def test_items_the_packing_cannot_say_exactly_are_logged_as_they_are(odd: dict[str, Any]) -> None:
    logged = items(5)
    logged[2] = {**logged[2], **odd}
    assert compact_items(logged) is None
    record = {"request_id": "r", "items": logged}
    assert compact(record) == record


def test_some_items_with_a_propensity_and_some_without_are_logged_as_they_are() -> None:
    logged = items(5)
    del logged[1]["propensity"]
    assert compact_items(logged) is None


def test_a_record_packs_and_expands_to_itself_and_an_old_one_reads_unchanged() -> None:
    matrix = encode_matrix(realistic_matrix(20))
    record = {"request_id": "r", "items": items(20), "features": matrix}

    sealed = compact(record)

    assert "items" not in sealed and "items_packed" in sealed
    assert expand(json.loads(json.dumps(sealed))) == record
    assert expand({"items": []}) == {"items": []}
    assert compact({"items": []}) == {"items": []}
