"""What each notification says: a subject, a plain-text body and the link to the page where
the addressee acts.

Built only from what the addressee may already see: the posting (title, kind, hours), their own
name, and for a lead the candidate's alias ("Candidate Peppy Swan", the one the lead's lists
show), never a name (the lead learns who it is on the
board, where the reveal is logged). Nothing here reads demographics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from data.storage.tables import EmployeeRow, OpportunityRow

REASON_WORDS = {
    "skills": "the skills asked for",
    "availability": "availability",
    "timing": "timing",
    "other": "other reasons",
}


@dataclass(frozen=True, slots=True)
class Notice:
    event: str  # invitation | offer | approval_asked | decision | assignment | lapsed | ...
    subject: str
    text: str
    link: str

    @property
    def action(self) -> str:
        return action_words(self.event)


# The words of each message's link (a button in chat, a line in e-mail).
ACTION_WORDS = {
    "invitation": "Open the invitation",
    "offer": "Open the offer",
    "approval_asked": "Open approvals",
    "decision": "Open the opportunity",
    "assignment": "Open the opportunity",
    "lapsed": "Open the opportunity",
    "applied": "Open my opportunities",
    "digest": "Open my matches",
    "review_decided": "Open decisions about me",
    "correction_decided": "Open decisions about me",
}


def action_words(event: str) -> str:
    return ACTION_WORDS.get(event, "Open talent-marketplace")


def link_to(public_url: str, fragment: str) -> str:
    """The web app's page for `fragment` (#opportunity=<id>, #approvals, ...)."""
    return f"{public_url.rstrip('/')}/#{fragment}"


def opportunity_link(public_url: str, opportunity_external_id: str) -> str:
    return link_to(public_url, "opportunity=" + quote(opportunity_external_id, safe=""))


def _posting(opportunity: OpportunityRow) -> str:
    hours = f"{opportunity.hours_per_week:g} h a week"
    weeks = f" for {opportunity.duration_weeks} weeks" if opportunity.duration_weeks else ""
    return f"“{opportunity.title}” ({opportunity.kind}, {hours}{weeks})"


def invitation(url: str, opportunity: OpportunityRow, *, note: str) -> Notice:
    said = f"\n\nThe lead's note: {note}" if note else ""
    return Notice(
        "invitation",
        f"You are invited to “{opportunity.title}”",
        f"The lead of {_posting(opportunity)} invites you to apply.{said}\n\n"
        "Open it to accept or decline the invitation.",
        opportunity_link(url, opportunity.external_id),
    )


def offer(url: str, opportunity: OpportunityRow, *, from_waitlist: bool) -> Notice:
    why = "A place freed up and it is yours, in waitlist order: " if from_waitlist else ""
    return Notice(
        "offer",
        f"An offer for “{opportunity.title}”",
        f"{why}You have an offer for {_posting(opportunity)}.\n\n"
        "Open it to accept or decline the offer.",
        opportunity_link(url, opportunity.external_id),
    )


def approval_asked(
    url: str, employee: EmployeeRow, opportunity: OpportunityRow, *, for_hr: bool
) -> Notice:
    who = "No manager is on record, so HR decides. " if for_hr else ""
    return Notice(
        "approval_asked",
        f"Approval asked: {employee.name} for “{opportunity.title}”",
        f"{who}{employee.name} accepted an offer for {_posting(opportunity)}, more than the "
        "company's share of a working week: the assignment waits for your approval.\n\n"
        "Open your approvals to approve or decline, saying why.",
        link_to(url, "approvals"),
    )


def approval_decided(
    url: str, opportunity: OpportunityRow, *, approved: bool, reason: str
) -> Notice:
    outcome = "approved" if approved else "declined"
    why = f" Reason given: {reason}" if reason else ""
    nxt = "The lead can now assign you." if approved else "The assignment will not go ahead."
    return Notice(
        "decision",
        f"Your manager {outcome} your time on “{opportunity.title}”",
        f"Your manager {outcome} the hours for {_posting(opportunity)}.{why}\n\n{nxt}",
        opportunity_link(url, opportunity.external_id),
    )


def declined(url: str, opportunity: OpportunityRow, *, reason_code: str | None) -> Notice:
    why = f" The lead's reason: {REASON_WORDS[reason_code]}." if reason_code in REASON_WORDS else ""
    return Notice(
        "decision",
        f"Your application for “{opportunity.title}” was declined",
        f"The lead of {_posting(opportunity)} decided not to go ahead with you this time.{why}"
        "\n\nYour matches keep looking for the next one.",
        link_to(url, "applications"),
    )


def assignment(
    url: str,
    opportunity: OpportunityRow,
    *,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
) -> Notice:
    start = f" from {starts_on.isoformat()}" if starts_on else ""
    end = f" until {ends_on.isoformat()}" if ends_on else ""
    return Notice(
        "assignment",
        f"You are assigned to “{opportunity.title}”",
        f"You are assigned to {_posting(opportunity)}{start}{end}.",
        opportunity_link(url, opportunity.external_id),
    )


# Why an invitation or offer lapsed (data.workflow.LapseReason), said to its addressee.
LAPSE_WORDS = {
    "seats_filled": "Every seat of {posting} was taken, so your {noun}",
    "person_left": "Your profile was deactivated by the HR system, so your {noun} for {posting}",
}


def lapsed(url: str, opportunity: OpportunityRow, *, noun: str, reason: str | None) -> Notice:
    """The stored reason, never a guessed one: a lapse without one says only that it lapsed."""
    words = LAPSE_WORDS.get(reason or "", "Your {noun} for {posting}")
    return Notice(
        "lapsed",
        f"Your {noun} for “{opportunity.title}” lapsed",
        words.format(posting=_posting(opportunity), noun=noun) + " can no longer be accepted.",
        opportunity_link(url, opportunity.external_id),
    )


def candidate_applied(url: str, opportunity: OpportunityRow, *, alias: str, how: str) -> Notice:
    """To the lead: the candidate by the alias the lead's lists show ('Candidate Peppy Swan',
    matching.aliases), never by name."""
    return Notice(
        "applied",
        f"A candidate {how} “{opportunity.title}”",
        f"{alias} {how} {_posting(opportunity)}.\n\n"
        "Open your opportunities to review the pipeline.",
        link_to(url, "opportunities"),
    )


def digest(url: str, opportunities: Sequence[OpportunityRow], *, frequency: str) -> Notice:
    period = "today" if frequency == "daily" else "this week"
    n = len(opportunities)
    lines = [f"- {_posting(o)}: {opportunity_link(url, o.external_id)}" for o in opportunities]
    return Notice(
        "digest",
        f"{n} new {'match' if n == 1 else 'matches'} for you {period}",
        f"New opportunities that match your skills {period}:\n\n" + "\n".join(lines),
        link_to(url, "matches"),
    )


def review_decided(url: str, *, outcome: str, answer: str, remedy: str) -> Notice:
    """To the person who asked for a review: HR's outcome, reasons and remedy (no name: the
    decision was HR's)."""
    words = "upheld the decision" if outcome == "upheld" else "overturned the decision"
    why = f" HR's reasons: {answer}" if answer else ""
    fix = f"\n\nWhat will be done: {remedy}" if remedy else ""
    return Notice(
        "review_decided",
        f"Your review request was answered: {outcome}",
        f"A person in HR reviewed the decision you asked about and {words}.{why}{fix}",
        link_to(url, "decisions"),
    )


def correction_decided(url: str, *, field: str, accepted: bool, answer: str) -> Notice:
    """To the person who proposed a correction of their record."""
    outcome = "accepted" if accepted else "refused"
    done = "Your record now says what you proposed." if accepted else "Your record is unchanged."
    why = f" HR's reasons: {answer}" if answer else ""
    return Notice(
        "correction_decided",
        f"Your correction of {field} was {outcome}",
        f"HR {outcome} the correction of {field} you proposed. {done}{why}",
        link_to(url, "decisions"),
    )
