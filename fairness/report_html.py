"""HR's fairness report as one self-contained HTML page: charts as inline SVG (matplotlib, no
scripts, no network), the numbers behind them in tables, and the raw figures as JSON.

Group names, departments and every other text people typed are data, never markup: in HTML
each is escaped (control characters shown as `\\xNN`); in a chart each text is drawn as plain
text (matplotlib would parse `$...$` as mathtext: a department named `Ops $\\undefined{$` made
the page a 500 for everyone), shortened, and drawn with `?`-like replacement glyphs where the
font has none (a missing glyph is a warning, and the page must not depend on one). Charts are
made on `Figure` objects, not pyplot, whose global figure registry is not thread-safe.

Figures suppressed for small cells (fairness/small_cells.py) are said to be suppressed in the
tables and left out of the charts.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import io
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

from fairness.metrics import BELOW, FOUR_FIFTHS, ImpactTable, ShownRate
from fairness.outcomes import MarketplaceOutcomes
from fairness.report import FairnessReport
from fairness.report_sections import (
    CandidateLists,
    EmployeeSide,
    Interventions,
    LeadDecisions,
    ReportWindow,
    ShareByPosition,
)

BEFORE, AFTER, LINE = "#9aa5b1", "#2f6db5", "#c0392b"
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}table{border-collapse:collapse}
td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right}th:first-child,
td:first-child{text-align:left}.flag{color:#c0392b;font-weight:600}.note{color:#555}
.charts{display:flex;flex-wrap:wrap;gap:1em}.breach{background:#fdecea;padding:.6em 1em}
.suppressed{color:#777;font-style:italic}
"""
CHART_LABEL_CHARS = 40  # longer labels are cut in a chart (the tables show them whole)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _h(value: Any) -> str:
    """Text for HTML: escaped, with control characters shown rather than passed on."""
    text = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
    return html.escape(text, quote=True)


@functools.cache
def _glyphs() -> frozenset[int]:
    """The code points the charts' font can draw."""
    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    return frozenset(FT2Font(path).get_charmap())


def _chart_text(value: Any) -> str:
    """A label as a chart draws it: one line, at most CHART_LABEL_CHARS characters, every
    character one the font has (else U+FFFD)."""
    text = " ".join(CONTROL.sub(" ", str(value)).split())
    if len(text) > CHART_LABEL_CHARS:
        text = text[: CHART_LABEL_CHARS - 1] + "…"
    glyphs = _glyphs()
    missing = "\ufffd" if 0xFFFD in glyphs else "?"
    return "".join(c if ord(c) in glyphs else missing for c in text)


def _svg(figure: Figure) -> str:
    # Every text plain: no mathtext, no LaTeX, whatever the labels hold.
    for text in figure.findobj(Text):
        text.set_parse_math(False)
        text.set_usetex(False)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _new_chart() -> tuple[Figure, Any]:
    figure = Figure(figsize=(5.2, 3.2))
    return figure, figure.subplots()


def _bars(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    ylabel: str,
    threshold: float | None = None,
) -> str:
    figure, axis = _new_chart()
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        offsets = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        axis.bar(
            offsets,
            values,
            width,
            label=_chart_text(name),
            color=(BEFORE, AFTER, "#7fb77e")[i % 3],
        )
    if threshold is not None:
        axis.axhline(threshold, color=LINE, linestyle="--", linewidth=1, label="four-fifths")
    axis.set_xticks(
        range(len(labels)),
        [_chart_text(label) for label in labels],
        rotation=30 if len(labels) > 4 else 0,
        ha="right" if len(labels) > 4 else "center",
        fontsize=8,
        parse_math=False,
    )
    axis.set_title(_chart_text(title), fontsize=10, parse_math=False)
    axis.set_ylabel(_chart_text(ylabel), fontsize=9, parse_math=False)
    if axis.get_legend_handles_labels()[0]:  # an empty window draws nothing to label
        axis.legend(fontsize=8)
    return _svg(figure)


def _lines(
    title: str,
    x: Sequence[Any],
    series: Mapping[str, Sequence[float | None]],
    *,
    ylabel: str,
    threshold: float | None = None,
) -> str:
    figure, axis = _new_chart()
    for i, (name, values) in enumerate(series.items()):
        ys = [float("nan") if v is None else v for v in values]
        axis.plot(
            list(range(len(x))),
            ys,
            marker="o",
            markersize=3,
            label=_chart_text(name),
            color=(BEFORE, AFTER, "#7fb77e", "#b57f2f")[i % 4],
        )
    if threshold is not None:
        axis.axhline(threshold, color=LINE, linestyle="--", linewidth=1, label="four-fifths")
    step = max(1, len(x) // 10)
    axis.set_xticks(
        list(range(0, len(x), step)),
        [_chart_text(v) for v in x][::step],
        fontsize=8,
        parse_math=False,
    )
    axis.set_title(_chart_text(title), fontsize=10, parse_math=False)
    axis.set_ylabel(_chart_text(ylabel), fontsize=9, parse_math=False)
    if axis.get_legend_handles_labels()[0]:  # an empty window draws nothing to label
        axis.legend(fontsize=8)
    return _svg(figure)


def _suppressed_cell(row: Mapping[str, object], span: int = 1) -> str:
    why = row.get("reason") or "small cell"
    return f"<td colspan={span} class=suppressed>suppressed ({_h(why)})</td>"


def _range(interval: Sequence[float] | None) -> str:
    return "" if interval is None else f" ({interval[0]:.2f} to {interval[1]:.2f})"


def _impact_table(impact: ImpactTable) -> str:
    """Rates with their 95% Wilson interval, impact ratios with their 95% Katz interval and
    the verdict; a group too few to judge says so, with its n."""
    rows = []
    for c in impact["categories"]:
        if c["suppressed"]:
            rows.append(f"<tr><td>{_h(c['category'])}</td>{_suppressed_cell(c, 6)}</tr>")
            continue
        ratio = "n/a" if c["impact_ratio"] is None else f"{c['impact_ratio']:.2f}"
        verdict = c["too_few"] or c["verdict"]
        css = ' class="flag"' if c["verdict"] == BELOW else ""
        rows.append(
            f"<tr><td>{_h(c['category'])}</td><td>{c['people']}</td><td>{c['count']}</td>"
            f"<td>{c['selected']}</td><td>{c['rate']:.3f}{_range(c['rate_ci'])}</td>"
            f"<td{css}>{ratio}{_range(c['impact_ratio_ci'])}</td><td>{_h(verdict)}</td></tr>"
        )
    warnings = "".join(f"<li>{_h(w)}</li>" for w in impact["warnings"])
    unknown = impact["unknown_count"]
    return (
        f"<table><tr><th>{_h(impact['attribute'])}</th><th>people</th><th>rows</th>"
        "<th>selected</th><th>rate (95% interval)</th><th>impact ratio (95% interval)</th>"
        f"<th>verdict</th></tr>{''.join(rows)}</table>"
        f"<p class=note>unknown category: {'suppressed' if unknown is None else unknown}</p>"
        + (f"<ul class=note>{warnings}</ul>" if warnings else "")
    )


def _shown(impact: ImpactTable) -> list[str]:
    """The categories of an impact table that a chart names (not suppressed)."""
    return [c["category"] for c in _rows_shown(impact)]


def _judged(impact: ImpactTable) -> list[str]:
    """The categories whose figures a chart may draw: shown and not too few to judge."""
    return [c["category"] for c in _rows_shown(impact) if not c["excluded"]]


def _rows_shown(impact: ImpactTable) -> list[ShownRate]:
    return [c for c in impact["categories"] if not c["suppressed"]]


def _axis_labels(impact: ImpactTable, names: Sequence[str]) -> list[str]:
    """A chart's category labels: a group too few to judge is named with its n and no bar."""
    people = {c["category"]: c["people"] for c in _rows_shown(impact) if c["excluded"]}
    return [f"{n} (too few, n = {people[n]})" if n in people else n for n in names]


def _drawn(
    values: Mapping[str, float | None], names: Sequence[str], judged: Sequence[str]
) -> list[float]:
    drawn = [values.get(n) if n in judged else None for n in names]
    return [float("nan") if v is None else v for v in drawn]


def _rates(impact: ImpactTable) -> dict[str, float]:
    return {c["category"]: c["rate"] for c in _rows_shown(impact)}


def _figure(value: Any, unit: str = "") -> str:
    return "n/a" if value is None else f"{value}{unit}"


def _share_table(title: str, by: Mapping[str, Mapping[str, object]], columns: Sequence[str]) -> str:
    """The numbers behind a chart by kind or department (names shown whole, escaped)."""
    head = "".join(f"<th>{_h(c.replace('_', ' '))}</th>" for c in columns)
    rows = "".join(
        f"<tr><td>{_h(name)}</td>" + "".join(f"<td>{_h(_figure(v[c]))}</td>" for c in columns)
        for name, v in by.items()
    )
    return f"<h3>{_h(title)}</h3><table><tr><th></th>{head}</tr>{rows}</table>"


def _outcomes_section(outcomes: MarketplaceOutcomes) -> list[str]:
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
        *(f"<tr><td>{_h(k)}</td><td>{_h(v)}</td></tr>" for k, v in rows),
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
        _share_table("Participation by department", part["by_department"], PARTICIPATION),
        _share_table("Internal fill rate by kind", fill["by_kind"], FILL),
        _share_table("Internal fill rate by department", fill["by_department"], FILL),
    ]


PARTICIPATION = ("employees", "applied", "assigned")
FILL = ("posted", "filled_internally", "rate")


def _window_words(window: ReportWindow) -> str:
    start, end = window.get("from"), window.get("to")
    period = (f"from {start[:10]}" if start else "from the first record") + (
        f" to {end[:10]}" if end else " to now"
    )
    focus = str(window.get("focus_attribute", "gender")).replace("_", " ")
    counted = [f"{window['applications']} applications"] if "applications" in window else []
    cells = window.get("min_cell")
    suppression = (
        f"; cells of fewer than {cells} people are suppressed"
        if cells
        else "; every cell is shown (auditor)"
    )
    return (
        f"Period: {period}; groups compared by {focus}"
        + (f"; {', '.join(counted)}" if counted else "")
        + (suppression if "min_cell" in window else "")
    )


def render_html(report: FairnessReport) -> str:
    data = report.as_dict()
    focus = report.window["focus_attribute"]
    parts = [
        "<!doctype html><html><head><meta charset=utf-8><title>Fairness report</title>",
        f"<style>{STYLE}</style></head><body><h1>Fairness report</h1>",
        f"<p class=note>{_h(_window_words(report.window))}. Impact ratio = a category's "
        "rate ÷ the highest category's (NYC LL144); flagged below 0.8 (EEOC four-fifths rule; "
        "LL144 sets no threshold).</p>",
    ]
    if report.breaches:
        items = "".join(f"<li>{_h(b)}</li>" for b in report.breaches)
        parts.append(f"<div class=breach><b>Below four-fifths</b><ul>{items}</ul></div>")
    if report.cautions:
        items = "".join(f"<li>{_h(c)}</li>" for c in report.cautions)
        parts.append(f"<div><b>Not enough evidence to judge</b><ul>{items}</ul></div>")
    lists = report.candidate_lists
    if lists:
        parts += _candidate_section(lists, focus)
    parts += _trend_section(report, focus)
    if report.interventions:
        parts += _interventions_section(report.interventions, focus)
    if report.lead_decisions:
        parts += _decisions_section(report.lead_decisions)
    if report.outcomes:
        parts += _outcomes_section(report.outcomes)
    if report.employee_side:
        parts += _employee_section(report.employee_side)
    if report.oversight:
        parts.append(
            "<h2>Human oversight</h2><table><tr><th>when</th><th>who</th><th>action</th>"
            "<th>kind / opportunity</th><th>reason</th></tr>"
        )
        for event in report.oversight:
            target = event["kind"] or event["opportunity_external_id"] or ""
            parts.append(
                f"<tr><td>{_h(event['at'][:16])}</td><td>{_h(event['actor_role'])}</td>"
                f"<td>{_h(event['action'])}</td><td>{_h(target)}</td>"
                f"<td>{_h(event['reason'])}</td></tr>"
            )
        parts.append("</table>")
    for direction, view in report.models.items():
        top = view["importance"][:8]
        parts += [
            f"<h2>The {_h(direction)} ranker: {_h(view['version'])}</h2>",
            "<p class=note>Importance: share of the model's total gain. Partial dependence: "
            f"the mean score over {_h(view['rows'])} served feature rows with one feature set "
            "to each value, everything else as served.</p><div class=charts>",
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
        f"{_h(json.dumps(data, indent=1))}</pre></details></body></html>"
    )
    return "\n".join(parts)


def _trend_section(report: FairnessReport, focus: str) -> list[str]:
    """Weekly: the served lists' impact ratio, and the shortlisting rate by gender over the
    trailing weeks; in words where there are fewer than two weeks."""
    parts = ["<h2>Weekly trend</h2>"]
    weeks = report.trend
    if len(weeks) < 2:
        said = (
            f"Served candidate lists fall in one week ({weeks[0]['week']}); a trend needs two."
            if weeks
            else "No candidate lists were served in this window."
        )
        parts.append(f"<p class=note>{_h(said)}</p>")
    else:
        parts.append(
            _lines(
                f"{focus} impact ratio per week (groups too few to judge left out)",
                [t["week"] for t in weeks],
                {
                    "before re-ranking": [t["impact_ratio_before"] for t in weeks],
                    "after re-ranking": [t["impact_ratio_after"] for t in weeks],
                },
                ylabel="impact ratio",
                threshold=FOUR_FIFTHS,
            )
        )
    # .get: a report made by hand (tests) may leave the weekly points out.
    shortlisting = report.lead_decisions.get("weekly", []) if report.lead_decisions else []
    groups = sorted({g for t in shortlisting for g in t["shortlisted_rate"]})
    if len(shortlisting) >= 2 and groups:
        parts.append(
            _lines(
                f"Shortlisting rate by gender per week, each with the "
                f"{shortlisting[0]['weeks_read']} weeks to it",
                [t["week"] for t in shortlisting],
                {g: [t["shortlisted_rate"].get(g) for t in shortlisting] for g in groups},
                ylabel="shortlisting rate",
            )
        )
    return parts


def _candidate_section(lists: CandidateLists, focus: str) -> list[str]:
    before = lists["selection_before_reranking"]
    after = lists["selection_after_reranking"]
    categories = _shown(after[focus])
    judged = _judged(after[focus])
    rates_before, rates_after = _rates(before[focus]), _rates(after[focus])
    intersect = next(a for a in after if "×" in a)
    cells = _shown(after[intersect])
    ratios = {c["category"]: c["impact_ratio"] for c in _rows_shown(after[intersect])}
    positions = lists.get("share_by_position")
    return [
        f"<h2>Served candidate lists ({_h(lists['appearances'])} appearances)</h2>",
        "<div class=charts>",
        _bars(
            f"Selection rate by {focus} (on the page the lead saw)",
            _axis_labels(after[focus], categories),
            {
                "before re-ranking": _drawn(rates_before, categories, judged),
                "after re-ranking": _drawn(rates_after, categories, judged),
            },
            ylabel="selection rate",
        ),
        _bars(
            f"Impact ratio after re-ranking, {intersect}",
            _axis_labels(after[intersect], cells),
            {"impact ratio": _drawn(ratios, cells, _judged(after[intersect]))},
            ylabel="impact ratio",
            threshold=FOUR_FIFTHS,
        ),
        _share_chart(positions, judged[-1:]) if positions else "",
        "</div><h3>Before re-ranking</h3>",
        _impact_table(before[focus]),
        "<h3>After re-ranking (served)</h3>",
        _impact_table(after[focus]),
        f"<h3>After re-ranking, {_h(intersect)}</h3>",
        _impact_table(after[intersect]),
        f"<h3>Scoring rate (model score above the median), {_h(focus)}</h3>",
        _impact_table(lists["scoring"][focus]),
        _exposure_text(lists),
        _position_table(positions) if positions else "",
    ]


def _interventions_section(interventions: Interventions, focus: str) -> list[str]:
    moved = {c: n for c, n in interventions["moved_up_by_category"].items() if n is not None}
    hidden = interventions.get("suppressed", {})
    rows = [
        f"<tr><td>moved up: {_h(c)}</td>"
        + (f"<td>{_h(n)}</td>" if n is not None else _suppressed_cell(hidden))
        + "</tr>"
        for c, n in interventions["moved_up_by_category"].items()
    ]
    return [
        "<h2>What the re-ranker and people changed</h2><div class=charts>",
        _bars(
            f"Candidates moved up, by {focus}",
            list(moved),
            {"moved up": list(moved.values())},
            ylabel="moves",
        ),
        "</div><table>",
        *(
            f"<tr><td>{_h(k.replace('_', ' '))}</td>"
            f"<td>{_h(f'{v:.2f}' if isinstance(v, float) else v)}</td></tr>"
            for k, v in interventions.items()
            if k not in ("moved_up_by_category", "suppressed")
        ),
        *rows,
        "</table>",
    ]


def _decisions_section(decisions: LeadDecisions) -> list[str]:
    shortlist, accept = decisions["shortlisted"]["gender"], decisions["accepted"]["gender"]
    offer = decisions["offered"]["gender"]
    names = [
        c for c in _shown(shortlist) if c in _rates(offer) and c in _rates(accept)
    ]  # a category suppressed in one table is left out of the chart of all three
    return [
        f"<h2>Lead decisions on {_h(decisions['applications'])} applications</h2>",
        "<div class=charts>",
        _bars(
            "Shortlist, offer and acceptance rate by gender",
            _axis_labels(shortlist, names),
            {
                "shortlisted": _drawn(_rates(shortlist), names, _judged(shortlist)),
                "offered": _drawn(_rates(offer), names, _judged(shortlist)),
                "accepted": _drawn(_rates(accept), names, _judged(shortlist)),
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


def _employee_section(side: EmployeeSide) -> list[str]:
    parts = [
        "<h2>What employees are shown</h2><p class=note>Mean level and hours of the "
        "opportunities shown, compared with colleagues of the same level and title "
        "(difference from the best-served group).</p><table><tr><th>group</th>"
        "<th>level gap</th><th>hours gap</th></tr>"
    ]
    hours = {c["category"]: c for c in side["hours"]["categories"]}
    for c in side["level"]["categories"]:
        # .get: a comparison made by hand (tests) may carry no flag.
        if c.get("suppressed"):
            parts.append(f"<tr><td>{_h(c['category'])}</td>{_suppressed_cell(c, 2)}</tr>")
            continue
        h = hours.get(c["category"])
        parts.append(
            f"<tr><td>{_h(c['category'])}</td><td>{_num(c['difference'])}</td>"
            f"<td>{_num(None if h is None else h['difference'])}</td></tr>"
        )
    parts.append("</table>")
    return parts


def _share_chart(positions: ShareByPosition, shown: list[str]) -> str:
    """The lowest-rate category's share of each position (the one re-ranking is about)."""
    none_held: list[float | None] = [0.0] * len(positions["positions"])
    series = {
        f"{c} {stage}": shares.get(c, none_held)
        for stage, shares in (("before", positions["before"]), ("after", positions["after"]))
        for c in shown
    }
    return _lines("Share by position", positions["positions"], series, ylabel="share")


def _position_table(positions: ShareByPosition) -> str:
    """Each category's share of each position after re-ranking (suppressed ones said so)."""
    head = "".join(f"<th>{_h(p)}</th>" for p in positions["positions"])
    rows = "".join(
        f"<tr><td>{_h(c)}</td>"
        + "".join(
            "<td class=suppressed>suppressed</td>" if v is None else f"<td>{v:.2f}</td>"
            for v in values
        )
        + "</tr>"
        for c, values in sorted(positions["after"].items())
    )
    return (
        "<h3>Share of each position after re-ranking</h3>"
        f"<table><tr><th>position</th>{head}</tr>{rows}</table>"
    )


def _exposure_text(lists: CandidateLists) -> str:
    if "withheld" in lists:
        return f"<h3>Exposure</h3><p class=note>{_h(lists['withheld'])}</p>"
    return (
        "<h3>Exposure (1/log2(1+rank))</h3><p>min exposure ratio before: "
        f"{_h(_figure(lists['exposure_before_reranking']['min_exposure_ratio']))}, after: "
        f"{_h(_figure(lists['exposure_after_reranking']['min_exposure_ratio']))}</p>"
    )


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def building_page(queued_at: dt.datetime, retry_after: int, poll: str) -> str:
    """What report.html answers (202) while the report is built: it reloads itself at `poll`
    (the same page with its job's id)."""
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f'<meta http-equiv="refresh" content="{int(retry_after)}; url={_h(poll)}">'
        f"<title>Fairness report</title><style>{STYLE}</style></head><body>"
        "<h1>Fairness report</h1><p>The report is being built (asked for at "
        f"{_h(queued_at.strftime('%H:%M:%S'))} UTC). This page reloads itself every "
        f"{int(retry_after)} s until it is ready.</p></body></html>"
    )
