"""Which ranker serves each direction right now, and the atomic swap to a newly promoted one.

Per direction the live model is the registry's promoted version when there is one, else the
packaged default (cold start). `refresh()` asks the registry, loads a changed version fully
before it is visible, then replaces the whole mapping in one reference assignment: a request
that already took a model finishes with it, the next one gets the new one, none waits or fails.
A version that cannot be loaded leaves the current model serving and is reported.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.cold_start import DEFAULTS_DIR, load_default_ranker
from training.groups import Direction
from training.ranker import LambdaRanker
from training.registry import ModelRegistry

COMPANY, DEFAULT = "company", "default"


@dataclass(frozen=True, slots=True)
class LiveModel:
    direction: Direction
    version: str
    source: str  # COMPANY (trained on this company's log and promoted) or DEFAULT (packaged)
    ranker: LambdaRanker

    def predict(self, features: np.ndarray) -> np.ndarray:
        return self.ranker.predict(features)

    def contributions(self, features: np.ndarray) -> np.ndarray:
        """TreeSHAP per feature, base value last; each row sums to `predict`."""
        return self.ranker.contributions(features)

    def describe(self) -> dict[str, str]:
        return {"version": self.version, "source": self.source}


class LiveRankers:
    def __init__(self, registry: ModelRegistry, defaults_dir: Path = DEFAULTS_DIR) -> None:
        self.registry = registry
        self.defaults_dir = defaults_dir
        self._models: dict[Direction, LiveModel] = {}
        self.problems: dict[str, str] = {}  # direction -> why its promoted version is not live
        self._refreshing = threading.Lock()  # one loader at a time; readers never wait

    def get(self, direction: Direction | str) -> LiveModel:
        return self._models[Direction(direction)]

    def ranker_for(self, version: str) -> LambdaRanker:
        """Any version that served (for replay): a registry version or the packaged default."""
        if version.startswith("default-"):
            direction = version.split("-")[1]
            default = load_default_ranker(direction, self.defaults_dir)
            if default.version != version:
                raise LookupError(f"{version} is no longer packaged (now {default.version})")
            return default.ranker
        return self.registry.load(version)

    def describe(self) -> dict[str, dict[str, str]]:
        return {d.value: m.describe() for d, m in self._models.items()}

    def refresh(self) -> list[LiveModel]:
        """Bring every direction up to the registry; returns the models that went live."""
        with self._refreshing:
            current = dict(self._models)
            changed = []
            for direction in Direction:
                try:
                    row = self.registry.live(direction.value)
                except Exception as exc:  # database away: keep serving what is loaded
                    self.problems[direction.value] = f"registry unreachable: {type(exc).__name__}"
                    continue
                if self.problems.get(direction.value, "").startswith("registry unreachable"):
                    del self.problems[direction.value]  # it answers again
                have = current.get(direction)
                wanted = row.version if row is not None else None  # None: the default
                if have is not None and (
                    have.version == wanted or (wanted is None and have.source == DEFAULT)
                ):
                    continue
                model = self._load(direction, wanted)
                if model is not None:
                    current[direction] = model
                    changed.append(model)
            if changed:
                self._models = current  # the swap: one reference assignment
            return changed

    def _load(self, direction: Direction, version: str | None) -> LiveModel | None:
        try:
            if version is None:
                default = load_default_ranker(direction, self.defaults_dir)
                model = LiveModel(direction, default.version, DEFAULT, default.ranker)
            else:
                model = LiveModel(direction, version, COMPANY, self.registry.load(version))
        except Exception as exc:  # a broken artefact must not take the service down
            self.problems[direction.value] = f"{version or 'default'} not loaded: {exc}"
            return None
        self.problems.pop(direction.value, None)
        return model
