"""HR's audit use cases: read a served ranking, replay it, and assemble the fairness report.

Item-level reads (who was served, who was moved) need the `auditor` permission and are each
written to the oversight log; replay by default says only whether the ranking came out the
same. The report receives each live model's global view as a function, so `fairness/` never
imports the training code.

The report and the outcome figures are built on worker threads and cached (serving/builds.py)
under their parameters and the version of the data they read. Their cells split by a protected
attribute are suppressed below `min_cell_size` people, unless the reader has the `auditor`
permission: then every cell is shown and the read is logged, like an item-level read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from data.storage.engine import make_engine, make_session_factory
from data.storage.versions import aggregate_data_version
from fairness import demographics
from fairness.audit_log import AuditLog, decode_matrix
from fairness.audit_record import ServedRanking
from fairness.outcomes import MarketplaceOutcomes, marketplace_outcomes
from fairness.policy import log_event
from fairness.replay import replay
from fairness.report import FairnessReport, ModelView, build_report
from fairness.report_html import render_html
from fairness.report_sections import GlobalView
from fairness.small_cells import DEFAULT_MIN_CELL
from matching.explain import explain, paused_explanation
from serving.auth import Principal
from serving.builds import Build, Builds, Built, Busy
from serving.errors import NotFound, Unavailable
from serving.state import ServiceState
from serving.usecases.interleaving import replay_scores
from training.global_view import global_view
from training.live import LiveRankers
from training.ranker import LambdaRanker


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
    ) -> Sequence[Mapping[str, Any]]:
        if paused:
            return [paused_explanation() for _ in details]
        return explain(ranker.contributions, rows, details, audience=audience)

    result = replay(
        record,
        scorer=ranker.predict,
        explain_again=explain_again,
        membership=membership,
        key=state.pseudonym_key,
        ranked_by=_interleaved(state, record),
    ).as_dict()
    if items:
        _log_read(session, user, request_id, "replayed the served ranking item by item")
        return result
    served, replayed = result.pop("served"), result.pop("replayed")
    result["items"] = {"served": len(served), "replayed": len(replayed)}
    return result


def _interleaved(
    state: ServiceState, record: ServedRanking
) -> Callable[[np.ndarray], np.ndarray] | None:
    """An interleaved record's draft, made again with its challenger (None: not interleaved)."""
    if "interleaving" not in record:
        return None
    try:
        return replay_scores(state, record, decode_matrix(record["features"]))
    except Exception as missing:  # a deleted artefact
        version = record["interleaving"]["challenger"]
        raise Unavailable(f"challenger version {version} cannot be loaded: {missing}") from None


def fairness_report(
    session: Session,
    audit: AuditLog,
    rankers: LiveRankers,
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    min_cell: int | None = DEFAULT_MIN_CELL,
) -> FairnessReport:
    """HR's report for [start, end), with the global view of each live model; cells of fewer
    than `min_cell` people suppressed (None: every cell, for auditors)."""
    live = {d: rankers.get(d) for d in rankers.describe()}  # one read per direction
    views: dict[str, tuple[str, ModelView]] = {
        d: (m.version, partial(_cached_view, (d, m.version), partial(_global_view, m.ranker)))
        for d, m in live.items()
    }
    return build_report(session, audit, start, end, models=views, min_cell=min_cell)


def _global_view(ranker: LambdaRanker, rows: np.ndarray | None) -> GlobalView:
    """training/global_view.py's view as the report's section reads it (its keys, in its
    order)."""
    view = global_view(ranker, rows)
    return {
        "importance": view["importance"],
        "partial_dependence": view["partial_dependence"],
        "rows": view["rows"],
    }


_VIEWS: OrderedDict[tuple[Any, ...], GlobalView] = OrderedDict()
_VIEWS_LOCK = threading.Lock()
VIEWS_KEPT = 8


def _cached_view(model: tuple[str, str], view: ModelView, rows: np.ndarray | None) -> GlobalView:
    """A model's global view, reused while the model and the sampled rows are the same: it is
    a fifth of a report's build (partial dependence scores ~100k rows), and its sample moves
    only every few dozen rankings (fairness/report.py `_view_sample`)."""
    digest = None if rows is None else hashlib.blake2b(rows.tobytes(), digest_size=16).digest()
    key = (*model, None if rows is None else rows.shape, digest)
    with _VIEWS_LOCK:
        if key in _VIEWS:
            _VIEWS.move_to_end(key)
            return _VIEWS[key]
    made = view(rows)
    with _VIEWS_LOCK:
        _VIEWS[key] = made
        while len(_VIEWS) > VIEWS_KEPT:
            _VIEWS.popitem(last=False)
    return made


_MAKING = threading.Lock()


def builds_of(state: ServiceState) -> Builds:
    """The process's builds of reports and aggregates (made on first use)."""
    with _MAKING:
        if state.builds is None:
            settings = state.settings
            budgets = {"report": settings.report_builds, "outcomes": settings.aggregate_builds}
            # A connection per build, from a pool of their own: builds never take one that an
            # admitted request or the server's background threads count on.
            engine = make_engine(
                settings.resolved_database_url, pool_size=sum(budgets.values()), max_overflow=0
            )
            state.builds = Builds(
                budgets,
                wait_seconds=settings.build_wait_seconds,
                sessions=make_session_factory(engine),
                close=engine.dispose,
            )
        return state.builds


def reads_every_cell(user: Principal) -> bool:
    """Auditors see the cells below the minimum size (and each such read is logged)."""
    return "auditor" in user.scopes


def _min_cell(state: ServiceState, user: Principal) -> int | None:
    return None if reads_every_cell(user) else state.settings.min_cell_size


def _window_text(start: dt.datetime | None, end: dt.datetime | None) -> dict[str, str | None]:
    return {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
    }


def report_build(
    state: ServiceState,
    session: Session,
    user: Principal,
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    html: bool,
    job_id: str | None = None,
) -> Built:
    """HR's fairness report for [start, end) (the FairnessReport, or its HTML page): cached,
    else built on the report worker; an auditor's read of every cell is logged."""
    min_cell = _min_cell(state, user)
    models = tuple(sorted((d, m["version"]) for d, m in state.rankers.describe().items()))
    params = ("report", start, end, min_cell, models)
    builds = builds_of(state)

    def report_from(own: Session, version: str) -> FairnessReport:
        report = builds.cached(params, version)
        if report is None:
            report = fairness_report(own, state.audit, state.rankers, start, end, min_cell=min_cell)
            builds.keep(params, version, report)
        return report

    def build(reading: Callable[[str], None]) -> FairnessReport | str:
        with builds.sessions() as own:
            version = aggregate_data_version(own)  # first: everything after is as new or newer
            reading(version)
            report = report_from(own, version)
            return render_html(report) if html else report

    key = ("report.html", *params) if html else params
    built = _fetch(builds, "report", key, aggregate_data_version(session), build, job_id)
    if built.ready and min_cell is None:
        what = "report.html" if html else "report"
        _log_aggregate_read(session, user, what, _window_text(start, end))
    return built


def outcomes_build(
    state: ServiceState,
    session: Session,
    user: Principal,
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    department: str | None,
    job_id: str | None = None,
) -> Built:
    """The outcome figures for [start, end) and one department or all: cached, else built on an
    aggregate worker; an auditor's read of every cell is logged."""
    min_cell = _min_cell(state, user)
    params = ("outcomes", start, end, department, min_cell)
    builds = builds_of(state)

    def build(reading: Callable[[str], None]) -> MarketplaceOutcomes:
        with builds.sessions() as own:
            reading(aggregate_data_version(own))
            return marketplace_outcomes(own, start, end, department=department, min_cell=min_cell)

    version = aggregate_data_version(session)
    built = _fetch(builds, "outcomes", params, version, build, job_id)
    if built.ready and min_cell is None:
        params_read = _window_text(start, end) | {"department": department}
        _log_aggregate_read(session, user, "outcomes", params_read)
    return built


def _fetch(
    builds: Builds,
    kind: str,
    params: tuple[Any, ...],
    version: str,
    build: Build,
    job_id: str | None,
) -> Built:
    try:
        return builds.fetch(kind, params, version, build, job_id=job_id)
    except Busy as busy:
        raise Unavailable(
            f"too many {kind} builds are waiting ({busy}); retry in a minute"
        ) from None


def _record(session: Session, request_id: str) -> ServedRanking:
    record = AuditLog.find(session, request_id)
    if record is None:
        raise NotFound(f"no served ranking with request id {request_id!r}")
    return record


def _log_aggregate_read(
    session: Session, user: Principal, what: str, params: dict[str, Any]
) -> None:
    """An auditor read figures with every small cell shown: logged like an item-level read."""
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="audit_read",
        reason=f"read the {what} with cells under the minimum size shown",
        details={"aggregate": what, **params, "token_id": user.token_id},
    )


def log_search(session: Session, user: Principal, query: str) -> None:
    """An auditor looked a person up in the served rankings: on the oversight log, like a read."""
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="audit_read",
        reason="searched the served rankings for a person",
        details={"query": query[:200], "token_id": user.token_id},
    )


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
