"""HR's fairness report as one self-contained HTML page: charts as inline SVG (matplotlib, no
scripts, no network), the numbers behind them in tables, and the raw figures as JSON."""

from __future__ import annotations

import html
import io
import json
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: the server has no display
import matplotlib.pyplot as plt

from fairness.metrics import FOUR_FIFTHS
from fairness.report import FairnessReport

BEFORE, AFTER, LINE = "#9aa5b1", "#2f6db5", "#c0392b"
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}table{border-collapse:collapse}
td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right}th:first-child,
td:first-child{text-align:left}.flag{color:#c0392b;font-weight:600}.note{color:#555}
.charts{display:flex;flex-wrap:wrap;gap:1em}.breach{background:#fdecea;padding:.6em 1em}
"""


def _svg(figure: plt.Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _bars(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    ylabel: str,
    threshold: float | None = None,
) -> str:
    figure, axis = plt.subplots(figsize=(5.2, 3.2))
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        offsets = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        axis.bar(offsets, values, width, label=name, color=(BEFORE, AFTER, "#7fb77e")[i % 3])
    if threshold is not None:
        axis.axhline(threshold, color=LINE, linestyle="--", linewidth=1, label="four-fifths")
    axis.set_xticks(
        range(len(labels)),
        labels,
        rotation=30 if len(labels) > 4 else 0,
        ha="right" if len(labels) > 4 else "center",
        fontsize=8,
    )
    axis.set_title(title, fontsize=10)
    axis.set_ylabel(ylabel, fontsize=9)
    if axis.get_legend_handles_labels()[0]:  # an empty window draws nothing to label
        axis.legend(fontsize=8)
    return _svg(figure)


def _lines(
    title: str,
    x: Sequence[Any],
    series: dict[str, Sequence[float | None]],
    *,
    ylabel: str,
    threshold: float | None = None,
) -> str:
    figure, axis = plt.subplots(figsize=(5.2, 3.2))
    for i, (name, values) in enumerate(series.items()):
        ys = [float("nan") if v is None else v for v in values]
        axis.plot(
            list(range(len(x))),
            ys,
            marker="o",
            markersize=3,
            label=name,
            color=(BEFORE, AFTER, "#7fb77e", "#b57f2f")[i % 4],
        )
    if threshold is not None:
        axis.axhline(threshold, color=LINE, linestyle="--", linewidth=1, label="four-fifths")
    step = max(1, len(x) // 10)
    axis.set_xticks(list(range(0, len(x), step)), [str(v) for v in x][::step], fontsize=8)
    axis.set_title(title, fontsize=10)
    axis.set_ylabel(ylabel, fontsize=9)
    if axis.get_legend_handles_labels()[0]:  # an empty window draws nothing to label
        axis.legend(fontsize=8)
    return _svg(figure)


def _impact_table(impact: dict[str, Any]) -> str:
    rows = []
    for c in impact["categories"]:
        ratio = (
            "excluded (<2%)"
            if c["excluded"]
            else ("n/a" if c["impact_ratio"] is None else f"{c['impact_ratio']:.2f}")
        )
        css = ' class="flag"' if c["below_four_fifths"] else ""
        small = " (small sample)" if c["small_sample"] else ""
        rows.append(
            f"<tr><td>{html.escape(c['category'])}{small}</td><td>{c['count']}</td>"
            f"<td>{c['selected']}</td><td>{c['rate']:.3f}</td><td{css}>{ratio}</td></tr>"
        )
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in impact["warnings"])
    return (
        f"<table><tr><th>{html.escape(impact['attribute'])}</th><th>count</th><th>selected</th>"
        f"<th>rate</th><th>impact ratio</th></tr>{''.join(rows)}</table>"
        f"<p class=note>unknown category: {impact['unknown_count']}</p>"
        + (f"<ul class=note>{warnings}</ul>" if warnings else "")
    )


def _rates(impact: dict[str, Any]) -> dict[str, float]:
    return {c["category"]: c["rate"] for c in impact["categories"]}


def _figure(value: Any, unit: str = "") -> str:
    return "n/a" if value is None else f"{value}{unit}"


def _outcomes_section(outcomes: dict[str, Any]) -> list[str]:
    """Fill rate, participation, mobility and learning: what the marketplace achieved."""
    fill, part = outcomes["internal_fill_rate"], outcomes["participation"]
    mobility, skills = outcomes["mobility_velocity"], outcomes["skills_gap_closure"]
    mentors = outcomes["mentors"]
    rows = [
        (
            "internal fill rate",
            f"{fill['filled_internally']} of {fill['posted']} posted ({_figure(fill['rate'])})",
        ),
        (
            "time to first application",
            f"{_figure(outcomes['time_to_first_application']['median_days'], ' days')} "
            f"(median, n={outcomes['time_to_first_application']['n']})",
        ),
        (
            "time to fill",
            f"{_figure(outcomes['time_to_fill']['median_days'], ' days')} "
            f"(median, n={outcomes['time_to_fill']['n']})",
        ),
        (
            "participation",
            f"applied {_figure(part['applied'])}, assigned "
            f"{_figure(part['assigned'])} of {part['employees']} employees",
        ),
        (
            "mobility velocity",
            f"{_figure(mobility['assignments_per_100_per_quarter'])} "
            f"assignments and {_figure(mobility['role_moves_per_100_per_quarter'])} role moves "
            "per 100 employees per quarter",
        ),
        (
            "skills-gap closure",
            f"{skills['skills_confirmed']} skills confirmed at completion; "
            f"{skills['profile_updates_accepted']} of {skills['profile_updates_proposed']} "
            f"profile updates accepted; courses: {skills['through_courses']}",
        ),
        (
            "time to proficiency",
            f"{_figure(outcomes['time_to_proficiency']['median_days'], ' days')} "
            f"(median, n={outcomes['time_to_proficiency']['n']})",
        ),
        (
            "mentors",
            f"{mentors['mentees_now']} mentees in {mentors['capacity']} slots "
            f"({_figure(mentors['load'])}); {mentors['full']} full; {mentors['waitlisted']} "
            f"waiting (longest list {mentors['longest_waitlist']})",
        ),
        ("identity reveals", f"{outcomes['identity_reveals']} (a lead shown who applied)"),
        (
            "career paths",
            f"{outcomes['career_paths']['people_with_target']} people follow one; "
            f"{outcomes['career_paths']['skills_confirmed_since_target']} skills confirmed since; "
            f"{outcomes['career_paths']['roles_filled_by_path_followers']} of "
            f"{outcomes['career_paths']['roles_filled']} roles filled by someone whose target it "
            "was",
        ),
    ]
    kinds = list(fill["by_kind"])
    departments = list(part["by_department"])
    months = list(outcomes["trend"])
    return [
        "<h2>Marketplace outcomes</h2><table>",
        *(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows),
        "</table><div class=charts>",
        _bars(
            "Internal fill rate by kind",
            kinds,
            {"filled internally": [fill["by_kind"][k]["rate"] or 0.0 for k in kinds]},
            ylabel="share of those posted",
        ),
        _bars(
            "Participation by department",
            departments,
            {
                "applied": [part["by_department"][d]["applied"] or 0.0 for d in departments],
                "assigned": [part["by_department"][d]["assigned"] or 0.0 for d in departments],
            },
            ylabel="share of employees",
        ),
        _bars(
            "Applications and assignments per month",
            months,
            {
                "applications": [outcomes["trend"][m]["applications"] for m in months],
                "assignments": [outcomes["trend"][m]["assignments"] for m in months],
            },
            ylabel="count",
        ),
        "</div>",
    ]


def _window_words(window: dict[str, Any]) -> str:
    start, end = window.get("from"), window.get("to")
    period = (f"from {start[:10]}" if start else "from the first record") + (
        f" to {end[:10]}" if end else " to now"
    )
    focus = str(window.get("focus_attribute", "gender")).replace("_", " ")
    counted = [f"{window[k]} {k.replace('_', ' ')}" for k in ("applications",) if k in window]
    return f"Period: {period}; groups compared by {focus}" + (
        f"; {', '.join(counted)}" if counted else ""
    )


def render_html(report: FairnessReport) -> str:
    data = report.as_dict()
    focus = report.window["focus_attribute"]
    parts = [
        "<!doctype html><html><head><meta charset=utf-8><title>Fairness report</title>",
        f"<style>{STYLE}</style></head><body><h1>Fairness report</h1>",
        f"<p class=note>{html.escape(_window_words(report.window))}. Impact ratio = a category's "
        "rate ÷ the highest category's (NYC LL144); flagged below 0.8 (EEOC four-fifths rule; "
        "LL144 sets no threshold).</p>",
    ]
    if report.breaches:
        items = "".join(f"<li>{html.escape(b)}</li>" for b in report.breaches)
        parts.append(f"<div class=breach><b>Below four-fifths</b><ul>{items}</ul></div>")
    lists = report.candidate_lists
    if lists:
        before = lists["selection_before_reranking"]
        after = lists["selection_after_reranking"]
        categories = [c["category"] for c in after[focus]["categories"]]
        rates_before, rates_after = _rates(before[focus]), _rates(after[focus])
        intersect = next(a for a in after if "×" in a)
        ratios = {
            c["category"]: c["impact_ratio"] or 0.0
            for c in after[intersect]["categories"]
            if not c["excluded"]
        }
        positions = lists.get("share_by_position")
        parts += [
            f"<h2>Served candidate lists ({lists['appearances']} appearances)</h2>",
            "<div class=charts>",
            _bars(
                f"Selection rate by {focus} (on the page the lead saw)",
                categories,
                {
                    "before re-ranking": [rates_before.get(c, 0.0) for c in categories],
                    "after re-ranking": [rates_after.get(c, 0.0) for c in categories],
                },
                ylabel="selection rate",
            ),
            _bars(
                f"Impact ratio after re-ranking, {intersect}",
                list(ratios),
                {"impact ratio": list(ratios.values())},
                ylabel="impact ratio",
                threshold=FOUR_FIFTHS,
            ),
            _share_chart(positions, categories[-1:]) if positions else "",
            "</div><h3>Before re-ranking</h3>",
            _impact_table(before[focus]),
            "<h3>After re-ranking (served)</h3>",
            _impact_table(after[focus]),
            f"<h3>After re-ranking, {html.escape(intersect)}</h3>",
            _impact_table(after[intersect]),
            f"<h3>Scoring rate (model score above the median), {focus}</h3>",
            _impact_table(lists["scoring"][focus]),
            _exposure_text(lists),
        ]
    if report.trend:
        parts += [
            "<h2>Trend</h2>",
            _lines(
                f"{focus} impact ratio per week",
                [t["week"] for t in report.trend],
                {
                    "before re-ranking": [t["impact_ratio_before"] for t in report.trend],
                    "after re-ranking": [t["impact_ratio_after"] for t in report.trend],
                },
                ylabel="impact ratio",
                threshold=FOUR_FIFTHS,
            ),
        ]
    if report.interventions:
        moved = report.interventions["moved_up_by_category"]
        parts += [
            "<h2>What the re-ranker and people changed</h2><div class=charts>",
            _bars(
                f"Candidates moved up, by {focus}",
                list(moved),
                {"moved up": list(moved.values())},
                ylabel="moves",
            ),
            "</div><table>",
            *(
                f"<tr><td>{html.escape(k.replace('_', ' '))}</td>"
                f"<td>{html.escape(f'{v:.2f}' if isinstance(v, float) else str(v))}</td></tr>"
                for k, v in report.interventions.items()
                if k != "moved_up_by_category"
            ),
            "</table>",
        ]
    if report.lead_decisions:
        decisions = report.lead_decisions
        shortlist, accept = decisions["shortlisted"]["gender"], decisions["accepted"]["gender"]
        offer = decisions["offered"]["gender"]
        names = [c["category"] for c in shortlist["categories"]]
        parts += [
            f"<h2>Lead decisions on {decisions['applications']} applications</h2>",
            "<div class=charts>",
            _bars(
                "Shortlist, offer and acceptance rate by gender",
                names,
                {
                    "shortlisted": [_rates(shortlist).get(c, 0.0) for c in names],
                    "offered": [_rates(offer).get(c, 0.0) for c in names],
                    "accepted": [_rates(accept).get(c, 0.0) for c in names],
                },
                ylabel="rate among applicants",
            ),
            "</div><h3>Shortlisted</h3>",
            _impact_table(shortlist),
            "<h3>Offered</h3>",
            _impact_table(offer),
            "<h3>Accepted (assigned)</h3>",
            _impact_table(accept),
        ]
    if report.outcomes:
        parts += _outcomes_section(report.outcomes)
    if report.employee_side:
        side = report.employee_side
        parts.append(
            "<h2>What employees are shown</h2><p class=note>Mean level and hours of the "
            "opportunities shown, compared with colleagues of the same level and title "
            "(difference from the best-served group).</p><table><tr><th>group</th>"
            "<th>level gap</th><th>hours gap</th></tr>"
        )
        hours = {c["category"]: c for c in side["hours"]["categories"]}
        for c in side["level"]["categories"]:
            h = hours.get(c["category"], {})
            parts.append(
                f"<tr><td>{html.escape(c['category'])}</td><td>{_num(c['difference'])}</td>"
                f"<td>{_num(h.get('difference'))}</td></tr>"
            )
        parts.append("</table>")
    if report.oversight:
        parts.append(
            "<h2>Human oversight</h2><table><tr><th>when</th><th>who</th><th>action</th>"
            "<th>kind / opportunity</th><th>reason</th></tr>"
        )
        for event in report.oversight:
            target = event["kind"] or event["opportunity_external_id"] or ""
            parts.append(
                f"<tr><td>{event['at'][:16]}</td><td>{event['actor_role']}</td>"
                f"<td>{event['action']}</td><td>{html.escape(target)}</td>"
                f"<td>{html.escape(event['reason'])}</td></tr>"
            )
        parts.append("</table>")
    for direction, view in report.models.items():
        top = view["importance"][:8]
        parts += [
            f"<h2>The {direction} ranker: {html.escape(view['version'])}</h2>",
            "<p class=note>Importance: share of the model's total gain. Partial dependence: "
            f"the mean score over {view['rows']} served feature rows with one feature set to "
            "each value, everything else as served.</p><div class=charts>",
            _bars(
                "Feature importance (gain share)",
                [t["feature"] for t in top],
                {"gain share": [t["share"] for t in top]},
                ylabel="share",
            ),
        ]
        for curve in view["partial_dependence"]:
            parts.append(
                _lines(
                    f"Partial dependence: {curve['feature']}",
                    [f"{g:.2g}" for g in curve["grid"]],
                    {"mean score": curve["mean_score"]},
                    ylabel="mean score",
                )
            )
        parts.append("</div>")
    parts.append(
        "<h2>All figures (JSON)</h2><details><summary>show</summary><pre>"
        f"{html.escape(json.dumps(data, indent=1))}</pre></details></body></html>"
    )
    return "\n".join(parts)


def _share_chart(positions: dict[str, Any], shown: list[str]) -> str:
    """The lowest-rate category's share of each position (the one re-ranking is about)."""
    series = {
        f"{c} {stage}": positions[stage].get(c, [0.0] * len(positions["positions"]))
        for stage in ("before", "after")
        for c in shown
    }
    return _lines("Share by position", positions["positions"], series, ylabel="share")


def _exposure_text(lists: dict[str, Any]) -> str:
    if "withheld" in lists:
        return f"<h3>Exposure</h3><p class=note>{html.escape(lists['withheld'])}</p>"
    return (
        "<h3>Exposure (1/log2(1+rank))</h3><p>min exposure ratio before: "
        f"{lists['exposure_before_reranking']['min_exposure_ratio']}, after: "
        f"{lists['exposure_after_reranking']['min_exposure_ratio']}</p>"
    )


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"
