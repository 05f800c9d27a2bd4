"""The one reader of self-reported protected attributes outside HR's aggregate figures.

Re-rankers and audit reports join them here, by employee external id, at the moment they are
needed; nothing here is returned to a lead, written to the audit log or passed to features.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from data.storage.demographics import attribute_rows, attribute_rows_by_id, reported_values

ATTRIBUTES = ("gender", "race_ethnicity", "age_band", "disability")


def categories(
    session: Session, employee_ids: Sequence[str], attributes: Sequence[str] = ATTRIBUTES
) -> dict[str, dict[str, str | None]]:
    """employee external id -> {attribute: category or None}; absent ids have no row."""
    unknown = [a for a in attributes if a not in ATTRIBUTES]
    if unknown:
        raise ValueError(f"unknown protected attribute(s) {unknown}; known: {ATTRIBUTES}")
    return attribute_rows(session, employee_ids, list(attributes))


def reported(session: Session, attribute: str) -> set[str]:
    """The categories people have reported for one attribute (a policy may only name these)."""
    if attribute not in ATTRIBUTES:
        raise ValueError(f"unknown protected attribute {attribute!r}; known: {ATTRIBUTES}")
    return reported_values(session, attribute)


def column(session: Session, employee_ids: Sequence[str], attribute: str) -> list[str | None]:
    """One attribute for each id, in order (None: not reported or no record)."""
    known = categories(session, employee_ids, [attribute])
    return [known.get(e, {}).get(attribute) for e in employee_ids]


def column_of_rows(
    session: Session, employee_row_ids: Sequence[int], attribute: str
) -> list[str | None]:
    """`column` for people named by their employee row ids (the serving path holds those)."""
    if attribute not in ATTRIBUTES:
        raise ValueError(f"unknown protected attribute {attribute!r}; known: {ATTRIBUTES}")
    known = attribute_rows_by_id(session, employee_row_ids, [attribute])
    return [known.get(r, {}).get(attribute) for r in employee_row_ids]
