"""HR's search of the served-ranking log, and the names its tables show.

A query is words; a ranking matches when every word is found in its readable fields: request
id, kind, which list it was (a lead's candidates, an employee's matches), the day it was served,
the opportunity (id and title), and, for auditors only, the person (id and name) whose matches
it was or who was among the candidates. A word that names an opportunity or (for auditors) a
person also finds the rankings that listed them.

Whom a list was for, and who was in it, is item-level: without the `auditor` permission person
words find nothing and the answer says why, the way the table shows "(auditors only)".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from data.storage.audit_search import (
    ids_named,
    newest_rankings,
    opportunity_titles,
    person_names,
    rankings_listing,
)

SCAN = 5000  # newest rankings a search reads: older ones are found by request id
MAX_WORDS = 8
MAX_IDS_PER_WORD = 50  # people or postings a word may name before membership is not searched
PERSON_NOTE = (
    "Finding the rankings a person was served or listed in needs the auditor permission: "
    "this search looked at request ids, kinds, dates and opportunities only."
)
LIST_WORDS = {"employee": "an employee's matches", "opportunity": "a lead's candidates"}


@dataclass(frozen=True)
class Found:
    items: list[dict[str, Any]]
    note: str | None
    person_searched: bool = False  # an auditor looked a person up (logged like a read)


def words_of(query: str) -> list[str]:
    return [w for w in query.lower().split() if w][:MAX_WORDS]


def search_rankings(
    session: Session,
    *,
    query: str | None,
    auditor: bool,
    kind: str | None = None,
    direction: str | None = None,
    limit: int = 50,
) -> Found:
    """The newest rankings matching every word of `query` (all of them without one), named for
    the reader: opportunity titles for all HR, people's names for auditors."""
    words = words_of(query or "")
    note = None
    if len(words) == 1:
        # A whole request id (or its start) is found however old.
        rows = newest_rankings(
            session,
            kind=kind,
            direction=direction,
            request_prefix=(query or "").strip(),
            limit=limit,
        )
        if rows:
            return Found(_named_rows(session, rows, auditor), None)
    rows = newest_rankings(session, kind=kind, direction=direction, limit=SCAN if words else limit)
    person_words = False
    if words:
        rows, person_words = _matching(session, rows, words, auditor)
        if person_words and not auditor:
            note = PERSON_NOTE
    return Found(_named_rows(session, rows[:limit], auditor), note, auditor and person_words)


def _matching(
    session: Session, rows: list[Any], words: list[str], auditor: bool
) -> tuple[list[Any], bool]:
    """The rows every word finds, and whether a word named a person."""
    opportunities = opportunity_titles(
        session, [r.query_external_id for r in rows if r.direction == "opportunity"]
    )
    people = (
        person_names(session, [r.query_external_id for r in rows if r.direction == "employee"])
        if auditor
        else {}
    )
    since = min((r.seq for r in rows), default=0)
    text = {r.seq: _readable(r, opportunities, people, auditor) for r in rows}
    found: set[int] | None = None
    named_person = False
    for word in words:
        hits = {seq for seq, haystack in text.items() if word in haystack}
        postings = ids_named(session, "opportunities", word, limit=MAX_IDS_PER_WORD + 1)
        persons = ids_named(session, "people", word, limit=MAX_IDS_PER_WORD + 1)
        exact_person = any(p.lower() == word for p in persons)
        named_person |= exact_person or (auditor and bool(persons))
        listed = [*postings] + ([*persons] if auditor else [])
        if 0 < len(listed) <= MAX_IDS_PER_WORD:
            hits |= rankings_listing(session, since, listed) & set(text)
        found = hits if found is None else found & hits
        if not found:
            break
    kept = [r for r in rows if r.seq in (found or set())]
    # Plain HR is told why a person's id found nothing; an auditor's person search is logged.
    return kept, named_person and (auditor or not kept)


def _readable(
    row: Any, opportunities: dict[str, str], people: dict[str, str], auditor: bool
) -> str:
    served = row.served_at
    parts = [row.request_id, row.kind, LIST_WORDS.get(row.direction, row.direction)]
    parts.append(served.strftime("%Y-%m-%d") if isinstance(served, dt.datetime) else str(served))
    if row.direction == "opportunity":
        parts += [row.query_external_id, opportunities.get(row.query_external_id, "")]
    elif auditor:
        parts += [row.query_external_id, people.get(row.query_external_id, "")]
    return " ".join(parts).lower()


def _named_rows(session: Session, rows: list[Any], auditor: bool) -> list[dict[str, Any]]:
    opportunities = opportunity_titles(
        session, [r.query_external_id for r in rows if r.direction == "opportunity"]
    )
    people = (
        person_names(session, [r.query_external_id for r in rows if r.direction == "employee"])
        if auditor
        else {}
    )
    out = []
    for r in rows:
        shown = r.direction == "opportunity" or auditor
        out.append(
            {
                "seq": r.seq,
                "request_id": r.request_id,
                "served_at": r.served_at,
                "direction": r.direction,
                "kind": r.kind,
                "query_external_id": r.query_external_id if shown else None,
                "query_name": (
                    opportunities.get(r.query_external_id)
                    if r.direction == "opportunity"
                    else people.get(r.query_external_id)
                )
                if shown
                else None,
            }
        )
    return out
