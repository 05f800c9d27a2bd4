"""Model registry: versioned ranker artefacts on disk plus one database row per version.

A version's folder holds `model.txt` (LightGBM text, no pickle), `meta.json` (features and
their hash, metrics, training-data hash, time) and `card.md`. It is written under a temporary
name and renamed into place, so a half-written version is never visible. At most one version
per direction is `promoted`; a rollback re-promotes the one promoted before it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from data.storage import models as stored
from data.storage.engine import transaction
from data.storage.tables import ModelVersionRow
from features.registry import FEATURE_NAMES, registry_hash
from training.ranker import LambdaRanker

DIRECTIONS = ("employee", "opportunity")


class RegistryError(Exception):
    """A registry operation that cannot be done (the message says why)."""


class ModelRegistry:
    def __init__(self, root: Path, sessions: sessionmaker[Session]) -> None:
        self.root = root
        self.sessions = sessions

    def register(
        self,
        ranker: LambdaRanker,
        *,
        direction: str,
        metrics: dict[str, float],
        data_hash: str,
        card: str,
    ) -> str:
        if direction not in DIRECTIONS:
            raise RegistryError(f"direction must be one of {DIRECTIONS}")
        now = dt.datetime.now(dt.UTC)
        version = self._free_name(f"{direction}-{now:%Y%m%d-%H%M%S}-{data_hash[:8]}")
        final = self.root / version
        staging = self.root / f".{version}.tmp"
        staging.mkdir(parents=True)
        ranker.save(staging / "model.txt")
        meta = {
            "version": version,
            "direction": direction,
            "created_at": now.isoformat(),
            "features": list(FEATURE_NAMES),
            "feature_hash": registry_hash(),
            "data_hash": data_hash,
            "metrics": metrics,
            "best_iteration": ranker.best_iteration_,
            "params": {"seed": ranker.seed, "debias_positions": ranker.debias_positions},
        }
        (staging / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        (staging / "card.md").write_text(card)
        os.replace(staging, final)
        try:
            with transaction(self.sessions) as session:
                stored.add_version(
                    session,
                    ModelVersionRow(
                        version=version,
                        direction=direction,
                        path=str(final),
                        feature_hash=registry_hash(),
                        data_hash=data_hash,
                        metrics=metrics,
                        status="trained",
                        created_at=now,
                    ),
                )
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)  # no row, no artefact
            raise
        return version

    def _free_name(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`...: two runs on the same data in the same second differ."""
        with self.sessions() as session:
            taken = stored.version_names_starting(session, base)
        name, suffix = base, 1
        while name in taken or (self.root / name).exists():
            suffix += 1
            name = f"{base}-{suffix}"
        return name

    def versions(self, direction: str | None = None) -> list[ModelVersionRow]:
        with self.sessions() as session:
            return stored.versions(session, direction)

    def live(self, direction: str) -> ModelVersionRow | None:
        return next((v for v in self.versions(direction) if v.status == "promoted"), None)

    def promote(self, version: str) -> ModelVersionRow:
        with transaction(self.sessions) as session:
            row = stored.get_version(session, version)
            if row is None:
                raise RegistryError(f"no model version {version!r}")
            if row.feature_hash != registry_hash():
                raise RegistryError(f"{version} was trained on another feature set; retrain it")
            return stored.promote_version(session, row)

    def rollback(self, direction: str) -> ModelVersionRow:
        """Re-promote the version that was live before the current one."""
        history = [v for v in self.versions(direction) if v.promoted_at is not None]
        history.sort(key=lambda v: _utc(v.promoted_at), reverse=True)
        if len(history) < 2 or history[0].status != "promoted":
            raise RegistryError(f"no earlier promoted {direction} model to roll back to")
        return self.promote(history[1].version)

    def load(self, version: str) -> LambdaRanker:
        row = next((v for v in self.versions() if v.version == version), None)
        if row is None:
            raise RegistryError(f"no model version {version!r}")
        return LambdaRanker.load(Path(row.path) / "model.txt")


def _utc(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
