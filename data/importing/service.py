"""Validate, resolve and store a batch of records: either every row is written or none is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from data.importing.errors import ImportRejected, RowError, errors_from_validation
from data.importing.files import Record
from data.importing.occupations import (
    OccupationChoice,
    OccupationOutcome,
    OccupationRequest,
    choose_occupations,
    implied_skills,
    tools_in_title,
)
from data.importing.skills import SkillResolver
from data.importing.unchanged import employee_unchanged, opportunity_unchanged
from data.schemas import EmployeeIn, OpportunityIn, OpportunitySkillRef, SkillRef
from data.storage.employees import (
    UpsertCounts,
    departments_of,
    email_owners,
    upsert_employees,
)
from data.storage.opportunities import upsert_opportunities
from data.storage.queries import rows_by_external_id
from data.storage.skills import existing_skill_ids, upsert_skills
from data.storage.tables import EmployeeRow, OpportunityRow

ContractT = TypeVar("ContractT", EmployeeIn, OpportunityIn)
# Called as work gets done: (phase, records done, records in all).
Progress = Callable[[str, int, int], None]


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def _share_of(progress: Progress, phase: str, total: int) -> Callable[[int, int], None]:
    """Progress in names, reported as the same share of the records."""
    return lambda done, names: progress(phase, round(total * done / max(names, 1)), total)


def import_employees(
    session: Session,
    records: Sequence[Record],
    resolver: SkillResolver,
    *,
    progress: Progress = _no_progress,
) -> tuple[list[EmployeeIn], UpsertCounts]:
    """Store employees; raises ImportRejected (and writes nothing) if any row is invalid.
    What became of each name is in `resolver.report`."""
    errors: list[RowError] = []
    total = len(records)
    progress("validating", 0, total)
    employees = _validated(EmployeeIn, records, errors)
    stored = rows_by_external_id(session, EmployeeRow, [e.external_id for _, e in employees])
    progress("resolving skill names", 0, total)
    resolver.prepare(
        session,
        [ref for _, e in employees for ref in e.skills],
        held={s.skill_id for row in stored.values() for s in row.skills},
        progress=_share_of(progress, "resolving skill names", total),
    )
    for row, employee in employees:
        employee.skills = resolver.resolve_refs(row, "skills", employee.skills, errors)
    progress("inferring occupations", 0, total)
    outcomes = _occupations(
        resolver,
        [(row, e, stored.get(e.external_id), _ids(e.skills)) for row, e in employees],
        errors,
    )
    occupations = _choices(outcomes)
    errors.extend(_email_clashes(session, employees))
    if errors:
        raise ImportRejected(errors)
    items = [e for _, e in employees]
    resolver.report.unchanged = [
        e.external_id
        for e in items
        if (before := stored.get(e.external_id)) is not None
        and employee_unchanged(e, before, outcomes.get(e.external_id))
    ]
    progress("storing", 0, total)
    _store_missing_skills(session, resolver, [e.skills for e in items])
    counts = upsert_employees(session, items, occupations)
    progress("stored", total, total)
    return items, counts


def import_opportunities(
    session: Session,
    records: Sequence[Record],
    resolver: SkillResolver,
    *,
    progress: Progress = _no_progress,
) -> tuple[list[OpportunityIn], UpsertCounts]:
    """Store opportunities; every owner must be a known employee. A posting without
    `department` takes its owner's; one without skills is matched on the skills its title's
    occupation implies (marked `inferred`). One whose title and text place it in no occupation
    is stored all the same, "needs skills" (matched with nobody until it has some), with its
    closest occupations for the lead to choose from; the report lists it."""
    errors: list[RowError] = []
    total = len(records)
    progress("validating", 0, total)
    opportunities = _validated(OpportunityIn, records, errors)
    stored = rows_by_external_id(session, OpportunityRow, [o.external_id for _, o in opportunities])
    progress("resolving skill names", 0, total)
    resolver.prepare(
        session,
        [r for _, o in opportunities for r in (*o.required_skills, *o.preferred_skills)],
        held={s.skill_id for row in stored.values() for s in row.skills},
        progress=_share_of(progress, "resolving skill names", total),
    )
    for row, opportunity in opportunities:
        opportunity.required_skills = resolver.resolve_refs(
            row, "required_skills", opportunity.required_skills, errors
        )
        opportunity.preferred_skills = resolver.drop_required_from_preferred(
            row,
            opportunity.required_skills,
            resolver.resolve_refs(row, "preferred_skills", opportunity.preferred_skills, errors),
        )
    departments = departments_of(session, sorted({o.owner_external_id for _, o in opportunities}))
    for row, opportunity in opportunities:
        if opportunity.owner_external_id not in departments:
            errors.append(RowError(row, "owner_external_id", "unknown employee"))
        elif opportunity.department is None:
            opportunity.department = departments[opportunity.owner_external_id]
            resolver.report.department_defaulted.append(row)
    progress("inferring occupations", 0, total)
    # A title-only posting's tools, named in its title, are evidence of its work too.
    named = {
        o.external_id: tools_in_title(resolver.taxonomy, o.title)
        if all(ref.inferred for ref in o.required_skills)
        else []
        for _, o in opportunities
    }
    outcomes = _occupations(
        resolver,
        [
            (
                row,
                o,
                stored.get(o.external_id),
                _ids(o.required_skills) | _ids(named[o.external_id]),
            )
            for row, o in opportunities
        ],
        errors,
    )
    choices: dict[str, list[dict[str, Any]] | None] = {}
    for row, opportunity in opportunities:
        outcome = outcomes.get(opportunity.external_id)
        if outcome is not None:
            choices[opportunity.external_id] = _imply_skills(
                resolver, row, opportunity, outcome, named[opportunity.external_id]
            )
    occupations = _choices(outcomes)
    if errors:
        raise ImportRejected(errors)
    items = [o for _, o in opportunities]
    resolver.report.unchanged = [
        o.external_id
        for o in items
        if (before := stored.get(o.external_id)) is not None
        and opportunity_unchanged(o, before, outcomes.get(o.external_id))
    ]
    progress("storing", 0, total)
    _store_missing_skills(
        session, resolver, [o.required_skills + o.preferred_skills for o in items]
    )
    counts = upsert_opportunities(session, items, occupations, occupation_choices=choices)
    progress("stored", total, total)
    return items, counts


def _validated(
    model: type[ContractT], records: Sequence[Record], errors: list[RowError]
) -> list[tuple[int, ContractT]]:
    valid: list[tuple[int, ContractT]] = []
    seen: dict[str, int] = {}
    for row, record in records:
        item = _validate(model, row, record, errors)
        if item is None:
            continue
        if item.external_id in seen:
            errors.append(
                RowError(row, "external_id", f"duplicate of row {seen[item.external_id]}")
            )
            continue
        seen[item.external_id] = row
        valid.append((row, item))
    return valid


def _ids(refs: Sequence[SkillRef]) -> frozenset[str]:
    return frozenset(ref.skill_id for ref in refs if ref.skill_id)


def _choices(outcomes: dict[str, OccupationOutcome]) -> dict[str, OccupationChoice | None]:
    return {external_id: outcome.choice for external_id, outcome in outcomes.items()}


def _occupations(
    resolver: SkillResolver,
    records: list[tuple[int, Any, EmployeeRow | OpportunityRow | None, frozenset[str]]],
    errors: list[RowError],
) -> dict[str, OccupationOutcome]:
    """Each record's occupation (declared, kept or inferred), by external id; the records
    naming an unknown occupation id get an error instead."""
    # A posting's own text votes; a person's bio does not (it tells their story, not a post).
    requests = [
        OccupationRequest(
            title=item.title,
            skill_ids=skills,
            declared=item.occupation_id,
            clears="occupation_id" in item.model_fields_set and item.occupation_id is None,
            stored=_stored_choice(stored),
            description=item.description if isinstance(item, OpportunityIn) else "",
        )
        for _, item, stored, skills in records
    ]
    outcomes = choose_occupations(requests, resolver.taxonomy, resolver.occupations)
    chosen: dict[str, OccupationOutcome] = {}
    report = resolver.report
    for (row, item, _, _), outcome in zip(records, outcomes, strict=True):
        if outcome.error is not None:
            errors.append(RowError(row, "occupation_id", outcome.error))
            continue
        chosen[item.external_id] = outcome
        if outcome.choice is None:
            report.occupations_unknown += 1
            report.unplaced(row, item.external_id, item.title, outcome.closest)
        elif outcome.choice.source == "declared":
            report.occupations_declared += 1
        else:
            report.occupations_inferred += 1
    return chosen


def _stored_choice(row: EmployeeRow | OpportunityRow | None) -> OccupationChoice | None:
    if row is None or row.occupation_id is None:
        return None
    return OccupationChoice(
        row.occupation_id,
        row.occupation_label or "",
        row.occupation_score or 0.0,
        row.occupation_source or "inferred",
    )


def _imply_skills(
    resolver: SkillResolver,
    row: int,
    opportunity: OpportunityIn,
    outcome: OccupationOutcome,
    named: list[OpportunitySkillRef],
) -> list[dict[str, Any]] | None:
    """A posting whose required skills are none, or all implied ones sent back, is matched
    on the tools its title names (`named`) and what its (possibly new) occupation implies; the
    lead's own skills are kept. With neither it keeps no implied skill and "needs skills": the
    closest occupations are returned for its lead to choose from (None when it needs
    nothing)."""
    if any(not ref.inferred for ref in opportunity.required_skills):
        return None
    own = [ref for ref in opportunity.preferred_skills if not ref.inferred]
    occupation = outcome.choice
    if occupation is None:
        opportunity.required_skills = list(named)
        opportunity.preferred_skills = [r for r in own if r.skill_id not in _ids(named)]
        if named:
            resolver.report.implied_skill_postings += 1
            return None
        resolver.report.needs_skills_rows.append(row)
        return [
            {"occupation_id": c.occupation_id, "label": c.label, "score": c.score}
            for c in outcome.closest
        ]
    implied, preferred = implied_skills(resolver.taxonomy, occupation.occupation_id)
    required = [*named, *(r for r in implied if r.skill_id not in _ids(named))]
    taken = {ref.skill_id for ref in required} | {ref.skill_id for ref in own}
    opportunity.required_skills = required
    opportunity.preferred_skills = own + [r for r in preferred if r.skill_id not in taken]
    resolver.report.implied_skill_postings += 1
    return None


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
