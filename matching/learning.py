"""Learning recommendations: ways to close the skill gaps a match explanation lists.

A gap is a skill an opportunity asks for at a level the person does not hold (0 when they lack
it). For each gap this suggests courses from the catalog that take the person from where they
are to the asked level, and open gigs or mentorships that ask for the skill, where it can be
built on the job.

It runs on the request path of the match endpoints, once per returned page. Served pages read
the courses and the open postings from memory (matching/course_catalog.py, the engine's read
model); without them, two queries per call however many gaps it gets (course steps and
openings on the gap skills, each batched by skill id).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from data.schemas import OpportunityKind
from data.storage.courses import CourseStep, course_steps
from data.storage.opportunities import openings_on_skills
from matching.course_catalog import CourseCatalog
from matching.views import LearningItem

MAX_LEVEL = 5
# Roles are not a way to learn a skill: they are the job itself.
ON_THE_JOB_KINDS = (OpportunityKind.GIG.value, OpportunityKind.MENTORSHIP.value)


class Openings(Protocol):
    """Where the open postings asking for skills are known (matching/read_model.py)."""

    def openings(
        self,
        skill_ids: Sequence[str],
        *,
        kinds: Sequence[str],
        not_owned_by: str,
        excluding: Collection[str] = (),
        per_level: int | None = None,
    ) -> list[tuple[str, int, str, str, str, float]]: ...


@dataclass(frozen=True, slots=True)
class SkillGap:
    skill_id: str
    skill_name: str
    level_held: int  # 0 when the person lacks the skill
    level_asked: int

    def __post_init__(self) -> None:
        if not 0 <= self.level_held <= MAX_LEVEL or not 1 <= self.level_asked <= MAX_LEVEL:
            raise ValueError(
                f"levels out of range for {self.skill_id}: held {self.level_held} (0-{MAX_LEVEL}),"
                f" asked {self.level_asked} (1-{MAX_LEVEL})"
            )


@dataclass(frozen=True, slots=True)
class _Opening:
    """An open gig or mentorship that asks for one of the gap skills."""

    skill_id: str
    level: int
    kind: str
    external_id: str
    title: str
    hours_per_week: float


def learning_for(
    session: Session,
    gaps: Sequence[SkillGap],
    *,
    employee_external_id: str,
    per_gap: int = 2,
    exclude_opportunities: Collection[str] = (),
    held: Openings | None = None,
    catalog: CourseCatalog | None = None,
) -> list[LearningItem]:
    """Up to `per_gap` courses and up to `per_gap` openings per gap, gap by gap in the given order.

    Courses: those the person can start (`level_from <= level_held`) that reach the asked level,
    smallest overshoot first, then fewest hours, then external id. When none reaches it, the one
    that gets furthest, flagged `closes_gap: false`. Openings: open gigs and mentorships listing
    the skill (required or preferred), not owned by the person and not in
    `exclude_opportunities` (the opportunity the gaps come from, say), the level asked closest
    to one above the person's first. A "gap" already closed (held >= asked) yields nothing.
    `held`: the open postings by skill in memory (the engine's read model), else the database;
    `catalog`: the courses in memory (matching/course_catalog.py), else the database.
    """
    open_gaps = [g for g in gaps if g.level_held < g.level_asked]
    if not open_gaps or per_gap <= 0:
        return []
    skill_ids = sorted({g.skill_id for g in open_gaps})
    steps: dict[str, list[CourseStep]] = defaultdict(list)
    ask_courses = catalog.steps if catalog is not None else course_steps
    for step in ask_courses(session, skill_ids):
        steps[step.skill_id].append(step)
    openings: dict[str, list[_Opening]] = defaultdict(list)
    ask = held.openings if held is not None else functools.partial(openings_on_skills, session)
    found = ask(
        skill_ids,
        kinds=ON_THE_JOB_KINDS,
        not_owned_by=employee_external_id,
        excluding=exclude_opportunities,
        # _openings_for ranks by (distance from one level up, external id): the first
        # `per_gap` at each level are enough to find its top `per_gap` whatever that level.
        per_level=per_gap,
    )
    for row in found:
        openings[row[0]].append(_Opening(*row))

    items: list[LearningItem] = []
    for gap in open_gaps:
        for step, closes in _courses_for(gap, steps[gap.skill_id], per_gap):
            course: LearningItem = {
                "skill_id": gap.skill_id,
                "skill_name": gap.skill_name,
                "level_held": gap.level_held,
                "level_asked": gap.level_asked,
                "kind": "course",
                "external_id": step.course_external_id,
                "title": step.title,
                "level_to": step.level_to,
                "hours": step.hours,
                "closes_gap": closes,
            }
            if step.url:
                course["url"] = step.url
            items.append(course)
        for opening in _openings_for(gap, openings[gap.skill_id], per_gap):
            items.append(
                {
                    "skill_id": gap.skill_id,
                    "skill_name": gap.skill_name,
                    "level_held": gap.level_held,
                    "level_asked": gap.level_asked,
                    "kind": opening.kind,
                    "external_id": opening.external_id,
                    "title": opening.title,
                    "level": opening.level,
                    "hours": opening.hours_per_week,
                    "closes_gap": opening.level >= gap.level_asked,
                }
            )
    return items


def _courses_for(
    gap: SkillGap, steps: list[CourseStep], per_gap: int
) -> list[tuple[CourseStep, bool]]:
    """The best closing courses, or the furthest-reaching one that can be started."""
    startable = [s for s in steps if s.level_from <= gap.level_held and s.level_to > gap.level_held]
    closing = [s for s in startable if s.level_to >= gap.level_asked]
    if closing:
        closing.sort(key=lambda s: (s.level_to - gap.level_asked, s.hours, s.course_external_id))
        return [(s, True) for s in closing[:per_gap]]
    if not startable:
        return []
    furthest = min(startable, key=lambda s: (-s.level_to, s.hours, s.course_external_id))
    return [(furthest, False)]


def _openings_for(gap: SkillGap, openings: list[_Opening], per_gap: int) -> list[_Opening]:
    # One level above what the person holds is the stretch they can take on; an opening far
    # above it asks for a skill they cannot yet contribute.
    stretch = gap.level_held + 1
    ranked = sorted(openings, key=lambda o: (abs(o.level - stretch), o.external_id))
    return ranked[:per_gap]
