"""Persistent cache of short-text vectors (skill labels, interests, titles), keyed by text hash.

Profiles are composed from these vectors, so each distinct label is encoded once per model,
across profiles, restarts and re-indexing.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from data.schemas import normalize_label


class Encoder(Protocol):
    model_id: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@functools.lru_cache(maxsize=100_000)
def text_key(text: str) -> str:
    # Memoised: every ranked list looks up the same few thousand labels again.
    return hashlib.sha1(normalize_label(text).encode()).hexdigest()


class SkillVectorCache:
    def __init__(self, encoder: Encoder, path: Path | None = None) -> None:
        self.encoder = encoder
        self.path = path
        self._rows: dict[str, int] = {}
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._lock = threading.Lock()
        self._dirty = False
        if path is not None and path.exists():
            self._load(path)

    def __len__(self) -> int:
        return len(self._rows)

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, encoding (in one batch) only those never seen before."""
        keys = [text_key(t) for t in texts]
        with self._lock:
            missing: dict[str, str] = {}
            for key, text in zip(keys, texts, strict=True):
                if key not in self._rows and key not in missing:
                    missing[key] = text
            if missing:
                self._append(list(missing), self.encoder.encode(list(missing.values())))
            return self._matrix[[self._rows[k] for k in keys]]

    def _append(self, keys: list[str], vectors: np.ndarray) -> None:
        start = len(self._rows)
        if self._matrix.size == 0:
            self._matrix = vectors.astype(np.float32)
        else:
            self._matrix = np.vstack([self._matrix, vectors.astype(np.float32)])
        for offset, key in enumerate(keys):
            self._rows[key] = start + offset
        self._dirty = True

    def save(self) -> None:
        """Write atomically (temp file + rename) so a crash never leaves a torn cache."""
        if self.path is None or not self._dirty:
            return
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Per process: several server workers may save the same cache at once.
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")
            keys = np.array(sorted(self._rows, key=self._rows.__getitem__), dtype="U40")
            np.savez(tmp, keys=keys, vectors=self._matrix, model_id=np.array(self.encoder.model_id))
            os.replace(tmp, self.path)
            self._dirty = False

    def _load(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["model_id"]) != self.encoder.model_id:
                return  # vectors of another model are useless; start afresh
            self._matrix = stored["vectors"].astype(np.float32)
            self._rows = {str(key): row for row, key in enumerate(stored["keys"])}
