"""Work that waits for the request's commit: a use case queues it on the session, the request's
transaction (serving/deps.get_session) runs it once the data is durable."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

AFTER_COMMIT = "after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` right after `session` commits (never if it rolls back): index refreshes
    and notifications must not announce what a failed commit took back."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


def run_after_commit(session: Session) -> None:
    """The callbacks queued on `session`, in order, once; the caller has just committed it."""
    for callback in session.info.pop(AFTER_COMMIT, []):
        callback()


def forget_after_commit(session: Session) -> None:
    """A rolled-back session's queue: dropped, never run."""
    session.info.pop(AFTER_COMMIT, None)
