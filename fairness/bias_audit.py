"""A bias audit in the form NYC Local Law 144 asks for (6 RCNY §5-301), for one period and kind.

Categories: sex (`gender` as self-reported), race/ethnicity, and their intersection; a person
whose category is not reported is counted apart (never in a rate), and so is, for the
intersection, anyone of whom one part is unknown. Two samples:

- **Pass/fail steps** (selection rates): every application made in the period (an accepted
  invitation logs one too) and whether it was shortlisted, offered and assigned, whenever that
  was decided. An assignment counts as an offer (the demo history logs no offers) and the demo
  history's `accept` counts as an assignment. One row per application: a person who applied
  twice counts twice (`count`), `people` says how many distinct people.
- **Ranked lists** (scoring rates): every appearance of a person on a candidate list served in
  the period (the audit log holds each list's scores); scoring rate = the share of a category's
  appearances scoring strictly above the median score of all appearances (unknowns included:
  they were scored too).

Impact ratio = a category's rate ÷ the highest rate among the categories compared. A category
under 2% of the rows of known category is excluded from the impact ratios (LL144 allows it)
and listed with its count, rate and why. Unlike HR's fairness report, no category is excluded
for being under 30 people: LL144 names the 2% rule only (the 95% intervals say how little a
small category's ratio tells).

With `min_cell`, cells of fewer people are suppressed as everywhere (fairness/small_cells.py):
the public summary is built that way; HR's auditor reading shows every cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from data.schemas import InteractionType
from data.storage.interactions import events_of
from data.storage.opportunity_kinds import kinds_of
from fairness.audit_log import AuditLog
from fairness.demographics import categories
from fairness.metrics import (
    MIN_SHARE,
    CategoryRate,
    ImpactReport,
    category_labels,
    intersection,
    scoring_impact,
    selection_impact,
)
from fairness.small_cells import check_min_cell, reason

KINDS = ("gig", "mentorship", "role")
INTERSECTION = ("gender", "race_ethnicity")
# The attributes as LL144 names them, in the order the audit shows them.
ATTRIBUTE_NAMES = {
    "gender": "sex",
    "race_ethnicity": "race/ethnicity",
    "gender × race_ethnicity": "sex × race/ethnicity",
}
STEPS = ("shortlisted", "offered", "assigned")
SCORED = "scored above the median"
DATA_SOURCE = (
    "historical data of this deployment: the interaction log (applications and the decisions "
    "on them) and the audit log (every candidate list served, with its scores); categories "
    "self-reported by employees"
)
_STEP_OF = {
    InteractionType.SHORTLIST.value: 0,
    InteractionType.OFFER.value: 1,
    InteractionType.ACCEPT.value: 2,  # the demo history's word for assign
    InteractionType.ASSIGN.value: 2,
}


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample's rows: who each row is, and per measure its outcome (or score)."""

    people: list[str]
    outcomes: dict[str, np.ndarray]


@dataclass
class BiasAudit:
    period_start: dt.date
    period_end: dt.date  # inclusive
    kind: str | None  # None: every kind
    audited_at: dt.datetime
    applications: int = 0
    candidate_lists: int = 0
    median_score: float | None = None
    # (measure, attribute) -> impact table; measure: a step of STEPS or SCORED.
    impacts: dict[tuple[str, str], ImpactReport] = field(default_factory=dict)
    unknown_people: dict[tuple[str, str], int] = field(default_factory=dict)

    def as_dict(self, min_cell: int | None = None) -> dict[str, Any]:
        """The audit as published; with `min_cell`, small cells suppressed."""
        check_min_cell(min_cell)
        tables = []
        for (measure, attribute), impact in self.impacts.items():
            shown = impact.as_dict(min_cell)
            known_rows = sum(c.count for c in impact.categories)
            rows: list[dict[str, Any]] = [
                {**row, "share": _share(row["count"], known_rows)} for row in shown["categories"]
            ]
            suppressed = impact.suppressed(min_cell)
            hidden = impact.unknown_label in suppressed
            tables.append(
                {
                    "measure": measure,
                    "sample": "candidate-list appearances" if measure == SCORED else "applications",
                    "attribute": attribute,
                    "attribute_name": ATTRIBUTE_NAMES[attribute],
                    "reference": None if shown["min_impact_ratio"] is None else impact.reference,
                    "categories": rows,
                    "unknown_rows": None if hidden else impact.unknown_count,
                    "unknown_people": None if hidden else self.unknown_people[measure, attribute],
                    "excluded": [
                        _excluded(c, suppressed, min_cell) for c in impact.categories if c.excluded
                    ],
                    "warnings": shown["warnings"],
                }
            )
        return {
            "title": "Bias audit (NYC Local Law 144 form)",
            "audited_at": self.audited_at.isoformat(timespec="seconds"),
            "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
            "kind": self.kind or "all",
            "data_source": DATA_SOURCE,
            "applications": self.applications,
            "candidate_lists": self.candidate_lists,
            "median_score": self.median_score,
            "min_share": MIN_SHARE,
            "min_cell": min_cell,
            "tables": tables,
        }


def _share(count: int | None, known_rows: int) -> float | None:
    """A category's share of the rows with a known category (None: suppressed)."""
    return None if count is None or not known_rows else count / known_rows


def _excluded(row: CategoryRate, suppressed: set[str], min_cell: int | None) -> dict[str, Any]:
    """An excluded category as listed: with its count and rate, or said to be suppressed (LL144
    asks that every excluded category be reported; a small cell's figures are not)."""
    if row.category in suppressed:
        why = f"under {MIN_SHARE:.0%} of the data; figures suppressed: {reason(min_cell or 0)}"
        return {
            "category": row.category,
            "count": None,
            "people": None,
            "rate": None,
            "too_few": why,
        }
    return {
        "category": row.category,
        "count": row.count,
        "people": row.people,
        "rate": row.rate,
        "too_few": row.too_few,
    }


def build_bias_audit(
    session: Session,
    audit: AuditLog,
    period_start: dt.date,
    period_end: dt.date,
    *,
    kind: str | None = None,
    now: dt.datetime | None = None,
) -> BiasAudit:
    """The audit of [period_start, period_end] (whole UTC days) for one kind or all."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known: {KINDS}")
    if period_end < period_start:
        raise ValueError("the period ends before it starts")
    start = dt.datetime.combine(period_start, dt.time(0), tzinfo=dt.UTC)
    end = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    result = BiasAudit(period_start, period_end, kind, now or dt.datetime.now(dt.UTC))
    decided = _applications(session, start, end, kind)
    scored, result.candidate_lists = _appearances(audit, session, start, end, kind)
    result.applications = len(decided.people)
    if len(scored.people):
        result.median_score = float(np.median(scored.outcomes[SCORED]))
    everyone = sorted(set(decided.people) | set(scored.people))
    known = categories(session, everyone, list(INTERSECTION))
    for sample in (decided, scored):
        if not sample.people:
            continue
        columns = _columns(sample.people, known)
        for measure, outcome in sample.outcomes.items():
            for attribute, labels in columns.items():
                impact = _impact(measure, outcome, labels, attribute, sample.people)
                result.impacts[measure, attribute] = impact
                unknown = labels == impact.unknown_label
                result.unknown_people[measure, attribute] = len(
                    set(np.asarray(sample.people, dtype=object)[unknown].tolist())
                )
    return result


def _impact(
    measure: str, outcome: np.ndarray, labels: np.ndarray, attribute: str, people: list[str]
) -> ImpactReport:
    # min_count=1: LL144's exclusion is the 2% rule alone.
    if measure == SCORED:
        return scoring_impact(outcome, labels, attribute=attribute, people=people, min_count=1)
    return selection_impact(outcome, labels, attribute=attribute, people=people, min_count=1)


def _columns(people: Sequence[str], known: dict[str, dict[str, str | None]]) -> dict[str, Any]:
    columns = {a: category_labels([known.get(p, {}).get(a) for p in people]) for a in INTERSECTION}
    combined = intersection(*(columns[a] for a in INTERSECTION), names=INTERSECTION)
    return columns | {combined.attribute: combined.labels}


def _applications(
    session: Session, start: dt.datetime, end: dt.datetime, kind: str | None
) -> Sample:
    """Applications in [start, end) and whether each was shortlisted, offered and assigned."""
    events = events_of(session, [InteractionType.APPLY.value, *_STEP_OF])
    kinds = kinds_of(session, {e[1] for e in events}) if kind is not None else {}
    applied: dict[tuple[str, str], list[bool]] = {}
    steps: list[tuple[tuple[str, str], int]] = []
    for employee, opportunity, event, at in events:
        if kind is not None and kinds.get(opportunity) != kind:
            continue
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        if event == InteractionType.APPLY.value:
            if start <= at < end:
                applied.setdefault((employee, opportunity), [False, False, False])
        else:
            steps.append(((employee, opportunity), _STEP_OF[event]))
    for pair, step in steps:
        if pair in applied:
            applied[pair][step] = True
            if step == 2:  # assigned: an offer was made, logged or not (the demo's)
                applied[pair][1] = True
    pairs = sorted(applied)
    flags = np.array([applied[p] for p in pairs], dtype=bool).reshape(len(pairs), 3)
    return Sample(
        people=[p[0] for p in pairs],
        outcomes={step: flags[:, i] for i, step in enumerate(STEPS)},
    )


def _appearances(
    audit: AuditLog, session: Session, start: dt.datetime, end: dt.datetime, kind: str | None
) -> tuple[Sample, int]:
    """Every person's appearances on candidate lists served in [start, end), with the score."""
    people: list[str] = []
    scores: list[float] = []
    lists = 0
    for record in audit.between(session, start, end, direction="opportunity"):
        if kind is not None and record["kind"] != kind:
            continue
        lists += 1
        for item in record["items"]:
            people.append(item["id"])
            scores.append(item["score"])
    return Sample(people, {SCORED: np.array(scores, dtype=np.float64)}), lists
