"""Impact ratios and shown-quality gaps on small fixed samples with answers worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fairness.metrics import (
    category_labels,
    intersection,
    scoring_impact,
    selection_impact,
    shown_quality_gap,
)


def _outcomes(**groups: tuple[int, int]) -> tuple[np.ndarray, list[str]]:
    """`a=(selected, total)` per category -> (selected flags, category labels)."""
    flags: list[int] = []
    labels: list[str] = []
    for name, (selected, total) in groups.items():
        flags += [1] * selected + [0] * (total - selected)
        labels += [name] * total
    return np.array(flags), labels


def test_ll144_scoring_rate_example() -> None:
    # The rule's worked example: 92 men, scoring rate 54.3% -> 1.00; 76 women, 44.7% -> 0.82.
    # 168 distinct scores; the 84 highest (50 men, 34 women) lie above the whole sample's median.
    high, low = np.arange(84) + 100.0, np.arange(84, dtype=np.float64)
    scores = np.concatenate([high[:50], low[:42], high[50:], low[42:]])
    sex = ["male"] * 92 + ["female"] * 76
    report = scoring_impact(scores, sex, attribute="sex")
    male, female = report.categories
    assert (male.category, male.count, male.selected) == ("male", 92, 50)
    assert (female.category, female.count, female.selected) == ("female", 76, 34)
    assert round(male.rate, 3) == 0.543 and round(female.rate, 3) == 0.447
    assert male.impact_ratio == 1.0
    assert round(female.impact_ratio, 3) == 0.823  # the rule prints 0.82
    assert report.measure == "scoring" and report.flagged == [] and report.warnings == []


def test_scoring_counts_only_scores_strictly_above_the_median() -> None:
    scores = np.array([1.0, 2.0, 2.0, 2.0, 3.0, 1.0, 2.0, 2.0])  # median 2
    report = scoring_impact(scores, ["a"] * 5 + ["b"] * 3, attribute="x", min_count=1)
    assert {c.category: c.selected for c in report.categories} == {"a": 1, "b": 0}


def test_eeoc_four_fifths_example() -> None:
    selected, groups = _outcomes(first=(48, 80), second=(12, 40))
    report = selection_impact(selected, groups, attribute="group")
    first, second = report.categories
    assert (first.rate, second.rate) == (0.6, 0.3)
    assert second.impact_ratio == pytest.approx(0.5)
    assert second.below_four_fifths and not first.below_four_fifths
    assert report.flagged == ["second"] and report.min_impact_ratio == pytest.approx(0.5)


def test_exactly_four_fifths_is_not_flagged() -> None:
    selected, groups = _outcomes(a=(50, 100), b=(40, 100))
    report = selection_impact(selected, groups, attribute="x")
    assert report.categories[1].impact_ratio == pytest.approx(0.8)
    assert report.flagged == []


def test_unknown_category_is_counted_but_not_compared() -> None:
    selected, groups = _outcomes(a=(40, 100), b=(30, 100))
    selected = np.concatenate([selected, [1, 1, 1, 0, 0, 0, 0]])
    groups = [*groups, None, float("nan"), "", "unknown", None, None, None]
    report = selection_impact(selected, groups, attribute="gender")
    assert report.unknown_count == 7
    assert [c.category for c in report.categories] == ["a", "b"]
    assert sum(c.count for c in report.categories) == 200
    assert report.categories[1].impact_ratio == pytest.approx(0.75)


def test_unknown_people_still_count_towards_the_scoring_median() -> None:
    # Known scores alone have median 5.5; the 4 unknown people scoring 10 move it to 6, so the
    # 6s of group a are no longer above it.
    scores = np.array([4.0] * 20 + [6.0] * 20 + [5.0] * 20 + [7.0] * 20 + [10.0] * 4)
    groups = ["a"] * 40 + ["b"] * 40 + [None] * 4
    report = scoring_impact(scores, groups, attribute="x")
    assert report.unknown_count == 4
    assert {c.category: c.rate for c in report.categories} == {"a": 0.0, "b": 0.5}


def test_category_under_two_percent_is_shown_but_not_compared() -> None:
    # 3 of 203 known people (1.5%) with a rate of 1/3: shown, never flagged, no ratio.
    selected, groups = _outcomes(a=(60, 100), b=(50, 100), rare=(1, 3))
    report = selection_impact(selected, groups, attribute="x")
    rare = next(c for c in report.categories if c.category == "rare")
    assert rare.excluded and rare.impact_ratio is None and not rare.below_four_fifths
    assert (rare.count, rare.selected) == (3, 1) and rare.rate == pytest.approx(1 / 3)
    assert report.min_impact_ratio == pytest.approx(50 / 60)
    assert any(w.startswith("rare:") and "left out of the ratios" in w for w in report.warnings)
    # With no threshold it is compared like any other category.
    kept = selection_impact(selected, groups, attribute="x", min_share=0.0)
    assert kept.flagged == ["rare"]


def test_small_categories_get_a_warning_not_a_verdict() -> None:
    selected, groups = _outcomes(big=(50, 100), tiny=(2, 10), few_selected=(4, 80))
    report = selection_impact(selected, groups, attribute="x")
    small = {c.category: c.small_sample for c in report.categories}
    assert small == {"big": False, "tiny": True, "few_selected": True}
    tiny_warnings = [w for w in report.warnings if w.startswith("tiny:")]
    assert len(tiny_warnings) == 1 and "too few to conclude" in tiny_warnings[0]
    assert not any(w.startswith("big:") for w in report.warnings)


def test_report_is_sorted_by_rate_and_json_ready() -> None:
    selected, groups = _outcomes(low=(10, 50), high=(40, 50), mid=(25, 50))
    report = selection_impact(selected, groups, attribute="x")
    assert [c.category for c in report.categories] == ["high", "mid", "low"]
    data = json.loads(json.dumps(report.as_dict()))
    assert data["flagged"] == ["mid", "low"]
    assert data["categories"][2]["impact_ratio"] == pytest.approx(0.25)


def test_no_one_selected_gives_no_ratios() -> None:
    report = selection_impact(np.zeros(100), ["a"] * 50 + ["b"] * 50, attribute="x")
    assert report.min_impact_ratio is None and report.flagged == []
    assert any("no impact ratios" in w for w in report.warnings)


def test_intersectional_labels() -> None:
    sex = ["female", "male", "female", None, "male", "female"]
    race = ["Black", "White", "Black", "Asian", np.nan, "Hispanic or Latino"]
    combined = intersection(sex, race, names=["sex", "race_ethnicity"])
    assert combined.attribute == "sex × race_ethnicity"
    assert combined.labels.tolist() == [
        "female × Black",
        "male × White",
        "female × Black",
        "unknown",
        "unknown",
        "female × Hispanic or Latino",
    ]
    report = selection_impact(
        [1, 0, 0, 1, 1, 1], combined.labels, attribute=combined.attribute, min_count=1
    )
    assert report.attribute == "sex × race_ethnicity" and report.unknown_count == 2
    assert {c.category: (c.count, c.selected) for c in report.categories} == {
        "female × Black": (2, 1),
        "male × White": (1, 0),
        "female × Hispanic or Latino": (1, 1),
    }


def test_labels_reject_mismatched_input() -> None:
    assert category_labels([" a ", None], unknown="?").tolist() == ["a", "?"]
    with pytest.raises(ValueError, match="names"):
        intersection(["a"], ["b"], names=["only one"])
    with pytest.raises(ValueError):
        selection_impact([1, 0, 1], ["a", "b"], attribute="x")


# Shown quality: one row per opportunity shown, value = its level.


def test_planted_gap_inside_strata_is_found() -> None:
    # In every skill stratum group b is shown opportunities exactly one level lower than a,
    # in different proportions per stratum.
    values, groups, strata = [], [], []
    for stratum, base, n_a, n_b in [
        ("data", 3.0, 10, 2),
        ("design", 2.0, 3, 9),
        ("ops", 4.0, 5, 5),
    ]:
        values += [base] * n_a + [base - 1] * n_b
        groups += ["a"] * n_a + ["b"] * n_b
        strata += [stratum] * (n_a + n_b)
    report = shown_quality_gap(values, groups, strata, attribute="gender")
    assert report.best_served == "a"
    by_name = {c.category: c for c in report.categories}
    assert by_name["a"].difference == 0.0
    assert by_name["b"].difference == pytest.approx(-1.0)
    assert by_name["b"].gap == pytest.approx(-1.0) and by_name["a"].gap == pytest.approx(1.0)
    assert (by_name["b"].rows, by_name["b"].strata) == (16, 3)


def test_groups_treated_alike_show_no_gap() -> None:
    rng = np.random.default_rng(7)
    levels = rng.integers(1, 6, size=20).astype(float)
    # Both groups see the same list of levels in each of two strata.
    values = np.concatenate([levels, levels, levels + 1, levels + 1])
    groups = ["a"] * 20 + ["b"] * 20 + ["a"] * 20 + ["b"] * 20
    strata = [("sql", 2)] * 40 + [("sql", 3)] * 40  # tuple keys: cluster and level
    report = shown_quality_gap(values, groups, strata, attribute="x")
    for category in report.categories:
        assert category.difference == pytest.approx(0.0)
        assert category.gap == pytest.approx(0.0)


def test_simpsons_paradox_raw_means_differ_but_no_gap() -> None:
    # Juniors are shown level 2, seniors level 5, whoever they are. Group a is mostly senior and
    # group b mostly junior, so raw means differ a lot; with the same skills there is no gap.
    values = [5.0] * 18 + [2.0] * 2 + [5.0] * 2 + [2.0] * 18
    groups = ["a"] * 20 + ["b"] * 20
    strata = ["senior"] * 18 + ["junior"] * 2 + ["senior"] * 2 + ["junior"] * 18
    report = shown_quality_gap(values, groups, strata, attribute="x")
    by_name = {c.category: c for c in report.categories}
    assert by_name["a"].raw_mean - by_name["b"].raw_mean == pytest.approx(2.4)
    assert by_name["a"].difference == pytest.approx(0.0)
    assert by_name["b"].difference == pytest.approx(0.0)


def test_single_group_strata_and_unknown_rows_contribute_nothing() -> None:
    values = [3.0, 2.0, 3.0, 2.0, 9.0, 9.0, 1.0]
    groups = ["a", "b", "a", "b", "a", "a", None]
    strata = ["s", "s", "s", "s", "only_a", "only_a", "s"]
    report = shown_quality_gap(values, groups, strata, attribute="x")
    assert report.unknown_count == 1 and report.unmatched_rows == 2
    by_name = {c.category: c for c in report.categories}
    assert by_name["a"].mean == 3.0 and by_name["a"].rows == 2 and by_name["a"].strata == 1
    assert by_name["b"].difference == pytest.approx(-1.0)
    assert json.loads(json.dumps(report.as_dict()))["best_served"] == "a"
