"""One persistent store of encoded short texts (skill labels, occupation titles, profile texts).

Encoding the taxonomy's ~77k label and title texts takes minutes on two cores, and profile
skills are mostly taxonomy labels: every text is encoded once per encoder model, ever, and
kept for the skill normaliser, the occupation normaliser and the profile composition alike
(`TextVectorStore`, one per directory and model in a process).

On disk, under `<directory>/texts/<model>/`, a store is a set of segments, each written once
and never changed: `<name>.npy` (float32 rows) and `<name>.json` (the model id and the texts,
row by row), the .json renamed into place last, so a reader only sees whole segments. Several
processes (server workers, `talent index`) may save at once: each writes segments of its own,
nothing is overwritten, and a store with many segments is merged into one by whoever saves
next. Segments are memory-mapped: workers share their pages through the OS.

Files of the earlier layout (one .npy per label list, named by `cache_file`, and the profile
cache's `skill_vectors.npz`) are still read: their vectors are taken into the store
(`adopt`) without encoding anything again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import mmap
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

Embedder = Callable[[list[str]], np.ndarray]
Progress = Callable[[int, int], None]  # (texts done, texts to do) of a background fill

# A store of more segments than this is merged into one at its next save. Background encoding
# saves every ENCODE_CHUNK texts: ~19 segments for the whole taxonomy, merged once on the way.
MAX_SEGMENTS = 12
ENCODE_CHUNK = 4096  # texts per background batch: ~15 s on two quiet cores, then saved


def safe_name(text: str, default: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text) or default


def cache_file(
    directory: Path | None,
    kind: str,
    embed_key: str,
    texts: list[str],
    owners: list[str],
) -> Path | None:
    """Where the earlier layout kept one label list's vectors (read for migration only)."""
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
    unit: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return unit


def read_legacy_list(path: Path | None, count: int) -> np.ndarray | None:
    """The vectors of an earlier-layout label-list file, if it holds `count` rows."""
    if path is None or not path.is_file():
        return None
    vectors: np.ndarray
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None  # unreadable or truncated: what it held is encoded again
    if vectors.ndim != 2 or vectors.shape[0] != count:
        return None
    return vectors.astype(np.float32, copy=False)


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


def _write_text_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class TextVectorStore:
    """Text -> vector for one encoder model, persisted; each text is encoded once.

    `vectors(texts, encode)` answers from the store and encodes (in one batch) only the texts
    it lacks; a text another thread is encoding at that moment is waited for, not encoded
    twice. `save()` writes what this process added as one new segment.
    """

    _shared: ClassVar[dict[tuple[str, str], TextVectorStore]] = {}
    _shared_lock = threading.Lock()

    def __init__(self, directory: Path | None, model_id: str) -> None:
        self.model_id = model_id
        self.folder = (
            Path(directory) / "texts" / safe_name(model_id, "default") if directory else None
        )
        self.texts_encoded = 0  # by this process, through this store
        self.texts_adopted = 0  # taken from files of the earlier layout
        self._rows: dict[str, tuple[int, int]] = {}  # text -> (block, row)
        self._blocks: list[np.ndarray] = []  # memory-mapped segments, then this process's rows
        self._loaded: set[str] = set()  # segment names read (or written) by this process
        self._unsaved: list[str] = []  # texts added since the last save, in order
        self._inflight: set[str] = set()
        self._dim: int | None = None
        self._condition = threading.Condition()
        self.refresh()

    @classmethod
    def shared(cls, directory: Path | None, model_id: str) -> TextVectorStore:
        """The process's one store for this directory and model (a new one without a
        directory: nothing persisted, nothing shared)."""
        if directory is None:
            return cls(None, model_id)
        key = (str(Path(directory).resolve()), model_id)
        with cls._shared_lock:
            store = cls._shared.get(key)
            if store is None:
                store = cls._shared[key] = cls(directory, model_id)
            return store

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, text: object) -> bool:
        return text in self._rows

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The distinct texts of `texts` the store does not hold, in first-seen order."""
        with self._condition:
            return [t for t in dict.fromkeys(texts) if t not in self._rows]

    def vectors(self, texts: Sequence[str], encode: Embedder) -> np.ndarray:
        """One row per text; the texts never seen are encoded with `encode`, in one batch."""
        texts = list(texts)
        with self._condition:
            wanted = [t for t in dict.fromkeys(texts) if t not in self._rows]
            mine = [t for t in wanted if t not in self._inflight]
            theirs = [t for t in wanted if t in self._inflight]
            self._inflight.update(mine)
        if mine:
            try:
                encoded = np.asarray(encode(mine), dtype=np.float32)
                if encoded.ndim != 2 or encoded.shape[0] != len(mine):
                    raise ValueError(f"encode returned shape {encoded.shape} for {len(mine)} texts")
                with self._condition:
                    self.texts_encoded += len(mine)
                    self._add(mine, encoded)
            finally:
                with self._condition:
                    self._inflight.difference_update(mine)
                    self._condition.notify_all()
        if theirs:
            with self._condition:
                self._condition.wait_for(lambda: not self._inflight.intersection(theirs))
            if any(t not in self._rows for t in theirs):  # the other thread failed
                return self.vectors(texts, encode)
        return self.rows(texts)

    def rows(self, texts: Sequence[str]) -> np.ndarray:
        """The stored rows of `texts` (KeyError for a text the store lacks)."""
        with self._condition:
            places = [self._rows[t] for t in texts]
            blocks = list(self._blocks)
            dim = self._dim or 0
        out = np.empty((len(places), dim), dtype=np.float32)
        if not places:
            return out
        block_of = np.fromiter((b for b, _ in places), dtype=np.int64, count=len(places))
        row_of = np.fromiter((r for _, r in places), dtype=np.int64, count=len(places))
        for block in np.unique(block_of).tolist():
            where = np.flatnonzero(block_of == block)
            out[where] = blocks[block][row_of[where]]
        return out

    def adopt(self, texts: Sequence[str], vectors: np.ndarray) -> int:
        """Take in vectors encoded earlier by this model (files of the earlier layout); the
        texts already held keep theirs. Returns how many were new."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(f"{vectors.shape[0]} vectors for {len(texts)} texts")
        with self._condition:
            new = [i for i, t in enumerate(texts) if t not in self._rows]
            first = list({texts[i]: i for i in reversed(new)}.items())[::-1]  # one per text
            if first:
                self._add([t for t, _ in first], vectors[[i for _, i in first]])
                self.texts_adopted += len(first)
            return len(first)

    def save(self) -> Path | None:
        """Write the texts added since the last save as one new segment; merge the segments
        into one when there are more than MAX_SEGMENTS."""
        if self.folder is None:
            return None
        with self._condition:
            if not self._unsaved:
                return None
            texts = list(self._unsaved)
            self._unsaved = []
        try:
            path = self._write_segment(texts, self.rows(texts))
        except BaseException:
            with self._condition:
                self._unsaved = texts + self._unsaved
            raise
        self._map_saved(path)
        if len(self._segment_names()) > MAX_SEGMENTS:
            path = self._merge()
        return path

    def refresh(self) -> int:
        """Read the segments other processes wrote since the last look; returns new texts."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        added = 0
        for name in self._segment_names():
            if name in self._loaded:
                continue
            segment = self._read_segment(name)
            self._loaded.add(name)  # read or vanished (merged away): never looked at again
            if segment is None:
                continue
            texts, block = segment
            with self._condition:
                if self._dim is not None and block.shape[1] != self._dim:
                    continue  # not this model's rows after all: ignore, never mix
                new = [(i, t) for i, t in enumerate(texts) if t not in self._rows]
                if not new:
                    continue
                self._dim = block.shape[1]
                self._blocks.append(block)
                number = len(self._blocks) - 1
                for i, text in new:
                    self._rows[text] = (number, i)
                added += len(new)
        return added

    def release_pages(self) -> int:
        """Let the OS take back this process's resident pages of the memory-mapped segments
        (a row asked for later is read again from the page cache); returns the blocks let go.
        The normalisers copy their label and title rows out at start: without this, those
        ~115 MB stay resident twice, mapped and copied, in every worker."""
        with self._condition:
            blocks = list(self._blocks)
        released = 0
        for block in blocks:
            mapped = getattr(block, "_mmap", None)  # np.memmap's map of the file, if mapped
            if isinstance(mapped, mmap.mmap) and not mapped.closed:
                mapped.madvise(mmap.MADV_DONTNEED)
                released += 1
        return released

    def fill(
        self,
        texts: Sequence[str],
        encode: Embedder,
        *,
        progress: Progress | None = None,
        chunk: int = ENCODE_CHUNK,
        stop: threading.Event | None = None,
    ) -> int:
        """Encode the texts the store lacks, `chunk` at a time, saving after each; returns how
        many this call encoded. Between chunks it reads what other processes saved, and only
        one process encodes at a time (`encoding_turn`), so two server workers starting
        together encode each text once between them."""
        missing = self.missing(texts)
        total, done, encoded = len(missing), 0, 0
        if progress is not None:
            progress(0, total)
        for start in range(0, total, chunk):
            if stop is not None and stop.is_set():
                break  # the server is stopping: what was saved stays, the rest waits
            part = missing[start : start + chunk]
            with self.encoding_turn():
                self.refresh()
                still = self.missing(part)
                if still:
                    before = self.texts_encoded
                    self.vectors(still, encode)
                    encoded += self.texts_encoded - before
                    self.save()
            done += len(part)
            if progress is not None:
                progress(done, total)
        return encoded

    @contextlib.contextmanager
    def encoding_turn(self) -> Iterator[None]:
        """One process at a time encodes in the background for this store (server workers
        share the work: the next one reads what the first saved instead of encoding it)."""
        if self.folder is None:
            yield
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "encoding.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- internals -------------------------------------------------------------------------

    def _add(self, texts: list[str], vectors: np.ndarray) -> None:
        """Append rows (the caller holds the condition's lock)."""
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(f"{vectors.shape} vectors for {len(texts)} texts")
        if self._dim is not None and vectors.shape[1] != self._dim:
            raise ValueError(
                f"{vectors.shape[1]}-d vectors for a store of {self._dim}-d ones (model "
                f"{self.model_id!r}): another encoder under the same model id?"
            )
        fresh = [(i, t) for i, t in enumerate(texts) if t not in self._rows]
        if not fresh:
            return
        self._dim = vectors.shape[1]
        self._blocks.append(np.ascontiguousarray(vectors[[i for i, _ in fresh]]))
        number = len(self._blocks) - 1
        for row, (_, text) in enumerate(fresh):
            self._rows[text] = (number, row)
            self._unsaved.append(text)

    def _map_saved(self, path: Path) -> None:
        """Read the rows just saved from their file (shared with other processes through the
        page cache) and let go of the blocks no text refers to any more: in-memory copies,
        and the maps of merged-away files (whose disk space is freed only when unmapped)."""
        segment = self._read_segment(path.stem)
        if segment is None:
            return
        with self._condition:
            self._blocks.append(segment[1])
            number = len(self._blocks) - 1
            for row, text in enumerate(segment[0]):
                self._rows[text] = (number, row)
            used = {block for block, _ in self._rows.values()}
            for block, array in enumerate(self._blocks):
                if block not in used and len(array):
                    self._blocks[block] = np.zeros((0, array.shape[1]), dtype=np.float32)

    def _segment_names(self) -> list[str]:
        if self.folder is None or not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def _read_segment(self, name: str) -> tuple[list[str], np.ndarray] | None:
        assert self.folder is not None
        try:
            meta = json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))
            block = np.load(self.folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None  # merged away since it was listed, or damaged: its texts are re-read
        texts = meta.get("texts")
        if (
            meta.get("model_id") != self.model_id
            or not isinstance(texts, list)
            or block.ndim != 2
            or block.shape[0] != len(texts)
            or block.dtype != np.float32
        ):
            return None
        return [str(t) for t in texts], block

    def _write_segment(self, texts: list[str], vectors: np.ndarray) -> Path:
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        # Time first: names sort by age; pid and a random part: never two writers' names.
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        save_atomically(self.folder / f"{name}.npy", np.ascontiguousarray(vectors))
        meta = {"model_id": self.model_id, "dim": int(vectors.shape[1]), "texts": texts}
        _write_text_atomically(self.folder / f"{name}.json", json.dumps(meta))
        with self._condition:
            self._loaded.add(name)
        return self.folder / f"{name}.json"

    def _merge(self) -> Path:
        """Everything this process holds as one segment, then the segments it read removed
        (a segment written meanwhile by another process stays; a reader that had one mapped
        keeps its pages)."""
        assert self.folder is not None
        self.refresh()
        with self._condition:
            merged = set(self._loaded)
            texts = list(self._rows)
        path = self._write_segment(texts, self.rows(texts))
        for name in merged:
            (self.folder / f"{name}.json").unlink(missing_ok=True)
            (self.folder / f"{name}.npy").unlink(missing_ok=True)
        self._map_saved(path)
        return path
