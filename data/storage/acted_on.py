"""Events of some types since a moment: what the promotion gate's off-policy estimates count as
people acting on a served list (serving/usecases/off_policy_gate.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.storage.tables import InteractionRow


def events_since(
    session: Session, types: Sequence[str], start: dt.datetime
) -> list[tuple[str | None, str, str, dt.datetime]]:
    """(request id, employee, opportunity, when) of each event of `types` at or after `start`."""
    rows = session.execute(
        select(
            InteractionRow.request_id,
            InteractionRow.employee_external_id,
            InteractionRow.opportunity_external_id,
            InteractionRow.occurred_at,
        ).where(InteractionRow.type.in_(list(types)), InteractionRow.occurred_at >= start)
    ).all()
    return [(r, e, o, at) for r, e, o, at in rows]
