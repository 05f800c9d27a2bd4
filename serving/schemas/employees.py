"""People: an employee's profile (serving/routes/employees.py), and the people and
departments an admin picks from (serving/routes/opportunities.py)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from serving.schemas.base import Out
from serving.schemas.occupations import OccupationOut
from serving.schemas.skills import SkillLevelOut


class ProfileOut(Out):
    external_id: str
    name: str
    email: str | None
    title: str
    department: str
    level: int
    location: str
    timezone: str
    manager_external_id: str | None
    hire_date: dt.date | None
    skills: list[SkillLevelOut]
    interests: list[str]
    aspirations: str
    bio: str
    availability_hours_per_week: float
    open_to: list[str]
    occupation: OccupationOut | None


class PersonOut(Out):
    """A person to pick (an admin choosing the lead who owns a posting)."""

    external_id: str
    name: str
    title: str
    department: str
    leads: bool = Field(description="owns postings, manages people or holds a lead token")
    why: str = Field(description="why they can own a posting, in words")


class PeopleOut(Out):
    items: list[PersonOut]


class DepartmentsOut(Out):
    items: list[str] = Field(description="the company's departments, by name")
