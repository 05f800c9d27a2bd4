"""Honest exploration: a few served slots show items from just below the cut, and every item's
probability of being on the page is logged, so later models can be judged off-policy
(training/off_policy.py) on lists the live model did not choose alone.

The policy, on the first page of a list of `page` slots:
- the first PROTECTED_SLOTS slots, pinned items and (under FA*IR, fairness/rerank.py) the
  protected group's candidates are never explored away;
- each other slot is explored independently with probability `slot_probability`, chosen so
  that the expected number of explored slots is `share` of the page (5% by default: one slot
  in two ten-item pages), all of it from slot four on;
- an explored slot swaps its item with one drawn uniformly, without replacement, from the
  `depth` items ranked just below the page (if more slots were drawn than the pool holds, a
  uniform subset of them is explored). The displaced item takes the drawn item's rank, so the
  list stays a permutation and the next page still shows it.

Propensities follow in closed form: with E eligible slots, X ~ Binomial(E, q) drawn and
M = min(depth, items below the page), each eligible slot is explored with probability
E[min(X, M)] / E and each pool item shown with probability E[min(X, M)] / M; every other slot
item is shown with probability 1 and everything deeper with 0. They sum to the page length.

The random draw comes from `seed` alone (derived from the list's identity: whose, which kind,
page size, filters, day; logged), so replay reproduces the explored list bit for bit and a later
page continues the explored first page.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

PROTECTED_SLOTS = 3  # the top of a page is what people read: never spent on exploration
DEFAULT_SHARE = 0.05
DEFAULT_DEPTH = 10
MAX_SHARE = 0.25  # at most a quarter of a page: beyond that it is not "a few slots"


@dataclass(frozen=True, slots=True)
class Explored:
    order: np.ndarray  # candidate indices, final order
    propensity: np.ndarray  # per candidate (index order): probability it was on the page
    log: dict[str, Any]  # what the audit record keeps (parameters, seed, slots explored)


def seed_for(identity: str) -> int:
    """A 63-bit seed from a list's identity (serving/usecases/rankings.list_identity): every
    page of one list, and its replay, explore the first page the same way."""
    return int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big") >> 1


def slot_probability(share: float, page: int) -> float:
    """Per eligible slot, so that `share` of the page's slots is explored on average."""
    eligible = page - PROTECTED_SLOTS
    return 0.0 if eligible <= 0 else min(1.0, share * page / eligible)


def expected_explored(eligible: int, q: float, pool: int) -> float:
    """E[min(X, pool)] for X ~ Binomial(eligible, q)."""
    return sum(
        min(x, pool) * math.comb(eligible, x) * q**x * (1 - q) ** (eligible - x)
        for x in range(eligible + 1)
    )


def explore(
    order: np.ndarray,
    *,
    page: int,
    share: float,
    depth: int,
    seed: int,
    candidates: int,
    fixed: Collection[int] = (),
) -> Explored:
    """Explore the first page of `order` (indices into `candidates` items, best first; a hidden
    candidate is absent from it); `fixed`: candidate indices never moved (pinned by a person)."""
    n = len(order)
    k = min(page, n)
    q = slot_probability(share, k)
    slots = [s for s in range(PROTECTED_SLOTS, k) if int(order[s]) not in fixed]
    pool = min(depth, n - k)
    rng = np.random.default_rng(seed)
    drawn = [s for s, u in zip(slots, rng.random(len(slots)), strict=True) if u < q]
    if len(drawn) > pool:
        drawn = sorted(rng.choice(drawn, size=pool, replace=False).tolist())
    picks = rng.choice(pool, size=len(drawn), replace=False).tolist() if drawn else []
    out = np.array(order, dtype=np.int64, copy=True)
    for slot, pick in zip(drawn, picks, strict=True):
        below = k + int(pick)
        out[slot], out[below] = out[below], out[slot]
    expected = expected_explored(len(slots), q, pool) if slots and pool else 0.0
    propensity = exploit_propensity(order, k, candidates)
    if slots and pool:
        propensity[np.asarray(order)[slots]] = 1.0 - expected / len(slots)
        propensity[order[k : k + pool]] = expected / pool
    log = {
        "share": share,
        "depth": depth,
        "seed": seed,
        "slot_probability": q,
        "slots": [s + 1 for s in drawn],  # 1-based ranks that show an explored item
    }
    return Explored(out, propensity, log)


def exploit_propensity(order: np.ndarray, page: int, candidates: int) -> np.ndarray:
    """Propensities of a list served without exploration: 1 on the page, 0 below (and 0 for a
    hidden candidate, absent from `order`)."""
    propensity = np.zeros(candidates, dtype=np.float64)
    propensity[np.asarray(order[:page], dtype=np.int64)] = 1.0
    return propensity
