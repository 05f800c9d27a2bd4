"""Employee profiles: upsert by external id, read back as rows or in the data-contract shape
(serving/presenters/profiles.py makes the API's document)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.schemas import EmployeeIn
from data.storage.locks import lock_rows
from data.storage.queries import rows_in, scalars_in
from data.storage.snapshots import StoredEmployee, StoredOpportunity
from data.storage.tables import DemographicsRow, EmployeeRow, EmployeeSkillRow, OpportunityRow


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    created: int
    updated: int


def upsert_employees(
    session: Session,
    employees: Sequence[EmployeeIn],
    occupations: Mapping[str, OccupationValue | None] | None = None,
) -> UpsertCounts:
    """Create or replace profiles. Every skill must carry a resolved `skill_id`.
    `occupations` (by external id) replaces the stored occupation of the people it names.

    Demographics are replaced only when given: a profile edited through the API (which never
    returns demographics) must not erase what the person self-reported.

    The stored rows are locked first and read again if another writer changed them since this
    session read them: the skills kept, dropped and added are decided against what is stored.
    """
    existing = lock_rows(session, EmployeeRow, [e.external_id for e in employees])
    # People may swap addresses within one batch: free the addresses that change first, or
    # the unique index would see two holders for a moment.
    moving = [
        row
        for e in employees
        if (row := existing.get(e.external_id)) is not None
        and row.email_key != (e.email.casefold() if e.email else None)
    ]
    for row in moving:
        row.email_key = None
    if moving:
        session.flush()
    created = 0
    rows: list[EmployeeRow] = []
    for employee in employees:
        row = existing.get(employee.external_id)
        if row is None:
            row = EmployeeRow(external_id=employee.external_id)
            session.add(row)
            created += 1
        _apply_profile(row, employee)
        if occupations is not None and employee.external_id in occupations:
            apply_occupation(row, occupations[employee.external_id])
        rows.append(row)
    session.flush()  # assigns ids to new rows, which the demographics rows point at
    _apply_demographics(session, [(r, e) for r, e in zip(rows, employees, strict=True)])
    session.flush()
    return UpsertCounts(created=created, updated=len(employees) - created)


def _apply_profile(row: EmployeeRow, employee: EmployeeIn) -> None:
    # Set explicitly: a skills-only edit leaves the row itself clean, and the index snapshot
    # finds what changed since it was saved by this column.
    row.updated_at = func.now()
    row.version = (row.version or 0) + 1  # under the row's lock (upsert_employees took it)
    row.name = employee.name
    row.email = employee.email
    row.email_key = employee.email.casefold() if employee.email else None
    row.title = employee.title
    row.department = employee.department
    row.level = employee.level
    row.location = employee.location
    row.timezone = employee.timezone
    row.manager_external_id = employee.manager_external_id
    row.hire_date = employee.hire_date
    row.interests = list(employee.interests)
    row.aspirations = employee.aspirations
    row.bio = employee.bio
    row.availability_hours_per_week = employee.availability_hours_per_week
    row.open_to = [kind.value for kind in employee.open_to]
    wanted = {ref.skill_id: (ref.level, position) for position, ref in enumerate(employee.skills)}
    kept = []
    for skill_row in row.skills:
        if skill_row.skill_id in wanted:
            skill_row.level, skill_row.position = wanted.pop(skill_row.skill_id)
            kept.append(skill_row)
    for skill_id, (level, position) in wanted.items():
        assert skill_id is not None, "skills must be resolved before storage"
        kept.append(EmployeeSkillRow(skill_id=skill_id, level=level, position=position))
    row.skills = sorted(kept, key=lambda s: s.position)


class OccupationValue(Protocol):
    """Read-only, so that a frozen dataclass (the importer's `OccupationChoice`) is one."""

    @property
    def occupation_id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def source(self) -> str: ...


def apply_occupation(row: EmployeeRow | OpportunityRow, value: OccupationValue | None) -> None:
    row.occupation_id = value.occupation_id if value else None
    row.occupation_label = value.label if value else None
    row.occupation_score = value.score if value else None
    row.occupation_source = value.source if value else None


def departments_of(session: Session, external_ids: Sequence[str]) -> dict[str, str]:
    """Each known person's department, by external id."""
    query = select(EmployeeRow.external_id, EmployeeRow.department)
    return dict(rows_in(session, query, EmployeeRow.external_id, external_ids))


def _apply_demographics(session: Session, pairs: list[tuple[EmployeeRow, EmployeeIn]]) -> None:
    """Replace the demographics given, all in one read: a `get` per person would flush the
    whole session each time (quadratic in a 100k-person import)."""
    given = [(row.id, e.demographics) for row, e in pairs if e.demographics is not None]
    stored = {
        d.employee_id: d
        for d in scalars_in(
            session, select(DemographicsRow), DemographicsRow.employee_id, [i for i, _ in given]
        )
    }
    with session.no_autoflush:
        for employee_id, demographics in given:
            values = demographics.model_dump()
            row = stored.get(employee_id)
            if row is None:
                session.add(DemographicsRow(employee_id=employee_id, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)


def email_owners(session: Session, addresses: Sequence[str]) -> dict[str, str]:
    """Casefolded e-mail address -> the external id of the person who has it."""
    query = select(EmployeeRow.email_key, EmployeeRow.external_id)
    keys = [a.casefold() for a in addresses]
    return {key: owner for key, owner in rows_in(session, query, EmployeeRow.email_key, keys)}


def get_employee(session: Session, external_id: str) -> EmployeeRow | None:
    return session.scalar(select(EmployeeRow).where(EmployeeRow.external_id == external_id))


def list_employees(session: Session, *, limit: int, after_id: int = 0) -> list[EmployeeRow]:
    query = select(EmployeeRow).where(EmployeeRow.id > after_id).order_by(EmployeeRow.id)
    return list(session.scalars(query.limit(limit)))


def profile_record(row: EmployeeRow) -> dict[str, Any]:
    """The profile as an import sends it (`EmployeeIn`'s fields, never demographics): what a
    change is applied to, and what serving/presenters/profiles.py shows with its occupation."""
    return {
        "external_id": row.external_id,
        "name": row.name,
        "email": row.email,
        "title": row.title,
        "department": row.department,
        "level": row.level,
        "location": row.location,
        "timezone": row.timezone,
        "manager_external_id": row.manager_external_id,
        "hire_date": row.hire_date.isoformat() if row.hire_date else None,
        "skills": [
            {"skill_id": s.skill_id, "name": s.skill.label, "level": s.level} for s in row.skills
        ],
        "interests": list(row.interests),
        "aspirations": row.aspirations,
        "bio": row.bio,
        "availability_hours_per_week": row.availability_hours_per_week,
        "open_to": list(row.open_to),
        **declared_occupation(row),
    }


def declared_occupation(row: StoredEmployee | StoredOpportunity) -> dict[str, str]:
    """A declared occupation as an import record names it (its id); an inferred one is left
    out, to be inferred again from the (maybe new) title."""
    if row.occupation_id is None or row.occupation_source != "declared":
        return {}
    return {"occupation_id": row.occupation_id}


def existing_external_ids(session: Session, external_ids: Sequence[str]) -> set[str]:
    query = select(EmployeeRow.external_id)
    return set(scalars_in(session, query, EmployeeRow.external_id, external_ids))


def levels_and_titles(session: Session, external_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    query = select(EmployeeRow.external_id, EmployeeRow.level, EmployeeRow.title)
    rows = rows_in(session, query, EmployeeRow.external_id, external_ids)
    return {external_id: (level, title) for external_id, level, title in rows}


def set_quiet_mode(row: EmployeeRow, quiet: bool) -> None:
    """Whether the person's manager sees their applications before an approval is needed."""
    row.quiet_mode = quiet


def set_career_target(
    session: Session,
    row: EmployeeRow,
    *,
    opportunity_external_id: str | None,
    occupation_id: str | None,
    set_at: dt.datetime | None,
) -> None:
    """Where the person wants to be (a role posted here, an occupation, or neither), flushed so
    the caller reads it back in the same transaction."""
    row.target_opportunity_external_id = opportunity_external_id
    row.target_occupation_id = occupation_id
    row.target_set_at = set_at
    session.flush()


def direct_report_count(session: Session, manager_external_id: str) -> int:
    query = select(func.count()).where(EmployeeRow.manager_external_id == manager_external_id)
    return session.scalar(query) or 0
