"""Liveness, readiness and Prometheus metrics.

These answer from the event loop (or their own small thread pool and database connection),
never queueing behind business requests: a loaded server still tells its orchestrator it is
alive. Without a token they tell only what an orchestrator needs; with an HR or admin token
`/readyz` adds the fairness monitor's reading and `/metrics` the fairness gauges.
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.engine import ping
from fairness.monitor import FAIRNESS_REGISTRY
from serving.auth import authenticate
from serving.errors import AppError
from serving.schemas import HealthOut, ReadyOut
from serving.state import ServiceState

router = APIRouter(tags=["health"])
_LIMITER = "health_limiter"


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _probe(state: ServiceState, authorization: str | None) -> tuple[str, bool]:
    """(database status, whether the caller may see fairness figures), on the health pool."""
    try:
        with Session(state.health_engine) as session:
            ping(session)
            privileged = False
            if authorization:
                try:
                    user = authenticate(authorization, state.settings, session, state.token_secret)
                    privileged = user.role in (Role.HR, Role.ADMIN)
                except AppError:
                    privileged = False
        return "ok", privileged
    except Exception as exc:  # readiness must report, not crash
        return f"unreachable: {type(exc).__name__}", False


async def _checked(request: Request, authorization: str | None) -> tuple[str, bool]:
    limiter = getattr(request.app.state, _LIMITER, None)
    if limiter is None:  # made in the server's event loop, on first use
        limiter = anyio.CapacityLimiter(2)
        setattr(request.app.state, _LIMITER, limiter)
    state: ServiceState = request.app.state.service
    return await anyio.to_thread.run_sync(_probe, state, authorization, limiter=limiter)


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={
        503: {
            "model": ReadyOut,
            "description": "Not ready: the database is unreachable or a model is missing",
        }
    },
)
async def readyz(request: Request) -> JSONResponse:
    state: ServiceState = request.app.state.service
    database, privileged = await _checked(request, request.headers.get("authorization"))
    details: dict[str, Any] = {
        "database": database,
        "index_sizes": state.matcher.sizes,
        "skills": len(state.taxonomy),
        # Which ranker serves each direction: the company's promoted version or the default.
        "models": state.rankers.describe(),
    }
    if state.rankers.problems:
        details["model_problems"] = dict(state.rankers.problems)
    # The fairness monitor's last reading (recomputed in the background): for HR and admins.
    if privileged and state.monitor.reading is not None:
        details["fairness"] = state.monitor.reading
    ready = database == "ok" and len(details["models"]) == 2
    return JSONResponse({"ready": ready, "details": details}, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    """Prometheus text format; the fairness gauges only for an HR or admin token."""
    body = generate_latest(REGISTRY)
    authorization = request.headers.get("authorization")
    if authorization:
        _, privileged = await _checked(request, authorization)
        if privileged:
            body += generate_latest(FAIRNESS_REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
