"""One behaviour suite for the exact and the IVF index (the same contract, two engines)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from matching.index import VectorIndex, exact_top_k


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    """Clustered data, like profiles of a few job families; queries share the clusters."""
    centres = np.random.default_rng(0).normal(size=(12, dim))
    rng = np.random.default_rng(seed)
    x = centres[rng.integers(0, 12, size=n)] + 0.6 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(params=["exact", "ivf"])
def built(request: pytest.FixtureRequest) -> tuple[VectorIndex, np.ndarray]:
    vectors = unit_rows(3000, 32, seed=1)
    exact_below = 10_000 if request.param == "exact" else 500
    index = VectorIndex(32, exact_below=exact_below)
    index.rebuild(np.arange(len(vectors)), vectors)
    assert index.info.kind == request.param
    return index, vectors


def test_top_hit_of_a_stored_vector_is_itself(built: tuple[VectorIndex, np.ndarray]) -> None:
    index, vectors = built
    positions, scores = index.search(vectors[42], 5)
    assert positions[0] == 42 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(scores) == sorted(scores, reverse=True)


def test_recall_at_50_against_exact_search_is_at_least_098(
    built: tuple[VectorIndex, np.ndarray],
) -> None:
    index, vectors = built
    queries = unit_rows(100, 32, seed=2)
    recalls = []
    for query in queries:
        truth = set(exact_top_k(vectors, query, 50)[0].tolist())
        found = set(index.search(query, 50)[0].tolist())
        recalls.append(len(truth & found) / 50)
    assert np.mean(recalls) >= 0.98
    assert index.info.recall_at_50 >= 0.98


def test_mask_is_honoured_and_a_page_is_full_when_enough_items_are_allowed(
    built: tuple[VectorIndex, np.ndarray],
) -> None:
    index, vectors = built
    for share in (0.5, 0.05, 0.004):  # the last: 12 allowed items, scattered over the clusters
        allowed = np.random.default_rng(3).random(len(vectors)) < share
        positions, _ = index.search(vectors[0], 20, allowed=allowed, vectors=vectors)
        assert len(positions) == min(20, int(allowed.sum()))
        assert allowed[positions].all()
    nothing = np.zeros(len(vectors), dtype=bool)
    assert len(index.search(vectors[0], 20, allowed=nothing, vectors=vectors)[0]) == 0


def test_update_and_remove_without_rebuild(built: tuple[VectorIndex, np.ndarray]) -> None:
    index, vectors = built
    moved = vectors[7].copy()
    index.upsert(np.array([3]), moved[None, :])  # item 3 now sits where item 7 is
    top = index.search(moved, 2)[0].tolist()
    assert set(top) == {3, 7}
    index.remove(np.array([7]))
    assert 7 not in index.search(moved, 10)[0].tolist()
    assert len(index) == len(vectors) - 1


@pytest.mark.parametrize("source", ["bytes", "stream"])
def test_persistence_round_trip_gives_identical_results(
    built: tuple[VectorIndex, np.ndarray], source: str
) -> None:
    index, _ = built
    copy = VectorIndex(32)
    blob = index.to_bytes()
    # A snapshot file's index is read as a stream (matching/snapshot.py SnapshotReader.raw).
    copy.restore(blob if source == "bytes" else io.BytesIO(blob.tobytes()), index.info)
    for query in unit_rows(10, 32, seed=4):
        assert index.search(query, 20)[0].tolist() == copy.search(query, 20)[0].tolist()
    assert copy.info == index.info


def test_exact_index_switches_to_ivf_when_it_outgrows_its_threshold() -> None:
    vectors = unit_rows(1200, 32, seed=5)
    index = VectorIndex(32, exact_below=1000)
    index.rebuild(np.arange(900), vectors[:900])
    # One tuple: `not index.needs_rebuild` would stay narrowed to False past upsert for mypy.
    assert (index.info.kind, index.needs_rebuild) == ("exact", False)
    index.upsert(np.arange(900, 1200), vectors[900:])
    assert index.needs_rebuild
    index.rebuild(np.arange(1200), vectors)
    assert index.info.kind == "ivf" and index.info.recall_at_50 >= 0.98
