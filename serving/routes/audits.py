"""HR's audit surface: the served-ranking log, its verification, replay, policies and pauses."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import Field

from data.schemas import ContractModel, IsoDate, OpportunityKind, Role
from data.storage.audit_search import opportunity_titles, person_names
from data.storage.oversight import events as oversight_events
from fairness import demographics
from fairness.audit_record import ServedRanking
from fairness.exploration import DEFAULT_DEPTH, DEFAULT_SHARE, MAX_SHARE
from fairness.policy import PolicySettings, all_policies, set_policy
from fairness.report_html import building_page
from serving.builds import Built
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, Conflict, InvalidField, documented
from serving.presenters.policies import policy_document
from serving.schemas import (
    BuildingOut,
    CheckpointOut,
    LiveModelsOut,
    OutcomesOut,
    OversightOut,
    PolicyOut,
    ReplayOut,
    ReportOut,
    ServedListsOut,
    VerifyOut,
)
from serving.timestamps import utc_iso
from serving.usecases.audit import (
    log_search,
    outcomes_build,
    read_ranking,
    replay_ranking,
    report_build,
)
from serving.usecases.audit_search import search_rankings
from serving.usecases.model_cards import model_cards
from serving.validation import Reason

router = APIRouter(prefix="/api/v1/audits", tags=["audits"], responses=API_ERRORS)
MAX_TARGET_GROUPS = 50  # categories of one attribute a DetGreedy policy may target


class PolicyIn(ContractModel):
    """A kind's re-ranking policy; `paused: true` switches automated ranking off for the kind."""

    policy: Literal["off", "fa*ir", "detgreedy"] = "fa*ir"
    attribute: Literal["gender", "race_ethnicity", "age_band", "disability"] = "gender"
    protected: str | None = Field(default="female", max_length=80, pattern=r"^[^\x00]*$")
    p: float | None = Field(default=None, gt=0, lt=1)
    alpha: float = Field(default=0.3, gt=0, lt=1)
    targets: (
        Annotated[
            dict[
                Annotated[str, Field(max_length=80, pattern=r"^[^\x00]*$")],
                Annotated[float, Field(ge=0, le=1)],
            ],
            Field(max_length=MAX_TARGET_GROUPS),
        ]
        | None
    ) = None
    paused: bool = False
    # Honest exploration (fairness/exploration.py): never the first three slots.
    explore: bool = True
    explore_share: float = Field(default=DEFAULT_SHARE, ge=0, le=MAX_SHARE)
    explore_depth: int = Field(default=DEFAULT_DEPTH, ge=1, le=100)
    reason: Reason


@router.get("/policies", response_model=dict[str, PolicyOut], responses=documented(403))
def policies(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    user.require(Role.HR, Role.ADMIN)
    return {kind: policy_document(s) for kind, s in all_policies(session).items()}


@router.put("/policies/{kind}", response_model=PolicyOut, responses=documented(400, 415, 403))
def put_policy(
    session: SessionDep, user: CurrentUser, kind: OpportunityKind, body: PolicyIn
) -> dict[str, Any]:
    """Set a kind's policy or pause its automated ranking; the change is logged with the reason."""
    user.require(Role.HR, Role.ADMIN)
    _name_reported_groups(session, body)
    try:
        settings = PolicySettings(
            name=body.policy,
            attribute=body.attribute,
            protected=body.protected,
            p=body.p,
            alpha=body.alpha,
            targets=body.targets,
            paused=body.paused,
            explore=body.explore,
            explore_share=body.explore_share,
            explore_depth=body.explore_depth,
        )
    except ValueError as invalid:
        field = "targets" if "targets" in str(invalid) else "protected"
        raise InvalidField(field, str(invalid)) from None
    set_policy(
        session,
        kind.value,
        settings,
        actor_role=user.role.value,
        actor=user.actor,
        reason=body.reason,
    )
    return policy_document(settings)


def _name_reported_groups(session: SessionDep, body: PolicyIn) -> None:
    """A policy protects or targets groups people actually reported: a misspelt category
    would silently protect no one."""
    if body.policy == "off" or body.paused:
        return
    reported = demographics.reported(session, body.attribute)
    if body.policy == "fa*ir" and body.protected is not None and body.protected not in reported:
        raise InvalidField(
            "protected",
            f"nobody reported {body.attribute} = {body.protected!r}; reported: {sorted(reported)}",
        )
    unknown = sorted(set(body.targets or {}) - reported)
    if body.policy == "detgreedy" and unknown:
        raise InvalidField(
            "targets",
            f"nobody reported {body.attribute} = {unknown[0]!r}; reported: {sorted(reported)}",
        )


@router.get("/oversight", response_model=OversightOut, responses=documented(403))
def oversight(
    session: SessionDep,
    user: CurrentUser,
    start: Annotated[IsoDate | None, Query(alias="from")] = None,
    end: Annotated[IsoDate | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Pauses, policy changes, pins, hides and revocations, newest first."""
    user.require(Role.HR, Role.ADMIN)
    rows = oversight_events(session, *_window(start, end), newest_first=True, limit=1000)
    titles = opportunity_titles(
        session, [r.opportunity_external_id for r in rows if r.opportunity_external_id]
    )
    # Who acted, by name, for auditors (as with whom a served list was for).
    names = person_names(session, [r.actor for r in rows]) if "auditor" in user.scopes else {}
    return {
        "items": [
            {
                "at": utc_iso(row.at),
                "actor_role": row.actor_role,
                "actor": row.actor,
                "actor_name": names.get(row.actor),
                "action": row.action,
                "kind": row.kind,
                "opportunity_external_id": row.opportunity_external_id,
                "opportunity_title": titles.get(row.opportunity_external_id or ""),
                "reason": row.reason,
                "details": row.details,
            }
            for row in rows
        ]
    }


@router.get("/verify", response_model=VerifyOut, responses=documented(403))
def verify(state: StateDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Walk the sealed chains: any edited, deleted or reordered served ranking, interaction or
    oversight event is named, and so is a truncation the head file remembers. An empty log
    nothing vouches for is `unverifiable`, not intact."""
    user.require(Role.HR, Role.ADMIN)
    return state.audit.verify(session).as_dict()


@router.get("/checkpoint", response_model=CheckpointOut, responses=documented(403, 409))
def checkpoint(state: StateDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """A signed checkpoint (record and seal counts, newest seals) of the log as verified now,
    after sealing every interaction and oversight event written so far: keep it outside this
    server; `talent audit verify --checkpoint FILE` later proves that nothing
    before it was removed or rewritten."""
    user.require(Role.HR, Role.ADMIN)
    result, exported = state.audit.export_checkpoint(session)
    if exported is None:
        raise Conflict(
            {"message": "the log does not verify; no checkpoint", "problems": result.problems}
        )
    return exported.as_dict()


@router.get("/rankings", response_model=ServedListsOut, responses=documented(403))
def served_rankings(
    session: SessionDep,
    user: CurrentUser,
    kind: OpportunityKind | None = None,
    direction: Literal["employee", "opportunity"] | None = None,
    request_id: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=r"^[^\x00]*$",
            description="words, all of which a ranking's readable fields must hold: request "
            "id, kind, list, day served, opportunity id or title; a person's id or name "
            "(auditors only)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The newest served rankings (to find one to replay): when, which direction and kind,
    for which opportunity (with its title). Whom an employee's list was for, by id and name,
    and finding a person's rankings need the `auditor` permission."""
    user.require(Role.HR, Role.ADMIN)
    auditor = "auditor" in user.scopes
    found = search_rankings(
        session,
        query=q if q is not None else request_id,
        auditor=auditor,
        kind=kind.value if kind else None,
        direction=direction,
        limit=limit,
    )
    if found.person_searched:
        log_search(session, user, q or "")
    items = [item | {"served_at": utc_iso(item["served_at"])} for item in found.items]
    return {"items": items, "note": found.note}


@router.get("/rankings/{request_id}", response_model=ServedRanking, responses=documented(403, 404))
def ranking(session: SessionDep, user: CurrentUser, request_id: str) -> dict[str, Any]:
    """One served ranking as logged, item by item (feature rows included, for replay).

    With the re-ranker's moves it tells who is in the protected group, so it needs the
    `auditor` permission, and the read is logged."""
    user.require(Role.HR, Role.ADMIN)
    user.require_scope("auditor")
    return dict(read_ranking(session, user, request_id))


@router.get(
    "/rankings/{request_id}/replay",
    response_model=ReplayOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404),
)
def replay_served(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    request_id: str,
    items: Annotated[
        bool, Query(description="also list who was served and replayed (auditor permission)")
    ] = False,
) -> dict[str, Any]:
    """Score the logged inputs again with the logged model version and re-apply the policy;
    says whether scores, order and explanations came out the same, without naming anyone
    unless `items=true` (auditors; logged)."""
    user.require(Role.HR, Role.ADMIN)
    if items:
        user.require_scope("auditor")
    return replay_ranking(state, session, user, request_id, items=items)


RETRY_AFTER_S = 2
# The contract of every built read (report, report.html, outcomes): 200 with the figures when
# they are cached or built within a short wait; else 202 with the job, to ask again.
BUILDING: dict[int | str, dict[str, Any]] = {
    202: {
        "model": BuildingOut,
        "description": "Not built yet: built on a worker thread, never in a request slot. Ask "
        "again at `poll` (this URL with `job=<job_id>`) after Retry-After seconds; it answers "
        "200 once built, with the figures as of the first request or later. Identical requests "
        "share one build, and a built answer is reused until the data it read changes.",
        "headers": {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}},
            "Location": {"description": "where to ask again", "schema": {"type": "string"}},
        },
    }
}
SMALL_CELLS = (
    " Cells of a figure split by a protected attribute that hold fewer than "
    "`TALENT_MIN_CELL_SIZE` people (10 by default) are suppressed (`suppressed: true`, figures "
    "null), and so are others where a total would give one back; a token with the `auditor` "
    "permission sees every cell, and each such read is logged."
)


JobId = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9a-f]{16}$",
        description="the job a 202 answered with: its figures once built (polling)",
    ),
]


def _poll_url(request: Request, built: Built) -> str:
    assert built.job is not None
    url = request.url.include_query_params(job=built.job.job_id)
    return f"{url.path}?{url.query}"


def _pending(request: Request, built: Built) -> JSONResponse:
    assert built.job is not None
    poll = _poll_url(request, built)
    headers = {"Retry-After": str(RETRY_AFTER_S), "Location": poll}
    return JSONResponse(built.job.view(poll, RETRY_AFTER_S), status_code=202, headers=headers)


@router.get(
    "/report",
    response_model=ReportOut,
    responses={**BUILDING, **documented(403)},
    description="Fairness figures for served rankings and lead decisions in [from, to] "
    "(dates, UTC)." + SMALL_CELLS,
)
def report(
    request: Request,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    start: Annotated[IsoDate | None, Query(alias="from")] = None,
    end: Annotated[IsoDate | None, Query(alias="to")] = None,
    job: JobId = None,
) -> Any:
    user.require(Role.HR, Role.ADMIN)
    built = report_build(state, session, user, *_window(start, end), html=False, job_id=job)
    return built.value.as_dict() if built.ready else _pending(request, built)


@router.get(
    "/outcomes",
    response_model=OutcomesOut,
    responses={**BUILDING, **documented(403)},
    description="Internal fill rate, time to first application and to fill, participation "
    "(by department and by group), mobility velocity, skills-gap closure, time to "
    "proficiency, mentor load and waitlists, identity reveals: for [from, to] (dates, UTC), "
    "one department or all." + SMALL_CELLS,
)
def outcomes(
    request: Request,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    start: Annotated[IsoDate | None, Query(alias="from")] = None,
    end: Annotated[IsoDate | None, Query(alias="to")] = None,
    department: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    job: JobId = None,
) -> Any:
    user.require(Role.HR, Role.ADMIN)
    built = outcomes_build(
        state, session, user, *_window(start, end), department=department, job_id=job
    )
    return built.value if built.ready else _pending(request, built)


@router.get("/models", response_model=LiveModelsOut, responses=documented(403))
def live_models(state: StateDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The model serving each direction and its card (what it is for, what it learned from,
    how it scored against the baselines, its features)."""
    user.require(Role.HR, Role.ADMIN)
    return {"items": model_cards(state, session)}


@router.get(
    "/report.html",
    response_class=HTMLResponse,
    responses={
        202: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "Not built yet: a page that reloads itself until the report is "
            "built (see GET /api/v1/audits/report)",
            "headers": BUILDING[202]["headers"],
        },
        **documented(403),
    },
    description="The same figures as an HTML page with charts." + SMALL_CELLS,
)
def report_html(
    request: Request,
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    start: Annotated[IsoDate | None, Query(alias="from")] = None,
    end: Annotated[IsoDate | None, Query(alias="to")] = None,
    job: JobId = None,
) -> HTMLResponse:
    user.require(Role.HR, Role.ADMIN)
    built = report_build(state, session, user, *_window(start, end), html=True, job_id=job)
    if built.ready:
        return HTMLResponse(built.value)
    assert built.job is not None
    poll = _poll_url(request, built)
    return HTMLResponse(
        building_page(built.job.queued_at, RETRY_AFTER_S, poll),
        status_code=202,
        headers={"Retry-After": str(RETRY_AFTER_S), "Location": poll},
    )


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def _window(
    start: dt.date | None, end: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if start is not None and end is not None and end < start:
        raise InvalidField("to", "must not be before 'from'", where="query")
    if end is not None and end >= dt.date.max:
        raise InvalidField("to", "must be before 9999-12-31", where="query")
    return (
        _midnight(start) if start else None,
        _midnight(end + dt.timedelta(days=1)) if end else None,
    )
