"""What the engine needs to know about a person or an opportunity, independent of storage.

The API path builds records from ORM rows; the benchmark builds them straight from the data
contract, so both exercise the same composition, masks and indexes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from data.storage.snapshots import StoredEmployee, StoredOpportunity
from features.composition import EmployeeText, LeveledSkill, OpportunityText


@dataclass(frozen=True, slots=True)
class EmployeeRecord:
    row_id: int
    external_id: str
    level: int
    availability: float
    open_to: tuple[str, ...]
    location: str
    text: EmployeeText
    aspirations: str = ""  # not in the vector, but a ranking feature: encoded at index time


@dataclass(frozen=True, slots=True)
class OpportunityRecord:
    row_id: int
    external_id: str
    kind: str
    owner_external_id: str
    level_min: int
    level_max: int
    hours: float
    status: str
    seats: int
    start_date: dt.date | None
    location: str
    text: OpportunityText
    seats_filled: int = 0  # seats taken by live assignments


def employee_record(row: StoredEmployee) -> EmployeeRecord:
    return EmployeeRecord(
        row_id=row.id,
        external_id=row.external_id,
        level=row.level,
        availability=row.availability_hours_per_week,
        open_to=tuple(row.open_to),
        location=row.location,
        text=EmployeeText(
            skills=[LeveledSkill(s.skill.label, s.level) for s in row.skills],
            interests=list(row.interests),
        ),
        aspirations=row.aspirations,
    )


def opportunity_record(row: StoredOpportunity) -> OpportunityRecord:
    return OpportunityRecord(
        row_id=row.id,
        external_id=row.external_id,
        kind=row.kind,
        owner_external_id=row.owner_external_id,
        level_min=row.level_min,
        level_max=row.level_max,
        hours=row.hours_per_week,
        status=row.status,
        seats=row.seats,
        start_date=row.start_date,
        location=row.location,
        seats_filled=row.seats_filled or 0,
        text=OpportunityText(
            title=row.title,
            required=[LeveledSkill(s.skill.label, s.level) for s in row.skills if s.required],
            preferred=[LeveledSkill(s.skill.label, s.level) for s in row.skills if not s.required],
        ),
    )
