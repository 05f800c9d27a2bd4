"""What a lead's list of postings says beside each one: seats taken (one count, the one the
matching engine's 'every seat is taken' rule reads) and how many people applied (one count, the
one its board says: the people on the board who asked for it, whatever stage they reached)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from data.schemas import InteractionType
from data.storage.applicants import applicants
from data.storage.interactions import people_by_opportunity
from data.storage.people_search import names_of
from data.storage.tables import OpportunityRow
from serving.presenters.opportunities import opportunity_document

# The demo history records a lead taking someone on as an `accept` event (no pipeline row);
# the live workflow counts its assignments in `seats_filled`. The engine adds the two, so
# every count of seats shown to a person does too (a board said "0 of 2 seats taken" beside
# "every seat is taken (2 of 2)").
HISTORY_SEAT = (InteractionType.ACCEPT,)


def seats_taken(session: Session, rows: Sequence[OpportunityRow]) -> dict[str, int]:
    """Seats held on each posting, by external id, capped at its seats."""
    history = people_by_opportunity(session, [r.external_id for r in rows], HISTORY_SEAT)
    return {
        r.external_id: min(r.seats, (r.seats_filled or 0) + history.get(r.external_id, 0))
        for r in rows
    }


def posting_documents(session: Session, rows: Sequence[OpportunityRow]) -> list[dict[str, Any]]:
    """Each posting's document with its seats taken, its applicants and its owner's name
    (three queries for the page, not three per posting)."""
    taken = seats_taken(session, rows)
    asked = applicants(session, [r.external_id for r in rows])
    owners = names_of(session, [r.owner_external_id for r in rows])
    return [
        {
            **opportunity_document(r),
            "seats_taken": taken[r.external_id],
            "applicants": asked.get(r.external_id, 0),
            "owner_name": owners.get(r.owner_external_id),
        }
        for r in rows
    ]


def posting_document(session: Session, row: OpportunityRow) -> dict[str, Any]:
    """One posting's document with its seats taken."""
    taken = seats_taken(session, [row])
    return {**opportunity_document(row), "seats_taken": taken[row.external_id]}
