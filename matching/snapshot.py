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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

FORMAT_VERSION = 3  # 3: the read model (matching/read_model.py) is in it, people in chunks


def save_snapshot(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")  # workers may save at once
    header = {"format_version": FORMAT_VERSION, **meta}
    # allow_pickle is numpy's default, written out so that `**arrays` cannot be read as it.
    np.savez(tmp, allow_pickle=True, meta=np.array(json.dumps(header)), **arrays)
    os.replace(tmp, path)


class SnapshotReader(Mapping[str, np.ndarray]):
    """A snapshot file open for reading: its header, and each array read from the file when it
    is asked for, never all of them at once (a worker's peak memory at start is what it holds
    at once: at 100k people the file is ~450 MB)."""

    def __init__(self, stored: Any, meta: dict[str, Any]) -> None:
        self._stored = stored  # numpy's NpzFile, open
        self.meta = meta
        self._keys = [key for key in stored.files if key != "meta"]

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._keys:
            raise KeyError(key)
        array: np.ndarray = self._stored[key]
        return array

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def raw(self, key: str) -> IO[bytes]:
        """The bytes of a one-dimensional uint8 array as a stream read from the file, for a
        reader that can take them a piece at a time (a FAISS index: no copy of it in memory
        beside the index it becomes)."""
        if key not in self._keys:
            raise KeyError(key)
        member: IO[bytes] = self._stored.zip.open(f"{key}.npy")
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"{key}: .npy format {version} is not read as a stream")
        if dtype != np.uint8 or len(shape) != 1 or fortran:
            raise ValueError(f"{key}: {dtype} {shape}, not bytes")
        return member


@contextmanager
def open_snapshot(path: Path, *, model_id: str) -> Iterator[SnapshotReader | None]:
    """The snapshot, open, if it was written by this format for this encoder; else None."""
    if not path.exists():
        yield None
        return
    with np.load(path, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"]))
        if meta.get("format_version") != FORMAT_VERSION or meta.get("model_id") != model_id:
            yield None
        else:
            yield SnapshotReader(stored, meta)
