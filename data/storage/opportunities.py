"""Opportunities (gigs, mentorships, roles): upsert by external id, read back as the contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.schemas import OpportunityIn
from data.storage.employees import UpsertCounts
from data.storage.tables import OpportunityRow, OpportunitySkillRow


def rows_by_external_id(session: Session, external_ids: Sequence[str]) -> dict[str, OpportunityRow]:
    found: dict[str, OpportunityRow] = {}
    for start in range(0, len(external_ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = list(external_ids[start : start + 900])
        query = select(OpportunityRow).where(OpportunityRow.external_id.in_(chunk))
        for row in session.scalars(query):
            found[row.external_id] = row
    return found


def upsert_opportunities(session: Session, opportunities: Sequence[OpportunityIn]) -> UpsertCounts:
    """Create or replace opportunities. Every skill must carry a resolved `skill_id`."""
    existing = rows_by_external_id(session, [o.external_id for o in opportunities])
    created = 0
    for opportunity in opportunities:
        row = existing.get(opportunity.external_id)
        if row is None:
            row = OpportunityRow(external_id=opportunity.external_id)
            session.add(row)
            created += 1
        apply_opportunity(row, opportunity)
    session.flush()
    return UpsertCounts(created=created, updated=len(opportunities) - created)


def apply_opportunity(row: OpportunityRow, opportunity: OpportunityIn) -> None:
    row.updated_at = func.now()  # explicit: skills-only edits must show as changes too
    row.kind = opportunity.kind.value
    row.title = opportunity.title
    row.description = opportunity.description
    row.owner_external_id = opportunity.owner_external_id
    row.department = opportunity.department
    row.location = opportunity.location
    row.hours_per_week = opportunity.hours_per_week
    row.duration_weeks = opportunity.duration_weeks
    row.start_date = opportunity.start_date
    row.level_min = opportunity.level_min
    row.level_max = opportunity.level_max
    row.seats = opportunity.seats
    row.status = opportunity.status.value
    wanted: dict[str, tuple[int, bool, int]] = {}
    refs = [(ref, True) for ref in opportunity.required_skills]
    refs += [(ref, False) for ref in opportunity.preferred_skills]
    for position, (ref, required) in enumerate(refs):
        assert ref.skill_id is not None, "skills must be resolved before storage"
        wanted[ref.skill_id] = (ref.level, required, position)
    kept = []
    for skill_row in row.skills:
        if skill_row.skill_id in wanted:
            skill_row.level, skill_row.required, skill_row.position = wanted.pop(skill_row.skill_id)
            kept.append(skill_row)
    for skill_id, (level, required, position) in wanted.items():
        kept.append(
            OpportunitySkillRow(
                skill_id=skill_id, level=level, required=required, position=position
            )
        )
    row.skills = sorted(kept, key=lambda s: s.position)


def get_opportunity(session: Session, external_id: str) -> OpportunityRow | None:
    return session.scalar(select(OpportunityRow).where(OpportunityRow.external_id == external_id))


def list_opportunities(
    session: Session,
    *,
    limit: int,
    after_id: int = 0,
    kind: str | None = None,
    status: str | None = None,
    owner_external_id: str | None = None,
) -> list[OpportunityRow]:
    query = select(OpportunityRow).where(OpportunityRow.id > after_id)
    if kind:
        query = query.where(OpportunityRow.kind == kind)
    if status:
        query = query.where(OpportunityRow.status == status)
    if owner_external_id:
        query = query.where(OpportunityRow.owner_external_id == owner_external_id)
    return list(session.scalars(query.order_by(OpportunityRow.id).limit(limit)))


def opportunity_document(row: OpportunityRow) -> dict[str, Any]:
    def skills(required: bool) -> list[dict[str, Any]]:
        return [
            {"skill_id": s.skill_id, "name": s.skill.label, "level": s.level}
            for s in row.skills
            if s.required is required
        ]

    return {
        "external_id": row.external_id,
        "kind": row.kind,
        "title": row.title,
        "description": row.description,
        "owner_external_id": row.owner_external_id,
        "department": row.department,
        "location": row.location,
        "required_skills": skills(True),
        "preferred_skills": skills(False),
        "hours_per_week": row.hours_per_week,
        "duration_weeks": row.duration_weeks,
        "start_date": row.start_date.isoformat() if row.start_date else None,
        "level_min": row.level_min,
        "level_max": row.level_max,
        "seats": row.seats,
        "status": row.status,
    }
