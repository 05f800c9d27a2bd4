"""Remove a company's people, opportunities, course catalog, history and pipeline, skill
proposals, tokens and their web sessions, audit trail, oversight decisions, skill aliases,
import jobs and the column mappings of uploaded files (the taxonomy and the model registry stay).
Used to rebuild the demo company."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from data.storage.tables import (
    ApiTokenRow,
    AuditRecordRow,
    AuditSealRow,
    CourseRow,
    CourseSkillRow,
    DemographicsRow,
    EmployeeRow,
    EmployeeSkillRow,
    ImportJobRow,
    ImportMappingRow,
    InteractionRow,
    OpportunityRow,
    OpportunitySkillRow,
    OversightEventRow,
    PipelineRow,
    RankingOverrideRow,
    RankingPolicyRow,
    SkillAliasRow,
    SkillProposalRow,
    SkillRow,
    WebSessionRow,
)


def clear_company_data(session: Session) -> None:
    for table in (
        AuditRecordRow,
        AuditSealRow,  # the seals over the interactions and oversight events below
        OversightEventRow,
        RankingOverrideRow,
        RankingPolicyRow,
        InteractionRow,
        PipelineRow,
        SkillProposalRow,
        OpportunitySkillRow,
        OpportunityRow,
        EmployeeSkillRow,
        DemographicsRow,
        EmployeeRow,
        WebSessionRow,  # the web sign-ins of the tokens below
        ApiTokenRow,
        # Course skills before their courses (as for opportunities, without relying on the
        # database's ON DELETE CASCADE) and before the custom skills they may point at.
        CourseSkillRow,
        CourseRow,
        # The company's names for skills and its import jobs; aliases before the custom
        # skills they may name.
        SkillAliasRow,
        ImportJobRow,
        ImportMappingRow,
    ):
        session.execute(delete(table))
    session.execute(delete(SkillRow).where(SkillRow.source == "custom"))
    session.flush()
