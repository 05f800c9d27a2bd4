"""The FastAPI application: lifespan loads the heavy state once; routes stay thin."""

from __future__ import annotations

import gc
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from urllib.parse import unquote

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import Counter, Histogram

from serving.errors import install_error_handlers
from serving.routes import (
    audits,
    employees,
    health,
    me,
    opportunities,
    reactions,
    skills,
    stats,
)
from serving.settings import Settings
from serving.state import ServiceState, build_state
from serving.watcher import Refresher

REQUESTS = Counter("talent_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("talent_http_request_seconds", "HTTP request latency", ["method", "route"])
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(settings: Settings | None = None, *, state: ServiceState | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = state is None
        service = app.state.service = state or build_state(settings)
        # Everything loaded so far lives as long as the process: keep it out of the garbage
        # collector's scans (a full collection over it cost ~130 ms in the middle of a request).
        gc.freeze()
        watcher = Refresher(
            [
                ("models", service.rankers.refresh, settings.model_poll_seconds),
                ("fairness monitor", service.monitor.refresh, settings.monitor_seconds),
            ]
        )
        watcher.start()
        yield
        watcher.stop()
        if owned:
            service.close()

    app = FastAPI(
        title="talent-marketplace",
        version="0.1.0",
        summary="Skill-based matching of people to gigs, mentorships and roles.",
        lifespan=lifespan,
    )
    install_error_handlers(app)

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request.state.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # A NUL in the path or query would reach a database that cannot store it (PostgreSQL).
        for part, text in (("path", request.url.path), ("query", request.url.query)):
            if "\x00" in unquote(text):
                return JSONResponse(
                    {
                        "error": "validation_failed",
                        "detail": [{"loc": [part], "field": part, "message": "contains NUL"}],
                        "request_id": request.state.request_id,
                    },
                    422,
                )
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        LATENCY.labels(request.method, path).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    for module in (health, me, employees, opportunities, reactions, skills, stats, audits):
        app.include_router(module.router)

    page = resources.files("serving.web").joinpath("index.html").read_text(encoding="utf-8")

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page)

    return app
