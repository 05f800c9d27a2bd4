"""The notification outbox and people's notification preferences, stored.

A message is claimed by a conditional UPDATE (pending, due, or a lapsed claim -> sending), so
two workers never send one row at once; it is marked sent only after the channel accepted it,
and a failure puts it back with a later attempt time (or marks it failed for good).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from data.storage.queries import affected_rows
from data.storage.tables import EmployeeRow, NotificationPreferenceRow, OutboxRow

STATUSES = ("pending", "sending", "sent", "failed", "cancelled")
DIGEST_PERIOD = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}
DEFAULT_DIGEST = "weekly"
# A person's first digest comes one period after their schedule starts, less a moment of their
# own within the period's last seventh (a weekly digest's first comes over one day, a daily's
# over about 3.4 hours): a whole company seen on one worker round is not due on one round.
FIRST_DIGEST_SPREAD = 1 / 7
# Deactivated people (provisioning) hear nothing; the column exists once provisioning does.
_ACTIVE = getattr(EmployeeRow, "active", None)


def get_preferences(
    session: Session, employee_external_id: str
) -> NotificationPreferenceRow | None:
    return session.get(NotificationPreferenceRow, employee_external_id)


def save_preferences(
    session: Session, employee_external_id: str, *, now: dt.datetime, **values: Any
) -> NotificationPreferenceRow:
    row = get_preferences(session, employee_external_id)
    if row is None:
        row = NotificationPreferenceRow(
            employee_external_id=employee_external_id,
            channels=["email"],
            digest=DEFAULT_DIGEST,
            quiet=False,
        )
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now
    session.flush()
    return row


def add_messages(session: Session, rows: Sequence[OutboxRow]) -> None:
    session.add_all(rows)
    session.flush()


def _claimable(now: dt.datetime) -> Any:
    return or_(
        and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now),
        and_(OutboxRow.status == "sending", OutboxRow.claimed_until < now),
    )


def due_ids(session: Session, *, now: dt.datetime, limit: int) -> list[int]:
    """Messages ready to be sent (oldest first), and those whose sender died mid-claim."""
    query = select(OutboxRow.id).where(_claimable(now)).order_by(OutboxRow.id).limit(limit)
    return list(session.scalars(query))


def claim(session: Session, message_id: int, *, now: dt.datetime, until: dt.datetime) -> bool:
    """Take one message for sending (counting the attempt); False if another worker has it."""
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == message_id, _claimable(now))
        .values(status="sending", claimed_until=until, attempts=OutboxRow.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


def finish(session: Session, message_id: int, *, status: str, **values: Any) -> None:
    """The claimed message's outcome: sent, back to pending (a retry), failed or cancelled."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == message_id, OutboxRow.status == "sending")
        .values(status=status, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )


def get_message(session: Session, message_id: int) -> OutboxRow | None:
    return session.get(OutboxRow, message_id)


def list_messages(
    session: Session, *, status: str | None, limit: int, before_id: int | None = None
) -> list[OutboxRow]:
    """Newest first."""
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    if before_id is not None:
        query = query.where(OutboxRow.id < before_id)
    return list(session.scalars(query))


def status_counts(session: Session) -> dict[str, int]:
    query = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: count for status, count in session.execute(query)})
    return counts


def retry_failed(session: Session, message_id: int, *, now: dt.datetime) -> bool:
    """A failed message pending again with a fresh count of attempts; False if not failed."""
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == message_id, OutboxRow.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=now, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


def due_for_digest(session: Session, *, now: dt.datetime, limit: int) -> list[str]:
    """People whose digest period has passed since their last one (or since their schedule
    started: start_digest_schedules), longest waiting first."""
    prefs = NotificationPreferenceRow
    last = prefs.last_digest_at
    due = or_(
        *(
            and_(prefs.digest == name, last <= now - period)
            for name, period in DIGEST_PERIOD.items()
        )
    )
    query = (
        select(EmployeeRow.external_id)
        .join(prefs, prefs.employee_external_id == EmployeeRow.external_id)
        .where(prefs.quiet.is_(False), last.is_not(None), due)
        .order_by(last, EmployeeRow.id)
        .limit(limit)
    )
    if _ACTIVE is not None:
        query = query.where(_ACTIVE.is_(True))
    return list(session.scalars(query))


def schedule_start(employee_external_id: str, digest: str, *, now: dt.datetime) -> dt.datetime:
    """Where a person's digest schedule starts when the worker first sees them: now, moved
    back by their own share of FIRST_DIGEST_SPREAD (stable: read off a hash of their id), so
    the first digest lists what was posted over one full period, at most."""
    share = int.from_bytes(hashlib.sha256(employee_external_id.encode()).digest()[:8], "big")
    fraction = share / 2**64
    return now - DIGEST_PERIOD[digest] * (FIRST_DIGEST_SPREAD * fraction)


def start_digest_schedules(session: Session, *, now: dt.datetime, limit: int) -> int:
    """Start the digest schedule of people the worker has not seen yet (no digest ever, no
    schedule): nothing is sent now, their first digest comes about one period later. Those
    with no preferences get a row of the defaults (when they have an address to send to, as
    the default digest goes by e-mail). How many started."""
    prefs = NotificationPreferenceRow
    unseen = (
        select(EmployeeRow.external_id)
        .outerjoin(prefs, prefs.employee_external_id == EmployeeRow.external_id)
        .where(
            or_(
                and_(prefs.employee_external_id.is_(None), EmployeeRow.email.is_not(None)),
                and_(prefs.last_digest_at.is_(None), prefs.digest.in_(list(DIGEST_PERIOD))),
            )
        )
        .order_by(EmployeeRow.id)
        .limit(limit)
    )
    if _ACTIVE is not None:
        unseen = unseen.where(_ACTIVE.is_(True))
    started = 0
    for external_id in list(session.scalars(unseen)):
        row = get_preferences(session, external_id)
        if row is None:
            start = schedule_start(external_id, DEFAULT_DIGEST, now=now)
            save_preferences(session, external_id, now=now, last_digest_at=start)
            started += 1
            continue
        start = schedule_start(external_id, row.digest, now=now)
        result = session.execute(
            update(prefs)
            .where(prefs.employee_external_id == external_id, prefs.last_digest_at.is_(None))
            .values(last_digest_at=start)
            .execution_options(synchronize_session=False)
        )
        started += affected_rows(result)
    session.flush()
    return started


def stamp_digest(
    session: Session,
    employee_external_id: str,
    *,
    previous: dt.datetime | None,
    now: dt.datetime,
) -> bool:
    """Record that this person's digest was prepared now, if nobody else did since `previous`
    was read (two workers never queue one person's digest twice)."""
    row = get_preferences(session, employee_external_id)
    if row is None:
        save_preferences(session, employee_external_id, now=now, last_digest_at=now)
        return True
    condition = (
        NotificationPreferenceRow.last_digest_at.is_(None)
        if previous is None
        else NotificationPreferenceRow.last_digest_at == previous
    )
    result = session.execute(
        update(NotificationPreferenceRow)
        .where(NotificationPreferenceRow.employee_external_id == employee_external_id, condition)
        .values(last_digest_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


def is_active(employee: EmployeeRow) -> bool:
    return bool(getattr(employee, "active", True))
