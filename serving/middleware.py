"""What every request passes before any route runs, as one pure-ASGI layer (cheaper than
Starlette's BaseHTTPMiddleware, and able to answer before a body is read):

- a request id (the caller's `X-Request-ID` if well-formed, else a new one), echoed back;
- NUL characters in the path or query: 422 (PostgreSQL cannot store them);
- the body limit: 413 before a byte of an oversized body is parsed;
- the rate limit per token (a token bucket, keyed by the token however its header is spelt),
  and per address for requests that fail authentication (guessing tokens): 429 with
  `Retry-After`;
- a body that is not JSON (415), and a body sent without any token (401 before it is parsed);
- admission: at most `max_concurrent_requests` requests are worked on at once, each holding at
  most one database connection; the rest wait here, holding nothing, and get a 503 after
  `queue_timeout_seconds`. Health endpoints skip the queue and the rate limit, so a loaded
  server still answers its probes;
- request counts and latencies for `/metrics`;
- a `Server-Timing` header with the time of each stage of a ranking (matching/stages.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

from prometheus_client import Counter, Histogram

from matching.stages import recording
from serving.errors import envelope_body
from serving.session import SESSION_PATH, request_token
from serving.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUESTS = Counter("talent_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("talent_http_request_seconds", "HTTP request latency", ["method", "route"])
QUEUED = Histogram(
    "talent_http_queue_seconds",
    "Time requests waited for admission",
    buckets=(0.001, 0.01, 0.1, 1, 10),
)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
UNGATED = frozenset({"/healthz", "/readyz", "/metrics"})
MAX_BUCKETS = 10_000


class TokenBuckets:
    """Per-key token buckets: `rate` requests per second on average, bursts of `burst`."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def peek(self, key: str) -> float:
        """What `take` would answer, without taking."""
        if self.rate <= 0:
            return 0.0
        tokens = self._level(key, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.rate)

    def take(self, key: str) -> float:
        """0 if the request may go ahead, else the seconds until it may."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        tokens = self._level(key, now)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_full(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold no information."""
        full = [
            k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]


class RequestGuard:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.buckets = TokenBuckets(settings.rate_limit_per_minute / 60, settings.rate_limit_burst)
        self._gate: asyncio.Semaphore | None = None  # made in the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        incoming = headers.get("x-request-id", "")
        request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                # As filed: the audit log gives a reused id a suffix, and the route says so.
                filed = scope["state"].get("request_id", request_id)
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", filed.encode())]
                if stages:
                    message["headers"].append((b"server-timing", _server_timing(stages)))
                if message["status"] == 401:
                    self.buckets.take(_address(scope))  # failed logins count per address
            await send(message)

        with recording() as stages:
            await self._guarded(scope, receive, send_with_id, headers, request_id, started, status)

    async def _guarded(
        self,
        scope: Scope,
        receive: Receive,
        send_with_id: Send,
        headers: dict[str, str],
        request_id: str,
        started: float,
        status: dict[str, int],
    ) -> None:
        try:
            refusal = self._refusal(scope, headers, request_id)
            if refusal is not None:
                await _respond(send_with_id, *refusal)
                return
            receive = await self._bounded_body(scope, headers, receive, send_with_id, request_id)
            if receive is None:
                return
            if scope["path"] in UNGATED:
                await self.app(scope, receive, send_with_id)
            else:
                await self._admitted(scope, receive, send_with_id, request_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            LATENCY.labels(scope["method"], path).observe(time.perf_counter() - started)
            REQUESTS.labels(scope["method"], path, str(status["code"])).inc()

    def _refusal(
        self, scope: Scope, headers: dict[str, str], request_id: str
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        if scope["path"] in UNGATED:  # probes read neither a body nor the query
            return None
        for part, text in (("path", scope["path"]), ("query", scope["query_string"].decode())):
            if "\x00" in unquote(text):
                detail = [{"loc": [part], "field": part, "message": "contains NUL"}]
                return 422, envelope_body("validation_failed", detail, request_id), {}
        length = headers.get("content-length")
        if length is not None and (
            not length.isdigit() or int(length) > self.settings.max_body_bytes
        ):
            return self._too_large(request_id)
        token = _token(headers)
        if self._has_body(scope, headers):
            signing_in = scope["path"] == SESSION_PATH  # the body carries the token
            if token is None and scope["path"].startswith("/api/") and not signing_in:
                detail = "missing 'Authorization: Bearer <token>' header"
                return 401, envelope_body("unauthorized", detail, request_id), _BEARER
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if not (media == "application/json" or media.endswith("+json")):
                detail = "send the body as JSON (Content-Type: application/json)"
                return 415, envelope_body("unsupported_media_type", detail, request_id), {}
        for key in (f"t:{token}" if token else None, _address(scope)):
            # An address is only charged for failed authentications (see send_with_id): here
            # it is looked at, not charged, unless the request carries no token at all.
            if key is None:
                continue
            wait = (
                self.buckets.take(key) if key[0] == "t" or token is None else self.buckets.peek(key)
            )
            if wait > 0:
                retry = max(1, math.ceil(wait))
                detail = f"too many requests; retry in {retry} s"
                headers_out = {"retry-after": str(retry)}
                return 429, envelope_body("rate_limited", detail, request_id), headers_out
        return None

    @staticmethod
    def _has_body(scope: Scope, headers: dict[str, str]) -> bool:
        if scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            return False
        return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers

    def _too_large(self, request_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        limit = self.settings.max_body_bytes
        detail = f"request body larger than {limit} bytes (TALENT_MAX_BODY_BYTES)"
        return 413, envelope_body("payload_too_large", detail, request_id), {}

    async def _bounded_body(
        self, scope: Scope, headers: dict[str, str], receive: Receive, send: Send, request_id: str
    ) -> Receive | None:
        """The body is read here, counting, up to the limit, and handed on whole: a declared
        length is not trusted (a chunked body can come with one that lies)."""
        bodiless = scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS")
        if bodiless or scope["path"] in UNGATED:
            return receive
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.settings.max_body_bytes:
                await _respond(send, *self._too_large(request_id))
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body, delivered = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    async def _admitted(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.settings.max_concurrent_requests)
        queued = time.perf_counter()
        try:
            await asyncio.wait_for(self._gate.acquire(), self.settings.queue_timeout_seconds)
        except TimeoutError:
            detail = "the server is busy; retry shortly"
            body = envelope_body("unavailable", detail, request_id)
            await _respond(send, 503, body, {"retry-after": "1"})
            return
        QUEUED.observe(time.perf_counter() - queued)
        try:
            await self.app(scope, receive, send)
        finally:
            self._gate.release()


def _server_timing(stages: dict[str, float]) -> bytes:
    return ", ".join(
        f"{name};dur={seconds * 1000:.2f}" for name, seconds in stages.items()
    ).encode()


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}


_BEARER = {"www-authenticate": "Bearer"}


def _token(headers: dict[str, str]) -> str | None:
    """A digest of the token as authentication reads it (the bearer header, scheme in any
    case and spaces around, else the web app's session cookie), so that spelling the header
    differently, or signing in through the page, does not earn a second bucket."""
    token, _ = request_token(headers)
    if token is None:
        return None
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return f"a:{client[0] if client else 'unknown'}"


async def _respond(send: Send, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
