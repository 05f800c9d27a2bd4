"""The course catalog held in memory, for the learning suggestions of every match page.

A page used to ask the database for the courses teaching its gap skills (a query a page, ~1.5
ms at 100k people on PostgreSQL, for a catalog that is tiny beside the people). The catalog is
read whole instead, and again once it is older than REFRESH_SECONDS: only `talent demo`
writes courses (a customer's catalog has no import yet), so a page may show the catalog as it
stood up to that long ago, and never a mix of two.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from data.storage.courses import CourseStep, all_course_steps

REFRESH_SECONDS = 60.0


class CourseCatalog:
    def __init__(
        self,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._by_skill: dict[str, tuple[CourseStep, ...]] = {}
        self._read_at: float | None = None
        self._reading = threading.Lock()

    def steps(self, session: Session, skill_ids: Sequence[str]) -> list[CourseStep]:
        """Every course step on these skills (as data.storage.courses.course_steps gives them,
        in the catalog's order), read again first when the held catalog is too old."""
        by_skill = self._current(session)
        return [step for skill_id in sorted(set(skill_ids)) for step in by_skill.get(skill_id, ())]

    def _current(self, session: Session) -> dict[str, tuple[CourseStep, ...]]:
        read_at = self._read_at
        if read_at is not None and self._clock() - read_at < self.refresh_seconds:
            return self._by_skill
        with self._reading:  # one reader; the pages meanwhile wait for it, then share it
            read_at = self._read_at
            if read_at is None or self._clock() - read_at >= self.refresh_seconds:
                started = self._clock()
                grouped: dict[str, list[CourseStep]] = defaultdict(list)
                for step in all_course_steps(session):
                    grouped[step.skill_id].append(step)
                self._by_skill = {skill: tuple(steps) for skill, steps in grouped.items()}
                self._read_at = started
            return self._by_skill
