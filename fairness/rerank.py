"""From the ranker's scores to the order a person is shown: policy, pause, overrides.

1. Paused kind: the plain retrieval order (similarity), no model, no re-ranking.
2. Otherwise the model's score order, re-ranked by the kind's policy (FA*IR or DetGreedy) on
   the protected attribute joined for just these candidates.
3. Then the people's overrides: hidden candidates leave the list, pinned ones go on top in the
   order they were pinned.

What moved, from where to where, is returned for the audit log. The membership itself is not:
only a keyed digest of it, so a replay can tell whether it changed since.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fairness.exploration import exploit_propensity, explore
from fairness.fair_ranking import det_greedy, fair_rerank
from fairness.policy import Override, PolicySettings
from features.declared import tiered_scores

Membership = Callable[[str], Sequence[str | None]]  # attribute -> category per candidate
UNKNOWN = "unknown"
P_GRID = 0.05  # FA*IR's p from the pool is rounded down to this grid: few cached m-tables


@dataclass(frozen=True, slots=True)
class ServedOrder:
    order: np.ndarray  # candidate indices, final order, hidden candidates removed
    before: np.ndarray  # 1-based rank of each candidate by the base order (score or similarity)
    policy: dict[str, Any]  # what was applied, with the parameters actually used
    moves: list[dict[str, Any]] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    # Per candidate: the probability it was on the first page under this policy (exploration).
    propensity: np.ndarray = field(default_factory=lambda: np.zeros(0))


def membership_digest(key: bytes, categories: Sequence[str | None]) -> str:
    text = "\x1f".join("" if c is None else c for c in categories)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def pool_share(protected: np.ndarray) -> float:
    """FA*IR's p from the candidates' own pool, rounded down to the grid, within [0.05, 0.95]."""
    share = float(protected.mean()) if len(protected) else 0.0
    return min(max(math.floor(share / P_GRID + 1e-9) * P_GRID, P_GRID), 1 - P_GRID)


def pool_targets(categories: Sequence[str | None]) -> dict[str, float]:
    """DetGreedy's targets from the pool: each category's share, people without a
    self-report included as "unknown" (left without a share and a cap, they could take the
    places the other groups' minimums need)."""
    if not categories:
        return {}
    labels = np.array([UNKNOWN if c is None else c for c in categories])
    names, counts = np.unique(labels, return_counts=True)
    return {str(n): float(c) / len(labels) for n, c in zip(names, counts, strict=True)}


def serve_order(
    scores: np.ndarray,
    similarity: np.ndarray,
    ids: Sequence[str],
    *,
    settings: PolicySettings,
    page: int,
    membership: Membership | None,
    overrides: Sequence[Override] = (),
    key: bytes = b"",
    tiers: np.ndarray | None = None,
    explore_seed: int | None = None,
) -> ServedOrder:
    """The served order of N candidates; `membership` is None where no re-ranking applies
    (an employee's own matches: the items are opportunities, not people). `tiers`: candidates
    of a higher tier come before lower ones, by score within a tier, before any re-ranking
    (features/declared.py: those who declare a required skill first); logged in the policy.
    `explore_seed`: a first page, explored as the kind's settings say (fairness/exploration.py)
    after re-ranking and overrides; None: not explored (a later page, or no seed)."""
    if membership is not None:  # re-ranking and exploration both read it: one join
        membership = functools.cache(membership)
    tiered = tiers is not None and not settings.paused and len(ids) > 0
    if tiered and tiers is not None:  # `tiered` says so; the checker reads only this line
        scores = tiered_scores(scores, tiers)
    base_scores = similarity if settings.paused else scores
    base = np.lexsort((np.arange(len(ids)), -np.asarray(base_scores)))
    before = np.empty(len(ids), dtype=np.int64)
    before[base] = np.arange(1, len(ids) + 1)
    if settings.paused:
        policy: dict[str, Any] = {"name": "paused", "order": "retrieval similarity"}
        order = base
    elif settings.name == "off" or membership is None or not len(ids):
        policy, order = {"name": "off" if settings.name == "off" else "none"}, base
    else:
        policy, order = _rerank(np.asarray(scores), settings, page, membership, key)
    if tiered:
        policy = {**policy, "declared_first": True}
    order, applied = _apply_overrides(order, ids, overrides)
    propensity = exploit_propensity(order, page, len(ids))
    # DetGreedy bounds every group's count on every prefix of the page, from below and above:
    # a swap with an item from below the page can break either, so its lists are not explored.
    bounded = policy.get("name") == "detgreedy" and bool(policy.get("applied"))
    if bounded and explore_seed is not None and settings.explore:
        policy = {**policy, "exploration": {"off": "detgreedy bounds every group on the page"}}
    elif explore_seed is not None and settings.explore and not settings.paused and len(ids):
        index = {e: i for i, e in enumerate(ids)}
        fixed = {
            index[o.employee_external_id]
            for o in overrides
            if o.action == "pin" and o.employee_external_id in index
        }
        if policy.get("name") == "fa*ir" and policy.get("applied") and membership is not None:
            # FA*IR's minimum of protected candidates holds on every prefix of the page: an
            # explored slot never displaces one of them (one more join, first pages only).
            categories = list(membership(settings.attribute))
            fixed |= {i for i, c in enumerate(categories) if c == settings.protected}
        explored = explore(
            order,
            page=page,
            share=settings.explore_share,
            depth=settings.explore_depth,
            seed=explore_seed,
            candidates=len(ids),
            fixed=fixed,
        )
        order, propensity = explored.order, explored.propensity
        policy = {**policy, "exploration": explored.log}
    moves = _moves(order, before, ids, page)
    return ServedOrder(order, before, policy, moves, applied, propensity)


def _rerank(
    scores: np.ndarray, settings: PolicySettings, page: int, membership: Membership, key: bytes
) -> tuple[dict[str, Any], np.ndarray]:
    categories = list(membership(settings.attribute))
    k = min(page, len(scores))
    common = {
        "attribute": settings.attribute,
        "k": k,
        "membership_digest": membership_digest(key, categories),
    }
    if settings.name == "fa*ir":
        protected = np.array([c == settings.protected for c in categories], dtype=bool)
        if not protected.any():
            return {"name": "fa*ir", **common, "applied": False, "why": "no protected candidate"}, (
                np.lexsort((np.arange(len(scores)), -scores))
            )
        p = settings.p if settings.p is not None else pool_share(protected)
        result = fair_rerank(scores, protected, k=k, p=p, alpha=settings.alpha)
        return {
            "name": "fa*ir",
            **common,
            "protected": settings.protected,
            "p": p,
            "p_from_pool": settings.p is None,
            "alpha": settings.alpha,
            "alpha_adjusted": result.alpha_adjusted,
            "satisfied": result.satisfied,
            "applied": True,
        }, np.asarray(result.order)
    groups = np.array([UNKNOWN if c is None else c for c in categories])
    targets = settings.targets if settings.targets is not None else pool_targets(categories)
    result = det_greedy(scores, groups, targets, k=k)
    return {
        "name": "detgreedy",
        **common,
        "targets": targets,
        "targets_from_pool": settings.targets is None,
        "satisfied": result.satisfied,
        "applied": True,
    }, np.asarray(result.order)


def _apply_overrides(
    order: np.ndarray, ids: Sequence[str], overrides: Sequence[Override]
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    if not overrides:
        return order, []
    index = {e: i for i, e in enumerate(ids)}
    hidden = {
        index[o.employee_external_id]
        for o in overrides
        if o.action == "hide" and o.employee_external_id in index
    }
    pinned = [
        index[o.employee_external_id]
        for o in overrides
        if o.action == "pin" and o.employee_external_id in index
    ]
    rest = [i for i in order.tolist() if i not in hidden and i not in set(pinned)]
    applied = [
        {
            "override_id": o.id,
            "id": o.employee_external_id,
            "action": o.action,
            "reason": o.reason,
            "by_role": o.created_by_role,
            "in_list": o.employee_external_id in index,
        }
        for o in overrides
    ]
    return np.array([*pinned, *rest], dtype=np.int64), applied


def _moves(
    order: np.ndarray, before: np.ndarray, ids: Sequence[str], page: int
) -> list[dict[str, Any]]:
    """Items whose rank changed among those on the page before or after (what people saw)."""
    after = {int(i): r for r, i in enumerate(order.tolist(), start=1)}
    moved = []
    for i in range(len(ids)):
        old, new = int(before[i]), after.get(i)
        if new == old or (old > page and (new is None or new > page)):
            continue
        moved.append({"id": ids[i], "from": old, "to": new})
    return sorted(moved, key=lambda m: (m["to"] is None, m["to"] or 0, m["from"]))
