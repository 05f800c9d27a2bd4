"""What the workflow has done that the eligibility masks read, mirrored in memory.

Applications and dismissals hide a pair from each other, an undone dismissal shows it again
(unless the person also applied), acceptances fill seats, and each person's current
assignments take hours off their free time. Plain sets and dicts keyed by row id: whoever
holds a `WorkflowState` (`matching.retrieval.Retriever`) guards it with its own lock, and the
database sync (`matching.sync`) is what feeds it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from data.schemas import InteractionType
from matching.pool import NO_DATE, day_number

EXCLUDING_EVENTS = (InteractionType.APPLY.value, InteractionType.DISMISS.value)


class WorkflowState:
    def __init__(self) -> None:
        self._excluded_for_employee: dict[int, set[int]] = defaultdict(set)
        self._excluded_for_opportunity: dict[int, set[int]] = defaultdict(set)
        # (employee row, opportunity row) pairs with an application: an undone dismissal
        # brings the opportunity back only where the person never applied to it.
        self._applied: set[tuple[int, int]] = set()
        # Who was accepted onto each opportunity (a set: an event seen twice counts once).
        self._accepted: dict[int, set[int]] = defaultdict(set)
        # Hours a week each person gives to assignments, with each one's last day (NO_DATE:
        # open-ended): subtracted from free hours in the availability rule until that day.
        self._commitments: dict[int, list[tuple[float, int]]] = {}

    def note(self, employee_row: int, opportunity_row: int, event: str) -> None:
        """Apply one logged event. Idempotent: an event seen twice changes nothing more."""
        if event in EXCLUDING_EVENTS:
            self._excluded_for_employee[employee_row].add(opportunity_row)
            self._excluded_for_opportunity[opportunity_row].add(employee_row)
            if event == InteractionType.APPLY.value:
                self._applied.add((employee_row, opportunity_row))
        elif event == InteractionType.UNDISMISS.value:
            if (employee_row, opportunity_row) not in self._applied:
                self._excluded_for_employee[employee_row].discard(opportunity_row)
                self._excluded_for_opportunity[opportunity_row].discard(employee_row)
        elif event == InteractionType.ACCEPT.value:
            self._accepted[opportunity_row].add(employee_row)

    def excluded_opportunities(self, employee_row: int) -> set[int]:
        """Opportunity rows this person applied to or dismissed."""
        return self._excluded_for_employee.get(employee_row, set())

    def excluded_employees(self, opportunity_row: int) -> set[int]:
        """Employee rows who applied to or dismissed this opportunity."""
        return self._excluded_for_opportunity.get(opportunity_row, set())

    def accepted(self, opportunity_row: int) -> int:
        """People the logged history accepted onto this opportunity."""
        return len(self._accepted.get(opportunity_row, ()))

    def set_commitments(
        self, employee_row: int, assignments: list[tuple[float, dt.date | None]]
    ) -> None:
        """This person's current assignments: (hours a week, last day or None)."""
        kept = [(float(h), day_number(end)) for h, end in assignments if h]
        if kept:
            self._commitments[employee_row] = kept
        else:
            self._commitments.pop(employee_row, None)

    def clear_commitments(self) -> None:
        self._commitments.clear()

    def committed_hours(self, employee_row: int, today: dt.date) -> float:
        """Hours a week this person's assignments still running on `today` take."""
        day = day_number(today)
        return sum(
            h for h, end in self._commitments.get(employee_row, ()) if end == NO_DATE or end >= day
        )

    def committed_rows(self) -> list[int]:
        """The people with assignments on record (ended ones included until replaced)."""
        return list(self._commitments)
