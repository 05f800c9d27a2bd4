"""Retention: how long each kind of record is kept, and the purge that deletes what is older.

Periods come from the settings (TALENT_RETENTION_*_DAYS) unless HR stored one
(`retention_policies`); the served-ranking records, the oversight events and the interaction
log are a deployer's logs under the EU AI Act (Art. 26(6)): never under six months, refused
with 422 naming the field. The purge (`talent retention purge`, POST /api/v1/retention/purge,
or every TALENT_RETENTION_PURGE_HOURS) checkpoints and verifies the audit log before deleting
its oldest records and seals (fairness/audit_purge.py), erases the profiles of people who left
longer ago than their period (serving/usecases/personal_data.py), deletes finished
notifications, and logs what it did, counted, as an oversight event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from data.storage import retention as stored
from data.storage.engine import transaction
from fairness.audit_log import AuditLog
from fairness.audit_purge import purge as purge_log
from fairness.policy import log_event
from serving.errors import InvalidField
from serving.settings import Settings
from serving.state import ServiceState
from serving.usecases.personal_data import erase_person

MINIMUM_LOG_DAYS = 183  # six months: EU AI Act Art. 19(1) and 26(6), logs kept by deployers


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # the field in the API
    setting: str  # the Settings attribute with its default
    minimum: int
    meaning: str


KINDS = (
    Kind(
        "audit_records_days",
        "retention_audit_records_days",
        MINIMUM_LOG_DAYS,
        "served-ranking audit records (what was shown, to whom, why)",
    ),
    Kind(
        "oversight_days",
        "retention_oversight_days",
        MINIMUM_LOG_DAYS,
        "oversight events (auditor reads, policies, pauses, overrides, reviews, erasures)",
    ),
    Kind(
        "interactions_days",
        "retention_interactions_days",
        MINIMUM_LOG_DAYS,
        "the interaction log (impressions, applications, shortlists, decisions)",
    ),
    Kind(
        "departed_profiles_days",
        "retention_departed_profiles_days",
        1,
        "profiles of people who left, counted from their deactivation; then erased",
    ),
    Kind(
        "outbox_days",
        "retention_outbox_days",
        1,
        "notifications delivered, failed or cancelled",
    ),
)
BY_NAME = {kind.name: kind for kind in KINDS}


def periods(session: Session, settings: Settings) -> dict[str, Any]:
    """Each kind's period in days, where it comes from, and the minimum."""
    saved = stored.stored_periods(session)
    shown: dict[str, Any] = {}
    for kind in KINDS:
        row = saved.get(kind.name)
        shown[kind.name] = {
            "days": row.days if row is not None else getattr(settings, kind.setting),
            "minimum_days": kind.minimum,
            "source": "hr" if row is not None else "settings",
            "updated_at": row.updated_at.isoformat() if row is not None else None,
            "updated_by": row.updated_by if row is not None else None,
            "meaning": kind.meaning,
        }
    return shown


def days(session: Session, settings: Settings) -> dict[str, int]:
    return {name: value["days"] for name, value in periods(session, settings).items()}


def set_periods(
    session: Session,
    settings: Settings,
    changes: dict[str, int],
    *,
    actor_role: str,
    actor: str,
    reason: str,
) -> dict[str, Any]:
    """Store HR's periods (InvalidField, 422, naming a period under its minimum) and log it."""
    for name, value in changes.items():
        kind = BY_NAME.get(name)
        if kind is None:
            raise InvalidField(name, "not a kind of record with a retention period")
        if value < kind.minimum:
            why = (
                " (the EU AI Act keeps a deployer's logs at least six months)"
                if kind.minimum == MINIMUM_LOG_DAYS
                else ""
            )
            raise InvalidField(name, f"must be at least {kind.minimum} days{why}")
    before = days(session, settings)
    now = dt.datetime.now(dt.UTC)
    for name, value in changes.items():
        stored.save_period(session, name, value, by=actor, now=now)
    log_event(
        session,
        actor_role=actor_role,
        actor=actor,
        action="retention",
        reason=reason,
        details={"before": before, "after": {**before, **changes}},
    )
    return periods(session, settings)


def run_purge(
    sessions: Any,
    log: AuditLog,
    settings: Settings,
    *,
    actor_role: str,
    actor: str,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """One purge of everything past its period (or, dry, what it would delete); counts per
    kind, and the checkpoint exported before the audit log's records were deleted. Each part
    commits on its own; the oversight event is written last, naming the counts."""
    now = now or dt.datetime.now(dt.UTC)
    with sessions() as session:
        kept = days(session, settings)
    cutoff = {name: now - dt.timedelta(days=value) for name, value in kept.items()}
    logged = purge_log(
        log,
        records_before=cutoff["audit_records_days"],
        rows_before={
            "interactions": cutoff["interactions_days"],
            "oversight": cutoff["oversight_days"],
        },
        actor=actor,
        dry_run=dry_run,
        now=now,
    )
    counts: dict[str, int] = {
        "audit_records": logged.counts["records"],
        "interactions": logged.counts["interactions"],
        "oversight_events": logged.counts["oversight"],
    }
    with transaction(sessions) as session:
        departed = stored.departed_before(session, cutoff["departed_profiles_days"])
        counts["departed_profiles"] = len(departed)
        counts["notifications"] = stored.finished_messages(session, cutoff["outbox_days"])
        if not dry_run:
            for employee in departed:
                erase_person(
                    session,
                    log,
                    employee,
                    actor_role=actor_role,
                    actor=actor,
                    reason="retention period after leaving",
                    now=now,
                )
            stored.delete_finished_messages(session, cutoff["outbox_days"])
            log_event(
                session,
                actor_role=actor_role,
                actor=actor,
                action="retention_purge",
                reason="records past their retention period",
                details={
                    "counts": counts,
                    "periods_days": kept,
                    "through": logged.through,
                    "checkpoint": logged.checkpoint.as_dict() if logged.checkpoint else None,
                },
            )
    return {
        "dry_run": dry_run,
        "at": now.isoformat(timespec="seconds"),
        "periods_days": kept,
        "counts": counts,
        "through": logged.through,
        "checkpoint": logged.checkpoint.as_dict() if logged.checkpoint else None,
    }


def scheduled_purge(state: ServiceState) -> None:
    """The server's scheduled purge (TALENT_RETENTION_PURGE_HOURS); what it raises is logged by
    the refresher, and a log that does not verify is left as it is (nothing deleted)."""
    try:
        run_purge(
            state.sessions,
            state.audit,
            state.settings,
            actor_role="admin",
            actor="retention schedule",
        )
    finally:  # events deleted and renamed, even by a purge that failed half-way
        state.matcher.history.mark_stale()
