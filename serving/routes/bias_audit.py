"""HR's bias audit in NYC Local Law 144's form, its public summary, and the impact assessment.

`GET /api/v1/audits/bias-audit` (HR, admin): the audit of a period and kind as JSON, CSV, PDF
or HTML; `POST /api/v1/audits/bias-audit/publish` stores the public summary; `GET
/api/v1/public/bias-audit` (no sign-in) shows the newest one published. `GET
/api/v1/audits/impact-assessment` (HR, admin): the draft for HR to complete.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from data.schemas import IsoDate, OpportunityKind, Role
from serving.bias_audit_schemas import BiasAuditOut, ImpactAssessmentOut, PublishedOut
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, InvalidField, documented
from serving.usecases.bias_audit import (
    FORMATS,
    assessment,
    audit_document,
    publish,
    published_page,
    rendered,
)

router = APIRouter(prefix="/api/v1/audits", tags=["audits"], responses=API_ERRORS)
# No token is read here: the guard's and validation's answers only.
PUBLIC_PREFIX = "/api/v1/public"
public_router = APIRouter(
    prefix=PUBLIC_PREFIX, tags=["public"], responses=documented(408, 413, 422, 429, 503)
)
MAX_PERIOD_DAYS = 3 * 366  # an audit reads the whole logs of its period

Start = Annotated[IsoDate, Query(description="first day audited (YYYY-MM-DD, UTC)")]
End = Annotated[IsoDate, Query(description="last day audited, included (YYYY-MM-DD, UTC)")]
Kind = Annotated[OpportunityKind | None, Query(description="one kind; every kind when left out")]
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/html": {"schema": {"type": "string"}},
        },
        "description": "the audit in the format asked for",
    }
}


def _period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise InvalidField("period_end", "must not be before period_start", where="query")
    if end >= dt.date.max:
        raise InvalidField("period_end", "must be before 9999-12-31", where="query")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise InvalidField(
            "period_end", f"a period is at most {MAX_PERIOD_DAYS} days", where="query"
        )


def _file(body: bytes | str | dict[str, Any], fmt: str, name: str) -> Any:
    if isinstance(body, dict):
        return body
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "html":
        return HTMLResponse(body)
    return Response(body, media_type=FORMATS[fmt], headers=headers)


@router.get("/bias-audit", response_model=BiasAuditOut, responses={**FILES, **documented(403, 422)})
def bias_audit(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    period_start: Start,
    period_end: End,
    kind: Kind = None,
    format: Literal["json", "csv", "pdf", "html"] = "json",
) -> Any:
    """Counts per category (sex, race/ethnicity, their intersections; unknowns apart),
    selection rates of the pass/fail steps, scoring rates of the ranked lists, impact ratios,
    and the categories under 2% left out of the ratios, with their counts (docs/bias-audit.md).
    Small cells are suppressed unless the token has the `auditor` permission (logged)."""
    user.require(Role.HR, Role.ADMIN)
    _period(period_start, period_end)
    document = audit_document(
        state, session, user, period_start, period_end, kind.value if kind else None
    )
    if format == "json":
        return document
    name = f"bias-audit-{kind.value if kind else 'all'}-{period_start}-{period_end}"
    return _file(rendered(document, format), format, name)


@router.post("/bias-audit/publish", response_model=PublishedOut, responses=documented(403, 422))
def publish_bias_audit(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    period_start: Start,
    period_end: End,
    kind: Kind = None,
) -> dict[str, Any]:
    """Store the public summary of this audit (small cells always suppressed) with today's
    date; the public page shows it as published. The publication is on the oversight log."""
    user.require(Role.HR, Role.ADMIN)
    _period(period_start, period_end)
    return publish(state, session, user, period_start, period_end, kind.value if kind else None)


@public_router.get(
    "/bias-audit",
    response_class=HTMLResponse,
    responses=documented(404),
)
def public_bias_audit(
    state: StateDep,
    kind: Annotated[
        Literal["all", "gig", "mentorship", "role"], Query(description="the audit's kind")
    ] = "all",
) -> HTMLResponse:
    """The newest published bias audit summary: aggregates only, no one's data."""
    return HTMLResponse(published_page(state, kind))


@router.get(
    "/impact-assessment",
    response_model=ImpactAssessmentOut,
    responses={**FILES, **documented(403, 422)},
)
def impact_assessment(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    period_start: Start,
    period_end: End,
    format: Literal["json", "pdf", "html"] = "html",
) -> Any:
    """A draft drawn from the system's figures (purpose, data read and never read, the
    fairness monitor week by week, oversight in place, incidents) with sections for HR."""
    user.require(Role.HR, Role.ADMIN)
    _period(period_start, period_end)
    body = assessment(state, session, period_start, period_end, format)
    return _file(body, format, f"impact-assessment-{period_start}-{period_end}")
