"""Employee profiles, bulk import and "my matches"."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import Field

from data.schemas import (
    ContractModel,
    EmployeeIn,
    EmployeePatch,
    InteractionType,
    OpportunityKind,
    OpportunityStatus,
    Role,
)
from data.storage.employees import get_employee, list_employees
from data.storage.interactions import standing_reactions
from data.storage.opportunities import get_opportunity
from data.storage.pipeline import get_pair
from data.storage.tables import EmployeeRow
from matching.filters import MatchFilters
from matching.pipeline import RETRIEVE_DEPTH
from matching.whatif import WhatIf
from serving.access import (
    SELF_HR_OR_ADMIN,
    SELF_OR_ADMIN,
    require_self_or,
    visible_opportunity,
)
from serving.deps import (
    CurrentUser,
    SessionDep,
    StateDep,
    filed_as,
)
from serving.errors import (
    API_ERRORS,
    InvalidField,
    NotFound,
    documented,
)
from serving.etags import IfMatch, etag_responses, tagged
from serving.presenters.imports import job_accepted
from serving.presenters.opportunities import opportunity_document
from serving.presenters.profiles import employee_profile
from serving.routes.pagination import Cursor, decode_cursor, next_cursor
from serving.schemas import (
    ImportJobOut,
    LearningItem,
    MatchedSkill,
    MatchesOut,
    MissingSkill,
    OpportunityOut,
    Out,
    Page,
    PairOut,
    ProfileOut,
    UpsertOut,
    WhatIfOut,
)
from serving.timestamps import utc_iso
from serving.usecases import profiles
from serving.usecases.imports import bulk_import
from serving.usecases.matches_page import matches_page
from serving.usecases.opportunity_page import opportunity_view
from serving.usecases.profiles import update_profile
from serving.usecases.rankings import what_if_page

router = APIRouter(prefix="/api/v1/employees", tags=["employees"], responses=API_ERRORS)
NO_NUL = r"^[^\x00]*$"  # the request guard refuses NUL anywhere: the schema says so too


class ReactionItem(Out):
    opportunity: OpportunityOut
    at: str = Field(description="when it was saved (or dismissed), UTC")
    stage: str = Field(
        default="none",
        description="where the person stands with it in the workflow (applied, accepted...)",
    )


class ReactionListOut(Out):
    items: list[ReactionItem]


def _load(session: SessionDep, external_id: str) -> EmployeeRow:
    row = get_employee(session, external_id)
    if row is None:
        raise NotFound(f"no employee {external_id!r}")
    return row


@router.post(
    "/bulk",
    response_model=UpsertOut,
    responses={
        202: {"model": ImportJobOut, "description": "a large batch: runs as a job to poll"},
        **documented(400, 415, 403),
    },
)
def bulk_upsert(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    records: Annotated[list[dict[str, Any]], Body(max_length=10_000)],
    wait: Annotated[
        bool | None,
        Query(description="false: always run as a job (202); default: only large batches"),
    ] = None,
) -> Any:
    """Upsert by `external_id`; one invalid item rejects the whole batch (422, nothing stored).
    The answer reports what became of every name that was not an exact ESCO label and which
    skills merged. More than `TALENT_BULK_SYNC_RECORDS` records (500) answer 202 with a job:
    `GET /api/v1/imports/{job_id}` shows its progress, then its report or its errors."""
    user.require(Role.ADMIN)
    status, body = bulk_import(state, session, user, "employees", records, wait=wait)
    return job_accepted(body) if status == 202 else body


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


@router.get(
    "/{external_id}",
    response_model=ProfileOut,
    responses={**etag_responses(), **documented(403, 404)},
)
def read(
    response: Response, session: SessionDep, user: CurrentUser, external_id: str
) -> dict[str, Any]:
    """The profile, with its version in the `ETag` header (for `If-Match` on a write)."""
    require_self_or(user, external_id, Role.ADMIN, Role.HR, refusal=SELF_HR_OR_ADMIN)
    return tagged(response, employee_profile(_load(session, external_id)))


_WRITES = {**etag_responses(), **documented(400, 415, 403, 404, 409, 412)}


@router.put("/{external_id}", response_model=ProfileOut, responses=_WRITES)
def replace(
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    body: EmployeeIn,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Replace a profile; optional fields left out keep their stored values. An employee may
    change their own skills, interests, aspirations, bio, location, availability and what they
    are open to; the fields HR owns need HR or an admin."""
    require_self_or(user, external_id, Role.ADMIN, Role.HR, refusal=SELF_HR_OR_ADMIN)
    row = _load(session, external_id)
    profile = update_profile(
        state, session, user, row, body.model_fields_set, body, if_match=if_match
    )
    return tagged(response, profile)


@router.patch("/{external_id}", response_model=ProfileOut, responses=_WRITES)
def update(
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    body: EmployeePatch,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change only the fields sent; the rest stay as stored."""
    require_self_or(user, external_id, Role.ADMIN, Role.HR, refusal=SELF_HR_OR_ADMIN)
    row = _load(session, external_id)
    profile = update_profile(
        state, session, user, row, body.model_fields_set, body, if_match=if_match
    )
    return tagged(response, profile)


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
    offset: Annotated[
        int, Query(ge=0, le=RETRIEVE_DEPTH, description="ranks to skip: the pages before")
    ] = 0,
    q: Annotated[
        str,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="words, each in the title, description or a skill",
        ),
    ] = "",
    hours_max: Annotated[
        float | None, Query(ge=0, le=80, description="hours a week asked, at most")
    ] = None,
    department: Annotated[str, Query(max_length=100, pattern=NO_NUL)] = "",
    location: Annotated[
        str,
        Query(max_length=100, pattern=NO_NUL, description="a place, or `remote` for remote work"),
    ] = "",
    remote: Annotated[bool, Query(description="remote postings only")] = False,
    skill: Annotated[
        str,
        Query(
            max_length=120,
            pattern=NO_NUL,
            description="a skill id, or words of an asked skill's name",
        ),
    ] = "",
    starts_from: Annotated[
        dt.date | None, Query(description="starting on or after (YYYY-MM-DD)")
    ] = None,
    starts_until: Annotated[
        dt.date | None, Query(description="starting on or before (YYYY-MM-DD)")
    ] = None,
) -> dict[str, Any]:
    """Open opportunities of one kind ranked for this person, with matched and missing skills.
    The filters narrow the eligible list the ranker ordered (its order kept); `matched` says
    how many passed them, `next_offset` where the next page starts (null: none)."""
    require_self_or(user, external_id, Role.ADMIN, refusal=SELF_OR_ADMIN)
    if starts_from and starts_until and starts_from > starts_until:
        raise InvalidField("starts_until", "is before starts_from", where="query")
    employee = _load(session, external_id)
    filters = MatchFilters(
        words=q.strip(),
        hours_max=hours_max,
        department=department.strip(),
        location=location.strip(),
        remote_only=remote,
        skill=skill.strip(),
        starts_from=starts_from,
        starts_until=starts_until,
    )
    body = matches_page(
        state,
        session,
        user,
        employee,
        kind=kind.value,
        limit=limit,
        request_id=request.state.request_id,
        filters=filters,
        offset=offset,
        fresh_request_id=request.state.request_id_minted,
    )
    filed_as(request, body["request_id"])
    return body


@router.get(
    "/{external_id}/saves",
    response_model=ReactionListOut,
    responses=documented(403, 404),
)
def saved_opportunities(session: SessionDep, user: CurrentUser, external_id: str) -> dict[str, Any]:
    """What this person saved and has not unsaved, newest first (unsave:
    `DELETE /api/v1/opportunities/{id}/saves`)."""
    require_self_or(user, external_id, Role.ADMIN, refusal=SELF_OR_ADMIN)
    _load(session, external_id)
    return _reaction_list(session, external_id, InteractionType.SAVE)


@router.get(
    "/{external_id}/dismissals",
    response_model=ReactionListOut,
    responses=documented(403, 404),
)
def dismissed_opportunities(
    session: SessionDep, user: CurrentUser, external_id: str
) -> dict[str, Any]:
    """What this person marked "not for me" and has not taken back, newest first (undo:
    `DELETE /api/v1/opportunities/{id}/dismissals`)."""
    require_self_or(user, external_id, Role.ADMIN, refusal=SELF_OR_ADMIN)
    _load(session, external_id)
    return _reaction_list(session, external_id, InteractionType.DISMISS)


# Stages in which the person still wants the opportunity: it is not "Not for me".
_WANTED = ("invited", "waitlisted", "applied", "shortlisted", "offered", "accepted", "assigned")


def _reaction_list(session: SessionDep, external_id: str, kind: InteractionType) -> dict[str, Any]:
    """A save and a dismissal never both stand (the newer wins, also for history logged before
    they took each other back); an application takes the opportunity out of "Not for me"."""
    standing = standing_reactions(session, external_id, kind)
    other = InteractionType.DISMISS if kind is InteractionType.SAVE else InteractionType.SAVE
    rival = standing_reactions(session, external_id, other)
    items = []
    for opportunity_id, at in standing.items():
        row = get_opportunity(session, opportunity_id)
        if row is None or row.status == OpportunityStatus.DRAFT.value:
            continue  # deleted, or taken back to a draft by its lead
        if opportunity_id in rival and rival[opportunity_id] > at:
            continue
        pair = get_pair(session, external_id, opportunity_id)
        stage = pair.stage if pair is not None else "none"
        if kind is InteractionType.DISMISS and stage in _WANTED:
            continue
        items.append({"opportunity": opportunity_document(row), "at": utc_iso(at), "stage": stage})
    return {"items": items}


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
) -> WhatIf:
    """Which one skill added, or one level raised, would move this opportunity up the most,
    rescored by the live model; and where to correct the profile."""
    require_self_or(user, external_id, Role.ADMIN, refusal=SELF_OR_ADMIN)
    employee = _load(session, external_id)
    return what_if_page(
        state, session, employee, visible_opportunity(session, user, opportunity_id)
    )


class SkillLevelIn(ContractModel):
    level: int = Field(ge=1, le=5, description="1 (aware) … 5 (expert)")


@router.put("/{external_id}/skills/{skill_id}", response_model=ProfileOut, responses=_WRITES)
def set_skill_level(
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    skill_id: str,
    body: SkillLevelIn,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Add a skill to my profile or correct its level (from a match card); matchable at once."""
    require_self_or(user, external_id, Role.ADMIN, refusal=SELF_OR_ADMIN)
    row = _load(session, external_id)
    profile = profiles.set_skill_level(
        state, session, user, row, skill_id, body.level, if_match=if_match
    )
    return tagged(response, profile)


@router.delete(
    "/{external_id}/skills/{skill_id}",
    response_model=ProfileOut,
    responses={**etag_responses(), **documented(403, 404, 409, 412)},
)
def remove_skill(
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    skill_id: str,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    require_self_or(user, external_id, Role.ADMIN, refusal=SELF_OR_ADMIN)
    row = _load(session, external_id)
    profile = profiles.remove_skill(state, session, user, row, skill_id, if_match=if_match)
    return tagged(response, profile)


class LeadOut(Out):
    external_id: str
    name: str
    title: str


class ForYouOut(Out):
    """What this posting is for the person reading it."""

    own: bool = Field(description="their own posting: no match, no reactions")
    matched_skills: list[MatchedSkill]
    missing_skills: list[MissingSkill]
    learning: list[LearningItem] = Field(description="ways to close the gaps")
    saved: bool
    dismissed: bool
    pair: PairOut | None = Field(description="where they stand in its pipeline, if anywhere")


class OpportunityPageOut(Out):
    opportunity: OpportunityOut
    lead: LeadOut | None = Field(description="who posted it (null: no longer on record)")
    seats_taken: int
    state: str = Field(
        description="open | filled | closed | draft, in words a person reads ('Every seat is "
        "taken')"
    )
    for_you: ForYouOut


@router.get(
    "/{external_id}/opportunities/{opportunity_id}",
    response_model=OpportunityPageOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404),
)
def opportunity_page(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    opportunity_id: str,
) -> dict[str, Any]:
    """One posting as this person sees it: its description, lead, dates, hours and seats, the
    skills they hold and lack for it with ways to close the gaps, whether they saved or
    dismissed it, and their place in its pipeline. Anyone who may read the posting may read
    it for themself (a manager opens the gig a report asks for); an admin for anyone."""
    require_self_or(user, external_id, Role.ADMIN, refusal=SELF_OR_ADMIN)
    employee = _load(session, external_id)
    opportunity = visible_opportunity(session, user, opportunity_id)
    return opportunity_view(state, session, user, employee, opportunity)
