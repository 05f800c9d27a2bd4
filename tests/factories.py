"""Plain factories for records in the data contract: `make_employee(**overrides)`."""

from __future__ import annotations

from typing import Any, TypedDict

PYTHON = "Python (computer programming)"


class CompanySize(TypedDict):
    """How big a demo company `generate_company(taxonomy, **size)` makes."""

    employees: int
    opportunities: int


def make_employee(external_id: str = "E1", **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "external_id": external_id,
        "name": f"Person {external_id}",
        "email": f"{external_id.lower()}@corp.example",
        "title": "Data Analyst",
        "department": "Finance",
        "level": 3,
        "location": "Berlin",
        "timezone": "Europe/Berlin",
        "skills": [{"name": "SQL", "level": 4}, {"name": PYTHON, "level": 3}],
        "interests": ["machine learning"],
        "availability_hours_per_week": 8,
        "open_to": ["gig", "mentorship", "role"],
    }
    record.update(overrides)
    return record


def make_opportunity(
    external_id: str = "O1", owner: str = "E1", **overrides: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "external_id": external_id,
        "kind": "gig",
        "title": "Churn model for EMEA",
        "description": "Predict churn from usage data.",
        "owner_external_id": owner,
        "department": "Sales Ops",
        "location": "Remote",
        "required_skills": [{"name": PYTHON, "level": 3}],
        "preferred_skills": [{"name": "SQL", "level": 2}],
        "hours_per_week": 6,
        "duration_weeks": 8,
        "start_date": "2026-12-01",
        "level_min": 2,
        "level_max": 5,
        "seats": 1,
        "status": "open",
    }
    record.update(overrides)
    return record
