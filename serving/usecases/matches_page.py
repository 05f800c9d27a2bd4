"""My matches: the ranked opportunities of one kind (serving/usecases/rankings.py), each marked
saved or not, and the invitations to that kind waiting for an answer (or lapsed lately)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from data.schemas import InteractionType, Role
from data.storage.interactions import standing_reactions
from data.storage.opportunities import get_opportunity
from data.storage.pipeline import invitations_of
from data.storage.tables import EmployeeRow
from matching.filters import MatchFilters
from serving.auth import Principal
from serving.presenters.pairs import pair_document
from serving.state import ServiceState
from serving.usecases.rankings import serve_matches

# How long a lapsed invitation stays on My matches, saying why, before only My applications
# keeps it (among the closed).
LAPSED_SHOWN = dt.timedelta(days=14)


def matches_page(
    state: ServiceState,
    session: Session,
    user: Principal,
    employee: EmployeeRow,
    *,
    kind: str,
    limit: int,
    request_id: str,
    filters: MatchFilters,
    offset: int,
    fresh_request_id: bool = False,
) -> dict[str, Any]:
    """The page `user` reads for `employee` (themself; an admin for anyone), its ranking filed
    in the audit log under the returned `request_id`."""
    body = serve_matches(
        state,
        session,
        user,
        employee,
        kind=kind,
        limit=limit,
        request_id=request_id,
        filters=filters,
        offset=offset,
        fresh_request_id=fresh_request_id,
    )
    external_id = employee.external_id
    saved = standing_reactions(session, external_id, InteractionType.SAVE)
    for item in body["items"]:
        item["saved"] = item["opportunity"]["external_id"] in saved
    lapsed_since = dt.datetime.now(dt.UTC) - LAPSED_SHOWN
    body["invitations"] = [
        pair_document(state, session, user, pair, side=Role.EMPLOYEE, opportunity=opportunity)
        for pair in invitations_of(session, external_id, lapsed_since=lapsed_since)
        if (opportunity := get_opportunity(session, pair.opportunity_external_id)) is not None
        and opportunity.kind == kind
    ]
    return body
