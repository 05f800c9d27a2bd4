"""A person's rights around the automated ranking, and HR's side of them.

The person (an employee's or lead's token, for themself): `GET /api/v1/me/decisions`, review
requests (`/api/v1/me/reviews`) and data corrections (`/api/v1/me/corrections`). HR (or an
admin): the queues (`/api/v1/reviews`, `/api/v1/corrections`), one decision on each, and the
review's service-level time. Anyone signed in: `GET /api/v1/me/ranking-notice`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from fairness.demographics import ATTRIBUTES
from features.registry import BY_NAME, FEATURE_NAMES
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, documented
from serving.rights_schemas import (
    CorrectionAsk,
    CorrectionDecide,
    CorrectionOut,
    CorrectionsOut,
    DecisionsOut,
    HrReviewsOut,
    NoticeOut,
    ReviewAsk,
    ReviewDecide,
    ReviewDetailOut,
    ReviewOut,
    ReviewsOut,
    SlaIn,
    SlaOut,
)
from serving.usecases import corrections, reviews
from serving.usecases.decisions import my_decisions
from serving.usecases.model_cards import model_cards

router = APIRouter(prefix="/api/v1", tags=["rights"], responses=API_ERRORS)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.get("/me/decisions", response_model=DecisionsOut, responses=documented(403))
def decisions(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Each step taken on your applications and invitations, when, by whom (a role), your place
    in the lead's list behind it (position, the reasons in words, model and policy), and what
    you can do."""
    return my_decisions(session, user)


@router.get("/me/reviews", response_model=ReviewsOut, responses=documented(403))
def my_reviews(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return reviews.my_reviews(session, user, now=_now())


@router.post(
    "/me/reviews",
    status_code=201,
    response_model=ReviewOut,
    responses=documented(400, 403, 404, 409, 415),
)
def ask_review(session: SessionDep, user: CurrentUser, body: ReviewAsk) -> dict[str, Any]:
    """Ask for a person in HR to review one decision about you (its `decision_id` from
    /me/decisions, or `opportunity_external_id` for the newest one on that posting), saying
    why. HR answers within the service-level time it set."""
    return reviews.ask_review(
        session,
        user,
        body.reason,
        decision_id=body.decision_id,
        opportunity_external_id=body.opportunity_external_id,
        now=_now(),
    )


@router.get("/me/corrections", response_model=CorrectionsOut, responses=documented(403))
def my_corrections(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return corrections.mine(session, user)


@router.post(
    "/me/corrections",
    status_code=201,
    response_model=CorrectionOut,
    responses=documented(400, 403, 404, 409, 415),
)
def propose_correction(
    session: SessionDep, user: CurrentUser, body: CorrectionAsk
) -> dict[str, Any]:
    """Propose the right value of a field HR owns on your record, saying why; HR accepts it
    (your record changes) or refuses it with a reason."""
    return corrections.propose(session, user, body.field, body.value, body.reason, now=_now())


@router.get("/me/ranking-notice", response_model=NoticeOut)
def ranking_notice(state: StateDep, user: CurrentUser) -> dict[str, Any]:
    """Where an automated ranking is used, what it reads and never reads, how to step out of
    it and contest it, and the live models' cards."""
    return {
        "automated": "Your matches and leads' candidate lists are ordered by an automated "
        "ranking (a model trained on this company's past outcomes, then a fairness re-ranking "
        "HR sets). People make every decision: leads shortlist and offer, managers approve.",
        "reads": [BY_NAME[name].meaning for name in FEATURE_NAMES],
        "never_reads": [
            *(a.replace("_", " ") for a in ATTRIBUTES),
            "name",
            "e-mail",
            "photo",
        ],
        "pause": "There is no per-person switch. Ask HR to pause automated ranking (HR pauses "
        "it per kind: lists are then ordered by skill similarity), or take 'open to' off your "
        "profile to leave matching for that kind.",
        "quiet_mode": "Quiet mode (your profile) hides your applications from your manager "
        "until an approval is needed; quiet notifications (notification settings) stop every "
        "message. Neither changes how you are ranked.",
        "review": "Ask for a review of any decision about you from 'Decisions about me' "
        "(POST /api/v1/me/reviews): a person in HR answers.",
        "correct": "Propose a correction of your title, level, department, manager or hire "
        "date (POST /api/v1/me/corrections).",
        "models": model_cards(state),
    }


@router.get("/reviews", response_model=HrReviewsOut, responses=documented(403))
def review_queue(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[Literal["open", "upheld", "overturned"] | None, Query()] = None,
) -> dict[str, Any]:
    """HR's review requests, the overdue first (past the service-level time)."""
    return reviews.hr_list(session, user, status, now=_now())


@router.get("/reviews/settings", response_model=SlaOut, responses=documented(403))
def review_settings(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    user.require(*reviews.HR_ROLES)
    return {"days": reviews.sla(session)}


@router.put("/reviews/settings", response_model=SlaOut, responses=documented(400, 403, 415))
def set_review_settings(session: SessionDep, user: CurrentUser, body: SlaIn) -> dict[str, Any]:
    """The days HR has to answer a review request (on the oversight log)."""
    return reviews.set_sla(session, user, body.days, body.reason)


@router.get("/reviews/{review_id}", response_model=ReviewDetailOut, responses=documented(403, 404))
def review_detail(
    state: StateDep, session: SessionDep, user: CurrentUser, review_id: Id
) -> dict[str, Any]:
    """One request with the pair's history and the lead's list behind the decision, replayed."""
    return reviews.hr_detail(state, session, user, review_id, now=_now())


@router.post(
    "/reviews/{review_id}/decision",
    response_model=ReviewOut,
    responses=documented(400, 403, 404, 409, 415),
)
def decide_review(
    state: StateDep, session: SessionDep, user: CurrentUser, review_id: Id, body: ReviewDecide
) -> dict[str, Any]:
    """Uphold the decision or overturn it with a remedy; the person is told. Decided once:
    a second decision gets 409."""
    return reviews.decide(
        state,
        session,
        user,
        review_id,
        outcome=body.outcome,
        answer=body.answer,
        remedy=body.remedy,
        version=body.version,
        now=_now(),
    )


@router.get("/corrections", response_model=CorrectionsOut, responses=documented(403))
def correction_queue(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[Literal["pending", "accepted", "refused"] | None, Query()] = None,
) -> dict[str, Any]:
    return corrections.hr_list(session, user, status)


@router.post(
    "/corrections/{correction_id}/decision",
    response_model=CorrectionOut,
    responses=documented(400, 403, 404, 409, 415),
)
def decide_correction(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    correction_id: Id,
    body: CorrectionDecide,
) -> dict[str, Any]:
    """Accept (the record changes, the match engine refreshes) or refuse with a reason; the
    person is told. Decided once: a second decision gets 409."""
    return corrections.decide(
        state,
        session,
        user,
        correction_id,
        outcome=body.outcome,
        answer=body.answer,
        version=body.version,
        now=_now(),
    )
