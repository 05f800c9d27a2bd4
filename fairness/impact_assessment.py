"""An impact assessment of the ranking, drafted from the system's own figures for HR to complete
(Colorado's AI Act asks deployers for one; the EU AI Act's deployer duties read alike).

What the system can state, it states: what ranking is for, what it reads and never reads, the
fairness monitor's reading week by week over the period (the monitor's figure, recomputed per
ISO week: the selection impact ratio of served candidate lists before and after re-ranking,
small cells suppressed), the human oversight in place (each kind's policy or pause, the
interleaving tests, the oversight log's actions in the period, the promotion gates), and the
weeks the monitor would have alerted on (a ratio under four-fifths). What only people can
say (the risks they foresee, the mitigations they commit to, who signs) is left in marked
sections for HR to complete; the draft never pretends to have said it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from data.storage.interleaving import all_settings
from data.storage.oversight import events as oversight_events
from data.storage.versions import UNCOUNTED_EVENTS
from fairness.audit_log import AuditLog
from fairness.demographics import ATTRIBUTES
from fairness.metrics import FOUR_FIFTHS
from fairness.policy import all_policies
from fairness.report import served_impact

PURPOSE = (
    "The marketplace ranks internal opportunities (gigs, mentorships, roles) for each employee "
    "and ranks employees as candidates for each opportunity, from skills, levels, availability, "
    "interests and history. It recommends; it decides nothing: leads shortlist, offer and "
    "assign, and employees choose what to apply for."
)
GATES = (
    "A new ranker is promoted only past the quality gate (offline evaluation against baselines) "
    "and the fairness gate (fairness/model_gate.py: refused when its lowest selection impact "
    "ratio on held-out lists is under four-fifths or falls behind the live model's), and the "
    "off-policy gate where a model learnt from served lists; the previous version can be "
    "rolled back (talent models rollback)."
)
HR_SECTIONS = (
    ("Foreseeable risks of algorithmic discrimination", "who could be harmed, how, how likely"),
    ("Mitigations committed to", "policies, reviews, thresholds that trigger action, owners"),
    ("Notices and routes to human review", "how people are told and how they contest"),
    ("Sign-off", "name, role and date of the people accountable; the next review's date"),
)


@dataclass
class AssessmentFacts:
    """What the serving layer hands in: facts of the running system outside `fairness/`."""

    features: list[tuple[str, str]]  # (name, meaning) from the feature registry
    never_read: list[str]  # profile fields no ranking input holds
    live_models: list[dict[str, Any]]  # direction, version, source
    min_cell: int
    monitor_attribute: str = "gender"
    extra: dict[str, Any] = field(default_factory=dict)


def weekly_monitor(
    session: Session,
    audit: AuditLog,
    start: dt.date,
    end: dt.date,
    *,
    attribute: str,
    min_cell: int,
) -> list[dict[str, Any]]:
    """The monitor's reading per ISO week of [start, end] (whole UTC days; the first and last
    weeks cut to the period), for the weeks with a served candidate list."""
    first = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    monday = first - dt.timedelta(days=start.weekday())
    weeks = []
    while monday < after:
        since, until = max(monday, first), min(monday + dt.timedelta(days=7), after)
        reading = served_impact(
            session, audit, since, until, attribute=attribute, min_cell=min_cell
        )
        if reading["rankings"]:
            weeks.append({"week": monday.strftime("%G-W%V"), **reading})
        monday += dt.timedelta(days=7)
    return weeks


def draft(
    session: Session,
    audit: AuditLog,
    start: dt.date,
    end: dt.date,
    facts: AssessmentFacts,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The assessment's figures for [start, end] (whole UTC days)."""
    weeks = weekly_monitor(
        session, audit, start, end, attribute=facts.monitor_attribute, min_cell=facts.min_cell
    )
    first = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    actions = Counter(
        row.action
        for row in oversight_events(session, first, after)
        if row.action not in UNCOUNTED_EVENTS
    )
    return {
        "drafted_at": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "purpose": PURPOSE,
        "features": facts.features,
        "never_read": facts.never_read,
        "protected_attributes": list(ATTRIBUTES),
        "live_models": facts.live_models,
        "monitor": {
            "attribute": facts.monitor_attribute,
            "min_cell": facts.min_cell,
            "threshold": FOUR_FIFTHS,
            "weeks": weeks,
        },
        "incidents": [
            {"week": w["week"], "impact_ratio_after": w["impact_ratio_after"]}
            for w in weeks
            if w["breach"]
        ],
        "policies": {
            kind: {"policy": s.name, "paused": s.paused, **s.params()}
            for kind, s in all_policies(session).items()
        },
        "interleaving": [
            {
                "kind": row.kind,
                "direction": row.direction,
                "challenger": row.challenger_version,
                "enabled": row.enabled,
            }
            for row in all_settings(session)
        ],
        "oversight_actions": dict(sorted(actions.items())),
        "gates": GATES,
    }
