"""Opportunities: post, read, edit, bulk import, and masked candidate lists for their leads."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import Field
from sqlalchemy.exc import IntegrityError

from data.importing import import_opportunities
from data.schemas import (
    ContractModel,
    ExternalId,
    OpportunityIn,
    OpportunityKind,
    OpportunityPatch,
    OpportunityStatus,
    Role,
)
from data.storage.employees import get_employee
from data.storage.interactions import applicants
from data.storage.locks import begin_write, lock_row
from data.storage.opportunities import (
    count_opportunities,
    get_opportunity,
    list_opportunities,
    posting_record,
)
from data.storage.oversight import override_row
from data.storage.people_search import OwnerCandidate, departments, owner_candidates
from data.storage.tables import OpportunityRow
from fairness.policy import (
    active_override_rows,
    revoke_override,
)
from matching.results import (
    masked_candidate,
)
from serving.access import owned_opportunity, require_owner_or_admin, visible_opportunity
from serving.auth import Principal
from serving.deps import (
    CurrentUser,
    SessionDep,
    StateDep,
    filed_as,
)
from serving.errors import (
    API_ERRORS,
    Conflict,
    Forbidden,
    InvalidField,
    NotFound,
    documented,
    one_record,
)
from serving.etags import IfMatch, check_if_match, etag_responses, tagged
from serving.permissions import OwnedOpportunity
from serving.presenters.imports import job_accepted
from serving.presenters.opportunities import opportunity_document, override_document
from serving.routes.pagination import Cursor, decode_cursor, next_cursor
from serving.schemas import (
    ApplicantsOut,
    CandidatesOut,
    DepartmentsOut,
    ImportJobOut,
    OpportunityListOut,
    OpportunityOut,
    OverrideOut,
    OverridesOut,
    PeopleOut,
    RevokedOut,
    UpsertOut,
)
from serving.timestamps import utc_iso
from serving.unit_of_work import after_commit
from serving.usecases.approvals import recheck_approvals
from serving.usecases.imports import bulk_import
from serving.usecases.indexing import reindex
from serving.usecases.overrides import override_candidate
from serving.usecases.pipeline import check_posting_edit
from serving.usecases.postings import posting_documents, seats_taken
from serving.usecases.rankings import serve_candidates
from serving.usecases.serving_context import resolver_for
from serving.validation import Reason

router = APIRouter(prefix="/api/v1/opportunities", tags=["opportunities"], responses=API_ERRORS)


def _load(session: SessionDep, external_id: str) -> OpportunityRow:
    row = get_opportunity(session, external_id)
    if row is None:
        raise NotFound(f"no opportunity {external_id!r}")
    return row


def _tagged(response: Response, session: SessionDep, row: OpportunityRow) -> dict[str, Any]:
    """The posting with its version in `ETag` (what an edit changes: the seats assignments
    take are not a version of the posting, so `If-Match` from a read still matches) and its
    seats taken."""
    document = tagged(response, opportunity_document(row))
    return {**document, "seats_taken": seats_taken(session, [row])[row.external_id]}


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
    A posting without skills is matched on those its title's occupation implies; one without
    `department` takes its owner's; the report says which. Large batches answer 202 with a
    job (`GET /api/v1/imports/{job_id}`)."""
    user.require(Role.ADMIN)
    status, body = bulk_import(state, session, user, "opportunities", records, wait=wait)
    return job_accepted(body) if status == 202 else body


class PostingIn(OpportunityIn):
    """A posting as sent: a lead may leave `owner_external_id` out (it is theirs); an admin
    posting on a lead's behalf names that lead."""

    # Optional here, required on OpportunityIn: pydantic allows a field narrowed or widened
    # in a subclass, mypy does not.
    owner_external_id: ExternalId | None = None  # type: ignore[assignment]


def _owner_of(session: SessionDep, user: Principal, body: PostingIn) -> str:
    owner = body.owner_external_id
    if user.role is Role.LEAD:
        if owner is not None and not user.is_self(owner):
            raise InvalidField("owner_external_id", "a lead can only post opportunities they own")
        assert user.subject_external_id is not None
        return user.subject_external_id
    if owner is None:
        raise InvalidField(
            "owner_external_id", "an admin posting for a lead names the lead who owns it"
        )
    if get_employee(session, owner) is None:
        raise InvalidField("owner_external_id", f"no person {owner!r} to own this posting")
    return owner


def _taken(external_id: str) -> Conflict:
    # The same words whoever holds the id (the caller, another lead, a draft nobody else may
    # know of): a draft's existence is never confirmed to another lead beyond "taken".
    return Conflict(f"the id {external_id!r} is taken; choose another external_id")


@router.post(
    "",
    status_code=201,
    response_model=OpportunityOut,
    responses={**etag_responses(201), **documented(400, 415, 403, 409)},
)
def create(
    response: Response, state: StateDep, session: SessionDep, user: CurrentUser, body: PostingIn
) -> dict[str, Any]:
    """A lead posts an opportunity they own (`owner_external_id` may be left out); an admin
    posts for the lead it names there (422 naming the field when it is missing or nobody).
    An id already taken answers 409 in the same words whoever holds it; of two requests
    creating one id at once, one gets 201 and the other 409."""
    user.require(Role.LEAD, Role.ADMIN)
    if body.status not in NEW_POSTING_STATUSES:
        # Filled means its seats were taken, closed that it ended: neither is true of a posting
        # nobody has seen yet (bulk imports may still bring postings in any state).
        raise InvalidField(
            "status", "a new posting is a draft or open; it fills as people are assigned"
        )
    body.owner_external_id = _owner_of(session, user, body)
    begin_write(session)  # SQLite: the check and the insert under one write lock
    if get_opportunity(session, body.external_id) is not None:
        raise _taken(body.external_id)
    try:
        with one_record():
            _, counts = import_opportunities(
                session, [(1, body.model_dump(exclude_unset=True))], resolver_for(state, user)
            )
    except IntegrityError:  # PostgreSQL: another request inserted the same id, uncommitted
        raise _taken(body.external_id) from None
    if counts.created != 1:  # PostgreSQL: another request's insert committed after the check
        raise _taken(body.external_id)  # (the rollback undoes this request's update of it)
    row = _load(session, body.external_id)
    after_commit(session, lambda: reindex(state, opportunities=[body.external_id]))
    return _tagged(response, session, row)


NEW_POSTING_STATUSES = (OpportunityStatus.DRAFT, OpportunityStatus.OPEN)
MAX_QUERY_WORDS = 8
# At most MAX_QUERY_WORDS words, said in the schema (a client learns it from the OpenAPI).
QUERY_WORDS = r"^\s*(?:\S+(?:\s+\S+){0,7})?\s*$"
SOME_WORDS = r"^\s*\S+(?:\s+\S+){0,7}\s*$"


@router.get("", response_model=OpportunityListOut, responses=documented(403))
def list_(
    session: SessionDep,
    user: CurrentUser,
    kind: OpportunityKind | None = None,
    status: OpportunityStatus | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=QUERY_WORDS,
            description="up to 8 words that must all appear in the title (or id)",
        ),
    ] = None,
    order: Annotated[
        Literal["oldest", "newest"],
        Query(description="oldest first (stable for exports) or newest first; keep it per cursor"),
    ] = "oldest",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Admins see every opportunity; leads see their own. Each with its seats taken and how
    many applied; `total` counts every page of the same filters."""
    user.require(Role.ADMIN, Role.LEAD)
    words = (q or "").split()
    if len(words) > MAX_QUERY_WORDS:
        raise InvalidField("q", f"at most {MAX_QUERY_WORDS} words", where="query")
    filters: dict[str, Any] = {
        "kind": kind.value if kind else None,
        "status": status.value if status else None,
        "owner_external_id": user.subject_external_id if user.role is Role.LEAD else None,
        "words": words,
    }
    rows = list_opportunities(
        session,
        limit=limit,
        after_id=decode_cursor(cursor),
        newest_first=order == "newest",
        **filters,
    )
    return {
        "items": posting_documents(session, rows),
        "next_cursor": next_cursor([r.id for r in rows], limit),
        "total": count_opportunities(session, **filters),
    }


@router.get("/owners", response_model=PeopleOut, responses=documented(403))
def owners(
    session: SessionDep,
    user: CurrentUser,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, pattern=SOME_WORDS, description="1-8 words of a name"),
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """People who could own a posting, by name (an admin posting on a lead's behalf): those who
    lead first, each with why they can own it in words; the rest after, said to lead nothing."""
    user.require(Role.ADMIN)
    words = q.split()
    if not words or len(words) > MAX_QUERY_WORDS:
        raise InvalidField("q", f"one to {MAX_QUERY_WORDS} words", where="query")
    return {
        "items": [
            {
                "external_id": c.person.external_id,
                "name": c.person.name,
                "title": c.person.title,
                "department": c.person.department,
                "leads": c.leads,
                "why": _why_owner(c),
            }
            for c in owner_candidates(session, words, limit=limit)
        ]
    }


@router.get("/departments", response_model=DepartmentsOut, responses=documented(403))
def company_departments(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The departments a posting may name (those people work in and postings are posted in):
    the list employees filter their matches by, offered as the post form's choices."""
    user.require(Role.LEAD, Role.ADMIN)
    return {"items": departments(session)}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _why_owner(c: OwnerCandidate) -> str:
    reasons = []
    if c.postings:
        reasons.append(f"leads {_plural(c.postings, 'posting', 'postings')}")
    if c.reports:
        reasons.append(f"manages {_plural(c.reports, 'person', 'people')}")
    if c.lead_token:
        reasons.append("signs in as a lead")
    return ", ".join(reasons) if reasons else "leads no postings and manages no one yet"


@router.get(
    "/{external_id}",
    response_model=OpportunityOut,
    responses={**etag_responses(), **documented(404)},
)
def read(
    response: Response, session: SessionDep, user: CurrentUser, external_id: str
) -> dict[str, Any]:
    """Any signed-in user can read a posted opportunity (employees see them in their matches);
    a draft only its lead and admins. Its version is in the `ETag` header."""
    row = visible_opportunity(session, user, external_id)
    return _tagged(response, session, row)


@router.patch(
    "/{external_id}",
    response_model=OpportunityOut,
    responses={**etag_responses(), **documented(400, 415, 403, 404, 409, 412)},
)
def update(
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    body: OpportunityPatch,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change only the fields sent. Edits of one posting run one at a time, each on what the
    one before stored."""
    row = owned_opportunity(session, user, external_id)
    locked = lock_row(session, row)
    if locked is None:
        raise NotFound(f"no opportunity {external_id!r}")
    row = owned_opportunity(session, user, external_id)  # as stored now: owner, status
    check_if_match(if_match, opportunity_document(row))
    edited = body.model_dump(exclude_unset=True, mode="json")
    check_posting_edit(row, edited)
    merged = {**posting_record(row), **edited}
    with one_record():
        import_opportunities(session, [(1, merged)], resolver_for(state, user))
    stored = _load(session, external_id)
    recheck_approvals(state, session, stored)
    after_commit(session, lambda: reindex(state, opportunities=[external_id]))
    return _tagged(response, session, stored)


@router.get(
    "/{external_id}/candidates",
    response_model=CandidatesOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404, 409),
)
def candidates(
    request: Request,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Ranked candidates with identities masked; only an admin also sees their external ids.
    A posting that needs skills (none required, its title placed in no occupation) has none:
    409, saying what to set."""
    opportunity = owned_opportunity(session, user, external_id)
    if not any(s.required for s in opportunity.skills):
        choices = ", ".join(
            f"{c['label']} ({c['occupation_id']})" for c in opportunity.occupation_choices or []
        )
        raise Conflict(
            "this posting needs skills: its title names no occupation clearly enough to imply "
            "any, so it is matched with nobody; list required_skills or set occupation_id"
            + (f" (closest occupations: {choices})" if choices else "")
        )
    body = serve_candidates(
        state,
        session,
        user,
        opportunity,
        limit=limit,
        request_id=request.state.request_id,
        fresh_request_id=request.state.request_id_minted,
    )
    filed_as(request, body["request_id"])
    return body


@router.get(
    "/{external_id}/applications",
    response_model=ApplicantsOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404),
)
def applications(
    state: StateDep, session: SessionDep, user: CurrentUser, opportunity: OwnedOpportunity
) -> dict[str, Any]:
    """Who applied, masked like candidates (a lead sees handles and aliases, an admin also
    external ids); the pipeline names them (`candidate.identity`)."""
    return {
        "items": [
            {
                "candidate": masked_candidate(
                    row,
                    opportunity,
                    state.pseudonym_key,
                    reveal_id=user.role is Role.ADMIN,
                    revealed=True,
                ),
                "applied_at": utc_iso(applied_at),
            }
            for row, applied_at in applicants(session, opportunity.external_id)
        ]
    }


class OverrideIn(ContractModel):
    """Pin a candidate on top of this list, or hide one from it, saying why."""

    candidate: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="handle, or external id",
    )
    action: Literal["pin", "hide"]
    reason: Reason


def _overseer(user: Principal, row: OpportunityRow) -> None:
    """The owning lead, HR or an admin may override a candidate list."""
    if user.role is not Role.HR:
        require_owner_or_admin(user, row)


@router.post(
    "/{external_id}/overrides",
    status_code=201,
    response_model=OverrideOut,
    response_model_exclude_unset=True,
    responses=documented(400, 415, 403, 404),
)
def add_candidate_override(
    state: StateDep, session: SessionDep, user: CurrentUser, external_id: str, body: OverrideIn
) -> dict[str, Any]:
    """Pin or hide a candidate on this opportunity's list (logged, shown in HR's reports).

    A lead names the candidate by the handle its list showed; HR and admins may also use the
    external id."""
    opportunity = visible_opportunity(session, user, external_id)
    _overseer(user, opportunity)
    row = override_candidate(
        state, session, user, opportunity, body.candidate, action=body.action, reason=body.reason
    )
    return override_document(
        row, opportunity, state.pseudonym_key, reveal_id=user.role is not Role.LEAD
    )


@router.get(
    "/{external_id}/overrides",
    response_model=OverridesOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404),
)
def list_candidate_overrides(
    state: StateDep, session: SessionDep, user: CurrentUser, external_id: str
) -> dict[str, Any]:
    opportunity = visible_opportunity(session, user, external_id)
    _overseer(user, opportunity)
    return {
        "items": [
            override_document(
                row, opportunity, state.pseudonym_key, reveal_id=user.role is not Role.LEAD
            )
            for row in active_override_rows(session, external_id)
        ]
    }


@router.delete(
    "/{external_id}/overrides/{override_id}",
    response_model=RevokedOut,
    responses=documented(403, 404),
)
def revoke_candidate_override(
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    override_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> dict[str, Any]:
    opportunity = visible_opportunity(session, user, external_id)
    _overseer(user, opportunity)
    row = override_row(session, override_id)
    if row is None or row.opportunity_external_id != external_id or row.revoked_at is not None:
        raise NotFound(f"no active override {override_id} on {external_id!r}")
    if user.role is Role.LEAD and row.created_by_role != Role.LEAD.value:
        raise Forbidden("a lead cannot revoke a decision HR or an admin made")
    revoke_override(session, override_id, actor_role=user.role.value, actor=user.actor)
    return {"revoked": override_id}
