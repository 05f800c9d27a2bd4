"""Interaction events (impressions, applications, outcomes) appended in bulk.

The log is the record of what people decided: each row is sealed by the audit log just after
the transaction that wrote it commits (data/storage/audit.py tells it; fairness/audit_log.py
seals), so a deleted or rewritten event is reported by `talent audit verify`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from data.schemas import InteractionIn, InteractionType, OpportunityStatus
from data.storage.audit import mark_sealable
from data.storage.tables import EmployeeRow, InteractionRow, OpportunityRow, OversightEventRow


def add_interactions(
    session: Session, events: Sequence[InteractionIn], *, batch: int = 5000
) -> int:
    """Append events with multi-row inserts (the demo history has ~10^5 of them)."""
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        session.execute(
            insert(InteractionRow),
            [
                {
                    "request_id": e.request_id,
                    "employee_external_id": e.employee_external_id,
                    "opportunity_external_id": e.opportunity_external_id,
                    "type": e.type.value,
                    "position": e.position,
                    "rating": e.rating,
                    "occurred_at": e.occurred_at,
                }
                for e in chunk
            ],
        )
    if events:
        mark_sealable(session)  # a bulk insert passes no ORM event: say so by hand
    return len(events)


def count_interactions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(InteractionRow)) or 0


class ReactionRefused(Exception):
    """The employee may not react this way to this opportunity (the message says why)."""


def record_reaction(
    session: Session,
    *,
    employee: EmployeeRow,
    opportunity: OpportunityRow,
    type: InteractionType,
    request_id: str | None = None,
) -> bool:
    """Store an employee's apply, save or dismiss; False if it was already recorded."""
    if opportunity.owner_external_id == employee.external_id:
        raise ReactionRefused("this is your own opportunity")
    if type is InteractionType.APPLY and opportunity.status != OpportunityStatus.OPEN.value:
        raise ReactionRefused(f"the opportunity is {opportunity.status}, not open")
    if type in UNDONE_BY:  # a save or dismissal stands until taken back, then may come again
        if opportunity.external_id in standing_reactions(session, employee.external_id, type):
            return False
    else:
        earlier = session.scalar(
            select(func.count())
            .select_from(InteractionRow)
            .where(
                InteractionRow.employee_external_id == employee.external_id,
                InteractionRow.opportunity_external_id == opportunity.external_id,
                InteractionRow.type == type.value,
            )
        )
        if earlier:
            return False
    _append(session, employee.external_id, opportunity.external_id, type, request_id)
    return True


# The reactions a person can take back, and the event that takes each back.
UNDONE_BY = {
    InteractionType.SAVE: InteractionType.UNSAVE,
    InteractionType.DISMISS: InteractionType.UNDISMISS,
}


def _append(
    session: Session,
    employee_external_id: str,
    opportunity_external_id: str,
    type: InteractionType,
    request_id: str | None,
) -> None:
    session.add(
        InteractionRow(
            request_id=request_id,
            employee_external_id=employee_external_id,
            opportunity_external_id=opportunity_external_id,
            type=type.value,
            occurred_at=dt.datetime.now(dt.UTC),
        )
    )
    session.flush()


def log_step(
    session: Session,
    *,
    request_id: str | None,
    employee_external_id: str,
    opportunity_external_id: str,
    type: InteractionType,
    occurred_at: dt.datetime,
    actor_role: str,
    actor: str,
    details: dict[str, Any] | None,
    rating: int | None = None,
) -> None:
    """Append one workflow event on a pair, with who took it and what they said (a step, an
    approval, a lapse, a freed slot, an offboarding). Added to the session, written with it."""
    session.add(
        InteractionRow(
            request_id=request_id,
            employee_external_id=employee_external_id,
            opportunity_external_id=opportunity_external_id,
            type=type.value,
            rating=rating,
            occurred_at=occurred_at,
            actor_role=actor_role,
            actor=actor,
            details=details,
        )
    )


def standing_reactions(
    session: Session, employee_external_id: str, type: InteractionType
) -> dict[str, dt.datetime]:
    """The opportunities this person's save (or dismissal) stands on now, with when it was
    made, newest first: the latest of the reaction and its undo decides (the log keeps both)."""
    undo = UNDONE_BY[type]
    query = (
        select(
            InteractionRow.opportunity_external_id,
            InteractionRow.type,
            InteractionRow.occurred_at,
        )
        .where(
            InteractionRow.employee_external_id == employee_external_id,
            InteractionRow.type.in_([type.value, undo.value]),
        )
        .order_by(InteractionRow.id)
    )
    standing: dict[str, dt.datetime] = {}
    for opportunity, event, at in session.execute(query):
        if event == type.value:
            standing[opportunity] = at
        else:
            standing.pop(opportunity, None)
    return dict(sorted(standing.items(), key=lambda kv: kv[1], reverse=True))


def take_back_reaction(
    session: Session,
    *,
    employee_external_id: str,
    opportunity_external_id: str,
    type: InteractionType,
    request_id: str | None = None,
) -> bool:
    """Undo a standing save or dismissal (appends its undo); False if none stands."""
    if opportunity_external_id not in standing_reactions(session, employee_external_id, type):
        return False
    _append(session, employee_external_id, opportunity_external_id, UNDONE_BY[type], request_id)
    return True


def applicants(
    session: Session, opportunity_external_id: str
) -> list[tuple[EmployeeRow, dt.datetime]]:
    """Who applied to an opportunity, first applicant first."""
    query = (
        select(EmployeeRow, InteractionRow.occurred_at)
        .join(InteractionRow, InteractionRow.employee_external_id == EmployeeRow.external_id)
        .where(
            InteractionRow.opportunity_external_id == opportunity_external_id,
            InteractionRow.type == InteractionType.APPLY.value,
        )
        .order_by(InteractionRow.occurred_at, EmployeeRow.id)
    )
    return [(row, at) for row, at in session.execute(query).all()]


# The events the history features count. A person's: acceptances (the demo's) or assignments
# (the live workflow's) and completions, and what they applied to, saved, dismissed, declined
# or rated (features/history.py); an opportunity's: the applications it received and its lead's
# choices (shortlists, invitations, offers, assignments, rejections).
PERSON_HISTORY = tuple(
    dict.fromkeys(
        (
            InteractionType.ACCEPT.value,
            InteractionType.ASSIGN.value,
            InteractionType.COMPLETE.value,
            InteractionType.RATE.value,
            InteractionType.APPLY.value,
            InteractionType.SAVE.value,
            InteractionType.UNSAVE.value,
            InteractionType.ACCEPT_OFFER.value,
            InteractionType.DISMISS.value,
            InteractionType.UNDISMISS.value,
            InteractionType.DECLINE.value,
        )
    )
)
OPPORTUNITY_HISTORY = (
    InteractionType.APPLY.value,
    InteractionType.SHORTLIST.value,
    InteractionType.INVITE.value,
    InteractionType.OFFER.value,
    InteractionType.ASSIGN.value,
    InteractionType.ACCEPT.value,
    InteractionType.REJECT.value,
)


def history_events(
    session: Session, *, people: Sequence[str], opportunities: Sequence[str]
) -> list[Any]:
    """(employee, opportunity, type, occurred_at, rating) rows the history features count, for
    these people and opportunities (columns only; no ORM objects), by id. A page reads them
    from the engine (matching/history_log.py); this is the database's answer to compare."""
    query = select(
        InteractionRow.employee_external_id,
        InteractionRow.opportunity_external_id,
        InteractionRow.type,
        InteractionRow.occurred_at,
        InteractionRow.rating,
    ).where(
        or_(
            and_(
                InteractionRow.type.in_(PERSON_HISTORY),
                InteractionRow.employee_external_id.in_(list(people)),
            ),
            and_(
                InteractionRow.type.in_(OPPORTUNITY_HISTORY),
                InteractionRow.opportunity_external_id.in_(list(opportunities)),
            ),
        )
    )
    return list(session.execute(query.order_by(InteractionRow.id)))


# Every event type the history features count, on either side.
HISTORY_TYPES = tuple(dict.fromkeys(PERSON_HISTORY + OPPORTUNITY_HISTORY))
_LOGGED_COLUMNS = (
    InteractionRow.id,
    InteractionRow.employee_external_id,
    InteractionRow.opportunity_external_id,
    InteractionRow.type,
    InteractionRow.occurred_at,
    InteractionRow.rating,
)
# Oversight actions that delete or rename logged events (a reader holding them reads them again).
LOG_REWRITES = ("erasure", "retention_purge")


def history_through(session: Session, newest: int) -> list[Any]:
    """(id, employee, opportunity, type, occurred_at, rating) of every event the history
    features count with an id up to `newest`, by id."""
    query = (
        select(*_LOGGED_COLUMNS)
        .where(InteractionRow.id <= newest, InteractionRow.type.in_(HISTORY_TYPES))
        .order_by(InteractionRow.id)
    )
    return list(session.execute(query))


def interactions_since(
    session: Session, after_id: int, *, also: Sequence[tuple[int, int]] = ()
) -> list[Any]:
    """(id, employee, opportunity, type, occurred_at, rating) of every event after `after_id`
    and in the id ranges `also` (inclusive), by id: of every type, so a reader sees which ids
    are missing (not committed yet, or never)."""
    where = or_(
        InteractionRow.id > after_id, *(InteractionRow.id.between(lo, hi) for lo, hi in also)
    )
    return list(session.execute(select(*_LOGGED_COLUMNS).where(where).order_by(InteractionRow.id)))


def interaction_ids_between(session: Session, low: int, high: int) -> list[int]:
    """The ids stored in (low, high]."""
    query = select(InteractionRow.id).where(InteractionRow.id > low, InteractionRow.id <= high)
    return list(session.scalars(query))


class LogMarks(NamedTuple):
    """What tells a holder of the log that rows were deleted or renamed since it read them."""

    oldest: int  # the oldest interaction's id (0: none): a purge or a reset raises it
    newest: int  # the newest interaction's id (0: none): a reset may lower it
    rewrites: int  # oversight events that deleted or renamed events (a reset deletes them)
    newest_rewrite: int  # the newest one's id


def log_marks(session: Session) -> LogMarks:
    """The log's marks, in one statement."""
    rewrites = OversightEventRow.action.in_(LOG_REWRITES)
    query = select(
        select(func.min(InteractionRow.id)).scalar_subquery(),
        select(func.max(InteractionRow.id)).scalar_subquery(),
        select(func.count()).select_from(OversightEventRow).where(rewrites).scalar_subquery(),
        select(func.max(OversightEventRow.id)).where(rewrites).scalar_subquery(),
    )
    return LogMarks(*(value or 0 for value in session.execute(query).one()))


def interactions_in_time_order(session: Session) -> list[InteractionRow]:
    """The whole log, oldest first (what training labels)."""
    query = select(InteractionRow).order_by(InteractionRow.occurred_at, InteractionRow.id)
    return list(session.scalars(query))


def events_of(session: Session, types: Sequence[str]) -> list[Any]:
    """(employee, opportunity, type, occurred_at) of every event of these types."""
    query = select(
        InteractionRow.employee_external_id,
        InteractionRow.opportunity_external_id,
        InteractionRow.type,
        InteractionRow.occurred_at,
    ).where(InteractionRow.type.in_(list(types)))
    return list(session.execute(query))


def people_by_opportunity(
    session: Session, opportunity_external_ids: Sequence[str], events: Sequence[InteractionType]
) -> dict[str, int]:
    """How many different people logged one of `events` on each of these opportunities (one grouped
    query: a page of a lead's list counts its applicants at once)."""
    if not opportunity_external_ids:
        return {}
    query = (
        select(
            InteractionRow.opportunity_external_id,
            func.count(func.distinct(InteractionRow.employee_external_id)),
        )
        .where(
            InteractionRow.opportunity_external_id.in_(list(opportunity_external_ids)),
            InteractionRow.type.in_([e.value for e in events]),
        )
        .group_by(InteractionRow.opportunity_external_id)
    )
    return {opportunity: int(n) for opportunity, n in session.execute(query)}
