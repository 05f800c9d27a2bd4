"""The delivery worker: claim what is due, send it, mark it; retry with exponential back-off,
and after the last attempt mark it failed for an admin to see (and retry).

Each message is claimed in a transaction of its own (a conditional UPDATE: two workers never
both take one), sent outside any transaction, then marked in another. A receiver that fails
and recovers gets each message once: a failure puts the row back to pending, a success marks
it sent and it is never claimed again. Only a crash between the channel's acceptance and the
mark can repeat a message (the claim's lease runs out and it is sent again); that copy carries
the same Message-ID / Idempotency-Key, so a receiver can drop it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from data.storage import notifications as store
from data.storage.employees import get_employee
from data.storage.engine import transaction
from data.storage.tables import OutboxRow
from serving.notifications import channels
from serving.notifications.messages import action_words
from serving.notifications.settings import NotificationSettings, webhook_url_problem

log = logging.getLogger("talent.notifications")

# How long a claim holds a message: longer than any one send may take (the SMTP and webhook
# timeouts), so a live worker's message is never taken over.
LEASE = dt.timedelta(minutes=5)
WEBHOOK_TIMEOUT_SECONDS = 10.0


@dataclass
class Round:
    """What one delivery round did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "cancelled": self.cancelled,
        }


class Cancelled(Exception):
    """Not to be sent at all any more (the person turned quiet, or left)."""


def backoff(settings: NotificationSettings, attempts: int) -> dt.timedelta:
    """The wait after `attempts` failed attempts: base, 2 x base, 4 x base ... up to the cap."""
    seconds = settings.notify_backoff_seconds * 2 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, settings.notify_backoff_max_seconds))


class Courier:
    def __init__(
        self,
        settings: NotificationSettings,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def run_once(self) -> Round:
        """Send every message due now (up to TALENT_NOTIFY_BATCH)."""
        done = Round()
        now = self.clock()
        with self.sessions() as session:
            due = store.due_ids(session, now=now, limit=self.settings.notify_batch)
        for message_id in due:
            self._deliver(message_id, done)
        return done

    def _deliver(self, message_id: int, done: Round) -> None:
        now = self.clock()
        with transaction(self.sessions) as session:
            if not store.claim(session, message_id, now=now, until=now + LEASE):
                return  # another worker has it
            row = store.get_message(session, message_id)
            assert row is not None
            session.refresh(row)
            try:
                send = self._sender(session, row)
            except Cancelled as why:
                store.finish(session, message_id, status="cancelled", last_error=str(why))
                done.cancelled += 1
                return
            except channels.DeliveryFailed as failed:
                self._failed(session, row, failed, done)
                return
        try:
            send()
        except channels.DeliveryFailed as failed:
            with transaction(self.sessions) as session:
                row = store.get_message(session, message_id)
                assert row is not None
                self._failed(session, row, failed, done)
            return
        with transaction(self.sessions) as session:
            store.finish(session, message_id, status="sent", sent_at=self.clock(), last_error="")
        done.sent += 1

    def _failed(
        self, session: Session, row: OutboxRow, failed: channels.DeliveryFailed, done: Round
    ) -> None:
        error = str(failed)[:1000]
        if failed.permanent or row.attempts >= self.settings.notify_max_attempts:
            store.finish(session, row.id, status="failed", last_error=error)
            log.warning(
                "notification %s failed for good after %s attempts: %s", row.id, row.attempts, error
            )
            done.failed += 1
            return
        store.finish(
            session,
            row.id,
            status="pending",
            last_error=error,
            next_attempt_at=self.clock() + backoff(self.settings, row.attempts),
        )
        done.retrying += 1

    def _sender(self, session: Session, row: OutboxRow) -> Callable[[], None]:
        """What sending this message takes, with its address read now (a person who turned
        quiet since the event hears nothing; a changed address is used)."""
        subject, body, link, action = row.subject, row.body, row.link, action_words(row.event)
        outbox_id = row.id
        if row.recipient_external_id is None:
            company_url = (
                self.settings.slack_webhook_url
                if row.channel == "slack"
                else self.settings.teams_webhook_url
            )
            if company_url is None:
                raise Cancelled(f"the company's {row.channel} webhook is no longer configured")
            return self._webhook(
                row.channel, company_url.get_secret_value(), outbox_id, subject, body, link, action
            )
        employee = get_employee(session, row.recipient_external_id)
        if employee is None or not store.is_active(employee):
            raise Cancelled("the recipient is no longer on record")
        prefs = store.get_preferences(session, row.recipient_external_id)
        if prefs is not None and prefs.quiet:
            raise Cancelled("the recipient turned on quiet mode")
        if row.channel == "email":
            if not self.settings.email_enabled:
                raise Cancelled("e-mail is no longer configured (TALENT_SMTP_HOST)")
            if not employee.email:
                raise channels.DeliveryFailed("the recipient has no e-mail address", permanent=True)
            to = employee.email
            settings = self.settings
            return lambda: channels.send_email(
                settings,
                outbox_id=outbox_id,
                to=to,
                subject=subject,
                body=body,
                link=link,
                action=action,
            )
        url = (
            (prefs.slack_webhook_url if row.channel == "slack" else prefs.teams_webhook_url)
            if prefs
            else None
        )
        if not url:
            raise Cancelled(f"the recipient removed their {row.channel} webhook")
        problem = webhook_url_problem(
            url,
            self.settings.notify_webhook_hosts,
            development=getattr(self.settings, "environment", "development") == "development",
        )
        if problem:
            raise channels.DeliveryFailed(
                f"the recipient's {row.channel} webhook {problem}", permanent=True
            )
        return self._webhook(row.channel, url, outbox_id, subject, body, link, action)

    def _webhook(
        self,
        channel: str,
        url: str,
        outbox_id: int,
        subject: str,
        body: str,
        link: str,
        action: str,
    ) -> Callable[[], None]:
        shape = channels.slack_payload if channel == "slack" else channels.teams_payload
        payload = shape(subject=subject, body=body, link=link, action=action)
        return lambda: channels.post_webhook(
            url, payload, outbox_id=outbox_id, timeout=WEBHOOK_TIMEOUT_SECONDS
        )
