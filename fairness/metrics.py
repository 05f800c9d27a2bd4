"""Group selection and scoring rates, impact ratios, and the quality of what employees are shown.

Impact ratios follow the NYC Local Law 144 rules (6 RCNY §5-300), so a bias audit of the matcher
reads like the audits employers already publish:

- selection rate of a category = selected ÷ people in the category;
- for continuous scores, the scoring rate = share of the category scoring above the median score
  of the whole sample (everyone scored, whatever their category), strictly above;
- impact ratio = a category's rate ÷ the rate of the category with the highest rate.

People whose category is unknown are left out of the ratios but their number is reported, as the
rules require. A category is *too few to judge* when it holds under `min_share` (2%) of the
data (rows with a known category: LL144's exclusion rule) or fewer than `min_count` (30)
distinct people: it is listed with its count, rate and why, but it takes no impact ratio, is
never the reference, and is left out of every verdict and headline. LL144 sets no pass mark;
the flag used here is the EEOC four-fifths rule of thumb (29 CFR §1607.4(D)): a ratio under 0.8
is worth a closer look.

Every rate carries a 95% Wilson interval and every impact ratio a 95% Katz log interval
(Katz et al. 1978: log ratio ± z·sqrt(1/x₁ − 1/n₁ + 1/x₂ − 1/n₂); with a zero count, 0.5 is
added to each cell of the 2×2 table). Rows are often appearances (one person in many lists),
which are not independent: both intervals use each category's effective sample size, its rows
divided by Kish's design effect (the cluster-robust variance of the rate, people as clusters,
over the binomial one; at least 1; all rows over people when the rate is 0 or 1). Each compared
category gets a verdict: below four-fifths (the whole interval under 0.8), at or above
four-fifths (the whole interval at or over 0.8), or not enough evidence either way.

`shown_quality_gap` asks the employee-side question: among employees with the same skills, are
some groups shown lower-level or shorter opportunities than others? Comparing raw means would
blame the matcher for who sits in which skill cluster, so each group is compared with the other
groups inside the same stratum only.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from fairness.small_cells import (
    SuppressedMarker,
    check_min_cell,
    hidden_rows,
    reason,
    suppressed_marker,
)

FOUR_FIFTHS = 0.8
SEPARATOR = " × "
MIN_GROUP = 30  # fewest distinct people a category needs before its ratio is judged
MIN_SHARE = 0.02  # LL144: a category under 2% of the data may be left out of the ratios
Z95 = 1.959963984540054

# A compared category's verdict, from its ratio's interval against four-fifths.
BELOW = "below four-fifths"
UNSURE = "not enough evidence either way"
AT_OR_ABOVE = "at or above four-fifths"
REFERENCE = "reference (highest rate)"
TOO_FEW = "too few to judge"
NO_RATIO = "no ratio"

# One category label per person, None (or NaN, pd.NA, blank) where it is unknown: numpy's
# ArrayLike has no None in it, and a list of labels with a NaN among them is not one either.
Categories = ArrayLike | Sequence[str | float | None]


def category_labels(values: Categories, *, unknown: str = "unknown") -> np.ndarray:
    """One string label per person; None, NaN, pd.NA and blank strings become `unknown`."""
    column = np.asarray(values, dtype=object)
    if column.ndim != 1:
        raise ValueError(f"expected one category per person, got an array of shape {column.shape}")
    labels = np.char.strip(column.astype(str)) if len(column) else np.array([], dtype=str)
    missing = pd.isna(column) | (labels == "")
    return np.where(missing, unknown, labels)


@dataclass(frozen=True, slots=True)
class Intersection:
    attribute: str  # e.g. "sex × race_ethnicity"
    labels: np.ndarray  # e.g. "female × Black", or the unknown label


def intersection(
    *columns: Categories,
    names: Sequence[str],
    unknown: str = "unknown",
    separator: str = SEPARATOR,
) -> Intersection:
    """Combine attribute columns into one label per person; unknown if any part is unknown.

    A person of known sex but unknown race/ethnicity cannot be placed in an intersectional
    category, so the whole label is unknown (and counted as such by the reports).
    """
    if not columns:
        raise ValueError("intersection needs at least one column")
    if len(names) != len(columns):
        raise ValueError(f"{len(columns)} columns but {len(names)} names")
    parts = [category_labels(column, unknown=unknown) for column in columns]
    if len({len(part) for part in parts}) > 1:
        raise ValueError("the columns have different lengths")
    labels = parts[0]
    for part in parts[1:]:
        labels = np.char.add(np.char.add(labels, separator), part)
    missing = np.logical_or.reduce([part == unknown for part in parts])
    return Intersection(attribute=separator.join(names), labels=np.where(missing, unknown, labels))


@dataclass(frozen=True, slots=True)
class CategoryRate:
    category: str
    count: int  # rows (appearances, when one person has several)
    selected: int  # selected (or scored above the median)
    rate: float
    impact_ratio: float | None  # None when excluded from the ratios (or no one was selected)
    excluded: bool  # too few to judge: shown, not compared
    small_sample: bool
    below_four_fifths: bool  # impact_ratio < 0.8 (the point estimate; see `verdict`)
    people: int = 0  # distinct people behind the rows
    rate_ci: tuple[float, float] | None = None  # 95% Wilson
    impact_ratio_ci: tuple[float, float] | None = None  # 95% Katz log
    verdict: str = NO_RATIO
    too_few: str | None = None  # why it is left out: "too few to judge (n = 11): ..."


class ShownRate(TypedDict):
    """A category's row of a published impact table: CategoryRate's fields, in its order."""

    category: str
    count: int
    selected: int
    rate: float
    impact_ratio: float | None
    excluded: bool
    small_sample: bool
    below_four_fifths: bool
    people: int
    rate_ci: tuple[float, float] | None
    impact_ratio_ci: tuple[float, float] | None
    verdict: str
    too_few: str | None
    suppressed: Literal[False]


class SuppressedRate(SuppressedMarker):
    """A suppressed category's row: its name, every figure null."""

    category: str
    count: None
    selected: None
    rate: None
    impact_ratio: None
    excluded: None
    small_sample: None
    people: None
    rate_ci: None
    impact_ratio_ci: None
    too_few: None
    below_four_fifths: Literal[False]
    verdict: Literal["suppressed"]


class ImpactTable(TypedDict):
    """An impact report as published (ImpactReport.as_dict)."""

    attribute: str
    measure: str
    threshold: float
    min_impact_ratio: float | None
    flagged: list[str]
    below: list[str]
    unsure: list[str]
    min_group: int
    unknown_count: int | None  # None: suppressed
    categories: list[ShownRate | SuppressedRate]
    warnings: list[str]


def _shown_rate(c: CategoryRate) -> ShownRate:
    return {
        "category": c.category,
        "count": c.count,
        "selected": c.selected,
        "rate": c.rate,
        "impact_ratio": c.impact_ratio,
        "excluded": c.excluded,
        "small_sample": c.small_sample,
        "below_four_fifths": c.below_four_fifths,
        "people": c.people,
        "rate_ci": c.rate_ci,
        "impact_ratio_ci": c.impact_ratio_ci,
        "verdict": c.verdict,
        "too_few": c.too_few,
        "suppressed": False,
    }


@dataclass(frozen=True, slots=True)
class ImpactReport:
    attribute: str  # e.g. "gender" or "gender × race_ethnicity"
    measure: str  # "selection" or "scoring"
    categories: list[CategoryRate]  # sorted by rate, highest first
    unknown_count: int
    warnings: list[str]
    # For small-cell suppression (fairness/small_cells.py): per category (the unknown label
    # included) the distinct people in it, among them selected, and not selected; the category
    # the impact ratios compare with; which category each warning is about.
    cells: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    reference: str | None = None
    warning_about: list[str | None] = field(default_factory=list)
    unknown_label: str = "unknown"
    min_group: int = MIN_GROUP

    @property
    def min_impact_ratio(self) -> float | None:
        ratios = [c.impact_ratio for c in self.categories if c.impact_ratio is not None]
        return min(ratios) if ratios else None

    @property
    def flagged(self) -> list[str]:
        """Categories whose impact ratio is under four-fifths."""
        return [c.category for c in self.categories if c.below_four_fifths]

    @property
    def below(self) -> list[CategoryRate]:
        """Compared categories whose whole ratio interval lies under four-fifths."""
        return [c for c in self.categories if c.verdict == BELOW]

    def suppressed(self, min_cell: int | None) -> set[str]:
        """The categories (the unknown label included) whose cells a reader may not see."""
        check_min_cell(min_cell)
        if min_cell is None:
            return set()
        secret = {self.unknown_label: (False, True, True)}  # its selections are never shown
        return hidden_rows(self.cells, min_cell, unpublished=secret)

    def min_shown_ratio(self, min_cell: int | None) -> float | None:
        """The lowest impact ratio among the categories shown (None: none can be shown)."""
        ratio: float | None = self.as_dict(min_cell)["min_impact_ratio"]
        return ratio

    def as_dict(self, min_cell: int | None = None) -> ImpactTable:
        """As published; with `min_cell`, small cells suppressed (fairness/small_cells.py).

        A ratio needs the reference category's rate: when that category is suppressed, no
        ratio is shown, since each would give its rate back."""
        hidden = self.suppressed(min_cell)
        shown = [c for c in self.categories if c.category not in hidden]
        no_ratios = self.reference is not None and self.reference in hidden
        rows: list[ShownRate | SuppressedRate] = []
        for c in shown:
            row = _shown_rate(c)
            if no_ratios:
                row["impact_ratio"] = None
                row["impact_ratio_ci"] = None
                row["below_four_fifths"] = False
                row["verdict"] = NO_RATIO if c.too_few is None else TOO_FEW
            rows.append(row)
        ratios = [r["impact_ratio"] for r in rows if r["impact_ratio"] is not None]
        warnings = [
            w for w, on in zip(self.warnings, self.warning_about, strict=True) if on not in hidden
        ]
        gone = sorted(c.category for c in self.categories if c.category in hidden)
        rows += [_suppressed_rate(name, min_cell or 0) for name in gone]
        if gone:
            warnings.append(
                f"{len(gone)} of {len(self.categories)} categories suppressed: "
                f"{reason(min_cell or 0)} in a cell, or needed so that no such cell can be "
                "worked out from the totals"
            )
        if no_ratios:
            warnings.append("impact ratios not shown: the category they compare with is suppressed")
        unknown_hidden = self.unknown_label in hidden
        return {
            "attribute": self.attribute,
            "measure": self.measure,
            "threshold": FOUR_FIFTHS,
            "min_impact_ratio": min(ratios) if ratios else None,
            "flagged": [r["category"] for r in rows if r["below_four_fifths"]],
            "below": [r["category"] for r in rows if r["verdict"] == BELOW],
            "unsure": [
                r["category"] for r in rows if r["below_four_fifths"] and r["verdict"] == UNSURE
            ],
            "min_group": self.min_group,
            "unknown_count": None if unknown_hidden else self.unknown_count,
            "categories": rows,
            "warnings": warnings,
        }


def _suppressed_rate(name: str, min_cell: int) -> SuppressedRate:
    return {
        "category": name,
        "count": None,
        "selected": None,
        "rate": None,
        "impact_ratio": None,
        "excluded": None,
        "small_sample": None,
        "people": None,
        "rate_ci": None,
        "impact_ratio_ci": None,
        "too_few": None,
        "below_four_fifths": False,
        "verdict": "suppressed",
        **suppressed_marker(min_cell),
    }


@dataclass(frozen=True, slots=True)
class _Groups:
    """Per category (sorted by name): rows, rows selected, distinct people, people with a
    selected row, people with a row not selected, and the effective sample size."""

    names: list[str]
    rows: np.ndarray
    selected: np.ndarray
    people: np.ndarray
    people_selected: np.ndarray
    people_not_selected: np.ndarray
    effective: np.ndarray

    def cells(self) -> dict[str, tuple[int, int, int]]:
        return {
            name: (int(n), int(hit), int(miss))
            for name, n, hit, miss in zip(
                self.names,
                self.people,
                self.people_selected,
                self.people_not_selected,
                strict=True,
            )
        }


def _groups(hits: np.ndarray, labels: np.ndarray, people: np.ndarray | None) -> _Groups:
    """One pass of counting with numpy (fairlearn's MetricFrame gives the same rows and rates,
    tests/fairness/test_metrics.py checks it, but took 40 ms a table: 1.3 s of a 2 s report).

    Rows are appearances when one person counts many times (one per list): cells and
    effective sample sizes are about people. The effective size is the rows over Kish's design
    effect (at least 1), people as clusters: the rate's cluster-robust variance is
    Σ(yᵢ − r·mᵢ)² / (Σmᵢ)² (yᵢ hits and mᵢ rows of person i), which with one row a person is
    the binomial r(1−r)/n, so the effective size is then n."""
    names, label_code = np.unique(labels, return_inverse=True)
    n_labels = len(names)
    if people is None:
        who_code = np.arange(len(labels))
    else:
        who_code, _ = pd.factorize(pd.Series(people, dtype=object), use_na_sentinel=False)
    pair_key = label_code.astype(np.int64) * (int(who_code.max(initial=0)) + 1) + who_code
    pairs, pair_code = np.unique(pair_key, return_inverse=True)
    pair_label = (pairs // (int(who_code.max(initial=0)) + 1)).astype(np.int64)
    pair_rows = np.bincount(pair_code, minlength=len(pairs)).astype(np.float64)
    pair_hits = np.bincount(pair_code, weights=hits.astype(np.float64), minlength=len(pairs))
    rows = np.bincount(label_code, minlength=n_labels).astype(np.float64)
    selected = np.bincount(label_code, weights=hits.astype(np.float64), minlength=n_labels)
    people_count = np.bincount(pair_label, minlength=n_labels)
    rate = np.divide(selected, rows, out=np.zeros(n_labels), where=rows > 0)
    residual = np.bincount(
        pair_label, weights=(pair_hits - rate[pair_label] * pair_rows) ** 2, minlength=n_labels
    )
    binomial = rate * (1 - rate) / np.maximum(rows, 1)
    clustered = residual / np.maximum(rows, 1) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        # A rate of 0 or 1 has no variance to compare: assume each person's rows move together.
        effect = np.where(
            binomial > 0,
            np.maximum(1.0, clustered / np.where(binomial > 0, binomial, 1)),
            rows / np.maximum(people_count, 1),
        )
    return _Groups(
        names=[str(n) for n in names],
        rows=rows.astype(np.int64),
        selected=np.rint(selected).astype(np.int64),
        people=people_count.astype(np.int64),
        people_selected=np.bincount(pair_label, weights=pair_hits > 0, minlength=n_labels).astype(
            np.int64
        ),
        people_not_selected=np.bincount(
            pair_label, weights=pair_hits < pair_rows, minlength=n_labels
        ).astype(np.int64),
        effective=rows / effect,
    )


def wilson_interval(rate: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion observed over `n` (possibly effective) trials."""
    if n <= 0:
        return (0.0, 1.0)
    z2 = z * z
    centre = (rate + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * np.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n))
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def katz_ratio_interval(
    x1: float, n1: float, x2: float, n2: float, z: float = Z95
) -> tuple[float, float]:
    """The Katz log interval of (x1/n1) ÷ (x2/n2); with a zero count, 0.5 added to each cell of
    the 2×2 table (so 1 to each n)."""
    if x1 <= 0 or x2 <= 0:
        x1, n1, x2, n2 = x1 + 0.5, n1 + 1, x2 + 0.5, n2 + 1
    log_ratio = np.log((x1 / n1) / (x2 / n2))
    se = np.sqrt(max(0.0, 1 / x1 - 1 / n1 + 1 / x2 - 1 / n2))
    return (float(np.exp(log_ratio - z * se)), float(np.exp(log_ratio + z * se)))


def _verdict(interval: tuple[float, float]) -> str:
    low, high = interval
    if high < FOUR_FIFTHS:
        return BELOW
    if low >= FOUR_FIFTHS:
        return AT_OR_ABOVE
    return UNSURE


def too_few_text(people: int, share: float, *, min_count: int, min_share: float) -> str | None:
    """Why a category is too few to judge (None: it is not)."""
    if people < min_count:
        return f"{TOO_FEW} (n = {people}): fewer than {min_count} people"
    if share < min_share:
        return f"{TOO_FEW} (n = {people}): {share:.1%} of the data, under {min_share:.0%}"
    return None


def _impact_report(
    hits: np.ndarray,
    labels: np.ndarray,
    *,
    attribute: str,
    measure: str,
    min_share: float,
    min_count: int,
    unknown: str,
    people: np.ndarray | None,
) -> ImpactReport:
    known = labels != unknown
    unknown_count = int(np.count_nonzero(~known))
    groups = _groups(hits, labels, people)
    cells = groups.cells()
    if not known.any():
        return ImpactReport(
            attribute,
            measure,
            [],
            unknown_count,
            ["no person has a known category"],
            cells=cells,
            warning_about=[None],
            unknown_label=unknown,
            min_group=min_count,
        )
    keep = np.array([name != unknown for name in groups.names], dtype=bool)
    names = [name for name, k in zip(groups.names, keep, strict=True) if k]
    counts, selected = groups.rows[keep], groups.selected[keep]
    rates = selected / counts
    heads = groups.people[keep]
    effective = dict(zip(names, groups.effective[keep].tolist(), strict=True))
    shares = counts / counts.sum()
    reasons = [
        too_few_text(int(heads[i]), float(shares[i]), min_count=min_count, min_share=min_share)
        for i in range(len(names))
    ]
    excluded = np.array([why is not None for why in reasons], dtype=bool)
    compared = np.flatnonzero(~excluded)
    warnings: list[str] = []
    about: list[str | None] = []
    # Highest rate among the compared categories; ties broken by count for a stable reference.
    best = compared[np.lexsort((-counts[compared], -rates[compared]))[0]] if compared.size else -1
    if best >= 0 and selected[best] == 0:
        warnings.append(f"no one in any compared category was {_verb(measure)}: no impact ratios")
        about.append(None)
        best = -1

    categories = []
    for i, name in enumerate(names):
        n_eff = effective[name]
        ratio: float | None = None
        ratio_ci: tuple[float, float] | None = None
        below = False
        verdict = TOO_FEW if excluded[i] else NO_RATIO
        if best >= 0 and not excluded[i]:
            # Ratio of two fractions from integers: one rounding, and an exact four-fifths test.
            ratio = float(selected[i] * counts[best] / (counts[i] * selected[best]))
            below = bool(5 * selected[i] * counts[best] < 4 * counts[i] * selected[best])
            if i == best:
                verdict = REFERENCE
            else:
                n_best = effective[names[best]]
                ratio_ci = katz_ratio_interval(
                    rates[i] * n_eff, n_eff, rates[best] * n_best, n_best
                )
                verdict = _verdict(ratio_ci)
        small = bool(excluded[i] or selected[i] < 5)
        if excluded[i]:
            warnings.append(
                f"{name}: {reasons[i]}; shown, but left out of the ratios and the verdict"
            )
            about.append(name)
        elif small:
            warnings.append(
                f"{name}: only {selected[i]} {_verb(measure)}; the interval says how little "
                "that tells"
            )
            about.append(name)
        categories.append(
            CategoryRate(
                category=name,
                count=int(counts[i]),
                selected=int(selected[i]),
                rate=float(rates[i]),
                impact_ratio=ratio,
                excluded=bool(excluded[i]),
                small_sample=small,
                below_four_fifths=below,
                people=int(heads[i]),
                rate_ci=wilson_interval(float(rates[i]), n_eff),
                impact_ratio_ci=ratio_ci,
                verdict=verdict,
                too_few=reasons[i],
            )
        )
    categories.sort(key=lambda c: (-c.rate, c.category))
    return ImpactReport(
        attribute,
        measure,
        categories,
        unknown_count,
        warnings,
        cells=cells,
        reference=names[best] if best >= 0 else None,
        warning_about=about,
        unknown_label=unknown,
        min_group=min_count,
    )


def _verb(measure: str) -> str:
    return "selected" if measure == "selection" else "scored above the median"


def _people(people: ArrayLike | None, labels: np.ndarray) -> np.ndarray | None:
    if people is None:
        return None
    who = np.asarray(people, dtype=object)
    if who.ndim != 1 or len(who) != len(labels):
        raise ValueError(f"{who.shape} people for {len(labels)} categories")
    return who


def _check_lengths(values: np.ndarray, labels: np.ndarray) -> None:
    if values.ndim != 1 or len(values) != len(labels):
        raise ValueError(f"{values.shape} values for {len(labels)} categories")


def selection_impact(
    selected: ArrayLike,
    categories: Categories,
    *,
    attribute: str,
    min_share: float = MIN_SHARE,
    min_count: int = MIN_GROUP,
    unknown: str = "unknown",
    people: ArrayLike | None = None,
) -> ImpactReport:
    """Selection rates and impact ratios for a yes/no outcome (shortlisted, matched, hired).

    `selected` holds one truthy value per person; `categories` one label per person (None/NaN for
    unknown). A ratio under 0.8 is flagged after the EEOC four-fifths rule; LL144 itself sets no
    threshold, it only requires the ratios to be published. `people`: who each row is, when one
    person has several rows (appearances in many lists); small cells count people.
    """
    labels = category_labels(categories, unknown=unknown)
    hits = np.asarray(selected).astype(bool)
    _check_lengths(hits, labels)
    return _impact_report(
        hits,
        labels,
        attribute=attribute,
        measure="selection",
        min_share=min_share,
        min_count=min_count,
        unknown=unknown,
        people=_people(people, labels),
    )


def scoring_impact(
    scores: ArrayLike,
    categories: Categories,
    *,
    attribute: str,
    min_share: float = MIN_SHARE,
    min_count: int = MIN_GROUP,
    unknown: str = "unknown",
    people: ArrayLike | None = None,
) -> ImpactReport:
    """Scoring rates and impact ratios for a continuous score (a match score, a rank score).

    The median is taken over the whole sample, people of unknown category included, since they
    were scored too; a score equal to the median is not above it. LL144 sets no threshold; the
    0.8 flag is the EEOC four-fifths rule.
    """
    values = np.asarray(scores, dtype=np.float64)
    labels = category_labels(categories, unknown=unknown)
    _check_lengths(values, labels)
    if not np.isfinite(values).all():
        raise ValueError("scores must be finite; drop unscored people first")
    hits = values > np.median(values) if len(values) else np.zeros(0, dtype=bool)
    return _impact_report(
        hits,
        labels,
        attribute=attribute,
        measure="scoring",
        min_share=min_share,
        min_count=min_count,
        unknown=unknown,
        people=_people(people, labels),
    )


@dataclass(frozen=True, slots=True)
class ShownQuality:
    category: str
    raw_mean: float  # over all its rows: mixes in who sits in which stratum
    mean: float | None  # over its rows in strata shared with another group
    peer_mean: float | None  # the other groups in those strata, weighted by this group's rows
    gap: float | None  # mean - peer_mean: the stratum-standardised comparison
    difference: float | None  # vs the best-served group, on the strata both are in
    rows: int  # rows behind mean/gap (in shared strata)
    strata: int  # shared strata behind mean/gap


class ShownQualityRow(TypedDict):
    """ShownQuality's fields, in its order."""

    category: str
    raw_mean: float
    mean: float | None
    peer_mean: float | None
    gap: float | None
    difference: float | None
    rows: int
    strata: int


class ShownQualityTable(TypedDict):
    """A shown-quality comparison as published (ShownQualityReport.as_dict)."""

    attribute: str
    best_served: str | None
    unknown_count: int
    unmatched_rows: int
    categories: list[ShownQualityRow]


@dataclass(frozen=True, slots=True)
class ShownQualityReport:
    attribute: str
    best_served: str | None
    categories: list[ShownQuality]  # best served first
    unknown_count: int
    unmatched_rows: int  # known rows in strata where a single group is present: no comparison

    def as_dict(self) -> ShownQualityTable:
        return {
            "attribute": self.attribute,
            "best_served": self.best_served,
            "unknown_count": self.unknown_count,
            "unmatched_rows": self.unmatched_rows,
            "categories": [
                {
                    "category": c.category,
                    "raw_mean": c.raw_mean,
                    "mean": c.mean,
                    "peer_mean": c.peer_mean,
                    "gap": c.gap,
                    "difference": c.difference,
                    "rows": c.rows,
                    "strata": c.strata,
                }
                for c in self.categories
            ],
        }


def _stratum_codes(strata: Iterable[Hashable]) -> np.ndarray:
    # A Series keeps tuple keys (skill cluster, level) whole where np.asarray would split them.
    codes: np.ndarray = pd.factorize(pd.Series(list(strata), dtype=object), use_na_sentinel=False)[
        0
    ]
    return codes


def shown_quality_gap(
    values: ArrayLike,
    groups: Categories,
    strata: Iterable[Hashable],
    *,
    attribute: str,
    unknown: str = "unknown",
) -> ShownQualityReport:
    """Do some groups get lower-level or shorter opportunities than peers with the same skills?

    One row per served item: `values` its level or hours, `groups` the employee's category,
    `strata` a hashable key (e.g. a tuple of skill cluster and level) grouping comparable
    employees. For a group g and each stratum s that also holds another group, with g's row count
    n_gs as the weight:

    - gap(g) = Σ n_gs (mean of g in s − mean of the other groups in s) / Σ n_gs;
    - the best-served group b has the largest gap;
    - difference(g) = Σ n_gs (mean of g in s − mean of b in s) / Σ n_gs over strata holding both,
      so "−1.0" reads as "one level lower than b's people with the same skills".

    Strata with a single group contribute nothing (their rows are counted as unmatched).
    Differences against b are pairwise, so with many groups and patchy strata they need not add
    up exactly with the gaps.
    """
    shown = np.asarray(values, dtype=np.float64)
    labels = category_labels(groups, unknown=unknown)
    keys = _stratum_codes(strata)
    _check_lengths(shown, labels)
    if len(keys) != len(labels):
        raise ValueError(f"{len(keys)} strata for {len(labels)} rows")
    if not np.isfinite(shown).all():
        raise ValueError("values must be finite")

    known = labels != unknown
    unknown_count = int(np.count_nonzero(~known))
    names, group_idx = np.unique(labels[known], return_inverse=True)
    _, stratum_idx = np.unique(keys[known], return_inverse=True)
    shown = shown[known]
    n_groups, n_strata = len(names), int(stratum_idx.max()) + 1 if len(stratum_idx) else 0

    # (group, stratum) cell sums and counts.
    cell = group_idx * n_strata + stratum_idx
    size = n_groups * n_strata
    counts = np.bincount(cell, minlength=size).reshape(n_groups, n_strata).astype(np.float64)
    sums = np.bincount(cell, weights=shown, minlength=size).reshape(n_groups, n_strata)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
        peer_counts = counts.sum(axis=0) - counts
        peer_means = (sums.sum(axis=0) - sums) / peer_counts
    shared = (counts > 0) & (peer_counts > 0)
    weights = np.where(shared, counts, 0.0)
    rows = weights.sum(axis=1)

    own = _weighted_mean(means, weights)
    peers = _weighted_mean(peer_means, weights)
    gaps = own - peers
    raw = np.bincount(group_idx, weights=shown, minlength=n_groups) / np.maximum(
        np.bincount(group_idx, minlength=n_groups), 1
    )

    best = int(np.nanargmax(gaps)) if np.isfinite(gaps).any() else -1
    if best >= 0:
        both = (counts > 0) & (counts[best] > 0)
        differences = _weighted_mean(means - means[best], np.where(both, counts, 0.0))
    else:
        differences = np.full(n_groups, np.nan)

    categories = [
        ShownQuality(
            category=str(names[g]),
            raw_mean=float(raw[g]),
            mean=_finite(own[g]),
            peer_mean=_finite(peers[g]),
            gap=_finite(gaps[g]),
            difference=_finite(differences[g]),
            rows=int(rows[g]),
            strata=int(np.count_nonzero(shared[g])),
        )
        for g in range(n_groups)
    ]
    categories.sort(key=lambda c: (c.difference is None, -(c.difference or 0.0), c.category))
    return ShownQualityReport(
        attribute=attribute,
        best_served=str(names[best]) if best >= 0 else None,
        categories=categories,
        unknown_count=unknown_count,
        unmatched_rows=int(len(shown) - rows.sum()),
    )


def _weighted_mean(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted mean over the cells with a positive weight; NaN where there are none."""
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        products = np.where(weights > 0, matrix * weights, 0.0)
        return np.where(total > 0, products.sum(axis=1) / total, np.nan)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
