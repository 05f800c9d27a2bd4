"""Provisioning over SCIM 2.0: people and groups created, replaced, patched and deleted by
the HR system or identity provider, each write one transaction and one oversight event.

A User's profile goes through the import path (data/importing: validation, e-mail uniqueness,
occupation inference, then the index refresh after commit), exactly as an admin's import
would; the SCIM name and the attributes the profile has no column for are kept beside it
(data/storage/scim_users.py). A POST for someone already imported (same employeeNumber, or
same e-mail) links to that person instead of creating a second one. PATCH applies the
operations to the current User (scim2-models) and stores the result as a replacement would.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from scim2_models import Context, Group, PatchOp, Resource, SCIMException
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from data.importing import ImportRejected, import_employees
from data.storage.employees import email_owners, get_employee, profile_record
from data.storage.scim_groups import (
    all_groups,
    delete_group,
    find_groups,
    get_group,
    group_named,
    members_of,
    provisioned_row_ids,
    save_group,
)
from data.storage.scim_users import (
    find_provisioned,
    groups_of,
    link_of,
    provisioned,
    provisioned_by_id,
    save_link,
    unlink,
    user_name_holder,
)
from data.storage.tables import EmployeeRow, ScimGroupRow, ScimUserRow
from fairness.policy import log_event
from serving.auth import Principal
from serving.scim import search as filters
from serving.scim.discovery import MAX_RESULTS
from serving.scim.errors import ScimError, bad_request, conflict, not_found
from serving.scim.groups import group_document, group_input, parse_group
from serving.scim.names import Vocabulary, group_names, user_names
from serving.scim.users import (
    UserModel,
    as_bool,
    known_only,
    new_profile,
    parse_user,
    provisioned_from,
    scim_type_of,
    user_document,
    validation_words,
)
from serving.state import ServiceState
from serving.unit_of_work import after_commit
from serving.usecases.indexing import reindex
from serving.usecases.offboarding import deactivate, reactivate
from serving.usecases.serving_context import resolver_for

# SCIM attribute names of the import's fields, for errors that name what was sent.
SCIM_NAMES = {
    "name": "name",
    "email": "emails",
    "title": "title",
    "department": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "manager_external_id": "manager",
}


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    start: int  # 1-based
    resources: list[dict[str, Any]]


# -- Users ----------------------------------------------------------------------------------
def read_user(session: Session, external_id: str, *, base: str) -> dict[str, Any]:
    employee, link = _provisioned(session, external_id)
    return _user_view(session, employee, link, base)


def list_users(
    session: Session, *, filter_text: str | None, start: int, count: int, base: str
) -> Page:
    return _listed(
        session,
        filter_text,
        start,
        count,
        clause=filters.user_clause,
        page=lambda where, offset, limit: _user_views(
            session, find_provisioned(session, where, offset=offset, limit=limit)[1], base
        ),
        total=lambda where: find_provisioned(session, where, offset=0, limit=0)[0],
        everything=lambda: _user_views(
            session, [(e, link) for e, link in session.execute(provisioned())], base
        ),
        model=UserModel,
        vocabulary=user_names(),
    )


def create_user(
    state: ServiceState, session: Session, caller: Principal, payload: Any, *, base: str
) -> dict[str, Any]:
    wanted = provisioned_from(parse_user(known_only(payload)))
    if user_name_holder(session, wanted.user_name) is not None:
        raise conflict(f"userName {wanted.user_name!r} is taken by another User")
    existing = _adoptable(session, wanted.employee_number, wanted.profile["email"])
    attributes = wanted.attributes
    if existing is not None:
        # What the User leaves out keeps the imported value (a bare userName must not
        # rename an imported person).
        sent = {k: v for k, v in wanted.profile.items() if k in wanted.given}
        record = {**profile_record(existing), **sent}
        external_id = existing.external_id
        # An imported person's id is the HR system's employee number.
        attributes = {**attributes, "employeeNumber": external_id}
    else:
        external_id = wanted.employee_number or _new_external_id(session)
        record = new_profile(external_id, wanted.profile)
    employee = _store(state, session, caller, record)
    save_link(
        session,
        employee,
        user_name=wanted.user_name,
        scim_external_id=wanted.scim_external_id,
        attributes=attributes,
        now=dt.datetime.now(dt.UTC),
    )
    outcome = _apply_active(state, session, caller, employee, wanted.active)
    _audit(
        session,
        caller,
        "scim_user_link" if existing is not None else "scim_user_create",
        {"id": external_id, "active": bool(employee.active), **outcome},
    )
    return read_user(session, external_id, base=base)


def replace_user(
    state: ServiceState,
    session: Session,
    caller: Principal,
    external_id: str,
    payload: Any,
    *,
    base: str,
    if_match: str | None,
    action: str = "scim_user_replace",
) -> dict[str, Any]:
    employee, link = _provisioned(session, external_id)
    _check_version(_user_view(session, employee, link, base), if_match)
    wanted = provisioned_from(parse_user(known_only(payload)))
    attributes = _with_employee_number(session, employee, wanted.employee_number)
    attributes = {**wanted.attributes, **attributes}
    holder = user_name_holder(session, wanted.user_name)
    if holder is not None and holder != employee.id:
        raise conflict(f"userName {wanted.user_name!r} is taken by another User")
    before = profile_record(employee)
    employee = _store(state, session, caller, {**before, **wanted.profile})
    save_link(
        session,
        employee,
        user_name=wanted.user_name,
        scim_external_id=wanted.scim_external_id,
        attributes=attributes,
        now=dt.datetime.now(dt.UTC),
    )
    outcome = _apply_active(state, session, caller, employee, wanted.active)
    changed = sorted(SCIM_NAMES[k] for k, v in wanted.profile.items() if before.get(k) != v)
    _audit(
        session,
        caller,
        action,
        {"id": external_id, "changed": changed, "active": bool(employee.active), **outcome},
    )
    return read_user(session, external_id, base=base)


def patch_user(
    state: ServiceState,
    session: Session,
    caller: Principal,
    external_id: str,
    payload: Any,
    *,
    base: str,
    if_match: str | None,
) -> dict[str, Any]:
    employee, link = _provisioned(session, external_id)
    current = _user_view(session, employee, link, base)
    _check_version(current, if_match)
    patched = _patched(UserModel, current, _entra_booleans(_qualified_paths(payload)))
    return replace_user(
        state,
        session,
        caller,
        external_id,
        patched,
        base=base,
        if_match=None,
        action="scim_user_patch",
    )


def delete_user(
    state: ServiceState,
    session: Session,
    caller: Principal,
    external_id: str,
    *,
    base: str,
    if_match: str | None,
) -> None:
    """The provisioning system is done with this person: deactivated (history kept), their
    SCIM name and group memberships removed; a later POST with their employeeNumber or
    e-mail links the same person again."""
    employee, link = _provisioned(session, external_id)
    _check_version(_user_view(session, employee, link, base), if_match)
    outcome = deactivate(state, session, caller, employee)
    unlink(session, employee)
    _audit(session, caller, "scim_user_delete", {"id": external_id, **outcome})


def _with_employee_number(
    session: Session, employee: EmployeeRow, wanted: str | None
) -> dict[str, Any]:
    """The first employeeNumber a person is provisioned with is their id here (and their SCIM
    id), for good: ids are what pipelines and the log refer to. A later value is kept as the
    SCIM attribute the HR system sent, never renaming the person; one that is another
    person's id is refused (a manager reference would become ambiguous)."""
    if wanted is None:
        return {}
    other = get_employee(session, wanted)
    if other is not None and other.id != employee.id:
        raise conflict(f"employeeNumber {wanted!r} is another person's id")
    return {"employeeNumber": wanted}


def _provisioned(session: Session, external_id: str) -> tuple[EmployeeRow, ScimUserRow]:
    found = provisioned_by_id(session, external_id)
    if found is None:
        raise not_found(f"no User with id {external_id!r}")
    return found


def _user_view(
    session: Session, employee: EmployeeRow, link: ScimUserRow, base: str
) -> dict[str, Any]:
    return _user_views(session, [(employee, link)], base)[0]


def _user_views(
    session: Session, rows: list[tuple[EmployeeRow, ScimUserRow]], base: str
) -> list[dict[str, Any]]:
    """The Users, with their groups and, for a manager who is a User too, the manager's
    `$ref` (one imported but never provisioned has no SCIM resource to point to)."""
    groups = groups_of(session, [e.id for e, _ in rows])
    managers = [e.manager_external_id for e, _ in rows if e.manager_external_id]
    users = set(provisioned_row_ids(session, managers)) if managers else set()
    return [
        user_document(
            employee,
            link,
            base=base,
            groups=groups.get(employee.id, []),
            manager_is_user=employee.manager_external_id in users,
        )
        for employee, link in rows
    ]


def _adoptable(session: Session, number: str | None, email: str | None) -> EmployeeRow | None:
    """The imported person this POST describes: by employeeNumber, else by e-mail. One
    already provisioned is a conflict (RFC 7644: 409 uniqueness)."""
    found = get_employee(session, number) if number else None
    if found is None and email:
        owner = email_owners(session, [email]).get(email.casefold())
        found = get_employee(session, owner) if owner else None
        if found is not None and number and found.external_id != number:
            raise conflict(f"another person ({found.external_id}) already has this e-mail address")
    if found is not None and link_of(session, found.id) is not None:
        raise conflict(f"a User for this person exists already: id {found.external_id!r}")
    return found


def _new_external_id(session: Session) -> str:
    while True:
        candidate = f"P{secrets.token_hex(5).upper()}"
        if get_employee(session, candidate) is None:
            return candidate


def _store(
    state: ServiceState, session: Session, caller: Principal, record: dict[str, Any]
) -> EmployeeRow:
    """Write the profile through the import path; its refusals become SCIM errors."""
    record.pop("demographics", None)  # never from SCIM
    try:
        import_employees(session, [(1, record)], resolver_for(state, caller))
    except ImportRejected as rejected:
        first = rejected.errors[0]
        field = first.field.split(".")[0]
        name = SCIM_NAMES.get(field, field or "body")
        if field == "email" and "already" in first.message:
            raise conflict(f"emails: {first.message}") from None
        raise bad_request(f"{name}: {first.message}") from None
    employee = get_employee(session, record["external_id"])
    assert employee is not None  # stored just now
    session.refresh(employee)
    external_id = employee.external_id
    after_commit(session, lambda: reindex(state, employees=[external_id]))
    return employee


def _apply_active(
    state: ServiceState, session: Session, caller: Principal, employee: EmployeeRow, active: bool
) -> dict[str, Any]:
    if active and not employee.active:
        reactivate(state, session, employee)
        session.refresh(employee)
        return {"reactivated": True}
    if not active and employee.active:
        outcome = deactivate(state, session, caller, employee)
        session.refresh(employee)
        return {"deactivated": True, **outcome}
    return {}


# -- Groups ---------------------------------------------------------------------------------
def read_group(session: Session, group_id: str, *, base: str) -> dict[str, Any]:
    return _group_view(session, _group(session, group_id), base)


def list_groups(
    session: Session, *, filter_text: str | None, start: int, count: int, base: str
) -> Page:
    def views(groups: list[ScimGroupRow]) -> list[dict[str, Any]]:
        members = members_of(session, [g.id for g in groups])
        return [group_document(g, members[g.id], base=base) for g in groups]

    return _listed(
        session,
        filter_text,
        start,
        count,
        clause=filters.group_clause,
        page=lambda where, offset, limit: views(
            find_groups(session, where, offset=offset, limit=limit)[1]
        ),
        total=lambda where: find_groups(session, where, offset=0, limit=0)[0],
        everything=lambda: views(all_groups(session)),
        model=Group,
        vocabulary=group_names(),
    )


def create_group(session: Session, caller: Principal, payload: Any, *, base: str) -> dict[str, Any]:
    wanted = group_input(parse_group(payload))
    if group_named(session, wanted.display_name) is not None:
        raise conflict(f"a Group named {wanted.display_name!r} exists already")
    group = save_group(
        session,
        None,
        display_name=wanted.display_name,
        scim_external_id=wanted.scim_external_id,
        member_ids=_member_rows(session, wanted.member_ids),
        now=dt.datetime.now(dt.UTC),
    )
    _audit(
        session,
        caller,
        "scim_group_create",
        {"id": group.id, "name": group.display_name, "members": len(wanted.member_ids)},
    )
    return _group_view(session, group, base)


def replace_group(
    session: Session,
    caller: Principal,
    group_id: str,
    payload: Any,
    *,
    base: str,
    if_match: str | None,
    action: str = "scim_group_replace",
) -> dict[str, Any]:
    group = _group(session, group_id)
    _check_version(_group_view(session, group, base), if_match)
    wanted = group_input(parse_group(payload))
    named = group_named(session, wanted.display_name)
    if named is not None and named.id != group.id:
        raise conflict(f"a Group named {wanted.display_name!r} exists already")
    before = {m for m, _ in members_of(session, [group.id])[group.id]}
    group = save_group(
        session,
        group,
        display_name=wanted.display_name,
        scim_external_id=wanted.scim_external_id,
        member_ids=_member_rows(session, wanted.member_ids),
        now=dt.datetime.now(dt.UTC),
    )
    after = set(wanted.member_ids)
    _audit(
        session,
        caller,
        action,
        {
            "id": group.id,
            "name": group.display_name,
            "added": sorted(after - before),
            "removed": sorted(before - after),
        },
    )
    return _group_view(session, group, base)


def patch_group(
    session: Session,
    caller: Principal,
    group_id: str,
    payload: Any,
    *,
    base: str,
    if_match: str | None,
) -> dict[str, Any]:
    group = _group(session, group_id)
    current = _group_view(session, group, base)
    _check_version(current, if_match)
    patched = _patched(Group, current, payload)
    return replace_group(
        session, caller, group_id, patched, base=base, if_match=None, action="scim_group_patch"
    )


def remove_group(
    session: Session, caller: Principal, group_id: str, *, base: str, if_match: str | None
) -> None:
    group = _group(session, group_id)
    _check_version(_group_view(session, group, base), if_match)
    name = group.display_name
    delete_group(session, group)
    _audit(session, caller, "scim_group_delete", {"id": group_id, "name": name})


def _group(session: Session, group_id: str) -> ScimGroupRow:
    group = get_group(session, group_id)
    if group is None:
        raise not_found(f"no Group with id {group_id!r}")
    return group


def _group_view(session: Session, group: ScimGroupRow, base: str) -> dict[str, Any]:
    return group_document(group, members_of(session, [group.id])[group.id], base=base)


def _member_rows(session: Session, member_ids: list[str]) -> list[int]:
    rows = provisioned_row_ids(session, member_ids)
    unknown = [m for m in member_ids if m not in rows]
    if unknown:
        raise bad_request(f"members: no User with id {unknown[0]!r}")
    return [rows[m] for m in member_ids]


# -- shared ---------------------------------------------------------------------------------
def _listed(
    session: Session,
    filter_text: str | None,
    start: int,
    count: int,
    *,
    clause: Callable[[Any], ColumnElement[bool]],
    page: Callable[[ColumnElement[bool] | None, int, int], list[dict[str, Any]]],
    total: Callable[[ColumnElement[bool] | None], int],
    everything: Callable[[], list[dict[str, Any]]],
    model: type[Resource[Any]],
    vocabulary: Vocabulary,
) -> Page:
    """One page of a filtered list: in SQL where the filter's attributes have columns, on the
    rendered documents otherwise (RFC 7644 §3.4.2.4: startIndex is 1-based)."""
    start = max(start, 1)
    count = max(min(count, MAX_RESULTS), 0)
    where = None
    if filter_text:
        node = filters.parse(filter_text, vocabulary)
        try:
            where = clause(node)
        except filters.NeedsDocuments:
            bound = filters.bound(node, model)
            kept = [d for d in everything() if filters.matches(bound, model, d)]
            return Page(len(kept), start, kept[start - 1 : start - 1 + count])
    return Page(total(where), start, page(where, start - 1, count))


def _patched(model: type[Resource[Any]], current: dict[str, Any], payload: Any) -> dict[str, Any]:
    """The resource after the PATCH operations (RFC 7644 §3.5.2), all or nothing."""
    resource = model.model_validate({k: v for k, v in current.items() if k != "meta"})
    try:
        # Parametrised by the resource type read at run time: mypy wants a static type there.
        patch = PatchOp[model].model_validate(  # type: ignore[valid-type]
            payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        patch.patch(resource)
    except ValidationError as invalid:
        raise bad_request(validation_words(invalid), scim_type_of(invalid)) from None
    except SCIMException as refused:
        raise ScimError(refused.status, refused.detail, refused.scim_type or None) from None
    except (ValueError, TypeError, KeyError) as refused:
        raise bad_request(f"PATCH: {refused}") from None
    return resource.model_dump(mode="json")


def _qualified_paths(payload: Any) -> Any:
    """An operation's path naming an enterprise attribute by its short name
    (`employeeNumber`, `manager.value`) gets the extension's URN, which scim2-models needs."""
    if not isinstance(payload, dict) or not isinstance(payload.get("Operations"), list):
        return payload
    for operation in payload["Operations"]:
        if isinstance(operation, dict) and isinstance(operation.get("path"), str):
            operation["path"] = user_names().qualified(operation["path"])
    return payload


def _entra_booleans(payload: Any) -> Any:
    """Entra ID sends `active` as the text "True"/"False" in PATCH operations."""
    if not isinstance(payload, dict) or not isinstance(payload.get("Operations"), list):
        return payload
    for operation in payload["Operations"]:
        if not isinstance(operation, dict):
            continue
        path, value = str(operation.get("path") or ""), operation.get("value")
        if path.lower() == "active" and isinstance(value, str):
            operation["value"] = as_bool(value, "active")
        elif not path and isinstance(value, dict):
            for key in [k for k in value if k.lower() == "active"]:
                if isinstance(value[key], str):
                    value[key] = as_bool(value[key], "active")
    return payload


def _check_version(current: dict[str, Any], if_match: str | None) -> None:
    """If-Match (RFC 7644 §3.14): a write naming another version than the stored one is
    refused instead of overwriting a change the client has not seen."""
    if if_match is None or if_match.strip() == "*":
        return
    wanted = {tag.strip() for tag in if_match.split(",")}
    version = current["meta"]["version"]
    if version not in wanted and version.removeprefix("W/") not in wanted:
        raise ScimError(412, f"the resource is at version {version}; read it again")


def _audit(session: Session, caller: Principal, action: str, details: dict[str, Any]) -> None:
    log_event(
        session,
        actor_role=caller.role.value,
        actor=caller.actor,
        action=action,
        reason="SCIM provisioning",
        details=details,
    )
