"""A pair of the workflow (a candidate and an opportunity) as each side sees it, and the skill
updates completed work proposes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.employees import get_employee
from data.storage.opportunities import get_opportunity
from data.storage.tables import EmployeeRow, OpportunityRow, PipelineRow, SkillProposalRow
from data.workflow import Action
from matching.results import masked_candidate
from serving.auth import Principal
from serving.presenters.opportunities import opportunity_document
from serving.state import ServiceState
from serving.timestamps import utc_iso
from serving.usecases.approvals import approval_document, escalation_window
from serving.usecases.pipeline import allowed_for, lapse_words, reveal


def pair_document(
    state: ServiceState,
    session: Session,
    user: Principal,
    pair: PipelineRow,
    *,
    side: Role,
    employee: EmployeeRow | None = None,
    opportunity: OpportunityRow | None = None,
) -> dict[str, Any]:
    """The pair as one side sees it: the lead the (masked until revealed) candidate, the
    employee the opportunity; each with the steps it may take next."""
    acting = Role.ADMIN if user.role is Role.ADMIN else side
    document: dict[str, Any] = {
        "id": pair.id,
        "opportunity_external_id": pair.opportunity_external_id,
        "stage": pair.stage,
        "allowed_next": allowed_for(pair, acting),
        "origin": pair.origin,
        "note": pair.note,
        "approval": approval_document(pair, escalation_window(state.settings)),
        "created_at": utc_iso(pair.created_at),
        "updated_at": utc_iso(pair.updated_at),
    }
    for name in ("reason_code", "hours_per_week", "lead_rating", "employee_rating", "request_id"):
        if getattr(pair, name) is not None:
            document[name] = getattr(pair, name)
    for name in ("starts_on", "ends_on"):
        if getattr(pair, name) is not None:
            document[name] = getattr(pair, name).isoformat()
    if pair.skills_used is not None:
        document["skills_used"] = pair.skills_used
    if side is Role.LEAD:
        employee = employee or get_employee(session, pair.employee_external_id)
        opportunity = opportunity or get_opportunity(session, pair.opportunity_external_id)
        assert employee is not None and opportunity is not None
        revealed = reveal(session, user, pair, now=dt.datetime.now(dt.UTC))
        candidate = masked_candidate(
            employee,
            opportunity,
            state.pseudonym_key,
            reveal_id=user.role is Role.ADMIN,
            revealed=revealed,
        )
        if revealed:
            candidate["identity"] = {
                "external_id": employee.external_id,
                "name": employee.name,
                "email": employee.email,
            }
        document["candidate"] = candidate
    else:
        opportunity = opportunity or get_opportunity(session, pair.opportunity_external_id)
        assert opportunity is not None
        document["opportunity"] = opportunity_document(opportunity)
    lapsed = lapse_words(pair, opportunity) if opportunity is not None else None
    if lapsed is not None:
        document["lapsed"] = lapsed
        accepting = (Action.ACCEPT_INVITATION.value, Action.ACCEPT_OFFER.value)
        document["allowed_next"] = [a for a in document["allowed_next"] if a not in accepting]
    return document


def proposal_document(row: SkillProposalRow, employee: EmployeeRow) -> dict[str, Any]:
    """A skill the completed work showed, beside the level the profile holds now."""
    have = {s.skill_id: s.level for s in employee.skills}
    document: dict[str, Any] = {
        "id": row.id,
        "skill_id": row.skill_id,
        "label": row.skill.label,
        "level": row.level,
        "current_level": have.get(row.skill_id, 0),
        "opportunity_external_id": row.opportunity_external_id,
        "status": row.status,
        "created_at": utc_iso(row.created_at),
    }
    if row.decided_at is not None:
        document["decided_at"] = utc_iso(row.decided_at)
    return document
