"""A company's people, opportunities and interaction log, read from storage for training."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from data.schemas import EmployeeIn, OpportunityIn
from data.storage.employees import employee_profile
from data.storage.interactions import interactions_in_time_order
from data.storage.opportunities import opportunity_document
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
    employees = [
        EmployeeIn.model_validate(employee_profile(row))
        for rows in batches(session, EmployeeRow, BATCH)
        for row in rows
    ]
    opportunities = [
        OpportunityIn.model_validate(opportunity_document(row))
        for rows in batches(session, OpportunityRow, BATCH)
        for row in rows
    ]
    return CompanyData(employees, opportunities, interactions_in_time_order(session))
