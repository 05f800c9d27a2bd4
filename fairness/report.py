"""The figures of HR's fairness report, computed from the audit log and the interaction log.

Demographics are joined here, when the report is computed, never stored with what was served.

- Served candidate lists: "selected" means on the page the lead saw. Rates are per appearance
  (one person in ten lists counts ten times), before re-ranking (by the model's score) and
  after (what was served), by attribute and by sex × race/ethnicity; scoring rates (share
  above the median model score) as in NYC LL144 for scores; exposure 1/log2(1+rank) over the
  pages; the protected group's share at each position; what the re-ranker and people changed.
- Lead decisions: among applicants, who was shortlisted and who was accepted, by group. This
  is where a historical bias shows (the demo company's is against `gender = female`).
- Employee side: among the opportunities served to employees, the level and hours shown to each
  group compared with colleagues of the same level and title.
- Trend: per ISO week with served lists, each group's selection rate before and after
  re-ranking and the impact ratio (groups too few to judge that week left out).

Verdicts (fairness/metrics.py): `breaches` names the groups whose whole 95% interval lies under
four-fifths; `cautions` names those under it on the point estimate whose interval reaches 0.8
(not enough evidence either way) and the groups too few to judge, left out of every verdict.

With `min_cell`, every figure split by a group has its small cells suppressed (counted in
distinct people; fairness/small_cells.py), and ratios and breaches are computed from the cells
shown only; without it (an auditor's reading) every cell is shown.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sqlalchemy.orm import Session

from data.schemas import InteractionType
from data.storage.employees import levels_and_titles
from data.storage.interactions import events_of
from data.storage.opportunities import level_ranges_and_hours
from data.storage.oversight import events as oversight_events
from data.storage.versions import UNCOUNTED_EVENTS
from fairness.audit_log import AuditLog, decode_matrix
from fairness.audit_record import ServedRanking, served_page
from fairness.demographics import ATTRIBUTES, categories
from fairness.exposure import ExposureReport, group_exposure
from fairness.metrics import (
    BELOW,
    FOUR_FIFTHS,
    UNSURE,
    ImpactTable,
    ShownQualityTable,
    ShownRate,
    category_labels,
    intersection,
    scoring_impact,
    selection_impact,
    shown_quality_gap,
)
from fairness.outcomes import MarketplaceOutcomes, marketplace_outcomes
from fairness.report_sections import (
    CandidateLists,
    EmployeeSide,
    EmployeeSideTable,
    GlobalView,
    ImpactTables,
    Interventions,
    LeadDecisions,
    ModelReading,
    OversightLine,
    ReportDocument,
    ReportWindow,
    ShareByPosition,
    ShownQualityShown,
    ShownQualitySuppressed,
    WeeklySelection,
    WeeklyShortlisting,
)
from fairness.small_cells import check_min_cell, hidden_rows, reason, suppressed_marker

# A model's global view (importances, partial dependence) from a sample of the feature rows it
# scored; the serving layer hands it in, so the report does not need the training code.
ModelView = Callable[[np.ndarray | None], GlobalView]

INTERSECTION = ("gender", "race_ethnicity")
MIN_LISTS_PER_CELL = 20
UNKNOWN = "unknown"


@dataclass
class FairnessReport:
    """The report's sections (fairness/report_sections.py); a section with nothing to report
    is None, published as `{}`."""

    window: ReportWindow
    candidate_lists: CandidateLists | None = None
    lead_decisions: LeadDecisions | None = None
    employee_side: EmployeeSide | None = None
    trend: list[WeeklySelection] = field(default_factory=list)
    interventions: Interventions | None = None
    oversight: list[OversightLine] = field(default_factory=list)
    breaches: list[str] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)
    models: dict[str, ModelReading] = field(default_factory=dict)  # per direction
    outcomes: MarketplaceOutcomes | None = None  # fairness/outcomes.py
    # A group too few to judge: the stages it was too few at, and its line among the cautions.
    too_few_stages: dict[tuple[str, ...], list[str]] = field(default_factory=dict, repr=False)
    too_few_lines: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False)

    def as_dict(self) -> ReportDocument:
        return {
            "window": self.window,
            "threshold": FOUR_FIFTHS,
            "breaches": self.breaches,
            "cautions": self.cautions,
            "candidate_lists": self.candidate_lists or {},
            "lead_decisions": self.lead_decisions or {},
            "employee_side": self.employee_side or {},
            "trend": self.trend,
            "interventions": self.interventions or {},
            "oversight": self.oversight,
            "models": self.models,
            "outcomes": self.outcomes or {},
        }


def _by_attribute(
    people: Sequence[str], known: dict[str, dict[str, str | None]]
) -> dict[str, np.ndarray]:
    """Category labels per row for every attribute and the sex × race/ethnicity intersection."""
    columns = {a: category_labels([known.get(p, {}).get(a) for p in people]) for a in ATTRIBUTES}
    combined = intersection(*(columns[a] for a in INTERSECTION), names=INTERSECTION)
    columns[combined.attribute] = combined.labels
    return columns


def _impacts(
    selected: np.ndarray,
    columns: dict[str, np.ndarray],
    people: Sequence[str],
    min_cell: int | None,
) -> ImpactTables:
    return {
        attribute: selection_impact(selected, labels, attribute=attribute, people=people).as_dict(
            min_cell
        )
        for attribute, labels in columns.items()
    }


def build_report(
    session: Session,
    audit: AuditLog,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    focus: str = "gender",
    models: dict[str, tuple[str, ModelView]] | None = None,
    min_cell: int | None = None,
) -> FairnessReport:
    """`models`: direction -> (version, ranker) whose global view to include, computed on the
    feature rows the window's served rankings logged. `min_cell`: suppress cells of fewer
    people (None: show every cell, for auditors)."""
    check_min_cell(min_cell)
    report = FairnessReport(
        window={
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "focus_attribute": focus,
            "min_cell": min_cell,
        }
    )
    lists = list(audit.between(session, start, end, direction="opportunity"))
    matches = list(audit.between(session, start, end, direction="employee"))
    people = sorted(
        {item["id"] for r in lists for item in r["items"]}
        | {r["query_external_id"] for r in matches}
    )
    known = categories(session, people)
    _candidate_lists(report, lists, known, focus, min_cell)
    _lead_decisions(report, session, start, end, min_cell)
    _employee_side(report, session, matches, known, focus, min_cell)
    _oversight(report, session, start, end)
    report.outcomes = marketplace_outcomes(session, start, end, min_cell=min_cell)
    for direction, (version, view) in (models or {}).items():
        served = _view_sample(lists if direction == "opportunity" else matches)
        sample = [decode_matrix(r["features"]) for r in served if r.get("features")]
        rows = np.vstack(sample) if sample else None
        report.models[direction] = {"version": version, **view(rows)}
    return report


VIEW_RECORDS = 500  # newest served rankings whose feature rows a model's global view reads
VIEW_STEP = 50  # the sample moves on every this many rankings


def _view_sample(served: list[ServedRanking]) -> list[ServedRanking]:
    """The rankings a model's global view reads: the newest `VIEW_RECORDS` up to the last
    multiple of `VIEW_STEP` in the log, so the sample (and a cached view of it) stays the same
    while the next rankings are served (all of them while there are fewer)."""
    newest = max((r.get("seq", 0) for r in served), default=0)
    upto = newest // VIEW_STEP * VIEW_STEP
    kept = [r for r in served if r.get("seq", 0) <= upto] or served
    return kept[-VIEW_RECORDS:]


def _candidate_lists(
    report: FairnessReport,
    records: list[ServedRanking],
    known: dict[str, dict[str, str | None]],
    focus: str,
    min_cell: int | None,
) -> None:
    rows_person, before, after, scores = [], [], [], []
    pages_before, pages_after = [], []
    weekly: dict[str, list[tuple[str, bool, bool]]] = defaultdict(list)
    weekly_lists: dict[str, int] = defaultdict(int)
    moves = moved_up = pinned = hidden = reranked = paused = 0
    displacement: list[int] = []
    moved_categories: dict[str, int] = defaultdict(int)
    moved_people: dict[str, set[str]] = defaultdict(set)
    for record in records:
        page = record["page_size"]
        items = record["items"]
        week = dt.datetime.fromisoformat(record["served_at"]).strftime("%G-W%V")
        weekly_lists[week] += 1
        for item in items:
            on_before = item["before"] <= page
            on_after = item["after"] is not None and item["after"] <= page
            rows_person.append(item["id"])
            before.append(on_before)
            after.append(on_after)
            scores.append(item["score"])
            weekly[week].append((item["id"], on_before, on_after))
        by_before = sorted(items, key=lambda i: i["before"])[:page]
        pages_before.append([i["id"] for i in by_before])
        pages_after.append([i["id"] for i in served_page(record)])
        policy = record["policy"]
        reranked += bool(policy.get("applied"))
        paused += policy["name"] == "paused"
        for move in record["moves"]:
            moves += 1
            if move["to"] is not None:
                displacement.append(move["from"] - move["to"])
                if move["to"] < move["from"]:
                    moved_up += 1
                    category = known.get(move["id"], {}).get(focus) or UNKNOWN
                    moved_categories[category] += 1
                    moved_people[category].add(move["id"])
        for override in record["overrides"]:
            pinned += override["action"] == "pin"
            hidden += override["action"] == "hide"
    report.window["served_candidate_lists"] = len(records)
    if not records:
        return
    columns = _by_attribute(rows_person, known)
    selected_before, selected_after = np.array(before), np.array(after)
    lists: CandidateLists = {
        "appearances": len(rows_person),
        "selection_before_reranking": _impacts(selected_before, columns, rows_person, min_cell),
        "selection_after_reranking": _impacts(selected_after, columns, rows_person, min_cell),
        "scoring": {
            a: scoring_impact(np.array(scores), labels, attribute=a, people=rows_person).as_dict(
                min_cell
            )
            for a, labels in columns.items()
        },
    }
    if len(records) >= MIN_LISTS_PER_CELL:
        lists["exposure_before_reranking"] = _exposure(pages_before, known, focus).as_dict(min_cell)
        lists["exposure_after_reranking"] = _exposure(pages_after, known, focus).as_dict(min_cell)
        lists["share_by_position"] = _share_by_position(
            pages_before, pages_after, known, focus, min_cell
        )
    else:
        # Each position holds one person per list: with a few lists, a position's share is
        # someone's category, and the log says who sat there.
        lists["withheld"] = (
            f"exposure and share by position need at least {MIN_LISTS_PER_CELL} lists in the "
            f"window ({len(records)} here): fewer would identify people"
        )
    report.candidate_lists = lists
    moved_shown, moved_hidden = _counts_shown(moved_categories, moved_people, min_cell)
    interventions: Interventions = {
        "rankings": len(records),
        "reranked": reranked,
        "paused": paused,
        "moves": moves,
        "moved_up": moved_up,
        "moved_up_by_category": moved_shown,
        "mean_displacement": float(np.mean(displacement)) if displacement else 0.0,
        "pins": pinned,
        "hides": hidden,
    }
    if moved_hidden:
        interventions["suppressed"] = {
            "moved_up_by_category": moved_hidden,
            **suppressed_marker(min_cell or 0),
        }
    report.interventions = interventions
    judge(report, "served candidate lists", lists["selection_after_reranking"][focus], "selection")
    report.trend = _weekly(weekly, weekly_lists, known, focus, min_cell)


# Each week's selection before and after re-ranking: its name and its column in `weekly`'s rows.
WEEKLY_COLUMNS: tuple[tuple[Literal["before", "after"], int], ...] = (("before", 1), ("after", 2))


def _weekly(
    weekly: dict[str, list[tuple[str, bool, bool]]],
    lists: dict[str, int],
    known: dict[str, dict[str, str | None]],
    focus: str,
    min_cell: int | None,
) -> list[WeeklySelection]:
    """Per ISO week with served lists: each group's selection rate before and after
    re-ranking (groups too few to judge that week, or suppressed, left out) and the lowest
    impact ratio among the groups judged."""
    trend: list[WeeklySelection] = []
    for week in sorted(weekly):
        ids = [row[0] for row in weekly[week]]
        labels = category_labels([known.get(p, {}).get(focus) for p in ids])
        impacts = {
            name: selection_impact(
                np.array([row[column] for row in weekly[week]]),
                labels,
                attribute=focus,
                people=ids,
            ).as_dict(min_cell)
            for name, column in WEEKLY_COLUMNS
        }
        rates: dict[str, dict[Literal["before", "after"], float]] = defaultdict(dict)
        set_aside: dict[str, int | None] = {}
        for name, impact in impacts.items():
            for row in impact["categories"]:
                if row["suppressed"] or row["excluded"]:
                    set_aside[row["category"]] = row["people"]
                else:
                    rates[row["category"]][name] = row["rate"]
        trend.append(
            {
                "week": week,
                "lists": lists[week],
                "appearances": len(ids),
                "impact_ratio_before": impacts["before"]["min_impact_ratio"],
                "impact_ratio_after": impacts["after"]["min_impact_ratio"],
                "selection_rate": dict(sorted(rates.items())),
                "too_few": dict(sorted((c, n) for c, n in set_aside.items() if c not in rates)),
            }
        )
    return trend


def _interval(row: ShownRate) -> str:
    # Judged rows only: a verdict on a ratio is read from its interval.
    assert row["impact_ratio_ci"] is not None, row
    low, high = row["impact_ratio_ci"]
    return f"95% interval {low:.2f} to {high:.2f}"


# The stage each judged table is about, as the caution names it.
STAGE = {
    "selection": "appearing on a served list",
    "shortlisted": "shortlisting",
    "offered": "offers",
    "accepted": "taking on",
}


def judge(report: FairnessReport, where: str, impact: ImpactTable, outcome: str) -> None:
    """The verdicts of one published impact table (small cells already suppressed): breaches
    where the whole interval is under four-fifths, cautions where it reaches 0.8 and for the
    groups too few to judge. A group too few to judge at several stages of one table (the
    same applicants shortlisted, offered, taken on) is one line naming every stage."""
    attribute = impact["attribute"]
    stage = STAGE.get(outcome, outcome)
    for row in impact["categories"]:
        if row["suppressed"]:
            continue
        name = f"{where}: {attribute} {outcome} impact ratio"
        if row["verdict"] == BELOW:
            line = (
                f"{name} {row['impact_ratio']:.2f} < 0.80 for {row['category']} "
                f"(n = {row['people']}; {_interval(row)})"
            )
            if line not in report.breaches:
                report.breaches.append(line)
        elif row["below_four_fifths"] and row["verdict"] == UNSURE:
            line = (
                f"{name} {row['impact_ratio']:.2f} for {row['category']} (n = {row['people']}), "
                f"but its {_interval(row)} reaches 0.80: not enough evidence either way"
            )
            if line not in report.cautions:
                report.cautions.append(line)
        elif row["too_few"]:
            key = (where, attribute, row["category"], row["too_few"])
            stages = report.too_few_stages.setdefault(key, [])
            if stage in stages:
                continue
            stages.append(stage)
            line = (
                f"{where} ({', '.join(stages)}): {attribute} {row['category']}: "
                f"{row['too_few']}; left out of the four-fifths verdict"
            )
            if len(stages) == 1:
                report.too_few_lines[key] = len(report.cautions)
                report.cautions.append(line)
            else:
                report.cautions[report.too_few_lines[key]] = line


def _exposure(
    pages: list[list[str]], known: dict[str, dict[str, str | None]], focus: str
) -> ExposureReport:
    return group_exposure(
        [[known.get(p, {}).get(focus) for p in page] for page in pages], people=pages
    )


def _share_by_position(
    before: list[list[str]],
    after: list[list[str]],
    known: dict[str, dict[str, str | None]],
    focus: str,
    min_cell: int | None,
) -> ShareByPosition:
    """Each category's share of position 1, 2, ... over all pages, before and after.

    With `min_cell`, a category's share at a position is null where fewer people of it held
    that position (the same person often holds a position in every list of one posting)."""
    depth = max((len(p) for p in before + after), default=0)
    by_stage: dict[str, dict[str, list[float | None]]] = {}
    suppressed: dict[str, dict[str, list[int]]] = {}
    for name, pages in (("before", before), ("after", after)):
        counts: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(depth))
        holders: dict[str, list[set[str]]] = defaultdict(lambda: [set() for _ in range(depth)])
        totals = np.zeros(depth)
        for page in pages:
            for rank, person in enumerate(page):
                category = known.get(person, {}).get(focus) or UNKNOWN
                counts[category][rank] += 1
                holders[category][rank].add(person)
                totals[rank] += 1
        shares: dict[str, list[float | None]] = {
            c: (v / np.maximum(totals, 1)).round(4).tolist() for c, v in counts.items()
        }
        if min_cell is not None:
            for rank in range(depth):
                cells = {c: (len(holders[c][rank]),) for c in counts}
                for category in hidden_rows(cells, min_cell):
                    shares[category][rank] = None
                    suppressed.setdefault(name, {}).setdefault(category, []).append(rank + 1)
        by_stage[name] = shares
    out: ShareByPosition = {
        "positions": list(range(1, depth + 1)),
        "before": by_stage["before"],
        "after": by_stage["after"],
    }
    if suppressed:
        out["suppressed"] = {"reason": reason(min_cell or 0), "positions": suppressed}
    return out


def _counts_shown(
    counts: dict[str, int], people: dict[str, set[str]], min_cell: int | None
) -> tuple[dict[str, int | None], list[str]]:
    """Counts by category, a suppressed one null; and the suppressed categories."""
    hidden = hidden_rows({c: (len(people[c]),) for c in counts}, min_cell) if min_cell else set()
    return {c: (None if c in hidden else n) for c, n in sorted(counts.items())}, sorted(hidden)


def _lead_decisions(
    report: FairnessReport,
    session: Session,
    start: dt.datetime | None,
    end: dt.datetime | None,
    min_cell: int | None,
) -> None:
    """Applications in the window and what leads decided on them (whenever they decided):
    shortlisted, offered (an assignment counts as offered: the demo history logs no offers),
    and taken on (the demo history's `accept`, the live workflow's `assign`)."""
    decided = {
        InteractionType.SHORTLIST.value: 0,
        InteractionType.OFFER.value: 1,
        InteractionType.ACCEPT.value: 2,
        InteractionType.ASSIGN.value: 2,
    }
    kinds = [InteractionType.APPLY.value, *decided]
    applied: dict[tuple[str, str], list[bool]] = {}
    applied_week: dict[tuple[str, str], str] = {}
    decisions: list[tuple[tuple[str, str], str]] = []
    for employee, opportunity, kind, at in events_of(session, kinds):
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        pair = (employee, opportunity)
        if kind == InteractionType.APPLY.value:
            if (start is None or at >= start) and (end is None or at < end):
                applied.setdefault(pair, [False, False, False])
                applied_week.setdefault(pair, at.strftime("%G-W%V"))
        else:
            decisions.append((pair, kind))
    for pair, kind in decisions:
        if pair in applied:
            applied[pair][decided[kind]] = True
            if decided[kind] == 2:  # taken on: an offer was made, logged or not (the demo's)
                applied[pair][1] = True
    report.window["applications"] = len(applied)
    if not applied:
        return
    pairs = list(applied)
    people = [p[0] for p in pairs]
    columns = _by_attribute(people, categories(session, sorted(set(people))))
    stages = ("shortlisted", "offered", "accepted")
    tables = {
        name: _impacts(np.array([applied[p][index] for p in pairs]), columns, people, min_cell)
        for index, name in enumerate(stages)
    }
    for name in stages:
        judge(report, "lead decisions", tables[name]["gender"], name)
    report.lead_decisions = {
        "applications": len(pairs),
        "shortlisted": tables["shortlisted"],
        "offered": tables["offered"],
        "accepted": tables["accepted"],
        "weekly": _weekly_shortlisting(pairs, applied, applied_week, columns["gender"], min_cell),
    }


TRAILING_WEEKS = 4  # a week's shortlisting point reads this many weeks of applications


def _monday(week: str) -> dt.date:
    """The Monday of an ISO week written "2026-W05"."""
    year, number = week.split("-W")
    return dt.date.fromisocalendar(int(year), int(number), 1)


def _weekly_shortlisting(
    pairs: list[tuple[str, str]],
    applied: dict[tuple[str, str], list[bool]],
    week_of: dict[tuple[str, str], str],
    genders: np.ndarray,
    min_cell: int | None,
) -> list[WeeklyShortlisting]:
    """Per ISO week with applications: each gender's shortlisting rate over the trailing
    `TRAILING_WEEKS` weeks (one week of a company of 2,000 holds some 35 applicants a group,
    too few to judge), for the groups large enough to judge and shown; the others with n."""
    mondays = np.array([_monday(week_of[p]).toordinal() for p in pairs])
    people = np.array([p[0] for p in pairs], dtype=object)
    chosen = np.array([applied[p][0] for p in pairs], dtype=bool)
    out: list[WeeklyShortlisting] = []
    for monday in sorted(set(mondays.tolist())):
        rows = (mondays <= monday) & (mondays > monday - 7 * TRAILING_WEEKS)
        impact = selection_impact(
            chosen[rows], genders[rows], attribute="gender", people=people[rows]
        ).as_dict(min_cell)
        shown = [c for c in impact["categories"] if not c["suppressed"] and not c["excluded"]]
        out.append(
            {
                "week": dt.date.fromordinal(monday).strftime("%G-W%V"),
                "weeks_read": TRAILING_WEEKS,
                "applications": int(rows.sum()),
                "shortlisted_rate": {c["category"]: c["rate"] for c in shown},
                "impact_ratio": impact["min_impact_ratio"],
                "too_few": {
                    c["category"]: c["people"]
                    for c in impact["categories"]
                    if c["suppressed"] or c["excluded"]
                },
            }
        )
    return out


def _employee_side(
    report: FairnessReport,
    session: Session,
    records: list[ServedRanking],
    known: dict[str, dict[str, str | None]],
    focus: str,
    min_cell: int | None,
) -> None:
    """Level and hours of what each group was shown, against peers of the same level/title."""
    report.window["served_match_lists"] = len(records)
    if not records:
        return
    shown = [(r["query_external_id"], item["id"]) for r in records for item in served_page(r)]
    employees = {e for e, _ in shown}
    opportunities = {o for _, o in shown}
    profile = levels_and_titles(session, sorted(employees))
    offered = {
        external_id: ((level_min + level_max) / 2, hours)
        for external_id, (level_min, level_max, hours) in level_ranges_and_hours(
            session, sorted(opportunities)
        ).items()
    }
    rows = [(e, o) for e, o in shown if e in profile and o in offered]
    if not rows:
        return
    groups = category_labels([known.get(e, {}).get(focus) for e, _ in rows])
    strata = [profile[e] for e, _ in rows]
    members: dict[str, set[str]] = defaultdict(set)
    for group, (employee, _) in zip(groups, rows, strict=True):
        members[str(group)].add(employee)
    cells = {group: (len(people),) for group, people in members.items()}
    hidden = hidden_rows(cells, min_cell) if min_cell else set()
    # The comparison is made among the groups shown only: a peer mean over a suppressed
    # group would be a figure about it.
    keep = np.array([str(g) not in hidden for g in groups], dtype=bool)
    kept_groups = groups[keep]
    kept_strata = [s for s, k in zip(strata, keep, strict=True) if k]
    tables = {
        name: _quality_shown(
            shown_quality_gap(
                np.array([offered[o][column] for _, o in rows])[keep],
                kept_groups,
                kept_strata,
                attribute=focus,
            ).as_dict(),
            hidden,
            min_cell,
        )
        for name, column in (("level", 0), ("hours", 1))
    }
    report.employee_side = {"rows": len(rows), "level": tables["level"], "hours": tables["hours"]}


def _quality_shown(
    quality: ShownQualityTable, hidden: set[str], min_cell: int | None
) -> EmployeeSideTable:
    """A shown-quality comparison (among the groups shown) with the suppressed groups listed
    as such."""
    rows: list[ShownQualityShown | ShownQualitySuppressed] = [
        {**row, "suppressed": False} for row in quality["categories"]
    ]
    for name in sorted(hidden - {UNKNOWN}):
        rows.append(
            {
                "category": name,
                "raw_mean": None,
                "mean": None,
                "peer_mean": None,
                "gap": None,
                "difference": None,
                "rows": None,
                "strata": None,
                **suppressed_marker(min_cell or 0),
            }
        )
    return {
        "attribute": quality["attribute"],
        "best_served": quality["best_served"],
        "unknown_count": None if UNKNOWN in hidden else quality["unknown_count"],
        "unmatched_rows": quality["unmatched_rows"],
        "categories": rows,
    }


def _oversight(
    report: FairnessReport, session: Session, start: dt.datetime | None, end: dt.datetime | None
) -> None:
    report.oversight = [
        {
            "at": row.at.isoformat(),
            "actor_role": row.actor_role,
            "action": row.action,
            "kind": row.kind,
            "opportunity_external_id": row.opportunity_external_id,
            "reason": row.reason,
        }
        for row in oversight_events(session, start, end)
        # Auditors' reads are on the oversight log, not in the report: they change no figure
        # (and the report's cache does not count them: data/storage/versions.py).
        if row.action not in UNCOUNTED_EVENTS
    ]


def served_impact(
    session: Session,
    audit: AuditLog,
    start: dt.datetime | None,
    end: dt.datetime | None = None,
    *,
    attribute: str = "gender",
    min_cell: int | None = None,
) -> dict[str, Any]:
    """The selection impact ratio of served candidate lists before and after re-ranking (the
    monitoring figure: cheaper than a whole report); with `min_cell`, over the categories
    whose cells may be shown."""
    people, before, after = [], [], []
    rankings = 0
    for record in audit.between(session, start, end, direction="opportunity"):
        rankings += 1
        page = record["page_size"]
        for item in record["items"]:
            people.append(item["id"])
            before.append(item["before"] <= page)
            after.append(item["after"] is not None and item["after"] <= page)
    known = categories(session, sorted(set(people)), [attribute])
    labels = category_labels([known.get(p, {}).get(attribute) for p in people])
    reading: dict[str, Any] = {
        "attribute": attribute,
        "rankings": rankings,
        "appearances": len(people),
    }
    for name, selected in (("before", before), ("after", after)):
        impact = selection_impact(
            np.array(selected, dtype=bool), labels, attribute=attribute, people=people
        )
        reading[f"impact_ratio_{name}"] = impact.min_shown_ratio(min_cell)
    ratio = reading["impact_ratio_after"]
    reading["breach"] = ratio is not None and ratio < FOUR_FIFTHS
    return reading
