"""Keep-alive connections are closed after a while, so that clients spread over the workers.

A client that keeps its connection sends every request to the worker that accepted it: clients
that connected while one worker was still starting (or restarting), or that all connected in
one burst, stay on it however busy it is while the others idle (bench/NOTES.md, "Two workers").
So a response on a connection older than MAX_AGE_SECONDS, or after MAX_REQUESTS on it, says
`Connection: close`; the client's next request opens a new connection, which the kernel gives
to one of the workers. Web proxies do the same with their upstreams for the same reason (nginx's
keepalive_requests and keepalive_time). A connection is known by the client's address and port.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

MAX_AGE_SECONDS = 10.0
MAX_REQUESTS = 200
MAX_TRACKED = 10_000  # connections remembered; the oldest are forgotten first


class ConnectionAges:
    def __init__(
        self,
        *,
        max_age: float = MAX_AGE_SECONDS,
        max_requests: int = MAX_REQUESTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_age = max_age
        self.max_requests = max_requests
        self._clock = clock
        # Per connection: when its first response went, and how many have gone since.
        self._seen: OrderedDict[tuple[str, int], list[float]] = OrderedDict()

    def closing(self, address: Sequence[Any] | None) -> bool:
        """Count a response on the connection from `address` (the ASGI scope's client: host
        and port); True when it should be the last one."""
        if not address:
            return False
        client = (str(address[0]), int(address[1]))
        now = self._clock()
        entry = self._seen.get(client)
        if entry is None:
            entry = self._seen[client] = [now, 0]
            while len(self._seen) > MAX_TRACKED:
                self._seen.popitem(last=False)
        entry[1] += 1
        if now - entry[0] >= self.max_age or entry[1] >= self.max_requests:
            del self._seen[client]  # a new connection from the same port starts afresh
            return True
        return False
