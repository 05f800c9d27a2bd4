"""A lead's served candidate lists as ranking groups for the candidates' ranker.

The candidates' ranker learns from each opportunity's applicants graded by how far they got
(training/groups.opportunity_groups): one list per posting, so a company with 150 open postings
gives the promotion gate at most a couple of dozen held-out lists in a pilot's six weeks, too
few to tell two models apart. The lists the product itself served to leads are lists of the
same thing, with positions: every candidate a lead was shown (the audit log's record, read by
serving/usecases/training_data.py) graded by what the lead then did with that person for that
posting through the list (the pipeline stamps each later step of the pair with the request id
of the list it started from): invited 1, shortlisted or offered 2, taken on 3; shown and left 0.
A rejection is a decision on the person too: grade 0, marked dismissed.

Each served list is a group of its own in the candidate direction, beside the applicant groups,
ordered by time with them; positions are logged, so the examination correction applies to them
as it does to employees' pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np

from features.events import LoggedEvent, PairAt, event_kind
from training.groups import Direction, QueryGroups, assemble_groups, kinds_of

LEAD_GRADES = {
    "invite": 1,
    "shortlist": 2,
    "offer": 2,
    "assign": 3,
    "accept": 3,
}
TURNED_DOWN = "reject"


class ShownCandidate(PairAt, Protocol):
    """A candidate a lead's list showed (serving/usecases/training_data.ServedImpression),
    always with its list and position."""

    @property
    def request_id(self) -> str: ...

    @property
    def position(self) -> int: ...


def _seconds(value: dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp())


def candidate_list_groups(
    impressions: Sequence[ShownCandidate],
    events: Iterable[LoggedEvent],
    *,
    kinds: Mapping[str, str],
) -> QueryGroups | None:
    """One group per served candidate list (`impressions`: its shown candidates, shaped like
    ServedImpression), graded by the lead's later steps in `events`; None when there are none."""
    if not impressions:
        return None
    lists = {i.request_id for i in impressions}
    grade: dict[tuple[str, str, str], int] = {}
    rejected: set[tuple[str, str, str]] = set()
    for event in events:
        through = event.request_id
        if through is None or through not in lists:
            continue
        kind = event_kind(event)
        key = (through, event.employee_external_id, event.opportunity_external_id)
        if kind in LEAD_GRADES:
            grade[key] = max(grade.get(key, 0), LEAD_GRADES[kind])
        elif kind == TURNED_DOWN:
            rejected.add(key)
    request = np.array([i.request_id for i in impressions])
    employee = np.array([i.employee_external_id for i in impressions])
    opportunity = np.array([i.opportunity_external_id for i in impressions])
    keys = list(zip(request.tolist(), employee.tolist(), opportunity.tolist(), strict=True))
    label = np.array([grade.get(k, 0) for k in keys], dtype=np.int8)
    dismissed = np.array([k in rejected and k not in grade for k in keys], dtype=bool)
    at = np.array([_seconds(i.occurred_at) for i in impressions], dtype=np.int64)
    position = np.array([int(i.position) for i in impressions], dtype=np.int32)
    requests, group_of_row = np.unique(request, return_inverse=True)
    first = np.full(len(requests), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, group_of_row, at)
    return assemble_groups(
        Direction.OPPORTUNITY,
        group_of_row=group_of_row,
        group_time=first,
        group_key=requests,
        within=(position,),
        query=opportunity,
        item=employee,
        employee=employee,
        opportunity=opportunity,
        kind=kinds_of(opportunity, kinds),
        label=label,
        position=position,
        dismissed=dismissed,
        occurred_at=at,
    )


def merge_groups(first: QueryGroups, second: QueryGroups | None) -> QueryGroups:
    """Both sets of groups of one direction, in time order (ties by key), rows kept per group."""
    if second is None or not second.n_groups:
        return first
    if not first.n_groups:
        return second
    if first.direction is not second.direction:
        raise ValueError("groups of different directions cannot be merged")
    columns = (
        "query_external_id",
        "item_external_id",
        "employee_external_id",
        "opportunity_external_id",
        "kind",
        "label",
        "position",
        "dismissed",
        "occurred_at",
    )
    joined = {c: np.concatenate([getattr(first, c), getattr(second, c)]) for c in columns}
    group_of_row = np.concatenate(
        [
            np.repeat(np.arange(first.n_groups), first.group_sizes),
            first.n_groups + np.repeat(np.arange(second.n_groups), second.group_sizes),
        ]
    )
    # Keys are made distinct per source (a posting id and a request id never clash in kind).
    group_key = np.concatenate([first.group_key.astype(str), second.group_key.astype(str)])
    row_order = np.concatenate([np.arange(len(first)), np.arange(len(second))])
    return assemble_groups(
        first.direction,
        group_of_row=group_of_row,
        group_time=np.concatenate([first.group_time, second.group_time]),
        group_key=group_key,
        within=(row_order,),
        query=joined["query_external_id"],
        item=joined["item_external_id"],
        employee=joined["employee_external_id"],
        opportunity=joined["opportunity_external_id"],
        kind=joined["kind"],
        label=joined["label"],
        position=joined["position"],
        dismissed=joined["dismissed"],
        occurred_at=joined["occurred_at"],
    )
