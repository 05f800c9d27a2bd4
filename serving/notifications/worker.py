"""One round of the notification worker: queue the digests now due, then send what is due.
Run by the server's background thread every TALENT_NOTIFY_SECONDS, and by `talent notify`."""

from __future__ import annotations

from dataclasses import dataclass

from serving.notifications.delivery import Courier, Round
from serving.notifications.digest import queue_digests
from serving.state import ServiceState


@dataclass
class RoundReport:
    digests: int
    delivery: Round


def delivery_round(service: ServiceState, *, digests: bool = True) -> RoundReport:
    queued = queue_digests(service) if digests else 0
    return RoundReport(queued, Courier(service.settings, service.sessions).run_once())
