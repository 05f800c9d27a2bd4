"""Encoded texts of the taxonomy (skill labels, occupation titles), cached on disk.

Encoding ~60k short texts takes minutes on two cores, so the vectors are built once (at
`talent index` or server start, never inside a request) and kept as .npy files named by what
they encode: the encoder and a digest of every (owner, text) pair (not the taxonomy's version:
the same texts under another version name, such as the packaged taxonomy and the one read
back from the database, share one file). A file for other texts or another model is never
read by mistake.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

Embedder = Callable[[list[str]], np.ndarray]


def safe_name(text: str, default: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text) or default


def cache_file(
    directory: Path | None,
    kind: str,
    embed_key: str,
    texts: list[str],
    owners: list[str],
) -> Path | None:
    if directory is None:
        return None
    digest = hashlib.sha256()
    for owner, text in zip(owners, texts, strict=True):
        digest.update(f"{owner}\t{text}\n".encode())
    name = f"{kind}-{embed_key}-{digest.hexdigest()[:16]}.npy"
    return directory / name


def unit_rows(vectors: np.ndarray, count: int) -> np.ndarray:
    """Check the encoder's output shape and make every row unit length (a cosine per dot)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != count:
        raise ValueError(
            f"embed returned shape {vectors.shape} for {count} texts; expected one row per text"
        )
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def load_or_encode(path: Path | None, texts: list[str], encode: Embedder) -> np.ndarray:
    """The cached vectors of `texts` if `path` holds them, else encode and save them."""
    if path is not None and path.is_file():
        try:
            vectors = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            vectors = None  # unreadable or truncated: encode again and overwrite
        if vectors is not None and vectors.ndim == 2 and vectors.shape[0] == len(texts):
            return vectors.astype(np.float32, copy=False)
    vectors = encode(texts)
    if path is not None:
        save_atomically(path, vectors)
    return vectors


def save_atomically(path: Path, array: np.ndarray) -> None:
    # Write beside the target and rename, so a reader never sees half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.save(stream, array, allow_pickle=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
