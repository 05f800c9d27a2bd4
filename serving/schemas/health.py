"""Liveness and readiness (serving/routes/health.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from serving.schemas.base import Out


class HealthOut(Out):
    status: str


class ReadyOut(Out):
    ready: bool
    details: dict[str, Any] | None = Field(
        default=None, description="for an HR or admin token only"
    )
