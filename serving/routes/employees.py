"""Employee profiles, bulk import and "my matches"."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import Field

from data.importing import import_employees
from data.schemas import ContractModel, EmployeeIn, EmployeePatch, OpportunityKind, Role
from data.storage.employees import employee_profile, get_employee, list_employees
from data.storage.tables import EmployeeRow
from fairness.policy import load_policy
from matching.pipeline import score_matches
from matching.whatif import what_if
from serving.access import visible_opportunity
from serving.auth import Principal
from serving.deps import (
    CurrentUser,
    SessionDep,
    StateDep,
    after_commit,
    filed_as,
    live_model,
    resolver_for,
)
from serving.errors import (
    API_ERRORS,
    Conflict,
    Forbidden,
    InvalidField,
    NotFound,
    RecordRejected,
    documented,
    one_record,
)
from serving.routes.pagination import Cursor, decode_cursor, next_cursor
from serving.schemas import MatchesOut, Page, ProfileOut, UpsertOut, WhatIfOut
from serving.usecases.indexing import reindex
from serving.usecases.rankings import serve_matches

router = APIRouter(prefix="/api/v1/employees", tags=["employees"], responses=API_ERRORS)


def _self_or_admin(user: Principal, external_id: str) -> None:
    if not (user.role is Role.ADMIN or user.is_self(external_id)):
        raise Forbidden("only the employee themself or an admin may do this")


def _self_hr_or_admin(user: Principal, external_id: str) -> None:
    if not (user.role in (Role.ADMIN, Role.HR) or user.is_self(external_id)):
        raise Forbidden("only the employee themself, HR or an admin may do this")


def _load(session: SessionDep, external_id: str) -> EmployeeRow:
    row = get_employee(session, external_id)
    if row is None:
        raise NotFound(f"no employee {external_id!r}")
    return row


@router.post("/bulk", response_model=UpsertOut, responses=documented(400, 415, 403))
def bulk_upsert(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    records: Annotated[list[dict[str, Any]], Body(max_length=10_000)],
) -> dict[str, int]:
    """Upsert by `external_id`; one invalid item rejects the whole batch (422, nothing stored)."""
    user.require(Role.ADMIN)
    employees, counts = import_employees(
        session, [(i + 1, r) for i, r in enumerate(records)], resolver_for(state, user, bulk=True)
    )
    ids = [e.external_id for e in employees]
    after_commit(session, lambda: reindex(state, employees=ids))
    return {"created": counts.created, "updated": counts.updated}


@router.get("", response_model=Page[ProfileOut], responses=documented(403))
def list_(
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    user.require(Role.ADMIN)
    rows = list_employees(session, limit=limit, after_id=decode_cursor(cursor))
    return {
        "items": [employee_profile(r) for r in rows],
        "next_cursor": next_cursor([r.id for r in rows], limit),
    }


@router.get("/{external_id}", response_model=ProfileOut, responses=documented(403, 404))
def read(session: SessionDep, user: CurrentUser, external_id: str) -> dict[str, Any]:
    _self_hr_or_admin(user, external_id)
    return employee_profile(_load(session, external_id))


@router.put("/{external_id}", response_model=ProfileOut, responses=documented(400, 415, 403, 404))
def replace(
    state: StateDep, session: SessionDep, user: CurrentUser, external_id: str, body: EmployeeIn
) -> dict[str, Any]:
    """Replace a profile; optional fields left out keep their stored values. An employee may
    change their own skills, interests, aspirations, bio, location, availability and what they
    are open to; the fields HR owns need HR or an admin."""
    return _update(state, session, user, external_id, body.model_fields_set, body)


@router.patch("/{external_id}", response_model=ProfileOut, responses=documented(400, 415, 403, 404))
def update(
    state: StateDep, session: SessionDep, user: CurrentUser, external_id: str, body: EmployeePatch
) -> dict[str, Any]:
    """Change only the fields sent; the rest stay as stored."""
    return _update(state, session, user, external_id, body.model_fields_set, body)


def _update(
    state: StateDep,
    session: SessionDep,
    user: Principal,
    external_id: str,
    sent: set[str],
    body: EmployeeIn | EmployeePatch,
) -> dict[str, Any]:
    _self_hr_or_admin(user, external_id)
    if "external_id" in sent and body.external_id != external_id:
        raise InvalidField("external_id", "must equal the id in the URL")
    row = _load(session, external_id)
    stored = employee_profile(row)
    changes = body.model_dump(include=sent, mode="json")
    if user.role not in (Role.ADMIN, Role.HR):
        for field in HR_FIELDS:
            if field in changes and changes[field] != stored.get(field):
                raise Forbidden(f"{field} comes from HR records; ask HR or an admin to change it")
    merged = {**stored, **changes, "external_id": external_id}
    if merged.get("demographics") is None:
        merged.pop("demographics", None)  # not sent: what the person reported stays
    with one_record():
        import_employees(session, [(1, merged)], resolver_for(state, user))
    after_commit(session, lambda: reindex(state, employees=[external_id]))
    return employee_profile(_load(session, external_id))


# Set by the employer's records, not by the person: level opens higher roles, hire date feeds
# tenure, name and e-mail say who someone is (so nobody can take another's), and the rest is
# organisational fact. Demographics are changed through HR too (they are read by the fairness
# audit only, never by ranking).
HR_FIELDS = (
    "name",
    "email",
    "level",
    "title",
    "department",
    "manager_external_id",
    "hire_date",
    "demographics",
)


@router.get(
    "/{external_id}/matches",
    response_model=MatchesOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404),
)
def matches(
    request: Request,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    kind: OpportunityKind = OpportunityKind.GIG,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Open opportunities of one kind ranked for this person, with matched and missing skills."""
    _self_or_admin(user, external_id)
    employee = _load(session, external_id)
    body = serve_matches(
        state,
        session,
        user,
        employee,
        kind=kind.value,
        limit=limit,
        request_id=request.state.request_id,
    )
    filed_as(request, body["request_id"])
    return body


@router.get(
    "/{external_id}/matches/{opportunity_id}/what-if",
    response_model=WhatIfOut,
    responses=documented(403, 404, 409),
)
def what_if_for_match(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    opportunity_id: str,
) -> dict[str, Any]:
    """Which one skill added, or one level raised, would move this opportunity up the most,
    rescored by the live model; and where to correct the profile."""
    _self_or_admin(user, external_id)
    employee = _load(session, external_id)
    opportunity = visible_opportunity(session, user, opportunity_id)
    if load_policy(session, opportunity.kind).paused:
        raise Conflict(
            f"automated ranking of {opportunity.kind} opportunities is paused by HR, "
            "so there is no ranking to move up in"
        )
    state.matcher.ensure_employee(employee)
    model = live_model(state, "employee")
    now = dt.datetime.now(dt.UTC)
    scored = score_matches(session, state.matcher, model, employee, kind=opportunity.kind, now=now)
    result = what_if(session, state.matcher, model, employee, opportunity, scored, now=now)
    if result is None:
        raise NotFound(
            f"{opportunity_id!r} is not among your current matches (not eligible, or not among "
            "the most similar opportunities of its kind)"
        )
    result["model"] = model.describe()
    result["correct_profile"] = {
        "method": "PUT",
        "path": f"/api/v1/employees/{external_id}/skills/{{skill_id}}",
        "body": {"level": "1..5"},
    }
    return result


class SkillLevelIn(ContractModel):
    level: int = Field(ge=1, le=5, description="1 (aware) … 5 (expert)")


@router.put(
    "/{external_id}/skills/{skill_id}",
    response_model=ProfileOut,
    responses=documented(400, 415, 403, 404),
)
def set_skill_level(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    skill_id: str,
    body: SkillLevelIn,
) -> dict[str, Any]:
    """Add a skill to my profile or correct its level (from a match card); matchable at once."""
    _self_or_admin(user, external_id)
    profile = employee_profile(_load(session, external_id))
    skills = [s for s in profile["skills"] if s["skill_id"] != skill_id]
    skills.append({"skill_id": skill_id, "level": body.level})
    try:
        _store_profile(state, session, user, {**profile, "skills": skills})
    except RecordRejected as rejected:
        if any(p["field"] == f"skills.{len(skills) - 1}.skill_id" for p in rejected.detail):
            raise InvalidField("skill_id", "unknown skill id", where="path") from None
        raise
    return employee_profile(_load(session, external_id))


@router.delete(
    "/{external_id}/skills/{skill_id}", response_model=ProfileOut, responses=documented(403, 404)
)
def remove_skill(
    state: StateDep, session: SessionDep, user: CurrentUser, external_id: str, skill_id: str
) -> dict[str, Any]:
    _self_or_admin(user, external_id)
    profile = employee_profile(_load(session, external_id))
    skills = [s for s in profile["skills"] if s["skill_id"] != skill_id]
    if len(skills) == len(profile["skills"]):
        raise NotFound(f"{external_id!r} has no skill {skill_id!r}")
    _store_profile(state, session, user, {**profile, "skills": skills})
    return employee_profile(_load(session, external_id))


def _store_profile(
    state: StateDep, session: SessionDep, user: Principal, profile: dict[str, Any]
) -> None:
    for skill in profile["skills"]:
        skill.pop("name", None)  # the id decides; a label would be normalised again
    with one_record():
        import_employees(session, [(1, profile)], resolver_for(state, user))
    after_commit(session, lambda: reindex(state, employees=[profile["external_id"]]))
