"""One posting as one person sees it: the posting in full, who leads it, its seats and state in
words, and what it is for them (skills held and missing, ways to close the gaps, saved or
dismissed, and their place in its pipeline)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from data.schemas import InteractionType, OpportunityStatus, Role
from data.storage.employees import get_employee
from data.storage.interactions import standing_reactions
from data.storage.pipeline import get_pair
from data.storage.tables import EmployeeRow, OpportunityRow
from matching.results import learning_for_page, skill_overlap
from serving.auth import Principal
from serving.presenters.opportunities import opportunity_document
from serving.presenters.pairs import pair_document
from serving.state import ServiceState

STATE_WORDS = {
    OpportunityStatus.OPEN.value: "Open",
    OpportunityStatus.FILLED.value: "Every seat is taken",
    OpportunityStatus.CLOSED.value: "Closed by its lead",
    OpportunityStatus.DRAFT.value: "A draft, not posted yet",
}


def opportunity_view(
    state: ServiceState,
    session: Session,
    user: Principal,
    employee: EmployeeRow,
    opportunity: OpportunityRow,
) -> dict[str, Any]:
    """The page `user` reads for `employee` (themself; an admin for anyone)."""
    owner = get_employee(session, opportunity.owner_external_id)
    own = opportunity.owner_external_id == employee.external_id
    taken = opportunity.seats_filled + state.matcher.history_acceptances(opportunity.id)
    full = taken >= opportunity.seats
    status = opportunity.status
    words = STATE_WORDS.get(status, status)
    if status == OpportunityStatus.OPEN.value and full:
        words = STATE_WORDS[OpportunityStatus.FILLED.value]
    saved = standing_reactions(session, employee.external_id, InteractionType.SAVE)
    dismissed = standing_reactions(session, employee.external_id, InteractionType.DISMISS)
    overlap = skill_overlap(employee, opportunity)
    matcher = state.matcher  # the courses and openings a match page of it would show
    learning = (
        []
        if own
        else learning_for_page(
            session, employee, [opportunity], held=matcher.read_model, catalog=matcher.courses
        )[0]
    )
    pair = get_pair(session, employee.external_id, opportunity.external_id)
    return {
        "opportunity": {**opportunity_document(opportunity), "seats_taken": taken},
        "lead": (
            {"external_id": owner.external_id, "name": owner.name, "title": owner.title}
            if owner is not None
            else None
        ),
        "seats_taken": taken,
        "state": words,
        "for_you": {
            "own": own,
            **overlap,
            "learning": learning,
            "saved": opportunity.external_id in saved,
            "dismissed": opportunity.external_id in dismissed,
            "pair": (
                pair_document(
                    state, session, user, pair, side=Role.EMPLOYEE, opportunity=opportunity
                )
                if pair is not None
                else None
            ),
        },
    }
