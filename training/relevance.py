"""Logged interactions -> graded relevance per shown item, grouped per served list.

Grades (issue 4): shown and ignored 0; apply or save 1; shortlist 2; accept 3; completed with a
rating of 4 or 5: 4 (a lower rating keeps the 3 it reached). An outcome is credited to the most
recent impression of the same (person, opportunity) pair at or before it, since leads
shortlist and accept later, under no request id of the list that showed it. A group is one
served list (request id): the employee direction, where positions were logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from features.store import epoch_seconds

GRADE = {"apply": 1, "save": 1, "shortlist": 2, "accept": 3}
GOOD_RATING = 4


@dataclass(frozen=True, slots=True)
class LabelledRows:
    """Rows of contiguous groups, in group-time order."""

    employee_ids: np.ndarray
    opportunity_ids: np.ndarray
    labels: np.ndarray
    positions: np.ndarray
    at_seconds: np.ndarray  # the impression's time: features are computed as of then
    dismissed: np.ndarray
    sizes: np.ndarray
    group_seconds: np.ndarray  # one per group: when the list was served

    def __len__(self) -> int:
        return len(self.labels)

    def select_groups(self, chosen: np.ndarray) -> LabelledRows:
        """The rows of the chosen groups (a boolean mask over groups), order kept."""
        row_mask = np.repeat(chosen, self.sizes)
        return LabelledRows(
            employee_ids=self.employee_ids[row_mask],
            opportunity_ids=self.opportunity_ids[row_mask],
            labels=self.labels[row_mask],
            positions=self.positions[row_mask],
            at_seconds=self.at_seconds[row_mask],
            dismissed=self.dismissed[row_mask],
            sizes=self.sizes[chosen],
            group_seconds=self.group_seconds[chosen],
        )


def label_impressions(events: Iterable[object]) -> LabelledRows:
    """Build graded rows from interaction events (anything shaped like `InteractionIn`)."""
    ordered = sorted(events, key=lambda e: e.occurred_at)  # type: ignore[attr-defined]
    request, employee, opportunity, position, seconds = [], [], [], [], []
    label: list[int] = []
    dismissed: list[bool] = []
    latest: dict[tuple[str, str], int] = {}
    for event in ordered:
        kind = str(getattr(event.type, "value", event.type))  # type: ignore[attr-defined]
        pair = (event.employee_external_id, event.opportunity_external_id)  # type: ignore[attr-defined]
        if kind == "impression":
            latest[pair] = len(label)
            request.append(event.request_id or f"{pair[0]}@{event.occurred_at}")  # type: ignore[attr-defined]
            employee.append(pair[0])
            opportunity.append(pair[1])
            position.append(event.position)  # type: ignore[attr-defined]
            seconds.append(epoch_seconds(event.occurred_at))  # type: ignore[attr-defined]
            label.append(0)
            dismissed.append(False)
            continue
        row = latest.get(pair)
        if row is None:
            continue
        if kind == "dismiss":
            dismissed[row] = True
        elif kind == "complete":
            rating = event.rating or 0  # type: ignore[attr-defined]
            label[row] = max(label[row], 4 if rating >= GOOD_RATING else 3)
        elif kind in GRADE:
            label[row] = max(label[row], GRADE[kind])
    return _grouped(request, employee, opportunity, position, seconds, label, dismissed)


def _grouped(
    request: list[str],
    employee: list[str],
    opportunity: list[str],
    position: list[int],
    seconds: list[int],
    label: list[int],
    dismissed: list[bool],
) -> LabelledRows:
    requests = np.array(request)
    at = np.array(seconds, dtype=np.int64)
    names, first_row, group_of_row = np.unique(requests, return_index=True, return_inverse=True)
    group_seconds = at[first_row]
    # Groups by serving time (ties by name), rows by position inside a group.
    group_rank = np.empty(len(names), dtype=np.int64)
    group_rank[np.lexsort((names, group_seconds))] = np.arange(len(names))
    order = np.lexsort((np.array(position), group_rank[group_of_row]))
    sizes = np.bincount(group_rank[group_of_row], minlength=len(names))
    return LabelledRows(
        employee_ids=np.array(employee)[order],
        opportunity_ids=np.array(opportunity)[order],
        labels=np.array(label, dtype=np.int32)[order],
        positions=np.array(position, dtype=np.int32)[order],
        at_seconds=at[order],
        dismissed=np.array(dismissed, dtype=bool)[order],
        sizes=sizes.astype(np.int64),
        group_seconds=np.sort(group_seconds),
    )


def time_split(
    rows: LabelledRows, *, valid_fraction: float = 0.15, test_fraction: float = 0.15
) -> tuple[LabelledRows, LabelledRows, LabelledRows]:
    """Train / valid / test by serving time: whole groups, test the latest period."""
    n = len(rows.sizes)
    test_start = round(n * (1 - test_fraction))
    valid_start = round(n * (1 - test_fraction - valid_fraction))
    index = np.arange(n)
    return (
        rows.select_groups(index < valid_start),
        rows.select_groups((index >= valid_start) & (index < test_start)),
        rows.select_groups(index >= test_start),
    )


def split_date(rows: LabelledRows, fraction: float) -> dt.datetime:
    """When the group at `fraction` of the timeline was served (for reports)."""
    index = min(int(fraction * len(rows.group_seconds)), len(rows.group_seconds) - 1)
    return dt.datetime.fromtimestamp(int(rows.group_seconds[index]), tz=dt.UTC)
