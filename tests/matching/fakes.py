"""A deterministic stand-in for the transformer: same text, same unit vector; counts calls."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

DIM = 16


class HashEncoder:
    model_id = "hash-encoder-test"

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim
        self.texts_encoded = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts_encoded += len(texts)
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.casefold().encode()).digest()[:8], "little")
            vector = np.random.default_rng(seed).normal(size=self.dim)
            rows.append(vector / np.linalg.norm(vector))
        return np.array(rows, dtype=np.float32).reshape(-1, self.dim)
