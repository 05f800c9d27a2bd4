"""Remove a company's people, opportunities, course catalog, history, tokens, audit trail and
oversight decisions (the taxonomy and the model registry stay). Used to rebuild the demo company."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from data.storage.tables import (
    ApiTokenRow,
    AuditRecordRow,
    CourseRow,
    CourseSkillRow,
    DemographicsRow,
    EmployeeRow,
    EmployeeSkillRow,
    InteractionRow,
    OpportunityRow,
    OpportunitySkillRow,
    OversightEventRow,
    RankingOverrideRow,
    RankingPolicyRow,
    SkillRow,
)


def clear_company_data(session: Session) -> None:
    for table in (
        AuditRecordRow,
        OversightEventRow,
        RankingOverrideRow,
        RankingPolicyRow,
        InteractionRow,
        OpportunitySkillRow,
        OpportunityRow,
        EmployeeSkillRow,
        DemographicsRow,
        EmployeeRow,
        ApiTokenRow,
        # Course skills before their courses (as for opportunities, without relying on the
        # database's ON DELETE CASCADE) and before the custom skills they may point at.
        CourseSkillRow,
        CourseRow,
    ):
        session.execute(delete(table))
    session.execute(delete(SkillRow).where(SkillRow.source == "custom"))
    session.flush()
