"""Whether an import record would change what is stored: a record equal to its stored row is
"unchanged", not an update (importing the same file twice changes nothing, and its report
must say so)."""

from __future__ import annotations

from typing import Any

from data.importing.occupations import OccupationOutcome
from data.schemas import EmployeeIn, OpportunityIn
from data.storage.tables import EmployeeRow, OpportunityRow


def _occupation_same(row: EmployeeRow | OpportunityRow, outcome: OccupationOutcome | None) -> bool:
    choice = outcome.choice if outcome is not None else None
    return (choice.occupation_id if choice else None) == row.occupation_id


def employee_unchanged(
    item: EmployeeIn, row: EmployeeRow, outcome: OccupationOutcome | None
) -> bool:
    """Every field the upsert would write equals the stored one. Demographics given in the
    file count as a change: they are stored apart and read only by fairness code."""
    if item.demographics is not None:
        return False
    wanted: tuple[Any, ...] = (
        item.name,
        item.email,
        item.title,
        item.department,
        item.level,
        item.location,
        item.timezone,
        item.manager_external_id,
        item.hire_date,
        list(item.interests),
        item.aspirations,
        item.bio,
        item.availability_hours_per_week,
        [kind.value for kind in item.open_to],
        [(ref.skill_id, ref.level) for ref in item.skills],
    )
    stored: tuple[Any, ...] = (
        row.name,
        row.email,
        row.title,
        row.department,
        row.level,
        row.location,
        row.timezone,
        row.manager_external_id,
        row.hire_date,
        list(row.interests or []),
        row.aspirations,
        row.bio,
        row.availability_hours_per_week,
        list(row.open_to or []),
        [(s.skill_id, s.level) for s in sorted(row.skills, key=lambda s: s.position)],
    )
    return wanted == stored and _occupation_same(row, outcome)


def opportunity_unchanged(
    item: OpportunityIn, row: OpportunityRow, outcome: OccupationOutcome | None
) -> bool:
    skills = [(r.skill_id, r.level, True, r.inferred) for r in item.required_skills]
    skills += [(r.skill_id, r.level, False, r.inferred) for r in item.preferred_skills]
    wanted: tuple[Any, ...] = (
        item.kind.value,
        item.title,
        item.description,
        item.owner_external_id,
        item.department,
        item.location,
        item.hours_per_week,
        item.duration_weeks,
        item.start_date,
        item.level_min,
        item.level_max,
        item.seats,
        item.status.value,
        skills,
    )
    stored: tuple[Any, ...] = (
        row.kind,
        row.title,
        row.description,
        row.owner_external_id,
        row.department,
        row.location,
        row.hours_per_week,
        row.duration_weeks,
        row.start_date,
        row.level_min,
        row.level_max,
        row.seats,
        row.status,
        [
            (s.skill_id, s.level, s.required, s.inferred)
            for s in sorted(row.skills, key=lambda s: s.position)
        ],
    )
    return wanted == stored and _occupation_same(row, outcome)
