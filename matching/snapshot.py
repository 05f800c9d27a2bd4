"""Save and restore the engine's pools and FAISS indexes as one versioned file.

One `.npz` written to a temporary name and renamed over the old one, so a reader never sees a
half-written snapshot. A snapshot of another format version or another encoder is ignored
(the engine then rebuilds from the database).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from matching.index import IndexInfo

if TYPE_CHECKING:
    from matching.engine import MatchEngine

FORMAT_VERSION = 1


def _pools(engine: MatchEngine) -> dict[str, object]:
    return {
        "employees": engine.employees,
        **{f"opp_{k}": p for k, p in engine.opportunities.items()},
    }


def save_snapshot(engine: MatchEngine, path: Path) -> None:
    arrays: dict[str, np.ndarray] = {}
    infos: dict[str, dict[str, object]] = {}
    for name, pool in _pools(engine).items():
        for key, value in pool.arrays().items():  # type: ignore[attr-defined]
            arrays[f"{name}.{key}"] = value
        arrays[f"{name}.index"] = pool.index.to_bytes()  # type: ignore[attr-defined]
        info: IndexInfo = pool.index.info  # type: ignore[attr-defined]
        infos[name] = {
            "kind": info.kind,
            "size": info.size,
            "nlist": info.nlist,
            "nprobe": info.nprobe,
            "recall_at_50": info.recall_at_50,
        }
    meta = {
        "format_version": FORMAT_VERSION,
        "model_id": engine.cache.encoder.model_id,
        "database": engine.database_key,
        "saved_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
        "locations": engine.locations.codes,
        "owners": {str(k): v for k, v in engine._owner_of.items()},
        "indexes": infos,
    }
    arrays["meta"] = np.array(json.dumps(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")  # workers may save at once
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def load_snapshot(engine: MatchEngine, path: Path) -> dt.datetime | None:
    """Restore into `engine`; returns when the snapshot was taken, or None if unusable."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"]))
        if (
            meta["format_version"] != FORMAT_VERSION
            or meta["model_id"] != engine.cache.encoder.model_id
        ):
            return None
        for name, pool in _pools(engine).items():
            prefix = f"{name}."
            pool.restore_arrays(  # type: ignore[attr-defined]
                {key[len(prefix) :]: stored[key] for key in stored.files if key.startswith(prefix)}
            )
            pool.index.restore(stored[f"{name}.index"], IndexInfo(**meta["indexes"][name]))  # type: ignore[attr-defined]
    engine.locations.codes = dict(meta["locations"])
    engine._owner_of = {int(k): v for k, v in meta["owners"].items()}
    engine._employee_row_of = dict(
        zip(engine.employees.external_ids, engine.employees.row_ids.tolist(), strict=True)
    )
    for kind, pool in engine.opportunities.items():
        for row_id, active in zip(pool.row_ids.tolist(), pool.active.tolist(), strict=True):
            if active:
                engine._kind_of[row_id] = kind
    return dt.datetime.fromisoformat(meta["saved_at"])
