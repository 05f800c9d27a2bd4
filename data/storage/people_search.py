"""Find people by what a person types: words of their name (or their id), for pickers such as
an admin choosing which lead owns a posting."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data.storage.tables import EmployeeRow


def _contains(word: str) -> str:
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def people_named(session: Session, words: Sequence[str], *, limit: int) -> list[EmployeeRow]:
    """People whose name (or external id) holds every word, in any case, by name."""
    query = select(EmployeeRow)
    for word in words:
        pattern = _contains(word)
        query = query.where(
            or_(
                func.lower(EmployeeRow.name).like(pattern, escape="\\"),
                func.lower(EmployeeRow.external_id).like(pattern, escape="\\"),
            )
        )
    return list(session.scalars(query.order_by(EmployeeRow.name, EmployeeRow.id).limit(limit)))


def names_of(session: Session, external_ids: Sequence[str]) -> dict[str, str]:
    """Each person's name, by external id (those who exist)."""
    if not external_ids:
        return {}
    query = select(EmployeeRow.external_id, EmployeeRow.name).where(
        EmployeeRow.external_id.in_(sorted(set(external_ids)))
    )
    return {external_id: name for external_id, name in session.execute(query)}
