"""Monitoring: the impact ratio of the candidate lists served over a sliding window.

Exported on `/metrics` (to HR and admin tokens) as `talent_fairness_impact_ratio{attribute,
stage}` (stage: before or after re-ranking) and shown in `/readyz` details (the same); a value
under 0.8 is a breach there and in HR's report. Recomputed by the server's watcher thread, not
per request.

The ratios are over the categories whose cells hold at least `min_cell` people (and survive
complementary suppression, fairness/small_cells.py): a gauge is read by HR without the auditor
permission, so it must not give back a ratio of a group of two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy.orm import Session, sessionmaker

from fairness.audit_log import AuditLog
from fairness.report import served_impact
from fairness.small_cells import DEFAULT_MIN_CELL

# Apart from the process's public metrics: /metrics shows these to HR and admins only.
FAIRNESS_REGISTRY = CollectorRegistry()
IMPACT_RATIO = Gauge(
    "talent_fairness_impact_ratio",
    "Lowest selection impact ratio of served candidate lists over the sliding window",
    ["attribute", "stage"],
    registry=FAIRNESS_REGISTRY,
)
RANKINGS = Gauge(
    "talent_fairness_window_rankings",
    "Served candidate lists in the window",
    registry=FAIRNESS_REGISTRY,
)


class FairnessMonitor:
    def __init__(
        self,
        audit: AuditLog,
        sessions: sessionmaker[Session],
        *,
        window: dt.timedelta = dt.timedelta(days=7),
        attribute: str = "gender",
        min_cell: int = DEFAULT_MIN_CELL,
    ) -> None:
        self.audit, self.sessions = audit, sessions
        self.window, self.attribute, self.min_cell = window, attribute, min_cell
        self.reading: dict[str, Any] | None = None

    def refresh(self, now: dt.datetime | None = None) -> dict[str, Any]:
        now = now or dt.datetime.now(dt.UTC)
        with self.sessions() as session:
            reading = served_impact(
                session,
                self.audit,
                now - self.window,
                None,
                attribute=self.attribute,
                min_cell=self.min_cell,
            )
        reading["window_days"] = self.window.total_seconds() / 86400
        reading["min_cell"] = self.min_cell
        for stage in ("before", "after"):
            value = reading[f"impact_ratio_{stage}"]
            IMPACT_RATIO.labels(self.attribute, stage).set(float("nan") if value is None else value)
        RANKINGS.set(reading["rankings"])
        self.reading = reading
        return reading
