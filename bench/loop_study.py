"""What could a retraining have learned from a kept bench/loop instance's log?

`bench/loop.py --keep DIR` keeps each arm's instance. This reopens one, takes its log up to the
end of round R (its R-th retraining), fits rankers on it several ways, and scores each on round
R+1's served pools (the whole scored pool of every list the audit log kept) against the hidden
true fit, beside the packaged default and the noiseless ceiling:

  python bench/loop_study.py DIR/learned [--train-rounds 5] [--tastes …] [--direction …]
                             [--fits all|glmix|coengagement]

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
- `--fits coengagement` (employees' lists only): history signals no feature reads yet, each
  computed for a row (person, posting) from the events strictly before its list's time, the
  events on the pair itself left out (CO_SIGNALS): co-engagement, the mean cosine between the
  posting's and each liked posting's column of the people x postings engagement matrix (liked:
  apply, save, accept, rated well; an undo cancels), the person's own row left out; and the
  affinity to the posting's occupation, occupation family (ISCO minor group) and tools, as
  history_department_affinity reads departments: (liked - passed sharing it) / all events, tools
  shared by Jaccard (a posting's tools: its own tool skills and its occupation's first
  OCCUPATION_TOOLS). Scored: correction_30 as shipped; correction_30_plus_<signal>, the same 30
  trees fitted with the signal as one more column (LightGBM's init_score = the default's score,
  which cannot read it), also with 20 rows a leaf instead of 100; correction_30_linear_<signal>,
  correction_30 plus a linear term in the signal fitted on every logged list's preference pairs;
  and <signal>_alone, the pools ranked by the signal (ties by the default's score). Each against
  correction_30 per list, also over the lists where the signal is non-zero for some item; and
  each signal's within-list correlation with the true fit and with what correction_30 leaves of
  it (measured: bench/NOTES.md, "Learning from use": none closes more of the gap).
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
from training.groups import Direction, QueryGroups, build_groups, opportunity_kinds  # noqa: E402
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
        choices=["all", "glmix", "coengagement"],
        help="glmix: only the default, correction_30 and the per-entity effects (fast); "
        "coengagement: correction_30 with co-engagement or occupation/tool affinity added",
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
    parts = time_split(groups)
    train, valid, _test = (ranking_set(store, part) for part in parts)
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
    if args.fits == "coengagement":
        if direction is not Direction.EMPLOYEE:
            parser.error("--fits coengagement reads a person's history: employees' lists only")
        history = CoEngagement(loaded, store, state.taxonomy)
        history.describe(cut)
        logged = ranking_set(store, groups)
        pool_signals = history.signals(*_rows_of_pools(pools, store))
        scores = _coengagement_fits(
            default,
            (train, history.signals(*_rows_of_groups(parts.train, store))),
            (logged, history.signals(*_rows_of_groups(groups, store))),
            pool_signals,
            pools,
        )
        _information(pools, company, pool_signals, scores["correction_30"])
        _report(pools, company, direction, scores, paired_with="correction_30", entities=ENTITIES)
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


CO_SIGNALS = (
    "coengagement",
    "occupation_affinity",
    "family_affinity",
    "tool_affinity",
)
OCCUPATION_TOOLS = 10  # an occupation's first (hottest) O*NET tools a posting counts as its own
LINEAR_L2 = 1.0  # the pull to 0 on a signal's linear term (signals lie in [-1, 1])
SLOT = np.int64(2**34)  # > any epoch second: key = code * SLOT + time
# Per model, the query ids of the scored lists where its signal is non-zero for some item.
ENTITIES: dict[str, set[str]] = {}


class CoEngagement:
    """The log's liked and passed events (features/history.py's roles) over the store's people
    and postings, and each posting's occupation, family and tools: the signals CO_SIGNALS for
    rows of lists, each from the events strictly before its list's time."""

    def __init__(self, loaded: CompanyData, store: FeatureStore, taxonomy: Any) -> None:
        from features.events import event_kind
        from features.history import EVENT_ROLES, LIKED, PASSED, RATED_BADLY, RATED_WELL

        self.n_people = len(store.person_index)
        self.n_postings = len(store.opportunity_index)
        entries = []
        for event in loaded.interactions:
            kind = event_kind(event)
            role = EVENT_ROLES.get(kind)
            rating = getattr(event, "rating", None)
            if kind == "rate" and rating is not None:
                role = (LIKED, 1.0) if rating >= RATED_WELL else None
                role = (PASSED, 1.0) if rating <= RATED_BADLY else role
            person = store.person_index.get(event.employee_external_id)
            posting = store.opportunity_index.get(event.opportunity_external_id)
            if role is None or role[0] not in (LIKED, PASSED) or person is None or posting is None:
                continue
            when = int(_utc(event.occurred_at).timestamp())
            entries.append((person, posting, when, role[1], role[0] == LIKED))
        table = np.array(entries, dtype=np.float64).reshape(-1, 5)
        order = np.argsort(table[:, 2], kind="stable")
        table = table[order]
        self.person = table[:, 0].astype(np.int64)
        self.posting = table[:, 1].astype(np.int64)
        self.time = table[:, 2].astype(np.int64)
        self.weight = table[:, 3]
        self.liked = table[:, 4] > 0
        postings = {o.external_id: o for o in loaded.opportunities}
        occupation = np.full(self.n_postings, -1, dtype=np.int64)
        family = np.full(self.n_postings, -1, dtype=np.int64)
        tools: list[set[str]] = [set() for _ in range(self.n_postings)]
        codes: dict[str, int] = {}
        for external_id, j in store.opportunity_index.items():
            posting_in = postings.get(external_id)
            if posting_in is None:
                continue
            own = [s.skill_id for s in [*posting_in.required_skills, *posting_in.preferred_skills]]
            tools[j] = {s for s in own if s in taxonomy.tool_categories}
            known = taxonomy.occupations.get(posting_in.occupation_id or "")
            if known is not None:
                occupation[j] = codes.setdefault(known.occupation_id, len(codes))
                if known.isco_group:
                    family[j] = codes.setdefault("isco:" + known.isco_group[:3], len(codes))
                tools[j] |= set(known.tool_ids[:OCCUPATION_TOOLS])
        self.sharing = {
            "occupation_affinity": _same(occupation),
            "family_affinity": _same(family),
            "tool_affinity": _jaccard(tools),
        }

    def engagement(self, before: int) -> Any:
        """The people x postings matrix (1: liked, net of undos) of the events before `before`."""
        from scipy import sparse

        k = int(np.searchsorted(self.time, before, side="left"))
        at = self.liked[:k]
        summed = sparse.csr_matrix(
            (self.weight[:k][at], (self.person[:k][at], self.posting[:k][at])),
            shape=(self.n_people, self.n_postings),
        )
        summed.sum_duplicates()
        return (summed > 0).astype(np.float64).tocsr()

    def describe(self, cut: dt.datetime) -> None:
        """How much co-engagement there is by the cut: people with a liked posting someone else
        liked too, postings liked by two or more."""
        matrix = self.engagement(int(cut.timestamp()))
        likers = np.asarray(matrix.sum(axis=0)).ravel()
        shared = np.asarray(matrix @ (likers >= 2)).ravel()
        print(
            f"    by the cut: {int((np.asarray(matrix.sum(axis=1)).ravel() > 0).sum())} people "
            f"liked something, {int((shared > 0).sum())} of them a posting someone else liked; "
            f"{int((likers > 0).sum())} postings liked, {int((likers >= 2).sum())} by 2 or more",
            flush=True,
        )

    def signals(
        self,
        list_person: np.ndarray,
        list_time: np.ndarray,
        row_list: np.ndarray,
        row_posting: np.ndarray,
    ) -> np.ndarray:
        """rows x CO_SIGNALS for rows (list row_list[i], posting row_posting[i]) of lists
        (person list_person[g] at list_time[g]): each from the events strictly before the
        list's time, the events on the row's own pair left out."""
        liked = self._history(list_person, list_time, self.liked)
        passed = self._history(list_person, list_time, ~self.liked)
        out = np.zeros((len(row_list), len(CO_SIGNALS)))
        own_l, own_p = liked[row_list, row_posting], passed[row_list, row_posting]
        every = liked.sum(axis=1)[row_list] + passed.sum(axis=1)[row_list] - own_l - own_p
        for k, name in enumerate(CO_SIGNALS[1:], start=1):
            share = self.sharing[name]
            summed = ((liked - passed) @ share)[row_list, row_posting]
            summed -= (own_l - own_p) * share[row_posting, row_posting]
            out[:, k] = np.where(every > 1e-9, summed / np.maximum(every, 1e-9), 0.0)
        out[:, 0] = self._coengagement(list_person, list_time, row_list, row_posting)
        return out

    def _history(self, person: np.ndarray, time: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """lists x postings: the summed weights of each list's person's chosen events before
        the list's time (a difference array over the lists sorted by person and time: an event
        adds from its person's first list after it to their last)."""
        order = np.lexsort((time, person))
        keys = person[order] * SLOT + time[order]
        owner, when = self.person[chosen], self.time[chosen]
        start = np.searchsorted(keys, owner * SLOT + when, side="right")
        end = np.searchsorted(keys, (owner + 1) * SLOT, side="left")
        steps = np.zeros((len(keys) + 1, self.n_postings))
        np.add.at(steps, (start, self.posting[chosen]), self.weight[chosen])
        np.add.at(steps, (end, self.posting[chosen]), -self.weight[chosen])
        sorted_history = np.cumsum(steps, axis=0)[:-1]
        history = np.zeros_like(sorted_history)
        history[order] = sorted_history
        return history

    def _coengagement(
        self,
        list_person: np.ndarray,
        list_time: np.ndarray,
        row_list: np.ndarray,
        row_posting: np.ndarray,
    ) -> np.ndarray:
        """Per list (not per pair): the item-item cosines of the engagement matrix before its
        time without its person's row, averaged over the person's liked postings."""
        out = np.zeros(len(row_list))
        starts = np.searchsorted(row_list, np.arange(len(list_person)), side="left")
        ends = np.searchsorted(row_list, np.arange(len(list_person)), side="right")
        for g in range(len(list_person)):
            rows = slice(starts[g], ends[g])
            if starts[g] == ends[g]:
                continue
            full = self.engagement(int(list_time[g]))
            row = full[int(list_person[g])].toarray().ravel()
            mine = row > 0
            if not mine.any():
                continue
            counts = (full.T @ full).toarray() - np.outer(row, row)  # the person's row left out
            norms = np.sqrt(np.diag(counts))
            with np.errstate(divide="ignore", invalid="ignore"):
                cosine = np.nan_to_num(counts / np.outer(norms, norms))
            summed = cosine[:, mine].sum(axis=1)
            postings = row_posting[rows]
            own = mine[postings]
            total = summed[postings] - np.where(own, cosine[postings, postings], 0.0)
            size = mine.sum() - own
            out[rows] = np.where(size > 0, total / np.maximum(size, 1), 0.0)
        return out


def _information(
    pools: list[dict[str, Any]], company: DemoCompany, pool_signals: np.ndarray, shipped: Score
) -> None:
    """Whether a signal says anything about the true fit that correction_30 does not: over the
    scored lists where it varies, the mean within-list correlation of the signal with the true
    fit, and with what of the true fit a line in correction_30's score leaves (mean ± standard
    error over lists); two history features the rankers read, for reference."""
    reference = ["history_department_affinity", "history_liked_similarity"]
    names = [*CO_SIGNALS, *reference]
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    start = 0
    for record in pools:
        fits, _ = _fits(record, company, Direction.EMPLOYEE)
        features = decode_matrix(record["features"])
        rows = slice(start, start + len(fits))
        start += len(fits)
        if len(fits) < 3 or np.ptp(fits) == 0:
            continue
        score = shipped(features, record)
        slope = np.polyfit(score, fits, 1) if np.ptp(score) > 0 else np.zeros(2)
        residual = fits - np.polyval(slope, score)
        columns = [pool_signals[rows, k] for k in range(len(CO_SIGNALS))]
        columns += [features[:, FEATURE_NAMES.index(name)] for name in reference]
        for name, values in zip(names, columns, strict=True):
            if np.ptp(values) > 0:
                found[name].append(
                    (np.corrcoef(values, fits)[0, 1], np.corrcoef(values, residual)[0, 1])
                )
    for name, pairs in found.items():
        if len(pairs) < 2:
            print(f"    {name}: varies in {len(pairs)} lists", flush=True)
            continue
        table = np.array(pairs)
        mean, error = table.mean(axis=0), table.std(axis=0, ddof=1) / np.sqrt(len(table))
        print(
            f"    {name}: varies in {len(table)} lists; within-list correlation with the true fit "
            f"{mean[0]:+.3f} ± {error[0]:.3f}, with what correction_30 leaves of it "
            f"{mean[1]:+.3f} ± {error[1]:.3f}",
            flush=True,
        )


def _same(codes: np.ndarray) -> np.ndarray:
    """postings x postings: 1 where both have the same known code."""
    return ((codes[:, None] == codes[None, :]) & (codes[:, None] >= 0)).astype(np.float64)


def _jaccard(sets: list[set[str]]) -> np.ndarray:
    names = sorted(set().union(*sets))
    at = {name: k for k, name in enumerate(names)}
    member = np.zeros((len(sets), len(names)))
    for j, items in enumerate(sets):
        member[j, [at[i] for i in items]] = 1.0
    shared = member @ member.T
    sizes = member.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - shared
    return np.where(union > 0, shared / np.maximum(union, 1e-9), 0.0)


def _rows_of_groups(
    groups: QueryGroups, store: FeatureStore
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(list person, list time, row's list, row's posting) of a time split part's lists."""
    row_list = np.repeat(np.arange(groups.n_groups), groups.group_sizes)
    starts = groups.group_starts
    person = np.array([store.person_index[e] for e in groups.employee_external_id[starts].tolist()])
    time = np.asarray(groups.occurred_at)[starts].astype(np.int64)
    spread = np.maximum.reduceat(groups.occurred_at, starts) - np.minimum.reduceat(
        groups.occurred_at, starts
    )
    assert int(spread.max(initial=0)) == 0, "a list's rows at different times"
    posting = np.array(
        [store.opportunity_index[o] for o in groups.opportunity_external_id.tolist()]
    )
    return person, time, row_list, posting


def _rows_of_pools(
    pools: list[dict[str, Any]], store: FeatureStore
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    person = np.array([store.person_index[r["query_external_id"]] for r in pools])
    time = np.array(
        [int(_utc(dt.datetime.fromisoformat(r["served_at"])).timestamp()) for r in pools]
    )
    row_list = np.repeat(np.arange(len(pools)), [len(r["items"]) for r in pools])
    posting = np.array(
        [store.opportunity_index[i["id"]] for r in pools for i in r["items"]], dtype=np.int64
    )
    return person, time, row_list, posting


def _coengagement_fits(
    default: LambdaRanker,
    training: tuple[RankingSet, np.ndarray],
    every_list: tuple[RankingSet, np.ndarray],
    pool_signals: np.ndarray,
    pools: list[dict[str, Any]],
) -> dict[str, Score]:
    """correction_30 as shipped; the same trees with each signal as one more column (fitted on
    the time split's training part, as shipped); correction_30 plus a linear term in each signal
    fitted on every logged list's preference pairs (as the GLMix terms are: the training part
    holds few rows with any history); each signal alone."""
    import lightgbm as lgb
    from scipy.optimize import minimize

    from features.registry import monotone_constraints

    sizes = [len(r["items"]) for r in pools]
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    at = {r["request_id"]: k for k, r in enumerate(pools)}

    def of(record: dict[str, Any], column: int) -> np.ndarray:
        k = at[record["request_id"]]
        values: np.ndarray = pool_signals[bounds[k] : bounds[k + 1], column]
        return values

    train, train_signals = training
    positions = train.examined_positions()
    nonzero = train_signals != 0
    liked_at = FEATURE_NAMES.index("history_liked_similarity")
    share = lambda x: f"{(x[:, liked_at] != 0).mean():.2f}"  # noqa: E731
    print(
        f"    rows with history_liked_similarity != 0: train {share(train.features)}"
        f", every list {share(every_list[0].features)}, scored "
        f"{share(np.vstack([decode_matrix(r['features']) for r in pools])).strip()}",
        flush=True,
    )
    print(
        "    train rows with a non-zero signal: "
        + ", ".join(f"{n} {nonzero[:, k].mean():.2f}" for k, n in enumerate(CO_SIGNALS))
        + "; scored rows: "
        + ", ".join(
            f"{n} {(pool_signals[:, k] != 0).mean():.2f}" for k, n in enumerate(CO_SIGNALS)
        ),
        flush=True,
    )
    shipped = (
        _correction(30)
        .fit(train.features, train.labels, train.sizes, positions=positions, init_model=default)
        .predict
    )
    models: dict[str, Score] = {
        "default": _plain(default.predict),
        "correction_30": _plain(shipped),
    }
    base = default.predict(train.features)
    every = list(range(len(CO_SIGNALS)))
    # (columns added, rows a leaf): as shipped (100), and with leaves of 20 rows, which a column
    # non-zero on a few percent of the rows can fill.
    columns = [([], 100), *(([k], 100) for k in every), (every, 100), ([], 20), (every, 20)]
    for chosen, leaf in columns:
        params = _correction(30)._params()
        params["min_data_in_leaf"] = leaf
        params["monotone_constraints"] = monotone_constraints() + [0] * len(chosen)
        names = [CO_SIGNALS[k] for k in chosen]
        data = lgb.Dataset(
            np.hstack([train.features, train_signals[:, chosen]]),
            train.labels,
            group=train.sizes,
            position=positions,
            init_score=base,
            feature_name=[*FEATURE_NAMES, *names],
        )
        booster = lgb.train(params, data, num_boost_round=30)
        used = booster.feature_importance("split")[len(FEATURE_NAMES) :]
        label = "_plus_" + ("all" if len(chosen) > 1 else names[0]) if chosen else "_init_score"
        label += "" if leaf == 100 else f"_leaf_{leaf}"
        print(f"    correction_30{label}: splits on the new columns {used.tolist()}", flush=True)

        def score(
            features: np.ndarray,
            record: dict[str, Any],
            booster: lgb.Booster = booster,
            chosen: list[int] = chosen,
        ) -> np.ndarray:
            extra = np.column_stack([of(record, k) for k in chosen]) if chosen else None
            wide = features if extra is None else np.hstack([features, extra])
            out: np.ndarray = default.predict(features) + np.asarray(booster.predict(wide))
            return out

        models["correction_30" + label] = score
    logged, logged_signals = every_list
    offset = shipped(logged.features)
    better, worse, weight, _group = _preference_pairs(
        logged.labels, logged.sizes, logged.examined_positions()
    )
    for chosen in [*([k] for k in every), every]:
        diff_x = logged_signals[better][:, chosen] - logged_signals[worse][:, chosen]
        diff_g = offset[better] - offset[worse]

        def loss(
            theta: np.ndarray, diff_x: np.ndarray = diff_x, diff_g: np.ndarray = diff_g
        ) -> tuple[float, np.ndarray]:
            margin = diff_g + diff_x @ theta
            value = np.sum(weight * np.logaddexp(0.0, -margin)) + LINEAR_L2 * theta @ theta
            grad = -(diff_x.T @ (weight / (1.0 + np.exp(margin)))) + 2 * LINEAR_L2 * theta
            return float(value), grad

        theta = minimize(loss, np.zeros(len(chosen)), jac=True, method="L-BFGS-B").x
        label = "all" if len(chosen) > 1 else CO_SIGNALS[chosen[0]]
        informative = int((np.abs(diff_x).sum(axis=1) > 0).sum())
        print(
            f"    linear {label}: {informative} of {len(diff_x)} pairs differ in it, "
            f"theta {np.round(theta, 3).tolist()}",
            flush=True,
        )

        def linear(
            features: np.ndarray,
            record: dict[str, Any],
            theta: np.ndarray = theta,
            chosen: list[int] = chosen,
        ) -> np.ndarray:
            extra = np.column_stack([of(record, k) for k in chosen])
            out: np.ndarray = shipped(features) + extra @ theta
            return out

        models[f"correction_30_linear_{label}"] = linear
    for k, name in enumerate(CO_SIGNALS):
        having = {r["query_external_id"] for r in pools if (of(r, k) != 0).any()}
        ENTITIES[f"correction_30_linear_{name}"] = having

        def alone(features: np.ndarray, record: dict[str, Any], k: int = k) -> np.ndarray:
            out: np.ndarray = of(record, k) + 1e-9 * default.predict(features)
            return out

        models[f"{name}_alone"] = alone
        ENTITIES[f"{name}_alone"] = having
        ENTITIES[f"correction_30_plus_{name}"] = having
    return models


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
