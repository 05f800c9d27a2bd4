"""Upkeep after bulk writes."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def refresh_planner_statistics(session: Session) -> None:
    """ANALYZE after a bulk load, so the query planner knows the tables' sizes. Without it a
    freshly loaded PostgreSQL database (autovacuum off, or not round yet) estimated one row per
    table and the demo's match requests took 25 ms instead of 20."""
    session.execute(text("ANALYZE"))
