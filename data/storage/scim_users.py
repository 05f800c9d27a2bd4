"""The SCIM names of people (table `scim_users`): which employees an HR system or identity
provider provisions, under which userName and its own id, with the SCIM attributes that the
profile has no column for. The profile itself is written by the import path
(data/storage/employees.py); this module never touches it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.orm import Session

from data.storage.queries import rows_in
from data.storage.tables import EmployeeRow, ScimGroupMemberRow, ScimGroupRow, ScimUserRow

# A profile field SCIM does not carry, or a person created without it: said plainly, and
# rendered by SCIM as unassigned (a title removed by SCIM reads back as removed).
NOT_PROVIDED = "Not provided"


def provisioned() -> Select[EmployeeRow, ScimUserRow]:
    """Every provisioned person with their SCIM name, in a stable order (for paging)."""
    return (
        select(EmployeeRow, ScimUserRow)
        .join(ScimUserRow, ScimUserRow.employee_id == EmployeeRow.id)
        .order_by(EmployeeRow.id)
    )


def find_provisioned(
    session: Session, where: ColumnElement[bool] | None, *, offset: int, limit: int
) -> tuple[int, list[tuple[EmployeeRow, ScimUserRow]]]:
    """(how many match, one page of them)."""
    query = provisioned() if where is None else provisioned().where(where)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if not limit:
        return total or 0, []
    page = session.execute(query.offset(offset).limit(limit))
    return total or 0, [(employee, link) for employee, link in page]


def provisioned_by_id(session: Session, external_id: str) -> tuple[EmployeeRow, ScimUserRow] | None:
    found = session.execute(provisioned().where(EmployeeRow.external_id == external_id)).first()
    return (found[0], found[1]) if found is not None else None


def link_of(session: Session, employee_id: int) -> ScimUserRow | None:
    return session.get(ScimUserRow, employee_id)


def user_name_holder(session: Session, user_name: str) -> int | None:
    """The employee row id holding this userName (compared casefolded), if any."""
    query = select(ScimUserRow.employee_id).where(ScimUserRow.user_name_key == user_name.casefold())
    return session.scalar(query)


def save_link(
    session: Session,
    employee: EmployeeRow,
    *,
    user_name: str,
    scim_external_id: str | None,
    attributes: dict[str, Any],
    now: dt.datetime,
) -> ScimUserRow:
    """Create or replace the person's SCIM name."""
    link = session.get(ScimUserRow, employee.id)
    if link is None:
        link = ScimUserRow(employee_id=employee.id, created_at=now)
        session.add(link)
    link.user_name, link.user_name_key = user_name, user_name.casefold()
    link.scim_external_id, link.attributes, link.updated_at = scim_external_id, attributes, now
    session.flush()
    return link


def unlink(session: Session, employee: EmployeeRow) -> None:
    """The provisioning system deleted the person: their SCIM name and group memberships go
    (the profile and its history stay, deactivated)."""
    session.execute(delete(ScimGroupMemberRow).where(ScimGroupMemberRow.employee_id == employee.id))
    session.execute(delete(ScimUserRow).where(ScimUserRow.employee_id == employee.id))
    session.flush()


def groups_of(session: Session, employee_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """Employee row id -> [(group id, group display name)] of the groups each belongs to."""
    query = (
        select(ScimGroupMemberRow.employee_id, ScimGroupRow.id, ScimGroupRow.display_name)
        .join(ScimGroupRow, ScimGroupRow.id == ScimGroupMemberRow.group_id)
        .order_by(ScimGroupRow.display_name_key)
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for employee_id, group_id, name in rows_in(
        session, query, ScimGroupMemberRow.employee_id, list(employee_ids)
    ):
        found.setdefault(employee_id, []).append((group_id, name))
    return found
