"""The data contract rejects bad input with the path of the offending field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from data.schemas import EmployeeIn, InteractionIn, OpportunityIn
from tests.factories import make_employee, make_opportunity


def error_fields(model: type[BaseModel], record: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(record)
    return {".".join(str(p) for p in err["loc"]) for err in caught.value.errors()}


def test_valid_records_pass() -> None:
    employee = EmployeeIn.model_validate(make_employee())
    opportunity = OpportunityIn.model_validate(make_opportunity())
    assert employee.skills[0].level == 4
    assert opportunity.kind.value == "gig"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"skills": [{"name": "SQL", "level": 6}]}, "skills.0.level"),
        ({"skills": [{"name": "SQL", "level": 0}]}, "skills.0.level"),
        ({"skills": [{"level": 3}]}, "skills.0"),
        ({"availability_hours_per_week": 61}, "availability_hours_per_week"),
        ({"availability_hours_per_week": -1}, "availability_hours_per_week"),
        ({"external_id": "has space"}, "external_id"),
        ({"external_id": ""}, "external_id"),
        ({"open_to": ["gig", "internship"]}, "open_to.1"),
        ({"level": 8}, "level"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"email": "not-an-address"}, "email"),
        ({"favourite_colour": "teal"}, "favourite_colour"),
        ({"demographics": {"gender": "female", "shoe_size": 9}}, "demographics.shoe_size"),
        ({"hire_date": "2021-02-30"}, "hire_date"),
    ],
)
def test_employee_errors_name_the_field(overrides: dict[str, Any], field: str) -> None:
    assert field in error_fields(EmployeeIn, make_employee(**overrides))


def test_duplicate_skill_names_are_valid_records() -> None:
    # Synonyms and repeats are merged at import (tests/data/test_importing.py), not refused.
    record = make_employee(skills=[{"name": "SQL", "level": 2}, {"name": " sql ", "level": 3}])
    assert len(EmployeeIn.model_validate(record).skills) == 2


def test_a_skill_read_back_from_the_api_can_be_sent_again() -> None:
    record = make_employee(skills=[{"skill_id": "esco:abc-123", "name": "Python", "level": 3}])
    assert EmployeeIn.model_validate(record).skills[0].skill_id == "esco:abc-123"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "internship"}, "kind"),
        ({"required_skills": [{"level": 3}]}, "required_skills.0"),
        ({"hours_per_week": 80}, "hours_per_week"),
        ({"seats": 0}, "seats"),
        ({"status": "archived"}, "status"),
        ({"required_skills": [{"name": "SQL", "level": 9}]}, "required_skills.0.level"),
    ],
)
def test_opportunity_errors_name_the_field(overrides: dict[str, Any], field: str) -> None:
    assert field in error_fields(OpportunityIn, make_opportunity(**overrides))


def test_level_range_and_skill_lists_must_be_consistent() -> None:
    with pytest.raises(ValidationError, match="level_min must not exceed level_max"):
        OpportunityIn.model_validate(make_opportunity(level_min=5, level_max=3))
    title_only = make_opportunity(required_skills=[], preferred_skills=[])
    del title_only["department"]
    posting = OpportunityIn.model_validate(title_only)  # skills implied, department the owner's
    assert posting.required_skills == [] and posting.department is None


def test_impressions_need_a_position_and_only_completions_and_rates_carry_ratings() -> None:
    base = {
        "employee_external_id": "E1",
        "opportunity_external_id": "O1",
        "occurred_at": "2026-05-01T10:00:00Z",
    }
    with pytest.raises(ValidationError, match="needs its position"):
        InteractionIn.model_validate({**base, "type": "impression"})
    with pytest.raises(ValidationError, match="only a 'complete' or 'rate' event"):
        InteractionIn.model_validate({**base, "type": "apply", "rating": 4})
    assert InteractionIn.model_validate({**base, "type": "complete", "rating": 5}).rating == 5
    assert InteractionIn.model_validate({**base, "type": "rate", "rating": 2}).rating == 2
