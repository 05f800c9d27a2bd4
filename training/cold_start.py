"""The packaged default rankers: what serves before a company has history of its own.

They are trained on several generated companies (seeds other than the one `make run` builds) on
the features that transfer between companies only. Most of those companies are drawn from the
whole taxonomy (training/taxonomy_company.py: ISCO groups with occupations sampled across ESCO,
their essential and optional skills and their O*NET tools as skills), one has the demo's office
departments. The history features (`past_completion_rate`, `opportunity_popularity`) describe
one company's log, its volume and its habits; they are set to their no-history values while
training, so the trees never split on them and a company without a log is scored exactly as one
with a log would be. The result is judged on further generated companies the model never saw
(one drawn from the whole taxonomy, one with the demo's departments), against their hidden true
fit, next to the baselines a new customer would otherwise get.

Rebuild with `talent models build-default` after any change to the feature registry (a test
fails until then: the shipped models carry the registry hash they were trained on).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from data.taxonomy.model import Taxonomy
from data.taxonomy.occupation_profiles import OccupationProfiles
from features.history import HISTORY_FEATURES
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

if TYPE_CHECKING:  # the demo generator is imported where a company is generated
    from data.demo.company import DemoCompany

DEFAULTS_DIR = Path(__file__).parent / "default_rankers"
# Values a feature takes for a company with no log: what the default model is trained on.
NO_HISTORY = {
    "past_completion_rate": PRIOR_COMPLETION_RATE,
    "opportunity_popularity": 0.0,
    **dict.fromkeys(HISTORY_FEATURES, 0.0),
}
# (seed, drawn from the whole taxonomy?) of the companies trained on, and of those held out.
TRAIN_COMPANIES = ((101, True), (102, True), (103, True), (105, False))
HOLDOUT_COMPANIES = {"whole_taxonomy": (104, True), "demo_departments": (104, False)}
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
    taxonomy: Taxonomy,
    seed: int,
    embed: Embed,
    employees: int,
    opportunities: int,
    *,
    whole_taxonomy: bool,
) -> tuple[dict[Direction, tuple[tuple[RankingSet, np.ndarray], ...]], dict[str, object]]:
    """Ranking sets (train, valid, test parts with their true fit) per direction, and what the
    company was drawn from."""
    # Here, not at the top: the server loads this module for `load_default_ranker`, and has
    # no business loading the demo-company simulator.
    from data.demo import generate_company
    from data.demo.truth import STANDARD, WORK_AWARE
    from training.taxonomy_company import taxonomy_families

    families = taxonomy_families(taxonomy, seed=seed) if whole_taxonomy else None
    company = generate_company(
        taxonomy,
        employees=employees,
        opportunities=opportunities,
        seed=seed,
        families=families,
        # Where experience of the whole line of work counts beside a posting's listed skills:
        # the default ranker learns what profile_fit and tool_category_fit say.
        tastes=WORK_AWARE if whole_taxonomy else STANDARD,
    )
    described = _described(company, taxonomy, seed, whole_taxonomy)
    people = [person_inputs(e) for e in company.employees]
    jobs = [opportunity_inputs(o) for o in company.opportunities]
    store = FeatureStore(
        people,
        jobs,
        embed=embed,
        skill_labels=lambda skill: taxonomy.skills[skill].label,
        events=company.interactions,
        reference_date=company.as_of,
        occupation_profiles=OccupationProfiles.from_taxonomy(
            _sampled_tool_lists(taxonomy, seed) if whole_taxonomy else taxonomy
        ),
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
    return out, described


def _sampled_tool_lists(taxonomy: Taxonomy, seed: int) -> Taxonomy:
    """A copy whose occupations list a seeded half of their O*NET tools (at least one). O*NET's
    tools per occupation are examples, and people use products their occupation's list does not
    name: features computed on half lists teach the ranker what a person's other tools of the
    same kinds are worth, where the hidden fit counts the whole list."""
    rng = np.random.default_rng(seed)
    copy = taxonomy.copy()
    for occupation_id in sorted(copy.occupations):
        occupation = copy.occupations[occupation_id]
        tools = list(occupation.tool_ids)
        if len(tools) < 2:
            continue
        kept = sorted(rng.choice(len(tools), size=max(1, len(tools) // 2), replace=False))
        copy.occupations[occupation_id] = dataclasses.replace(
            occupation, tool_ids=tuple(tools[i] for i in kept)
        )
    return copy


def _described(
    company: DemoCompany, taxonomy: Taxonomy, seed: int, whole: bool
) -> dict[str, object]:
    employees = company.employees
    postings = company.opportunities
    held = {s.skill_id for e in employees for s in e.skills}
    asked = {s.skill_id for o in postings for s in (*o.required_skills, *o.preferred_skills)}
    skills = held | asked
    return {
        "seed": seed,
        "families": "whole taxonomy (ISCO groups, sampled occupations)" if whole else "demo",
        "departments": sorted({e.department for e in employees}),
        "occupations": len({e.occupation_id for e in employees if e.occupation_id}),
        "skills": len(skills),
        "tools": sum(
            1 for s in skills if s in taxonomy.skills and taxonomy.skills[s].skill_type == "tool"
        ),
        "employees": len(employees),
        "opportunities": len(postings),
        "interactions": len(company.interactions),
    }


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
    started, cpu_started = time.perf_counter(), time.process_time()
    companies, trained_on = [], []
    for company_seed, whole in TRAIN_COMPANIES:
        sets, described = _company_sets(
            taxonomy, company_seed, embed, employees, opportunities, whole_taxonomy=whole
        )
        companies.append(sets)
        trained_on.append(described)
    holdouts, held_out = {}, {}
    for name, (company_seed, whole) in HOLDOUT_COMPANIES.items():
        holdouts[name], held_out[name] = _company_sets(
            taxonomy, company_seed, embed, employees, opportunities, whole_taxonomy=whole
        )
    directions: dict[str, dict[str, object]] = {}
    meta: dict[str, object] = {
        "feature_hash": registry_hash(),
        "features": list(FEATURE_NAMES),
        "neutralised": NO_HISTORY,
        "train_seeds": [company_seed for company_seed, _ in TRAIN_COMPANIES],
        "holdout_seed": HOLDOUT_COMPANIES["whole_taxonomy"][0],
        "company_size": {"employees": employees, "opportunities": opportunities},
        "trained_on": trained_on,
        "held_out": held_out,
        "taxonomy_version": taxonomy.version,
        "created": dt.date.today().isoformat(),
        "directions": directions,
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
        directions[direction.value] = {
            "trees": ranker.best_iteration_,
            "train_rows": len(train[1]),
            # On the company drawn from the whole taxonomy (the key the model card reads), and
            # on one with the demo's departments.
            "holdout_true_fit_ndcg@10": _holdout_report(
                ranker, holdouts["whole_taxonomy"][direction]
            ),
            "holdout_demo_departments_true_fit_ndcg@10": _holdout_report(
                ranker, holdouts["demo_departments"][direction]
            ),
        }
    # Wall time depends on what else the machine runs; CPU time (all threads) less so.
    meta["build_seconds"] = round(time.perf_counter() - started, 1)
    meta["build_cpu_seconds"] = round(time.process_time() - cpu_started, 1)
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
        "embedding_similarity": np.concatenate([baselines.embedding_similarity(r) for r in rows]),
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
