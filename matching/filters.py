"""What a person narrows their matches to: words, hours, department, place, a skill, a start.

Filters are applied to the eligible opportunities the ranker scored, before the page is cut,
so what is left keeps the ranker's order; they never widen eligibility (a filter cannot bring
back an on-site posting elsewhere). Each test reads the posting as stored: no fuzzy guessing,
so a person can tell why a card is in or out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from matching.pool import is_remote

REMOTE = "remote"


@dataclass(frozen=True, slots=True)
class MatchFilters:
    words: str = ""  # every word in the title, description or a skill's name
    hours_max: float | None = None  # hours a week asked, at most
    department: str = ""  # exactly (case aside)
    location: str = ""  # exactly (case aside); "remote" matches remote postings
    remote_only: bool = False
    skill: str = ""  # a skill id, or words in an asked skill's name
    starts_from: dt.date | None = None  # starts on or after (no start date: open-ended, kept)
    starts_until: dt.date | None = None  # starts on or before (no start date: left out)

    @property
    def active(self) -> bool:
        return self != MatchFilters()

    def as_dict(self) -> dict[str, str | float | bool]:
        """The filters that are set (what the audit record and the answer repeat)."""
        out: dict[str, str | float | bool] = {}
        for name, value in asdict(self).items():
            if value in ("", None, False):
                continue
            out[name] = value.isoformat() if isinstance(value, dt.date) else value
        return out

    def keeps(self, opportunity: Any) -> bool:
        """Whether a posting (ORM row or snapshot) passes every filter that is set."""
        if self.hours_max is not None and opportunity.hours_per_week > self.hours_max:
            return False
        if self.department and opportunity.department.casefold() != self.department.casefold():
            return False
        remote = is_remote(opportunity.location)
        if self.remote_only and not remote:
            return False
        if self.location:
            wanted = self.location.casefold()
            if not (remote if wanted == REMOTE else opportunity.location.casefold() == wanted):
                return False
        start = opportunity.start_date
        if self.starts_from is not None and start is not None and start < self.starts_from:
            return False
        if self.starts_until is not None and (start is None or start > self.starts_until):
            return False
        names = [s.skill.label.casefold() for s in opportunity.skills]
        if self.skill:
            wanted = self.skill.casefold()
            ids = {s.skill_id.casefold() for s in opportunity.skills}
            if wanted not in ids and not any(_all_in(wanted.split(), n) for n in names):
                return False
        if self.words:
            text = " ".join([opportunity.title, opportunity.description or "", *names]).casefold()
            if not _all_in(self.words.casefold().split(), text):
                return False
        return True


def _all_in(words: Sequence[str], text: str) -> bool:
    return all(word in text for word in words)


def facets(opportunities: Sequence[Any]) -> dict[str, list[str]]:
    """The departments and places among these postings, for a person's filter choices."""
    return {
        "departments": sorted({o.department for o in opportunities if o.department}),
        "locations": sorted({o.location for o in opportunities if o.location}),
    }
