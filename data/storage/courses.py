"""The course catalog: upsert by external id, read back in the `courses.jsonl` shape, and look
courses up by the skills they teach (what learning recommendations need on the request path)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from data.schemas import CourseIn
from data.storage.employees import UpsertCounts
from data.storage.queries import rows_by_external_id, rows_in
from data.storage.tables import CourseRow, CourseSkillRow


@dataclass(frozen=True, slots=True)
class CourseStep:
    """How far one course takes a learner on one skill, with what a recommendation shows."""

    skill_id: str
    level_from: int
    level_to: int
    course_external_id: str
    title: str
    hours: float
    url: str | None = None  # where the catalogue has the course, when it says


def upsert_courses(session: Session, courses: Sequence[CourseIn]) -> UpsertCounts:
    """Create or replace courses; every skill they teach must already be in the skills table."""
    existing = rows_by_external_id(session, CourseRow, [c.external_id for c in courses])
    created = 0
    for course in courses:
        row = existing.get(course.external_id)
        if row is None:
            row = CourseRow(external_id=course.external_id)
            session.add(row)
            created += 1
        apply_course(row, course)
    session.flush()
    return UpsertCounts(created=created, updated=len(courses) - created)


def apply_course(row: CourseRow, course: CourseIn) -> None:
    row.title = course.title
    row.provider = course.provider
    row.format = course.format.value
    row.hours = course.hours
    row.url = course.url
    wanted = {
        s.skill_id: (s.level_from, s.level_to, position) for position, s in enumerate(course.skills)
    }
    kept = []
    # Update the skills the course keeps in place: deleting and re-adding a row with the same
    # primary key in one flush would collide.
    for skill_row in row.skills:
        if skill_row.skill_id in wanted:
            skill_row.level_from, skill_row.level_to, skill_row.position = wanted.pop(
                skill_row.skill_id
            )
            kept.append(skill_row)
    for skill_id, (level_from, level_to, position) in wanted.items():
        kept.append(
            CourseSkillRow(
                skill_id=skill_id, level_from=level_from, level_to=level_to, position=position
            )
        )
    row.skills = sorted(kept, key=lambda s: s.position)


def get_course(session: Session, external_id: str) -> CourseRow | None:
    return session.scalar(select(CourseRow).where(CourseRow.external_id == external_id))


def count_courses(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CourseRow)) or 0


def list_courses(
    session: Session, *, limit: int, after_id: int = 0, skill_id: str | None = None
) -> list[CourseRow]:
    """A page of the catalog in id order, optionally only courses teaching `skill_id`."""
    query = select(CourseRow).where(CourseRow.id > after_id)
    if skill_id:
        teaching = select(CourseSkillRow.course_id).where(CourseSkillRow.skill_id == skill_id)
        query = query.where(CourseRow.id.in_(teaching))
    return list(session.scalars(query.order_by(CourseRow.id).limit(limit)))


def course_document(row: CourseRow) -> dict[str, Any]:
    """The course as `courses.jsonl` holds it (no None fields)."""
    document: dict[str, Any] = {
        "external_id": row.external_id,
        "title": row.title,
        "provider": row.provider,
        "format": row.format,
        "hours": row.hours,
        "skills": [
            {"skill_id": s.skill_id, "level_from": s.level_from, "level_to": s.level_to}
            for s in row.skills
        ],
    }
    if row.url is not None:
        document["url"] = row.url
    return document


def _steps_query() -> Select[str, int, int, str, str, float, str | None]:
    return select(
        CourseSkillRow.skill_id,
        CourseSkillRow.level_from,
        CourseSkillRow.level_to,
        CourseRow.external_id,
        CourseRow.title,
        CourseRow.hours,
        CourseRow.url,
    ).join(CourseRow, CourseRow.id == CourseSkillRow.course_id)


def all_course_steps(session: Session) -> list[CourseStep]:
    """Every step of every course (what a catalog held in memory reads, in one query)."""
    rows: Sequence[Any] = session.execute(_steps_query()).all()
    return [CourseStep(*row) for row in rows]


def course_steps(session: Session, skill_ids: Sequence[str]) -> list[CourseStep]:
    """Every course step on these skills, in one query per 900 skills (one in practice).

    Only the courses teaching the asked skills come back, never the whole catalog, so the cost
    follows the number of gaps rather than the size of the catalog.
    """
    rows = rows_in(session, _steps_query(), CourseSkillRow.skill_id, sorted(set(skill_ids)))
    return [CourseStep(*row) for row in rows]
