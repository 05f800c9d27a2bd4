"""A daemon thread that picks up newly promoted models while the server runs.

`talent models promote` writes to the database from another process; this thread notices
within `TALENT_MODEL_POLL_SECONDS` and swaps the model in (see training.live).
"""

from __future__ import annotations

import logging
import threading

from training.live import LiveRankers

log = logging.getLogger("talent.models")


class ModelWatcher:
    def __init__(self, rankers: LiveRankers, every_seconds: float) -> None:
        self.rankers = rankers
        self.every_seconds = every_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="model-watcher", daemon=True)

    def start(self) -> None:
        if self.every_seconds > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.every_seconds):
            for model in self.rankers.refresh():
                log.info("now serving %s for the %s direction", model.version, model.direction)
