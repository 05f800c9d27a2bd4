"""A fresh start serves at once: with the taxonomy's texts not yet encoded the server answers
`/healthz` and lookups (lexically) while a thread encodes them, shows the progress in
`/readyz`, and reaches full quality without a restart."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from pydantic import SecretStr

from serving.app import create_app
from serving.settings import Settings
from serving.state import build_state
from tests.conftest import ADMIN_TOKEN, AUDIT_KEY, TOKEN_SECRET
from tests.matching.fakes import HashEncoder

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class GatedEncoder(HashEncoder):
    """The stand-in encoder, held at its first big batch until the test lets it go."""

    model_id = "gated-hash-encoder"

    def __init__(self) -> None:
        super().__init__(dim=384)
        self.started = threading.Event()
        self.go = threading.Event()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) > 100:  # the background's chunks, not a query
            self.started.set()
            assert self.go.wait(60), "the test never released the encoder"
        return super().encode(texts)


def test_a_start_without_vectors_serves_lexically_then_reaches_full_quality(
    tmp_path: Path,
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'cold.db'}",
        var_dir=tmp_path,
        admin_token=SecretStr(ADMIN_TOKEN),
        audit_key=SecretStr(AUDIT_KEY),
        token_secret=SecretStr(TOKEN_SECRET),
        model_poll_seconds=0,
        monitor_seconds=0,
        freshness_seconds=0,
        rate_limit_per_minute=0,
    )
    encoder = GatedEncoder()
    state = build_state(settings, encoder=encoder, index=False)  # type: ignore[arg-type]  # stand-in encoder
    try:
        with TestClient(create_app(settings, state=state)) as client:
            assert encoder.started.wait(60)
            assert client.get("/healthz").status_code == 200
            ready = client.get("/readyz", headers=ADMIN)
            assert ready.status_code == 200  # ready: it serves, at lexical quality
            vectors = ready.json()["details"]["vectors"]
            assert vectors["state"] == "encoding" and not vectors["full_quality"]
            assert vectors["texts_to_encode"] > 70_000 and vectors["texts_encoded"] == 0
            lexical = client.get(
                "/api/v1/skills/normalize", params={"q": "SQL databases"}, headers=ADMIN
            )
            assert lexical.status_code == 200
            assert {i["method"] for i in lexical.json()["items"]} <= {"partial_label", "label"}
            assert lexical.json()["items"][0]["label"] == "SQL"
            occupation = client.get(
                "/api/v1/occupations/normalize", params={"q": "data analyst"}, headers=ADMIN
            )
            assert occupation.status_code == 200 and occupation.json()["items"]

            encoder.go.set()
            assert state.wait_for_vectors(120)
            vectors = client.get("/readyz", headers=ADMIN).json()["details"]["vectors"]
            assert vectors["state"] == "ready" and vectors["full_quality"]
            assert vectors["texts_encoded"] == vectors["texts_to_encode"]
            assert not state.normalizer.lexical_until_ready and state.normalizer.ready
            encoded = encoder.texts_encoded
            after = client.get(
                "/api/v1/skills/normalize", params={"q": "SQL databases"}, headers=ADMIN
            )
            assert after.status_code == 200
            assert encoder.texts_encoded == encoded + 1  # the query: the embedding's path now
    finally:
        encoder.go.set()  # a failed assertion must not leave the thread waiting
        state.close()
    # Saved as it went: a restart encodes none of it again.
    again = GatedEncoder()
    again.go.set()
    restarted = build_state(settings, encoder=again, index=False)  # type: ignore[arg-type]  # stand-in encoder
    try:
        assert restarted.normalizer.missing_vectors() == 0
        assert restarted.occupations.missing_vectors() == 0
    finally:
        restarted.close()
