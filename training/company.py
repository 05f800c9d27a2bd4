"""A company's people, opportunities and interaction log, read from storage for training."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.schemas import EmployeeIn, OpportunityIn
from data.storage.employees import employee_profile
from data.storage.opportunities import opportunity_document
from data.storage.tables import EmployeeRow, InteractionRow, OpportunityRow


@dataclass(frozen=True, slots=True)
class CompanyData:
    employees: list[EmployeeIn]
    opportunities: list[OpportunityIn]
    interactions: list[InteractionRow]  # shaped like InteractionIn: what labelling reads


def load_company(session: Session) -> CompanyData:
    """Everything training needs; profiles come without demographics (never part of one)."""
    employees = [
        EmployeeIn.model_validate(employee_profile(row))
        for row in session.scalars(select(EmployeeRow).order_by(EmployeeRow.id))
    ]
    opportunities = [
        OpportunityIn.model_validate(opportunity_document(row))
        for row in session.scalars(select(OpportunityRow).order_by(OpportunityRow.id))
    ]
    interactions = list(
        session.scalars(
            select(InteractionRow).order_by(InteractionRow.occurred_at, InteractionRow.id)
        )
    )
    return CompanyData(employees, opportunities, interactions)
