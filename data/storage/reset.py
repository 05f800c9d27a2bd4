"""Remove a company's people, opportunities, course catalog, history and pipeline, skill
proposals, tokens and their web sessions, audit trail (with its purges and redactions),
oversight decisions, retention periods, the review deadline, skill aliases, import jobs, the
column mappings of uploaded files, notifications and people's choices of them (the taxonomy
and the model registry stay).
Used to rebuild the demo company."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from data.storage.reviews import SLA_KEY as REVIEW_SLA_KEY
from data.storage.tables import (
    ApiTokenRow,
    AuditPurgeRow,
    AuditRecordRow,
    AuditRedactionRow,
    AuditSealRow,
    CourseRow,
    CourseSkillRow,
    DataCorrectionRow,
    DemographicsRow,
    EmployeeRow,
    EmployeeSkillRow,
    ImportJobRow,
    ImportMappingRow,
    InteractionRow,
    InterleavingRow,
    NotificationPreferenceRow,
    OpportunityRow,
    OpportunitySkillRow,
    OutboxRow,
    OversightEventRow,
    PipelineRow,
    RankingOverrideRow,
    RankingPolicyRow,
    RetentionPolicyRow,
    ReviewRequestRow,
    ScimGroupMemberRow,
    ScimGroupRow,
    ScimUserRow,
    ServiceMetaRow,
    SkillAliasRow,
    SkillProposalRow,
    SkillRow,
    WebSessionRow,
)


def clear_company_data(session: Session) -> None:
    for table in (
        AuditRecordRow,
        AuditSealRow,  # the seals over the interactions and oversight events below
        AuditPurgeRow,  # where the purged chains start, and the redactions of erasures
        AuditRedactionRow,
        RetentionPolicyRow,
        OversightEventRow,
        RankingOverrideRow,
        RankingPolicyRow,
        InterleavingRow,
        InteractionRow,
        PipelineRow,
        SkillProposalRow,
        OpportunitySkillRow,
        OpportunityRow,
        EmployeeSkillRow,
        DemographicsRow,
        # SCIM's names and groups of the people below.
        ScimGroupMemberRow,
        ScimGroupRow,
        ScimUserRow,
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
        # Messages about the people above, and their choices of how to hear of them.
        OutboxRow,
        NotificationPreferenceRow,
        # A person's requests for a review of a decision, and corrections of their record.
        ReviewRequestRow,
        DataCorrectionRow,
    ):
        session.execute(delete(table))
    session.execute(delete(SkillRow).where(SkillRow.source == "custom"))
    session.execute(delete(ServiceMetaRow).where(ServiceMetaRow.key == REVIEW_SLA_KEY))
    session.flush()
