"""Why a list came back empty or shorter than asked, in words a person can act on.

The eligibility report (matching/eligibility.py) counts, per hard rule, the items it removed and
those it alone removed. Here those counts become sentences ("40 ask for more hours a week than
you have free (8 h/week)"), largest first, each with what could be changed and where (the
employee's profile, the lead's posting), and the changes ordered by how many items each would
bring back on its own.

An employee reads counts of postings, which everyone may see. A lead reads counts of people:
a count below `k` (or one that leaves fewer than `k` on the other side) could single someone
out, so it is said as "fewer than k" (or "all but fewer than k") instead, as the masked cards do
(matching/masking.py). An admin, who sees who each candidate is, reads exact counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

from data.storage.scim_users import NOT_PROVIDED
from data.storage.snapshots import StoredEmployee, StoredOpportunity
from matching.eligibility import RULES, MaskReport

PLURAL = {"gig": "gigs", "mentorship": "mentorships", "role": "roles"}


@dataclass(frozen=True, slots=True)
class Seeker:
    """What the words may say to a person about their own profile."""

    level: int
    free_hours: float  # after current assignments
    committed_hours: float
    location: str
    skills: int

    @classmethod
    def of(cls, employee: StoredEmployee, *, committed_hours: float) -> Seeker:
        return cls(
            level=int(employee.level),
            free_hours=float(employee.availability_hours_per_week) - committed_hours,
            committed_hours=committed_hours,
            location=str(employee.location),
            skills=len(employee.skills),
        )


@dataclass(frozen=True, slots=True)
class Posting:
    """What the words may say to a lead about their own posting."""

    kind: str
    status: str
    hours: float
    level_min: int
    level_max: int
    seats: int
    start_date: dt.date | None
    location: str
    required_skills: int
    occupation_choices: tuple[str, ...]

    @classmethod
    def of(cls, opportunity: StoredOpportunity) -> Posting:
        return cls(
            kind=str(opportunity.kind),
            status=str(opportunity.status),
            hours=float(opportunity.hours_per_week),
            level_min=int(opportunity.level_min),
            level_max=int(opportunity.level_max),
            seats=int(opportunity.seats),
            start_date=opportunity.start_date,
            location=str(opportunity.location),
            required_skills=sum(1 for s in opportunity.skills if s.required),
            occupation_choices=tuple(
                str(c["label"]) for c in getattr(opportunity, "occupation_choices", None) or ()
            ),
        )


@dataclass(frozen=True, slots=True)
class Count:
    """A count as it may be said: exact, or banded so as not to single anyone out."""

    exact: int
    shown: int | None  # None: banded
    words: str
    order: float  # where it sorts among the others (largest first)


def _exact(n: int) -> Count:
    return Count(n, n, str(n), float(n))


def _banded(n: int, pool: int, k: int) -> Count:
    """`n` people of `pool`: exact unless it, or what it leaves, is a small cell (0 < x < k).
    All of them (a rule about the posting itself) singles nobody out."""
    if n == pool:
        return _exact(n)
    if 0 < n < k:
        return Count(n, None, f"fewer than {k}", k - 0.5)
    if 0 < pool - n < k:
        return Count(n, None, f"all but fewer than {k}", pool - k + 0.5)
    return _exact(n)


@dataclass(frozen=True, slots=True)
class Words:
    text: str  # what removed them, with the count in it
    change: str | None = None  # what the reader could change, if anything
    where: str | None = None  # the page to change it on: profile, applications, posting
    field: str | None = None  # the field there


class RuleSaid(TypedDict):
    """A rule that removed items, in words: counts exact, or None where banded."""

    rule: str
    removed: int | None
    removed_words: str
    alone: int | None  # removed by this rule and no other
    alone_words: str
    text: str
    change: str | None
    where: str | None
    field: str | None


class Change(TypedDict):
    text: str
    where: str | None
    field: str | None
    would_add: int | None  # items it would bring back on its own (None: not counted)


class Why(TypedDict):
    """What left a list empty or short, and what could be changed."""

    summary: str
    considered: int
    eligible: int
    shown: int
    asked: int
    rules: list[RuleSaid]
    changes: list[Change]


@dataclass(frozen=True, slots=True)
class _Rule:
    said: RuleSaid
    alone_order: float  # where what it alone removed sorts (a banded count has no exact value)


def _many(count: Count, one: str, many: str) -> str:
    """ "1 asks ..." / "40 ask ..." / "Fewer than 5 ask ..."."""
    verb = one if count.shown == 1 else many
    return f"{count.words} {verb}"


def _hours(value: float) -> str:
    return f"{value:g}"


def _level_range(low: int, high: int) -> str:
    return f"level {low}" if low == high else f"levels {low}–{high}"


# -- an employee's matches -------------------------------------------------------------------


def _seeker_words(rule: str, n: Count, kind: str, seeker: Seeker) -> Words:
    kinds = PLURAL.get(kind, kind)
    if rule == "not_open_to_kind":
        return Words(
            f"You have not said you are open to {kinds}",
            f"Mark yourself open to {kinds} in your profile",
            "profile",
            "open_to",
        )
    if rule == "availability_below_hours":
        free = f"{_hours(max(seeker.free_hours, 0))} h/week"
        if seeker.committed_hours:
            free += f" after the {_hours(seeker.committed_hours)} h of your current work"
        change = "Raise your free hours a week in your profile"
        if seeker.committed_hours:
            change += ", or finish current work first"
        return Words(
            f"{_many(n, 'asks', 'ask')} for more hours a week than you have free ({free})",
            change,
            "profile",
            "availability_hours_per_week",
        )
    if rule == "level_out_of_range":
        return Words(
            f"{_many(n, 'is', 'are')} for levels that leave out yours (level {seeker.level})",
            "Your level is set by HR: ask them if it is out of date",
        )
    if rule == "own_opportunity":
        return Words(f"{_many(n, 'is', 'are')} your own posting{'' if n.shown == 1 else 's'}")
    if rule == "already_applied_or_dismissed":
        return Words(
            f"{n.words} you have already applied to or set aside",
            "See where your applications stand in My applications",
            "applications",
        )
    if rule == "opportunity_not_open":
        return Words(
            f"{_many(n, 'is', 'are')} not open (closed, filled, a draft, or waiting for its "
            "lead to list the skills it needs)"
        )
    if rule == "seats_filled":
        return Words(f"{_many(n, 'has', 'have')} every seat taken")
    if rule == "start_date_passed":
        return Words(f"{_many(n, 'has', 'have')} already started")
    if rule == "onsite_location_mismatch":
        if not seeker.location.strip() or seeker.location == NOT_PROVIDED:
            return Words(
                f"{_many(n, 'is', 'are')} on site, and your profile gives no location",
                "Add your location to your profile",
                "profile",
                "location",
            )
        return Words(
            f"{_many(n, 'is', 'are')} on site away from {seeker.location}",
            "If you have moved, update your location in your profile",
            "profile",
            "location",
        )
    return Words(f"{n.words} removed by the rule {rule.replace('_', ' ')}")


def why_matches(
    report: MaskReport, *, kind: str, seeker: Seeker, shown: int, asked: int
) -> Why | None:
    """Why this person's list of `kind` holds `shown` items where `asked` were asked for (None
    when it is full)."""
    if shown >= asked:
        return None
    kinds = PLURAL.get(kind, kind)
    rules = _rules(report, _exact, lambda rule, n: _seeker_words(rule, n, kind, seeker))
    changes = _changes(rules, more=(f"more {kind} would show", f"more {kinds} would show"))
    if seeker.skills == 0:
        changes.append(
            {
                "text": "Add your skills in your profile: matches are found and ranked on them",
                "where": "profile",
                "field": "skills",
                "would_add": None,
            }
        )
    if report.pool == 0:
        summary = f"No {kind} is posted here yet."
    elif report.eligible == 0:
        summary = f"None of the {report.pool} {kinds} here can be shown to you right now"
        summary += _main_reason(rules)
    elif report.eligible == report.pool:
        summary = f"All {report.pool} {kinds} posted here are shown; there are no more."
    else:
        summary = (
            f"Only {report.eligible} of the {report.pool} {kinds} here can be shown to you; "
            "the rest are left out for the reasons below."
        )
    return _why(summary, report, rules, changes, shown=shown, asked=asked)


# -- a lead's candidates ---------------------------------------------------------------------


def _lead_words(rule: str, n: Count, posting: Posting, *, own: bool) -> Words:
    kinds = PLURAL.get(posting.kind, posting.kind)
    if rule == "not_open_to_kind":
        return Words(f"{_many(n, 'has', 'have')} not said they are open to {kinds}")
    if rule == "availability_below_hours":
        return Words(
            f"{_many(n, 'has', 'have')} fewer than the {_hours(posting.hours)} free hours a "
            "week it asks for",
            "Ask for fewer hours a week",
            "posting",
            "hours_per_week",
        )
    if rule == "level_out_of_range":
        return Words(
            f"{_many(n, 'is', 'are')} at a level outside "
            f"{_level_range(posting.level_min, posting.level_max)}",
            "Widen the level range",
            "posting",
            "level_min",
        )
    if rule == "own_opportunity":
        return Words(
            "You posted it, so you are not among its candidates"
            if own
            else "The lead who posted it is not among its candidates"
        )
    if rule == "already_applied_or_dismissed":
        return Words(
            f"{_many(n, 'has', 'have')} applied already (see the pipeline) or said it is not "
            "for them"
        )
    if rule == "opportunity_not_open" and posting.status in ("open", "draft"):
        # Open (or a draft to preview) yet not matchable: it needs skills (matching/engine.py).
        return Words(
            "It lists no required skill, and its title implies none; nobody is proposed for "
            "it until it has some",
            _add_skills(posting),
            "posting",
            "required_skills",
        )
    if rule == "opportunity_not_open":
        return Words(
            f"It is {posting.status}; only open postings (and drafts, to preview) get candidates",
            "Set its status to open",
            "posting",
            "status",
        )
    if rule == "seats_filled":
        return Words(
            f"Every seat is taken ({posting.seats} of {posting.seats})",
            "Add a seat",
            "posting",
            "seats",
        )
    if rule == "start_date_passed":
        started = posting.start_date.isoformat() if posting.start_date else "its start date"
        return Words(
            f"It was to start on {started}, which has passed",
            "Move the start date",
            "posting",
            "start_date",
        )
    if rule == "onsite_location_mismatch":
        return Words(
            f"{_many(n, 'works', 'work')} away from {posting.location}, and it is on site",
            "Open it to remote work (location: Remote)",
            "posting",
            "location",
        )
    return Words(f"{n.words} removed by the rule {rule.replace('_', ' ')}")


def _add_skills(posting: Posting) -> str:
    choices = ", ".join(posting.occupation_choices[:3])
    return "Add the skills the work needs" + (
        f", or pick the closest occupation ({choices})" if choices else ""
    )


def why_candidates(
    report: MaskReport,
    *,
    posting: Posting,
    shown: int,
    asked: int,
    hidden: int,
    k: int,
    exact: bool,
    own: bool,
    holding_required: int | None = None,
) -> Why | None:
    """Why a lead's list of candidates holds `shown` people where `asked` were asked for, or,
    however long it is, that none of them declares any skill it requires.
    `hidden`: eligible people the list's own overrides hid; `exact`: counts said exactly (an
    admin), else banded below `k`; `own`: the reader posted it; `holding_required`: eligible
    people declaring at least one required skill (None: not counted)."""
    nobody_holds = holding_required == 0 and posting.required_skills > 0 and report.eligible > 0
    if shown >= asked and not nobody_holds:
        return None
    count = _exact if exact else (lambda n: _banded(n, report.pool, k))
    rules = _rules(report, count, lambda rule, n: _lead_words(rule, n, posting, own=own))
    if hidden:  # the reader's own decisions: said exactly
        said: RuleSaid = {
            "rule": "hidden_from_this_list",
            "removed": hidden,
            "removed_words": str(hidden),
            "alone": None,
            "alone_words": "",
            "text": f"{hidden} {'is' if hidden == 1 else 'are'} hidden from this list",
            "change": "Show them again under Pins and hides",
            "where": "posting",
            "field": "overrides",
        }
        rules.append(_Rule(said, 0.0))
    changes = _changes(
        rules, more=("more person could be proposed", "more people could be proposed")
    )
    if posting.required_skills == 0 and not any(c["field"] == "required_skills" for c in changes):
        changes.insert(
            0,
            {
                "text": _add_skills(posting),
                "where": "posting",
                "field": "required_skills",
                "would_add": None,
            },
        )
    if posting.required_skills == 0:
        summary = (
            "Nobody is proposed yet: it lists no required skill, and its title implies none."
            if report.eligible == 0
            else "It lists no required skill: candidates are found on its title alone."
        )
    elif report.eligible == 0:
        summary = f"Nobody can be proposed for this {posting.kind} yet"
        summary += _main_reason(rules)
    elif nobody_holds:
        summary = (
            f"None of the {report.eligible} people who could be proposed declares any of its "
            f"{posting.required_skills} required skills: they are ranked on related skills, "
            "tools of the same kinds and how close their work is."
        )
        changes.insert(
            0,
            {
                "text": "Check the required skills' names, or ask for skills people here hold",
                "where": "posting",
                "field": "required_skills",
                "would_add": None,
            },
        )
    elif not rules:
        summary = f"All {report.eligible} people here who could be proposed are shown."
    else:
        summary = (
            f"Only {report.eligible} of the {report.pool} people here can be proposed for it; "
            "the rest are left out for the reasons below."
        )
    return _why(summary, report, rules, changes, shown=shown, asked=asked)


# -- shared ----------------------------------------------------------------------------------


def _rules(
    report: MaskReport,
    count: Callable[[int], Count],
    words: Callable[[str, Count], Words],
) -> list[_Rule]:
    """Each rule that removed anything, largest first (ties in the rules' own order)."""
    said: list[tuple[tuple[float, int], float, RuleSaid]] = []
    for position, rule in enumerate(RULES):
        removed = report.removed_by_rule.get(rule, 0)
        if not removed:
            continue
        n, alone = count(removed), count(report.only_by_rule.get(rule, 0))
        w = words(rule, n)
        entry: RuleSaid = {
            "rule": rule,
            "removed": n.shown,
            "removed_words": n.words,
            "alone": alone.shown,
            "alone_words": alone.words,
            "text": _capital(w.text),
            "change": w.change,
            "where": w.where,
            "field": w.field,
        }
        said.append(((-n.order, position), alone.order, entry))
    said.sort(key=lambda s: s[0])
    # The order a change would bring items back in, kept beside each entry for `_changes`.
    return [_Rule(entry, alone) for _, alone, entry in said]


def _changes(rules: list[_Rule], *, more: tuple[str, str]) -> list[Change]:
    """The changes the rules name, those bringing back the most on their own first."""
    found: list[tuple[tuple[float, int], Change]] = []
    for position, rule in enumerate(rules):
        alone, said = rule.alone_order, rule.said
        if not said["change"]:
            continue
        text = said["change"]
        if alone:
            then = more[0] if said["alone"] == 1 else more[1]
            text += f" ({said['alone_words']} {then} with that change alone)"
        entry: Change = {
            "text": text,
            "where": said["where"],
            "field": said["field"],
            "would_add": said["alone"],
        }
        found.append(((-alone, position), entry))
    found.sort(key=lambda f: f[0])
    return [entry for _, entry in found]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _main_reason(rules: list[_Rule]) -> str:
    """ ": <the reason to name first>." The one whose change alone would bring back the most
    (what the reader can do something about), else the one that removed the most."""
    if not rules:
        return "."
    actionable = [r for r in rules if r.said["change"] and r.alone_order > 0]
    main = max(actionable, key=lambda r: r.alone_order) if actionable else rules[0]
    text = main.said["text"]
    return f": {text[:1].lower()}{text[1:]}."


def _why(
    summary: str,
    report: MaskReport,
    rules: list[_Rule],
    changes: list[Change],
    *,
    shown: int,
    asked: int,
) -> Why:
    return {
        "summary": summary,
        "considered": report.pool,
        "eligible": report.eligible,
        "shown": shown,
        "asked": asked,
        "rules": [r.said for r in rules],
        "changes": changes,
    }
