"""A markdown model card for a trained ranker: what it is for, what it saw, how it scored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from features.registry import FEATURES
from training.evaluate import promotion_gate
from training.groups import Direction
from training.off_policy import Comparison, Estimate
from training.pipeline import TrainingRun

DIRECTIONS = {1: "higher is never worse", -1: "higher is never better", 0: "free"}


PURPOSE = {
    Direction.EMPLOYEE: (
        "employee -> opportunities",
        "Orders the opportunities already found eligible for one employee.",
        "Served lists from the interaction log, graded by what the person did with each item",
    ),
    Direction.OPPORTUNITY: (
        "opportunity -> candidates",
        "Orders the employees already found eligible for one opportunity, for its lead.",
        "Each opportunity's applicants, graded by how far they got (applied, shortlisted, "
        "accepted, completed well)",
    ),
}


def model_card(
    run: TrainingRun,
    *,
    fairness: tuple[bool, str] | None = None,
    off_policy: tuple[bool, str, Comparison | None] | None = None,
) -> str:
    """`fairness`: the fairness gate's verdict and reason (candidates' models), handed in by
    the training use case: fairness code measures it, this module only writes it down.
    `off_policy`: the off-policy gate's verdict, reason and estimates on the explored lists."""
    evaluation, sizes, data_hash = run.evaluation, run.sizes, run.data_hash
    assert evaluation.ranker is not None
    ranker = evaluation.ranker
    title, use, data = PURPOSE[run.direction]
    lines = [
        f"# Model card: {title} ranker",
        "",
        f"Trained {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. LightGBM LambdaRank, "
        f"{ranker.best_iteration_} trees (early stopping on validation NDCG@10), seed "
        f"{ranker.seed}, position debiasing {'on' if ranker.debias_positions else 'off'}; "
        f"{evaluation.origin}.",
        "",
        "## Intended use",
        f"{use} It never decides eligibility, and it never sees protected attributes (the "
        "feature inputs have no field for them). Its outputs are audited for group fairness "
        "before anyone acts on them.",
        "",
        "## Training data",
        f"{data}, split by time: {sizes['train_rows']} training "
        f"rows, {sizes['valid_rows']} validation rows, {sizes['test_rows']} test rows "
        f"({sizes['test_groups']} held-out groups). Data hash `{data_hash}`.",
        "",
        "## What it learned from",
        f"- served lists: {run.log.lists} (impressions: {run.log.impressions})",
        f"- query groups: {sizes.get('groups', 0)}, of which "
        f"{sizes.get('informative_groups', 0)} with differing grades",
        *(f"- {kind}: {count}" for kind, count in sorted(run.log.outcomes.items())),
        f"- outcomes on pairs no list had shown: {run.log.unattributed}",
        f"- events from an imported history (no list served, position-free): {run.log.imported}",
        "",
        "## Results on the held-out period",
        "| ranker | NDCG@5 | NDCG@10 | MAP | recall@5 | NDCG@10 vs true fit |",
        "|---|---|---|---|---|---|",
    ]
    for name, metrics in evaluation.logged.items():
        fit = evaluation.true_fit_ndcg10.get(name)
        lines.append(
            f"| {name} | {metrics['ndcg@5']:.4f} | {metrics['ndcg@10']:.4f} | "
            f"{metrics['map']:.4f} | {metrics['recall@5']:.4f} | "
            f"{'n/a' if fit is None else f'{fit:.4f}'} |"
        )
    if "live" in evaluation.logged:
        allowed, why = promotion_gate(evaluation)
        lines += [
            "",
            "## Promotion gate",
            f"{'May replace' if allowed else 'Must not replace'} the live model: {why}.",
        ]
    if fairness is not None:
        allowed, why = fairness
        lines += [
            "",
            "## Fairness gate",
            f"{'May replace' if allowed else 'Must not replace'} the live model: {why}. "
            "A model refused here is registered but not promoted.",
        ]
    if off_policy is not None:
        lines += _off_policy_section(*off_policy)
    importance = sorted(ranker.feature_importance().items(), key=lambda kv: -kv[1])
    total = sum(gain for _, gain in importance) or 1.0
    lines += [
        "",
        "## Features (gain share)",
        "| feature | meaning | constraint | gain |",
        "|---|---|---|---|",
    ]
    by_name = {f.name: f for f in FEATURES}
    for name, gain in importance:
        feature = by_name[name]
        lines.append(
            f"| {name} | {feature.meaning} | {DIRECTIONS[feature.monotone]} | {gain / total:.1%} |"
        )
    lines += [
        "",
        "## Caveats",
        "Logged outcomes reward agreeing with the policy that produced them; the true-fit "
        "column (demo company only) is the better guide to quality.",
        "",
    ]
    return "\n".join(lines)


def interleaving_section(tests: Sequence[Mapping[str, Any]]) -> str:
    """The card's account of interleaving tests against this model (each as counted by
    serving/usecases/interleaving.py): lists, wins each way, the challenger's win rate with its
    95% Wilson interval (ties left out), and how to promote a challenger that won."""
    if not tests:
        return ""
    lines = [
        "## Interleaving",
        "Lists team-drafted from this model's order and a challenger's; a list counts for the "
        "model whose items drew more actions (ties left out).",
        "",
        "| kind | challenger | on | lists | challenger wins | live wins | ties | win rate "
        "(95% interval) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for test in tests:
        rate, interval = test["win_rate"], test["interval_95"]
        said = "n/a" if rate is None else f"{rate:.3f} ({interval[0]:.3f}-{interval[1]:.3f})"
        lines.append(
            f"| {test['kind']} | `{test['challenger_version']}` | "
            f"{'yes' if test['enabled'] else 'no'} | {test['lists']} | "
            f"{test['challenger_wins']} | {test['live_wins']} | {test['ties']} | {said} |"
        )
    for test in tests:
        if test["winner"] == "challenger":
            lines += [
                "",
                f"`{test['challenger_version']}` won on {test['kind']} lists: an admin may "
                f"promote it (`{test['promote']}`, or `talent models promote "
                f"{test['challenger_version']}`).",
            ]
    return "\n".join([*lines, ""])


def _off_policy_section(allowed: bool, why: str, comparison: Comparison | None) -> list[str]:
    lines = ["", "## Off-policy gate (explored lists)"]
    if comparison is not None:

        def cell(e: Estimate) -> str:
            return f"{e.value:.4f} ({e.low:.4f} to {e.high:.4f})"

        lines += [
            "Expected actions on a page of each ranker, from the served lists' logged "
            "propensities (90% bootstrap intervals over lists):",
            "",
            "| ranker | IPS | SNIPS | doubly robust | page never explorable |",
            "|---|---|---|---|---|",
            *(
                f"| {name} | {cell(v.ips)} | {cell(v.snips)} | {cell(v.dr)} | {v.unsupported:.0%} |"
                for name, v in (("new", comparison.new), ("live", comparison.live))
            ),
            "",
        ]
    lines.append(f"{'May replace' if allowed else 'Must not replace'} the live model: {why}.")
    return lines
