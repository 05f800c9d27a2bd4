"""Who may know that a record exists, and who may act on it: the checks routes and use cases
share (serving/permissions.py offers them to routes as FastAPI dependencies)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from data.schemas import OpportunityStatus, Role
from data.storage.employees import get_employee
from data.storage.opportunities import get_opportunity
from data.storage.pipeline import pairs_of_opportunity
from data.storage.tables import EmployeeRow, OpportunityRow
from serving.auth import Principal
from serving.errors import Forbidden, NotFound


def visible_opportunity(session: Session, user: Principal, external_id: str) -> OpportunityRow:
    """The opportunity, if this caller may know it exists: a draft is its lead's and the
    admins' alone (everyone else gets the same 404 as for an id that was never used, on every
    route, reactions included)."""
    row = get_opportunity(session, external_id)
    if row is None or (
        row.status == OpportunityStatus.DRAFT.value
        and not (
            user.role is Role.ADMIN
            or user.is_self(row.owner_external_id)
            or _asked_to_approve(session, user, row)
        )
    ):
        raise NotFound(f"no opportunity {external_id!r}")
    return row


OWNER_OR_ADMIN = "only the lead who owns this opportunity or an admin may do this"


def is_owner_or_admin(user: Principal, opportunity: OpportunityRow) -> bool:
    """The lead who owns the posting, or an admin (another lead, HR or the candidates: no)."""
    return user.role is Role.ADMIN or (
        user.role is Role.LEAD and user.is_self(opportunity.owner_external_id)
    )


def require_owner_or_admin(
    user: Principal, opportunity: OpportunityRow, *, refusal: str = OWNER_OR_ADMIN
) -> None:
    """403 with `refusal` unless the caller is the owning lead or an admin."""
    if not is_owner_or_admin(user, opportunity):
        raise Forbidden(refusal)


def owned_opportunity(session: Session, user: Principal, external_id: str) -> OpportunityRow:
    """The opportunity for its owning lead or an admin: 404 for whoever may not know it exists
    (`visible_opportunity`), 403 for anyone else who may read it but not act on it."""
    row = visible_opportunity(session, user, external_id)
    require_owner_or_admin(user, row)
    return row


def _asked_to_approve(session: Session, user: Principal, row: OpportunityRow) -> bool:
    """A manager asked to approve someone's place on a posting may read it (an approval links
    to the gig), even once its lead turned it back into a draft."""
    me = user.subject_external_id
    return me is not None and any(
        p.approver_external_id == me for p in pairs_of_opportunity(session, row.external_id)
    )


SELF_OR_ADMIN = "only the employee themself or an admin may do this"
SELF_HR_OR_ADMIN = "only the employee themself, HR or an admin may do this"


def is_self_or(user: Principal, external_id: str, *roles: Role) -> bool:
    """The person acting on their own record, or a caller in one of `roles`."""
    return user.is_self(external_id) or user.role in roles


def require_self_or(
    user: Principal, external_id: str, *roles: Role, refusal: str | None = None
) -> None:
    """403 unless the caller is the person named or in one of `roles`: with `refusal`, or
    without one the words of `Principal.require` (the roles that may)."""
    if is_self_or(user, external_id, *roles):
        return
    if refusal is not None:
        raise Forbidden(refusal)
    user.require(*roles)  # refuses: the caller holds none of `roles`


def own_profile(
    session: Session, user: Principal, external_id: str, *, refusal: str
) -> EmployeeRow:
    """The person's own record, for the person or an admin; anyone else gets `refusal` (403)."""
    require_self_or(user, external_id, Role.ADMIN, refusal=refusal)
    employee = get_employee(session, external_id)
    if employee is None:
        raise NotFound(f"no employee {external_id!r}")
    return employee
