"""Groups provisioned by SCIM (tables `scim_groups`, `scim_group_members`): a name and the
people in it, stored and served back to the provisioning system. They grant no role: roles
come from the groups claim of the ID token at single sign-on (TALENT_SSO_*_GROUPS,
serving/sso/people.py), never from these tables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from data.storage.queries import rows_in
from data.storage.tables import EmployeeRow, ScimGroupMemberRow, ScimGroupRow, ScimUserRow


def find_groups(
    session: Session, where: ColumnElement[bool] | None, *, offset: int, limit: int
) -> tuple[int, list[ScimGroupRow]]:
    """(how many match, one page of them, oldest first)."""
    query = select(ScimGroupRow).order_by(ScimGroupRow.created_at, ScimGroupRow.id)
    if where is not None:
        query = query.where(where)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = list(session.scalars(query.offset(offset).limit(limit))) if limit else []
    return total or 0, page


def all_groups(session: Session) -> list[ScimGroupRow]:
    return list(session.scalars(select(ScimGroupRow).order_by(ScimGroupRow.created_at)))


def get_group(session: Session, group_id: str) -> ScimGroupRow | None:
    return session.get(ScimGroupRow, group_id)


def group_named(session: Session, display_name: str) -> ScimGroupRow | None:
    key = display_name.casefold()
    return session.scalar(select(ScimGroupRow).where(ScimGroupRow.display_name_key == key))


def save_group(
    session: Session,
    group: ScimGroupRow | None,
    *,
    display_name: str,
    scim_external_id: str | None,
    member_ids: Sequence[int],
    now: dt.datetime,
) -> ScimGroupRow:
    """Create (group None) or replace a group: its name and its whole member list."""
    if group is None:
        group = ScimGroupRow(id=str(uuid.uuid4()), created_at=now, version=0)
        session.add(group)
    group.display_name, group.display_name_key = display_name, display_name.casefold()
    group.scim_external_id, group.updated_at = scim_external_id, now
    group.version = (group.version or 0) + 1
    session.flush()
    session.execute(delete(ScimGroupMemberRow).where(ScimGroupMemberRow.group_id == group.id))
    session.add_all(
        ScimGroupMemberRow(group_id=group.id, employee_id=employee_id)
        for employee_id in dict.fromkeys(member_ids)
    )
    session.flush()
    return group


def delete_group(session: Session, group: ScimGroupRow) -> None:
    session.execute(delete(ScimGroupMemberRow).where(ScimGroupMemberRow.group_id == group.id))
    session.delete(group)
    session.flush()


def members_of(session: Session, group_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """Group id -> [(member's SCIM id, display name)]: provisioned people only."""
    query = (
        select(ScimGroupMemberRow.group_id, EmployeeRow.external_id, EmployeeRow.name)
        .join(EmployeeRow, EmployeeRow.id == ScimGroupMemberRow.employee_id)
        .join(ScimUserRow, ScimUserRow.employee_id == EmployeeRow.id)
        .order_by(EmployeeRow.id)
    )
    found: dict[str, list[tuple[str, str]]] = {g: [] for g in group_ids}
    for group_id, external_id, name in rows_in(
        session, query, ScimGroupMemberRow.group_id, list(group_ids)
    ):
        found[group_id].append((external_id, name))
    return found


def provisioned_row_ids(session: Session, external_ids: Sequence[str]) -> dict[str, int]:
    """SCIM id (the external id) -> employee row id, for provisioned people only."""
    query = select(EmployeeRow.external_id, EmployeeRow.id).join(
        ScimUserRow, ScimUserRow.employee_id == EmployeeRow.id
    )
    return dict(rows_in(session, query, EmployeeRow.external_id, list(external_ids)))


def group_names_of(session: Session, employee_external_id: str) -> list[str]:
    """The names of the groups a person is in (for mapping groups to roles at sign-in); none
    for a deactivated person."""
    query = (
        select(ScimGroupRow.display_name)
        .join(ScimGroupMemberRow, ScimGroupMemberRow.group_id == ScimGroupRow.id)
        .join(EmployeeRow, EmployeeRow.id == ScimGroupMemberRow.employee_id)
        .where(EmployeeRow.external_id == employee_external_id, EmployeeRow.active.is_(True))
        .order_by(ScimGroupRow.display_name_key)
    )
    return list(session.scalars(query))
