"""The digest of new matches: for each person whose daily or weekly period has passed, the
opportunities posted since their last digest that the ranker puts in their matches, best
first, queued as one message (nothing is queued when nothing new matched).

A person's schedule starts the first time the worker sees them (for a company that turns the
worker on, that round; later, the round after someone joins or turns their digest back on):
nothing is sent then, and their first digest comes about one period later, at a moment of
their own (data.storage.notifications.FIRST_DIGEST_SPREAD), so a whole company is never due
at once; the per-round cap only smooths what is left.

A digest is prepared in a transaction of its own per person: the person's `last_digest_at` is
moved by compare-and-set in the same transaction as the message, so two workers never queue
one person's digest twice, and a failure queues nothing and leaves the period due.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.schemas import OpportunityKind
from data.storage import notifications as store
from data.storage.employees import get_employee
from data.storage.engine import transaction
from matching.pipeline import score_matches
from serving.notifications import messages
from serving.notifications.outbox import deliverable_channels, notify
from serving.state import ServiceState
from training.live import LiveModel

log = logging.getLogger("talent.notifications")

DIGEST_SIZE = 5  # opportunities one digest lists at most
SCHEDULES_PER_RUN = 1000  # schedules one round starts at most (no ranking: cheap)


def queue_digests(state: ServiceState, *, now: dt.datetime | None = None) -> int:
    """Digests queued for the people due one (TALENT_NOTIFY_DIGESTS_PER_RUN at most)."""
    now = now or dt.datetime.now(dt.UTC)
    limit = state.settings.notify_digests_per_run
    if limit == 0:
        return 0
    try:
        with transaction(state.sessions) as session:
            store.start_digest_schedules(session, now=now, limit=SCHEDULES_PER_RUN)
    except IntegrityError:
        pass  # another worker started some of them at the same moment: the next round goes on
    try:
        model = state.rankers.get("employee")
    except KeyError:
        log.warning("no employee ranker is live: digests wait")
        return 0
    with state.sessions() as session:
        due = store.due_for_digest(session, now=now, limit=limit)
    queued = 0
    for external_id in due:
        try:
            with transaction(state.sessions) as session:
                queued += _digest_for(state, session, model, external_id, now=now)
        except IntegrityError:
            continue  # another worker prepared this person's digest at the same moment
    return queued


def _digest_for(
    state: ServiceState, session: Session, model: LiveModel, external_id: str, *, now: dt.datetime
) -> int:
    employee = get_employee(session, external_id)
    if employee is None:
        return 0
    prefs = store.get_preferences(session, external_id)
    frequency = prefs.digest if prefs is not None else store.DEFAULT_DIGEST
    if frequency not in store.DIGEST_PERIOD:
        return 0
    previous = prefs.last_digest_at if prefs is not None else None
    if previous is None:
        return 0  # no schedule yet: the round's start_digest_schedules starts it, sending nothing
    since = _aware(previous)
    if not store.stamp_digest(session, external_id, previous=previous, now=now):
        return 0
    if not deliverable_channels(session, state.settings, external_id):
        return 0  # nowhere to send it: no ranking spent on it (the period still moves)
    kinds = [k.value for k in OpportunityKind if k.value in (employee.open_to or [])]
    state.matcher.ensure_employee(employee)
    fresh: list[tuple[float, str, Any]] = []  # the items are rows once shown
    for kind in kinds or [k.value for k in OpportunityKind]:
        scored = score_matches(session, state.matcher, model, employee, kind=kind, now=now)
        scored.show(session)  # when each was posted, and what the message says of it
        for item, score in zip(scored.items, scored.scores, strict=True):
            posted = getattr(item, "posted_at", None)
            if posted is not None and _aware(posted) > since:
                fresh.append((float(score), item.external_id, item))
    if not fresh:
        return 0
    fresh.sort(key=lambda found: (-found[0], found[1]))
    best = [item for _, _, item in fresh[:DIGEST_SIZE]]
    notice = messages.digest(state.settings.public_url, best, frequency=frequency)
    return 1 if notify(session, state.settings, external_id, notice, now=now) else 0


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every time the service stores is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
