"""The skills table: a copy of the taxonomy plus company-specific (custom) skills."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.storage.tables import SkillRow
from data.taxonomy.model import Taxonomy, TaxonomySkill


def count_skills(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SkillRow)) or 0


def upsert_skills(session: Session, skills: Iterable[TaxonomySkill]) -> int:
    """Insert new skills and refresh labels of known ones; returns how many were written."""
    incoming = {skill.skill_id: skill for skill in skills}
    ids = list(incoming)
    existing: dict[str, SkillRow] = {}
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        query = select(SkillRow).where(SkillRow.skill_id.in_(ids[start : start + 900]))
        existing.update((row.skill_id, row) for row in session.scalars(query))
    for skill_id, skill in incoming.items():
        row = existing.get(skill_id)
        if row is None:
            session.add(_row_from_skill(skill))
        else:
            row.label = skill.label
            row.alt_labels = list(skill.alt_labels)
            row.skill_type = skill.skill_type
            row.description = skill.description
            row.source = skill.source
    session.flush()
    return len(incoming)


def existing_skill_ids(session: Session, skill_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(skill_ids), 900):  # stay under SQLite's bound-parameter limit
        query = select(SkillRow.skill_id).where(
            SkillRow.skill_id.in_(skill_ids[start : start + 900])
        )
        found.update(session.scalars(query))
    return found


def load_taxonomy(session: Session, *, version: str = "db") -> Taxonomy:
    """The taxonomy as stored (ESCO plus imported plus custom skills)."""
    rows = session.scalars(select(SkillRow).order_by(SkillRow.skill_id))
    return Taxonomy.build((_skill_from_row(row) for row in rows), version=version)


def _row_from_skill(skill: TaxonomySkill) -> SkillRow:
    return SkillRow(
        skill_id=skill.skill_id,
        label=skill.label,
        alt_labels=list(skill.alt_labels),
        skill_type=skill.skill_type,
        description=skill.description,
        source=skill.source,
    )


def _skill_from_row(row: SkillRow) -> TaxonomySkill:
    return TaxonomySkill(
        skill_id=row.skill_id,
        label=row.label,
        alt_labels=tuple(row.alt_labels or ()),
        skill_type=row.skill_type,
        description=row.description,
        source=row.source,
    )
