"""Errors carry their HTTP status; one envelope `{error, detail, request_id}` for every 4xx and
5xx the service sends, whoever raises it (a route, FastAPI's validation, Starlette's routing)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from data.importing import ImportRejected
from fairness.audit_log import AuditIntegrityError

log = logging.getLogger("talent.audit")


class ErrorEnvelope(BaseModel):
    """Every error the API sends: what went wrong, the details, and the request id to quote."""

    error: str = Field(examples=["not_found"])
    detail: Any = Field(default=None, description="a message, or an object saying more")
    request_id: str | None


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="where: body / query / path / header, then the path")
    field: str = Field(description="the dotted field name, e.g. skills.0.level")
    message: str
    index: int | None = Field(default=None, description="the item of a bulk array (bulk only)")


class ValidationEnvelope(ErrorEnvelope):
    """422: one entry per invalid field, each naming it."""

    error: str = Field(examples=["validation_failed"])
    detail: list[FieldProblem]


_DESCRIPTIONS = {
    400: "The body could not be decoded (not UTF-8)",
    401: "No token, or an unknown, revoked or expired one",
    403: "The token's role or permission does not allow this",
    404: "No such record (or none this caller may know of)",
    408: "The body took longer than TALENT_BODY_TIMEOUT_SECONDS to arrive",
    409: "The request conflicts with the current state (the detail says how)",
    412: "The If-Match header names another version than the stored one (the record "
    "changed since it was read): read it again",
    413: "The body is larger than TALENT_MAX_BODY_BYTES",
    415: "The body is not sent as JSON (Content-Type: application/json)",
    422: "Invalid input: every problem named by its field",
    429: "Too many requests for this token, or failed authentications from this client or "
    "with this credential; retry after the time given",
    503: "Temporarily unavailable (busy, or no model loaded); retry shortly",
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer, in the envelope it sends."""
    entries: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "model": ValidationEnvelope if status == 422 else ErrorEnvelope,
            "description": _DESCRIPTIONS[status],
        }
        if status in (429, 503):
            entry["headers"] = _RETRY_AFTER
        entries[status] = entry
    return entries


# What any API route can answer whatever it does: the token check, the guard in front of
# every request (body size and read time, NUL characters, rate limit, admission) and parameter
# validation.
API_ERRORS = documented(401, 408, 413, 422, 429, 503)


class AppError(Exception):
    status_code = 400
    error = "bad_request"

    def __init__(self, detail: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail


class Unauthorized(AppError):
    status_code, error = 401, "unauthorized"


class Forbidden(AppError):
    status_code, error = 403, "forbidden"


class NotFound(AppError):
    status_code, error = 404, "not_found"


class Conflict(AppError):
    status_code, error = 409, "conflict"


class PreconditionFailed(AppError):
    status_code, error = 412, "precondition_failed"


class Unavailable(AppError):
    status_code, error = 503, "unavailable"


class InvalidField(AppError):
    """A business-rule violation on one field (422, like schema errors)."""

    status_code, error = 422, "validation_failed"

    def __init__(self, field: str, message: str, *, where: str = "body") -> None:
        super().__init__([{"loc": [where, *_path(field)], "field": field, "message": message}])


class RecordRejected(AppError):
    """422 for one record sent as an object (not a bulk array): fields without an index."""

    status_code, error = 422, "validation_failed"

    def __init__(self, rejected: ImportRejected) -> None:
        super().__init__(
            [
                {"loc": ["body", *_path(e.field)], "field": e.field or "body", "message": e.message}
                for e in rejected.errors
            ]
        )


@contextmanager
def one_record() -> Iterator[None]:
    """Report an import of a single object's errors as that object's fields."""
    try:
        yield
    except ImportRejected as rejected:
        raise RecordRejected(rejected) from None


# What Starlette's own HTTP errors (unknown path, wrong method, unreadable body) are called.
HTTP_ERRORS = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _path(field: str) -> list[str | int]:
    """'skills.0.level' -> ['skills', 0, 'level'], the shape FastAPI uses in `loc`."""
    # isascii: "²".isdigit() is true, int("²") is not a number
    return [
        int(part) if part.isascii() and part.isdigit() else part
        for part in field.split(".")
        if part
    ]


def _methods_for(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI document lists for every path template matching `path`."""
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


def envelope_body(error: str, detail: Any, request_id: str | None) -> dict[str, Any]:
    return {"error": error, "detail": detail, "request_id": request_id}


def _envelope(
    request: Request, status: int, error: str, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(envelope_body(error, detail, request_id), status, headers=headers or None)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return _envelope(request, exc.status_code, exc.error, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = HTTP_ERRORS.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names only the first route matching the path
            headers["Allow"] = ", ".join(_methods_for(app, request.url.path))
        return _envelope(request, exc.status_code, error, exc.detail, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = []
        for err in exc.errors():
            if err["type"] == "json_invalid":  # its loc is a character position, not a field
                where = err["loc"][1] if len(err["loc"]) > 1 else "?"
                reason = (err.get("ctx") or {}).get("error", err["msg"])
                message = f"not valid JSON: {reason} (at character {where})"
                detail.append({"loc": ["body"], "field": "body", "message": message})
                continue
            loc = [str(part) for part in err["loc"]]
            field = (
                ".".join(loc[1:])
                if loc and loc[0] in {"body", "query", "path", "header"}
                else ".".join(loc)
            )
            detail.append({"loc": loc, "field": field or loc[0], "message": err["msg"]})
        return _envelope(request, 422, "validation_failed", detail)

    @app.exception_handler(IntegrityError)
    async def _constraint(request: Request, exc: IntegrityError) -> JSONResponse:
        # A unique or foreign key the request's checks could not see coming (another request
        # wrote the same key first): the caller's to retry or change, never a 500. The
        # statement stays in the log: it may hold other people's data.
        log.warning("constraint violation: %s", exc.orig)
        detail = (
            "the change conflicts with a record written at the same time (a duplicate key or "
            "a reference that no longer holds); read the current state and try again"
        )
        return _envelope(request, 409, "conflict", detail)

    @app.exception_handler(OperationalError)
    async def _contention(request: Request, exc: OperationalError) -> JSONResponse:
        # Waiting for another writer's lock past the database's patience (SQLite's busy
        # timeout) or a deadlock PostgreSQL broke: retrying shortly succeeds.
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate not in ("40001", "40P01", "55P03") and "database is locked" not in str(
            exc.orig
        ):
            raise exc
        detail = "the record is busy with another change; retry shortly"
        return _envelope(request, 503, "busy", detail, {"Retry-After": "1"})

    @app.exception_handler(AuditIntegrityError)
    async def _audit(request: Request, exc: AuditIntegrityError) -> JSONResponse:
        # Serving a ranking nobody can audit would be worse than serving none.
        log.error("audit log integrity: %s", exc)
        detail = (
            f"the audit log failed its integrity check ({exc}); rankings are not served "
            "until an operator has looked (talent audit verify)"
        )
        return _envelope(request, 503, "audit_log_damaged", detail)

    @app.exception_handler(ImportRejected)
    async def _import(request: Request, exc: ImportRejected) -> JSONResponse:
        detail = [
            {
                "loc": ["body", e.row - 1, *_path(e.field)],
                "index": e.row - 1,  # API bodies are arrays: report the item index
                "field": e.field,
                "message": e.message,
            }
            for e in exc.errors
        ]
        return _envelope(request, 422, "validation_failed", detail)
