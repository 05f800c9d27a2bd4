"""How a served ranking's numbers are written into its sealed record, exactly and compactly.

A record (fairness/audit_record.py) carries two large blocks of numbers: the feature rows the
model scored (200 × 29 float32 at a full pool) and, per scored item, its score, retrieval
similarity, ranks and propensity. As JSON text they were ~85% of a 62 KB record: a float64
score or a float32 similarity printed with 17 digits, the matrix as plain base64. Both are now
written as binary columns, zstd-compressed, base64 in the JSON, and read back bit for bit:

- `encode_matrix` (`f4_columns_zstd`): column by column; a column of at most 256 distinct
  values (coverages, counts, levels, flags) as a table of its values and one byte per row, any
  other column as its little-endian float32 bytes grouped by position (every row's first
  byte, then every second byte, ...), so that its sign and exponent bytes compress.
- `compact_items` (`items_packed`): the ids as a JSON list, each numeric field as a column
  (float64, or float32 where every value is one exactly), bytes grouped by position likewise;
  since issue 27 the similarities as differences of their bits (`:d`) and the ranks as int64
  differences from the ranks the scores and `before` predict (`:r`), the first form's int32
  ranks (-1 for "none") still read. A list whose items hold anything else is left as it is.
- the explained page (`explained_packed`, since issue 27): by column, fairness/audit_explained.py.

Readers never see the packed forms of items or of the page: `expand` turns a sealed record back
into the shape fairness/audit_record.py defines (fairness/audit_log.py does it on every read).
Records filed before (`f4_base64`, plain `items`, plain `explained`) read as they always did.

Measured on 200-item lists of the demo company (docs/architecture.md, "Audit log").
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import zstandard

from fairness import audit_explained
from fairness.audit_record import EncodedMatrix, ServedRanking

# zstd level of the packed blocks: on a 200 × 29 matrix level 3 took 0.06 ms, level 19 took
# 12 ms for 8% less; the record is packed while the appender holds the chain's lock.
LEVEL = 3
TABLE = 256  # most distinct values a matrix column is written as a table of
PLANES, TABLED = 0, 1  # how a matrix column is written (its first byte)

_codecs = threading.local()  # zstd contexts are not thread-safe: one per thread


def _compress(data: bytes) -> str:
    compressor = getattr(_codecs, "compressor", None)
    if compressor is None:
        compressor = _codecs.compressor = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True)
    return base64.b64encode(compressor.compress(data)).decode()


def _decompress(text: str, most: int) -> bytes:
    """At most `most` bytes, or ValueError (a damaged or forged block)."""
    try:
        return zstandard.ZstdDecompressor().decompress(
            base64.b64decode(text, validate=True), max_output_size=max(most, 1)
        )
    except (zstandard.ZstdError, ValueError) as bad:
        raise ValueError(f"a packed block does not decompress ({bad})") from None


def _planes(values: np.ndarray) -> bytes:
    """Little-endian bytes grouped by position: byte 0 of every value, then byte 1, ..."""
    width = values.dtype.itemsize
    return values.view(np.uint8).reshape(-1, width).T.tobytes()


def _unplanes(raw: bytes, dtype: str) -> np.ndarray:
    width = np.dtype(dtype).itemsize
    return np.frombuffer(raw, dtype=np.uint8).reshape(width, -1).T.copy().view(dtype).ravel()


# -- the feature matrix ------------------------------------------------------------------------


def encode_matrix(matrix: np.ndarray) -> EncodedMatrix:
    """A float32 matrix as JSON: exact bytes, so a replay scores the very same inputs."""
    data = np.asarray(matrix, dtype="<f4")
    if data.ndim != 2:
        raise ValueError(f"a feature matrix has two dimensions, not {data.ndim}")
    rows, columns = data.shape
    # Every column's distinct bit patterns in one sort of the transposed matrix (a np.unique
    # per column took ~3 ms of the serving path at 200 × 29; this ~0.3 ms).
    bits = np.ascontiguousarray(data.T).view("<u4")
    ranked = np.sort(bits, axis=1)
    first = np.ones(ranked.shape, dtype=bool)
    first[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    distinct = first.sum(axis=1)
    blocks = []
    for j in range(columns):
        count = int(distinct[j])
        if 0 < count <= TABLE and count * 4 + rows < rows * 4:
            table = ranked[j][first[j]]
            picks = np.searchsorted(table, bits[j])
            blocks += [bytes([TABLED, count - 1]), table.astype("<u4").tobytes()]
            blocks.append(picks.astype(np.uint8).tobytes())
        else:
            blocks += [bytes([PLANES]), _planes(bits[j])]
    return {"shape": [rows, columns], "f4_columns_zstd": _compress(b"".join(blocks))}


def decode_matrix(encoded: Mapping[str, Any]) -> np.ndarray:
    """The float32 rows a record logged, from either encoding (ValueError if damaged)."""
    shape = [int(n) for n in encoded["shape"]]
    if "f4_base64" in encoded:  # a record filed before packing: row-major, plain
        raw = base64.b64decode(encoded["f4_base64"])
        return np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32)
    rows, columns = shape
    # A table column is the shorter form, so a whole matrix never exceeds this.
    raw = _decompress(encoded["f4_columns_zstd"], columns * (1 + rows * 4))
    data = np.frombuffer(raw, dtype=np.uint8)
    bits = np.empty((columns, rows), dtype="<u4")  # column by column, transposed at the end
    at = 0
    for j in range(columns):
        kind = raw[at] if at < len(raw) else None
        if kind == PLANES and at + 1 + rows * 4 <= len(raw):
            planes = data[at + 1 : at + 1 + rows * 4].reshape(4, rows)
            bits[j] = np.ascontiguousarray(planes.T).view("<u4").ravel()
            at += 1 + rows * 4
        elif kind == TABLED and at + 1 < len(raw):
            count = raw[at + 1] + 1
            end = at + 2 + count * 4 + rows
            if end > len(raw):
                raise ValueError(f"column {j} of a packed matrix is cut short")
            table = data[at + 2 : at + 2 + count * 4].view("<u4")
            picks = data[at + 2 + count * 4 : end]
            if rows and picks.max() >= count:
                raise ValueError(f"column {j} of a packed matrix points past its values")
            bits[j] = table[picks]
            at = end
        else:
            raise ValueError(f"column {j} of a packed matrix is damaged (form {kind})")
    if at != len(raw):
        raise ValueError("a packed matrix holds more bytes than its columns")
    return np.ascontiguousarray(bits.T).view(np.float32)


# -- the scored items ----------------------------------------------------------------------------

# The numeric fields of a logged item (fairness/audit_record.LoggedItem), in the order packed.
FLOATS = ("score", "similarity", "propensity")
INTS = ("before", "after")  # after: None when an override hid the item
FIELDS = ("score", "similarity", "before", "after", "propensity")
INT_MAX = 2**31 - 1


def compact_items(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The items as `items_packed`, or None when they hold what the packing cannot say exactly
    (another field, another type, a field on some items only): they are then logged as they
    are."""
    if not items:
        return None
    keys = set(items[0])
    if not {"id", "score", "similarity", "before", "after"} <= keys <= {"id", *FIELDS}:
        return None
    if any(set(item) != keys or not isinstance(item["id"], str) for item in items):
        return None
    columns, blocks = [], []
    decoded: dict[str, np.ndarray] = {}
    for name in (f for f in FIELDS if f in keys):
        values = [item[name] for item in items]
        if name in FLOATS:
            if not all(type(v) is float for v in values):
                return None
            wide = np.array(values, dtype="<f8")
            with np.errstate(over="ignore"):  # beyond float32's range: kept float64 below
                narrow = wide.astype("<f4")
            exact = np.array_equal(narrow.astype("<f8").view("<u8"), wide.view("<u8"))
            array = narrow if exact else wide
            decoded[name] = wide
        else:
            if not all(
                (type(v) is int and 0 <= v <= INT_MAX) or (v is None and name == "after")
                for v in values
            ):
                return None
            array = np.array([NONE if v is None else v for v in values], dtype="<i8")
            decoded[name] = array
        form = FORMS.get(name, "")
        stored = _to_stored(form, name, array, decoded)
        columns.append(f"{name}:{array.dtype.str}" + (f":{form}" if form else ""))
        blocks.append(_planes(stored))
    return {
        "ids": [item["id"] for item in items],
        "columns": columns,
        "zstd": _compress(b"".join(blocks)),
    }


def expand_items(packed: dict[str, Any]) -> list[dict[str, Any]]:
    """The items `compact_items` packed, as they were (ValueError if damaged)."""
    ids = packed["ids"]
    count = len(ids)
    layout = [_column(spec) for spec in packed["columns"]]
    sizes = [_stored_dtype(form, dtype).itemsize * count for _, dtype, form in layout]
    raw = _decompress(packed["zstd"], sum(sizes))
    if len(raw) != sum(sizes):
        raise ValueError(f"packed items hold {len(raw)} bytes, not {sum(sizes)}")
    items: list[dict[str, Any]] = [{"id": item_id} for item_id in ids]
    decoded: dict[str, np.ndarray] = {}
    at = 0
    for (name, dtype, form), size in zip(layout, sizes, strict=True):
        stored = _unplanes(raw[at : at + size], _stored_dtype(form, dtype).str)
        at += size
        values = _from_stored(form, name, dtype, stored, decoded)
        if name in FLOATS:
            decoded[name] = values.astype("<f8")
            for item, value in zip(items, decoded[name].tolist(), strict=True):
                item[name] = value
        else:
            decoded[name] = values.astype("<i8")
            for item, value in zip(items, decoded[name].tolist(), strict=True):
                if not (0 <= value <= INT_MAX or (value == NONE and name == "after")):
                    raise ValueError(f"packed item {name} {value} is out of range")
                item[name] = None if value == NONE else value
    return items


# How each field is written since packed items were first written (no third part: as it is):
#   d: floats as the difference of each one's bits from the one before (mod 2**width): the
#      similarities arrive sorted, so their differences are small numbers;
#   r: ranks as their difference from a rank the fields before predict: `before` from the
#      scores' order, `after` from `before` (only the re-ranker's moves differ).
FORMS = {"similarity": "d", "before": "r", "after": "r"}
NONE = -(2**40)  # `after` of a hidden item (-1 in the first packed form): no rank difference


def _column(spec: str) -> tuple[str, str, str]:
    parts = spec.split(":")
    name, dtype = parts[0], parts[1] if len(parts) > 1 else ""
    form = parts[2] if len(parts) == 3 else ""
    known = (name in FLOATS and dtype in ("<f8", "<f4") and form in ("", "d")) or (
        name in INTS and (dtype, form) in (("<i4", ""), ("<i8", "r"))
    )
    if len(parts) not in (2, 3) or not known:
        raise ValueError(f"unknown packed item column {spec!r}")
    return name, dtype, form


def _stored_dtype(form: str, dtype: str) -> np.dtype[Any]:
    if form == "d":
        return np.dtype(dtype.replace("f", "u"))
    return np.dtype(dtype)


def _predicted(name: str, decoded: dict[str, np.ndarray]) -> np.ndarray:
    """The rank the fields decoded before predict for `name` (form r)."""
    if name == "before":
        if "score" not in decoded:
            raise ValueError("packed item ranks come before their scores")
        order = np.argsort(-decoded["score"], kind="stable")
        rank = np.empty(len(order), dtype="<i8")
        rank[order] = np.arange(1, len(order) + 1)
        return rank
    if "before" not in decoded:
        raise ValueError("packed served ranks come before the ranks by score")
    return decoded["before"]


def _to_stored(
    form: str, name: str, array: np.ndarray, decoded: dict[str, np.ndarray]
) -> np.ndarray:
    if form == "d":
        bits = array.view(_stored_dtype(form, array.dtype.str))
        return np.diff(bits, prepend=bits.dtype.type(0))  # unsigned: wraps, exactly undone
    if form == "r":
        residual = array - _predicted(name, decoded)
        return np.where(array == NONE, NONE, residual).astype("<i8")
    return array


def _from_stored(
    form: str, name: str, dtype: str, stored: np.ndarray, decoded: dict[str, np.ndarray]
) -> np.ndarray:
    if form == "d":
        return np.cumsum(stored, dtype=stored.dtype).view(dtype)
    if form == "r":
        return np.where(stored == NONE, NONE, stored + _predicted(name, decoded))
    if dtype == "<i4":
        return np.where(stored == -1, NONE, stored.astype("<i8"))
    return stored


# -- whole records -------------------------------------------------------------------------------


def compact(body: dict[str, Any]) -> dict[str, Any]:
    """The record as sealed: its items and its explained page packed where they can be (see
    compact_items and fairness/audit_explained.py)."""
    packed = dict(body)
    items = compact_items(body.get("items", []))
    if items is not None:
        del packed["items"]
        packed["items_packed"] = items
    if body.get("explained"):
        floats: list[float] = []
        tree = audit_explained.shred(body["explained"], floats)
        del packed["explained"]
        packed["explained_packed"] = {
            "count": len(body["explained"]),
            "tree": tree,
            "f8": _compress(audit_explained.pack_floats(floats)),
        }
    return packed


def expand(body: dict[str, Any]) -> dict[str, Any]:
    """A sealed record in the shape every reader knows (one filed before packing is unchanged;
    ValueError if a packed part is damaged)."""
    if "items_packed" not in body and "explained_packed" not in body:
        return body
    expanded = dict(body)
    if "items_packed" in body:
        expanded["items"] = expand_items(expanded.pop("items_packed"))
    if "explained_packed" in body:
        page = expanded.pop("explained_packed")
        count = int(page["count"])
        raw = _decompress(page["f8"], audit_explained.MAX_VALUES * 8)
        expanded["explained"] = audit_explained.unpack(page["tree"], count, raw)
    return expanded


def parse(text: str) -> dict[str, Any]:
    """A sealed record's text, read and expanded."""
    return expand(json.loads(text))


def parse_served(text: str) -> ServedRanking:
    """A served ranking's record from its sealed text: the log stores only `ServedRanking`
    bodies, so this is the one place the parsed JSON is taken for one."""
    return cast(ServedRanking, parse(text))
