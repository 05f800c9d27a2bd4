"""The one reader of self-reported protected attributes outside HR's aggregate figures.

Re-rankers and audit reports join them here, by employee external id, at the moment they are
needed; nothing here is returned to a lead, written to the audit log or passed to features.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.storage.tables import DemographicsRow, EmployeeRow

ATTRIBUTES = ("gender", "race_ethnicity", "age_band", "disability")
CHUNK = 900  # below SQLite's bound-parameter limit


def categories(
    session: Session, employee_ids: Sequence[str], attributes: Sequence[str] = ATTRIBUTES
) -> dict[str, dict[str, str | None]]:
    """employee external id -> {attribute: category or None}; absent ids have no row."""
    unknown = [a for a in attributes if a not in ATTRIBUTES]
    if unknown:
        raise ValueError(f"unknown protected attribute(s) {unknown}; known: {ATTRIBUTES}")
    columns = [getattr(DemographicsRow, a) for a in attributes]
    out: dict[str, dict[str, str | None]] = {}
    distinct = list(dict.fromkeys(employee_ids))
    for start in range(0, len(distinct), CHUNK):
        chunk = distinct[start : start + CHUNK]
        query = (
            select(EmployeeRow.external_id, *columns)
            .join(DemographicsRow, DemographicsRow.employee_id == EmployeeRow.id)
            .where(EmployeeRow.external_id.in_(chunk))
        )
        for external_id, *values in session.execute(query):
            out[external_id] = dict(zip(attributes, values, strict=True))
    return out


def reported(session: Session, attribute: str) -> set[str]:
    """The categories people have reported for one attribute (a policy may only name these)."""
    if attribute not in ATTRIBUTES:
        raise ValueError(f"unknown protected attribute {attribute!r}; known: {ATTRIBUTES}")
    values = session.scalars(select(getattr(DemographicsRow, attribute)).distinct())
    return {v for v in values if v is not None}


def column(session: Session, employee_ids: Sequence[str], attribute: str) -> list[str | None]:
    """One attribute for each id, in order (None: not reported or no record)."""
    known = categories(session, employee_ids, [attribute])
    return [known.get(e, {}).get(attribute) for e in employee_ids]
