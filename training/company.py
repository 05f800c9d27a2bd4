"""A company's people, opportunities and interaction log, read from storage for training."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from data.schemas import EmployeeIn, OpportunityIn
from data.storage.employees import profile_record
from data.storage.interactions import interactions_in_time_order
from data.storage.opportunities import posting_record
from data.storage.queries import batches
from data.storage.tables import EmployeeRow, InteractionRow, OpportunityRow

BATCH = 5000


@dataclass(frozen=True, slots=True)
class CompanyData:
    employees: list[EmployeeIn]
    opportunities: list[OpportunityIn]
    interactions: list[InteractionRow]  # shaped like InteractionIn: what labelling reads


def load_company(session: Session) -> CompanyData:
    """Everything training needs; profiles come without demographics (never part of one)."""
    # The stored occupation, inferred or declared: features read it as serving does.
    employees = [
        EmployeeIn.model_validate({**profile_record(row), "occupation_id": row.occupation_id})
        for rows in batches(session, EmployeeRow, BATCH)
        for row in rows
    ]
    opportunities = [
        OpportunityIn.model_validate(posting_record(row))
        for rows in batches(session, OpportunityRow, BATCH)
        for row in rows
    ]
    return CompanyData(employees, opportunities, interactions_in_time_order(session))
