"""A daemon thread for periodic work while the server runs: picking up newly promoted models
(`talent models promote` writes from another process) and recomputing the fairness monitor.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("talent.background")


class Refresher:
    def __init__(self, tasks: list[tuple[str, Callable[[], object], float]]) -> None:
        """`tasks`: (name, work, every_seconds); a task with every_seconds <= 0 never runs."""
        self.tasks = [t for t in tasks if t[2] > 0]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="refresher", daemon=True)

    def start(self) -> None:
        if self.tasks:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        due = {name: time.monotonic() + every for name, _, every in self.tasks}
        tick = min(every for _, _, every in self.tasks)
        while not self._stop.wait(tick):
            now = time.monotonic()
            for name, work, every in self.tasks:
                if now < due[name]:
                    continue
                due[name] = now + every
                try:
                    work()
                except Exception:  # keep the thread alive; the next round retries
                    log.exception("background task %s failed", name)
