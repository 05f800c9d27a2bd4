"""`talent notify`: the notifications that are due, sent once or in rounds."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Annotated

import typer

from serving.cli.console import console
from serving.cli.database import database
from serving.settings import Settings
from serving.state import build_state


def notify(
    once: Annotated[
        bool, typer.Option("--once", help="one round, then exit (for cron and scripts)")
    ] = False,
    digests: Annotated[
        bool,
        typer.Option(
            "--digests/--no-digests",
            help="also queue the digests of new matches now due (loads the match engine)",
        ),
    ] = False,
) -> None:
    """Send the notifications that are due (failed sends retried with back-off); without
    --once, a round every TALENT_NOTIFY_SECONDS (30 when 0) until stopped."""
    from serving.notifications.delivery import Courier
    from serving.notifications.worker import RoundReport, delivery_round

    settings = Settings()
    with ExitStack() as stack:
        run: Callable[[], RoundReport]
        if digests:
            state = build_state(settings)
            stack.callback(state.close)
            state.warm_up()
            run = lambda: delivery_round(state)  # noqa: E731
        else:
            courier = Courier(settings, stack.enter_context(database(settings)))
            run = lambda: RoundReport(0, courier.run_once())  # noqa: E731
        while True:
            report = run()
            counts = ", ".join(f"{k} {v}" for k, v in report.delivery.as_dict().items())
            console.print(f"digests queued {report.digests}; {counts}")
            if once:
                return
            try:
                time.sleep(settings.notify_seconds or 30.0)
            except KeyboardInterrupt:
                return
