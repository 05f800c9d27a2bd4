"""Versions are stored atomically, one is live per direction, and rollback restores the last."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete

from data.storage.engine import transaction
from data.storage.tables import ModelVersionRow
from serving.state import ServiceState
from tests.training.test_ranker import synthetic
from training.ranker import LambdaRanker
from training.registry import ModelRegistry, RegistryError


@pytest.fixture
def registry(state: ServiceState, tmp_path: Path) -> ModelRegistry:
    with transaction(state.sessions) as session:
        session.execute(delete(ModelVersionRow))
    return ModelRegistry(tmp_path / "models", state.sessions)


def trained(seed: int) -> LambdaRanker:
    x, y, sizes = synthetic(60, seed=seed)
    return LambdaRanker(n_estimators=20, seed=seed).fit(x, y, sizes)


def test_promote_and_rollback(registry: ModelRegistry) -> None:
    first = registry.register(
        trained(1),
        direction="employee",
        metrics={"ndcg@10": 0.61},
        data_hash="a" * 64,
        card="# first\n",
    )
    second = registry.register(
        trained(2),
        direction="employee",
        metrics={"ndcg@10": 0.66},
        data_hash="b" * 64,
        card="# second\n",
    )
    assert registry.live("employee") is None
    registry.promote(first)
    registry.promote(second)
    live = registry.live("employee")
    assert live is not None and live.version == second
    assert registry.rollback("employee").version == first
    back = registry.live("employee")
    assert back is not None and back.version == first
    statuses = {v.version: v.status for v in registry.versions("employee")}
    assert statuses == {first: "promoted", second: "retired"}


def test_artefacts_round_trip_with_meta_and_card(registry: ModelRegistry) -> None:
    ranker = trained(3)
    version = registry.register(
        ranker,
        direction="employee",
        metrics={"ndcg@10": 0.5},
        data_hash="c" * 64,
        card="# Model card\n",
    )
    folder = registry.root / version
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["feature_hash"] and meta["data_hash"] == "c" * 64 and len(meta["features"]) >= 15
    assert (folder / "card.md").read_text().startswith("# Model card")
    assert not list(registry.root.glob(".*.tmp"))
    x, _, _ = synthetic(5, seed=9)
    assert np.allclose(registry.load(version).predict(x), ranker.predict(x))


def test_refusals_name_the_reason(registry: ModelRegistry) -> None:
    with pytest.raises(RegistryError, match="no model version"):
        registry.promote("employee-nope")
    with pytest.raises(RegistryError, match="no earlier promoted"):
        registry.rollback("employee")
    with pytest.raises(RegistryError, match="direction"):
        registry.register(trained(4), direction="sideways", metrics={}, data_hash="d", card="")


def test_two_versions_on_the_same_data_in_one_second_both_register(
    registry: ModelRegistry,
) -> None:
    names = [
        registry.register(
            trained(seed), direction="employee", metrics={}, data_hash="e" * 64, card=""
        )
        for seed in (5, 6, 7)
    ]
    assert len(set(names)) == 3
    assert {v.version for v in registry.versions("employee")} == set(names)
