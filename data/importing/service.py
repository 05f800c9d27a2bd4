"""Validate, resolve and store a batch of records: either every row is written or none is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from data.importing.errors import ImportRejected, RowError, errors_from_validation
from data.importing.files import Record
from data.importing.skills import SkillResolver
from data.schemas import EmployeeIn, OpportunityIn, SkillRef
from data.storage.employees import (
    UpsertCounts,
    email_owners,
    existing_external_ids,
    upsert_employees,
)
from data.storage.opportunities import upsert_opportunities
from data.storage.queries import rows_by_external_id
from data.storage.skills import existing_skill_ids, upsert_skills
from data.storage.tables import EmployeeRow, OpportunityRow

ContractT = TypeVar("ContractT", EmployeeIn, OpportunityIn)


def import_employees(
    session: Session, records: Sequence[Record], resolver: SkillResolver
) -> tuple[list[EmployeeIn], UpsertCounts]:
    """Store employees; raises ImportRejected (and writes nothing) if any row is invalid."""
    errors: list[RowError] = []
    employees: list[tuple[int, EmployeeIn]] = []
    seen: dict[str, int] = {}
    for row, record in records:
        employee = _validate(EmployeeIn, row, record, errors)
        if employee is None:
            continue
        if employee.external_id in seen:
            errors.append(
                RowError(row, "external_id", f"duplicate of row {seen[employee.external_id]}")
            )
            continue
        seen[employee.external_id] = row
        employees.append((row, employee))
    stored = rows_by_external_id(session, EmployeeRow, [e.external_id for _, e in employees])
    resolver.prepare(
        session,
        [ref for _, e in employees for ref in e.skills],
        held={s.skill_id for row in stored.values() for s in row.skills},
    )
    for row, employee in employees:
        employee.skills = resolver.resolve_refs(row, "skills", employee.skills, errors)
    errors.extend(_email_clashes(session, employees))
    if errors:
        raise ImportRejected(errors)
    items = [e for _, e in employees]
    _store_missing_skills(session, resolver, [e.skills for e in items])
    return items, upsert_employees(session, items)


def _email_clashes(session: Session, employees: list[tuple[int, EmployeeIn]]) -> list[RowError]:
    """One person per e-mail address (case-insensitive), in the batch and against storage."""
    errors: list[RowError] = []
    first_row: dict[str, tuple[int, str]] = {}
    for row, employee in employees:
        if employee.email is None:
            continue
        address = employee.email.casefold()
        if address in first_row:
            errors.append(RowError(row, "email", f"same e-mail as row {first_row[address][0]}"))
        else:
            first_row[address] = (row, employee.external_id)
    owners = email_owners(session, list(first_row))
    moving = {e.external_id: (e.email or "").casefold() for _, e in employees}
    for address, (row, external_id) in first_row.items():
        owner = owners.get(address)
        # Taken by someone else, unless this batch moves them to another address.
        if owner is not None and owner != external_id and moving.get(owner, address) == address:
            errors.append(RowError(row, "email", "another person already has this e-mail"))
    return errors


def import_opportunities(
    session: Session, records: Sequence[Record], resolver: SkillResolver
) -> tuple[list[OpportunityIn], UpsertCounts]:
    """Store opportunities; every owner must be a known employee."""
    errors: list[RowError] = []
    opportunities: list[tuple[int, OpportunityIn]] = []
    seen: dict[str, int] = {}
    for row, record in records:
        opportunity = _validate(OpportunityIn, row, record, errors)
        if opportunity is None:
            continue
        if opportunity.external_id in seen:
            errors.append(
                RowError(row, "external_id", f"duplicate of row {seen[opportunity.external_id]}")
            )
            continue
        seen[opportunity.external_id] = row
        opportunities.append((row, opportunity))
    stored_opportunities = rows_by_external_id(
        session, OpportunityRow, [o.external_id for _, o in opportunities]
    )
    resolver.prepare(
        session,
        [r for _, o in opportunities for r in (*o.required_skills, *o.preferred_skills)],
        held={s.skill_id for row in stored_opportunities.values() for s in row.skills},
    )
    for row, opportunity in opportunities:
        opportunity.required_skills = resolver.resolve_refs(
            row, "required_skills", opportunity.required_skills, errors
        )
        opportunity.preferred_skills = resolver.resolve_refs(
            row, "preferred_skills", opportunity.preferred_skills, errors
        )
        required = {s.skill_id for s in opportunity.required_skills}
        for index, skill in enumerate(opportunity.preferred_skills):
            if skill.skill_id in required:
                errors.append(RowError(row, f"preferred_skills.{index}", "also listed as required"))
    known_owners = existing_external_ids(
        session, sorted({o.owner_external_id for _, o in opportunities})
    )
    for row, opportunity in opportunities:
        if opportunity.owner_external_id not in known_owners:
            errors.append(RowError(row, "owner_external_id", "unknown employee"))
    if errors:
        raise ImportRejected(errors)
    items = [o for _, o in opportunities]
    _store_missing_skills(
        session, resolver, [o.required_skills + o.preferred_skills for o in items]
    )
    return items, upsert_opportunities(session, items)


def _validate(
    model: type[ContractT], row: int, record: Any, errors: list[RowError]
) -> ContractT | None:
    try:
        return model.model_validate(record)
    except ValidationError as exc:
        errors.extend(errors_from_validation(row, exc))
        return None


def _store_missing_skills(
    session: Session, resolver: SkillResolver, groups: Sequence[Sequence[SkillRef]]
) -> None:
    """Insert the referenced skills the database lacks: the custom skills made while resolving
    (unreviewed, credited to whoever sent them) and taxonomy skills not stored yet."""
    referenced = sorted({ref.skill_id for group in groups for ref in group if ref.skill_id})
    stored = existing_skill_ids(session, referenced)
    missing = []
    for skill_id in referenced:
        if skill_id not in stored:
            skill = resolver.taxonomy.skills.get(skill_id) or resolver.new_skills[skill_id]
            missing.append(skill)
    upsert_skills(session, missing, created_by=resolver.created_by)
