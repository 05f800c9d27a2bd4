"""HR's bias audit (LL144 form) and impact assessment, and the public summary HR publishes.

HR reads the audit with small cells suppressed, as every aggregate; a token with the `auditor`
permission (an independent auditor, as LL144 expects) reads every cell, and the read is
logged. Publishing stores a snapshot of the audit, always with small cells suppressed, under
`var/published/bias-audit/<kind>/`: the public page shows that snapshot as it was published
(its date, the audit's date and period), never a figure computed later. The snapshot's SHA-256
is on the sealed oversight log, so a file edited afterwards no longer matches its record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from data.private_files import write_private
from data.schemas import EmployeeIn
from fairness.bias_audit import build_bias_audit
from fairness.bias_audit_render import to_csv, to_html, to_pdf
from fairness.impact_assessment import AssessmentFacts, draft
from fairness.impact_assessment_html import render_assessment
from fairness.policy import log_event
from features.inputs import PersonInputs
from features.registry import FEATURES
from serving.auth import Principal
from serving.errors import NotFound
from serving.state import ServiceState
from serving.usecases.audit import reads_every_cell

FORMATS = {"csv": "text/csv", "pdf": "application/pdf", "html": "text/html", "json": ""}
STALE_AFTER = dt.timedelta(days=365)  # LL144: a bias audit no more than a year old before use
# Profile fields (the data contract's) that no ranking input holds: checked against
# features/inputs.PersonInputs by tests/serving/test_bias_audit_api.py.
NEVER_READ = ("name", "email", "manager_external_id", "bio", "demographics")


def audit_document(
    state: ServiceState,
    session: Session,
    user: Principal,
    start: dt.date,
    end: dt.date,
    kind: str | None,
) -> dict[str, Any]:
    """The audit as this reader may see it (every cell for auditors: logged)."""
    every_cell = reads_every_cell(user)
    audit = build_bias_audit(session, state.audit, start, end, kind=kind)
    if every_cell:
        log_event(
            session,
            actor_role=user.role.value,
            actor=user.actor,
            action="audit_read",
            reason="read the bias audit with cells under the minimum size shown",
            details={
                "aggregate": "bias-audit",
                "from": start.isoformat(),
                "to": end.isoformat(),
                "kind": kind or "all",
                "token_id": user.token_id,
            },
        )
    return audit.as_dict(None if every_cell else state.settings.min_cell_size)


def rendered(document: dict[str, Any], fmt: str) -> bytes | str:
    if fmt == "csv":
        return to_csv(document)
    page = to_html(document)
    return to_pdf(page) if fmt == "pdf" else page


def _published_dir(state: ServiceState, kind: str) -> Path:
    return state.settings.var_dir / "published" / "bias-audit" / kind


def publish(
    state: ServiceState,
    session: Session,
    user: Principal,
    start: dt.date,
    end: dt.date,
    kind: str | None,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Store the public summary of the audit of [start, end] (small cells suppressed whoever
    publishes) and log it; returns what was stored."""
    now = now or dt.datetime.now(dt.UTC)
    audit = build_bias_audit(session, state.audit, start, end, kind=kind, now=now)
    snapshot = {
        "published_at": now.isoformat(timespec="seconds"),
        "published_by_role": user.role.value,
        "audit": audit.as_dict(state.settings.min_cell_size),
    }
    text = json.dumps(snapshot, sort_keys=True, indent=1)
    digest = hashlib.sha256(text.encode()).hexdigest()
    name = kind or "all"
    path = _published_dir(state, name) / f"{now.strftime('%Y%m%dT%H%M%S%fZ')}.json"
    write_private(path, text + "\n")
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="publish_bias_audit",
        kind=kind,
        reason=f"published the bias audit of {start} to {end} ({name})",
        details={"file": path.name, "sha256": digest},
    )
    return snapshot | {"sha256": digest}


def published_page(state: ServiceState, kind: str, *, now: dt.datetime | None = None) -> str:
    """The newest published summary for `kind` as a public page (NotFound: none published)."""
    folder = _published_dir(state, kind)
    newest = max(folder.glob("*.json"), default=None) if folder.is_dir() else None
    if newest is None:
        raise NotFound(f"no bias audit published for {kind!r}")
    snapshot = json.loads(newest.read_text(encoding="utf-8"))
    page = to_html(snapshot["audit"], public=True, published_at=snapshot["published_at"])
    audited = dt.datetime.fromisoformat(snapshot["audit"]["audited_at"])
    if (now or dt.datetime.now(dt.UTC)) - audited > STALE_AFTER:
        warning = (
            "<p class='todo'>This audit is more than a year old: NYC Local Law 144 asks for a "
            "bias audit no more than a year old before the tool is used.</p>"
        )
        page = page.replace("</h1>", "</h1>" + warning, 1)
    return page


def assessment(
    state: ServiceState, session: Session, start: dt.date, end: dt.date, fmt: str
) -> bytes | str | dict[str, Any]:
    """The impact assessment's draft for [start, end] as JSON, HTML or PDF."""
    person_fields = {f.name for f in dataclasses.fields(PersonInputs)}
    never_read = [f for f in NEVER_READ if f in EmployeeIn.model_fields and f not in person_fields]
    facts = AssessmentFacts(
        features=[(f.name, f.meaning) for f in FEATURES],
        never_read=never_read,
        live_models=[
            {"direction": d, "version": m["version"], "source": m["source"]}
            for d, m in sorted(state.rankers.describe().items())
        ],
        min_cell=state.settings.min_cell_size,
        monitor_attribute=state.monitor.attribute,
    )
    document = draft(session, state.audit, start, end, facts)
    if fmt == "json":
        return document
    page = render_assessment(document)
    return to_pdf(page) if fmt == "pdf" else page
