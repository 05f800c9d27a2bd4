"""Serve a ranking, either direction: score → policy → re-rank → explain → page → audit record.

Both endpoints come through here, so every ranking anyone is shown is logged the same way: who
asked (role only), which model and policy, every retrieved item with its score, its rank by
score and its served rank, the feature rows the model scored (for replay), and every
intervention (re-ranker moves, pins, hides). The record is appended once the response is built,
so the log never says "served" for a request that then failed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from sqlalchemy.orm import Session

from data.schemas import OpportunityKind
from data.storage.snapshots import EmployeeSnapshot, OpportunitySnapshot
from data.storage.tables import EmployeeRow, OpportunityRow
from data.taxonomy.relatedness import OccupationRelatedness
from fairness import demographics
from fairness.audit_digests import (
    as_kept,
    explained_digest,
    holds_numbers,
    said,
    scores_digest,
)
from fairness.audit_log import encode_matrix
from fairness.audit_record import LoggedItem, ServedRanking
from fairness.exploration import seed_for
from fairness.policy import Override, PolicySettings, active_overrides, load_policy
from fairness.rerank import Membership, ServedOrder, serve_order
from features.declared import declared_tiers
from features.registry import FEATURE_NAMES, registry_hash
from matching.explain import (
    EMPLOYEE,
    LEAD,
    PairDetails,
    explain,
    pair_details,
    paused_explanation,
    paused_weighing,
)
from matching.filters import MatchFilters, facets
from matching.masking import VISIBLE_POOL, mask_pool, revealed_card
from matching.next_moves import next_moves
from matching.pipeline import (
    PageRowsChanged,
    RankedHit,
    Scored,
    score_candidates,
    score_matches,
)
from matching.results import candidate_items, learning_for_page
from matching.shortfall import Posting, Seeker, Why, why_candidates, why_matches
from matching.stages import stage
from matching.views import CandidateItem, EmployeeExplanation, LeadWeighing
from matching.whatif import WhatIf, what_if
from serving.auth import Principal
from serving.errors import Conflict, NotFound
from serving.presenters.matches import MatchCard, match_cards
from serving.state import ServiceState
from serving.usecases.interleaving import ListDraft, draft_for
from serving.usecases.serving_context import live_model

# What the model's reasons are made into: an employee's, or a lead's (said from the card).
ExplanationT = TypeVar("ExplanationT", EmployeeExplanation, LeadWeighing)


@dataclass(frozen=True, slots=True)
class Audience(Generic[ExplanationT]):
    """Who reads a ranking's explanations, and how they are made for them."""

    name: str  # the record's `audience`: employee | lead
    # The page's feature rows and their details -> one explanation per row.
    explain: Callable[[np.ndarray, Sequence[Mapping[str, Any]]], list[ExplanationT]]
    paused: Callable[[], ExplanationT]  # what is said while HR pauses the kind


@dataclass(frozen=True, slots=True)
class Served(Generic[ExplanationT]):
    """A ranking ready to be shown, and the record that says so."""

    page: list[RankedHit]
    explanations: list[ExplanationT]  # one per page item, same order
    order: ServedOrder
    record: ServedRanking


def serve_matches(
    state: ServiceState,
    session: Session,
    user: Principal,
    employee: EmployeeRow,
    *,
    kind: str,
    limit: int,
    request_id: str,
    filters: MatchFilters | None = None,
    offset: int = 0,
    fresh_request_id: bool = False,
) -> dict[str, Any]:
    """Open opportunities of one kind ranked for this person (`_serve_matches`), ranked again
    when a posting the page was to show changed since this process held it (another worker
    closed, edited or deleted it moments ago): the page shows postings as they are stored."""
    return _as_stored(
        lambda check_rows: _serve_matches(
            state,
            session,
            user,
            employee,
            kind=kind,
            limit=limit,
            request_id=request_id,
            filters=filters,
            offset=offset,
            fresh_request_id=fresh_request_id,
            check_rows=check_rows,
        ),
        forget=state.matcher.forget_opportunities,
        take_in=lambda moved: state.matcher.refresh_opportunity_rows(
            [r for r in moved if isinstance(r, OpportunitySnapshot)]
        ),
    )


# A page whose rows changed under it is ranked again; the last attempt shows them as read.
PAGE_ATTEMPTS = 3


def _as_stored(
    serve: Callable[[bool], dict[str, Any]],
    *,
    forget: Callable[[list[int]], None],
    take_in: Callable[[list[EmployeeSnapshot | OpportunitySnapshot]], None],
) -> dict[str, Any]:
    """`serve(check_rows)` until its page's rows are held as stored: the rows deleted since
    are forgotten and the rows written since taken in before each new attempt; the last one
    checks nothing (it reads every row, see `_serve_matches`)."""
    for attempt in range(PAGE_ATTEMPTS):
        try:
            return serve(attempt < PAGE_ATTEMPTS - 1)
        except PageRowsChanged as changed:
            forget(changed.gone)
            take_in(changed.moved)
    raise AssertionError("unreachable: the last attempt reads every row and raises nothing")


def _serve_matches(
    state: ServiceState,
    session: Session,
    user: Principal,
    employee: EmployeeRow,
    *,
    kind: str,
    limit: int,
    request_id: str,
    filters: MatchFilters | None = None,
    offset: int = 0,
    fresh_request_id: bool = False,
    check_rows: bool = True,
) -> dict[str, Any]:
    """Open opportunities of one kind ranked for this person, with the reasons, the skills
    matched and missing, and ways to close the gaps. `filters` narrow the eligible list the
    ranker scored (its order kept); `offset` skips the ranks of the pages before.
    `fresh_request_id`: the server minted `request_id` (a random UUID), so no record holds it
    and the audit log need not look. `check_rows`: False on the last attempt, which reads every
    retrieved row, leaves out those deleted and shows the others as read."""
    filters = filters or MatchFilters()
    refuse_deactivated(employee)
    state.matcher.ensure_employee(employee)
    model = live_model(state, "employee")
    now = dt.datetime.now(dt.UTC)
    everything = score_matches(session, state.matcher, model, employee, kind=kind, now=now)
    if filters.active or not check_rows:
        # Filters read the postings' rows; a last attempt reads them all, so that a posting
        # deleted meanwhile is left out wherever it ranked.
        everything = everything.read_all(session)
    scored = everything.only(filters.keeps) if filters.active else everything
    committed = state.matcher.committed_hours(employee.id)
    served = _serve(
        scored,
        request_id=request_id,
        caller_role=user.role.value,
        direction="employee",
        kind=kind,
        query_external_id=employee.external_id,
        model=model.describe(),
        settings=load_policy(session, kind),
        limit=limit,
        details=lambda i: pair_details(
            employee, scored.row(i), scored.features[i], committed_hours=committed
        ),
        shown=lambda page: scored.show_page(
            session, page, state.matcher.posting_moved if check_rows else None
        ),
        audience=Audience(
            EMPLOYEE,
            lambda rows, details: explain(model.contributions, rows, details, audience=EMPLOYEE),
            paused_explanation,
        ),
        now=now,
        offset=offset,
        filters=filters.as_dict(),
        draft=draft_for(
            state,
            session,
            scored,
            direction="employee",
            kind=kind,
            live_version=model.version,
            query_external_id=employee.external_id,
            now=now,
        ),
    )
    with stage("page"):
        rows = scored.shown_rows()  # the page's, read by `shown`
        page = [rows[hit.row_id] for hit in served.page]
        matcher = state.matcher
        learning = learning_for_page(
            session, employee, page, held=matcher.read_model, catalog=matcher.courses
        )
        items = match_cards(employee, served.page, rows, served.explanations, learning)
    seeker = Seeker.of(employee, committed_hours=committed)
    # A later page or a filtered list is short for reasons of its own: `matched` says them.
    plain = not filters.active and offset == 0
    why = (
        why_matches(scored.report, kind=kind, seeker=seeker, shown=len(items), asked=limit)
        if plain
        else None
    )
    body = _page(state, model.describe(), served, scored, items, why=why, fresh_id=fresh_request_id)
    body["matched"] = len(scored.items)
    body["offset"] = offset
    body["next_offset"] = offset + limit if offset + limit < len(scored.items) else None
    body["filters"] = filters.as_dict()
    body["facets"] = facets(everything.inputs)
    if kind == OpportunityKind.ROLE.value:
        body["next_moves"] = good_next_moves(state, employee)
    return body


NEXT_MOVES_SHOWN = 5


def good_next_moves(state: ServiceState, employee: EmployeeRow) -> list[dict[str, Any]]:
    """Occupations next to the person's own that they are readiest for, with the gap: roles
    worth aiming at whether or not one is posted here now ([] without an occupation)."""
    occupation = employee.occupation_id
    if occupation is None or occupation not in state.taxonomy.occupations:
        return []
    relatedness = OccupationRelatedness.from_taxonomy(state.taxonomy)
    held = [s.skill_id for s in employee.skills]
    moves = next_moves(state.taxonomy, relatedness, occupation, held, limit=NEXT_MOVES_SHOWN)
    return [dataclasses.asdict(move) for move in moves]


def serve_candidates(
    state: ServiceState,
    session: Session,
    user: Principal,
    opportunity: OpportunityRow,
    *,
    limit: int,
    request_id: str,
    fresh_request_id: bool = False,
) -> dict[str, Any]:
    """Ranked candidates (`_serve_candidates`), ranked again when a person the page was to
    show changed since this process held them (another worker deactivated, edited or erased
    them moments ago)."""
    return _as_stored(
        lambda check_rows: _serve_candidates(
            state,
            session,
            user,
            opportunity,
            limit=limit,
            request_id=request_id,
            fresh_request_id=fresh_request_id,
            check_rows=check_rows,
        ),
        forget=state.matcher.forget_employees,
        take_in=lambda moved: state.matcher.refresh_employee_rows(
            [r for r in moved if isinstance(r, EmployeeSnapshot)]
        ),
    )


def _serve_candidates(
    state: ServiceState,
    session: Session,
    user: Principal,
    opportunity: OpportunityRow,
    *,
    limit: int,
    request_id: str,
    fresh_request_id: bool = False,
    check_rows: bool = True,
) -> dict[str, Any]:
    """Ranked candidates with identities masked; only an admin also sees their external ids.
    `fresh_request_id`: the server minted `request_id` (as for serve_matches)."""
    state.matcher.ensure_opportunity(opportunity)
    model = live_model(state, "opportunity")
    now = dt.datetime.now(dt.UTC)
    scored = score_candidates(session, state.matcher, model, opportunity, now=now)
    if not check_rows:  # a last attempt: everyone deleted meanwhile left out, as for postings
        scored = scored.read_all(session)
    row_ids = [item.id for item in scored.items]
    overrides = active_overrides(session, opportunity.external_id)
    served = _serve(
        scored,
        request_id=request_id,
        caller_role=user.role.value,
        direction="opportunity",
        kind=opportunity.kind,
        query_external_id=opportunity.external_id,
        model=model.describe(),
        settings=load_policy(session, opportunity.kind),
        limit=limit,
        details=lambda i: pair_details(scored.row(i), opportunity, scored.features[i]),
        shown=lambda page: scored.show_page(
            session, page, state.matcher.person_moved if check_rows else None
        ),
        audience=Audience(
            LEAD,
            lambda rows, details: explain(model.contributions, rows, details, audience=LEAD),
            paused_weighing,
        ),
        # Protected attributes are joined here for the re-ranker only: the lead's response
        # carries no moves, scores or amounts (they would show who was moved up), and the
        # audit log keeps a keyed digest of the membership, not the membership.
        membership=lambda attribute: demographics.column_of_rows(session, row_ids, attribute),
        overrides=overrides,
        key=state.pseudonym_key,
        now=now,
        draft=draft_for(
            state,
            session,
            scored,
            direction="opportunity",
            kind=opportunity.kind,
            live_version=model.version,
            query_external_id=opportunity.external_id,
            now=now,
        ),
    )
    with stage("page"):
        rows = scored.shown_rows()  # the page's, read by `shown`
        pinned = {o.employee_external_id for o in overrides if o.action == "pin"}
        admin = user.role.value == "admin"
        if admin:  # sees who each candidate is (operations, evaluation): nothing to hide
            cards = {
                hit.row_id: revealed_card(rows[hit.row_id], opportunity) for hit in served.page
            }
        else:
            # Coarsened within the pool the lead could be shown in any one list (the route's
            # largest limit), so that no card is told apart from k-1 others there.
            visible = served.order.order[:VISIBLE_POOL].tolist()
            # From the inputs the features were computed from: no skills read for 100 people.
            masked = mask_pool(
                [scored.inputs[i] for i in visible], opportunity, k=state.settings.mask_k
            )
            cards = {scored.items[i].id: view for i, view in zip(visible, masked, strict=True)}
        items = candidate_items(
            opportunity,
            served.page,
            rows,
            state.pseudonym_key,
            served.explanations,
            cards,
            reveal_ids=admin,
        )
        for item, hit in zip(items, served.page, strict=True):
            item["pinned"] = hit.external_id in pinned
    retrieved = set(scored.ids)
    why = why_candidates(
        scored.report,
        posting=Posting.of(opportunity),
        shown=len(items),
        asked=limit,
        hidden=sum(o.action == "hide" and o.employee_external_id in retrieved for o in overrides),
        k=state.settings.mask_k,
        exact=admin,
        own=user.is_self(opportunity.owner_external_id),
        holding_required=int(
            (scored.features[:, FEATURE_NAMES.index("required_coverage")] > 0).sum()
        ),
    )
    body = _page(state, model.describe(), served, scored, items, why=why, fresh_id=fresh_request_id)
    if not admin:  # exact counts of people could single someone out: `why` says them banded
        del body["retrieval"]["removed_by_rule"]
    return body


def what_if_page(
    state: ServiceState, session: Session, employee: EmployeeRow, opportunity: OpportunityRow
) -> WhatIf:
    """Which one skill added, or one level raised, would move this opportunity up the most,
    rescored by the live model; and where to correct the profile."""
    if load_policy(session, opportunity.kind).paused:
        raise Conflict(
            f"automated ranking of {opportunity.kind} opportunities is paused by HR, "
            "so there is no ranking to move up in"
        )
    refuse_deactivated(employee)
    state.matcher.ensure_employee(employee)
    model = live_model(state, "employee")
    now = dt.datetime.now(dt.UTC)
    scored = score_matches(session, state.matcher, model, employee, kind=opportunity.kind, now=now)
    result = what_if(session, state.matcher, model, employee, opportunity, scored, now=now)
    if result is None:
        raise NotFound(
            f"{opportunity.external_id!r} is not among your current matches (not eligible, or "
            "not among the most similar opportunities of its kind)"
        )
    result["model"] = model.describe()
    result["correct_profile"] = {
        "method": "PUT",
        "path": f"/api/v1/employees/{employee.external_id}/skills/{{skill_id}}",
        "body": {"level": "1..5"},
    }
    return result


def _page(
    state: ServiceState,
    model: dict[str, str],
    served: Served[EmployeeExplanation] | Served[LeadWeighing],
    scored: Scored,
    items: list[MatchCard] | list[CandidateItem],
    *,
    why: Why | None,
    fresh_id: bool = False,
) -> dict[str, Any]:
    """The response, once built, and its record appended (filed under a unique request id: an
    id a client reused gets a suffix, which the response then carries; an id the server minted,
    `fresh_id`, is in no record, so the log does not look). `why`: what left the list empty or
    short, when it is."""
    body: dict[str, Any] = {
        "items": items,
        "model": model,
        "ranking": {"policy": served.order.policy["name"]},
        "retrieval": {**scored.report.as_dict(), "ranked": len(scored.items)},
    }
    if why is not None:
        body["why"] = why
    with stage("audit_write"):
        body["request_id"] = state.audit.append(served.record, fresh_id=fresh_id).request_id
    return body


def list_identity(
    direction: str,
    query_external_id: str,
    kind: str,
    limit: int,
    filters: dict[str, str | float | bool] | None,
    now: dt.datetime | None,
) -> str:
    """What makes two requests pages of one list: whose, which kind, the page size, the filters
    and the day (a reload the same day shows the same explored list)."""
    day = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date().isoformat()
    parts = [direction, query_external_id, kind, limit, filters or {}, day]
    return json.dumps(parts, sort_keys=True, default=str)


def _serve(
    scored: Scored,
    *,
    request_id: str,
    caller_role: str,
    direction: str,
    kind: str,
    query_external_id: str,
    model: dict[str, str],
    settings: PolicySettings,
    limit: int,
    details: Callable[[int], PairDetails],
    audience: Audience[ExplanationT],
    shown: Callable[[list[int]], None] | None = None,
    membership: Membership | None = None,
    overrides: Sequence[Override] = (),
    key: bytes = b"",
    now: dt.datetime | None = None,
    offset: int = 0,
    filters: dict[str, str | float | bool] | None = None,
    draft: ListDraft | None = None,
) -> Served[ExplanationT]:
    ids = scored.ids
    with stage("rerank"):
        order = serve_order(
            # Interleaving: the policy re-ranks the team draft (serving/usecases/interleaving.py).
            scored.scores if draft is None else draft.scores,
            scored.similarity,
            ids,
            settings=settings,
            page=limit,
            membership=membership,
            overrides=overrides,
            key=key,
            # A lead's candidates: who declares a required skill comes first (features/declared.py).
            tiers=declared_tiers(scored.features) if direction == "opportunity" else None,
            # The first page explores (fairness/exploration.py), seeded by the list, not the
            # request: a later page re-draws the same first page and continues it, so an item an
            # explored slot displaced shows there and none shows twice. Logged for replay.
            explore_seed=seed_for(
                list_identity(direction, query_external_id, kind, limit, filters, now)
            ),
        )
    after = {int(i): rank for rank, i in enumerate(order.order.tolist(), start=1)}
    page_rows = order.order[offset : offset + limit].tolist()
    if shown is not None:
        shown(page_rows)  # what the page says of its items reads their skills
    with stage("explain"):
        page_details = [details(i) for i in page_rows]
        if settings.paused:
            explanations = [audience.paused() for _ in page_rows]
        else:
            explanations = audience.explain(scored.features[page_rows], page_details)
    record: ServedRanking = {
        "request_id": request_id,
        "served_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
        "caller_role": caller_role,
        "direction": direction,
        "kind": kind,
        "query_external_id": query_external_id,
        "model": {
            "version": model["version"],
            "source": model["source"],
            "feature_hash": registry_hash(),
        },
        "policy": order.policy,
        "page_size": limit,
        "items": [_logged(i, ids[i], scored, order, after.get(i), offset) for i in range(len(ids))],
        # The exact scores as a digest, each item's rounded to float32 (fairness/audit_digests.py).
        "scores_sha256": scores_digest(scored.scores),
        "features": encode_matrix(scored.features),
        "audience": audience.name,
        # What the page's explanations were built from and what they said (replay checks it);
        # their numbers as one digest (fairness/audit_digests.py).
        "explained": [
            {"id": ids[i], "details": dict(d), "explanation": said(e)}
            for i, d, e in zip(page_rows, page_details, explanations, strict=True)
        ],
        "moves": order.moves,
        "overrides": order.overrides,
        "retrieval": scored.report.as_dict(),
    }
    if holds_numbers(explanations):
        record["explained_sha256"] = explained_digest(explanations)
    if offset:
        record["offset"] = offset
    if filters:
        record["filters"] = filters
    if draft is not None:
        record["interleaving"] = draft.logged(ids, page_rows, order.overrides)
    page = scored.hits(page_rows)
    if settings.paused:  # what people see is the similarity order, and its scores
        page = [dataclasses.replace(hit, score=hit.similarity) for hit in page]
    return Served(page, explanations, order, record)


def _logged(
    i: int, item_id: str, scored: Scored, order: ServedOrder, after: int | None, offset: int
) -> LoggedItem:
    """Item `i` as the record keeps it (its propensity on a first page only)."""
    item: LoggedItem = {
        "id": item_id,
        "score": as_kept(scored.scores[i]),
        "similarity": float(scored.similarity[i]),
        "before": int(order.before[i]),
        "after": after,
    }
    if not offset:
        item["propensity"] = float(order.propensity[i])
    return item


def refuse_deactivated(employee: EmployeeRow) -> None:
    """A person the HR system deactivated (SCIM) is matched with nothing until reactivated."""
    if not employee.active:
        raise Conflict(f"{employee.external_id} is deactivated: matched with nothing")
