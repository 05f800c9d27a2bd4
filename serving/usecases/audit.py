"""HR's audit use cases: read a served ranking, replay it, and assemble the fairness report.

Item-level reads (who was served, who was moved) need the `auditor` permission and are each
written to the oversight log; replay by default says only whether the ranking came out the
same. The report receives each live model's global view as a function, so `fairness/` never
imports the training code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from fairness import demographics
from fairness.audit_log import AuditLog
from fairness.audit_record import ServedRanking
from fairness.policy import log_event
from fairness.replay import replay
from fairness.report import FairnessReport, ModelView, build_report
from matching.explain import explain, paused_explanation
from serving.auth import Principal
from serving.errors import NotFound, Unavailable
from serving.state import ServiceState
from training.global_view import global_view
from training.live import LiveRankers


def read_ranking(session: Session, user: Principal, request_id: str) -> ServedRanking:
    """One served ranking as logged, item by item (the read is logged)."""
    record = _record(session, request_id)
    _log_read(session, user, request_id, "read the served ranking item by item")
    return record


def replay_ranking(
    state: ServiceState, session: Session, user: Principal, request_id: str, *, items: bool
) -> dict[str, Any]:
    """Score the logged inputs again with the logged model version, re-apply the policy and
    rewrite the explanations; says whether all came out the same, naming people only for
    `items` (auditors; the read is logged)."""
    record = _record(session, request_id)
    version = record["model"]["version"]
    try:
        ranker = state.rankers.ranker_for(version)
    except Exception as missing:  # a deleted artefact or a rebuilt default
        raise Unavailable(f"model version {version} cannot be loaded: {missing}") from None
    ids = [item["id"] for item in record["items"]]
    membership = None
    if record["direction"] == "opportunity":
        membership = lambda attribute: demographics.column(session, ids, attribute)  # noqa: E731

    def explain_again(
        rows: np.ndarray, details: Sequence[dict[str, Any]], audience: str, paused: bool
    ) -> list[dict[str, Any]]:
        if paused:
            return [paused_explanation() for _ in details]
        return explain(ranker.contributions, rows, details, audience=audience)

    result = replay(
        record,
        scorer=ranker.predict,
        explain_again=explain_again,
        membership=membership,
        key=state.pseudonym_key,
    ).as_dict()
    if items:
        _log_read(session, user, request_id, "replayed the served ranking item by item")
        return result
    served, replayed = result.pop("served"), result.pop("replayed")
    result["items"] = {"served": len(served), "replayed": len(replayed)}
    return result


def fairness_report(
    session: Session,
    audit: AuditLog,
    rankers: LiveRankers,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> FairnessReport:
    """HR's report for [start, end), with the global view of each live model."""
    live = {d: rankers.get(d) for d in rankers.describe()}  # one read per direction
    views: dict[str, tuple[str, ModelView]] = {
        d: (m.version, partial(global_view, m.ranker)) for d, m in live.items()
    }
    return build_report(session, audit, start, end, models=views)


def _record(session: Session, request_id: str) -> ServedRanking:
    record = AuditLog.find(session, request_id)
    if record is None:
        raise NotFound(f"no served ranking with request id {request_id!r}")
    return record


def _log_read(session: Session, user: Principal, request_id: str, what: str) -> None:
    """Item-level reads reveal who a re-ranker moved: each one is on the oversight log."""
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="audit_read",
        reason=what,
        details={"request_id": request_id, "token_id": user.token_id},
    )
