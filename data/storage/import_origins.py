"""The finished import jobs, oldest first: the review queue reads in them which import first
made a custom skill (serving/usecases/imports.skill_origins)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.storage.tables import ImportJobRow


def succeeded_imports(session: Session, kinds: Sequence[str]) -> Iterator[ImportJobRow]:
    query = select(ImportJobRow).where(
        ImportJobRow.status == "succeeded", ImportJobRow.kind.in_(tuple(kinds))
    )
    yield from session.scalars(query.order_by(ImportJobRow.created_at))
