"""Who an ID token names, and what their groups make them.

The configured claim (e-mail by default) is compared with the employee's e-mail (case-folded,
as stored for uniqueness) or external id. Every matched employee is an employee; groups raise
the role to lead, HR or admin (the highest one wins: one session has one role) and may add the
auditor permission. A manager stays derived from the data (people naming them as manager), as
for a token sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from data.schemas import Role
from data.storage.employees import email_owners, get_employee
from data.storage.tables import EmployeeRow
from serving.settings import Settings
from serving.sso.refusals import SsoRefusal


@dataclass(frozen=True, slots=True)
class SsoPerson:
    external_id: str
    role: Role
    scopes: tuple[str, ...]


def person_of(session: Session, settings: Settings, claims: dict[str, Any]) -> SsoPerson:
    groups = groups_of(claims, settings.sso_groups_claim)
    required = set(settings.sso_required_groups)
    if required and not required & groups:
        raise SsoRefusal("missing_group", "in none of TALENT_SSO_REQUIRED_GROUPS")
    employee = _matched_employee(session, settings, claims)
    if not employee.active:
        raise SsoRefusal("inactive_person", f"employee {employee.external_id} is deactivated")
    role, scopes = role_of(groups, settings)
    return SsoPerson(employee.external_id, role, scopes)


def groups_of(claims: dict[str, Any], claim: str) -> set[str]:
    """The groups claim as a set of names: a list, or one string (some providers send one)."""
    value = claims.get(claim)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(item) for item in value if isinstance(item, str | int)}
    return set()


def role_of(groups: Iterable[str], settings: Settings) -> tuple[Role, tuple[str, ...]]:
    member = set(groups)
    role = Role.EMPLOYEE
    for candidate, mapped in (
        (Role.LEAD, settings.sso_lead_groups),
        (Role.HR, settings.sso_hr_groups),
        (Role.ADMIN, settings.sso_admin_groups),
    ):
        if member & set(mapped):
            role = candidate
    scopes = ("auditor",) if member & set(settings.sso_auditor_groups) else ()
    return role, scopes


def _matched_employee(session: Session, settings: Settings, claims: dict[str, Any]) -> EmployeeRow:
    value = claims.get(settings.sso_match_claim)
    if not isinstance(value, str) or not value.strip():
        raise SsoRefusal(
            "unknown_person", f"the ID token has no '{settings.sso_match_claim}' claim"
        )
    if settings.sso_match_field == "email":
        # Core 5.7: an unverified address proves nothing. Providers that omit the flag (Entra
        # ID) are trusted on their own claim.
        if claims.get("email_verified") is False and settings.sso_match_claim == "email":
            raise SsoRefusal("unverified_email", "the provider says the e-mail is not verified")
        address = value.strip().casefold()
        owner = email_owners(session, [address]).get(address)
        employee = get_employee(session, owner) if owner is not None else None
    else:
        employee = get_employee(session, value.strip())
    if employee is None:
        raise SsoRefusal("unknown_person", f"no employee has this {settings.sso_match_field}")
    return employee
