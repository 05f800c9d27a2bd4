"""Real receivers for the notification tests, on 127.0.0.1 at free ports, always stopped: an
SMTP server (aiosmtpd) keeping what it receives, and a webhook receiver (http.server in a
thread) that can be told to fail a path a number of times before it recovers."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd's handler: each message received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Hooks:
    """What each webhook path received (headers and JSON), and failures still to answer."""

    def __init__(self) -> None:
        self.received: dict[str, list[tuple[dict[str, str], Any]]] = defaultdict(list)
        self.fail: dict[str, int] = defaultdict(int)
        self.answered_500 = 0
        self.lock = threading.Lock()
        self.base = ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def payloads(self, path: str) -> list[Any]:
        with self.lock:
            return [body for _, body in self.received[path]]

    def keys(self, path: str) -> list[str]:
        with self.lock:
            return [headers.get("Idempotency-Key", "") for headers, _ in self.received[path]]


@contextmanager
def webhook_receiver() -> Iterator[Hooks]:
    hooks = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with hooks.lock:
                failing = hooks.fail[self.path] > 0
                if failing:
                    hooks.fail[self.path] -= 1
                    hooks.answered_500 += 1
                else:
                    hooks.received[self.path].append((dict(self.headers), body))
            self.send_response(500 if failing else 200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"down for maintenance" if failing else b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hooks.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hooks
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
