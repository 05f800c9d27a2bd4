"""A person's data: everything the service holds about them as one JSON document (GDPR Art. 15
and 20), and its erasure on request (Art. 17) that keeps the audit log verifiable.

The export holds the profile and skills, the person's own demographics record (self-reported,
HR-owned: it is their data, so they get it; nobody else's ever appears), their interactions,
applications and invitations with each step, notification settings (webhook secrets shown only
as set or not), overrides and skill proposals about them, their review requests and
corrections, and the served lists they appeared in as they appear to them: their own lists
(the opportunities shown, in order, with the reasons), and, on candidate lists, only their own
place (rank, score, the opportunity) with the list's size: never another person's identity.
Steps taken by others name the role, not the person.

Erasure deletes the profile (skills, demographics, identity-provider links), their tokens and
sessions, notification settings and messages, skill proposals, review requests, corrections
and their pipeline pairs (a lead's pipeline cannot show a person who no longer exists); it
replaces the person's id by a random pseudonym nobody keeps in everything that is evidence of
what the system and people did: the served-ranking records, the interaction log (every step of
those pairs) and the oversight events (signed redactions keep them verifying:
fairness/audit_purge.py), overrides on them, others' pairs they approved, postings they own.
Free text is not searched for the id. The oversight event of the erasure names the pseudonym,
never the id.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy.orm import Session

from data.storage.personal_data import erase_rows, person_rows
from data.storage.retention import record_texts_naming
from data.storage.tables import EmployeeRow
from fairness.audit_codec import parse_served
from fairness.audit_digests import explained_digest
from fairness.audit_log import AuditLog, decode_matrix
from fairness.audit_purge import pseudonymise
from fairness.audit_record import ExplainedItem, ServedRanking, page_bounds
from fairness.policy import log_event
from matching.explain import explain
from training.live import LiveRankers

FORMAT = "talent-personal-data/1"
PROFILE_FIELDS = (
    "external_id",
    "name",
    "email",
    "title",
    "department",
    "level",
    "location",
    "timezone",
    "manager_external_id",
    "hire_date",
    "interests",
    "aspirations",
    "bio",
    "availability_hours_per_week",
    "open_to",
    "occupation_id",
    "occupation_label",
    "occupation_source",
    "quiet_mode",
    "target_opportunity_external_id",
    "target_occupation_id",
    "active",
    "deactivated_at",
    "updated_at",
)
DEMOGRAPHICS = ("gender", "race_ethnicity", "age_band", "disability")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _columns(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


# -- export -------------------------------------------------------------------------------------


def export_person(
    session: Session, employee: EmployeeRow, rankers: LiveRankers | None = None
) -> dict[str, Any]:
    """The person's data as one JSON-ready document (see the module's docstring)."""
    me = employee.external_id
    held = person_rows(session, employee)
    demographics, prefs = held["demographics"], held["preferences"]
    steps: dict[str, list[dict[str, Any]]] = {}
    logged = []
    for row in held["interactions"]:
        entry = {
            "type": row.type,
            "opportunity_external_id": row.opportunity_external_id,
            "at": _plain(row.occurred_at),
            "position": row.position,
            "rating": row.rating,
            "request_id": row.request_id,
            "by_role": row.actor_role,
            "by_me": row.actor == me,
            "details": row.details,
        }
        logged.append(entry)
        if row.type != "impression":
            steps.setdefault(row.opportunity_external_id, []).append(entry)
    applications = [
        {
            **_columns(
                pair,
                (
                    "opportunity_external_id",
                    "stage",
                    "origin",
                    "note",
                    "reason_code",
                    "approval",
                    "approval_requested_at",
                    "approval_decided_at",
                    "approval_reason",
                    "hours_per_week",
                    "starts_on",
                    "ends_on",
                    "lead_rating",
                    "employee_rating",
                    "skills_used",
                    "revealed_at",
                    "created_at",
                    "updated_at",
                ),
            ),
            "steps": steps.get(pair.opportunity_external_id, []),
        }
        for pair in held["pipeline"]
    ]
    return {
        "format": FORMAT,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": _columns(employee, PROFILE_FIELDS),
        "skills": [
            {"skill_id": s.skill_id, "label": s.skill.label, "level": s.level}
            for s in employee.skills
        ],
        # The person's own self-reported record: theirs to see (GDPR Art. 15), never a
        # feature (features/inputs.py), and nobody else's is in this document.
        "demographics": _columns(demographics, DEMOGRAPHICS) if demographics else None,
        "notification_settings": {
            "channels": prefs.channels,
            "digest": prefs.digest,
            "quiet": prefs.quiet,
            "slack_webhook_set": bool(prefs.slack_webhook_url),
            "teams_webhook_set": bool(prefs.teams_webhook_url),
        }
        if prefs is not None
        else None,
        "notifications": [
            _columns(m, ("event", "channel", "subject", "status", "created_at", "sent_at"))
            for m in held["outbox"]
        ],
        "interactions": logged,
        "applications": applications,
        "overrides_about_me": [
            {
                **_columns(o, ("opportunity_external_id", "action", "reason", "created_by_role")),
                "created_at": _plain(o.created_at),
                "revoked_at": _plain(o.revoked_at),
            }
            for o in held["overrides"]
        ],
        "skill_proposals": [
            _columns(p, ("skill_id", "level", "opportunity_external_id", "status", "created_at"))
            for p in held["proposals"]
        ],
        "review_requests": [
            _columns(r, ("opportunity_external_id", "decision", "reason", "status", "answer"))
            for r in held["reviews"]
        ],
        "data_corrections": [
            _columns(c, ("field", "reason", "status", "answer")) for c in held["corrections"]
        ],
        "served_lists": served_lists(session, me, rankers),
    }


def served_lists(
    session: Session, me: str, rankers: LiveRankers | None = None
) -> list[dict[str, Any]]:
    """The served lists the person appeared in, as they appear to them (from the audit log);
    the explanations with their numbers as the page had them (made again by the record's model
    where the record keeps them as a digest; scores as the record keeps them)."""
    shown: list[dict[str, Any]] = []
    for text in record_texts_naming(session, me):
        body = parse_served(text)
        first, last = page_bounds(body)
        if body["direction"] == "employee" and body["query_external_id"] == me:
            ranked = [(i["after"], i) for i in body["items"] if i["after"] is not None]
            page = [i for after, i in sorted(ranked, key=lambda p: p[0]) if first < after <= last]
            reasons = {e["id"]: e.get("explanation") for e in _explained(body, rankers)}
            shown.append(
                {
                    "request_id": body["request_id"],
                    "served_at": body["served_at"],
                    "kind": body["kind"],
                    "list": "my matches",
                    "model_version": body["model"]["version"] if "model" in body else None,
                    "items": [
                        {
                            "opportunity_external_id": i["id"],
                            "rank": i["after"],
                            "score": i["score"],
                            "explanation": reasons.get(i["id"]),
                        }
                        for i in page
                    ],
                }
            )
            continue
        mine = next((i for i in body["items"] if i["id"] == me), None)
        if mine is None:
            continue
        explained = next((e for e in _explained(body, rankers) if e["id"] == me), None)
        on_page = mine["after"] is not None and first < mine["after"] <= last
        shown.append(
            {
                "request_id": body["request_id"],
                "served_at": body["served_at"],
                "kind": body["kind"],
                "list": "candidates for an opportunity",
                "opportunity_external_id": body["query_external_id"],
                "model_version": body["model"]["version"] if "model" in body else None,
                "my_rank": mine["after"],
                "my_rank_by_score": mine["before"],
                "my_score": mine["score"],
                "on_the_page": on_page,
                "page": [first + 1, last],
                "scored": len(body["items"]),
                "explanation": explained.get("explanation") if explained else None,
            }
        )
    return shown


# -- erasure ------------------------------------------------------------------------------------


def erase_person(
    session: Session,
    log: AuditLog,
    employee: EmployeeRow,
    *,
    actor_role: str,
    actor: str,
    reason: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Erase the person (see the module's docstring) in the caller's transaction; the
    pseudonym and what was done, counted. AuditIntegrityError when a record naming them no
    longer matches its seal (nothing is vouched for that was tampered with)."""
    now = now or dt.datetime.now(dt.UTC)
    me, row_id = employee.external_id, employee.id
    pseudonym = f"erased-{secrets.token_hex(8)}"
    counts: dict[str, int] = dict(pseudonymise(log, session, me, pseudonym, now=now))

    counts |= erase_rows(session, employee, pseudonym)
    log_event(
        session,
        actor_role=actor_role,
        actor=actor,
        action="erasure",
        reason=reason,
        details={"pseudonym": pseudonym, "counts": counts},
    )
    return {"pseudonym": pseudonym, "employee_row_id": row_id, "counts": counts}


def _explained(body: ServedRanking, rankers: LiveRankers | None) -> list[ExplainedItem]:
    """The record's explained page with the numbers the explanations held: as kept, or made again
    from the logged rows by the logged model, shown only if their digest is the one the record
    was sealed with (a model that can no longer be loaded: what they said, without numbers)."""
    explained = list(body.get("explained", []))
    digest = body.get("explained_sha256")
    if digest is None or rankers is None or not explained:
        return explained
    position = {item["id"]: i for i, item in enumerate(body["items"])}
    rows = decode_matrix(dict(body["features"]))[[position[e["id"]] for e in explained]]
    details = [dict(e["details"]) for e in explained]
    try:
        ranker = rankers.ranker_for(body["model"]["version"])
        again = explain(ranker.contributions, rows, details, audience=body["audience"])
    except Exception:  # a deleted artefact or a rebuilt default: said without them
        return explained
    if explained_digest(again) != digest:
        return explained
    return [
        {"id": e["id"], "details": e["details"], "explanation": dict(a)}
        for e, a in zip(explained, again, strict=True)
    ]
