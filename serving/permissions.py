"""The checks of serving/access.py as FastAPI dependencies, for routes whose only input is the
path: the check runs before the handler, and the handler receives the record it checked.

A route that also takes a body or query parameters calls the function in serving/access.py
itself: FastAPI runs dependencies before it validates those, so a dependency would answer a
malformed request with 403/404 where the route answers 422 today.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from data.storage.tables import OpportunityRow
from serving.access import owned_opportunity
from serving.deps import CurrentUser, SessionDep


def _owned_opportunity(session: SessionDep, user: CurrentUser, external_id: str) -> OpportunityRow:
    return owned_opportunity(session, user, external_id)


# The opportunity named by the path's `external_id`, for its owning lead or an admin.
OwnedOpportunity = Annotated[OpportunityRow, Depends(_owned_opportunity)]
