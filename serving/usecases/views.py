"""A person opens an opportunity from a list they were served: the view is logged.

Views are the evidence of taste a few weeks of logs hold most of (training/targets.py): people
open several items of a list for every one they apply to. A view changes no match and no
workflow; it is credited to the list it names (its request id) or else to the latest list
that showed the pair (training/labels.py), and it is personal data like any interaction
(exported, erased and kept as long as the interaction log).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from data.storage.employees import get_employee
from data.storage.interactions import ReactionRefused, record_view
from serving.access import visible_opportunity
from serving.auth import Principal
from serving.errors import Conflict, Forbidden, NotFound


def view_opportunity(
    session: Session,
    user: Principal,
    external_id: str,
    *,
    list_request_id: str | None,
    now: dt.datetime | None = None,
) -> bool:
    """Log that the caller opened the opportunity; False when this view was logged before."""
    if user.subject_external_id is None:
        raise Forbidden("only a person (employee or lead token) can view as themself")
    employee = get_employee(session, user.subject_external_id)
    if employee is None:
        raise NotFound("your profile is missing")
    opportunity = visible_opportunity(session, user, external_id)
    try:
        return record_view(
            session,
            employee=employee,
            opportunity=opportunity,
            list_request_id=list_request_id,
            now=now or dt.datetime.now(dt.UTC),
        )
    except ReactionRefused as refused:
        raise Conflict(str(refused)) from refused
