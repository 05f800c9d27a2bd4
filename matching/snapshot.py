"""Save and restore a snapshot as one versioned file of plain data: named arrays and a JSON
header. What goes in it is the engine's business (`Retriever.snapshot_state` and the read
model's arrays, put together by `MatchEngine.save`); this module only writes and reads the file.

One `.npz` written to a temporary name and renamed over the old one, so a reader never sees a
half-written snapshot. A snapshot of another format version or another encoder is ignored
(the engine then rebuilds from the database).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 3  # 3: the read model (matching/read_model.py) is in it, people in chunks


def save_snapshot(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")  # workers may save at once
    header = {"format_version": FORMAT_VERSION, **meta}
    # allow_pickle is numpy's default, written out so that `**arrays` cannot be read as it.
    np.savez(tmp, allow_pickle=True, meta=np.array(json.dumps(header)), **arrays)
    os.replace(tmp, path)


def load_snapshot(
    path: Path, *, model_id: str, leave_out: str | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """(arrays, header) of a snapshot written by this format for this encoder, else None.
    `leave_out`: a prefix of arrays not read now (`snapshot_arrays` reads them later, once
    the others are let go: a worker's peak memory at start is what it holds at once)."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"]))
        if meta.get("format_version") != FORMAT_VERSION or meta.get("model_id") != model_id:
            return None
        arrays = {
            key: stored[key]
            for key in stored.files
            if key != "meta" and not (leave_out and key.startswith(leave_out))
        }
    return arrays, meta


def snapshot_arrays(path: Path, prefix: str) -> dict[str, np.ndarray]:
    """The arrays of a snapshot whose names start with `prefix`."""
    with np.load(path, allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files if key.startswith(prefix)}
