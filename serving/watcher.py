"""A daemon thread for periodic work while the server runs: picking up newly promoted models
(`talent models promote` writes from another process), what other processes wrote, and
recomputing the fairness monitor. Work can also be asked for at once (`wake`): the
database's change notifications do so, and the period is then only the safety net.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

log = logging.getLogger("talent.background")

# Woken work runs at most this often: a burst of writes elsewhere costs one catch-up, not one
# per write, and the requests this process serves keep the interpreter.
MIN_GAP_SECONDS = 0.2


class Refresher:
    def __init__(self, tasks: list[tuple[str, Callable[[], object], float]]) -> None:
        """`tasks`: (name, work, every_seconds); a task with every_seconds <= 0 never runs."""
        self.tasks = [t for t in tasks if t[2] > 0]
        self._stop = threading.Event()
        self._woken = threading.Event()
        self._wanted: set[str] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="refresher", daemon=True)

    @property
    def names(self) -> set[str]:
        return {name for name, _, _ in self.tasks}

    def start(self) -> None:
        if self.tasks:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._woken.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def wake(self, names: Iterable[str]) -> None:
        """Run these tasks soon (within MIN_GAP_SECONDS of their last run), then on schedule."""
        with self._lock:
            self._wanted |= set(names) & self.names
            if self._wanted:
                self._woken.set()

    def _run(self) -> None:
        now = time.monotonic()
        due = {name: now + every for name, _, every in self.tasks}
        last = {name: float("-inf") for name, _, _ in self.tasks}
        tick = min(every for _, _, every in self.tasks)
        while not self._stop.is_set():
            now = time.monotonic()
            with self._lock:
                wanted, self._wanted = self._wanted, set()
                self._woken.clear()
            for name, work, every in self.tasks:
                if name not in wanted and now < due[name]:
                    continue
                if name in wanted and now - last[name] < MIN_GAP_SECONDS:
                    self._stop.wait(MIN_GAP_SECONDS - (now - last[name]))
                if self._stop.is_set():
                    return
                try:
                    work()
                except Exception:  # keep the thread alive; the next round retries
                    log.exception("background task %s failed", name)
                last[name] = time.monotonic()
                due[name] = last[name] + every
            pause = max(0.0, min(due.values()) - time.monotonic())
            self._woken.wait(min(pause, tick))
