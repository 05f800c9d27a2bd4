"""A server takes its first request ready: the model and the normalisers' indexes are loaded at
start-up, so the first autocomplete after a start answers like the rest (it took 7-10 s when
the label vectors came from var/vectors and the model loaded inside that request)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info, threadpool_limits

from matching.encoder import SentenceEncoder
from serving.app import create_app
from serving.settings import Settings
from serving.state import ServiceState, build_state
from tests.conftest import ADMIN_TOKEN, copy_text_store


class CountingEncoder:
    """The suite's encoder, counting what it is asked to encode."""

    def __init__(self, encoder: SentenceEncoder) -> None:
        self.encoder = encoder
        self.texts: list[str] = []

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.encoder.encode(texts)


def test_the_first_skill_suggestion_after_a_start_encodes_only_what_was_typed(
    tmp_path: Path, settings: Settings, encoder: SentenceEncoder, var_dir: Path
) -> None:
    # Fill var_dir's vector files (the suite's first state may not have been built yet).
    filling = build_state(settings, encoder=encoder, index=False)
    filling.warm_up()
    filling.close()
    (tmp_path / "vectors").mkdir()
    for cached in (var_dir / "vectors").glob("*.npy"):
        shutil.copy(cached, tmp_path / "vectors" / cached.name)
    copy_text_store(var_dir / "vectors", tmp_path / "vectors")
    started = settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'start.db'}", "var_dir": tmp_path}
    )
    counting = CountingEncoder(encoder)
    state = build_state(started, encoder=counting, index=False)  # type: ignore[arg-type]  # stand-in
    try:
        with TestClient(create_app(started, state=state)) as client:
            # Every label came from the files: what start-up encoded is its own probe query,
            # which loaded the model before any request.
            at_start = list(counting.texts)
            assert 1 <= len(at_start) <= 4, at_start[:10]
            answer = client.get(
                "/api/v1/skills/normalize",
                params={"q": "tableau", "limit": 5},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            assert answer.status_code == 200
            assert answer.json()["items"][0]["label"] == "Tableau"
            # The request itself encoded the query and nothing else (no index built in it).
            assert len(counting.texts) - len(at_start) <= 2, counting.texts[len(at_start) :]
    finally:
        state.close()


def _blas_threads() -> set[int]:
    """Threads of each BLAS that keeps one count for the whole process (numpy's and scipy's
    OpenBLAS; faiss's OpenMP build keeps one per calling thread)."""
    return {p["num_threads"] for p in threadpool_info() if p.get("threading_layer") == "pthreads"}


def test_a_server_multiplies_its_small_matrices_on_one_blas_thread(state: ServiceState) -> None:
    """OpenBLAS's second thread on a request's few hundred rows cost more to wake than it
    saved: two SQLite workers served 12.7-18.3 pages a second with it and 27.8-31.3 without."""
    threadpool_limits(limits=2, user_api="blas")
    assert _blas_threads() == {2}
    app = create_app(state.settings, state=state)
    assert _blas_threads() == {1}
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert _blas_threads() == {1}
