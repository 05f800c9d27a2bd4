"""Impact ratios and shown-quality gaps on small fixed samples with answers worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fairness.metrics import (
    category_labels,
    intersection,
    katz_ratio_interval,
    scoring_impact,
    selection_impact,
    shown_quality_gap,
    wilson_interval,
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
    assert female.impact_ratio == pytest.approx(0.823, abs=5e-4)  # the rule prints 0.82
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
    with_unknown: list[str | float | None] = [*groups, None, float("nan"), "", "unknown"]
    with_unknown += [None, None, None]
    report = selection_impact(selected, with_unknown, attribute="gender")
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
    # With neither threshold it is compared like any other category.
    kept = selection_impact(selected, groups, attribute="x", min_share=0.0, min_count=1)
    assert kept.flagged == ["rare"]


def test_small_categories_get_a_warning_not_a_verdict() -> None:
    selected, groups = _outcomes(big=(50, 100), tiny=(2, 10), few_selected=(4, 80))
    report = selection_impact(selected, groups, attribute="x")
    small = {c.category: c.small_sample for c in report.categories}
    assert small == {"big": False, "tiny": True, "few_selected": True}
    tiny_warnings = [w for w in report.warnings if w.startswith("tiny:")]
    assert len(tiny_warnings) == 1 and "too few to judge (n = 10)" in tiny_warnings[0]
    assert not any(w.startswith("big:") for w in report.warnings)
    tiny = next(c for c in report.categories if c.category == "tiny")
    assert tiny.excluded and tiny.impact_ratio is None and tiny.verdict == "too few to judge"


def test_a_tiny_group_never_trips_the_flag_and_a_large_one_does() -> None:
    # 11 people of whom none was selected (the demo's 0.00 from 11 non-binary people), beside
    # two large groups: the tiny one is too few to judge, listed with its n, and the verdict is
    # about the large ones only.
    selected, groups = _outcomes(men=(300, 1000), women=(290, 1000), nonbinary=(0, 11))
    fair = selection_impact(selected, groups, attribute="gender")
    tiny = next(c for c in fair.categories if c.category == "nonbinary")
    assert tiny.too_few == "too few to judge (n = 11): fewer than 30 people"
    assert tiny.impact_ratio is None and not tiny.below_four_fifths
    assert fair.flagged == [] and fair.below == []
    assert fair.min_impact_ratio == pytest.approx(290 / 300)
    published = fair.as_dict()
    row = next(r for r in published["categories"] if r["category"] == "nonbinary")
    assert row["verdict"] == "too few to judge" and row["people"] == 11
    assert published["below"] == [] and published["flagged"] == []
    # A large group selected at half the rate is below four-fifths, interval and all.
    selected, groups = _outcomes(men=(300, 1000), women=(150, 1000), nonbinary=(0, 11))
    unfair = selection_impact(selected, groups, attribute="gender")
    women = next(c for c in unfair.categories if c.category == "women")
    assert women.impact_ratio == pytest.approx(0.5)
    assert women.impact_ratio_ci is not None and women.impact_ratio_ci[1] < 0.8
    assert women.verdict == "below four-fifths" and unfair.below == [women]
    assert unfair.as_dict()["below"] == ["women"]


def test_an_interval_across_four_fifths_is_not_enough_evidence() -> None:
    # 12 of 40 against 20 of 40: a ratio of 0.6, but 40 people each cannot tell 0.6 from 0.8.
    selected, groups = _outcomes(a=(20, 40), b=(12, 40))
    report = selection_impact(selected, groups, attribute="x")
    b = next(c for c in report.categories if c.category == "b")
    assert b.below_four_fifths and b.impact_ratio == pytest.approx(0.6)
    assert b.impact_ratio_ci is not None
    low, high = b.impact_ratio_ci
    assert low < 0.6 < 0.8 < high
    assert b.verdict == "not enough evidence either way"
    assert report.as_dict()["unsure"] == ["b"] and report.as_dict()["below"] == []
    a = next(c for c in report.categories if c.category == "a")
    assert a.verdict == "reference (highest rate)" and a.impact_ratio_ci is None


def test_wilson_and_katz_intervals_match_worked_values() -> None:
    # Wilson 95% for 12/40: centre (0.3 + z²/80) / (1 + z²/40) = 0.3175, half-width 0.1368.
    low, high = wilson_interval(12 / 40, 40)
    assert (round(low, 4), round(high, 4)) == (0.1807, 0.4543)
    # Katz: 12/40 vs 20/40, log ratio ln 0.6, se sqrt(1/12 - 1/40 + 1/20 - 1/40).
    se = (1 / 12 - 1 / 40 + 1 / 20 - 1 / 40) ** 0.5
    low, high = katz_ratio_interval(12, 40, 20, 40)
    assert low == pytest.approx(0.6 * np.exp(-1.959964 * se))
    assert high == pytest.approx(0.6 * np.exp(1.959964 * se))
    # A zero count: 0.5 added to each cell, so the interval is finite and starts above 0.
    low, high = katz_ratio_interval(0, 50, 25, 50)
    assert 0 < low < high < 0.8


def test_repeated_appearances_widen_the_interval() -> None:
    # The same 40 + 40 people appearing in 10 lists each, always with the same outcome: the
    # rows say 400 + 400, but the evidence is 40 people a group, so the interval matches the
    # one for 40 people seen once.
    selected, groups = _outcomes(a=(20, 40), b=(12, 40))
    once = selection_impact(selected, groups, attribute="x", people=list(range(80)))
    tenfold = selection_impact(
        np.repeat(selected, 10),
        np.repeat(groups, 10),
        attribute="x",
        people=np.repeat(np.arange(80), 10),
    )
    b_once = next(c for c in once.categories if c.category == "b")
    b_ten = next(c for c in tenfold.categories if c.category == "b")
    assert b_ten.count == 400 and b_ten.people == 40
    assert b_ten.impact_ratio_ci == pytest.approx(b_once.impact_ratio_ci)
    assert b_ten.verdict == "not enough evidence either way"


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
    race: list[str | float] = ["Black", "White", "Black", "Asian", np.nan, "Hispanic or Latino"]
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


def test_counts_and_rates_are_fairlearns() -> None:
    # The report counts with numpy for speed; fairlearn's MetricFrame is the reference.
    from fairlearn.metrics import MetricFrame, count, selection_rate

    rng = np.random.default_rng(3)
    labels = rng.choice(["a", "b", "c", "d"], size=500, p=[0.5, 0.3, 0.15, 0.05])
    selected = rng.random(500) < np.where(labels == "b", 0.2, 0.4)
    people = rng.integers(0, 150, size=500)
    frame = MetricFrame(
        metrics={"count": count, "rate": selection_rate},
        y_true=selected.astype(int),
        y_pred=selected.astype(int),
        sensitive_features={"g": labels},
    ).by_group
    report = selection_impact(selected, labels, attribute="g", people=people, min_count=1)
    for row in report.categories:
        assert row.count == frame.loc[row.category, "count"]
        assert row.rate == pytest.approx(frame.loc[row.category, "rate"])
        assert row.people == len(set(people[labels == row.category]))
