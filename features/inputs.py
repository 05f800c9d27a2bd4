"""What pair features may know about people and opportunities.

These inputs are built field by field from the data contract, so a protected attribute (the
self-reported demographics) cannot reach a feature by accident: there is no field for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from data.schemas import EmployeeIn, OpportunityIn
from data.storage.snapshots import StoredEmployee, StoredOpportunity
from data.taxonomy.packaged import occupation_skill_ids


@dataclass(frozen=True, slots=True)
class PersonInputs:
    external_id: str
    level: int
    availability: float
    location: str
    timezone: str
    department: str
    hire_date: dt.date | None
    skills: dict[str, int]  # skill id -> proficiency 1..5
    interests: tuple[str, ...]
    aspirations: str
    # Skills the person's occupation implies that they have not declared: "skills you may
    # have", a separate signal from what they said they can do (never shown as theirs).
    implied: frozenset[str] = frozenset()
    occupation_id: str | None = None  # for occupation relatedness (data/taxonomy/relatedness)


@dataclass(frozen=True, slots=True)
class OpportunityInputs:
    external_id: str
    title: str
    kind: str
    owner_external_id: str
    department: str
    location: str
    hours: float
    level_min: int
    level_max: int
    required: dict[str, int]  # skill id -> level asked
    preferred: dict[str, int]
    occupation_id: str | None = None  # from the posting's own title and text


def implied_skills(occupation_id: str | None, declared: dict[str, int]) -> frozenset[str]:
    """The skills an occupation implies that were not declared."""
    return occupation_skill_ids(occupation_id) - declared.keys()


def person_inputs(employee: EmployeeIn) -> PersonInputs:
    skills = {s.skill_id: s.level for s in employee.skills if s.skill_id}
    return PersonInputs(
        external_id=employee.external_id,
        level=employee.level,
        availability=employee.availability_hours_per_week,
        location=employee.location,
        timezone=employee.timezone,
        department=employee.department,
        hire_date=employee.hire_date,
        skills=skills,
        interests=tuple(employee.interests),
        aspirations=employee.aspirations,
        implied=implied_skills(employee.occupation_id, skills),
        occupation_id=employee.occupation_id,
    )


def opportunity_inputs(opportunity: OpportunityIn) -> OpportunityInputs:
    return OpportunityInputs(
        external_id=opportunity.external_id,
        title=opportunity.title,
        kind=opportunity.kind.value,
        owner_external_id=opportunity.owner_external_id,
        # "" when none is given: such a posting shares a department with none (history.py).
        department=opportunity.department or "",
        location=opportunity.location,
        hours=opportunity.hours_per_week,
        level_min=opportunity.level_min,
        level_max=opportunity.level_max,
        required={s.skill_id: s.level for s in opportunity.required_skills if s.skill_id},
        preferred={s.skill_id: s.level for s in opportunity.preferred_skills if s.skill_id},
        occupation_id=opportunity.occupation_id,
    )


def person_inputs_from_row(row: StoredEmployee) -> PersonInputs:
    """The same fields read from a stored profile, its ORM row or its snapshot (the serving
    path)."""
    skills = {s.skill_id: s.level for s in row.skills}
    return PersonInputs(
        external_id=row.external_id,
        level=row.level,
        availability=row.availability_hours_per_week,
        location=row.location,
        timezone=row.timezone,
        department=row.department,
        hire_date=row.hire_date,
        skills=skills,
        interests=tuple(row.interests),
        aspirations=row.aspirations,
        implied=implied_skills(row.occupation_id, skills),
        occupation_id=row.occupation_id,
    )


def opportunity_inputs_from_row(row: StoredOpportunity) -> OpportunityInputs:
    return OpportunityInputs(
        external_id=row.external_id,
        title=row.title,
        kind=row.kind,
        owner_external_id=row.owner_external_id,
        department=row.department,
        location=row.location,
        hours=row.hours_per_week,
        level_min=row.level_min,
        level_max=row.level_max,
        required={s.skill_id: s.level for s in row.skills if s.required},
        preferred={s.skill_id: s.level for s in row.skills if not s.required},
        occupation_id=row.occupation_id,
    )
