"""A company's past: historical applications, shortlists, offers, hires and completions (with
ratings) from an applicant-tracking or HR export, appended to the interaction log so the first
`talent train` learns from them (training/labels.py says how).

One event a row: who (`employee_external_id`), which posting (`opportunity_external_id`), what
(`type`: the contract's event names or an export's words for them, "Hired" read as `assign`),
when (`occurred_at`, a date or a time; a date is that day, 00:00 UTC) and, for a completion, a
`rating` from 1 to 5. Every row is checked before anything is written; one refused row refuses
the file, naming each row and field.

An event is the same event when its person, posting, type and UTC day are: a repeat within the
file, or of an event already in the log (imported earlier, or recorded live by the product),
is counted and not written again, so importing a file twice writes nothing the second time.
The same event with another rating is refused: the log is append-only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from data.importing.errors import ImportRejected, RowError
from data.importing.files import Record
from data.schemas import RATED_TYPES, InteractionType
from data.storage.history_import import (
    IMPORT_SOURCE,
    EventKey,
    add_imported_events,
    known_ids,
    stored_events,
)
from data.storage.tables import EmployeeRow, OpportunityRow

T = InteractionType
# The contract's own names a history may hold. Impressions and views are what this product
# served and saw: a history from elsewhere has none (and no positions). The workflow's own
# bookkeeping (waitlists, lapses, approvals, freed slots) is not an export's to give.
HISTORY_TYPES = (
    T.APPLY,
    T.INVITE,
    T.SHORTLIST,
    T.REJECT,
    T.OFFER,
    T.ACCEPT_OFFER,
    T.DECLINE,
    T.WITHDRAW,
    T.ASSIGN,
    T.COMPLETE,
    T.RATE,
)
# An export's words (normalised: lower case, letters only) for them. A hire is `assign`, the
# live workflow's word: the demo's `accept` would also count as a seat taken on a posting
# still open (serving/usecases/postings.py), which a years-old hire should not.
SYNONYMS: dict[str, InteractionType] = {
    **{re.sub(r"[^a-z]", "", t.value): t for t in HISTORY_TYPES},
    "accept": T.ASSIGN,
    "applied": T.APPLY,
    "application": T.APPLY,
    "applicationsubmitted": T.APPLY,
    "submitted": T.APPLY,
    "new": T.APPLY,
    "newapplicant": T.APPLY,
    "invited": T.INVITE,
    "sourced": T.INVITE,
    "shortlisted": T.SHORTLIST,
    "interview": T.SHORTLIST,
    "interviewed": T.SHORTLIST,
    "interviewing": T.SHORTLIST,
    "rejected": T.REJECT,
    "notselected": T.REJECT,
    "disqualified": T.REJECT,
    "declinedbycompany": T.REJECT,
    "offered": T.OFFER,
    "offermade": T.OFFER,
    "offerextended": T.OFFER,
    "offeraccepted": T.ACCEPT_OFFER,
    "acceptedoffer": T.ACCEPT_OFFER,
    "accepted": T.ACCEPT_OFFER,
    "offerdeclined": T.DECLINE,
    "declined": T.DECLINE,
    "withdrawn": T.WITHDRAW,
    "withdrew": T.WITHDRAW,
    "candidatewithdrew": T.WITHDRAW,
    "hired": T.ASSIGN,
    "hire": T.ASSIGN,
    "assigned": T.ASSIGN,
    "placed": T.ASSIGN,
    "staffed": T.ASSIGN,
    "selected": T.ASSIGN,
    "completed": T.COMPLETE,
    "finished": T.COMPLETE,
    "done": T.COMPLETE,
    "rated": T.RATE,
    "rating": T.RATE,
}
FIELDS = ("employee_external_id", "opportunity_external_id", "type", "occurred_at", "rating")
# Earlier than this, a date is an export's error (a blank read as 1900, a serial number).
EARLIEST = dt.date(1970, 1, 1)


@dataclass(slots=True)
class HistoryReport:
    """What an import of history did, as `talent import history` prints it."""

    rows: int = 0
    written: Counter[str] = field(default_factory=Counter)  # new events by type
    # Given words read as another name: {"Hired": "assign"} (the contract's own are not listed).
    mapped: dict[str, str] = field(default_factory=dict)
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (row, same as row)
    already_imported: int = 0  # in the log from an earlier import
    already_logged: int = 0  # recorded live by the product

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "written": sum(self.written.values()),
            "written_by_type": dict(sorted(self.written.items())),
            "type_words": self.mapped,
            "duplicates_in_file": len(self.duplicates),
            "duplicate_rows": [{"row": r, "same_as": s} for r, s in self.duplicates],
            "already_imported": self.already_imported,
            "already_logged": self.already_logged,
        }

    def lines(self) -> list[str]:
        written = sum(self.written.values())
        kinds = ", ".join(f"{n} {t}" for t, n in sorted(self.written.items()))
        out = [f"{written} events written" + (f" ({kinds})" if kinds else "")]
        if self.mapped:
            words = ", ".join(f"{given!r} → {name}" for given, name in sorted(self.mapped.items()))
            out.append(f"event words read as: {words}")
        if self.duplicates:
            shown = ", ".join(f"row {r} = row {s}" for r, s in self.duplicates[:10])
            out.append(f"{len(self.duplicates)} rows repeat an earlier row (not written): {shown}")
        if self.already_imported:
            out.append(f"{self.already_imported} events were already imported (not written)")
        if self.already_logged:
            out.append(
                f"{self.already_logged} events were already in the log, recorded live (not written)"
            )
        out.append(
            "no positions: these lists were not served by this product; training weighs them "
            "as unbiased (propensity 1)"
        )
        return out


@dataclass(frozen=True, slots=True)
class _Event:
    row: int
    person: str
    posting: str
    type: InteractionType
    at: dt.datetime
    rating: int | None
    given: str

    @property
    def key(self) -> EventKey:
        return (self.person, self.posting, self.type.value, self.at.astimezone(dt.UTC).date())


def import_history(
    session: Session,
    records: Sequence[Record],
    *,
    source: str,
    now: dt.datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> HistoryReport:
    """Check every row, then append the new events in the caller's transaction; raises
    ImportRejected (and writes nothing) if any row is refused. `source`: what names the
    file in each row's origin (its digest)."""
    step = progress or (lambda phase, done, total: None)
    now = now or dt.datetime.now(dt.UTC)
    total = len(records)
    step("validating", 0, total)
    report = HistoryReport(rows=total)
    errors: list[RowError] = []
    events = [e for row, record in records if (e := _event(row, record, now, errors, report))]
    people = known_ids(session, EmployeeRow, {e.person for e in events})
    postings = known_ids(session, OpportunityRow, {e.posting for e in events})
    for event in events:
        if event.person not in people:
            errors.append(RowError(event.row, "employee_external_id", "unknown person"))
        if event.posting not in postings:
            errors.append(RowError(event.row, "opportunity_external_id", "unknown posting"))
    stored = stored_events(
        session,
        people=sorted({e.person for e in events}),
        types=sorted({e.type.value for e in events}),
    )
    first: dict[EventKey, _Event] = {}
    new: list[_Event] = []
    for event in events:
        earlier = first.get(event.key)
        before = stored.get(event.key)
        if earlier is not None:
            if earlier.rating != event.rating:
                errors.append(_rating_clash(event, f"row {earlier.row}", earlier.rating))
            else:
                report.duplicates.append((event.row, earlier.row))
            continue
        first[event.key] = event
        if before is not None:
            if before.rating != event.rating:
                where = "the log" if not before.imported else "an earlier import"
                errors.append(_rating_clash(event, where, before.rating))
            elif before.imported:
                report.already_imported += 1
            else:
                report.already_logged += 1
            continue
        new.append(event)
    if errors:
        raise ImportRejected(errors)
    step("storing", 0, total)
    add_imported_events(
        session,
        [
            {
                "employee_external_id": e.person,
                "opportunity_external_id": e.posting,
                "type": e.type.value,
                "rating": e.rating,
                "occurred_at": e.at,
                "details": {"source": IMPORT_SOURCE, "file": source, "row": e.row},
            }
            for e in new
        ],
    )
    report.written.update(e.type.value for e in new)
    step("stored", total, total)
    return report


def _event(
    row: int, record: Any, now: dt.datetime, errors: list[RowError], report: HistoryReport
) -> _Event | None:
    if not isinstance(record, dict):
        errors.append(RowError(row, "", "each record must be an object"))
        return None
    found = len(errors)
    for name in record:
        if name not in FIELDS:
            hint = " (a history has no served lists)" if name in ("position", "request_id") else ""
            errors.append(
                RowError(row, str(name), f"not a field of a history row{hint}: use {FIELDS}")
            )
    person = _text(row, record, "employee_external_id", errors)
    posting = _text(row, record, "opportunity_external_id", errors)
    given = _text(row, record, "type", errors)
    kind = _type(row, given, errors) if given is not None else None
    at = _when(row, record.get("occurred_at"), now, errors)
    rating = _rating(row, record.get("rating"), kind, errors)
    if len(errors) > found:
        return None
    assert person and posting and given and kind and at  # checked above
    if re.sub(r"[^a-z]", "", given.casefold()) != re.sub(r"[^a-z]", "", kind.value):
        report.mapped.setdefault(given, kind.value)
    return _Event(row, person, posting, kind, at, rating, given)


def _text(row: int, record: dict[str, Any], name: str, errors: list[RowError]) -> str | None:
    value = record.get(name)
    text = str(value).strip() if value is not None else ""
    if not text:
        errors.append(RowError(row, name, "missing"))
        return None
    if len(text) > 64:
        errors.append(RowError(row, name, "longer than 64 characters"))
        return None
    return text


def _type(row: int, given: str, errors: list[RowError]) -> InteractionType | None:
    kind = SYNONYMS.get(re.sub(r"[^a-z]", "", given.casefold()))
    if kind is None:
        names = ", ".join(t.value for t in HISTORY_TYPES)
        errors.append(
            RowError(
                row,
                "type",
                f"unknown event {given!r}: use one of {names} (or an export's word such as "
                "applied, shortlisted, interview, offered, offer accepted, hired, completed)",
            )
        )
    return kind


def _when(row: int, value: Any, now: dt.datetime, errors: list[RowError]) -> dt.datetime | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        errors.append(RowError(row, "occurred_at", "missing"))
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            at = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        else:
            at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # a time without a zone: UTC
    except ValueError:
        errors.append(RowError(row, "occurred_at", f"{text!r} is not a date: write YYYY-MM-DD"))
        return None
    if at > now:
        errors.append(RowError(row, "occurred_at", f"{text} is in the future"))
        return None
    if at.date() < EARLIEST:
        errors.append(RowError(row, "occurred_at", f"{text} is before {EARLIEST.year}"))
        return None
    return at


def _rating(
    row: int, value: Any, kind: InteractionType | None, errors: list[RowError]
) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        if kind is T.RATE:
            errors.append(RowError(row, "rating", "a rating event needs its rating (1 to 5)"))
        return None
    if (
        isinstance(value, bool)
        or not re.fullmatch(r"\d+(\.0+)?", text)
        or not 1 <= int(float(text)) <= 5
    ):
        errors.append(RowError(row, "rating", f"{text!r} is not a whole number from 1 to 5"))
        return None
    if kind is not None and kind not in RATED_TYPES:
        errors.append(
            RowError(row, "rating", f"only a completion carries a rating, not {kind.value!r}")
        )
        return None
    return int(float(text))


def _rating_clash(event: _Event, where: str, rating: int | None) -> RowError:
    said = f"rating {rating}" if rating is not None else "no rating"
    return RowError(
        event.row, "rating", f"the same event is in {where} with {said} (the log is append-only)"
    )
