"""What could a retraining have learned from a kept bench/loop instance's log?

`bench/loop.py --keep DIR` keeps each arm's instance. This reopens one, takes its log up to the
end of round R (its R-th retraining), fits rankers on it several ways, and scores each on round
R+1's served pools (the whole scored pool of every list the audit log kept) against the hidden
true fit, beside the packaged default and the noiseless ceiling:

  python bench/loop_study.py DIR/learned [--train-rounds 5] [--tastes …] [--direction …]

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
  being examined (30 numbers instead of trees; no better on the runs measured, bench/NOTES.md).
Each line: NDCG@10 against the true fit and the share of the gap between the default and the
noiseless ceiling it closes. (Study tool: the demo company is regenerated from the seed.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.loop import START, ndcg  # noqa: E402
from data.demo import TASTES, DemoCompany, generate_company  # noqa: E402
from data.taxonomy.packaged import load_packaged_taxonomy  # noqa: E402
from fairness.audit_log import AuditLog, decode_matrix  # noqa: E402
from features.inputs import opportunity_inputs, person_inputs  # noqa: E402
from features.store import FeatureStore  # noqa: E402
from serving.settings import Settings  # noqa: E402
from serving.state import build_state  # noqa: E402
from serving.usecases.training_data import served_impressions  # noqa: E402
from training.candidate_lists import candidate_list_groups, merge_groups  # noqa: E402
from training.cold_start import load_default_ranker  # noqa: E402
from training.company import load_company  # noqa: E402
from training.dataset import ranking_set  # noqa: E402
from training.groups import Direction, build_groups, opportunity_kinds  # noqa: E402
from training.labels import label_interactions  # noqa: E402
from training.ranker import LambdaRanker  # noqa: E402
from training.split import time_split  # noqa: E402

Predict = Callable[[np.ndarray], np.ndarray]


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
    _report(pools, company, direction, models)


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
    better, worse, weight = [], [], []
    start = 0
    for size in sizes.tolist():
        rows = np.arange(start, start + size)
        start += size
        grades = labels[rows]
        for i in rows[grades > 0]:
            for j in rows[grades < labels[i]]:
                seen = 1.0 if positions is None else (1.0 / max(int(positions[j]), 1)) ** decay
                better.append(i)
                worse.append(j)
                weight.append(seen)
    bi, wj, w = np.array(better), np.array(worse), np.array(weight)
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
    pools: list[dict], company: DemoCompany, direction: Direction, models: dict[str, Predict]
) -> None:
    scored: dict[str, list[float]] = {name: [] for name in [*models, "ceiling"]}
    for record in pools:
        fits, expected = _fits(record, company, direction)
        features = decode_matrix(record["features"])
        orders = {name: -predict(features) for name, predict in models.items()}
        orders["ceiling"] = -expected
        for name, order in orders.items():
            value = ndcg([fits[i] for i in np.argsort(order, kind="stable")], list(fits))
            if value is not None:
                scored[name].append(value)
    base, top = np.mean(scored["default"]), np.mean(scored["ceiling"])
    for name, values in scored.items():
        mean = float(np.mean(values))
        closed = 100 * (mean - base) / (top - base)
        print(f"  {name:34s} NDCG@10 {mean:.4f}  gap closed {closed:6.1f}%  ({len(values)} lists)")


if __name__ == "__main__":
    main()
