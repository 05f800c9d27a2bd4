"""Vectors of profile texts (skill labels, interests, titles), read from the one text store.

Profiles are composed from these vectors, and their skill labels are mostly taxonomy labels
the normalisers already encoded: both read and fill the same store
(data/taxonomy/text_vectors.py), so each distinct text is encoded once per model, across
profiles, normalisers, restarts and re-indexing.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from data.schemas import normalize_label
from data.taxonomy.text_vectors import TextVectorStore


class Encoder(Protocol):
    @property
    def model_id(self) -> str: ...  # read-only: SentenceEncoder derives it from its model

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@functools.lru_cache(maxsize=100_000)
def text_key(text: str) -> str:
    """The earlier cache's key of a text (its file is still read: `_LegacyVectors`)."""
    return hashlib.sha1(normalize_label(text).encode()).hexdigest()


class _LegacyVectors:
    """The earlier profile cache (`skill_vectors.npz`, keyed by a hash of the normalised
    text): read once, so texts it holds are taken into the store rather than encoded."""

    def __init__(self, path: Path, model_id: str) -> None:
        self.rows: dict[str, int] = {}
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        try:
            with np.load(path, allow_pickle=False) as stored:
                if str(stored["model_id"]) != model_id:
                    return  # vectors of another model are useless
                self.matrix = stored["vectors"].astype(np.float32)
                self.rows = {str(key): row for row, key in enumerate(stored["keys"])}
        except (OSError, ValueError, KeyError):
            return  # unreadable: what it held is encoded again

    def take(self, store: TextVectorStore, texts: list[str]) -> None:
        looked_up = [(t, self.rows.get(text_key(t))) for t in texts]
        found = [(t, row) for t, row in looked_up if row is not None]
        if found:
            store.adopt([t for t, _ in found], self.matrix[[row for _, row in found]])


class SkillVectorCache:
    """`vectors(texts)` for profile composition: the store's rows, new texts encoded.

    `path` is where the earlier layout kept this cache (`<var>/vectors/skill_vectors.npz`); the
    store lives beside it, in the same directory as the normalisers' vectors.
    """

    def __init__(self, encoder: Encoder, path: Path | None = None) -> None:
        self.encoder = encoder
        self.path = path
        self.store = TextVectorStore.shared(
            path.parent if path is not None else None, encoder.model_id
        )
        self._legacy = (
            _LegacyVectors(path, encoder.model_id) if path is not None and path.exists() else None
        )
        # The profile texts asked for so far, in one contiguous matrix: every ranked list asks
        # for its candidates' labels again (a few thousand texts at most, unlike the store's
        # ~77k), and a dict lookup and one gather cost ~1 ms where the store's segments
        # cost ~10 ms for 3,000 texts.
        self._rows: dict[str, int] = {}
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.store)

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, encoding (in one batch) only those never seen before."""
        with self._lock:
            try:
                return self._matrix[[self._rows[t] for t in texts]]
            except KeyError:
                pass
            fresh = [t for t in dict.fromkeys(texts) if t not in self._rows]
            if self._legacy is not None:
                missing = self.store.missing(fresh)
                if missing:
                    self._legacy.take(self.store, missing)
            found = self.store.vectors(fresh, self._encode)
            # Copied into the matrix below: the store's mapped pages these rows were read from
            # need not stay resident (scattered rows: ~26 MB of them after 1,000 pages at 100k
            # people, on top of the matrix).
            self.store.release_pages()
            start = len(self._rows)
            self._matrix = found if not start else np.vstack([self._matrix, found])
            for offset, text in enumerate(fresh):
                self._rows[text] = start + offset
            return self._matrix[[self._rows[t] for t in texts]]

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode(texts)

    def save(self) -> None:
        """Write what was added since the last save (a new segment: atomic, and several
        server workers may save at once)."""
        self.store.save()
