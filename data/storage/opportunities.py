"""Opportunities (gigs, mentorships, roles): upsert by external id, read back as rows or in the
data-contract shape (serving/presenters/opportunities.py makes the API's document)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import UnaryExpression, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from data.schemas import OpportunityIn, OpportunityStatus
from data.storage.employees import (
    OccupationValue,
    UpsertCounts,
    apply_occupation,
    declared_occupation,
)
from data.storage.locks import lock_rows
from data.storage.queries import chunked, rows_by_external_id, rows_in
from data.storage.snapshots import StoredOpportunity
from data.storage.tables import OpportunityRow, OpportunitySkillRow


def upsert_opportunities(
    session: Session,
    opportunities: Sequence[OpportunityIn],
    occupations: Mapping[str, OccupationValue | None] | None = None,
    *,
    occupation_choices: Mapping[str, list[dict[str, Any]] | None] | None = None,
    posted_at: dt.datetime | None = None,
) -> UpsertCounts:
    """Create or replace opportunities. Every skill must carry a resolved `skill_id`;
    `occupations` (by external id) replaces the stored occupation of those it names, and
    `occupation_choices` the closest occupations offered to the lead of those it names. A new
    opportunity is stamped `posted_at` (now, unless given). Stored rows are locked and read
    afresh first, as in `upsert_employees`."""
    posted_at = posted_at or dt.datetime.now(dt.UTC)
    existing = lock_rows(session, OpportunityRow, [o.external_id for o in opportunities])
    created = 0
    for opportunity in opportunities:
        row = existing.get(opportunity.external_id)
        if row is None:
            row = OpportunityRow(external_id=opportunity.external_id, posted_at=posted_at)
            session.add(row)
            created += 1
        apply_opportunity(row, opportunity)
        if occupations is not None and opportunity.external_id in occupations:
            apply_occupation(row, occupations[opportunity.external_id])
        if occupation_choices is not None and opportunity.external_id in occupation_choices:
            row.occupation_choices = occupation_choices[opportunity.external_id]
    session.flush()
    return UpsertCounts(created=created, updated=len(opportunities) - created)


def set_posted_at(session: Session, posted: Mapping[str, dt.datetime]) -> None:
    """Known posting times (an import of history, the demo company) for stored opportunities."""
    for row in rows_by_external_id(session, OpportunityRow, list(posted)).values():
        row.posted_at = posted[row.external_id]
    session.flush()


def apply_opportunity(row: OpportunityRow, opportunity: OpportunityIn) -> None:
    row.updated_at = func.now()  # explicit: skills-only edits must show as changes too
    row.version = (row.version or 0) + 1  # under the row's lock (upsert_opportunities took it)
    row.kind = opportunity.kind.value
    row.title = opportunity.title
    row.description = opportunity.description
    row.owner_external_id = opportunity.owner_external_id
    if opportunity.department is None:  # import_opportunities gives it its owner's first
        raise ValueError(f"opportunity {opportunity.external_id}: department not resolved")
    row.department = opportunity.department
    row.location = opportunity.location
    row.hours_per_week = opportunity.hours_per_week
    row.duration_weeks = opportunity.duration_weeks
    row.start_date = opportunity.start_date
    row.level_min = opportunity.level_min
    row.level_max = opportunity.level_max
    row.seats = opportunity.seats
    row.status = opportunity.status.value
    wanted: dict[str, tuple[int, bool, int, bool]] = {}
    refs = [(ref, True) for ref in opportunity.required_skills]
    refs += [(ref, False) for ref in opportunity.preferred_skills]
    for position, (ref, required) in enumerate(refs):
        assert ref.skill_id is not None, "skills must be resolved before storage"
        wanted[ref.skill_id] = (ref.level, required, position, ref.inferred)
    kept = []
    for skill_row in row.skills:
        if skill_row.skill_id in wanted:
            (
                skill_row.level,
                skill_row.required,
                skill_row.position,
                skill_row.inferred,
            ) = wanted.pop(skill_row.skill_id)
            kept.append(skill_row)
    for skill_id, (level, required, position, inferred) in wanted.items():
        kept.append(
            OpportunitySkillRow(
                skill_id=skill_id,
                level=level,
                required=required,
                position=position,
                inferred=inferred,
            )
        )
    row.skills = sorted(kept, key=lambda s: s.position)


def get_opportunity(session: Session, external_id: str) -> OpportunityRow | None:
    return session.scalar(select(OpportunityRow).where(OpportunityRow.external_id == external_id))


def _listing(
    query: Any,
    *,
    kind: str | None,
    status: str | None,
    owner_external_id: str | None,
    words: Sequence[str],
) -> Any:
    if kind:
        query = query.where(OpportunityRow.kind == kind)
    if status:
        query = query.where(OpportunityRow.status == status)
    if owner_external_id:
        query = query.where(OpportunityRow.owner_external_id == owner_external_id)
    for word in words:  # every word, in the title or the id, in any case
        escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                func.lower(OpportunityRow.title).like(pattern, escape="\\"),
                func.lower(OpportunityRow.external_id).like(pattern, escape="\\"),
            )
        )
    return query


def list_opportunities(
    session: Session,
    *,
    limit: int,
    after_id: int = 0,
    kind: str | None = None,
    status: str | None = None,
    owner_external_id: str | None = None,
    words: Sequence[str] = (),
    newest_first: bool = False,
) -> list[OpportunityRow]:
    """A page in id order after `after_id` (newest first: in reverse, before it; 0 starts
    either); `words` must each appear in the title (or id)."""
    order: UnaryExpression[int] | InstrumentedAttribute[int]
    if newest_first:
        start = select(OpportunityRow)
        if after_id:
            start = start.where(OpportunityRow.id < after_id)
        order = OpportunityRow.id.desc()
    else:
        start, order = select(OpportunityRow).where(OpportunityRow.id > after_id), OpportunityRow.id
    query = _listing(
        start, kind=kind, status=status, owner_external_id=owner_external_id, words=words
    )
    return list(session.scalars(query.order_by(order).limit(limit)))


def count_opportunities(
    session: Session,
    *,
    kind: str | None = None,
    status: str | None = None,
    owner_external_id: str | None = None,
    words: Sequence[str] = (),
) -> int:
    """How many `list_opportunities` pages through with the same filters."""
    query = _listing(
        select(func.count()).select_from(OpportunityRow),
        kind=kind,
        status=status,
        owner_external_id=owner_external_id,
        words=words,
    )
    return int(session.scalar(query) or 0)


def posting_record(row: StoredOpportunity) -> dict[str, Any]:
    """The posting as an import sends it (`OpportunityIn`'s fields): what a change is applied
    to, and what serving/presenters/opportunities.py shows with its occupation and state."""

    def skills(required: bool) -> list[dict[str, Any]]:
        return [
            {"skill_id": s.skill_id, "name": s.skill.label, "level": s.level}
            | ({"inferred": True} if s.inferred else {})
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
        **declared_occupation(row),
    }


def openings_on_skills(
    session: Session,
    skill_ids: Sequence[str],
    *,
    kinds: Sequence[str],
    not_owned_by: str,
    excluding: Collection[str] = (),
    per_level: int | None = None,
) -> list[Any]:
    """(skill id, level, kind, external id, title, hours) of the open opportunities of these
    kinds that list one of the skills (required or preferred), but for those `not_owned_by`
    owns and those `excluding` names. `per_level`: only the first that many (by external id)
    for each skill and level asked: at 10k postings a common skill is asked by hundreds."""
    rank = func.row_number().over(
        partition_by=(OpportunitySkillRow.skill_id, OpportunitySkillRow.level),
        order_by=OpportunityRow.external_id,
    )
    query = (
        select(
            OpportunitySkillRow.skill_id,
            OpportunitySkillRow.level,
            OpportunityRow.kind,
            OpportunityRow.external_id,
            OpportunityRow.title,
            OpportunityRow.hours_per_week,
            rank.label("rank"),
        )
        .join(OpportunityRow, OpportunityRow.id == OpportunitySkillRow.opportunity_id)
        .where(
            OpportunityRow.kind.in_(list(kinds)),
            OpportunityRow.status == OpportunityStatus.OPEN.value,
            OpportunityRow.owner_external_id != not_owned_by,
        )
    )
    if excluding:
        query = query.where(OpportunityRow.external_id.not_in(list(excluding)))
    found: list[Any] = []
    for chunk in chunked(skill_ids):
        ranked = query.where(OpportunitySkillRow.skill_id.in_(chunk)).subquery()
        outer = select(*(c for c in ranked.c if c.name != "rank"))
        if per_level is not None:
            outer = outer.where(ranked.c.rank <= per_level)
        found += session.execute(outer).all()
    return found


def level_ranges_and_hours(
    session: Session, external_ids: Sequence[str]
) -> dict[str, tuple[int, int, float]]:
    query = select(
        OpportunityRow.external_id,
        OpportunityRow.level_min,
        OpportunityRow.level_max,
        OpportunityRow.hours_per_week,
    )
    rows = rows_in(session, query, OpportunityRow.external_id, external_ids)
    return {external_id: (low, high, hours) for external_id, low, high, hours in rows}
