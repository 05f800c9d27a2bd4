"""Who hears of each workflow event, and what: called by the use cases inside the event's
own transaction, so the messages commit (or roll back) with it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from data.storage.employees import get_employee
from data.storage.tables import EmployeeRow, OpportunityRow, PipelineRow
from data.workflow import Action, Stage
from matching.aliases import candidate_alias
from matching.results import candidate_handle
from serving.notifications import messages
from serving.notifications.outbox import notify
from serving.notifications.settings import NotificationSettings

# What the lead is told a candidate did (the candidate named by the alias the lead's lists
# show, read off the handle: never a name, which only a logged reveal on the board gives).
ASKED = {
    Action.APPLY: "applied to",
    Action.ACCEPT_INVITATION: "accepted your invitation to",
    Action.JOIN_WAITLIST: "joined the waitlist of",
}


def step_taken(
    session: Session,
    settings: NotificationSettings,
    pseudonym_key: bytes,
    action: Action,
    employee: EmployeeRow,
    opportunity: OpportunityRow,
    pair: PipelineRow,
    *,
    now: dt.datetime,
) -> None:
    url = settings.public_url
    person = employee.external_id
    if action is Action.INVITE:
        notify(
            session,
            settings,
            person,
            messages.invitation(url, opportunity, note=pair.note),
            now=now,
        )
    elif action is Action.OFFER:
        notice = messages.offer(url, opportunity, from_waitlist=False)
        notify(session, settings, person, notice, now=now)
    elif action is Action.ACCEPT_OFFER and pair.approval == "pending":
        approval_asked(session, settings, pair, employee, opportunity, now=now)
    elif action is Action.REJECT:
        notice = messages.declined(url, opportunity, reason_code=pair.reason_code)
        notify(session, settings, person, notice, now=now)
    elif action is Action.ASSIGN:
        notice = messages.assignment(
            url, opportunity, starts_on=pair.starts_on, ends_on=pair.ends_on
        )
        notify(session, settings, person, notice, now=now)
    elif action in ASKED:
        alias = candidate_alias(candidate_handle(pseudonym_key, opportunity, person))
        notice = messages.candidate_applied(url, opportunity, alias=alias, how=ASKED[action])
        notify(session, settings, opportunity.owner_external_id, notice, now=now)


def approval_asked(
    session: Session,
    settings: NotificationSettings,
    pair: PipelineRow,
    employee: EmployeeRow | None,
    opportunity: OpportunityRow,
    *,
    now: dt.datetime,
) -> None:
    """To the manager who decides; with no manager on record, to the company's channels
    (HR decides those)."""
    employee = employee or get_employee(session, pair.employee_external_id)
    if employee is None:
        return
    approver = pair.approver_external_id
    notice = messages.approval_asked(
        settings.public_url, employee, opportunity, for_hr=approver is None
    )
    notify(session, settings, approver, notice, now=now)


def approval_decided(
    session: Session,
    settings: NotificationSettings,
    pair: PipelineRow,
    opportunity: OpportunityRow,
    *,
    now: dt.datetime,
) -> None:
    notice = messages.approval_decided(
        settings.public_url,
        opportunity,
        approved=pair.approval == "approved",
        reason=pair.approval_reason,
    )
    notify(session, settings, pair.employee_external_id, notice, now=now)


def lapsed(
    session: Session,
    settings: NotificationSettings,
    pair: PipelineRow,
    opportunity: OpportunityRow,
    *,
    was: str,
    now: dt.datetime,
) -> None:
    noun = "invitation" if was == Stage.INVITED.value else "offer"
    notice = messages.lapsed(settings.public_url, opportunity, noun=noun, reason=pair.reason_code)
    notify(session, settings, pair.employee_external_id, notice, now=now)


def slot_offered(
    session: Session,
    settings: NotificationSettings,
    pair: PipelineRow,
    opportunity: OpportunityRow,
    *,
    now: dt.datetime,
) -> None:
    notice = messages.offer(settings.public_url, opportunity, from_waitlist=True)
    notify(session, settings, pair.employee_external_id, notice, now=now)
