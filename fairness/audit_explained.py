"""The explained page of an audit record (`explained`), packed by column and read back exactly.

Each of the page's ~20 entries repeats the same keys (two dozen details, an employee's 29
contributions by feature name) and holds its numbers as 17-digit decimal text: ~40 KB of JSON
a list, ~4.5 KB after zstd, the largest part of an employee's record. Packed, every path is
written once (`tree`), the values under it side by side (strings beside strings, which zstd
repeats for almost nothing), and every column of floats as float64 bytes in one zstd block
(`f8`): bit for bit, -0.0, NaN and infinities included. Not byte-planed: a reason's amount is
often the very float of a contribution, which zstd then finds whole.

The shapes, from the page's entries down (`tree`):
  {"o": {key: node}}   dicts that all hold exactly these keys (sorted)
  {"l": [len, ...], "v": node}   lists, their items concatenated
  {"f": count}         floats (Python float), the next `count` of the `f8` block
  {"j": [value, ...]}  anything else, as JSON

fairness/audit_codec.py decides when to use it (`explained_packed`) and reads both forms.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

# Most entries and floats a packed page may claim: a forged count is refused, not allocated.
MAX_ENTRIES = 100_000
MAX_VALUES = 1_000_000


def shred(entries: list[Any], floats: list[float]) -> dict[str, Any]:
    """The columnar tree of `entries`, appending their floats to `floats` in tree order."""
    if entries and all(type(e) is dict for e in entries):
        keys = sorted(entries[0])
        if all(type(k) is str for k in keys) and all(sorted(e) == keys for e in entries):
            return {"o": {k: shred([e[k] for e in entries], floats) for k in keys}}
    if entries and all(type(e) is list for e in entries):
        flat = [item for e in entries for item in e]
        return {"l": [len(e) for e in entries], "v": shred(flat, floats)}
    if entries and all(type(e) is float for e in entries):
        floats.extend(entries)
        return {"f": len(entries)}
    return {"j": entries}


def pack_floats(floats: list[float]) -> bytes:
    return np.array(floats, dtype="<f8").tobytes()


class _Floats:
    """The `f8` block, handed out in the order shred appended it."""

    def __init__(self, raw: bytes) -> None:
        if len(raw) % 8:
            raise ValueError("a packed page's floats are cut short")
        self.values = np.frombuffer(raw, dtype="<f8")
        self.at = 0

    def take(self, count: int) -> list[float]:
        if count < 0 or self.at + count > len(self.values):
            raise ValueError("a packed page claims more floats than it holds")
        taken: list[float] = self.values[self.at : self.at + count].tolist()
        self.at += count
        return taken


def unshred(node: Any, count: int, floats: _Floats) -> list[Any]:
    """The `count` entries a tree node describes (ValueError if it does not fit)."""
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise ValueError("a packed page's tree is damaged")
    if "o" in node and isinstance(node["o"], dict):
        columns = {k: unshred(v, count, floats) for k, v in node["o"].items()}
        return [{k: column[i] for k, column in columns.items()} for i in range(count)]
    if "l" in node and "v" in node:
        lengths = node["l"]
        if (
            not isinstance(lengths, list)
            or len(lengths) != count
            or not all(type(n) is int and n >= 0 for n in lengths)
        ):
            raise ValueError("a packed page's list lengths are damaged")
        if sum(lengths) > MAX_VALUES:
            raise ValueError("a packed page's lists claim more entries than a page holds")
        flat = unshred(node["v"], sum(lengths), floats)
        entries, at = [], 0
        for n in lengths:
            entries.append(flat[at : at + n])
            at += n
        return entries
    if "f" in node:
        if node["f"] != count:
            raise ValueError("a packed page's float column has the wrong length")
        return floats.take(count)
    if "j" in node and isinstance(node["j"], list) and len(node["j"]) == count:
        # A copy: entries read back share nothing with the tree (nor with each other).
        copied: list[Any] = json.loads(json.dumps(node["j"]))
        return copied
    raise ValueError("a packed page's tree is damaged")


def unpack(tree: Any, count: int, raw: bytes) -> list[Any]:
    if not 0 <= count <= MAX_ENTRIES:
        raise ValueError(f"a packed page claims {count} entries")
    floats = _Floats(raw)
    entries = unshred(tree, count, floats)
    if floats.at != len(floats.values):
        raise ValueError("a packed page holds more floats than its tree")
    return entries
