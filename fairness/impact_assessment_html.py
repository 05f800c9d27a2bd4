"""The impact assessment (fairness/impact_assessment.py) as an HTML page (and so as PDF):
the system's figures, and dashed boxes marked "HR to complete" where only people can answer."""

from __future__ import annotations

import html
from typing import Any

from fairness.bias_audit_render import page
from fairness.impact_assessment import HR_SECTIONS

FOR_HR = "HR to complete"


def _h(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _todo(title: str, asks: str) -> str:
    return (
        f'<div class="todo"><strong>[{FOR_HR}] {_h(title)}</strong>'
        f'<p class="note">{_h(asks)}</p><p>&nbsp;</p></div>'
    )


def _monitor(monitor: dict[str, Any]) -> str:
    if not monitor["weeks"]:
        return "<p>No candidate list was served in the period: the monitor had nothing to read.</p>"
    head = (
        "<tr><th>ISO week</th><th>lists</th><th>appearances</th><th>impact ratio before "
        "re-ranking</th><th>after</th><th></th></tr>"
    )
    rows = "".join(
        f"<tr><td>{_h(w['week'])}</td><td>{w['rankings']}</td><td>{w['appearances']}</td>"
        f"<td>{_ratio(w['impact_ratio_before'])}</td><td>{_ratio(w['impact_ratio_after'])}</td>"
        f"<td>{'under four-fifths' if w['breach'] else ''}</td></tr>"
        for w in monitor["weeks"]
    )
    return (
        f"<p>The fairness monitor's figure, recomputed per ISO week: the lowest selection impact "
        f"ratio by {_h(monitor['attribute'])} of the candidate lists served (on the page or not), "
        f"over the categories with at least {monitor['min_cell']} people in each cell; "
        f"a ratio under {monitor['threshold']} raises the monitor's breach.</p>"
        f"<table>{head}{rows}</table>"
    )


def _oversight(assessment: dict[str, Any]) -> str:
    policies = "".join(
        f"<tr><td>{_h(kind)}</td><td>{_h('paused' if p['paused'] else p['policy'])}</td>"
        f"<td class='note'>{_h(', '.join(f'{k}={v}' for k, v in p.items() if k not in ('policy', 'paused')))}</td></tr>"  # noqa: E501
        for kind, p in assessment["policies"].items()
    )
    tests = "".join(
        f"<li>{_h(t['kind'])}, {_h(t['direction'])} side: challenger {_h(t['challenger'])} "
        f"({'on' if t['enabled'] else 'off'})</li>"
        for t in assessment["interleaving"]
    )
    actions = "".join(
        f"<li>{_h(action)}: {count}</li>"
        for action, count in assessment["oversight_actions"].items()
    )
    return (
        "<h3>Re-ranking policy or pause, per kind</h3>"
        f"<table><tr><th>kind</th><th>policy</th><th>parameters</th></tr>{policies}</table>"
        "<h3>Interleaving tests (a challenger model tried on part of the lists)</h3>"
        f"<ul>{tests or '<li>none set up</li>'}</ul>"
        "<h3>People's actions on the oversight log in the period</h3>"
        f"<p class='note'>Pauses, policy changes, pins, hides and revocations, each with its "
        f"reason; auditors' reads are logged too but not counted here.</p>"
        f"<ul>{actions or '<li>none</li>'}</ul>"
        f"<h3>Gates before a model serves</h3><p>{_h(assessment['gates'])}</p>"
    )


def render_assessment(assessment: dict[str, Any]) -> str:
    period = assessment["period"]
    features = "".join(
        f"<tr><td>{_h(name)}</td><td class='note'>{_h(meaning)}</td></tr>"
        for name, meaning in assessment["features"]
    )
    models = "".join(
        f"<li>{_h(m['direction'])} direction: {_h(m['version'])} ({_h(m['source'])})</li>"
        for m in assessment["live_models"]
    )
    incidents = "".join(
        f"<li>{_h(i['week'])}: impact ratio after re-ranking {_ratio(i['impact_ratio_after'])} "
        f"(monitor breach)</li>"
        for i in assessment["incidents"]
    )
    body = [
        "<h1>Impact assessment of automated ranking — draft</h1>",
        f"<p>Drafted {_h(assessment['drafted_at'])} from the system's own records, for the "
        f"period {_h(period['start'])} to {_h(period['end'])} (UTC days). Sections marked "
        f"<strong>[{FOR_HR}]</strong> are not the system's to answer.</p>",
        "<h2>1. Purpose and intended use</h2>",
        f"<p>{_h(assessment['purpose'])}</p>",
        _todo("Intended benefits and the decisions the ranking informs", "in your own words"),
        "<h2>2. Data the ranking reads, and never reads</h2>",
        f"<p>Models serving now:</p><ul>{models}</ul>",
        f"<p>The ranker's features (the registry every model is checked against):</p>"
        f"<table>{features}</table>",
        "<p>Never read by any ranking input: "
        f"{_h(', '.join(assessment['never_read']))}. The protected attributes "
        f"({_h(', '.join(assessment['protected_attributes']))}) are self-reported, stored apart "
        "and read only by the fairness code: re-ranking policies that HR sets, and audits.</p>",
        "<h2>3. The fairness monitor over time</h2>",
        _monitor(assessment["monitor"]),
        "<h2>4. Human oversight in place</h2>",
        _oversight(assessment),
        "<h2>5. Incidents</h2>",
        f"<ul>{incidents}</ul>"
        if incidents
        else "<p>No week of the period had the monitor under four-fifths.</p>",
        _todo("Other incidents and complaints", "reported issues, reviews asked for, outcomes"),
        "<h2>6. For HR to complete</h2>",
        *(_todo(title, asks) for title, asks in HR_SECTIONS),
    ]
    return page("Impact assessment (draft)", "".join(body))
