"""Exposure of groups in served rankings, and the ranking-representation metrics of Geyik et al.

Selection rates ignore order, yet being shown 1st or 9th is not the same opportunity: attention
falls with rank. Exposure weighs each position by 1 / log2(1 + rank), the discount of DCG, and
sums it over every ranking served (amortised exposure), so a group that is always listed but
always near the bottom shows up here even when its selection rate looks fine.

Skew@k, MinSkew@k, MaxSkew@k and NDKL come from Geyik, Ambler and Kenthapadi, "Fairness-Aware
Ranking in Search & Recommendation Systems with Application to LinkedIn Talent Search" (KDD 2019):
they compare a ranking's group make-up, at a cut-off or across all cut-offs, with a target
distribution (for instance the make-up of the eligible pool). Logarithms there are natural.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NotRequired, TypedDict

import numpy as np

from fairness.metrics import category_labels
from fairness.small_cells import (
    SuppressedMarker,
    check_min_cell,
    hidden_rows,
    reason,
    suppressed_marker,
)

# A group absent from the top k would have Skew = ln(0) = -inf. Its share is replaced by this
# value (shares above zero are left exact), giving ln(0.001 / target): finite, and far below any
# skew that a present group can reach in a list of fewer than a thousand items.
SKEW_EPSILON = 1e-3


def exposure_by_position(n: int) -> np.ndarray:
    """Position weights 1 / log2(1 + r) for ranks r = 1..n."""
    if n < 0:
        raise ValueError("n must be non-negative")
    return 1.0 / np.log2(np.arange(2, n + 2, dtype=np.float64))


@dataclass(frozen=True, slots=True)
class GroupExposure:
    category: str
    appearances: int  # times a member was listed, over all rankings
    exposure: float  # total position weight received
    share: float  # of all exposure served, unknown included
    mean_exposure: float  # per appearance
    exposure_ratio: float  # mean_exposure ÷ the highest group's mean_exposure


class ShownExposure(TypedDict):
    """A group's row of a published exposure table: GroupExposure's fields, in its order."""

    category: str
    appearances: int
    exposure: float
    share: float
    mean_exposure: float
    exposure_ratio: float | None  # None: the group it compares with is suppressed
    suppressed: Literal[False]


class SuppressedExposure(SuppressedMarker):
    """A suppressed group's row: its name, every figure null."""

    category: str
    appearances: None
    exposure: None
    share: None
    mean_exposure: None
    exposure_ratio: None


class ExposureTable(TypedDict):
    """An exposure report as published (ExposureReport.as_dict)."""

    rankings: int
    min_exposure_ratio: float | None
    unknown_appearances: int | None  # None: suppressed
    unknown_share: float | None
    groups: list[ShownExposure | SuppressedExposure]
    notes: NotRequired[list[str]]  # only when a group or the ratios are suppressed


@dataclass(frozen=True, slots=True)
class ExposureReport:
    rankings: int
    groups: list[GroupExposure]  # highest exposure ratio first
    unknown_appearances: int
    unknown_share: float  # of all exposure served
    # Distinct people per group (the unknown label included), when who was listed is known:
    # what small-cell suppression counts (fairness/small_cells.py).
    people: dict[str, int] = field(default_factory=dict)
    unknown_label: str = "unknown"

    @property
    def min_exposure_ratio(self) -> float | None:
        return min((g.exposure_ratio for g in self.groups), default=None)

    def as_dict(self, min_cell: int | None = None) -> ExposureTable:
        """As published; with `min_cell`, groups of fewer people suppressed (and a second one,
        or the unknown share, where the shares' total would give a lone one back). Ratios are
        to the most exposed group: when it is suppressed, none is shown."""
        check_min_cell(min_cell)
        if min_cell is not None and not self.people and self.groups:
            raise ValueError("suppressing small cells needs the people listed (group_exposure)")
        hidden = (
            hidden_rows({k: (v,) for k, v in self.people.items()}, min_cell) if min_cell else set()
        )
        top = self.groups[0].category if self.groups else None
        no_ratios = top in hidden
        groups: list[ShownExposure | SuppressedExposure] = [
            {
                "category": group.category,
                "appearances": group.appearances,
                "exposure": group.exposure,
                "share": group.share,
                "mean_exposure": group.mean_exposure,
                "exposure_ratio": None if no_ratios else group.exposure_ratio,
                "suppressed": False,
            }
            for group in self.groups
            if group.category not in hidden
        ]
        for name in sorted(g.category for g in self.groups if g.category in hidden):
            groups.append(
                {
                    "category": name,
                    "appearances": None,
                    "exposure": None,
                    "share": None,
                    "mean_exposure": None,
                    "exposure_ratio": None,
                    **suppressed_marker(min_cell or 0),
                }
            )
        ratios = [g["exposure_ratio"] for g in groups if g["exposure_ratio"] is not None]
        unknown_hidden = self.unknown_label in hidden
        notes = []
        if hidden:
            notes.append(f"groups suppressed: {reason(min_cell or 0)}, or to protect such a group")
        if no_ratios:
            notes.append("exposure ratios not shown: the group they compare with is suppressed")
        table: ExposureTable = {
            "rankings": self.rankings,
            "min_exposure_ratio": min(ratios) if ratios else None,
            "unknown_appearances": None if unknown_hidden else self.unknown_appearances,
            "unknown_share": None if unknown_hidden else self.unknown_share,
            "groups": groups,
        }
        if notes:
            table["notes"] = notes
        return table


def group_exposure(
    rankings: Iterable[Sequence[str | None]],
    *,
    unknown: str = "unknown",
    people: Iterable[Sequence[str]] | None = None,
) -> ExposureReport:
    """Exposure per group over many rankings, each a list of category labels in rank order.

    Shares are of all exposure served, so the known groups' shares and `unknown_share` add up to
    one; ratios compare known groups only, by mean exposure per appearance, which does not
    reward a group merely for being listed more often. `people`: who was listed, in the same
    shape as `rankings` (needed to suppress small groups).
    """
    flat: list[str | None] = []
    ranks: list[np.ndarray] = []
    served = 0
    for ranking in rankings:
        items = list(ranking)
        flat.extend(items)
        ranks.append(np.arange(1, len(items) + 1))
        served += 1
    who = [p for ranking in people for p in ranking] if people is not None else None
    if who is not None and len(who) != len(flat):
        raise ValueError(f"{len(who)} people listed for {len(flat)} labels")
    labels = category_labels(flat, unknown=unknown) if flat else np.array([], dtype=str)
    weights = 1.0 / np.log2(1.0 + np.concatenate(ranks)) if ranks else np.zeros(0)
    total = float(weights.sum())

    known = labels != unknown
    names, idx = np.unique(labels[known], return_inverse=True)
    appearances = np.bincount(idx, minlength=len(names))
    exposure = np.bincount(idx, weights=weights[known], minlength=len(names))
    mean = exposure / np.maximum(appearances, 1)
    top = mean.max() if len(mean) else 0.0

    groups = [
        GroupExposure(
            category=str(names[g]),
            appearances=int(appearances[g]),
            exposure=float(exposure[g]),
            share=float(exposure[g] / total),
            mean_exposure=float(mean[g]),
            exposure_ratio=float(mean[g] / top),
        )
        for g in range(len(names))
    ]
    groups.sort(key=lambda g: (-g.exposure_ratio, g.category))
    unknown_exposure = float(weights[~known].sum())
    distinct: dict[str, set[str]] = {}
    for label, person in zip(labels, who or (), strict=False):
        distinct.setdefault(str(label), set()).add(person)
    return ExposureReport(
        rankings=served,
        groups=groups,
        unknown_appearances=int(np.count_nonzero(~known)),
        unknown_share=unknown_exposure / total if total > 0 else 0.0,
        people={label: len(members) for label, members in sorted(distinct.items())},
        unknown_label=unknown,
    )


def _check_target(target: Mapping[str, float]) -> None:
    if not target:
        raise ValueError("the target distribution is empty")
    proportions = np.fromiter(target.values(), dtype=np.float64)
    if (proportions <= 0).any() or not np.isclose(proportions.sum(), 1.0):
        raise ValueError("target proportions must be positive and sum to 1")


def _top_share(ranking: Sequence[str], group: str, k: int) -> float:
    if k < 1:
        raise ValueError("k must be at least 1")
    top = list(ranking)[:k]
    if not top:
        raise ValueError("the ranking is empty")
    # Over the slots actually filled: a list shorter than k is judged on all it has.
    return sum(item == group for item in top) / len(top)


def skew_at_k(
    ranking: Sequence[str],
    target: Mapping[str, float],
    group: str,
    k: int,
    *,
    epsilon: float = SKEW_EPSILON,
) -> float:
    """ln(share of `group` in the top k ÷ target[group]); > 0 over-, < 0 under-represented.

    A zero share is replaced by `epsilon` so the value stays finite.
    """
    _check_target(target)
    if group not in target:
        raise ValueError(f"{group!r} has no target proportion")
    share = _top_share(ranking, group, k)
    return float(np.log((share if share > 0 else epsilon) / target[group]))


def min_skew_at_k(
    ranking: Sequence[str], target: Mapping[str, float], k: int, *, epsilon: float = SKEW_EPSILON
) -> float:
    """The most under-represented group's Skew@k."""
    return min(skew_at_k(ranking, target, group, k, epsilon=epsilon) for group in target)


def max_skew_at_k(
    ranking: Sequence[str], target: Mapping[str, float], k: int, *, epsilon: float = SKEW_EPSILON
) -> float:
    """The most over-represented group's Skew@k."""
    return max(skew_at_k(ranking, target, group, k, epsilon=epsilon) for group in target)


def ndkl(ranking: Sequence[str], target: Mapping[str, float]) -> float:
    """Normalised discounted KL divergence between each prefix's make-up and the target.

    NDKL = (1/Z) Σ_i (1 / log2(i + 1)) · KL(D_top-i || target), Z = Σ_i 1 / log2(i + 1), over
    i = 1..len(ranking); 0 means every prefix matches the target. Groups absent from a prefix add
    0 to its KL (the 0·ln 0 = 0 convention); a label without a target proportion is an error,
    since its KL would be infinite.
    """
    _check_target(target)
    items = list(ranking)
    if not items:
        raise ValueError("the ranking is empty")
    names = list(target)
    missing = set(items) - set(names)
    if missing:
        raise ValueError(f"labels without a target proportion: {sorted(map(str, missing))}")
    columns = np.array([names.index(item) for item in items])
    one_hot = np.zeros((len(items), len(names)))
    one_hot[np.arange(len(items)), columns] = 1.0
    prefix = np.cumsum(one_hot, axis=0) / np.arange(1, len(items) + 1)[:, None]
    proportions = np.fromiter(target.values(), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(prefix > 0, prefix * np.log(prefix / proportions), 0.0)
    weights = exposure_by_position(len(items))
    return float(weights @ terms.sum(axis=1) / weights.sum())
