"""Graded relevance from the interaction log, for both ranking directions.

Grades (issue 4): shown and ignored 0; apply, save or joining a waitlist 1; shortlist, offer
or accepting an offer 2; accept (the demo's word) or assign 3; completed with a rating of 4 or
5: 4. A completion with a lower rating (or none) keeps what an acceptance gives, 3: finishing
says the person was taken on, the rating says it did not go well. Reject, view, invite,
decline, withdraw, approval, the service's own offer of a freed waitlist slot and the
employee's own rating change nothing; a dismissal keeps 0 and is recorded as a flag.

Employee direction: one sample per impression. Every later event of the same (employee,
opportunity) pair is credited to one impression: the impression of that pair in the list the
event names by request id, when that list showed the pair at or before the event; otherwise the
pair's most recent impression at or before the event. Lead decisions arrive days later under
the request id of the list the application came from, or under another id or none: the id is
the stronger evidence when it matches (the pair may have been shown again meanwhile, and the
later list did not produce the application), the most recent impression the fallback. A sample's
label is the highest grade credited to it.

Opportunity direction: one sample per (employee, opportunity) application (or waitlist entry),
graded by how far the applicant got: apply 1, shortlist or offer 2, accept or assign 3,
completed with a good rating 4. Saves do not
make an application; decisions on a pair that never applied are not counted.

Imported history (`talent import history`, data/importing/history.py; marked in the row's
`details`): the company's applicant-tracking past, where no list of this product was served,
so no impression and no position exists for it. Its events are credited to no impression
(they are counted in `imported`, not `unattributed`) and only grade applications. A pair's
first imported event of any step past an invitation opens its application, a rejection,
withdrawal or declined offer included: an ATS lists its candidates by where they ended, and
the posting's applicants who were not advanced are exactly the negatives a lead's list needs.
Such applications are flagged `imported`; training/groups.py also forms each person's
lists from them (employee direction), and their rows carry position 0, which
training/propensity.py weighs as examined for sure (propensity 1, inverse weight 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from data.schemas import InteractionType
from data.storage.history_import import is_imported
from features.events import LoggedEvent, event_kind

GOOD_RATING = 4


class Grade(IntEnum):
    IGNORED = 0
    INTEREST = 1  # apply or save
    SHORTLIST = 2
    ACCEPT = 3
    COMPLETED_WELL = 4


# Causal order of event types logged in the same instant: an outcome stamped with its
# impression's second still comes after it, an application before the lead's decision on it.
_CAUSAL_ORDER = (
    InteractionType.IMPRESSION,
    InteractionType.VIEW,
    InteractionType.DISMISS,
    InteractionType.UNDISMISS,
    InteractionType.SAVE,
    InteractionType.UNSAVE,
    InteractionType.INVITE,
    InteractionType.WAITLIST,
    InteractionType.APPLY,
    InteractionType.DECLINE,
    InteractionType.WITHDRAW,
    InteractionType.SHORTLIST,
    InteractionType.REJECT,
    InteractionType.OFFER,
    InteractionType.SLOT_OFFER,
    InteractionType.ACCEPT_OFFER,
    InteractionType.APPROVAL,
    InteractionType.ACCEPT,
    InteractionType.ASSIGN,
    InteractionType.LAPSE,  # an assignment took the last seat: the waiting offers lapse
    InteractionType.COMPLETE,
    InteractionType.RATE,
)
_RANK = {t.value: i for i, t in enumerate(_CAUSAL_ORDER)}
# Plain ints in the hot loop: IntEnum arithmetic and comparisons are several times slower.
_GRADE = {
    InteractionType.APPLY.value: int(Grade.INTEREST),
    InteractionType.WAITLIST.value: int(Grade.INTEREST),
    InteractionType.SAVE.value: int(Grade.INTEREST),
    InteractionType.SHORTLIST.value: int(Grade.SHORTLIST),
    InteractionType.OFFER.value: int(Grade.SHORTLIST),
    InteractionType.ACCEPT_OFFER.value: int(Grade.SHORTLIST),
    InteractionType.ACCEPT.value: int(Grade.ACCEPT),
    InteractionType.ASSIGN.value: int(Grade.ACCEPT),
}
_IGNORED = int(Grade.IGNORED)
_COMPLETED_WELL = int(Grade.COMPLETED_WELL)
_ACCEPT = int(Grade.ACCEPT)
_INTEREST = int(Grade.INTEREST)
_IMPRESSION = InteractionType.IMPRESSION.value
_DISMISS = InteractionType.DISMISS.value
# What makes an application (opportunity direction): applying, or asking for a full
# mentorship's next slot.
_ASKED = frozenset({InteractionType.APPLY.value, InteractionType.WAITLIST.value})
_COMPLETE = InteractionType.COMPLETE.value
# Imported steps that make the pair one of the posting's candidates (see the module note).
_OPENS_IMPORTED = (
    frozenset(
        t.value
        for t in (
            InteractionType.SHORTLIST,
            InteractionType.REJECT,
            InteractionType.OFFER,
            InteractionType.ACCEPT_OFFER,
            InteractionType.DECLINE,
            InteractionType.WITHDRAW,
            InteractionType.ACCEPT,
            InteractionType.ASSIGN,
            InteractionType.COMPLETE,
        )
    )
    | _ASKED
)


@dataclass(frozen=True, slots=True)
class ImpressionLabels:
    """One row per impression, in time order (columns of equal length)."""

    # The served list; an impression logged without one gets "<employee>@<epoch seconds>",
    # so the items shown to one person in the same second still form one list.
    request_id: np.ndarray
    employee_external_id: np.ndarray
    opportunity_external_id: np.ndarray
    position: np.ndarray  # int32, 1-based
    occurred_at: np.ndarray  # int64 epoch seconds (UTC) of the impression
    label: np.ndarray  # int8 grade
    dismissed: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.label)


@dataclass(frozen=True, slots=True)
class ApplicationLabels:
    """One row per (employee, opportunity) that applied, in order of the first application."""

    employee_external_id: np.ndarray
    opportunity_external_id: np.ndarray
    applied_at: np.ndarray  # int64 epoch seconds (UTC) of the first application
    label: np.ndarray  # int8 grade, 1..4
    # bool: opened by an imported history event (no list of this product led to it)
    imported: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.label)


@dataclass(frozen=True, slots=True)
class InteractionLabels:
    impressions: ImpressionLabels
    applications: ApplicationLabels
    # Events after an impression (view, apply, ...) whose pair had never been shown before
    # them: nothing to credit. Many of them point at applications made outside the lists.
    unattributed: int
    imported: int = 0  # events from a history import: they grade applications only


def epoch_seconds(value: dt.datetime) -> float:
    """Seconds since the epoch; a naive time is UTC (what SQLite hands back for stored times)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def label_interactions(
    events: Iterable[LoggedEvent], *, other_lists: Collection[str] = ()
) -> InteractionLabels:
    """Graded samples for both directions from events shaped like `InteractionIn`.

    Accepts `InteractionIn` and stored `InteractionRow` alike (type as enum or string). The
    input need not be sorted: events are ordered by time, then causally within a second, then
    by input order. One linear pass after the sort.

    `other_lists`: request ids of lists served to someone else (a lead's candidate lists).
    An event naming one came from there (the lead invited the person), not from anything the
    person was shown: it still grades the application, and is credited to no impression.
    """
    request: list[str | None] = []
    employee: list[str] = []
    opportunity: list[str] = []
    kind: list[str] = []
    position: list[int] = []
    rating: list[int] = []
    seconds: list[float] = []
    imported: list[bool] = []
    for event in events:
        value = event_kind(event)
        if value not in _RANK:
            raise ValueError(f"unknown interaction type {value!r}")
        request.append(event.request_id)
        employee.append(event.employee_external_id)
        opportunity.append(event.opportunity_external_id)
        kind.append(value)
        position.append(event.position or 0)
        rating.append(event.rating or 0)
        seconds.append(epoch_seconds(event.occurred_at))
        imported.append(is_imported(getattr(event, "details", None)))
    rank = np.fromiter((_RANK[k] for k in kind), dtype=np.int8, count=len(kind))
    order = np.lexsort((rank, np.asarray(seconds, dtype=np.float64))).tolist()

    # Impression columns, filled in time order.
    i_request: list[str] = []
    i_employee: list[str] = []
    i_opportunity: list[str] = []
    i_position: list[int] = []
    i_seconds: list[int] = []
    i_label: list[int] = []
    i_dismissed: list[bool] = []
    shown_in: dict[tuple[str, str, str], int] = {}  # (request, employee, opportunity) -> row
    latest: dict[tuple[str, str], int] = {}  # (employee, opportunity) -> most recent row
    applied: dict[tuple[str, str], list[int]] = {}  # pair -> [first apply seconds, grade]
    from_history: set[tuple[str, str]] = set()  # applications an imported event opened
    unattributed = 0
    n_imported = 0

    for i in order:
        pair = (employee[i], opportunity[i])
        value = kind[i]
        if value == _IMPRESSION:
            at = int(seconds[i])
            name = request[i] or f"{pair[0]}@{at}"
            key = (name, *pair)
            if key in shown_in:
                continue  # logged twice in one list: the first (top) position stands
            row = len(i_label)
            shown_in[key] = row
            latest[pair] = row
            i_request.append(name)
            i_employee.append(pair[0])
            i_opportunity.append(pair[1])
            i_position.append(position[i])
            i_seconds.append(at)
            i_label.append(_IGNORED)
            i_dismissed.append(False)
            continue

        grade = _grade(value, rating[i])
        if imported[i]:
            n_imported += 1
            if pair not in applied and value in _OPENS_IMPORTED:
                applied[pair] = [int(seconds[i]), max(_INTEREST, grade)]
                from_history.add(pair)
            elif grade and pair in applied:
                applied[pair][1] = max(applied[pair][1], grade)
            continue
        if value in _ASKED and pair not in applied:
            applied[pair] = [int(seconds[i]), _INTEREST]
        elif grade and pair in applied:
            application = applied[pair]
            application[1] = max(application[1], grade)

        name = request[i]
        if name is not None and name in other_lists:
            unattributed += 1
            continue
        shown = shown_in.get((name, *pair)) if name is not None else None
        if shown is None:
            shown = latest.get(pair)
        if shown is None:
            unattributed += 1
        elif value == _DISMISS:
            i_dismissed[shown] = True
        elif grade:
            i_label[shown] = max(i_label[shown], grade)

    impressions = ImpressionLabels(
        request_id=np.array(i_request, dtype=str),
        employee_external_id=np.array(i_employee, dtype=str),
        opportunity_external_id=np.array(i_opportunity, dtype=str),
        position=np.array(i_position, dtype=np.int32),
        occurred_at=np.array(i_seconds, dtype=np.int64),
        label=np.array(i_label, dtype=np.int8),
        dismissed=np.array(i_dismissed, dtype=bool),
    )
    pairs = list(applied)
    applications = ApplicationLabels(
        employee_external_id=np.array([p[0] for p in pairs], dtype=str),
        opportunity_external_id=np.array([p[1] for p in pairs], dtype=str),
        applied_at=np.array([v[0] for v in applied.values()], dtype=np.int64),
        label=np.array([v[1] for v in applied.values()], dtype=np.int8),
        imported=np.array([p in from_history for p in pairs], dtype=bool),
    )
    return InteractionLabels(impressions, applications, unattributed, n_imported)


def _grade(value: str, rating: int) -> int:
    """The grade one event gives its pair (0 when it gives none)."""
    if value == _COMPLETE:
        return _COMPLETED_WELL if rating >= GOOD_RATING else _ACCEPT
    return _GRADE.get(value, _IGNORED)
