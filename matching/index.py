"""FAISS inner-product index over pool positions: exact for small pools, IVF for large ones.

Items are addressed by their *position* in a pool (0..n-1), so an eligibility mask over the
pool is directly a FAISS `IDSelectorBitmap`. Below `exact_below` vectors the index is an exact
`IndexFlatIP`; above it an `IndexIVFFlat` whose `nprobe` is chosen at build time as the
smallest value whose recall@50 against exact search, measured on sample queries, reaches
`target_recall` (0.99, a margin over the 0.98 promised). Both support add, update and
remove without a rebuild.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import IO

import faiss
import numpy as np

RECALL_AT = 50
NPROBE_CANDIDATES = (4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256)
# An IVF search with a selective mask may scan too few eligible vectors; below this share of
# eligible items an exact scan of just those items is both faster and complete.
EXACT_SCAN_BELOW_SHARE = 0.02


@dataclass(frozen=True, slots=True)
class IndexInfo:
    kind: str  # "exact" | "ivf"
    size: int
    nlist: int = 0
    nprobe: int = 0
    recall_at_50: float = 1.0  # measured against exact search; 1.0 by definition when exact


def _as_rows(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, vectors.shape[-1])


def _positions(positions: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(positions, dtype=np.int64).ravel()


def _selector(positions: np.ndarray) -> faiss.IDSelector:
    """The selector faiss's `remove_ids` builds itself from an array of ids (its stubs take
    only a selector): a batch, as no index here keeps a hash-table direct map."""
    return faiss.IDSelectorBatch(positions)


def exact_top_k(
    vectors: np.ndarray, query: np.ndarray, k: int, candidates: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k by inner product over `vectors` (optionally only the `candidates` rows)."""
    rows = candidates if candidates is not None else np.arange(len(vectors))
    if len(rows) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores = vectors[rows] @ query.astype(np.float32).ravel()
    k = min(k, len(rows))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((rows[top], -scores[top]))]  # ties broken by position: deterministic
    return rows[top].astype(np.int64), scores[top].astype(np.float32)


class VectorIndex:
    """Cosine (inner product on unit vectors) search over pool positions, with masks."""

    def __init__(
        self, dim: int, *, exact_below: int = 20_000, target_recall: float = 0.99, seed: int = 0
    ) -> None:
        self.dim = dim
        self.exact_below = exact_below
        self.target_recall = target_recall
        self.seed = seed
        self._index: faiss.Index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.info = IndexInfo("exact", 0)
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    # -- building -------------------------------------------------------------------------
    def rebuild(
        self,
        positions: np.ndarray,
        vectors: np.ndarray,
        *,
        sample_queries: np.ndarray | None = None,
    ) -> IndexInfo:
        """Replace the contents; picks exact or IVF by size and tunes IVF's nprobe."""
        positions, vectors = _positions(positions), _as_rows(vectors)
        if len(positions) < self.exact_below:
            index: faiss.Index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
            index.add_with_ids(vectors, positions)
            info = IndexInfo("exact", len(positions))
        else:
            index, info = self._build_ivf(positions, vectors, sample_queries)
        with self._lock:
            self._index, self.info = index, info
        return info

    def _build_ivf(
        self, positions: np.ndarray, vectors: np.ndarray, sample_queries: np.ndarray | None
    ) -> tuple[faiss.Index, IndexInfo]:
        n = len(positions)
        # ~4·sqrt(n) lists, but never fewer than 39 training points per list (k-means needs them).
        nlist = max(8, min(int(4 * math.sqrt(n)), n // 39))
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(self.seed)
        train = vectors[rng.choice(n, size=min(n, 40 * nlist), replace=False)]
        index.cp.seed = self.seed
        index.train(train)
        index.add_with_ids(vectors, positions)
        queries = (
            sample_queries
            if sample_queries is not None
            else vectors[rng.choice(n, size=min(n, 200), replace=False)]
        )
        queries = _as_rows(queries)
        nprobe, recall = self._tune_nprobe(index, vectors, positions, queries, nlist)
        index.nprobe = nprobe
        return index, IndexInfo("ivf", n, nlist=nlist, nprobe=nprobe, recall_at_50=recall)

    def _tune_nprobe(
        self,
        index: faiss.IndexIVFFlat,
        vectors: np.ndarray,
        positions: np.ndarray,
        queries: np.ndarray,
        nlist: int,
    ) -> tuple[int, float]:
        k = min(RECALL_AT, len(positions))
        truth = [set(positions[exact_top_k(vectors, q, k)[0]].tolist()) for q in queries]
        recall = 0.0
        nprobe = nlist
        for nprobe in [p for p in NPROBE_CANDIDATES if p < nlist] + [nlist]:
            params = faiss.SearchParametersIVF()
            params.nprobe = nprobe
            _, found = index.search(queries, k, params=params)
            recall = float(
                np.mean([len(t & set(f.tolist())) / k for t, f in zip(truth, found, strict=True)])
            )
            if recall >= self.target_recall:
                break
        return nprobe, recall

    # -- incremental updates --------------------------------------------------------------
    def upsert(self, positions: np.ndarray, vectors: np.ndarray) -> None:
        positions, vectors = _positions(positions), _as_rows(vectors)
        with self._lock:
            self._index.remove_ids(_selector(positions))
            self._index.add_with_ids(vectors, positions)
            self.info = IndexInfo(
                self.info.kind, len(self), self.info.nlist, self.info.nprobe, self.info.recall_at_50
            )

    def remove(self, positions: np.ndarray) -> None:
        with self._lock:
            self._index.remove_ids(_selector(_positions(positions)))
            self.info = IndexInfo(
                self.info.kind, len(self), self.info.nlist, self.info.nprobe, self.info.recall_at_50
            )

    @property
    def needs_rebuild(self) -> bool:
        """An exact index that outgrew its threshold (or an IVF that shrank far below it)."""
        if self.info.kind == "exact":
            return len(self) >= self.exact_below
        return len(self) < self.exact_below // 2

    # -- search ---------------------------------------------------------------------------
    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        allowed: np.ndarray | None = None,
        vectors: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (positions, scores) among `allowed` (a boolean mask over positions).

        Returns min(k, number allowed) results: when an IVF probe finds too few allowed items,
        the remainder comes from an exact scan of the allowed rows of `vectors`.
        """
        query = _as_rows(query)
        with self._lock:
            if allowed is None:
                k = min(k, len(self))
                if k == 0:
                    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
                scores, found = self._index.search(query, k)
                keep = found[0] >= 0
                return found[0][keep], scores[0][keep]
            eligible = int(allowed.sum())
            k = min(k, eligible)
            if k == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            small = eligible < EXACT_SCAN_BELOW_SHARE * max(len(allowed), 1)
            if self.info.kind == "ivf" and small and vectors is not None:
                return exact_top_k(vectors, query[0], k, np.flatnonzero(allowed))
            bitmap = np.packbits(allowed, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
            if self.info.kind == "ivf":
                # A mask hides part of every list: probe proportionally more lists so that about
                # as many eligible vectors are scanned as an unmasked search scans in total.
                share = eligible / max(len(allowed), 1)
                nprobe = min(self.info.nlist, math.ceil(self.info.nprobe / share))
                ivf_params = faiss.SearchParametersIVF()
                ivf_params.nprobe = nprobe
                params: faiss.SearchParameters = ivf_params
            else:
                params = faiss.SearchParameters()
            # Set as an attribute, as faiss's keyword form does: the parameters keep a
            # reference to the selector (faiss/class_wrappers.py, handle_SearchParameters).
            params.sel = selector
            scores, found = self._index.search(query, k, params=params)
            del selector, bitmap  # the selector points into the bitmap: keep both until here
        keep = found[0] >= 0
        positions, scores_out = found[0][keep], scores[0][keep]
        if len(positions) < k and vectors is not None:
            return exact_top_k(vectors, query[0], k, np.flatnonzero(allowed))
        return positions, scores_out

    # -- persistence ----------------------------------------------------------------------
    def to_bytes(self) -> np.ndarray:
        with self._lock:
            return faiss.serialize_index(self._index)

    def restore(self, blob: np.ndarray | IO[bytes], info: IndexInfo) -> None:
        """The index `to_bytes` gave, from those bytes or from a stream of them (read a
        megabyte at a time: no copy of the serialised index beside the index)."""
        if isinstance(blob, np.ndarray):
            index = faiss.deserialize_index(np.ascontiguousarray(blob, dtype=np.uint8))
        else:
            # In faiss's Python module (python_callbacks), not in the stubs it ships.
            reader: faiss.IOReader = faiss.PyCallbackIOReader(blob.read)  # type: ignore[attr-defined]
            index = faiss.read_index(reader)
        if info.kind == "ivf":
            faiss.extract_index_ivf(index).nprobe = info.nprobe
        with self._lock:
            self._index, self.info = index, info
