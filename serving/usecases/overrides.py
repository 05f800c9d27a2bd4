"""A person's decision on a candidate list: pin someone on top, or hide them, saying why.

A lead names the candidate by the handle its own lists showed it (handles are per lead and
opportunity, so one seen elsewhere, or never, matches nobody); HR and admins may also use the
external id. The decision is logged with the reason and applies from the next list on.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.employees import get_employee
from data.storage.interactions import applicants
from data.storage.tables import OpportunityRow, RankingOverrideRow
from fairness.audit_log import AuditLog
from fairness.audit_record import served_page
from fairness.policy import add_override
from matching.results import resolve_candidate
from serving.auth import Principal
from serving.errors import InvalidField, NotFound
from serving.state import ServiceState

# Served lists looked through for the handle a lead refers to (newest first).
HANDLE_LOOKBACK = 500


def override_candidate(
    state: ServiceState,
    session: Session,
    user: Principal,
    opportunity: OpportunityRow,
    reference: str,
    *,
    action: str,
    reason: str,
) -> RankingOverrideRow:
    if reference.startswith("cand-"):
        shown = shown_candidates(session, opportunity, user)
        employee = resolve_candidate(state.pseudonym_key, opportunity, reference, shown)
    elif user.role is Role.LEAD:
        raise InvalidField("candidate", "leads refer to candidates by their handle")
    else:
        employee = reference if get_employee(session, reference) else None
    if employee is None:
        raise NotFound(f"no candidate {reference!r} was shown for {opportunity.external_id!r}")
    return add_override(
        session,
        opportunity_external_id=opportunity.external_id,
        employee_external_id=employee,
        action=action,
        reason=reason,
        actor_role=user.role.value,
        actor=user.actor,
    )


def shown_candidates(session: Session, opportunity: OpportunityRow, user: Principal) -> list[str]:
    """Whom this caller was shown for this opportunity: the pages of its candidate lists (a
    lead: those served to a lead, that is to its owner) and its applicants."""
    records = AuditLog.between(
        session,
        direction="opportunity",
        query_external_id=opportunity.external_id,
        newest_first=True,
        limit=HANDLE_LOOKBACK,
    )
    shown = [
        item["id"]
        for record in records
        if user.role is not Role.LEAD or record["caller_role"] == Role.LEAD.value
        for item in served_page(record)
    ]
    return shown + [row.external_id for row, _ in applicants(session, opportunity.external_id)]
