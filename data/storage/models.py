"""Rows of the model registry: one per trained ranker version (its artefacts live on disk)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.storage.tables import ModelVersionRow


def add_version(session: Session, row: ModelVersionRow) -> None:
    session.add(row)
    session.flush()


def version_names_starting(session: Session, prefix: str) -> set[str]:
    query = select(ModelVersionRow.version).where(ModelVersionRow.version.startswith(prefix))
    return set(session.scalars(query))


def versions(session: Session, direction: str | None = None) -> list[ModelVersionRow]:
    """Newest first."""
    query = select(ModelVersionRow).order_by(ModelVersionRow.created_at.desc())
    if direction:
        query = query.where(ModelVersionRow.direction == direction)
    return list(session.scalars(query))


def get_version(session: Session, version: str) -> ModelVersionRow | None:
    return session.get(ModelVersionRow, version)


def promote_version(session: Session, row: ModelVersionRow) -> ModelVersionRow:
    """Make `row` the promoted version of its direction; the one before is retired."""
    query = select(ModelVersionRow).where(
        ModelVersionRow.direction == row.direction, ModelVersionRow.status == "promoted"
    )
    for other in session.scalars(query).all():
        other.status = "retired"
    row.status = "promoted"
    row.promoted_at = dt.datetime.now(dt.UTC)
    session.flush()
    return row
