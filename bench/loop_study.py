"""What could a retraining have learned from a kept bench/loop instance's log?

`bench/loop.py --keep DIR` keeps each arm's instance. This reopens one, takes its log up to the
end of round R (its R-th retraining), fits rankers on it several ways, and scores each on round
R+1's served pools (the whole scored pool of every list the audit log kept) against the hidden
true fit, beside the packaged default and the noiseless ceiling:

  python bench/loop_study.py DIR/learned [--train-rounds 5] [--tastes …] [--direction …]
                             [--fits all|glmix]

Ways of fitting, all on the same lists:
- correction_N: the packaged default continued by N trees of 3 leaves (>= 100 rows a leaf), no
  early stopping: what training does with a model live (training/evaluate.py);
- continued_early_stop: 15-leaf trees continued from the default, stopped early on the
  validation lists (the choice before issue 26's correction);
- scratch: a ranker from scratch, stopped early;
- shown_true_fit_*: the same fits taught the hidden true fit of the items the lists showed
  (what every shown item's label, not only people's few actions, would teach);
- pool_true_fit: taught the true fit of every item of every past pool (bench/loop's features
  ceiling);
- linear_correction_l2_*: the default's score plus an L2-pulled linear term in the standardised
  features, fitted on the lists' preference pairs weighted by the less wanted item's chance of
  being examined (30 numbers instead of trees; no better on the runs measured, bench/NOTES.md);
- glmix_<global>_l2_*: GLMix-style per-entity effects on top of a global model (correction_30 or
  the default): each list's query (a person, or a posting on the candidate side) with at least
  MIN_ACTIONS actions in its own lists gets coefficients over a few standardised features
  (EFFECT_FEATURES) and the item's department, fitted on its own preference pairs with the
  global score as offset and an L2 pull to 0; `_features` / `_departments` keep one part only;
  glmix_alternated_l2_3 refits the global correction once with the terms as offset;
  correction_30_all_lists is the correction fitted on every logged list, as the terms are.
  `--fits glmix` fits only these (beside the default and correction_30) and prints each one's
  per-list difference from correction_30, also over the lists whose query has a term
  (measured: bench/NOTES.md, "Learning from use"; only the per-person department term, L2 = 1,
  was ahead in most rounds of two worlds, and by little).
Each line: NDCG@10 against the true fit and the share of the gap between the default and the
noiseless ceiling it closes; on candidate lists, the gender impact ratio of each top ten.
(Study tool: the demo company is regenerated from the seed.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.loop import PAGE, START, ndcg  # noqa: E402
from data.demo import TASTES, DemoCompany, generate_company  # noqa: E402
from data.demo.demographics import attribute_values  # noqa: E402
from data.taxonomy.packaged import load_packaged_taxonomy  # noqa: E402
from fairness.audit_log import AuditLog, decode_matrix  # noqa: E402
from fairness.metrics import selection_impact  # noqa: E402
from features.inputs import opportunity_inputs, person_inputs  # noqa: E402
from features.registry import FEATURE_NAMES  # noqa: E402
from features.store import FeatureStore  # noqa: E402
from serving.settings import Settings  # noqa: E402
from serving.state import build_state  # noqa: E402
from serving.usecases.training_data import served_impressions  # noqa: E402
from training.candidate_lists import candidate_list_groups, merge_groups  # noqa: E402
from training.cold_start import load_default_ranker  # noqa: E402
from training.company import CompanyData, load_company  # noqa: E402
from training.dataset import RankingSet, ranking_set  # noqa: E402
from training.groups import Direction, build_groups, opportunity_kinds  # noqa: E402
from training.labels import label_interactions  # noqa: E402
from training.ranker import LambdaRanker  # noqa: E402
from training.split import time_split  # noqa: E402

Predict = Callable[[np.ndarray], np.ndarray]
Score = Callable[[np.ndarray, dict[str, Any]], np.ndarray]  # a pool's features and its audit record


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _correction(trees: int) -> LambdaRanker:
    return LambdaRanker(seed=7, n_estimators=trees, num_leaves=3, min_child_samples=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a kept arm's folder (DIR/learned)")
    parser.add_argument("--train-rounds", type=int, default=5)
    parser.add_argument("--tastes", default="standard", choices=sorted(TASTES))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--opportunities", type=int, default=150)
    parser.add_argument("--direction", default="employee", choices=[d.value for d in Direction])
    parser.add_argument(
        "--fits",
        default="all",
        choices=["all", "glmix"],
        help="glmix: only the default, correction_30 and the per-entity effects (fast)",
    )
    args = parser.parse_args()
    keys = json.loads((args.folder / "secrets.json").read_text())
    settings = Settings(
        database_url=f"sqlite:///{args.folder / 'talent.db'}",
        var_dir=args.folder,
        retrain_hours=0,
        **keys,
    )
    state = build_state(settings, index=False)
    company = generate_company(
        load_packaged_taxonomy(),
        employees=args.employees,
        opportunities=args.opportunities,
        seed=args.seed,
        as_of=START.date(),  # as bench/loop.py generated it
        with_history=False,
        tastes=TASTES[args.tastes],
    )
    direction = Direction(args.direction)
    # A round ends with its retraining: the employees' registered versions mark the ends.
    ends = sorted(
        _utc(v.created_at)
        for v in state.rankers.registry.versions()
        if v.direction == Direction.EMPLOYEE.value
    )
    cut = ends[args.train_rounds - 1]
    until = ends[args.train_rounds] if len(ends) > args.train_rounds else None
    with state.sessions() as session:
        loaded = load_company(session)
        served = served_impressions(session)
        pools = [
            r
            for r in AuditLog.between(session, cut, until, direction=direction.value)
            if r["caller_role"] != "admin"
        ]
        past = [
            r
            for r in AuditLog.between(session, None, cut, direction=direction.value)
            if r["caller_role"] != "admin"
        ]
    interactions = [i for i in loaded.interactions if _utc(i.occurred_at) < cut]
    shown = [i for i in served.impressions if _utc(i.occurred_at) < cut]
    events = [*interactions, *shown]
    store = FeatureStore(
        [person_inputs(e) for e in loaded.employees],
        [opportunity_inputs(o) for o in loaded.opportunities],
        embed=state.matcher.cache.vectors,
        skill_labels=lambda s: state.taxonomy.skills[s].label,
        events=events,
        reference_date=cut.date(),
    )
    labels = label_interactions(
        events, other_lists={i.request_id for i in served.candidate_impressions}
    )
    kinds = opportunity_kinds(loaded.opportunities)
    groups = build_groups(labels, kinds=kinds, direction=direction)
    if direction is Direction.OPPORTUNITY:
        lists = [i for i in served.candidate_impressions if _utc(i.occurred_at) < cut]
        groups = merge_groups(groups, candidate_list_groups(lists, events, kinds=kinds))
    train, valid, _test = (ranking_set(store, part) for part in time_split(groups))
    positions = train.examined_positions()
    valid_set = (valid.features, valid.labels, valid.sizes)
    print(
        f"trained on rounds 1-{args.train_rounds}: {len(train.sizes)} lists "
        f"({len(train)} rows) + {len(valid.sizes)} validation; scored on round "
        f"{args.train_rounds + 1}: {len(pools)} served pools",
        flush=True,
    )
    default = load_default_ranker(direction).ranker
    models: dict[str, Predict] = {"default": default.predict}
    if args.fits == "glmix":
        models["correction_30"] = (
            _correction(30)
            .fit(train.features, train.labels, train.sizes, positions=positions, init_model=default)
            .predict
        )
        glmix, entities = _glmix_fits(
            default, models["correction_30"], ranking_set(store, groups), store, loaded, direction
        )
        scores = {name: _plain(predict) for name, predict in models.items()} | glmix
        _report(pools, company, direction, scores, paired_with="correction_30", entities=entities)
        return
    for trees in (15, 30, 50):
        fitted = _correction(trees).fit(
            train.features, train.labels, train.sizes, positions=positions, init_model=default
        )
        models[f"correction_{trees}"] = fitted.predict
    models["continued_early_stop"] = (
        LambdaRanker(seed=7)
        .fit(
            train.features,
            train.labels,
            train.sizes,
            positions=positions,
            valid=valid_set,
            init_model=default,
        )
        .predict
    )
    models["scratch"] = (
        LambdaRanker(seed=7)
        .fit(train.features, train.labels, train.sizes, positions=positions, valid=valid_set)
        .predict
    )
    shown_rows, pool_rows = _true_fit_lists(past, company, direction)
    for trees in (30, 100):
        models[f"shown_true_fit_correction_{trees}"] = (
            _correction(trees).fit(*shown_rows, init_model=default).predict
        )
    models["shown_true_fit_continued"] = (
        LambdaRanker(seed=7, n_estimators=200).fit(*shown_rows, init_model=default).predict
    )
    models["pool_true_fit"] = LambdaRanker(seed=7, n_estimators=200).fit(*pool_rows).predict
    for l2 in (3.0, 30.0, 300.0):
        models[f"linear_correction_l2_{l2:g}"] = _linear_correction(
            default.predict, train.features, train.labels, train.sizes, positions, l2=l2
        )
    _report(pools, company, direction, {name: _plain(p) for name, p in models.items()})


def _linear_correction(
    base: Predict,
    features: np.ndarray,
    labels: np.ndarray,
    sizes: np.ndarray,
    positions: np.ndarray | None,
    *,
    l2: float,
    decay: float = 0.8,
) -> Predict:
    """The default's score plus a linear term in the standardised features (and a rescaling of
    the default's own score), fitted on the lists' preference pairs (a more wanted item over a
    less wanted one) by a pairwise logistic loss, each pair weighted by how likely the less
    wanted item was examined ((1/position)^decay), with an L2 pull towards no correction:
    29 + 1 numbers instead of trees, for a few hundred actions."""
    from scipy.optimize import minimize

    mean = np.nanmean(features, axis=0)
    scale = np.nanstd(features, axis=0) + 1e-9

    def standard(x: np.ndarray) -> np.ndarray:
        return np.nan_to_num((x - mean) / scale)

    z, b = standard(features), base(features)
    z = np.hstack([z, b[:, None]])
    bi, wj, w, _group = _preference_pairs(labels, sizes, positions, decay=decay)
    diff_z, diff_b = z[bi] - z[wj], b[bi] - b[wj]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        margin = diff_b + diff_z @ theta
        value = np.sum(w * np.logaddexp(0.0, -margin)) + l2 * theta @ theta
        grad = -(diff_z.T @ (w / (1.0 + np.exp(margin)))) + 2 * l2 * theta
        return float(value), grad

    theta = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x
    print(f"    linear l2={l2:g}: {len(bi)} pairs, |theta| {np.linalg.norm(theta):.3f}")

    def predict(x: np.ndarray) -> np.ndarray:
        scores = base(x)
        return scores + np.hstack([standard(x), scores[:, None]]) @ theta

    return predict


def _preference_pairs(
    labels: np.ndarray, sizes: np.ndarray, positions: np.ndarray | None, *, decay: float = 0.8
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(better row, worse row, weight, list index) for every pair of one list's rows graded
    differently, weighted by how likely the worse row was examined: (1/position)^decay."""
    better, worse, weight, group = [], [], [], []
    start = 0
    for index, size in enumerate(sizes.tolist()):
        rows = np.arange(start, start + size)
        start += size
        grades = labels[rows]
        for i in rows[grades > 0]:
            for j in rows[grades < labels[i]]:
                seen = 1.0 if positions is None else (1.0 / max(int(positions[j]), 1)) ** decay
                better.append(i)
                worse.append(j)
                weight.append(seen)
                group.append(index)
    return (
        np.array(better, dtype=np.int64),
        np.array(worse, dtype=np.int64),
        np.array(weight, dtype=np.float64),
        np.array(group, dtype=np.int64),
    )


# What a per-entity term reads: a few standardised features where a person's (or a posting's
# lead's) own weighing may differ from everyone's (skill against interest, level, hours, moving
# department, their own history), and the item's department (a person's family of work).
EFFECT_FEATURES = (
    "required_coverage",
    "skill_similarity",
    "profile_fit",
    "interest_alignment",
    "aspiration_similarity",
    "level_outside_band",
    "availability_slack",
    "cross_department",
    "history_liked_similarity",
)
MIN_ACTIONS = 2  # positively graded rows of an entity's own lists before it gets a term


@dataclass(frozen=True)
class EntityEffects:
    """Per-entity (the list's query: a person, or a posting) coefficients over standardised
    EFFECT_FEATURES and a one-hot of the item's department, added to a global score: GLMix's
    random effects, each fitted on that entity's own lists by a pairwise logistic loss with the
    global score as offset and an L2 pull to 0 (the prior's mean), so an entity with a few
    pairs moves little and one without enough history not at all."""

    columns: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    departments: dict[str, int]
    coefficients: dict[str, np.ndarray]

    def design(self, features: np.ndarray, departments: list[str]) -> np.ndarray:
        z = np.nan_to_num((features[:, self.columns] - self.mean) / self.scale)
        onehot = np.zeros((len(features), len(self.departments)))
        for row, name in enumerate(departments):
            if name in self.departments:
                onehot[row, self.departments[name]] = 1.0
        return np.hstack([z, onehot])

    def terms(
        self, entities: list[str], features: np.ndarray, departments: list[str]
    ) -> np.ndarray:
        """Each row's entity term (0 for an entity without one)."""
        if not self.coefficients or not len(features):
            return np.zeros(len(features))
        width = len(self.columns) + len(self.departments)
        thetas = np.vstack([self.coefficients.get(e, np.zeros(width)) for e in entities])
        summed: np.ndarray = np.sum(self.design(features, departments) * thetas, axis=1)
        return summed


def _fit_effects(
    logged: RankingSet,
    offset: np.ndarray,
    entity_of_row: list[str],
    department_of_row: list[str],
    *,
    l2: float,
    use: str = "both",
    min_actions: int = MIN_ACTIONS,
) -> EntityEffects:
    """`use`: "both", "features" (no department one-hot) or "departments" (no features)."""
    from scipy.optimize import minimize

    columns = np.array([FEATURE_NAMES.index(name) for name in EFFECT_FEATURES])
    raw = logged.features[:, columns]
    mean, scale = np.nanmean(raw, axis=0), np.nanstd(raw, axis=0) + 1e-9
    departments = {name: k for k, name in enumerate(sorted(set(department_of_row)))}
    shape = EntityEffects(columns, mean, scale, departments, {})
    design = shape.design(logged.features, department_of_row)
    mask = np.ones(design.shape[1])
    if use == "features":
        mask[len(columns) :] = 0.0
    elif use == "departments":
        mask[: len(columns)] = 0.0
    design = design * mask
    better, worse, weight, group = _preference_pairs(
        logged.labels, logged.sizes, logged.examined_positions()
    )
    starts = np.concatenate([[0], np.cumsum(logged.sizes)[:-1]])
    entity_of_group = np.array([entity_of_row[s] for s in starts.tolist()])
    actions: dict[str, int] = {}
    for g, first in enumerate(starts.tolist()):
        entity = str(entity_of_group[g])
        actions[entity] = actions.get(entity, 0) + int(
            (logged.labels[first : first + logged.sizes[g]] > 0).sum()
        )
    coefficients: dict[str, np.ndarray] = {}
    pair_entity = entity_of_group[group]
    for entity, count in sorted(actions.items()):
        if count < min_actions:
            continue
        at = pair_entity == entity
        diff_x = design[better[at]] - design[worse[at]]
        diff_g = offset[better[at]] - offset[worse[at]]
        w = weight[at]

        def loss(
            theta: np.ndarray, dx: np.ndarray = diff_x, dg: np.ndarray = diff_g, w: np.ndarray = w
        ) -> tuple[float, np.ndarray]:
            margin = dg + dx @ theta
            value = np.sum(w * np.logaddexp(0.0, -margin)) + l2 * theta @ theta
            grad = -(dx.T @ (w / (1.0 + np.exp(margin)))) + 2 * l2 * theta
            return float(value), grad

        theta = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B").x
        coefficients[entity] = theta * mask
    sizes = [np.linalg.norm(t) for t in coefficients.values()]
    print(
        f"    effects l2={l2:g} {use}: {len(coefficients)} of {len(actions)} entities with "
        f">= {min_actions} actions, median |theta| {np.median(sizes) if sizes else 0:.3f}",
        flush=True,
    )
    return EntityEffects(columns, mean, scale, departments, coefficients)


def _glmix_fits(
    default: LambdaRanker,
    correction: Predict,
    logged: RankingSet,
    store: FeatureStore,
    loaded: CompanyData,
    direction: Direction,
) -> tuple[dict[str, Score], dict[str, set[str]]]:
    """Global model + per-entity effects, fitted on every list logged before the cut (the
    global correction as shipped sees only the time split's training part); and the entities
    each model has a term for."""
    person_id = {i: e for e, i in store.person_index.items()}
    posting_id = {i: o for o, i in store.opportunity_index.items()}
    department_of = _departments(loaded, direction)
    if direction is Direction.EMPLOYEE:
        entity_of_row = [person_id[i] for i in logged.people.tolist()]
        department_of_row = [department_of[posting_id[j]] for j in logged.opportunities.tolist()]
    else:
        entity_of_row = [posting_id[j] for j in logged.opportunities.tolist()]
        department_of_row = [department_of[person_id[i]] for i in logged.people.tolist()]
    positions = logged.examined_positions()
    print(
        f"    all logged lists: {len(logged.sizes)} ({len(logged)} rows, "
        f"{int((logged.labels > 0).sum())} actions)",
        flush=True,
    )
    all_lists = (
        _correction(30)
        .fit(logged.features, logged.labels, logged.sizes, positions=positions, init_model=default)
        .predict
    )
    models: dict[str, Score] = {"correction_30_all_lists": _plain(all_lists)}
    entities: dict[str, set[str]] = {}
    global_scores = {"correction_30": correction, "default": default.predict}
    variants = [
        ("correction_30", 1.0, "both"),
        ("correction_30", 3.0, "both"),
        ("correction_30", 10.0, "both"),
        ("correction_30", 3.0, "features"),
        ("correction_30", 1.0, "departments"),
        ("correction_30", 3.0, "departments"),
        ("correction_30", 10.0, "departments"),
        ("correction_30", 30.0, "departments"),
        ("default", 3.0, "both"),
    ]
    for base_name, l2, use in variants:
        base = global_scores[base_name]
        effects = _fit_effects(
            logged, base(logged.features), entity_of_row, department_of_row, l2=l2, use=use
        )
        name = f"glmix_{base_name}_l2_{l2:g}" + ("" if use == "both" else f"_{use}")
        models[name] = _with_effects(base, effects, department_of)
        entities[name] = set(effects.coefficients)
    # GLMix's coordinate descent, one more pass: the global correction refitted with the
    # entities' terms as offset, then the terms refitted on the new global score.
    effects = _fit_effects(
        logged, correction(logged.features), entity_of_row, department_of_row, l2=3.0
    )
    offsets = effects.terms(entity_of_row, logged.features, department_of_row)
    refitted = _correction_with_offset(default, logged, offsets)
    effects = _fit_effects(
        logged, refitted(logged.features), entity_of_row, department_of_row, l2=3.0
    )
    models["glmix_alternated_l2_3"] = _with_effects(refitted, effects, department_of)
    entities["glmix_alternated_l2_3"] = set(effects.coefficients)
    return models, entities


def _correction_with_offset(
    default: LambdaRanker, logged: RankingSet, offsets: np.ndarray
) -> Predict:
    """correction_30's trees fitted on every logged list with the default's score plus each
    row's entity term as the starting score (LightGBM's init_score: what continuing from the
    default does, with the entity terms added), so the trees learn what the terms leave."""
    import lightgbm as lgb

    params = _correction(30)._params()  # the shipped correction's parameters, nothing else
    data = lgb.Dataset(
        logged.features,
        logged.labels,
        group=logged.sizes,
        position=logged.examined_positions(),
        init_score=default.predict(logged.features) + offsets,
        feature_name=list(FEATURE_NAMES),
    )
    booster = lgb.train(params, data, num_boost_round=30)

    def predict(x: np.ndarray) -> np.ndarray:
        corrected: np.ndarray = default.predict(x) + np.asarray(booster.predict(x))
        return corrected

    return predict


def _departments(loaded: CompanyData, direction: Direction) -> dict[str, str]:
    """Each item's department by external id: a posting's (its owner's when unset), or a
    person's."""
    people = {e.external_id: e.department for e in loaded.employees}
    if direction is Direction.OPPORTUNITY:
        return people
    return {
        o.external_id: o.department or people.get(o.owner_external_id, "")
        for o in loaded.opportunities
    }


def _with_effects(base: Predict, effects: EntityEffects, department_of: dict[str, str]) -> Score:
    def score(features: np.ndarray, record: dict[str, Any]) -> np.ndarray:
        departments = [department_of.get(item["id"], "") for item in record["items"]]
        query = [record["query_external_id"]] * len(features)
        return base(features) + effects.terms(query, features, departments)

    return score


def _plain(predict: Predict) -> Score:
    return lambda features, _record: predict(features)


def _fits(record: dict, company: DemoCompany, direction: Direction) -> tuple[np.ndarray, ...]:
    employee = {e: i for i, e in enumerate(company.employee_ids)}
    opportunity = {o: j for j, o in enumerate(company.opportunity_ids)}
    assert company.expected_fit is not None
    query, items = record["query_external_id"], [i["id"] for i in record["items"]]
    if direction is Direction.EMPLOYEE:
        at: tuple = (employee[query], [opportunity[i] for i in items])
    else:
        at = ([employee[i] for i in items], opportunity[query])
    return company.true_fit[at], company.expected_fit[at]


def _true_fit_lists(
    past: list[dict], company: DemoCompany, direction: Direction
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """(features, grades, sizes) of the shown items and of whole pools, graded 0-4 by the
    true fit's fifths."""
    shown: list[list] = [[], [], []]
    pool: list[list] = [[], [], []]
    for record in past:
        fits, _ = _fits(record, company, direction)
        if len(fits) < 2:
            continue
        features = decode_matrix(record["features"])
        grades = np.clip(np.floor(fits * 5), 0, 4).astype(int)
        on_page = [k for k, i in enumerate(record["items"]) if i["after"] is not None]
        for out, rows in ((pool, slice(None)), (shown, on_page)):
            if len(grades[rows]) >= 2:
                out[0].append(features[rows])
                out[1].append(grades[rows])
                out[2].append(len(grades[rows]))
    pack = lambda out: (np.vstack(out[0]), np.concatenate(out[1]), np.array(out[2]))  # noqa: E731
    return pack(shown), pack(pool)


def _report(
    pools: list[dict[str, Any]],
    company: DemoCompany,
    direction: Direction,
    models: dict[str, Score],
    *,
    paired_with: str | None = None,
    entities: dict[str, set[str]] | None = None,
) -> None:
    """Each model's mean NDCG@10 and share of the gap closed; with `paired_with`, its per-list
    difference from that model (mean ± standard error), and for a model with per-entity terms
    the same over the lists whose query has a term. Candidate lists: also the gender impact
    ratio of being in a model's top ten (before fair re-ranking, which serving adds)."""
    scored: dict[str, list[float]] = {name: [] for name in [*models, "ceiling"]}
    queries: list[str] = []
    gender = dict(
        zip(
            company.employee_ids,
            (
                v or "unknown"
                for v in attribute_values([e.demographics for e in company.employees], "gender")
            ),
            strict=True,
        )
    )
    top: dict[str, list[bool]] = {name: [] for name in scored}
    shown: list[str] = []
    for record in pools:
        fits, expected = _fits(record, company, direction)
        features = decode_matrix(record["features"])
        orders = {name: -score(features, record) for name, score in models.items()}
        orders["ceiling"] = -expected
        per_model = {
            name: ndcg([fits[i] for i in np.argsort(order, kind="stable")], list(fits))
            for name, order in orders.items()
        }
        if any(value is None for value in per_model.values()):
            continue  # a pool NDCG cannot score (no fit above 0): left out for every model
        queries.append(record["query_external_id"])
        for name, value in per_model.items():
            scored[name].append(float(value or 0.0))
        if direction is Direction.OPPORTUNITY:
            shown.extend(item["id"] for item in record["items"])
            for name, order in orders.items():
                chosen = np.zeros(len(order), dtype=bool)
                chosen[np.argsort(order, kind="stable")[:PAGE]] = True
                top[name].extend(chosen.tolist())
    arrays = {name: np.array(values) for name, values in scored.items()}
    base, ceiling = arrays["default"].mean(), arrays["ceiling"].mean()
    for name, values in arrays.items():
        mean = float(values.mean())
        closed = 100 * (mean - base) / (ceiling - base)
        line = f"  {name:36s} NDCG@10 {mean:.4f}  gap closed {closed:6.1f}%  ({len(values)} lists)"
        if shown:
            ratio = selection_impact(
                np.array(top[name]),
                np.array([gender[e] for e in shown]),
                attribute="gender",
                people=np.array(shown),
            ).min_impact_ratio
            line += f"  top-{PAGE} impact {ratio:.3f}" if ratio is not None else ""
        if paired_with is not None and name not in (paired_with, "ceiling", "default"):
            line += "  vs " + _paired(values - arrays[paired_with])
            having = (entities or {}).get(name)
            if having is not None:
                at = np.array([q in having for q in queries])
                line += f"; on the {int(at.sum())} with a term " + _paired(
                    values[at] - arrays[paired_with][at]
                )
        print(line, flush=True)


def _paired(difference: np.ndarray) -> str:
    if len(difference) < 2:
        return "n/a"
    error = difference.std(ddof=1) / np.sqrt(len(difference))
    return f"{difference.mean():+.4f} ± {error:.4f}"


if __name__ == "__main__":
    main()
