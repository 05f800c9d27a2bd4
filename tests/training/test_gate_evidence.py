"""A pilot's first weeks: too few held-out lists with a click to judge by logged NDCG, and the
explored lists' off-policy evidence standing in for them (never against a verdict of worse)."""

from __future__ import annotations

import numpy as np

from serving.usecases.off_policy_gate import OffPolicyGate
from serving.usecases.training import _quality_gate
from training.evaluate import GATE_MIN_GROUPS, Evaluation
from training.off_policy import MIN_LISTS, Comparison, Estimate, PolicyValue


def _explored(low: float, high: float, lists: int = MIN_LISTS) -> OffPolicyGate:
    value = Estimate(0.2, 0.15, 0.25)
    side = PolicyValue(value, value, value, lists, 0.0)
    comparison = Comparison(side, side, Estimate((low + high) / 2, low, high))
    return OffPolicyGate(True, "off-policy", comparison)


def _evaluation(differences: list[float]) -> Evaluation:
    return Evaluation(
        logged={"ranker": {"ndcg@10": 0.8}, "live": {"ndcg@10": 0.8}},
        gate_differences=np.array(differences),
        gate_means=(0.8, 0.8),
    )


def test_explored_lists_supply_the_evidence_a_few_clicked_lists_cannot() -> None:
    few = _evaluation([0.01] * (GATE_MIN_GROUPS - 5))
    gate = _quality_gate(few, _explored(0.002, 0.006))
    assert gate.allowed
    assert "too few to judge by logged NDCG@10" in gate.reason and "+0.0020" in gate.reason
    # Not beyond noise, or too few explored lists, or none: the want of evidence stands.
    assert not _quality_gate(few, _explored(-0.001, 0.006)).allowed
    assert not _quality_gate(few, _explored(0.002, 0.006, lists=MIN_LISTS - 1)).allowed
    assert not _quality_gate(few, OffPolicyGate(True, "none", None)).allowed


def test_a_model_that_ranks_worse_on_enough_lists_is_never_let_through() -> None:
    worse = _evaluation([-0.05] * GATE_MIN_GROUPS)
    worse.gate_means = (0.75, 0.80)
    gate = _quality_gate(worse, _explored(0.01, 0.02))
    assert not gate.allowed and "ranks worse" in gate.reason
