"""The rows that hold one person's data, read for their export and rewritten or deleted for
their erasure (serving/usecases/personal_data.py decides what goes where; the sealed logs are
fairness/audit_purge.py's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from data.storage.queries import affected_rows
from data.storage.tables import (
    ApiTokenRow,
    DataCorrectionRow,
    DemographicsRow,
    EmployeeRow,
    EmployeeSkillRow,
    InteractionRow,
    NotificationPreferenceRow,
    OpportunityRow,
    OutboxRow,
    PipelineRow,
    RankingOverrideRow,
    ReviewRequestRow,
    ScimGroupMemberRow,
    ScimUserRow,
    SkillProposalRow,
    WebSessionRow,
)


def person_rows(session: Session, employee: EmployeeRow) -> dict[str, Any]:
    """Every row about the person, by kind, oldest first."""
    me = employee.external_id

    def rows(table: Any, column: Any) -> list[Any]:
        return list(session.scalars(select(table).where(column == me).order_by(table.id)))

    return {
        "demographics": session.get(DemographicsRow, employee.id),
        "preferences": session.get(NotificationPreferenceRow, me),
        "interactions": rows(InteractionRow, InteractionRow.employee_external_id),
        "pipeline": rows(PipelineRow, PipelineRow.employee_external_id),
        "outbox": rows(OutboxRow, OutboxRow.recipient_external_id),
        "overrides": rows(RankingOverrideRow, RankingOverrideRow.employee_external_id),
        "proposals": rows(SkillProposalRow, SkillProposalRow.employee_external_id),
        "reviews": rows(ReviewRequestRow, ReviewRequestRow.employee_external_id),
        "corrections": rows(DataCorrectionRow, DataCorrectionRow.employee_external_id),
    }


def erase_rows(session: Session, employee: EmployeeRow, pseudonym: str) -> dict[str, int]:
    """Outside the sealed logs: the person's id becomes `pseudonym` where the rows stay as
    evidence (others' pairs they approved, overrides, postings they own), and everything else
    about them is deleted (their own pairs included), profile last; counts."""
    me, row_id = employee.external_id, employee.id

    def rename(column: Any, **more: Any) -> int:
        values = {column.key: pseudonym, **more}
        result = session.execute(update(column.class_).where(column == me).values(values))
        return affected_rows(result)

    # Their pairs go: a lead's pipeline cannot show a person who no longer exists, and every
    # step of each pair stays, pseudonymised, in the sealed interaction log.
    removed = session.execute(delete(PipelineRow).where(PipelineRow.employee_external_id == me))
    counts = {"pipeline": affected_rows(removed)}
    rename(PipelineRow.approver_external_id)
    rename(PipelineRow.approval_decided_by)
    counts["overrides"] = rename(RankingOverrideRow.employee_external_id)
    rename(RankingOverrideRow.created_by)
    rename(OpportunityRow.owner_external_id)
    # Others' profiles named them as their manager: that link goes (HR sets a new one).
    session.execute(
        update(EmployeeRow)
        .where(EmployeeRow.manager_external_id == me)
        .values(manager_external_id=None)
    )
    tokens = select(ApiTokenRow.digest).where(ApiTokenRow.subject_external_id == me)
    session.execute(
        delete(WebSessionRow).where(
            or_(WebSessionRow.subject_external_id == me, WebSessionRow.token_digest.in_(tokens))
        )
    )
    deleted = session.execute(delete(ApiTokenRow).where(ApiTokenRow.subject_external_id == me))
    counts["tokens"] = affected_rows(deleted)
    for table, column in (
        (NotificationPreferenceRow, NotificationPreferenceRow.employee_external_id),
        (OutboxRow, OutboxRow.recipient_external_id),
        (SkillProposalRow, SkillProposalRow.employee_external_id),
        (ReviewRequestRow, ReviewRequestRow.employee_external_id),
        (DataCorrectionRow, DataCorrectionRow.employee_external_id),
    ):
        session.execute(delete(table).where(column == me))
    # Explicitly, not by ON DELETE CASCADE (SQLite enforces it only with a PRAGMA).
    for owned, owner_id in (
        (DemographicsRow, DemographicsRow.employee_id),
        (EmployeeSkillRow, EmployeeSkillRow.employee_id),
        (ScimGroupMemberRow, ScimGroupMemberRow.employee_id),
        (ScimUserRow, ScimUserRow.employee_id),
    ):
        session.execute(delete(owned).where(owner_id == row_id))
    session.expunge(employee)
    session.execute(delete(EmployeeRow).where(EmployeeRow.id == row_id))
    counts["profile"] = 1
    return counts
