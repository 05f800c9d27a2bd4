"""Names one typo away from a skill's label: "test sensrs" is "test sensors".

HR exports carry typos: a dropped, doubled, swapped or mistyped letter. A name within one such
edit of exactly one skill's preferred or alternative label is that skill, found without the
encoder (the costly part of an import). The index holds, for every label, the label and each
of its one-letter deletions; two texts one edit apart always share one of those forms. Only
labels of MIN_LENGTH letters or more take part, and a name near two different skills is left
to the embedding: short names one letter apart are often different skills ("SAS", "SQL").
Hashes in sorted arrays keep it small (~500k entries, a few MB for ESCO).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MIN_LENGTH = 7
SCORE = 0.95  # reported for a spelling match: surer than most embedding matches, not exact


def _forms(key: str) -> set[str]:
    return {key, *(key[:i] + key[i + 1 :] for i in range(len(key)))}


def within_one_edit(a: str, b: str) -> bool:
    """Optimal string alignment distance <= 1: one insertion, deletion, substitution or swap
    of adjacent letters."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


class SpellingIndex:
    def __init__(self, labels: Iterable[tuple[str, str]]) -> None:
        """`labels`: (normalised label, skill id) pairs."""
        self._keys: list[str] = []
        self._owners: list[str] = []
        hashes: list[int] = []
        entries: list[int] = []
        for key, skill_id in labels:
            if len(key) < MIN_LENGTH:
                continue
            number = len(self._keys)
            self._keys.append(key)
            self._owners.append(skill_id)
            for form in _forms(key):
                hashes.append(hash(form))
                entries.append(number)
        order = np.argsort(np.asarray(hashes, dtype=np.int64), kind="stable")
        self._hashes = np.asarray(hashes, dtype=np.int64)[order]
        self._entries = np.asarray(entries, dtype=np.int32)[order]

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, key: str) -> str | None:
        """The one skill whose label is within one edit of `key` (normalised), else None."""
        if len(key) < MIN_LENGTH - 1 or not self._keys:
            return None
        probes = np.fromiter((hash(form) for form in _forms(key)), dtype=np.int64)
        low = np.searchsorted(self._hashes, probes, side="left")
        high = np.searchsorted(self._hashes, probes, side="right")
        found: set[str] = set()
        for start, end in zip(low.tolist(), high.tolist(), strict=True):
            for number in self._entries[start:end].tolist():
                if within_one_edit(key, self._keys[number]):
                    found.add(self._owners[number])
        return found.pop() if len(found) == 1 else None
