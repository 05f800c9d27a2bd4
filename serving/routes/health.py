"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from serving.deps import StateDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(state: StateDep) -> JSONResponse:
    details: dict[str, Any] = {"index_sizes": state.matcher.sizes, "skills": len(state.taxonomy)}
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        details["database"] = "ok"
    except Exception as exc:  # readiness must report, not crash
        details["database"] = f"unreachable: {type(exc).__name__}"
    # Which ranker serves each direction: the company's promoted version or the packaged default.
    details["models"] = state.rankers.describe()
    if state.rankers.problems:
        details["model_problems"] = dict(state.rankers.problems)
    # The fairness monitor's last reading (recomputed in the background); a breach is shown
    # here for operators, without making the service unready.
    if state.monitor.reading is not None:
        details["fairness"] = state.monitor.reading
    ready = details["database"] == "ok" and len(details["models"]) == 2
    return JSONResponse({"ready": ready, "details": details}, status_code=200 if ready else 503)


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
