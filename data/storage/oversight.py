"""People's decisions about rankings, stored: each kind's re-ranking policy and pause, pins and
hides on candidate lists, and the oversight log of every such change (and of audit reads).

Oversight events are sealed by the audit log just after the transaction that wrote them
commits (data/storage/audit.py), like the interaction log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.storage.audit import mark_sealable
from data.storage.tables import OversightEventRow, RankingOverrideRow, RankingPolicyRow


def policy_row(session: Session, kind: str) -> RankingPolicyRow | None:
    return session.get(RankingPolicyRow, kind)


def save_policy_row(
    session: Session, kind: str, *, policy: str, params: dict[str, Any], paused: bool, by: str
) -> RankingPolicyRow:
    row = session.get(RankingPolicyRow, kind)
    if row is None:
        row = RankingPolicyRow(kind=kind)
        session.add(row)
    row.policy, row.params, row.paused = policy, params, paused
    row.updated_by, row.updated_at = by, dt.datetime.now(dt.UTC)
    return row


def add_event(session: Session, **values: Any) -> None:
    """One oversight event (who, what, why), in the caller's transaction."""
    session.add(OversightEventRow(at=dt.datetime.now(dt.UTC), **values))
    mark_sealable(session)


def events(
    session: Session,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[OversightEventRow]:
    order = OversightEventRow.id.desc() if newest_first else OversightEventRow.id
    query = select(OversightEventRow).order_by(order).limit(limit)
    if start is not None:
        query = query.where(OversightEventRow.at >= start)
    if end is not None:
        query = query.where(OversightEventRow.at < end)
    return list(session.scalars(query))


def add_override_row(session: Session, row: RankingOverrideRow) -> RankingOverrideRow:
    session.add(row)
    session.flush()  # its id goes into the oversight event
    return row


def override_row(session: Session, override_id: int) -> RankingOverrideRow | None:
    return session.get(RankingOverrideRow, override_id)


def revoke_override_row(row: RankingOverrideRow, at: dt.datetime) -> None:
    """End an override from `at` (a newer decision on the same candidate, or its revocation)."""
    row.revoked_at = at


def active_override_rows(
    session: Session, opportunity_external_id: str
) -> list[RankingOverrideRow]:
    query = (
        select(RankingOverrideRow)
        .where(
            RankingOverrideRow.opportunity_external_id == opportunity_external_id,
            RankingOverrideRow.revoked_at.is_(None),
        )
        .order_by(RankingOverrideRow.id)
    )
    return list(session.scalars(query))
