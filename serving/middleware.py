"""What every request passes before any route runs, as one pure-ASGI layer (cheaper than
Starlette's BaseHTTPMiddleware, and able to answer before a body is read):

- a request id (the caller's `X-Request-ID` if well-formed, else a new one), echoed back;
- the client's address: the peer's, or, only when the peer is one of `trusted_proxies`, the
  one its `X-Forwarded-For` names (anyone else's header is ignored: it could dodge the limits
  below or aim them at someone else);
- NUL characters in the path or query: 422 (PostgreSQL cannot store them);
- the body limit: 413 before a byte of an oversized body is parsed; a body that takes longer
  than `body_timeout_seconds` to arrive: 408 (a trickled body would hold a connection);
- the rate limit per token (a token bucket, keyed by the token however it is presented: header
  in any spelling, or any of its web sessions), per client for requests without one;
- failed authentication, limited per presented credential and per client: past the limit an
  unrecognised credential is checked before it is refused, so a valid one is never held back
  by others' failures (from its address, or with other tokens); 429 with `Retry-After`;
- a body that is not JSON (415), and a body sent without any token (401 before it is parsed);
- admission: at most `max_concurrent_requests` requests are worked on at once, each holding at
  most one database connection; the rest wait here, holding nothing, and get a 503 after
  `queue_timeout_seconds`. Health endpoints skip the queue and the rate limit, so a loaded
  server still answers its probes;
- security headers on every response (`nosniff`, no referrer, no framing, a
  Content-Security-Policy on HTML that brings none, `Cache-Control: no-store` on all but the
  packaged static files), and an error that escapes a route answered in the error envelope;
- request counts and latencies for `/metrics`;
- a `Server-Timing` header with the time of each stage of a ranking (matching/stages.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import math
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from prometheus_client import Counter, Histogram
from starlette.concurrency import run_in_threadpool

from matching.stages import recording
from serving.connections import ConnectionAges
from serving.errors import envelope_body
from serving.session import SESSION_PATH, request_credential
from serving.settings import Settings

logger = logging.getLogger("talent.requests")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# (credential, from the cookie?) -> the token key of a valid credential, else None. Blocking
# (a database read): run in a worker thread.
Verifier = Callable[[str, bool], str | None]
Refusal = tuple[int, dict[str, Any], dict[str, str]]

REQUESTS = Counter("talent_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("talent_http_request_seconds", "HTTP request latency", ["method", "route"])
QUEUED = Histogram(
    "talent_http_queue_seconds",
    "Time requests waited for admission",
    buckets=(0.001, 0.01, 0.1, 1, 10),
)
REFUSED_CREDENTIALS = Counter(
    "talent_http_failed_credentials_refused_total",
    "Credentials refused unread after too many failed authentications",
)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
UNGATED = frozenset({"/healthz", "/readyz", "/metrics"})
MAX_BUCKETS = 10_000
# Checks of credentials from clients past their failure budget run this many at a time, in a
# lane of their own: a flood of guesses costs at most this many database reads at once and
# never takes the admission slots of everyone else's requests.
VERIFY_LANE = 2

# Every response: no content sniffing, no referrer leaves the site, no framing by anyone.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# HTML that brings no policy of its own (the fairness report): no script at all; its inline
# styles and SVG charts (data: images at most) still render. The web page and the API
# reference set their own (serving/app.py).
HTML_POLICY = (
    b"default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    b"base-uri 'none'; form-action 'none'"
)
NO_STORE = (b"cache-control", b"no-store")
# The packaged scripts, styles and fonts hold nobody's data: browsers may keep them.
CACHEABLE_PREFIXES = ("/static/", "/docs-assets/")


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


class KnownCredentials:
    """Credentials that authenticated here lately, by digest, with the token key they count
    under (least recently used forgotten first). Only authentication code vouches for one (the
    route sets `request.state.token_key`), so nobody can make a bad credential known."""

    def __init__(self, size: int = MAX_BUCKETS) -> None:
        self.size = size
        self._keys: OrderedDict[str, str] = OrderedDict()

    def get(self, digest: str) -> str | None:
        key = self._keys.get(digest)
        if key is not None:
            self._keys.move_to_end(digest)
        return key

    def learn(self, digest: str, key: str) -> None:
        self._keys[digest] = key
        self._keys.move_to_end(digest)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)

    def forget(self, digest: str) -> None:
        self._keys.pop(digest, None)


@dataclass(slots=True)
class Credential:
    text: str
    from_cookie: bool  # a web session id, else a bearer token

    @property
    def digest(self) -> str:
        """What the limiter keys it by: never the clear text."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:32]


@dataclass(slots=True)
class _Call:
    """What the guard learns about one request as it goes."""

    client: str
    credential: Credential | None = None
    started: bool = False
    code: int = 500


class RequestGuard:
    def __init__(self, app: ASGIApp, settings: Settings, verify: Verifier | None = None) -> None:
        self.app = app
        self.settings = settings
        rate, burst = settings.rate_limit_per_minute / 60, settings.rate_limit_burst
        self.requests = TokenBuckets(rate, burst)  # per token, or per client without one
        self.failures = TokenBuckets(rate, burst)  # failed authentications: credential, client
        self.known = KnownCredentials()
        self.verify = verify
        self.proxies = _networks(settings.trusted_proxies)
        # Keep-alive connections recycled, so clients spread over workers (serving/connections.py).
        self.connections = ConnectionAges()
        self._gate: asyncio.Semaphore | None = None  # made in the server's event loop
        self._lane: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        incoming = headers.get("x-request-id", "")
        minted = not REQUEST_ID.match(incoming)
        request_id = uuid.uuid4().hex if minted else incoming
        # A minted id is in no audit record yet: the log need not look whether it is taken.
        scope.setdefault("state", {}).update(request_id=request_id, request_id_minted=minted)
        call = _Call(client=self._client(scope))
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                call.started, call.code = True, message["status"]
                # As filed: the audit log gives a reused id a suffix, and the route says so.
                filed = scope["state"].get("request_id", request_id)
                raw = [*message.get("headers", []), (b"x-request-id", filed.encode())]
                if self.connections.closing(scope.get("client")):
                    raw.append((b"connection", b"close"))
                if stages:
                    raw.append((b"server-timing", _server_timing(stages)))
                message["headers"] = _secured(raw, scope["path"])
                self._settle(scope, call)
            await send(message)

        try:
            with recording() as stages:
                await self._guarded(scope, receive, send_with_id, headers, request_id, call)
        except Exception as exc:
            # The id the client was told to quote, beside the traceback the server prints next.
            logger.error(
                "request %s: %s %s failed with %s",
                request_id,
                scope["method"],
                scope["path"],
                type(exc).__name__,
            )
            # Starlette's last resort would answer plain text without the headers above.
            if not call.started:
                detail = "an unexpected error; quote the request id when reporting it"
                await _respond(
                    send_with_id, 500, envelope_body("internal_error", detail, request_id), {}
                )
            raise
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            LATENCY.labels(scope["method"], path).observe(time.perf_counter() - started)
            REQUESTS.labels(scope["method"], path, str(call.code)).inc()

    async def _guarded(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        request_id: str,
        call: _Call,
    ) -> None:
        refusal = self._refusal(scope, headers, request_id)
        if refusal is not None:
            await _respond(send, *refusal)
            return
        gated = scope["path"] not in UNGATED
        signing_in = scope["path"] == SESSION_PATH and scope["method"] == "POST"
        if gated and not signing_in:
            call.credential = _credential(scope, headers)
            refusal = await self._limit(call, request_id)
            if refusal is not None:
                await _respond(send, *refusal)
                return
        read = await self._bounded_body(scope, receive, send, request_id)
        if read is None:
            return
        receive, body = read
        if signing_in:  # the token to sign in with comes in the body
            call.credential = _sign_in_credential(body)
            refusal = await self._limit(call, request_id)
            if refusal is not None:
                await _respond(send, *refusal)
                return
        if gated:
            await self._admitted(scope, receive, send, request_id)
        else:
            await self.app(scope, receive, send)

    def _client(self, scope: Scope) -> str:
        """The peer's address; behind a trusted proxy, the first address from the right of
        X-Forwarded-For that is not itself a trusted proxy (the proxies append what they saw:
        what lies left of that may be the client's own invention)."""
        peer = scope.get("client")
        host = str(peer[0]) if peer else "unknown"
        if not self.proxies or not _within(host, self.proxies):
            return host
        forwarded = b",".join(v for k, v in scope.get("headers", []) if k == b"x-forwarded-for")
        hops = [hop.strip() for hop in forwarded.decode("latin-1").split(",") if hop.strip()]
        for hop in reversed(hops):
            host = hop
            if not _within(hop, self.proxies):
                break
        scope["client"] = (host, peer[1] if peer else 0)
        return host

    def _refusal(self, scope: Scope, headers: dict[str, str], request_id: str) -> Refusal | None:
        # One credential a request: with two Authorization (or Cookie) headers, this guard and
        # the route would read different ones (the last here, the first there), and a guess
        # could ride on a valid token's budget.
        raw = [name.lower() for name, _ in scope.get("headers", [])]
        for name in ("authorization", "cookie"):
            if raw.count(name.encode()) > 1:
                twice = [{"loc": ["header", name], "field": name, "message": "sent twice"}]
                return 400, envelope_body("bad_request", twice, request_id), {}
        if scope["path"] in UNGATED:  # probes read neither a body nor the query
            return None
        for part, text in (("path", scope["path"]), ("query", scope["query_string"].decode())):
            if "\x00" in unquote(text):
                fields = [{"loc": [part], "field": part, "message": "contains NUL"}]
                return 422, envelope_body("validation_failed", fields, request_id), {}
        length = headers.get("content-length")
        if length is not None and (
            not length.isdigit() or int(length) > self.settings.max_body_bytes
        ):
            return self._too_large(request_id)
        if self._has_body(scope, headers):
            signing_in = scope["path"] == SESSION_PATH  # the body carries the token
            token, _ = request_credential(headers)
            if token is None and scope["path"].startswith("/api/") and not signing_in:
                detail = "missing 'Authorization: Bearer <token>' header"
                return 401, envelope_body("unauthorized", detail, request_id), _BEARER
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if not (media == "application/json" or media.endswith("+json")):
                detail = "send the body as JSON (Content-Type: application/json)"
                return 415, envelope_body("unsupported_media_type", detail, request_id), {}
        return None

    async def _limit(self, call: _Call, request_id: str) -> Refusal | None:
        credential = call.credential
        if credential is None:
            return _rate_limited(self.requests.take(f"a:{call.client}"), request_id)
        digest = credential.digest
        key = self.known.get(digest)
        failing = (f"c:{digest}", f"a:{call.client}")
        if key is None and any(self.failures.peek(k) > 0 for k in failing):
            # Past a failure budget: a credential nobody has vouched for yet is checked before
            # it is refused, so that a valid one is never held back by failures it did not make.
            key = await self._verified(credential)
            if key is None:
                REFUSED_CREDENTIALS.inc()
                wait = max(self.failures.peek(k) for k in failing)
                return _rate_limited(wait, request_id, "too many failed authentications")
            self.known.learn(digest, key)
        return _rate_limited(self.requests.take(f"p:{key}" if key else f"t:{digest}"), request_id)

    async def _verified(self, credential: Credential) -> str | None:
        if self.verify is None:
            return None
        if self._lane is None:
            self._lane = asyncio.Semaphore(VERIFY_LANE)
        async with self._lane:
            return await run_in_threadpool(self.verify, credential.text, credential.from_cookie)

    def _settle(self, scope: Scope, call: _Call) -> None:
        """Once the answer is known: a failed authentication is charged to the credential and
        the client; a credential the route vouched for becomes known, and counts under its
        token from now on (this first request too)."""
        state = scope.get("state", {})
        credential = call.credential
        if call.code == 401 or state.get("auth_failed"):
            self.failures.take(f"a:{call.client}")
            if credential is not None:
                self.known.forget(credential.digest)
                self.failures.take(f"c:{credential.digest}")
            return
        key = state.get("token_key")
        if credential is not None and key is not None:
            if self.known.get(credential.digest) is None:
                self.requests.take(f"p:{key}")
            self.known.learn(credential.digest, key)

    @staticmethod
    def _has_body(scope: Scope, headers: dict[str, str]) -> bool:
        if scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            return False
        return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers

    def _too_large(self, request_id: str) -> Refusal:
        limit = self.settings.max_body_bytes
        detail = f"request body larger than {limit} bytes (TALENT_MAX_BODY_BYTES)"
        return 413, envelope_body("payload_too_large", detail, request_id), {}

    async def _bounded_body(
        self, scope: Scope, receive: Receive, send: Send, request_id: str
    ) -> tuple[Receive, bytes] | None:
        """The body is read here, counting, up to the limit, and handed on whole: a declared
        length is not trusted (a chunked body can come with one that lies), nor a slow sender
        waited for past `body_timeout_seconds` (the request has taken no admission slot yet)."""
        bodiless = scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS")
        if bodiless or scope["path"] in UNGATED:
            return receive, b""
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self.settings.body_timeout_seconds):
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
        except TimeoutError:
            limit = self.settings.body_timeout_seconds
            detail = f"the request body took longer than {limit:g} s to arrive"
            refusal = envelope_body("request_timeout", detail, request_id)
            # The rest of the body may still be on its way: this connection cannot carry on.
            await _respond(send, 408, refusal, {"connection": "close"})
            return None
        body, delivered = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay, body

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


def _rate_limited(wait: float, request_id: str, what: str = "too many requests") -> Refusal | None:
    if wait <= 0:
        return None
    retry = max(1, math.ceil(wait))
    body = envelope_body("rate_limited", f"{what}; retry in {retry} s", request_id)
    return 429, body, {"retry-after": str(retry)}


def _secured(raw: Iterable[tuple[bytes, bytes]], path: str) -> list[tuple[bytes, bytes]]:
    """The response's headers with the security headers it does not set itself."""
    headers = [(bytes(k), bytes(v)) for k, v in raw]
    present = {k.lower() for k, _ in headers}
    headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
    media = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if media.lower().startswith(b"text/html") and b"content-security-policy" not in present:
        headers.append((b"content-security-policy", HTML_POLICY))
    if b"cache-control" not in present and not path.startswith(CACHEABLE_PREFIXES):
        headers.append(NO_STORE)
    return headers


def _credential(scope: Scope, headers: dict[str, str]) -> Credential | None:
    """The credential authentication will read (the bearer header, scheme in any case and
    spaces around, else the web session cookie). Signing out reads none: it ends whatever
    session the cookie names, valid or not."""
    if scope["path"] == SESSION_PATH and scope["method"] == "DELETE":
        return None
    text, from_cookie = request_credential(headers)
    return None if text is None else Credential(text, from_cookie)


def _sign_in_credential(body: bytes) -> Credential | None:
    """The token a sign-in carries in its body (the route itself answers a malformed body)."""
    try:
        token = json.loads(body).get("token")
    except (ValueError, AttributeError):
        return None
    return Credential(token.strip(), False) if isinstance(token, str) and token.strip() else None


def _networks(entries: Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _within(host: str, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name ("testclient"), or garbage: never a trusted proxy
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def _server_timing(stages: dict[str, float]) -> bytes:
    return ", ".join(
        f"{name};dur={seconds * 1000:.2f}" for name, seconds in stages.items()
    ).encode()


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}


_BEARER = {"www-authenticate": "Bearer"}


async def _respond(send: Send, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
