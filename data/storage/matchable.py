"""What the match engine reads to keep its pools and masks current: rows' change stamps, and
the events that take a pair out of matching."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.schemas import InteractionType
from data.storage.queries import rows_in
from data.storage.tables import EmployeeRow, InteractionRow, OpportunityRow

# Steps that start or end an accepted offer or an assignment change the person's free hours
# (an approval declined frees the hours its accepted offer held).
COMMITMENT_EVENTS = (
    InteractionType.ACCEPT_OFFER.value,
    InteractionType.APPROVAL.value,
    InteractionType.REJECT.value,
    InteractionType.DECLINE.value,
    InteractionType.ASSIGN.value,
    InteractionType.COMPLETE.value,
    InteractionType.WITHDRAW.value,
)
# An application or a dismissal takes the pair out of matching; acceptances fill seats.
MASK_EVENTS = (
    InteractionType.APPLY.value,
    InteractionType.DISMISS.value,
    InteractionType.UNDISMISS.value,
    InteractionType.ACCEPT.value,
    *COMMITMENT_EVENTS,
)


def stamps(
    session: Session,
    table: type[EmployeeRow] | type[OpportunityRow],
    *,
    since: dt.datetime | None = None,
) -> list[tuple[int, dt.datetime]]:
    """(row id, updated_at) of every row, or of those changed since `since`."""
    query = select(table.id, table.updated_at)
    if since is not None:
        query = query.where(table.updated_at >= since)
    return [(row_id, at) for row_id, at in session.execute(query)]


def row_counts(session: Session, tables: Sequence[str]) -> dict[str, int]:
    """How many rows each of these matchable tables holds, in one statement."""
    by_name = {EmployeeRow.__tablename__: EmployeeRow, OpportunityRow.__tablename__: OpportunityRow}
    counts = [select(func.count()).select_from(by_name[t]).scalar_subquery() for t in tables]
    return dict(zip(tables, session.execute(select(*counts)).one(), strict=True))


def mask_events(session: Session, *, after_id: int = 0) -> list[Any]:
    """(event id, employee, opportunity, type) of the events the masks use, after `after_id`,
    oldest first."""
    query = (
        select(
            InteractionRow.id,
            InteractionRow.employee_external_id,
            InteractionRow.opportunity_external_id,
            InteractionRow.type,
        )
        .where(InteractionRow.id > after_id, InteractionRow.type.in_(MASK_EVENTS))
        .order_by(InteractionRow.id)
    )
    return list(session.execute(query))


def row_ids(
    session: Session, table: type[EmployeeRow] | type[OpportunityRow], external_ids: Sequence[str]
) -> dict[str, int]:
    """External id -> row id (unknown ids are left out)."""
    query = select(table.external_id, table.id)
    return dict(rows_in(session, query, table.external_id, external_ids))
