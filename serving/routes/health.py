"""Liveness, readiness and Prometheus metrics.

These answer from the event loop (or their own small thread pools and database connection),
never queueing behind business requests: a loaded server still tells its orchestrator it is
alive. Ready means the database answers, both directions have a model, and the audit log is not
damaged (rankings are refused while it is, serving/errors.py): the log's verdict comes from
`AuditLog.health`, which checks what was added since its last look and is reused for two
seconds, never a walk of the whole chain.

Without a token `/readyz` says only `{"ready": true}` (or 503 and false): no headcount, no model
version. That answer is reused for a second, so probes cost next to nothing however many come
(the request guard does not throttle probes). With an HR or admin token it adds the details
(among them `vectors`: the background encoding of the taxonomy's texts after a fresh start;
the service is ready meanwhile, with lexical skill and title lookups) and the fairness
monitor's reading, and `/metrics` the fairness gauges. Probes skip the request
guard's count of failed sign-ins, so failures here are counted per client address: past
FAILED_TOKENS a minute, a token is no longer looked up and the caller gets the anonymous answer.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.engine import ping
from fairness.audit_log import AuditHealth
from fairness.monitor import FAIRNESS_REGISTRY
from serving.auth import authenticate
from serving.errors import AppError
from serving.schemas import HealthOut, ReadyOut
from serving.state import ServiceState

router = APIRouter(tags=["health"])
_PROBES = "health_probes"  # app.state attribute: this app's _Probes
ANONYMOUS_SECONDS = 1.0  # how long the answer without a token is reused
FAILED_TOKENS = 10  # bad tokens a client may present to the probes in a minute
CLIENTS_KEPT = 10_000  # addresses whose failures are remembered (the oldest go first)


@dataclass(frozen=True, slots=True)
class _Reading:
    database: str  # ok, or why not
    privileged: bool  # the caller holds an HR or admin token
    failed: bool  # a token was presented and did not authenticate
    audit: AuditHealth | None


class _Probes:
    """One app's probe machinery: thread limiters (made in the server's event loop), the
    anonymous answer, and the failures per client."""

    def __init__(self) -> None:
        # Token checks and the anonymous refresh on their own threads: a flood of tokens
        # cannot keep an orchestrator's probe waiting.
        self.tokens = anyio.CapacityLimiter(2)
        self.anonymous = anyio.CapacityLimiter(1)
        self.answer: tuple[float, bool] | None = None
        self.failures: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def over_limit(self, client: str) -> bool:
        with self.lock:
            seen = self.failures.get(client)
            if seen is None:
                return False
            while seen and seen[0] < time.monotonic() - 60:
                seen.popleft()
            return len(seen) >= FAILED_TOKENS

    def failed(self, client: str) -> None:
        with self.lock:
            if client not in self.failures and len(self.failures) >= CLIENTS_KEPT:
                del self.failures[next(iter(self.failures))]
            self.failures.setdefault(client, deque()).append(time.monotonic())


def _probes(request: Request) -> _Probes:
    probes = getattr(request.app.state, _PROBES, None)
    if probes is None:
        probes = _Probes()
        setattr(request.app.state, _PROBES, probes)
    return probes


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _probe(state: ServiceState, authorization: str | None) -> _Reading:
    """The database, the caller's standing and the audit log's state, on the health pool."""
    try:
        with Session(state.health_engine) as session:
            ping(session)
            privileged = failed = False
            if authorization:
                try:
                    user = authenticate(authorization, state.settings, session, state.token_secret)
                    privileged = user.role in (Role.HR, Role.ADMIN)
                except AppError:
                    failed = True
            audit = state.audit.health(session)
        return _Reading("ok", privileged, failed, audit)
    except Exception as exc:  # readiness must report, not crash
        return _Reading(f"unreachable: {type(exc).__name__}", False, False, None)


async def _checked(request: Request, authorization: str | None) -> _Reading:
    probes = _probes(request)
    state: ServiceState = request.app.state.service
    client = request.client.host if request.client else "unknown"
    if authorization and probes.over_limit(client):
        authorization = None  # not looked up: answered as for no token
    limiter = probes.tokens if authorization else probes.anonymous
    reading = await anyio.to_thread.run_sync(_probe, state, authorization, limiter=limiter)
    if reading.failed:
        probes.failed(client)
    return reading


def _is_ready(state: ServiceState, reading: _Reading) -> bool:
    audit_ok = reading.audit is not None and not reading.audit.damaged
    return reading.database == "ok" and len(state.rankers.describe()) == 2 and audit_ok


@router.get(
    "/readyz",
    response_model=ReadyOut,
    response_model_exclude_none=True,
    responses={
        503: {
            "model": ReadyOut,
            "description": "Not ready: the database is unreachable, a model is missing, or the "
            "audit log is damaged",
        }
    },
)
async def readyz(request: Request) -> JSONResponse:
    state: ServiceState = request.app.state.service
    probes = _probes(request)
    authorization = request.headers.get("authorization")
    answer = probes.answer
    if (
        not authorization
        and answer is not None
        and time.monotonic() - answer[0] < ANONYMOUS_SECONDS
    ):
        return _answer(answer[1])
    reading = await _checked(request, authorization)
    ready = _is_ready(state, reading)
    if not authorization or reading.failed:
        probes.answer = (time.monotonic(), ready)
    if not reading.privileged:
        return _answer(ready)
    details: dict[str, Any] = {
        "database": reading.database,
        "index_sizes": state.matcher.sizes,
        "skills": len(state.taxonomy),
        # Which ranker serves each direction: the company's promoted version or the default.
        "models": state.rankers.describe(),
    }
    if state.rankers.problems:
        details["model_problems"] = dict(state.rankers.problems)
    # Labels and titles still being encoded after a fresh start (served lexically meanwhile).
    details["vectors"] = state.vector_progress.as_dict()
    if reading.audit is not None:
        details["audit"] = reading.audit.as_dict()
    # The fairness monitor's last reading (recomputed in the background).
    if state.monitor.reading is not None:
        details["fairness"] = state.monitor.reading
    return JSONResponse({"ready": ready, "details": details}, status_code=200 if ready else 503)


def _answer(ready: bool) -> JSONResponse:
    return JSONResponse({"ready": ready}, status_code=200 if ready else 503)


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
        reading = await _checked(request, authorization)
        if reading.privileged:
            body += generate_latest(FAIRNESS_REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
