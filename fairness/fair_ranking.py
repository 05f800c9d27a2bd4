"""Fair top-k re-ranking of a scored candidate list: FA*IR for one protected group, DetGreedy for
several groups with target shares.

FA*IR (Zehlike et al., "FA*IR: A Fair Top-k Ranking Algorithm", CIKM 2017) calls a top k fair
when no prefix holds so few protected candidates that a one-sided binomial test at level alpha
would reject "each position is protected with probability p". The m-table lists, for i = 1..k,
the fewest protected candidates that pass: the alpha-quantile of Binomial(i, p). Testing k
prefixes at once makes a truly fair ranking fail somewhere far more often than alpha, so the
paper lowers the per-prefix level to alpha_c until that overall failure probability is about
alpha (the "adjusted" m-table). The re-ranker then keeps the score order except where a prefix
would fall short of the table, and there it moves the best protected candidate up.

DetGreedy (Geyik, Ambler and Kenthapadi, "Fairness-Aware Ranking in Search & Recommendation
Systems with Application to LinkedIn Talent Search", KDD 2019) keeps every group g between
floor(r·p_g) and ceil(r·p_g) of each prefix r, where the candidates allow it.

Both run on the serving path once per request: m-tables are cached per (k, p, alpha), FA*IR's
re-ranking is a closed form in numpy, and DetGreedy is one short loop over the top k.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.stats import binom

__all__ = [
    "DET_GREEDY",
    "FA_IR",
    "AdjustedMTable",
    "Move",
    "Reranked",
    "adjusted_mtable",
    "det_greedy",
    "fail_probability",
    "fair_rerank",
    "mtable",
]

FA_IR = "fa*ir"
DET_GREEDY = "det_greedy"

# r·p_g is often a whole number in decimal but not in binary (10 × 0.7 = 7.000000000000001);
# without this slack ceil would ask for 8 and floor could drop one below the intended bound.
_SLACK = 1e-9


@dataclass(frozen=True, slots=True)
class Move:
    item: int  # index into the caller's candidate arrays
    before: int  # 1-based rank by score alone
    after: int  # 1-based rank after re-ranking


@dataclass(frozen=True, slots=True)
class AdjustedMTable:
    mtable: np.ndarray  # read-only, length k: minimum protected count in each top i
    alpha_adjusted: float  # alpha_c, the per-prefix level the table was built with
    fail_probability: float  # chance that a fair ranking falls short of the table somewhere


@dataclass(frozen=True, slots=True)
class Reranked:
    order: np.ndarray  # read-only candidate indices, best first, all N of them
    moves: list[Move]  # every item whose rank changed, in new rank order
    satisfied: bool  # every prefix up to min(k, N) met its constraint
    policy: str  # FA_IR or DET_GREEDY
    k: int
    p: float | None = None  # FA*IR: minimum protected proportion
    alpha: float | None = None  # FA*IR: requested significance
    alpha_adjusted: float | None = None  # FA*IR with adjust=True: alpha_c actually used
    targets: dict[str, float] | None = None  # DetGreedy: target share per group


# ---------------------------------------------------------------------------- validation


def _check_k(k: int) -> int:
    try:
        k = operator.index(k)
    except TypeError:
        raise ValueError(f"k must be an integer >= 1, got {k!r}") from None
    if k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k}")
    return k


def _check_open_unit(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 < value < 1.0:  # also false for NaN
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return value


def _check_scores(scores: np.ndarray | Sequence[float]) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f"scores must be one-dimensional, got shape {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite (no NaN or infinity)")
    return scores


def _check_targets(targets: Mapping[str, float]) -> dict[str, float]:
    shares: dict[str, float] = {}
    for label, share in targets.items():
        if not isinstance(label, str):
            raise ValueError(f"target group labels must be strings, got {label!r}")
        share = float(share)
        if not 0.0 <= share <= 1.0:  # also false for NaN
            raise ValueError(f"target for group {label!r} must lie in [0, 1], got {share!r}")
        shares[label] = share
    if math.fsum(shares.values()) > 1.0 + 1e-9:
        raise ValueError(f"targets must sum to at most 1, got {math.fsum(shares.values())!r}")
    return shares


def _score_order(scores: np.ndarray) -> np.ndarray:
    """Indices by descending score, ties by original index (lexsort sorts on the last key)."""
    return np.lexsort((np.arange(len(scores)), -scores))


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _moves(by_score: np.ndarray, order: np.ndarray) -> list[Move]:
    n = len(order)
    before = np.empty(n, dtype=np.int64)
    before[by_score] = np.arange(1, n + 1)
    after = np.arange(1, n + 1)
    was = before[order]
    changed = np.flatnonzero(was != after)
    return [
        Move(item, b, a)
        for item, b, a in zip(
            order[changed].tolist(), was[changed].tolist(), after[changed].tolist(), strict=True
        )
    ]


# ---------------------------------------------------------------------------- m-tables


def _quantile_table(k: int, p: float, alpha: float) -> np.ndarray:
    # scipy's ppf is the smallest m with P(Binomial(i, p) <= m) >= alpha: the paper's m(i).
    return _frozen(binom.ppf(alpha, np.arange(1, k + 1), p).astype(np.int64))


@lru_cache(maxsize=512)
def _cached_mtable(k: int, p: float, alpha: float) -> np.ndarray:
    return _quantile_table(k, p, alpha)


def mtable(k: int, p: float, alpha: float) -> np.ndarray:
    """The unadjusted m-table: m(i) = alpha-quantile of Binomial(i, p) for i = 1..k.

    Cached per (k, p, alpha); the array is read-only because every caller shares it.
    """
    return _cached_mtable(_check_k(k), _check_open_unit("p", p), _check_open_unit("alpha", alpha))


def fail_probability(mtable: np.ndarray | Sequence[int], p: float) -> float:
    """Probability that a ranking whose positions are protected independently with probability
    p has, at some prefix i, fewer than mtable[i - 1] protected candidates.

    Exact, not simulated: the distribution of the protected count among rankings that have not
    failed yet is carried one position at a time, and the mass that drops below m(i) is summed.
    That is the quantity the paper computes block by block; position by position it is O(k²)
    cheap float operations, summed from the failed side so that small probabilities keep their
    precision.
    """
    table = np.asarray(mtable)
    if table.ndim != 1 or table.size == 0 or not np.issubdtype(table.dtype, np.integer):
        raise ValueError("mtable must be a non-empty one-dimensional integer array")
    p = _check_open_unit("p", p)
    q = 1.0 - p
    alive = np.zeros(len(table) + 1)  # alive[c]: c protected so far and no prefix failed
    alive[0] = 1.0
    failed = 0.0
    for i, need in enumerate(table.tolist(), start=1):
        alive[1 : i + 1] = alive[1 : i + 1] * q + alive[:i] * p
        alive[0] *= q
        if need > 0:
            cut = min(need, i + 1)
            failed += float(alive[:cut].sum())
            alive[:cut] = 0.0
    return failed


@lru_cache(maxsize=512)
def _cached_adjusted(k: int, p: float, alpha: float) -> AdjustedMTable:
    top = _cached_mtable(k, p, alpha)
    top_fail = fail_probability(top, p)
    if top_fail <= alpha:
        # The adjustment only ever relaxes the table; this one already keeps its overall error
        # within alpha (short lists, or p and alpha that make the table sparse).
        return AdjustedMTable(top, alpha, top_fail)

    # Bisect alpha_c on [0, alpha]. Tables only grow with alpha_c, entry by entry, so the
    # bracket's two tables close in on the pair whose failure probabilities straddle alpha.
    # Stop as soon as they differ by one unit in one entry (mass differs by one): no other
    # table lies between them. Return the one whose failure probability is nearer alpha, with
    # the alpha_c at which the bisection met it; a tie goes to the table that stays below alpha.
    # This reproduces the paper's alpha_c values (0.078125 for k=20, p=0.25, alpha=0.1).
    low_alpha, low_table, low_fail = 0.0, _frozen(np.zeros(k, dtype=np.int64)), 0.0
    high_alpha, high_table, high_fail = alpha, top, top_fail
    while int(high_table.sum()) - int(low_table.sum()) > 1:
        mid = (low_alpha + high_alpha) / 2
        if not low_alpha < mid < high_alpha:
            break  # float resolution reached: two entries step up at the same alpha_c
        table = _quantile_table(k, p, mid)
        fail = fail_probability(table, p)
        if fail == alpha:
            return AdjustedMTable(table, mid, fail)
        if fail < alpha:
            low_alpha, low_table, low_fail = mid, table, fail
        else:
            high_alpha, high_table, high_fail = mid, table, fail
    if alpha - low_fail <= high_fail - alpha:
        return AdjustedMTable(low_table, low_alpha, low_fail)
    return AdjustedMTable(high_table, high_alpha, high_fail)


def adjusted_mtable(k: int, p: float, alpha: float) -> AdjustedMTable:
    """The m-table corrected for testing k prefixes at once, cached per (k, p, alpha).

    When the unadjusted table already fails a fair ranking with probability <= alpha it is
    returned as is, with alpha_adjusted = alpha. Otherwise alpha_c < alpha is found by bisection
    on [0, alpha]: of the two neighbouring tables whose failure probabilities straddle alpha,
    the one nearer alpha (so the result may exceed alpha slightly, as in the paper's example:
    0.10515 for alpha = 0.1).
    """
    return _cached_adjusted(_check_k(k), _check_open_unit("p", p), _check_open_unit("alpha", alpha))


# ---------------------------------------------------------------------------- FA*IR


def fair_rerank(
    scores: np.ndarray | Sequence[float],
    protected: np.ndarray | Sequence[bool],
    *,
    k: int,
    p: float,
    alpha: float,
    adjust: bool = True,
) -> Reranked:
    """FA*IR: re-rank N scored candidates so that every top i, i <= k, holds at least m(i)
    protected candidates; positions after k keep the score order of what is left.

    At each position the best remaining protected candidate is taken when the protected count so
    far is below m(i), otherwise the best remaining candidate overall; ties go to the lower
    index. When the protected candidates run out the list continues by score and `satisfied` is
    False. With k > N only the first N prefixes are checked, against the table for k.
    """
    scores = _check_scores(scores)
    protected = np.asarray(protected)
    if protected.dtype != np.bool_:
        raise ValueError(f"protected must be a boolean array, got dtype {protected.dtype}")
    if protected.shape != scores.shape:
        raise ValueError(
            f"scores and protected must have the same length, got {len(scores)} and "
            f"{protected.size}"
        )
    k = _check_k(k)
    p = _check_open_unit("p", p)
    alpha = _check_open_unit("alpha", alpha)
    if adjust:
        adjusted = _cached_adjusted(k, p, alpha)
        table, alpha_adjusted = adjusted.mtable, adjusted.alpha_adjusted
    else:
        table, alpha_adjusted = _cached_mtable(k, p, alpha), None

    n = len(scores)
    by_score = _score_order(scores)
    is_protected = protected[by_score]
    protected_ranks = np.flatnonzero(is_protected)  # 0-based score ranks, best first
    # The greedy has a closed form. The j-th protected candidate is due by the first prefix i
    # with m(i) >= j; every candidate ahead of it by score is placed before it, so it lands at
    # its own score rank unless that is later than its due position, where it is pulled up.
    # m grows by at most one per position, so due positions, and the minima, strictly increase.
    due = np.searchsorted(table, np.arange(1, len(protected_ranks) + 1), side="left")
    due[due >= k] = n  # never due within the top k
    slots = np.minimum(protected_ranks, due)
    order = np.empty(n, dtype=np.int64)
    taken = np.zeros(n, dtype=bool)
    taken[slots] = True
    order[slots] = by_score[protected_ranks]
    order[~taken] = by_score[~is_protected]
    shown = min(k, n)
    satisfied = shown == 0 or len(protected_ranks) >= int(table[shown - 1])
    return Reranked(
        order=_frozen(order),
        moves=_moves(by_score, order),
        satisfied=bool(satisfied),
        policy=FA_IR,
        k=k,
        p=p,
        alpha=alpha,
        alpha_adjusted=alpha_adjusted,
    )


# ---------------------------------------------------------------------------- DetGreedy


def det_greedy(
    scores: np.ndarray | Sequence[float],
    groups: np.ndarray | Sequence[str],
    targets: Mapping[str, float],
    *,
    k: int,
) -> Reranked:
    """DetGreedy (Algorithm 1 of Geyik et al., the greedy variant, not DetCons, DetRelaxed or
    DetConstSort): fill positions r = 1..k one at a time.

    - If some groups hold fewer than floor(r·p_g) of the top r - 1, take the best-scored
      remaining candidate among those groups.
    - Otherwise take the best-scored remaining candidate among groups holding fewer than
      ceil(r·p_g).
    - A group with no candidate left is skipped in both steps; if both steps find nothing
      (every eligible group ran out, or targets sum below 1 and every capped group is full),
      take the best remaining candidate overall, so the list is never cut short.

    Groups absent from `targets` have no minimum and no maximum: they never force a pick but
    are always eligible in the second step. A group named in `targets` with no candidates still
    counts in `satisfied`. Positions after k keep the score order of what is left. `satisfied`
    is checked on the output: every prefix r <= min(k, N) holds floor(r·p_g) of every group.
    With at most three groups and enough candidates every minimum is met (the paper's
    feasibility result, checked in the tests); with four or more, two groups can fall short at
    the same position and one of them misses its minimum, which `satisfied` reports.
    """
    scores = _check_scores(scores)
    labels = np.asarray(groups)
    if labels.shape != scores.shape:
        raise ValueError(
            f"scores and groups must have the same length, got {len(scores)} and {labels.size}"
        )
    label_list = labels.tolist()
    if not all(isinstance(label, str) for label in label_list):
        raise ValueError("group labels must be strings")
    k = _check_k(k)
    shares = _check_targets(targets)

    names = sorted(set(label_list) | shares.keys())
    code = {name: g for g, name in enumerate(names)}
    group_of = np.array([code[label] for label in label_list], dtype=np.int64)
    n, shown = len(scores), min(k, len(scores))
    share = np.array([shares.get(name, 0.0) for name in names])
    capped = np.array([name in shares for name in names])
    r = np.arange(1, shown + 1, dtype=np.float64)[:, None]
    floors = np.floor(r * share + _SLACK).astype(np.int64)
    ceils = np.where(capped, np.ceil(r * share - _SLACK), n + 1).astype(np.int64)

    by_score = _score_order(scores)
    # Each group's candidates as 0-based score ranks, best first; a rank compares scores.
    rank_group = group_of[by_score]
    queues = [np.flatnonzero(rank_group == g).tolist() for g in range(len(names))]
    heads = [0] * len(names)
    counts = [0] * len(names)
    picked: list[int] = []
    for floor_r, ceil_r in zip(floors.tolist(), ceils.tolist(), strict=True):
        best_g, best_rank = -1, n
        for bound in (floor_r, ceil_r, None):
            for g, queue in enumerate(queues):
                if heads[g] == len(queue) or (bound is not None and counts[g] >= bound[g]):
                    continue  # ran out, or not below this bound
                if queue[heads[g]] < best_rank:
                    best_g, best_rank = g, queue[heads[g]]
            if best_g >= 0:
                break
        picked.append(best_rank)
        heads[best_g] += 1
        counts[best_g] += 1

    taken = np.zeros(n, dtype=bool)
    taken[picked] = True
    order = np.concatenate([by_score[picked], by_score[~taken]]).astype(np.int64)
    held = np.cumsum(group_of[order[:shown]][:, None] == np.arange(len(names)), axis=0)
    return Reranked(
        order=_frozen(order),
        moves=_moves(by_score, order),
        satisfied=bool((held >= floors).all()),
        policy=DET_GREEDY,
        k=k,
        targets=shares,
    )
