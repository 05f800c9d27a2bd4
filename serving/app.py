"""The FastAPI application: lifespan loads the heavy state once; routes stay thin."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from threadpoolctl import threadpool_limits

from data.storage.changes import ChangeFeed, listens
from serving.auth import verified_token_key
from serving.errors import install_error_handlers
from serving.middleware import RequestGuard, Verifier
from serving.notifications import routes as notifications
from serving.notifications.worker import delivery_round
from serving.routes import (
    audits,
    bias_audit,
    career,
    employees,
    health,
    imports,
    interleaving,
    me,
    occupations,
    opportunities,
    personal_data,
    pipeline,
    reactions,
    rights,
    skills,
    stats,
    tokens,
)
from serving.scim import routes as scim
from serving.session import SESSION_PATH
from serving.settings import Settings
from serving.sso import routes as single_sign_on
from serving.state import ServiceState, build_state
from serving.usecases.retention import scheduled_purge
from serving.usecases.training import RetrainingSchedule
from serving.watcher import Refresher

# What each table's change notification asks this process to redo.
TASKS_FOR_TABLE = {
    "model_versions": "models",
    **dict.fromkeys(
        (
            "employees",
            "employee_skills",
            "opportunities",
            "opportunity_skills",
            "interactions",
            "pipeline",
            "skills",
            "skill_aliases",
        ),
        "freshness",
    ),
}


def change_feed(service: ServiceState, watcher: Refresher) -> ChangeFeed | None:
    """On PostgreSQL, what another worker writes wakes this one's catch-up (or model refresh)
    at once; the periodic poll stays as the net under lost notifications. Policies and
    overrides are read per request and need nothing."""
    url = service.settings.resolved_database_url
    if not listens(url) or not watcher.names & {"freshness", "models"}:
        return None

    def on_change(tables: frozenset[str]) -> None:
        if "*" in tables:
            watcher.wake(set(TASKS_FOR_TABLE.values()))
        else:
            watcher.wake({TASKS_FOR_TABLE[t] for t in tables if t in TASKS_FOR_TABLE})

    feed = ChangeFeed(url, on_change)
    feed.start()
    return feed


def create_app(settings: Settings | None = None, *, state: ServiceState | None = None) -> FastAPI:
    settings = settings or Settings()
    # A request multiplies matrices of a few hundred rows: OpenBLAS's second thread costs more
    # to wake than it saves, and spins on a core another request wants. Set here, on the
    # process's main thread: OpenBLAS ignored the same call from the lifespan's thread.
    threadpool_limits(limits=1, user_api="blas")

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
        # The outbox's delivery worker (and the digests it queues) on a thread of its own: a
        # mail server timing out must not hold up model refreshes and catch-up. 0 s: off.
        courier = Refresher(
            [("notifications", lambda: delivery_round(service), settings.notify_seconds)]
        )
        courier.start()
        # Scheduled retraining (TALENT_RETRAIN_HOURS; 0: off) on a thread of its own too: a
        # run takes minutes. It promotes only what passes the gates, then refreshes the rankers.
        retraining = app.state.retraining = RetrainingSchedule(
            service, hours=settings.retrain_hours
        )
        trainer = Refresher([("retraining", retraining.run_if_due, retraining.check_seconds)])
        trainer.start()
        # The retention purge (TALENT_RETENTION_PURGE_HOURS; 0: off): checkpoints, verifies and
        # deletes what is past its period, logged (serving/usecases/retention.py).
        janitor = Refresher(
            [
                (
                    "retention purge",
                    lambda: scheduled_purge(service),
                    settings.retention_purge_hours * 3600,
                )
            ]
        )
        janitor.start()
        feed = change_feed(service, watcher)
        yield
        if feed is not None:
            feed.stop()
        janitor.stop()
        trainer.stop()
        courier.stop()
        watcher.stop()
        if owned:
            service.close()

    app = FastAPI(
        title="talent-marketplace",
        version="0.1.0",
        summary="Skill-based matching of people to gigs, mentorships and roles.",
        lifespan=lifespan,
        # Served below from packaged assets: the defaults load Swagger UI from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)

    app.add_middleware(RequestGuard, settings=settings, verify=_credential_checker(app))

    # occupations before opportunities: /opportunities/suggest-skills is not an opportunity id.
    # The pipeline's routes before the reactions' `/{external_id}/{reaction}`, which would
    # otherwise claim `/{external_id}/pipeline`.
    # personal_data before me and employees: /me/export and /employees/{id}/export|erasure.
    routers = (
        health,
        personal_data,
        me,
        occupations,
        employees,
        career,
        opportunities,
        imports,
        pipeline,
        reactions,
        rights,
        skills,
        tokens,
    )
    audit_routes = (audits, bias_audit)
    for module in (*routers, stats, *audit_routes, interleaving, single_sign_on, notifications):
        app.include_router(module.router)
    app.include_router(bias_audit.public_router)  # the published LL144 summary: no sign-in
    app.include_router(scim.router)  # /scim/v2: the provisioning token's, and only its

    _finish_openapi(app)
    _web_app(app)
    return app


def _credential_checker(app: FastAPI) -> Verifier:
    """The request guard's check of a credential from a client past its failure budget: in a
    database session of its own, outside any request's transaction."""

    def verify(credential: str, from_cookie: bool) -> str | None:
        service: ServiceState = app.state.service
        with service.sessions() as session:
            return verified_token_key(
                credential,
                from_cookie=from_cookie,
                settings=service.settings,
                session=session,
                secret=service.token_secret,
            )

    return verify


def _web_app(app: FastAPI) -> None:
    """The web app (one page, its scripts and styles) and the API reference, all from files
    in the installed packages: nothing is fetched from another site at run time."""
    web = resources.files("serving.web")
    page = web.joinpath("index.html").read_text(encoding="utf-8")
    app.mount("/static", StaticFiles(directory=str(web.joinpath("static"))), name="static")
    docs = resources.files("fastapi_offline").joinpath("static")
    app.mount("/docs-assets", StaticFiles(directory=str(docs)), name="docs-assets")

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page, headers=PAGE_HEADERS)

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="talent-marketplace API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )
        page.headers.update(DOCS_HEADERS)
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url="/openapi.json",
            title="talent-marketplace API",
            redoc_js_url="/docs-assets/redoc.standalone.js",
            redoc_favicon_url="/docs-assets/favicon.png",
            with_google_fonts=False,
        )
        page.headers.update(DOCS_HEADERS)
        return page


# The page runs only its own scripts and styles, and may not be framed by another site.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# The API reference pages start their viewers with an inline script, and ReDoc would fetch its
# logo from its own CDN: same site only (the logo is simply not shown).
DOCS_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
}


def _finish_openapi(app: FastAPI) -> None:
    """Two things FastAPI's generated document does not say: API routes take a bearer token
    (the check itself is `serving/auth.py`, in each route's dependencies; signing in and out of
    the web app need none), and an error from a
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
                public = path.startswith((SESSION_PATH, bias_audit.PUBLIC_PREFIX))
                if path.startswith("/api/") and not public:
                    operation["security"] = [{"bearer": []}]
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[0] in "45" and "text/html" in content:
                        content["application/json"] = content.pop("text/html")
        app.openapi_schema = document
        return document

    # FastAPI's documented way to extend the document; mypy forbids assigning to a method.
    app.openapi = openapi  # type: ignore[method-assign]
