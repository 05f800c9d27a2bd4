"""The marketplace's counts (serving/routes/stats.py)."""

from __future__ import annotations

from pydantic import Field

from serving.schemas.base import Out


class StatsOut(Out):
    employees: int
    opportunities: dict[str, dict[str, int]] = Field(description="kind -> status -> count")
    interactions: dict[str, int] = Field(description="event type -> count")
