"""The packed forms of an audit record's numbers: bit for bit back, smaller than the JSON they
replace, and refused (never misread) when damaged."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest
import zstandard

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
    # The similarity is float32 and kept so (as differences: it arrives sorted); a score is
    # float64 and kept so; ranks as differences from the ranks the scores and `before` predict.
    assert packed["columns"][:4] == ["score:<f8", "similarity:<f4:d", "before:<i8:r", "after:<i8:r"]
    assert len(json.dumps(packed)) < len(json.dumps(logged)) / 2


def test_a_similarity_that_is_not_a_float32_is_kept_as_float64() -> None:
    logged = items(10)
    logged[3]["similarity"] = 0.1  # not a float32 value
    packed = compact_items(logged)
    assert packed is not None and "similarity:<f8:d" in packed["columns"]
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


# Floats a bit-exact packing must keep as they are: signed zeros, infinities, a NaN, the
# smallest and largest subnormals of float32 and float64, and the largest finite values.
ODD_FLOATS = [
    -0.0,
    0.0,
    float("inf"),
    float("-inf"),
    float("nan"),
    float(np.float32(1e-45)),
    float(np.nextafter(np.float32(2**-126), np.float32(0))),
    5e-324,
    -2.2250738585072014e-308 / 3,
    float(np.finfo(np.float32).max),
    1.7976931348623157e308,
]


def bits(values: list[float]) -> bytes:
    return np.array(values, dtype="<f8").tobytes()


def test_odd_floats_in_the_matrix_come_back_bit_for_bit() -> None:
    matrix = realistic_matrix(len(ODD_FLOATS))
    with np.errstate(over="ignore"):  # the float64 extremes become float32 infinities
        matrix[:, 4] = np.array(ODD_FLOATS, dtype=np.float64).astype(np.float32)
    matrix[-1, 4] = -np.float32(1e-45)  # a negative subnormal of float32 itself
    matrix[::2, 5] = -0.0  # a column of few values (tabled) holding -0.0 beside 0.0
    matrix[1::2, 5] = 0.0

    encoded = json.loads(json.dumps(encode_matrix(matrix)))

    assert decode_matrix(encoded).tobytes() == matrix.tobytes()


def test_odd_floats_in_the_items_come_back_bit_for_bit() -> None:
    logged = items(len(ODD_FLOATS))
    for item, odd in zip(logged, ODD_FLOATS, strict=True):
        item["score"] = odd
        item["similarity"] = odd  # some are not float32 values: the column is kept float64
        item["propensity"] = odd
    # `before` is the rank the scores give, but a NaN score ranks wherever the server put it.
    logged[4]["before"], logged[0]["before"] = logged[0]["before"], logged[4]["before"]

    packed = compact_items(logged)

    assert packed is not None
    back = expand_items(json.loads(json.dumps(packed)))
    for name in ("score", "similarity", "propensity"):
        assert bits([i[name] for i in back]) == bits([i[name] for i in logged])
    assert [(i["id"], i["before"], i["after"]) for i in back] == [
        (i["id"], i["before"], i["after"]) for i in logged
    ]


def first_packed_items(logged: list[dict[str, Any]]) -> dict[str, Any]:
    """Items as revision 0023 packed them (until issue 27's forms): int32 ranks with -1 for a
    hidden item, every column as it is."""
    columns = {
        "score:<f8": np.array([i["score"] for i in logged], dtype="<f8"),
        "similarity:<f4": np.array([i["similarity"] for i in logged], dtype="<f4"),
        "before:<i4": np.array([i["before"] for i in logged], dtype="<i4"),
        "after:<i4": np.array([-1 if i["after"] is None else i["after"] for i in logged], "<i4"),
    }
    if "propensity" in logged[0]:
        columns["propensity:<f8"] = np.array([i["propensity"] for i in logged], dtype="<f8")
    planes = b"".join(
        a.view(np.uint8).reshape(-1, a.itemsize).T.tobytes() for a in columns.values()
    )
    return {
        "ids": [i["id"] for i in logged],
        "columns": list(columns),
        "zstd": base64.b64encode(zstandard.ZstdCompressor().compress(planes)).decode(),
    }


def test_items_in_the_first_packed_form_still_read() -> None:
    logged = items(9)
    assert logged[7]["after"] is None  # hidden by an override: -1 in that form

    assert expand_items(first_packed_items(logged)) == logged


def explained(count: int = 20, seed: int = 0) -> list[dict[str, Any]]:
    """An employee's page as the serving path explains it: details the templates were filled
    with, and each item's contributions by feature (float64) and the reasons said."""
    rng = np.random.default_rng(seed)
    names = [f"feature_{j}" for j in range(29)]
    page = []
    for i in range(count):
        amounts = rng.normal(scale=0.1, size=29).tolist()
        page.append(
            {
                "id": f"O{i:04d}",
                "details": {
                    "asked": "required skills",
                    "hours": float(rng.integers(4, 40)),
                    "matched": int(rng.integers(0, 5)),
                    "matched_names": ": " + ", ".join(f"skill {k}" for k in range(i % 3)),
                },
                "explanation": {
                    "base_value": -0.702983321371262,
                    "contributions": dict(zip(names, amounts, strict=True)),
                    "reasons": [
                        {"contribution": amounts[k], "feature": names[k], "text": f"said {k}"}
                        for k in range(i % 4)
                    ],
                },
            }
        )
    return page


def test_an_explained_page_packs_by_column_and_comes_back_exactly() -> None:
    page = explained()
    page[1]["explanation"]["contributions"].update(
        zip(["a", "b", "c"], ODD_FLOATS[:3], strict=True)
    )
    page[2]["explanation"]["contributions"].update(
        zip(["a", "b", "c"], ODD_FLOATS[3:6], strict=True)
    )
    for entry in page[:1] + page[3:]:
        entry["explanation"]["contributions"].update(
            zip(["a", "b", "c"], ODD_FLOATS[6:9], strict=True)
        )
    record = {"request_id": "r", "items": items(20), "explained": page}

    sealed = json.loads(json.dumps(compact(record)))
    back = expand(sealed)

    assert "explained" not in sealed and "explained_packed" in sealed
    assert json.dumps(back, sort_keys=True) == json.dumps(record, sort_keys=True)
    for got, logged in zip(back["explained"], page, strict=True):
        names = sorted(logged["explanation"]["contributions"])
        assert bits([got["explanation"]["contributions"][n] for n in names]) == bits(
            [logged["explanation"]["contributions"][n] for n in names]
        )
        # An int stays an int, a float a float (what a reader shows of the details).
        assert [type(v) for v in got["details"].values()] == [
            type(logged["details"][k]) for k in got["details"]
        ]
    packed_bytes = len(zstandard.ZstdCompressor(level=7).compress(json.dumps(sealed).encode()))
    plain_bytes = len(zstandard.ZstdCompressor(level=7).compress(json.dumps(record).encode()))
    assert packed_bytes < 0.85 * plain_bytes


def test_an_uneven_page_is_packed_as_json_where_its_entries_differ() -> None:
    page = explained(4)
    del page[2]["details"]["hours"]  # the entries' details differ: kept as they are
    page[3]["explanation"]["base_value"] = 1  # an int among floats: kept as JSON
    record = {"request_id": "r", "explained": page}

    sealed = json.loads(json.dumps(compact(record)))

    assert expand(sealed) == record
    assert [type(e["explanation"]["base_value"]) for e in expand(sealed)["explained"]] == [
        float,
        float,
        float,
        int,
    ]
    assert compact({"request_id": "r", "explained": []}) == {"request_id": "r", "explained": []}


def test_a_damaged_explained_page_is_refused() -> None:
    sealed = compact({"request_id": "r", "explained": explained(3)})
    page = sealed["explained_packed"]
    for damaged in (
        {**page, "count": 4},  # more entries than its columns hold
        {**page, "f8": base64.b64encode(zstandard.ZstdCompressor().compress(b"\0" * 16)).decode()},
        {**page, "tree": {"x": []}},
        {**page, "count": 10**12, "tree": {"o": {}}},  # no column to say it is wrong
        {**page, "count": 1, "tree": {"l": [10**12], "v": {"o": {}}}},
    ):
        with pytest.raises(ValueError):
            expand({**sealed, "explained_packed": damaged})
