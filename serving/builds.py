"""Heavy reads built off the request path, cached, and bounded per kind.

HR's fairness report (JSON and HTML) reads the whole audit and interaction logs, and the
outcome figures the whole pipeline; sixteen of them at once used to hold every admission slot
of serving/middleware.py for a minute, and pages behind them got a 503. Here:

- each kind has its own worker threads, as many as its budget (one report at a time, a few
  aggregates), outside the request slots;
- a build first reads the version of the data (data/storage/versions.py), then the data. Its
  answer is reused for a request only while the version is still the one it read: a cached
  answer is never stale. Every served ranking changes the data a report reads, so on a busy
  day most report requests find a newer version and are built again, within the budget;
- identical requests share a build: those that arrive before it starts join it (it will read
  what they asked about, or newer), and those that arrive while it runs join it only if the
  data has not changed since it began; otherwise they share the next one. So one set of
  parameters has at most one build running and one waiting;
- a request waits for its build only briefly (`wait_seconds`), and only as many requests at
  once as the kind has workers; the others are answered at once with the job, which the client
  asks about again (the same URL with `job=<id>`): the job's answer, once built, reflects the
  data as of the request or later, however much has changed since;
- a kind with too many builds waiting refuses more (503) rather than queue without end;
- a build is CPU-bound Python (and matplotlib): a page's request thread, which lets go of the
  GIL at every database call, waited up to the interpreter's switch interval (5 ms) to get it
  back each time. The interval is lowered once builds exist (SWITCH_INTERVAL_S).

Per process: with several server workers each builds and caches for itself (a poll that lands
on a worker that does not know the job starts or joins a build there).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

# Distinct builds one worker may have waiting or running: beyond, a new one is refused (503)
# rather than answered many minutes later. Requests that share a build do not count again.
QUEUED_PER_WORKER = 16
CACHE_ENTRIES = 32  # answers kept, per set of parameters (a report's HTML is ~0.5 MB)
JOBS_KEPT = 64  # finished jobs whose answer a poll can still fetch by id
# Measured on 2 cores (tests/serving/test_heavy_reads.py): an employee's match page at p50
# 14 ms alone, 289 ms while reports were built with the default 5 ms; 34 ms with 0.5 ms.
SWITCH_INTERVAL_S = 0.0005

# A build: called with a function to report the data version it is about to read (before it
# reads anything), it returns the answer.
Build = Callable[[Callable[[str], None]], Any]


class Busy(Exception):
    """Too many builds of this kind are waiting."""


@dataclass
class Job:
    job_id: str
    kind: str
    params: Hashable
    queued_at: dt.datetime
    version: str | None = None  # set when it starts: the data version it reads
    future: Future[Any] = field(default_factory=Future)

    @property
    def started(self) -> bool:
        return self.version is not None

    def view(self, poll: str, retry_after: int) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "kind": self.kind,
            "status": "building" if self.started else "queued",
            "queued_at": self.queued_at.isoformat(),
            "poll": poll,
            "retry_after": retry_after,
        }


@dataclass(frozen=True)
class Built:
    """What a request gets: the answer (`ready`), or the job building it."""

    ready: bool
    value: Any = None
    job: Job | None = None
    cached: bool = False


class Builds:
    def __init__(
        self,
        budgets: Mapping[str, int],
        *,
        wait_seconds: float,
        sessions: sessionmaker[Session],
        close: Callable[[], None] | None = None,
        cache_entries: int = CACHE_ENTRIES,
    ) -> None:
        """`sessions`: the builds' own connections (one per worker); `close` releases them."""
        self.sessions, self._close = sessions, close
        self.wait_seconds = wait_seconds
        self.budgets = dict(budgets)
        self.cache_entries = cache_entries
        self._executors = {
            kind: ThreadPoolExecutor(max_workers=n, thread_name_prefix=f"build-{kind}")
            for kind, n in self.budgets.items()
        }
        self._waiters = {kind: threading.BoundedSemaphore(n) for kind, n in self.budgets.items()}
        self._cache: OrderedDict[Hashable, tuple[str, Any]] = OrderedDict()  # -> version, answer
        self._waiting: dict[Hashable, Job] = {}  # params -> the job not started yet
        self._running: dict[Hashable, Job] = {}  # params -> the job building now
        self._finished: OrderedDict[str, Job] = OrderedDict()  # job id -> job, done or failed
        self._lock = threading.Lock()
        self.builds_run = 0  # how many builds ran (tests count them)
        # Process-wide, and only ever lowered: a build must not convoy the request threads.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))

    def cached(self, params: Hashable, version: str) -> Any | None:
        """The answer for these parameters if it was built from this very data version."""
        with self._lock:
            entry = self._cache.get(params)
            return entry[1] if entry is not None and entry[0] == version else None

    def keep(self, params: Hashable, version: str, value: Any) -> None:
        """Cache an answer built elsewhere (the report a page build made on its way)."""
        with self._lock:
            self._store(params, version, value)

    def fetch(
        self, kind: str, params: Hashable, version: str, build: Build, *, job_id: str | None = None
    ) -> Built:
        """The answer for `params` as of data `version` or later: from the job `job_id` when
        this is a poll and the job is known here, else cached, else from a build started or
        joined here if it ends within the wait, else the job building it.

        Raises Busy when the kind has too many builds waiting, and a build's own exception to
        whoever asks after it failed (by its job id, or the request that waited for it)."""
        with self._lock:
            job = self._finished.get(job_id or "") or self._job_by_id(job_id)
            if job is not None and job.params != params:
                job = None  # an id from another question: answer this one
            if job is None:
                entry = self._cache.get(params)
                if entry is not None and entry[0] == version:
                    self._cache.move_to_end(params)
                    return Built(ready=True, value=entry[1], cached=True)
                job = self._join_or_queue(kind, params, version, build)
        if job.future.done():
            return Built(ready=True, value=job.future.result(), job=job)
        return self._wait(job)

    def _job_by_id(self, job_id: str | None) -> Job | None:
        if job_id is None:
            return None
        for job in (*self._waiting.values(), *self._running.values()):
            if job.job_id == job_id:
                return job
        return None

    def _join_or_queue(self, kind: str, params: Hashable, version: str, build: Build) -> Job:
        """Under the lock: the build that will answer this request, started if need be."""
        waiting = self._waiting.get(params)
        if waiting is not None:  # it has not read anything yet: it will read this or newer
            return waiting
        running = self._running.get(params)
        if running is not None and running.version == version:
            return running  # it reads exactly what this request asks about
        queued = sum(j.kind == kind for j in (*self._waiting.values(), *self._running.values()))
        if queued >= QUEUED_PER_WORKER * self.budgets[kind]:
            raise Busy(f"{queued} {kind} builds are waiting or running")
        job = Job(secrets.token_hex(8), kind, params, dt.datetime.now(dt.UTC))
        self._waiting[params] = job
        job.future = self._executors[kind].submit(self._run, job, build)
        return job

    def _wait(self, job: Job) -> Built:
        waiters = self._waiters[job.kind]
        if self.wait_seconds <= 0 or not waiters.acquire(blocking=False):
            return Built(ready=False, job=job)
        try:
            value = job.future.result(timeout=self.wait_seconds)
        except FutureTimeout:
            return Built(ready=False, job=job)
        finally:
            waiters.release()
        return Built(ready=True, value=value, job=job)

    def _run(self, job: Job, build: Build) -> Any:
        def reading(version: str) -> None:
            with self._lock:
                job.version = version
                if self._waiting.get(job.params) is job:
                    del self._waiting[job.params]
                self._running[job.params] = job

        try:
            value = build(reading)
            if job.version is None:
                raise RuntimeError("a build must say which data version it reads")
        except BaseException:
            log.exception("building %s failed", job.kind)
            with self._lock:
                self._forget(job)
            raise
        with self._lock:
            self._store(job.params, job.version, value)
            self._forget(job)
            self.builds_run += 1
        return value

    def _forget(self, job: Job) -> None:
        """Under the lock: the job is done; its answer (or failure) stays fetchable by id."""
        for table in (self._waiting, self._running):
            if table.get(job.params) is job:
                del table[job.params]
        self._finished[job.job_id] = job
        while len(self._finished) > JOBS_KEPT:
            self._finished.popitem(last=False)

    def _store(self, params: Hashable, version: str, value: Any) -> None:
        self._cache[params] = (version, value)
        self._cache.move_to_end(params)
        while len(self._cache) > self.cache_entries:
            self._cache.popitem(last=False)

    def shutdown(self) -> None:
        for executor in self._executors.values():
            executor.shutdown(wait=True, cancel_futures=True)
        if self._close is not None:
            self._close()
