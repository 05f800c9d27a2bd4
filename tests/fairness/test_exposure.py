"""Exposure and the Geyik et al. ranking metrics, checked against worked values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fairness.exposure import (
    SKEW_EPSILON,
    exposure_by_position,
    group_exposure,
    max_skew_at_k,
    min_skew_at_k,
    ndkl,
    skew_at_k,
)

EVEN = {"M": 0.5, "F": 0.5}


def test_position_weights() -> None:
    assert exposure_by_position(3) == pytest.approx([1.0, 1 / math.log2(3), 0.5])
    assert len(exposure_by_position(0)) == 0


def test_skew_vectors() -> None:
    ranking = "MMMFMFFF"
    assert round(skew_at_k(ranking, EVEN, "F", 4), 4) == -0.6931
    assert round(skew_at_k(ranking, EVEN, "M", 4), 4) == 0.4055
    assert min_skew_at_k(ranking, EVEN, 4) == pytest.approx(math.log(0.5))
    assert max_skew_at_k(ranking, EVEN, 4) == pytest.approx(math.log(1.5))
    assert skew_at_k(ranking, EVEN, "F", 8) == pytest.approx(0.0)


def test_skew_of_an_absent_group_is_finite() -> None:
    value = skew_at_k("MMMMFF", EVEN, "F", 3)
    assert value == pytest.approx(math.log(SKEW_EPSILON / 0.5))
    assert min_skew_at_k("MMMMFF", EVEN, 3) == value


def test_skew_rejects_unknown_groups_and_bad_targets() -> None:
    with pytest.raises(ValueError):
        skew_at_k("MF", EVEN, "X", 2)
    with pytest.raises(ValueError):
        skew_at_k("MF", {"M": 0.7, "F": 0.7}, "M", 2)


def test_ndkl_vectors() -> None:
    assert round(ndkl("MMMFMFFF", EVEN), 6) == 0.412685
    assert round(ndkl("MFMFMFMF", EVEN), 6) == 0.185323
    assert ndkl("MMMMMMMM", {"M": 1.0}) == 0.0
    with pytest.raises(ValueError):
        ndkl("MFX", EVEN)


def test_exposure_of_a_group_always_last() -> None:
    # Three rankings A, A, B: A gets ranks 1 and 2, B always rank 3.
    report = group_exposure([["A", "A", "B"]] * 3)
    a, b = report.groups
    a_mean = (1 + 1 / math.log2(3)) / 2  # 0.8155
    b_mean = 1 / math.log2(4)  # 0.5
    assert (a.category, a.appearances, b.appearances) == ("A", 6, 3)
    assert a.mean_exposure == pytest.approx(a_mean) and b.mean_exposure == pytest.approx(b_mean)
    assert a.exposure_ratio == 1.0
    assert b.exposure_ratio == pytest.approx(b_mean / a_mean)
    assert b.exposure_ratio == pytest.approx(0.61315, abs=1e-5)
    assert b.share == pytest.approx(3 * 0.5 / (3 * (1 + 1 / math.log2(3) + 0.5)))
    assert report.min_exposure_ratio == b.exposure_ratio


def test_exposure_is_amortised_over_rankings() -> None:
    # Alternating who goes first evens exposure out over the two rankings.
    report = group_exposure([["A", "B"], ["B", "A"]])
    assert [g.exposure_ratio for g in report.groups] == pytest.approx([1.0, 1.0])
    assert [g.share for g in report.groups] == pytest.approx([0.5, 0.5])


def test_unknown_members_take_exposure_but_are_not_compared() -> None:
    report = group_exposure([[None, "A", "B"], ["A", "B"]])
    assert report.rankings == 2 and report.unknown_appearances == 1
    assert [g.category for g in report.groups] == ["A", "B"]
    assert report.unknown_share == pytest.approx(1 / (2 + 2 / math.log2(3) + 0.5))
    assert sum(g.share for g in report.groups) + report.unknown_share == pytest.approx(1.0)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["groups"][1]["exposure_ratio"] == pytest.approx(report.min_exposure_ratio)
    assert np.isfinite(data["min_exposure_ratio"])
