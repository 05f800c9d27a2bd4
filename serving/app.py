"""The FastAPI application: lifespan loads the heavy state once; routes stay thin."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from serving.errors import install_error_handlers
from serving.middleware import RequestGuard
from serving.routes import (
    audits,
    career,
    employees,
    health,
    imports,
    me,
    occupations,
    opportunities,
    pipeline,
    reactions,
    skills,
    stats,
)
from serving.settings import Settings
from serving.state import ServiceState, build_state
from serving.watcher import Refresher


def create_app(settings: Settings | None = None, *, state: ServiceState | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = state is None
        service = app.state.service = state or build_state(settings)
        # Read from var/vectors (built by `talent index`), or encoded here, before the server
        # takes its first request: never inside one.
        service.warm_up()
        # Everything loaded so far lives as long as the process: keep it out of the garbage
        # collector's scans (a full collection over it cost ~130 ms in the middle of a request).
        gc.freeze()
        watcher = Refresher(
            [
                ("models", service.rankers.refresh, settings.model_poll_seconds),
                ("fairness monitor", service.monitor.refresh, settings.monitor_seconds),
                ("freshness", service.catch_up, settings.freshness_seconds),
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

    app.add_middleware(RequestGuard, settings=settings)

    # occupations before opportunities: /opportunities/suggest-skills is not an opportunity id.
    # The pipeline's routes before the reactions' `/{external_id}/{reaction}`, which would
    # otherwise claim `/{external_id}/pipeline`.
    routers = (
        health,
        me,
        occupations,
        employees,
        career,
        opportunities,
        imports,
        pipeline,
        reactions,
        skills,
    )
    for module in (*routers, stats, audits):
        app.include_router(module.router)

    _finish_openapi(app)
    page = resources.files("serving.web").joinpath("index.html").read_text(encoding="utf-8")

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page)

    return app


def _finish_openapi(app: FastAPI) -> None:
    """Two things FastAPI's generated document does not say: API routes take a bearer token
    (the check itself is `serving/auth.py`, in each route's dependencies), and an error from a
    route that answers HTML (the report page) is JSON like every other error."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = plain()
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["bearer"] = {"type": "http", "scheme": "bearer"}
        for path, operations in document["paths"].items():
            for operation in operations.values():
                if path.startswith("/api/"):
                    operation["security"] = [{"bearer": []}]
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[0] in "45" and "text/html" in content:
                        content["application/json"] = content.pop("text/html")
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
