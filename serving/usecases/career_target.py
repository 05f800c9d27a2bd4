"""A person's career target: a role posted here or an occupation, checked, then stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from data.schemas import OpportunityKind
from data.storage.employees import set_career_target
from data.storage.opportunities import get_opportunity
from data.storage.tables import EmployeeRow
from serving.errors import InvalidField
from serving.state import ServiceState


def choose_target(
    state: ServiceState,
    session: Session,
    employee: EmployeeRow,
    *,
    opportunity_external_id: str | None,
    occupation_id: str | None,
) -> None:
    """Store the target (both None clears it); 400 naming the field for a posting that is not
    a published role, or an occupation the taxonomy does not know."""
    if opportunity_external_id is not None:
        role = get_opportunity(session, opportunity_external_id)
        if role is None or role.status == "draft":
            raise InvalidField("opportunity_external_id", "no such role")
        if role.kind != OpportunityKind.ROLE.value:
            raise InvalidField(
                "opportunity_external_id", f"{role.external_id!r} is a {role.kind}, not a role"
            )
    if occupation_id is not None and occupation_id not in state.taxonomy.occupations:
        raise InvalidField(
            "occupation_id", "unknown occupation; GET /api/v1/occupations/normalize?q= finds it"
        )
    cleared = opportunity_external_id is None and occupation_id is None
    set_career_target(
        session,
        employee,
        opportunity_external_id=opportunity_external_id,
        occupation_id=occupation_id,
        set_at=None if cleared else dt.datetime.now(dt.UTC),
    )
