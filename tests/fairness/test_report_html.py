"""Text people typed is never markup in HR's report: every chart draws hostile labels as plain
text (a department named `Ops $\\undefinedmacro{$ Team` made report.html a 500 for everyone:
matplotlib parsed it as mathtext), and every table shows them escaped, literally."""

from __future__ import annotations

import html
import re
from typing import Any, cast

import numpy as np
import pytest

import fairness.report_html as report_html
from fairness.exposure import group_exposure
from fairness.metrics import ImpactTable, selection_impact, shown_quality_gap
from fairness.outcomes import MarketplaceOutcomes
from fairness.report import FairnessReport
from fairness.report_sections import EmployeeSide, FeatureWeight, LeadDecisions, WeeklySelection

MATHTEXT = "Ops $\\undefinedmacro{$ Team"
MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
COMMENT = "--><script>alert(2)</script><!--"
UNICODE = "Équipe 漢字 🚀 عربي"
CONTROL = "Ops\x07Team\x1b[31m\x0bend"
LONG = "Department of " + "very long names " * 11  # 190 characters
HOSTILE = (MATHTEXT, MARKUP, COMMENT, UNICODE, CONTROL, LONG)
INJECTED = re.compile(r"<\s*(script|img)\b", re.IGNORECASE)


def shown_as(label: str) -> str:
    """How a label reads in the page's HTML: escaped, control characters as \\xNN."""
    return html.escape(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", _hex, label))


def _hex(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def _impact(labels: list[str], attribute: str, seed: int) -> ImpactTable:
    rng = np.random.default_rng(seed)
    people = [label for label in labels for _ in range(40)]
    return selection_impact(rng.random(len(people)) < 0.4, people, attribute=attribute).as_dict()


def hostile_report() -> FairnessReport:
    """A report whose every group name, department, kind, reason, feature name and version is
    hostile text, with every chart present."""
    groups = list(HOSTILE)
    crossed = [f"{g} × {g}" for g in groups]
    pages = [[f"p{(i + r) % 30}" for r in range(5)] for i in range(25)]
    group_of = {f"p{i}": groups[i % len(groups)] for i in range(30)}
    exposure = group_exposure([[group_of[p] for p in page] for page in pages], people=pages)
    table = {
        "gender": _impact(groups, "gender", 1),
        "gender × race_ethnicity": _impact(crossed, "gender × race_ethnicity", 2),
    }
    rows = [(g, level) for g in groups for level in (2, 3) for _ in range(5)]
    gap = shown_quality_gap(
        np.arange(len(rows), dtype=float) % 5,
        [g for g, _ in rows],
        [level for _, level in rows],
        attribute="gender",
    ).as_dict()
    by_department = {d: {"employees": 12, "applied": 0.25, "assigned": 0.1} for d in groups}
    fill = {d: {"posted": 2, "filled_internally": 1, "rate": 0.5} for d in groups}
    # The casts below: sections partial on purpose, holding the figures this test fills with
    # hostile labels; keys a full report adds are left out, as they were before they were typed.
    return FairnessReport(
        window={"from": None, "to": None, "focus_attribute": "gender", "min_cell": None},
        candidate_lists={
            "appearances": 1000,
            "selection_before_reranking": table,
            "selection_after_reranking": table,
            "scoring": table,
            "exposure_before_reranking": exposure.as_dict(),
            "exposure_after_reranking": exposure.as_dict(),
            "share_by_position": {
                "positions": [1, 2, 3],
                "before": {g: [0.2, 0.3, None] for g in groups},
                "after": {g: [0.1, 0.2, 0.3] for g in groups},
            },
        },
        lead_decisions=cast(
            LeadDecisions,
            {
                "applications": 240,
                "shortlisted": {"gender": _impact(groups, "gender", 3)},
                "offered": {"gender": _impact(groups, "gender", 4)},
                "accepted": {"gender": _impact(groups, "gender", 5)},
            },
        ),
        # The comparison as metrics publishes it, no small cell suppressed (no `suppressed`).
        employee_side=cast(EmployeeSide, {"rows": len(rows), "level": gap, "hours": gap}),
        trend=[
            cast(
                WeeklySelection,
                {"week": w, "appearances": 9, "impact_ratio_before": b, "impact_ratio_after": 0.9},
            )
            for w, b in (("2026-W44", 0.7), ("2026-W45", None))
        ],
        interventions={
            "rankings": 25,
            "reranked": 25,
            "paused": 0,
            "moves": 12,
            "moved_up": 12,
            "moved_up_by_category": {g: 2 for g in groups},
            "mean_displacement": 1.5,
            "pins": 0,
            "hides": 0,
        },
        oversight=[
            {
                "at": "2026-11-02T10:00:00+00:00",
                "actor_role": "hr",
                "action": "pause",
                "kind": None,
                "opportunity_external_id": g,
                "reason": g,
            }
            for g in groups
        ],
        models={
            "opportunity": {
                "version": MARKUP,
                "rows": 10,
                "importance": [
                    cast(FeatureWeight, {"feature": g, "share": 1 / len(groups)}) for g in groups
                ],
                "partial_dependence": [
                    {"feature": g, "grid": [0.0, 1.0], "mean_score": [0.1, 0.2]} for g in groups[:2]
                ],
            }
        },
        outcomes=cast(
            MarketplaceOutcomes,
            {
                "internal_fill_rate": {
                    "posted": 12,
                    "filled_internally": 6,
                    "rate": 0.5,
                    "by_kind": {"gig": fill[groups[0]], MARKUP: fill[groups[0]]},
                    "by_department": fill,
                },
                "time_to_first_application": {"median_days": 1.5, "n": 4},
                "time_to_fill": {"median_days": None, "n": 0},
                "participation": {
                    "employees": 72,
                    "applied": 0.25,
                    "assigned": 0.1,
                    "by_department": by_department,
                    "by_group": {},
                },
                "mobility_velocity": {
                    "assignments": 6,
                    "role_moves": 1,
                    "assignments_per_100_per_quarter": 2.0,
                    "role_moves_per_100_per_quarter": 0.3,
                },
                "skills_gap_closure": {
                    "skills_confirmed": 3,
                    "people_with_confirmed_skills": 2,
                    "profile_updates_proposed": 3,
                    "profile_updates_accepted": 1,
                    "through_courses": "not recorded",
                },
                "time_to_proficiency": {"median_days": 30.0, "n": 1},
                "mentors": {
                    "mentorships": 1,
                    "capacity": 2,
                    "mentees_now": 1,
                    "load": 0.5,
                    "full": 0,
                    "waitlisted": 0,
                    "longest_waitlist": 0,
                },
                "identity_reveals": 2,
                "career_paths": {
                    "people_with_target": 1,
                    "skills_confirmed_since_target": 0,
                    "roles_filled": 1,
                    "roles_filled_by_path_followers": 0,
                },
                "trend": {"2026-10": {"applications": 3, "assignments": 1}},
            },
        ),
    )


# Selection rate, ratio by intersection, share by position, trend, moved up, lead decisions,
# fill by kind, participation by department, per month, importance, two partial dependences.
CHARTS = 12


def test_every_chart_draws_hostile_labels_as_plain_text_and_every_table_escapes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[str] = []
    plain = report_html._chart_text

    def spy(value: Any) -> str:
        drawn.append(str(value))
        return plain(value)

    monkeypatch.setattr(report_html, "_chart_text", spy)
    page = report_html.render_html(hostile_report())  # warnings are errors: no missing glyph
    assert page.count("<svg") == CHARTS
    for label in HOSTILE:
        assert any(label in text for text in drawn), f"{label!r} was in no chart"
        assert shown_as(label) in page, f"{label!r} is not shown literally"
    assert not INJECTED.search(page)
    assert "<!--" not in page.replace("<!-- ", "")  # matplotlib's own comments only
    # In a chart the label is one line of plain text, shortened, in glyphs the font has.
    assert plain(MATHTEXT) == MATHTEXT
    assert plain(LONG).endswith("…") and len(plain(LONG)) == report_html.CHART_LABEL_CHARS
    assert "\x07" not in plain(CONTROL) and "\x0b" not in plain(CONTROL)
    assert plain(UNICODE).startswith("Équipe ")  # é is in the font; 漢 is replaced


def test_a_mathtext_department_no_longer_fails_the_chart() -> None:
    svg = report_html._bars("Participation by department", [MATHTEXT], {"a": [0.5]}, ylabel="x")
    assert svg.startswith("<svg")
