"""A person as a SCIM User (core schema + enterprise extension) and back: what the HR system
or identity provider sends becomes an import record (data contract v1) for the profile and the
SCIM attributes the profile has no column for; a stored person renders as the User it sent.

Only the attributes published in serving/scim/discovery.py are read: anything else an IdP
sends (protected attributes such as gender among them, custom extensions) is ignored, so it
never reaches a profile, a feature or a log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from scim2_models import EnterpriseUser, User

from data.schemas import EXTERNAL_ID_PATTERN
from data.storage.scim_users import NOT_PROVIDED
from data.storage.tables import EmployeeRow, ScimUserRow
from serving.scim.discovery import (
    CORE_USER,
    ENTERPRISE_ATTRIBUTES,
    ENTERPRISE_USER,
    USER_ATTRIBUTES,
)
from serving.scim.errors import bad_request

UserModel = User[EnterpriseUser]
NEW_PERSON_LEVEL = 1  # the job level of someone SCIM creates, until HR's import sets it
COMMON = {"schemas", "id", "externalId", "meta"}
_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)


@dataclass(frozen=True, slots=True)
class Provisioned:
    """What one SCIM User asks for: the profile fields it sets and its SCIM name."""

    user_name: str
    scim_external_id: str | None
    active: bool
    employee_number: str | None
    profile: dict[str, Any]  # name, email, title, department, manager_external_id
    given: frozenset[str]  # the profile fields the User itself carried
    attributes: dict[str, Any]  # name parts, displayName, emails as sent


def known_only(payload: Any) -> dict[str, Any]:
    """The payload's published attributes (matched case-insensitively, as SCIM names are);
    the rest is dropped unread. Entra ID's habits are accepted: a manager sent as a bare id, a
    boolean sent as the text "True"/"False"."""
    if not isinstance(payload, dict):
        raise bad_request("the body must be a JSON object (a SCIM User)", "invalidSyntax")
    wanted = {name.lower(): name for name in (*COMMON, *USER_ATTRIBUTES)}
    kept: dict[str, Any] = {}
    for key, value in payload.items():
        if key.lower() in wanted:
            kept[wanted[key.lower()]] = value
        elif key.lower() == ENTERPRISE_USER.lower() and isinstance(value, dict):
            kept[ENTERPRISE_USER] = _enterprise_only(value)
    kept.pop("groups", None)  # read-only: membership is changed through /Groups
    if kept.get("active", False) is None:
        kept.pop("active")  # null is unassigned (RFC 7643 §2.5): an active person
    if "active" in kept:
        kept["active"] = as_bool(kept["active"], "active")
    schemas = [CORE_USER] + ([ENTERPRISE_USER] if ENTERPRISE_USER in kept else [])
    kept["schemas"] = schemas
    return kept


def _enterprise_only(value: dict[str, Any]) -> dict[str, Any]:
    wanted = {name.lower(): name for name in ENTERPRISE_ATTRIBUTES}
    kept = {wanted[k.lower()]: v for k, v in value.items() if k.lower() in wanted}
    manager = kept.get("manager")
    if isinstance(manager, str):
        kept["manager"] = {"value": manager} if manager else None
    elif isinstance(manager, dict):
        kept["manager"] = {k: v for k, v in manager.items() if k in ("value", "$ref")} or None
    return kept


def as_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise bad_request(f"{field} must be true or false")


def parse_user(payload: dict[str, Any]) -> UserModel:
    try:
        return UserModel.model_validate(payload)
    except ValidationError as invalid:
        raise bad_request(validation_words(invalid)) from None


def scim_type_of(invalid: ValidationError, default: str = "invalidValue") -> str:
    """The scimType scim2-models gave the first problem (mutability, invalidValue...)."""
    for error in invalid.errors():
        found = (error.get("ctx") or {}).get("scim_type")
        if found:
            return str(found)
    return default


def validation_words(invalid: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}"
        for error in invalid.errors()[:5]
    ]
    return "; ".join(problems)


def provisioned_from(user: UserModel) -> Provisioned:
    """Check what the profile needs and split it into profile fields and SCIM attributes."""
    if not user.user_name or not user.user_name.strip():
        raise bad_request("userName is required", "invalidValue")
    user_name = user.user_name.strip()
    if len(user_name) > 254:
        raise bad_request("userName is longer than 254 characters")
    enterprise = user[EnterpriseUser]
    number = enterprise.employee_number if enterprise is not None else None
    if number is not None and not _EXTERNAL_ID.match(number):
        raise bad_request(
            "employeeNumber must be 1-64 letters, digits and . _ : - (starting with a letter or "
            "digit): it is the person's id in this service"
        )
    manager = enterprise.manager.value if enterprise is not None and enterprise.manager else None
    if manager is not None and not _EXTERNAL_ID.match(manager):
        raise bad_request("manager.value must be the manager's id (their employeeNumber)")
    emails = [e.model_dump(mode="json", exclude_none=True) for e in user.emails or []]
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    name = user.name.model_dump(mode="json", exclude_none=True) if user.name else None
    attributes: dict[str, Any] = {}
    if name:
        attributes["name"] = name
    if user.display_name:
        attributes["displayName"] = user.display_name
    if emails:
        attributes["emails"] = emails
    if number is not None:
        attributes["employeeNumber"] = number
    return Provisioned(
        user_name=user_name,
        scim_external_id=user.external_id,
        active=True if user.active is None else bool(user.active),
        employee_number=number,
        profile={
            "name": _full_name(attributes, user_name),
            "email": primary.get("value") if primary else None,
            "title": user.title or NOT_PROVIDED,
            "department": (enterprise.department if enterprise else None) or NOT_PROVIDED,
            "manager_external_id": manager,
        },
        given=frozenset(
            field
            for field, sent in (
                ("name", name or user.display_name),
                ("email", emails),
                ("title", user.title),
                ("department", enterprise is not None and enterprise.department),
                ("manager_external_id", manager),
            )
            if sent
        ),
        attributes=attributes,
    )


def _full_name(attributes: dict[str, Any], user_name: str) -> str:
    """The profile's one name: the formatted name, else given and family names, else the
    display name, else the userName."""
    name = attributes.get("name") or {}
    parts = " ".join(p for p in (name.get("givenName"), name.get("familyName")) if p)
    chosen = name.get("formatted") or parts or attributes.get("displayName") or user_name
    return chosen.strip()[:200] or user_name[:200]


def new_profile(external_id: str, profile: dict[str, Any]) -> dict[str, Any]:
    """The import record of a person SCIM creates: the fields it does not carry start plain."""
    return {
        "external_id": external_id,
        "level": NEW_PERSON_LEVEL,
        "location": NOT_PROVIDED,
        "timezone": "UTC",
        **profile,
    }


def user_document(
    employee: EmployeeRow,
    link: ScimUserRow,
    *,
    base: str,
    groups: list[tuple[str, str]],
    manager_is_user: bool,
) -> dict[str, Any]:
    """The person as a SCIM User. The profile is the truth for what it holds (an import may
    have changed the name, e-mail or title since SCIM sent them). The manager's `value` is
    their id here (their employee number); `$ref` only when they are a User themselves, as
    RFC 7643 §4.3 makes it the URI of the manager's SCIM resource."""
    attributes = dict(link.attributes or {})
    document: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "id": employee.external_id,
        "userName": link.user_name,
    }
    if link.scim_external_id is not None:
        document["externalId"] = link.scim_external_id
    name = attributes.get("name")
    if _full_name(attributes, link.user_name) != employee.name:
        name = {**(name or {}), "formatted": employee.name}
    if name:
        document["name"] = name
    if attributes.get("displayName"):
        document["displayName"] = attributes["displayName"]
    if employee.title and employee.title != NOT_PROVIDED:
        document["title"] = employee.title
    document["active"] = bool(employee.active)
    emails = attributes.get("emails") or []
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    if (primary.get("value") if primary else None) != employee.email:
        emails = (
            [{"value": employee.email, "type": "work", "primary": True}] if employee.email else []
        )
    if emails:
        document["emails"] = emails
    if groups:
        document["groups"] = [
            {"value": group_id, "$ref": f"{base}/Groups/{group_id}", "display": name}
            for group_id, name in groups
        ]
    enterprise: dict[str, Any] = {}
    if attributes.get("employeeNumber"):
        enterprise["employeeNumber"] = attributes["employeeNumber"]
    if employee.department and employee.department != NOT_PROVIDED:
        enterprise["department"] = employee.department
    if employee.manager_external_id:
        enterprise["manager"] = {"value": employee.manager_external_id}
        if manager_is_user:
            enterprise["manager"]["$ref"] = f"{base}/Users/{employee.manager_external_id}"
    if enterprise:
        document[ENTERPRISE_USER] = enterprise
    else:
        document["schemas"] = [CORE_USER]
    document["meta"] = {
        "resourceType": "User",
        "created": _iso(link.created_at),
        "lastModified": _iso(max(_aware(link.updated_at), _aware(employee.updated_at))),
        "location": f"{base}/Users/{employee.external_id}",
        "version": weak_etag(document),
    }
    return document


def weak_etag(document: dict[str, Any]) -> str:
    """A version that moves whenever what the resource says moves (its meta aside)."""
    body = {k: v for k, v in document.items() if k != "meta"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f'W/"{digest[:16]}"'


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back without their zone: they were stored in UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _iso(value: dt.datetime) -> str:
    return _aware(value).isoformat().replace("+00:00", "Z")
