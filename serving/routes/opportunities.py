"""Opportunities: post, read, edit, bulk import, and masked candidate lists for their leads."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy import select

from data.importing import import_opportunities
from data.schemas import OpportunityIn, OpportunityKind, OpportunityPatch, OpportunityStatus, Role
from data.storage.interactions import applicants
from data.storage.opportunities import get_opportunity, list_opportunities, opportunity_document
from data.storage.tables import OpportunityRow
from matching.pipeline import rank_candidates
from matching.results import candidate_items, masked_candidate, skill_overlap
from serving.auth import Principal
from serving.deps import CurrentUser, SessionDep, StateDep, after_commit, live_model
from serving.errors import Conflict, Forbidden, InvalidField, NotFound
from serving.routes.pagination import decode_cursor, next_cursor

router = APIRouter(prefix="/api/v1/opportunities", tags=["opportunities"])


def _load(session: SessionDep, external_id: str) -> OpportunityRow:
    row = get_opportunity(session, external_id)
    if row is None:
        raise NotFound(f"no opportunity {external_id!r}")
    return row


def _owner_or_admin(user: Principal, row: OpportunityRow) -> None:
    if user.role is Role.ADMIN:
        return
    if user.role is Role.LEAD and user.is_self(row.owner_external_id):
        return
    raise Forbidden("only the lead who owns this opportunity or an admin may do this")


def _reindex(state: StateDep, external_ids: list[str]) -> None:
    with state.sessions() as session:
        for start in range(0, len(external_ids), 900):
            chunk = external_ids[start : start + 900]
            query = select(OpportunityRow).where(OpportunityRow.external_id.in_(chunk))
            state.matcher.refresh_opportunity_rows(session.scalars(query))
    state.matcher.cache.save()


@router.post("/bulk")
def bulk_upsert(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    records: Annotated[list[dict[str, Any]], Body(max_length=10_000)],
) -> dict[str, int]:
    """Upsert by `external_id`; one invalid item rejects the whole batch (422, nothing stored)."""
    user.require(Role.ADMIN)
    items, counts = import_opportunities(
        session, [(i + 1, r) for i, r in enumerate(records)], state.skill_resolver()
    )
    ids = [o.external_id for o in items]
    after_commit(session, lambda: _reindex(state, ids))
    return {"created": counts.created, "updated": counts.updated}


@router.post("", status_code=201)
def create(
    state: StateDep, session: SessionDep, user: CurrentUser, body: OpportunityIn
) -> dict[str, Any]:
    """A lead posts an opportunity they own (an admin may post for anyone)."""
    user.require(Role.LEAD, Role.ADMIN)
    if user.role is Role.LEAD and not user.is_self(body.owner_external_id):
        raise InvalidField("owner_external_id", "a lead can only post opportunities they own")
    if get_opportunity(session, body.external_id) is not None:
        raise Conflict(f"opportunity {body.external_id!r} exists; use PATCH to change it")
    import_opportunities(
        session, [(1, body.model_dump(exclude_unset=True))], state.skill_resolver()
    )
    row = _load(session, body.external_id)
    after_commit(session, lambda: _reindex(state, [body.external_id]))
    return opportunity_document(row)


@router.get("")
def list_(
    session: SessionDep,
    user: CurrentUser,
    kind: OpportunityKind | None = None,
    status: OpportunityStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Admins see every opportunity; leads see their own."""
    user.require(Role.ADMIN, Role.LEAD)
    rows = list_opportunities(
        session,
        limit=limit,
        after_id=decode_cursor(cursor),
        kind=kind.value if kind else None,
        status=status.value if status else None,
        owner_external_id=user.subject_external_id if user.role is Role.LEAD else None,
    )
    return {
        "items": [opportunity_document(r) for r in rows],
        "next_cursor": next_cursor([r.id for r in rows], limit),
    }


@router.get("/{external_id}")
def read(session: SessionDep, _user: CurrentUser, external_id: str) -> dict[str, Any]:
    """Any signed-in user can read an opportunity (employees see them in their matches)."""
    return opportunity_document(_load(session, external_id))


@router.patch("/{external_id}")
def update(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    body: OpportunityPatch,
) -> dict[str, Any]:
    row = _load(session, external_id)
    _owner_or_admin(user, row)
    merged = {**opportunity_document(row), **body.model_dump(exclude_unset=True, mode="json")}
    import_opportunities(session, [(1, merged)], state.skill_resolver())
    after_commit(session, lambda: _reindex(state, [external_id]))
    return opportunity_document(_load(session, external_id))


@router.get("/{external_id}/candidates")
def candidates(
    request: Request,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Ranked candidates with identities masked; only an admin also sees their external ids."""
    opportunity = _load(session, external_id)
    _owner_or_admin(user, opportunity)
    state.matcher.ensure_opportunity(opportunity)
    model = live_model(state, "opportunity")
    ranking, rows = rank_candidates(
        session, state.matcher, model, opportunity, limit=limit, now=dt.datetime.now(dt.UTC)
    )
    return {
        "items": candidate_items(
            opportunity,
            ranking.hits,
            rows,
            state.pseudonym_key,
            reveal_ids=user.role is Role.ADMIN,
        ),
        "model": model.describe(),
        "retrieval": {**ranking.report.as_dict(), "ranked": ranking.retrieved},
        "request_id": getattr(request.state, "request_id", uuid.uuid4().hex),
    }


@router.get("/{external_id}/applications")
def applications(
    state: StateDep, session: SessionDep, user: CurrentUser, external_id: str
) -> dict[str, Any]:
    """Who applied, masked like candidates (a lead sees handles, an admin also external ids)."""
    opportunity = _load(session, external_id)
    _owner_or_admin(user, opportunity)
    return {
        "items": [
            {
                "candidate": masked_candidate(
                    row, state.pseudonym_key, reveal_id=user.role is Role.ADMIN
                ),
                "applied_at": applied_at.isoformat(),
                "explanation": skill_overlap(row, opportunity),
            }
            for row, applied_at in applicants(session, external_id)
        ]
    }
