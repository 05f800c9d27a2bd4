"""FA*IR and DetGreedy re-ranking: m-tables against fairsearchcore and the paper's worked values,
failure probabilities against brute force and simulation, re-rankers against plain reference
loops written from the papers' definitions, and small lists worked by hand."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from fairness import fair_ranking
from fairness.fair_ranking import (
    DET_GREEDY,
    FA_IR,
    Move,
    adjusted_mtable,
    det_greedy,
    fail_probability,
    fair_rerank,
    mtable,
)

GRID_K = [10, 20, 30, 50, 100]
GRID_P = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
GRID_ALPHA = [0.01, 0.05, 0.1, 0.15]


def runs(*pairs: tuple[int, int]) -> list[int]:
    """(value, count) pairs spelled out: runs((0, 2), (1, 1)) == [0, 0, 1]."""
    return [value for value, count in pairs for _ in range(count)]


# ---------------------------------------------------------------------------- m-tables


@pytest.mark.parametrize("alpha", GRID_ALPHA)
@pytest.mark.parametrize("p", GRID_P)
@pytest.mark.parametrize("k", GRID_K)
def test_unadjusted_mtable_matches_fairsearchcore(k: int, p: float, alpha: float) -> None:
    fsc = pytest.importorskip("fairsearchcore", reason="the oracle is a dev dependency")
    expected = fsc.Fair(k, p, alpha).create_unadjusted_mtable()
    assert mtable(k, p, alpha).tolist() == list(expected)


def test_paper_values_k20() -> None:
    assert mtable(20, 0.25, 0.1).tolist() == runs((0, 8), (1, 6), (2, 5), (3, 1))
    adjusted = adjusted_mtable(20, 0.25, 0.1)
    assert adjusted.mtable.tolist() == runs((0, 8), (1, 7), (2, 5))
    assert adjusted.alpha_adjusted == pytest.approx(0.078125, abs=1e-12)
    assert round(adjusted.fail_probability, 8) == 0.10515247


def test_paper_values_k30() -> None:
    adjusted = adjusted_mtable(30, 0.3, 0.05)
    assert adjusted.mtable.tolist() == runs((0, 10), (1, 6), (2, 5), (3, 4), (4, 5))
    assert adjusted.alpha_adjusted == pytest.approx(0.0259765625, abs=1e-12)


@pytest.mark.parametrize("k", GRID_K)
@pytest.mark.parametrize("p", GRID_P)
def test_adjusted_tables_are_quantile_tables_nearer_alpha(k: int, p: float) -> None:
    for alpha in GRID_ALPHA:
        adjusted = adjusted_mtable(k, p, alpha)
        unadjusted = mtable(k, p, alpha)
        assert 0.0 < adjusted.alpha_adjusted <= alpha
        # The table is the one built at alpha_c, never stricter than the unadjusted one, and its
        # overall failure probability is at least as close to alpha.
        assert np.array_equal(adjusted.mtable, mtable(k, p, adjusted.alpha_adjusted))
        assert (adjusted.mtable <= unadjusted).all()
        assert adjusted.fail_probability == fail_probability(adjusted.mtable, p)
        assert abs(adjusted.fail_probability - alpha) <= abs(
            fail_probability(unadjusted, p) - alpha
        )
        # m grows by at most one per position: the closed form of fair_rerank relies on it.
        assert set(np.diff(adjusted.mtable, prepend=0).tolist()) <= {0, 1}


def test_short_tables_need_no_adjustment() -> None:
    # k=5, p=0.5, alpha=0.1: m = 0,0,0,1,1, failed only by 4 unprotected first: 1/16 <= alpha.
    adjusted = adjusted_mtable(5, 0.5, 0.1)
    assert adjusted.mtable.tolist() == [0, 0, 0, 1, 1]
    assert adjusted.alpha_adjusted == 0.1
    assert adjusted.fail_probability == pytest.approx(1 / 16)


def test_tables_are_cached_and_read_only() -> None:
    first = mtable(40, 0.35, 0.07)
    assert mtable(40, 0.35, 0.07) is first
    assert adjusted_mtable(40, 0.35, 0.07) is adjusted_mtable(40, 0.35, 0.07)
    with pytest.raises(ValueError, match="read-only"):
        first[0] = 5

    hits = fair_ranking._cached_adjusted.cache_info().hits
    scores, protected = np.linspace(1, 0, 50), np.arange(50) % 3 == 0
    fair_rerank(scores, protected, k=40, p=0.35, alpha=0.07)
    assert fair_ranking._cached_adjusted.cache_info().hits == hits + 1


# ---------------------------------------------------------------------------- failure probability


def brute_force_fail_probability(table: np.ndarray, p: float) -> float:
    total = 0.0
    for bits in itertools.product((0, 1), repeat=len(table)):
        if (np.cumsum(bits) < table).any():
            ones = sum(bits)
            total += p**ones * (1 - p) ** (len(bits) - ones)
    return total


@pytest.mark.parametrize(("k", "p", "alpha"), [(12, 0.3, 0.1), (10, 0.5, 0.05), (11, 0.7, 0.15)])
def test_fail_probability_is_exact(k: int, p: float, alpha: float) -> None:
    table = mtable(k, p, alpha)
    assert fail_probability(table, p) == pytest.approx(brute_force_fail_probability(table, p))


@pytest.mark.parametrize(("k", "p", "alpha"), [(30, 0.3, 0.1), (50, 0.5, 0.05)])
def test_fail_probability_matches_simulation(k: int, p: float, alpha: float) -> None:
    table = mtable(k, p, alpha)
    rng = np.random.default_rng(20170606)
    trials = 200_000
    protected_so_far = np.cumsum(rng.random((trials, k)) < p, axis=1, dtype=np.int16)
    simulated = (protected_so_far < table).any(axis=1).mean()
    exact = fail_probability(table, p)
    assert exact > alpha  # the multiple-testing inflation the adjustment corrects
    assert simulated == pytest.approx(exact, abs=5 * math.sqrt(exact * (1 - exact) / trials))


def test_fail_probability_edges() -> None:
    assert fail_probability(np.zeros(10, dtype=np.int64), 0.4) == 0.0
    assert fail_probability([1], 0.4) == pytest.approx(0.6)
    assert fail_probability([0, 3], 0.4) == pytest.approx(1.0)  # 3 protected in a top 2
    with pytest.raises(ValueError, match="integer array"):
        fail_probability(np.array([0.0, 1.0]), 0.4)
    with pytest.raises(ValueError, match="p must lie"):
        fail_probability([0, 1], 1.0)


# ---------------------------------------------------------------------------- FA*IR


def reference_fair(scores: np.ndarray, protected: np.ndarray, table: np.ndarray) -> list[int]:
    """FA*IR's greedy, position by position, as the paper states it."""
    remaining = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    order, count = [], 0
    for i in range(len(scores)):
        need = int(table[i]) if i < len(table) else 0
        pick = None
        if count < need:
            pick = next((c for c in remaining if protected[c]), None)
        if pick is None:
            pick = remaining[0]
        remaining.remove(pick)
        order.append(pick)
        count += bool(protected[pick])
    return order


def score_order(scores: np.ndarray) -> list[int]:
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def check_moves(scores: np.ndarray, order: np.ndarray, moves: list[Move]) -> None:
    before = {item: rank for rank, item in enumerate(score_order(scores), start=1)}
    expected = [
        Move(item, before[item], after)
        for after, item in enumerate(order.tolist(), start=1)
        if before[item] != after
    ]
    assert moves == expected


def test_fair_rerank_matches_the_reference_greedy() -> None:
    rng = np.random.default_rng(5)
    for trial in range(400):
        n = int(rng.integers(0, 60))
        k = int(rng.integers(1, 70))
        p = float(rng.choice(GRID_P))
        alpha = float(rng.choice(GRID_ALPHA))
        # Coarse scores half the time, so ties (broken by index) are common.
        scores = rng.integers(0, 8, n).astype(float) if trial % 2 else rng.random(n)
        protected = rng.random(n) < rng.uniform(0.0, 0.8)
        adjust = bool(trial % 3)
        result = fair_rerank(scores, protected, k=k, p=p, alpha=alpha, adjust=adjust)
        table = adjusted_mtable(k, p, alpha).mtable if adjust else mtable(k, p, alpha)
        assert result.order.tolist() == reference_fair(scores, protected, table)
        shown = min(k, n)
        held = np.cumsum(protected[result.order[:shown]])
        assert result.satisfied == bool((held >= table[:shown]).all())
        if protected.sum() >= (table[shown - 1] if shown else 0):
            assert result.satisfied
        for group in (protected, ~protected):  # each group keeps its score order
            ranks = [score_order(scores).index(i) for i in result.order if group[i]]
            assert ranks == sorted(ranks)
        check_moves(scores, result.order, result.moves)


def test_fair_rerank_worked_example() -> None:
    # k=20, p=0.25, alpha=0.1; adjusted m: 1 protected from position 9, 2 from position 16.
    scores = np.arange(22, 0, -1, dtype=float)  # index order is score order
    protected = np.isin(np.arange(22), [18, 20])
    result = fair_rerank(scores, protected, k=20, p=0.25, alpha=0.1)
    assert result.order.tolist() == [*range(8), 18, *range(8, 14), 20, 14, 15, 16, 17, 19, 21]
    assert result.satisfied
    assert (result.policy, result.k, result.p, result.alpha) == (FA_IR, 20, 0.25, 0.1)
    assert result.alpha_adjusted == pytest.approx(0.078125)
    assert result.moves[0] == Move(item=18, before=19, after=9)
    assert Move(item=20, before=21, after=16) in result.moves
    assert Move(item=19, before=20, after=21) in result.moves
    assert all(move.item != 21 for move in result.moves)  # last before and after
    check_moves(scores, result.order, result.moves)

    # The unadjusted table also wants 3 protected in the top 20; only 2 exist.
    strict = fair_rerank(scores, protected, k=20, p=0.25, alpha=0.1, adjust=False)
    assert not strict.satisfied
    assert strict.alpha_adjusted is None
    assert strict.order.tolist() == [*range(8), 18, *range(8, 13), 20, *range(13, 18), 19, 21]


def test_fair_rerank_is_identity_when_scores_are_already_fair() -> None:
    scores = np.linspace(1.0, 0.0, 30)
    protected = np.arange(30) % 2 == 1  # every other candidate: far above m for p=0.4
    result = fair_rerank(scores, protected, k=30, p=0.4, alpha=0.1)
    assert result.order.tolist() == list(range(30))
    assert result.moves == []
    assert result.satisfied


def test_fair_rerank_when_protected_run_out() -> None:
    scores = np.linspace(1.0, 0.0, 15)
    protected = np.zeros(15, dtype=bool)
    protected[13] = True  # one protected candidate, near the bottom
    table = mtable(10, 0.5, 0.1)
    assert table[-1] >= 2
    result = fair_rerank(scores, protected, k=10, p=0.5, alpha=0.1, adjust=False)
    assert not result.satisfied
    due = int(np.argmax(table >= 1))  # pulled up to where the first one is needed
    rest = [i for i in range(15) if i != 13]
    assert result.order.tolist() == [*rest[:due], 13, *rest[due:]]


def test_positions_after_k_follow_score_order() -> None:
    rng = np.random.default_rng(11)
    scores = rng.random(40)
    protected = rng.random(40) < 0.2
    result = fair_rerank(scores, protected, k=10, p=0.5, alpha=0.1)
    tail = result.order[10:]
    assert tail.tolist() == sorted(tail.tolist(), key=lambda i: (-scores[i], i))


def test_fair_rerank_empty_list_and_read_only_order() -> None:
    empty = fair_rerank(np.array([]), np.array([], dtype=bool), k=5, p=0.5, alpha=0.1)
    assert empty.order.tolist() == [] and empty.moves == [] and empty.satisfied
    result = fair_rerank([0.3, 0.9], [True, False], k=2, p=0.5, alpha=0.1)
    with pytest.raises(ValueError, match="read-only"):
        result.order[0] = 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"p": 0.0}, "p must lie strictly between 0 and 1"),
        ({"p": 1.0}, "p must lie strictly between 0 and 1"),
        ({"p": float("nan")}, "p must lie strictly between 0 and 1"),
        ({"alpha": 0.0}, "alpha must lie strictly between 0 and 1"),
        ({"alpha": 1.5}, "alpha must lie strictly between 0 and 1"),
        ({"k": 0}, "k must be an integer >= 1"),
        ({"k": 2.5}, "k must be an integer >= 1"),
        ({"protected": [True, False]}, "same length"),
        ({"protected": [1, 0, 1]}, "boolean array"),
        ({"scores": [0.1, float("nan"), 0.3]}, "finite"),
        ({"scores": [[0.1, 0.2, 0.3]]}, "one-dimensional"),
    ],
)
def test_fair_rerank_rejects_bad_input(overrides: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "scores": [0.1, 0.2, 0.3],
        "protected": [True, False, True],
        "k": 3,
        "p": 0.5,
        "alpha": 0.1,
    }
    arguments.update(overrides)
    with pytest.raises(ValueError, match=message):
        fair_rerank(**arguments)  # type: ignore[arg-type]  # wrong on purpose, to be refused


# ---------------------------------------------------------------------------- DetGreedy


def reference_det_greedy(
    scores: np.ndarray, groups: list[str], targets: dict[str, float], k: int
) -> list[int]:
    """Algorithm 1 of Geyik et al. with exact fractions, plus the module's fallbacks."""
    share = {g: Fraction(str(t)) for g, t in targets.items()}
    remaining = score_order(scores)
    order: list[int] = []
    counts: dict[str, int] = {}
    free = set(groups) - share.keys()
    for r in range(1, min(k, len(scores)) + 1):
        below_floor = {g for g in share if counts.get(g, 0) < math.floor(r * share[g])}
        below_ceil = {g for g in share if counts.get(g, 0) < math.ceil(r * share[g])}
        pick = next((i for i in remaining if groups[i] in below_floor), None)
        if pick is None:
            pick = next((i for i in remaining if groups[i] in below_ceil | free), None)
        if pick is None:
            pick = remaining[0]
        remaining.remove(pick)
        order.append(pick)
        counts[groups[pick]] = counts.get(groups[pick], 0) + 1
    return order + remaining


def prefix_floors_met(
    order: np.ndarray, groups: list[str], targets: dict[str, float], k: int
) -> bool:
    for r in range(1, min(k, len(order)) + 1):
        top = [groups[i] for i in order[:r]]
        for g, t in targets.items():
            if top.count(g) < math.floor(r * Fraction(str(t))):
                return False
    return True


def test_det_greedy_worked_example() -> None:
    # Scores best first; targets A 1/2, B 1/4, C 1/4; k = 8.
    # r=1 A0 (all below max) | r=2 A at its max 1: B4 | r=3 A1 | r=4 C below floor 1: C6
    # r=5 A2 | r=6 A at max 3: B7 | r=7 A3 | r=8 C below floor 2: C8 | then A5, C9 by score.
    groups = ["A", "A", "A", "A", "B", "A", "C", "B", "C", "C"]
    scores = np.array([0.95, 0.90, 0.85, 0.80, 0.70, 0.60, 0.50, 0.40, 0.30, 0.20])
    targets = {"A": 0.5, "B": 0.25, "C": 0.25}
    result = det_greedy(scores, groups, targets, k=8)
    assert result.order.tolist() == [0, 4, 1, 6, 2, 7, 3, 8, 5, 9]
    assert result.satisfied
    assert (result.policy, result.k, result.targets) == (DET_GREEDY, 8, targets)
    assert result.moves == [
        Move(4, 5, 2),
        Move(1, 2, 3),
        Move(6, 7, 4),
        Move(2, 3, 5),
        Move(7, 8, 6),
        Move(3, 4, 7),
        Move(8, 9, 8),
        Move(5, 6, 9),
    ]


@pytest.mark.parametrize("labels", [("x", "y"), ("x", "y", "z")])
def test_det_greedy_meets_every_floor_and_keeps_group_order(labels: tuple[str, ...]) -> None:
    rng = np.random.default_rng(len(labels))
    for trial in range(200):
        n = int(rng.integers(1, 50))
        k = int(rng.integers(1, n + 1))
        cuts = np.sort(rng.choice(np.arange(1, 20), len(labels) - 1, replace=False)) / 20
        shares = np.diff(cuts, prepend=0.0, append=1.0).round(2)  # as written in a config
        targets = dict(zip(labels, shares.tolist(), strict=True))
        # Every group has at least k candidates, so every floor can be met.
        groups = [labels[i % len(labels)] for i in range(len(labels) * k)]
        groups += rng.choice(labels, n).tolist()
        coarse = rng.integers(0, 10, len(groups)).astype(float)
        scores = coarse if trial % 2 else rng.random(len(groups))
        result = det_greedy(scores, groups, targets, k=k)
        assert result.satisfied
        assert prefix_floors_met(result.order, groups, targets, k)
        assert result.order.tolist() == reference_det_greedy(scores, groups, targets, k)
        ranks = {item: rank for rank, item in enumerate(score_order(scores))}
        for label in labels:
            within = [ranks[i] for i in result.order if groups[i] == label]
            assert within == sorted(within)
        check_moves(scores, result.order, result.moves)


def test_det_greedy_decimal_targets_hit_whole_numbers() -> None:
    # r·p_g in floats misses whole numbers: 10 × 0.7 = 7.000000000000001 (ceil 8, not 7) and
    # 50 × 0.58 = 28.999999999999996 (floor 28, not 29). "y" has no target and lower scores
    # in the first list, higher in the second, so only x's maximum, then x's minimum, binds.
    groups = ["x"] * 60 + ["y"] * 60
    x_first = np.concatenate([np.linspace(2, 1, 60), np.linspace(1, 0, 60)])
    capped = det_greedy(x_first, groups, {"x": 0.7}, k=10)
    assert [groups[i] for i in capped.order[:10]].count("x") == 7
    floored = det_greedy(x_first[::-1], groups, {"x": 0.58}, k=50)
    assert [groups[i] for i in floored.order[:50]].count("x") == 29
    assert floored.satisfied


def test_det_greedy_when_a_group_runs_out() -> None:
    groups = ["a", "a", "a", "a", "a", "b"]
    scores = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    result = det_greedy(scores, groups, {"a": 0.5, "b": 0.5}, k=6)
    # b's only candidate comes in at r=2 (below its floor of 1); then a fills the rest by score.
    assert result.order.tolist() == [0, 5, 1, 2, 3, 4]
    assert not result.satisfied  # the top 4 should hold two of b


def test_det_greedy_untargeted_groups_are_free() -> None:
    # "other" has no target: no minimum, never capped; it wins whenever x is at its maximum.
    groups = ["x", "x", "x", "other", "other", "other"]
    scores = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    result = det_greedy(scores, groups, {"x": 0.5}, k=6)
    assert result.order.tolist() == [0, 3, 1, 4, 2, 5]
    assert result.satisfied
    # A targeted group with no candidate at all cannot be met.
    assert not det_greedy(scores, groups, {"x": 0.5, "y": 0.25}, k=6).satisfied


@pytest.mark.parametrize(
    ("groups", "targets", "k", "message"),
    [
        (["a", "b", "a"], {"a": 0.7, "b": 0.5}, 3, "sum to at most 1"),
        (["a", "b", "a"], {"a": -0.1}, 3, r"must lie in \[0, 1\]"),
        (["a", "b", "a"], {"a": 1.5}, 3, r"must lie in \[0, 1\]"),
        (["a", "b", "a"], {1: 0.5}, 3, "labels must be strings"),
        ([1, 2, 1], {"a": 0.5}, 3, "labels must be strings"),
        (["a", "b"], {"a": 0.5}, 3, "same length"),
        (["a", "b", "a"], {"a": 0.5}, 0, "k must be an integer >= 1"),
    ],
)
def test_det_greedy_rejects_bad_input(
    groups: list[object], targets: dict[object, float], k: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        det_greedy([0.3, 0.2, 0.1], groups, targets, k=k)  # type: ignore[arg-type]  # wrong on purpose
