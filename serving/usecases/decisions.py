""" "Decisions about me": each step taken on a person's applications and invitations, when, by
whom as a role (never a name), and the main elements behind their place in the lists that led
there, read from the sealed audit record of each list the lead was served for the posting.

What the person reads of a list is theirs alone: their own position, the reasons in words from
their own row (the sentences a match card says, matching/explain.py, filled with the facts the
record kept for them), the model version and the policy's name. Nothing of another candidate
(no id, score, position or count beyond the list's length), and nothing of the re-ranker's
moves or the policy's group parameters: a move would tell the person their group.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from data.schemas import InteractionType, Role
from data.storage import reviews as stored
from data.storage.opportunities import get_opportunity
from data.storage.tables import InteractionRow
from fairness.audit_codec import decode_matrix
from fairness.audit_log import AuditLog
from fairness.audit_record import ServedRanking
from features.registry import FEATURE_NAMES
from matching.explain import sentence
from serving.auth import Principal
from serving.errors import Forbidden, NotFound

# The workflow's steps a person's decisions page lists (impressions, views, saves and the like
# are no decisions).
STEP_TYPES = (
    InteractionType.APPLY,
    InteractionType.WAITLIST,
    InteractionType.INVITE,
    InteractionType.WITHDRAW,
    InteractionType.DECLINE,
    InteractionType.SHORTLIST,
    InteractionType.REJECT,
    InteractionType.OFFER,
    InteractionType.SLOT_OFFER,
    InteractionType.ACCEPT_OFFER,
    InteractionType.APPROVAL,
    InteractionType.ASSIGN,
    InteractionType.ACCEPT,
    InteractionType.COMPLETE,
    InteractionType.LAPSE,
)
STEP_VALUES = tuple(t.value for t in STEP_TYPES)
# Steps the person took themself: listed, never reviewable.
OWN_STEPS = frozenset(
    {
        InteractionType.APPLY.value,
        InteractionType.WAITLIST.value,
        InteractionType.WITHDRAW.value,
        InteractionType.DECLINE.value,
        InteractionType.ACCEPT_OFFER.value,
    }
)
# The stage a step leaves the pair at, to say what a rejection was (not shortlisted, not
# offered, offer withdrawn).
STAGE_AFTER = {
    "apply": "applied",
    "waitlist": "waitlisted",
    "invite": "invited",
    "shortlist": "shortlisted",
    "offer": "offered",
    "slot_offer": "offered",
    "accept_offer": "accepted",
}
REJECTED_AT = {
    "applied": "Not shortlisted",
    "shortlisted": "Not offered",
    "offered": "Offer withdrawn",
    "accepted": "Ended before assignment",
}
WORDS = {
    "apply": "You applied",
    "waitlist": "You joined the waitlist",
    "invite": "Invited to apply",
    "withdraw": "You withdrew",
    "decline": "You declined",
    "shortlist": "Shortlisted",
    "offer": "Offered",
    "slot_offer": "Offered the next free slot",
    "accept_offer": "You accepted the offer",
    "assign": "Assigned",
    "accept": "Taken on",
    "complete": "Completed",
    "lapse": "Lapsed",
}
ADVERSE = frozenset({"reject", "lapse", "approval_declined"})
LIST_LOOKBACK = 50  # the lead's newest lists read for one posting


@dataclass(frozen=True, slots=True)
class Decision:
    """One step on one of the person's pairs, in words."""

    id: int
    opportunity_external_id: str
    step: str  # the step's own name (reject, approval_declined, lapse, ...)
    words: str
    at: dt.datetime
    by: str  # a role: you | lead | manager | hr | admin | the service


def employee_only(user: Principal) -> str:
    """The person's own rights: an employee's (or a lead's, for themself) token that names a
    person; HR and admins act on requests, they do not hold them here."""
    if user.role not in (Role.EMPLOYEE, Role.LEAD) or user.subject_external_id is None:
        raise Forbidden("this is the person's own page: an employee's token, for themself")
    return user.subject_external_id


def by_role(row: InteractionRow) -> str:
    """Who took a step, as a role: a manager's approval says manager whatever their token."""
    if row.type == InteractionType.APPROVAL.value:
        return "hr" if row.actor_role == Role.HR.value else "manager"
    if row.type in OWN_STEPS:
        return "you"
    if row.actor_role == "system" or row.type in ("lapse", "slot_offer"):
        return "the service"
    if row.actor_role in (Role.ADMIN.value, Role.HR.value):
        return row.actor_role
    return "lead"  # the lead's steps (the demo history names no actor)


def decisions_of(session: Session, employee_external_id: str) -> list[Decision]:
    """Every step on the person's pairs, oldest first."""
    out: list[Decision] = []
    stage: dict[str, str] = {}
    for row in stored.steps_of_employee(session, employee_external_id, STEP_VALUES):
        details = row.details or {}
        step = row.type
        words = WORDS.get(step, step)
        before = stage.get(row.opportunity_external_id, "applied")
        if step == InteractionType.REJECT.value:
            words = REJECTED_AT.get(before, "Rejected")
            code = details.get("reason_code")
            if code:
                words += f" (the lead's reason: {code})"
        elif step == InteractionType.APPROVAL.value:
            approved = details.get("decision") == "approved"
            step = "approval_granted" if approved else "approval_declined"
            words = "Manager's approval given" if approved else "Manager's approval declined"
            if details.get("reason"):
                words += f": {details['reason']}"
        elif step == InteractionType.LAPSE.value and details.get("why"):
            words = f"Lapsed: {details['why']}"
        elif step == InteractionType.DECLINE.value and before == "invited":
            words = "You declined the invitation"
        stage[row.opportunity_external_id] = STAGE_AFTER.get(row.type, before)
        out.append(
            Decision(
                id=row.id,
                opportunity_external_id=row.opportunity_external_id,
                step=step,
                words=words,
                at=stored.moment(row.occurred_at),
                by=by_role(row),
            )
        )
    return out


def reviewable(decision: Decision) -> bool:
    return decision.by != "you"


def lists_for(
    session: Session, employee_external_id: str, opportunity_external_id: str
) -> list[ServedRanking]:
    """The lead's lists for the posting that held the person, newest first (an admin's
    preview is no list a lead saw)."""
    found = []
    for record in AuditLog.between(
        session,
        direction="opportunity",
        query_external_id=opportunity_external_id,
        newest_first=True,
        limit=LIST_LOOKBACK,
    ):
        if record["caller_role"] == Role.ADMIN.value:
            continue
        if any(item["id"] == employee_external_id for item in record["items"]):
            found.append(record)
    return found


def place_in(record: ServedRanking, employee_external_id: str) -> dict[str, Any]:
    """The person's place in one list and the reasons behind it, from their own row only."""
    index = next(i for i, item in enumerate(record["items"]) if item["id"] == employee_external_id)
    item = record["items"][index]
    first = record.get("offset", 0)
    position = item["after"]
    on_page = position is not None and first < position <= first + record["page_size"]
    reasons: list[dict[str, str]] = []
    explained = next((e for e in record["explained"] if e["id"] == employee_external_id), None)
    if explained is not None:
        row = decode_matrix(dict(record["features"]))[index]
        for reason in explained["explanation"].get("reasons", []):
            feature = reason.get("feature")
            if feature not in FEATURE_NAMES:
                continue
            try:
                text = sentence(
                    feature, float(row[FEATURE_NAMES.index(feature)]), explained["details"]
                )
            except (KeyError, IndexError, ValueError):  # a record older than the template
                continue
            if text is not None:
                effect = reason.get("effect") or ("raises" if reason["amount"] > 0 else "lowers")
                reasons.append({"text": text, "effect": effect})
    policy = record["policy"].get("name", "none")
    return {
        "request_id": record["request_id"],
        "served_at": record["served_at"],
        "position": position,
        "on_page": on_page,
        "page_size": record["page_size"],
        "list_length": len(record["items"]),
        "reasons": reasons,
        "model_version": record["model"]["version"],
        "policy": policy,
        "paused": policy == "paused",
    }


def _before(record: ServedRanking, at: dt.datetime) -> bool:
    return dt.datetime.fromisoformat(record["served_at"]) <= at


def what_you_can_do() -> list[dict[str, str]]:
    return [
        {
            "action": "ask for a review",
            "how": "POST /api/v1/me/reviews with the decision's id and your reason: a person in "
            "HR looks at the decision and the list behind it and answers you",
        },
        {
            "action": "correct your data",
            "how": "POST /api/v1/me/corrections with the field (title, level, department, "
            "manager_external_id or hire_date), the right value and why: HR checks and applies it",
        },
        {
            "action": "edit your own profile",
            "how": "skills, interests, availability and the rest are yours to change on your "
            "profile; the ranking reads them at your next list",
        },
        {
            "action": "stop being ranked",
            "how": "there is no per-person switch: ask HR, who can pause automated ranking; "
            "quiet mode (your profile) hides your applications from your manager, and quiet "
            "notifications stop every message",
        },
    ]


def my_decisions(session: Session, user: Principal) -> dict[str, Any]:
    """The person's decisions, grouped by opportunity, newest opportunity first."""
    me = employee_only(user)
    decisions = decisions_of(session, me)
    open_reviews = {r.decision_id: r for r in stored.reviews(session, employee_external_id=me)}
    by_posting: dict[str, list[Decision]] = {}
    for decision in decisions:
        by_posting.setdefault(decision.opportunity_external_id, []).append(decision)
    items = []
    for posting, steps in sorted(by_posting.items(), key=lambda kv: kv[1][-1].at, reverse=True):
        opportunity = get_opportunity(session, posting)
        lists = lists_for(session, me, posting)
        out_steps = []
        for d in steps:
            entry: dict[str, Any] = {
                "decision_id": d.id,
                "step": d.step,
                "words": d.words,
                "at": d.at.isoformat(),
                "by": d.by,
                "adverse": d.step in ADVERSE,
                "can_ask_review": reviewable(d),
            }
            if d.by in ("lead", "admin"):
                # The newest list the lead had been served for this posting when they acted.
                behind = next((r for r in lists if _before(r, d.at)), None)
                if behind is not None:
                    entry["list"] = place_in(behind, me)
            asked = open_reviews.get(d.id)
            if asked is not None:
                entry["review"] = {"id": asked.id, "status": asked.status}
                entry["can_ask_review"] = entry["can_ask_review"] and asked.status != "open"
            out_steps.append(entry)
        items.append(
            {
                "opportunity": {
                    "external_id": posting,
                    "title": opportunity.title if opportunity is not None else None,
                    "kind": opportunity.kind if opportunity is not None else None,
                },
                "steps": out_steps,
            }
        )
    return {"items": items, "what_you_can_do": what_you_can_do()}


def own_decision(session: Session, employee_external_id: str, decision_id: int) -> Decision:
    """One of the person's decisions by its id; 404 naming the field for anyone else's."""
    for decision in decisions_of(session, employee_external_id):
        if decision.id == decision_id:
            return decision
    raise NotFound({"field": "decision_id", "message": f"no decision {decision_id} about you"})


def newest_decision_on(
    session: Session, employee_external_id: str, opportunity_external_id: str
) -> Decision:
    """The newest decision about the person on one posting that was not their own step."""
    for decision in reversed(decisions_of(session, employee_external_id)):
        if decision.opportunity_external_id == opportunity_external_id and reviewable(decision):
            return decision
    raise NotFound(
        {
            "field": "opportunity_external_id",
            "message": f"no decision about you on {opportunity_external_id!r}",
        }
    )
