"""Labelled samples -> query groups for LightGBM, in both ranking directions.

Employee direction ("my matches"): one group per served list and kind, the opportunities it
showed with their grades and positions. A list that mixed kinds is split by kind, because each
kind is ranked on its own page. Opportunity direction ("candidates"): one group per
opportunity, the employees who applied, graded by how far they got; no position was logged for
a lead's view of applicants, so it is 0, and the group's time is the first application.

Imported history (training/labels.py) was never served as a list, so the employee direction
has no impression of it. Its lists are formed from what the history has: each person's
applications of one kind opened by an imported event are one list ("<person>@history"),
graded by how far each got (the postings they applied to and were not advanced in are its
negatives), position 0 (no examination to correct for: propensity 1), timed at its first
application. The candidates' lists need nothing new: an opportunity's group is every
applicant, imported or not.

Rows of a group are contiguous and groups run in time order (ties by key), which is what
LightGBM's `group` sizes expect and what a time split needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np

from training.labels import InteractionLabels


class Direction(StrEnum):
    EMPLOYEE = "employee"  # the query is an employee, the items are opportunities
    OPPORTUNITY = "opportunity"  # the query is an opportunity, the items are employees


@dataclass(frozen=True, slots=True)
class QueryGroups:
    """Columnar ranking samples: per-row columns, then per-group ones."""

    direction: Direction
    group_id: np.ndarray  # int64, per row; numbered at construction and kept by selections
    query_external_id: np.ndarray
    item_external_id: np.ndarray
    # Both sides for every row whatever the direction, so features join the same way.
    employee_external_id: np.ndarray
    opportunity_external_id: np.ndarray
    kind: np.ndarray
    label: np.ndarray  # int8 grade 0..4
    position: np.ndarray  # int32, 1-based; 0 where no position was logged
    dismissed: np.ndarray  # bool
    # int64 epoch seconds: the impression (employee direction) or the application (opportunity
    # direction). Features of a row must be computed as of this time, never later.
    occurred_at: np.ndarray
    group_sizes: np.ndarray  # int64, rows per group, in row order
    group_time: np.ndarray  # int64 epoch seconds, non-decreasing: when the group was formed
    group_key: np.ndarray  # the request id (employee direction) or opportunity id

    def __post_init__(self) -> None:
        rows = len(self.label)
        for name in (
            "group_id",
            "query_external_id",
            "item_external_id",
            "employee_external_id",
            "opportunity_external_id",
            "kind",
            "position",
            "dismissed",
            "occurred_at",
        ):
            if len(getattr(self, name)) != rows:
                raise ValueError(f"column {name} has {len(getattr(self, name))} rows, not {rows}")
        if int(self.group_sizes.sum()) != rows or (self.group_sizes < 1).any():
            raise ValueError("group_sizes must be positive and add up to the number of rows")
        if not len(self.group_time) == len(self.group_sizes) == len(self.group_key):
            raise ValueError("group_time and group_key need one entry per group")
        if (np.diff(self.group_time) < 0).any():
            raise ValueError("groups must run in time order")

    def __len__(self) -> int:
        return len(self.label)

    @property
    def n_groups(self) -> int:
        return len(self.group_sizes)

    @property
    def group_starts(self) -> np.ndarray:
        """Index of each group's first row."""
        starts: np.ndarray = np.cumsum(self.group_sizes) - self.group_sizes
        return starts

    @property
    def group_kind(self) -> np.ndarray:
        kinds: np.ndarray = self.kind[self.group_starts]
        return kinds

    def pair_codes(self) -> np.ndarray:
        """An int64 code per row, equal for rows of the same (employee, opportunity) pair."""
        _, person = np.unique(self.employee_external_id, return_inverse=True)
        jobs, job = np.unique(self.opportunity_external_id, return_inverse=True)
        return person.astype(np.int64) * max(len(jobs), 1) + job

    def select_groups(self, chosen: np.ndarray) -> QueryGroups:
        """The chosen groups (a boolean mask over groups), in their order."""
        chosen = np.asarray(chosen, dtype=bool)
        if len(chosen) != self.n_groups:
            raise ValueError(f"need one flag per group ({self.n_groups}), got {len(chosen)}")
        rows = np.repeat(chosen, self.group_sizes)
        return QueryGroups(
            direction=self.direction,
            group_id=self.group_id[rows],
            query_external_id=self.query_external_id[rows],
            item_external_id=self.item_external_id[rows],
            employee_external_id=self.employee_external_id[rows],
            opportunity_external_id=self.opportunity_external_id[rows],
            kind=self.kind[rows],
            label=self.label[rows],
            position=self.position[rows],
            dismissed=self.dismissed[rows],
            occurred_at=self.occurred_at[rows],
            group_sizes=self.group_sizes[chosen],
            group_time=self.group_time[chosen],
            group_key=self.group_key[chosen],
        )

    def for_kind(self, kind: str) -> QueryGroups:
        return self.select_groups(self.group_kind == str(kind))


class Posting(Protocol):
    """What `opportunity_kinds` reads: `OpportunityIn`, a stored row, feature inputs."""

    @property
    def external_id(self) -> str: ...

    @property
    def kind(self) -> object: ...  # an `OpportunityKind` or its value


def opportunity_kinds(opportunities: Iterable[Posting]) -> dict[str, str]:
    """external id -> kind, from anything shaped like `OpportunityIn`."""
    return {o.external_id: str(getattr(o.kind, "value", o.kind)) for o in opportunities}


def employee_groups(labels: InteractionLabels, *, kinds: Mapping[str, str]) -> QueryGroups:
    """One group per served list and kind, rows by position (1 first); then one per person
    and kind from imported history, position 0 (see the module note)."""
    shown = labels.impressions
    past = labels.applications
    history = past.imported if len(past.imported) == len(past) else np.zeros(len(past), bool)
    people = past.employee_external_id[history]
    request_id = np.concatenate([shown.request_id, np.char.add(people, "@history")])
    employee = np.concatenate([shown.employee_external_id, people])
    opportunity = np.concatenate(
        [shown.opportunity_external_id, past.opportunity_external_id[history]]
    )
    at = np.concatenate([shown.occurred_at, past.applied_at[history]])
    label = np.concatenate([shown.label, past.label[history]])
    position = np.concatenate([shown.position, np.zeros(len(people), dtype=np.int32)])
    dismissed = np.concatenate([shown.dismissed, np.zeros(len(people), dtype=bool)])
    kind = _kinds_of(opportunity, kinds)
    requests, request_of_row = np.unique(request_id, return_inverse=True)
    kind_names, kind_of_row = np.unique(kind, return_inverse=True)
    combined = request_of_row.astype(np.int64) * len(kind_names) + kind_of_row
    codes, group_of_row = np.unique(combined, return_inverse=True)
    return _assemble(
        Direction.EMPLOYEE,
        group_of_row=group_of_row,
        group_time=_earliest(at, group_of_row, len(codes)),
        group_key=requests[codes // len(kind_names)],
        within=(position,),
        query=employee,
        item=opportunity,
        employee=employee,
        opportunity=opportunity,
        kind=kind,
        label=label,
        position=position,
        dismissed=dismissed,
        occurred_at=at,
    )


def opportunity_groups(labels: InteractionLabels, *, kinds: Mapping[str, str]) -> QueryGroups:
    """One group per opportunity with applicants; rows in order of application."""
    applied = labels.applications
    kind = _kinds_of(applied.opportunity_external_id, kinds)
    opportunities, group_of_row = np.unique(applied.opportunity_external_id, return_inverse=True)
    rows = len(applied)
    return _assemble(
        Direction.OPPORTUNITY,
        group_of_row=group_of_row,
        group_time=_earliest(applied.applied_at, group_of_row, len(opportunities)),
        group_key=opportunities,
        within=(applied.employee_external_id, applied.applied_at),
        query=applied.opportunity_external_id,
        item=applied.employee_external_id,
        employee=applied.employee_external_id,
        opportunity=applied.opportunity_external_id,
        kind=kind,
        label=applied.label,
        position=np.zeros(rows, dtype=np.int32),
        dismissed=np.zeros(rows, dtype=bool),
        occurred_at=applied.applied_at,
    )


def build_groups(
    labels: InteractionLabels, *, kinds: Mapping[str, str], direction: Direction | str
) -> QueryGroups:
    if Direction(direction) is Direction.EMPLOYEE:
        return employee_groups(labels, kinds=kinds)
    return opportunity_groups(labels, kinds=kinds)


def _kinds_of(opportunity_ids: np.ndarray, kinds: Mapping[str, str]) -> np.ndarray:
    """Kind per row, looked up once per distinct opportunity."""
    distinct, row_of = np.unique(opportunity_ids, return_inverse=True)
    missing = [o for o in distinct.tolist() if o not in kinds]
    if missing:
        # A row without a kind cannot be put on a page or joined to features: say which.
        raise ValueError(
            f"{len(missing)} opportunities in the log have no known kind, e.g. {missing[:5]}"
        )
    looked_up = np.array([str(getattr(kinds[o], "value", kinds[o])) for o in distinct.tolist()])
    return looked_up[row_of] if len(distinct) else np.zeros(0, dtype=str)


def _earliest(seconds: np.ndarray, group_of_row: np.ndarray, n_groups: int) -> np.ndarray:
    first = np.full(n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, group_of_row, seconds)
    return first


def _assemble(
    direction: Direction,
    *,
    group_of_row: np.ndarray,
    group_time: np.ndarray,
    group_key: np.ndarray,
    within: tuple[np.ndarray, ...],
    query: np.ndarray,
    item: np.ndarray,
    employee: np.ndarray,
    opportunity: np.ndarray,
    kind: np.ndarray,
    label: np.ndarray,
    position: np.ndarray,
    dismissed: np.ndarray,
    occurred_at: np.ndarray,
) -> QueryGroups:
    """Number groups by (time, key), then order rows by group and the `within` keys."""
    by_time = np.lexsort((group_key, group_time))
    rank = np.empty(len(by_time), dtype=np.int64)
    rank[by_time] = np.arange(len(by_time))
    row_group = rank[group_of_row]
    # np.lexsort sorts by its last key first; it is stable, so full ties keep log order.
    order = np.lexsort((*within, row_group))
    return QueryGroups(
        direction=direction,
        group_id=row_group[order],
        query_external_id=query[order],
        item_external_id=item[order],
        employee_external_id=employee[order],
        opportunity_external_id=opportunity[order],
        kind=kind[order],
        label=label[order],
        position=position[order],
        dismissed=dismissed[order],
        occurred_at=occurred_at[order],
        group_sizes=np.bincount(row_group, minlength=len(by_time)).astype(np.int64),
        group_time=group_time[by_time],
        group_key=group_key[by_time],
    )


# Other sources of groups (training/candidate_lists.py) assemble theirs the same way.
assemble_groups = _assemble
kinds_of = _kinds_of
