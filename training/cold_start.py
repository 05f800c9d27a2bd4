"""The packaged default rankers: what serves before a company has history of its own.

They are trained on several generated demo companies (seeds other than the one `make run`
builds) on the features that transfer between companies only. The history features
(`past_completion_rate`, `opportunity_popularity`) describe one company's log, its volume
and its habits; they are set to their no-history values while training, so the trees never
split on them and a company without a log is scored exactly as one with a log would be. The
result is judged on a further generated company the model never saw, against its hidden true
fit, next to the baselines a new customer would otherwise get.

Rebuild with `talent models build-default` after any change to the feature registry (a test
fails until then: the shipped models carry the registry hash they were trained on).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.taxonomy.model import Taxonomy
from features.inputs import opportunity_inputs, person_inputs
from features.registry import FEATURE_NAMES, registry_hash
from features.store import PRIOR_COMPLETION_RATE, FeatureStore
from training import baselines
from training.dataset import RankingSet, ranking_set
from training.groups import Direction, build_groups, opportunity_kinds
from training.labels import label_interactions
from training.metrics import ndcg_at
from training.ranker import LambdaRanker
from training.split import time_split

DEFAULTS_DIR = Path(__file__).parent / "default_rankers"
# Values a feature takes for a company with no log: what the default model is trained on.
NO_HISTORY = {"past_completion_rate": PRIOR_COMPLETION_RATE, "opportunity_popularity": 0.0}
TRAIN_SEEDS = (101, 102, 103)
HOLDOUT_SEED = 104
Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class DefaultRanker:
    direction: Direction
    version: str  # "default-<direction>-<model file hash prefix>": a rebuilt default is new
    ranker: LambdaRanker
    meta: dict[str, object]


def without_history(features: np.ndarray) -> np.ndarray:
    """A copy with the company-specific history features at their no-history values."""
    out = features.copy()
    for name, value in NO_HISTORY.items():
        out[:, FEATURE_NAMES.index(name)] = value
    return out


def _company_sets(
    taxonomy: Taxonomy, seed: int, embed: Embed, employees: int, opportunities: int
) -> dict[Direction, tuple[RankingSet, ...]]:
    # Here, not at the top: the server loads this module for `load_default_ranker`, and has
    # no business loading the demo-company simulator.
    from data.demo import generate_company

    company = generate_company(
        taxonomy, employees=employees, opportunities=opportunities, seed=seed
    )
    people = [person_inputs(e) for e in company.employees]
    jobs = [opportunity_inputs(o) for o in company.opportunities]
    store = FeatureStore(
        people,
        jobs,
        embed=embed,
        skill_labels=lambda skill: taxonomy.skills[skill].label,
        events=company.interactions,
        reference_date=company.as_of,
    )
    labels = label_interactions(company.interactions)
    kinds = opportunity_kinds(company.opportunities)
    person_of = {e: i for i, e in enumerate(company.employee_ids)}
    job_of = {o: i for i, o in enumerate(company.opportunity_ids)}
    person_rows = np.array([person_of[p.external_id] for p in people])
    job_rows = np.array([job_of[o.external_id] for o in jobs])
    out = {}
    for direction in Direction:
        parts = []
        for part in time_split(build_groups(labels, kinds=kinds, direction=direction)):
            rows = ranking_set(store, part)
            fit = company.true_fit[person_rows[rows.people], job_rows[rows.opportunities]]
            parts.append((rows, fit))
        out[direction] = tuple(parts)
    return out


def _stack(sets: Sequence[RankingSet]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (
        without_history(np.vstack([s.features for s in sets])),
        np.concatenate([s.labels for s in sets]),
        np.concatenate([s.sizes for s in sets]),
        np.concatenate([s.positions for s in sets]),
    )


def build_default_rankers(
    taxonomy: Taxonomy,
    embed: Embed,
    *,
    out_dir: Path = DEFAULTS_DIR,
    employees: int = 1500,
    opportunities: int = 250,
    seed: int = 7,
) -> dict[str, object]:
    """Train one default ranker per direction and write them with `meta.json` to `out_dir`."""
    companies = [_company_sets(taxonomy, s, embed, employees, opportunities) for s in TRAIN_SEEDS]
    holdout = _company_sets(taxonomy, HOLDOUT_SEED, embed, employees, opportunities)
    meta: dict[str, object] = {
        "feature_hash": registry_hash(),
        "features": list(FEATURE_NAMES),
        "neutralised": NO_HISTORY,
        "train_seeds": list(TRAIN_SEEDS),
        "holdout_seed": HOLDOUT_SEED,
        "company_size": {"employees": employees, "opportunities": opportunities},
        "created": dt.date.today().isoformat(),
        "directions": {},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for direction in Direction:
        # Train on every company's train part, stop early on their valid parts.
        train = _stack([c[direction][0][0] for c in companies])
        valid = _stack([c[direction][1][0] for c in companies])
        positions = train[3] if (train[3] > 0).all() else None
        ranker = LambdaRanker(seed=seed).fit(
            train[0], train[1], train[2], positions=positions, valid=valid[:3]
        )
        ranker.save(out_dir / f"{direction.value}.txt")
        meta["directions"][direction.value] = {  # type: ignore[index]
            "trees": ranker.best_iteration_,
            "train_rows": len(train[1]),
            "holdout_true_fit_ndcg@10": _holdout_report(ranker, holdout[direction]),
        }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def _holdout_report(
    ranker: LambdaRanker, parts: tuple[tuple[RankingSet, np.ndarray], ...]
) -> dict[str, float]:
    """NDCG@10 against the unseen company's true fit, over all its groups, with no history."""
    rows = [p[0] for p in parts]
    features = without_history(np.vstack([r.features for r in rows]))
    sizes = np.concatenate([r.sizes for r in rows])
    fit = np.concatenate([p[1] for p in parts])
    scores = {
        "default_ranker": ranker.predict(features),
        "embedding_similarity": baselines.embedding_similarity(features),
        "required_skill_overlap": baselines.required_skill_overlap(features),
    }
    return {
        name: round(ndcg_at(s, fit, sizes, 10, exponential=False), 4) for name, s in scores.items()
    }


def load_default_ranker(direction: Direction | str, root: Path = DEFAULTS_DIR) -> DefaultRanker:
    """The shipped default for a direction; refuses one trained on another feature set."""
    direction = Direction(direction)
    meta = json.loads((root / "meta.json").read_text())
    if meta["feature_hash"] != registry_hash():
        raise ValueError(
            "the packaged default rankers were trained on another feature set; "
            "rebuild them with `talent models build-default`"
        )
    path = root / f"{direction.value}.txt"
    ranker = LambdaRanker.load(path)
    version = f"default-{direction.value}-{hashlib.sha256(path.read_bytes()).hexdigest()[:8]}"
    return DefaultRanker(direction, version, ranker, meta)
