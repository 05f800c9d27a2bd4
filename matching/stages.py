"""Where a request's time goes: each stage of a ranking (retrieve, load rows, features, score,
re-rank, explain, page, audit write) adds its seconds to the request's record, if it has one.

The middleware opens a record per request and answers it as a `Server-Timing` header;
bench/serving.py reads the same record in process. Without an open record a stage costs one
context-variable lookup.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# A dict shared by reference: a route that runs in a worker thread gets a copy of the context,
# and so the same dict, and its stages land where the middleware reads them.
_times: ContextVar[dict[str, float] | None] = ContextVar("stage_times", default=None)


@contextmanager
def recording() -> Iterator[dict[str, float]]:
    """Record the stages run inside this block; yields {stage: seconds}, in the order run."""
    times: dict[str, float] = {}
    token = _times.set(times)
    try:
        yield times
    finally:
        _times.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    times = _times.get()
    if times is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        times[name] = times.get(name, 0.0) + time.perf_counter() - started
