"""Remove a company's people, opportunities, history and tokens (the taxonomy stays)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from data.storage.tables import (
    ApiTokenRow,
    DemographicsRow,
    EmployeeRow,
    EmployeeSkillRow,
    InteractionRow,
    OpportunityRow,
    OpportunitySkillRow,
    SkillRow,
)


def clear_company_data(session: Session) -> None:
    for table in (
        InteractionRow,
        OpportunitySkillRow,
        OpportunityRow,
        EmployeeSkillRow,
        DemographicsRow,
        EmployeeRow,
        ApiTokenRow,
    ):
        session.execute(delete(table))
    session.execute(delete(SkillRow).where(SkillRow.source == "custom"))
    session.flush()
