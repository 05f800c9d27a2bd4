"""The report's headline: breaches only for groups whose whole interval is under four-fifths,
cautions for an interval across 0.8 and for groups too few to judge, never a word about a
suppressed group."""

from __future__ import annotations

from typing import cast

import numpy as np

from fairness.audit_record import ServedRanking
from fairness.metrics import ImpactTable, selection_impact
from fairness.report import FairnessReport, _view_sample, judge
from fairness.report_sections import ReportWindow


def _impact(**groups: tuple[int, int]) -> ImpactTable:
    flags: list[int] = []
    labels: list[str] = []
    for name, (selected, total) in groups.items():
        flags += [1] * selected + [0] * (total - selected)
        labels += [name] * total
    return selection_impact(np.array(flags), labels, attribute="gender").as_dict()


def _verdicts_only() -> FairnessReport:
    """A report to judge into: judge reads no window, so it is left empty."""
    return FairnessReport(window=cast(ReportWindow, {}))


def _judged(impact: ImpactTable) -> FairnessReport:
    report = _verdicts_only()
    judge(report, "lead decisions", impact, "shortlisted")
    return report


def test_a_large_group_under_four_fifths_is_a_breach_with_its_interval() -> None:
    report = _judged(_impact(men=(300, 1000), women=(150, 1000)))
    assert len(report.breaches) == 1
    breach = report.breaches[0]
    assert breach.startswith("lead decisions: gender shortlisted impact ratio 0.50 < 0.80")
    assert "for women (n = 1000; 95% interval 0.4" in breach
    assert report.cautions == []


def test_a_tiny_group_is_a_caution_never_a_breach() -> None:
    # Eleven people of whom none was shortlisted: 0.00 on its face, too few to judge.
    report = _judged(_impact(men=(300, 1000), women=(290, 1000), nonbinary=(0, 11)))
    assert report.breaches == []
    assert report.cautions == [
        "lead decisions (shortlisting): gender nonbinary: too few to judge (n = 11): fewer "
        "than 30 people; left out of the four-fifths verdict"
    ]


def test_a_group_too_few_at_every_stage_is_one_line_naming_each_stage() -> None:
    # The same applicants at each stage: a tiny group is too few at all three, said once.
    report = _verdicts_only()
    for stage, chosen in (("shortlisted", 300), ("offered", 200), ("accepted", 100)):
        impact = _impact(men=(chosen, 1000), women=(chosen - 5, 1000), nonbinary=(0, 20))
        judge(report, "lead decisions", impact, stage)
    assert report.cautions == [
        "lead decisions (shortlisting, offers, taking on): gender nonbinary: too few to judge "
        "(n = 20): fewer than 30 people; left out of the four-fifths verdict"
    ]
    assert len(set(report.cautions)) == len(report.cautions)


def test_an_interval_across_four_fifths_is_not_enough_evidence() -> None:
    report = _judged(_impact(a=(20, 40), b=(12, 40)))
    assert report.breaches == []
    assert len(report.cautions) == 1
    assert "0.60 for b (n = 40), but its 95% interval" in report.cautions[0]
    assert report.cautions[0].endswith("reaches 0.80: not enough evidence either way")


def test_a_suppressed_group_is_never_named() -> None:
    impact = selection_impact(
        np.array([1] * 300 + [0] * 700 + [1] * 150 + [0] * 850 + [0] * 4),
        ["men"] * 1000 + ["women"] * 1000 + ["tiny"] * 4,
        attribute="gender",
    ).as_dict(10)
    report = _judged(impact)
    assert not any("tiny" in line for line in report.breaches + report.cautions)


def test_a_models_sample_moves_every_fifty_rankings() -> None:
    # _view_sample reads only each record's seq.
    served = cast(list[ServedRanking], [{"seq": seq} for seq in range(1, 160)])
    assert _view_sample(served[:130])[-1]["seq"] == 100
    assert _view_sample(served[:149])[-1]["seq"] == 100  # the same sample, 19 lists later
    assert _view_sample(served[:150])[-1]["seq"] == 150
    assert _view_sample(served[:30]) == served[:30]  # fewer than fifty: all of them
