"""Gigs, mentorships and roles posted by the demo company's leads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from data.demo.families import JobFamily, title_case
from data.demo.locations import REMOTE
from data.demo.people import LEAD_MIN_LEVEL, SENIORITY, Workforce
from data.schemas import (
    MAX_JOB_LEVEL,
    EmployeeIn,
    OpportunityIn,
    OpportunityKind,
    OpportunitySkillRef,
    OpportunityStatus,
    SkillRef,
)
from data.taxonomy.model import Taxonomy

K = TypeVar("K")  # a kind or a status, drawn in proportion

KIND_SHARES = {
    OpportunityKind.GIG: 0.5,
    OpportunityKind.MENTORSHIP: 0.25,
    OpportunityKind.ROLE: 0.25,
}
STATUS_SHARES = {
    OpportunityStatus.OPEN: 0.75,
    OpportunityStatus.FILLED: 0.15,
    OpportunityStatus.CLOSED: 0.10,
}
LEAD_PERSONA_SHARE = 0.05
CROSS_TEAM_GIG_SHARE = 0.35  # gigs a team posts for skills it lacks itself
SCOPES = (
    "for EMEA",
    "for APAC",
    "for LATAM",
    "for North America",
    "for the DACH region",
    "for the UK team",
    "for Q3",
    "for the annual plan",
    "for the board review",
    "",
)
DAY = 86_400.0

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Opportunities plus the hidden facts the simulation needs."""

    opportunities: list[OpportunityIn]
    family: np.ndarray  # (O,) family whose skills it asks for
    owner: np.ndarray  # (O,) employee index of the owner (the mentor for mentorships)
    # Seconds relative to as_of (negative = before) between which it was open for applications.
    open_from: np.ndarray
    open_until: np.ndarray


def opportunity_id(index: int) -> str:
    return f"O{index + 1:04d}"


def _quota(rng: np.random.Generator, shares: Mapping[K, float], n: int) -> list[K]:
    """Exactly proportional counts (largest remainders), shuffled: the mix holds at any size."""
    keys = list(shares)
    raw = np.array([shares[k] for k in keys]) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    items = [k for k, c in zip(keys, counts.tolist(), strict=True) for _ in range(c)]
    return [items[i] for i in rng.permutation(n).tolist()]


def _pick(rng: np.random.Generator, items: list[str], weights: np.ndarray, k: int) -> list[str]:
    k = min(k, len(items))
    if k <= 0:
        return []
    picks = rng.choice(len(items), size=k, replace=False, p=weights / weights.sum())
    return [items[i] for i in picks.tolist()]


def _skills_from_family(
    rng: np.random.Generator, family: JobFamily, level_min: int
) -> tuple[list[OpportunitySkillRef], list[OpportunitySkillRef], int]:
    """Required skills from the family's core and one occupation's own; preferred from the rest."""
    occupation = int(rng.integers(len(family.occupations)))
    pool, weights = family.skill_weights(occupation, core=8.0, own=3.0, other=0.1)
    required = _pick(rng, pool, weights, int(rng.integers(2, 7)))
    rest = [i for i, s in enumerate(pool) if s not in required]
    preferred = _pick(rng, [pool[i] for i in rest], weights[rest] + 0.5, int(rng.integers(0, 5)))
    # Asked proficiency rises with the seniority the opportunity is for.
    asked = np.clip(np.round(1.2 + 0.45 * level_min + rng.normal(0, 0.6, len(required))), 2, 4)
    wished = np.clip(np.round(1.0 + 0.4 * level_min + rng.normal(0, 0.6, len(preferred))), 1, 4)
    return (
        [
            OpportunitySkillRef(skill_id=s, level=int(v))
            for s, v in zip(required, asked, strict=True)
        ],
        [
            OpportunitySkillRef(skill_id=s, level=int(v))
            for s, v in zip(preferred, wished, strict=True)
        ],
        occupation,
    )


def _skills_on_offer(
    rng: np.random.Generator, mentor: EmployeeIn
) -> tuple[list[OpportunitySkillRef], list[OpportunitySkillRef]]:
    """The mentor's strongest skills; the listed level is what a mentee can grow to (own - 1)."""
    ranked = sorted(mentor.skills, key=lambda s: (-s.level, rng.random()))
    count = int(rng.integers(2, 7))
    offered = ranked[:count]
    extra = ranked[count : count + int(rng.integers(0, 3))]
    return (
        [
            OpportunitySkillRef(skill_id=s.skill_id, level=int(np.clip(s.level - 1, 2, 4)))
            for s in offered
        ],
        [
            OpportunitySkillRef(skill_id=s.skill_id, level=int(np.clip(s.level - 1, 1, 4)))
            for s in extra
        ],
    )


def _label(taxonomy: Taxonomy, skill: SkillRef) -> str:
    return taxonomy.skills[skill.skill_id or ""].label


def _gig_title(
    rng: np.random.Generator,
    taxonomy: Taxonomy,
    family: JobFamily,
    skills: Sequence[SkillRef],
    department: str,
) -> str:
    # ESCO labels are noun phrases ("C++") or verb phrases ("migrate existing data"); every
    # template puts the label after a colon, where both read naturally.
    project = family.spec.projects[int(rng.integers(len(family.spec.projects)))]
    scope = SCOPES[int(rng.integers(len(SCOPES)))]
    skill = _label(taxonomy, skills[0])
    templates = (
        f"{project} {scope}".strip(),
        f"{project} for the {department} team",
        f"{project}: {skill}",
        f"Help wanted: {skill} {scope}".strip(),
    )
    return templates[int(rng.choice(len(templates), p=[0.45, 0.15, 0.25, 0.15]))]


def _mentorship_title(
    rng: np.random.Generator, taxonomy: Taxonomy, skills: Sequence[SkillRef], mentor: EmployeeIn
) -> str:
    first, second = _label(taxonomy, skills[0]), _label(taxonomy, skills[1])
    templates = (
        f"Mentoring: {first}",
        f"Mentoring from a {mentor.title}: {first}",
        f"1:1 mentoring: {first} and {second}",
        f"Mentoring circle: {first}",
    )
    return templates[int(rng.integers(len(templates)))]


def _description(kind: OpportunityKind, skills: list[str], department: str) -> str:
    listed = "; ".join(skills[:3])
    if kind is OpportunityKind.GIG:
        return f"A short project for the {department} team, next to your day job. Skills: {listed}."
    if kind is OpportunityKind.MENTORSHIP:
        return f"Regular sessions with someone who uses these every day. On offer: {listed}."
    return f"Permanent position in {department}. Core skills: {listed}."


def _window(
    rng: np.random.Generator, status: OpportunityStatus, period_days: int
) -> tuple[float, float]:
    """(open_from, open_until) in seconds relative to as_of."""
    span = period_days + 30
    if status is OpportunityStatus.OPEN:
        posted = -rng.uniform(1, span) * DAY
        return posted, 0.0
    posted = -rng.uniform(45, span + 30) * DAY
    return posted, min(posted + rng.uniform(21, 100) * DAY, -DAY)


def generate_catalogue(
    rng: np.random.Generator,
    taxonomy: Taxonomy,
    families: tuple[JobFamily, ...],
    workforce: Workforce,
    *,
    size: int,
    as_of: dt.date,
    period_days: int,
    lead_persona: int = 1,
    progress: Progress | None = None,
) -> Catalogue:
    employees = workforce.employees
    kinds = _quota(rng, KIND_SHARES, size)
    statuses = _quota(rng, STATUS_SHARES, size)
    # The demo lead owns ~5%, at least one of each kind, all open so the demo has candidates.
    persona_owned: set[int] = set()
    for kind in OpportunityKind:
        first = next((i for i, k in enumerate(kinds) if k is kind), None)
        if first is not None:
            persona_owned.add(first)
    remaining = [i for i in range(size) if i not in persona_owned]
    extra = max(0, round(LEAD_PERSONA_SHARE * size) - len(persona_owned))
    persona_owned.update(rng.permutation(remaining)[:extra].tolist())
    leads = [i for i, e in enumerate(employees) if e.level >= LEAD_MIN_LEVEL and i != lead_persona]
    if not leads:
        leads = [lead_persona]
    shares = np.array([f.spec.headcount_share for f in families])
    shares = shares / shares.sum()

    opportunities, family_of, owner_of, opened, closed = [], [], [], [], []
    for index in range(size):
        kind = kinds[index]
        owned = index in persona_owned
        status = OpportunityStatus.OPEN if owned else statuses[index]
        owner = lead_persona if owned else leads[int(rng.integers(len(leads)))]
        lead = employees[owner]
        family_index = int(workforce.family[owner])
        if kind is OpportunityKind.GIG and rng.random() < CROSS_TEAM_GIG_SHARE:
            family_index = int(rng.choice(len(families), p=shares))
        family = families[family_index]

        if kind is OpportunityKind.ROLE:
            level_min = int(np.clip(lead.level - rng.integers(1, 4), 1, MAX_JOB_LEVEL - 1))
            level_max = min(MAX_JOB_LEVEL, level_min + int(rng.integers(1, 3)))
        elif kind is OpportunityKind.MENTORSHIP:
            level_min, level_max = 1, lead.level - 1
        else:
            level_min = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
            level_max = MAX_JOB_LEVEL
        occupation_id = None  # a mentorship's skills are its mentor's, of no one occupation
        if kind is OpportunityKind.MENTORSHIP:
            required, preferred = _skills_on_offer(rng, lead)
            title = _mentorship_title(rng, taxonomy, required, lead)
        else:
            required, preferred, occupation = _skills_from_family(rng, family, level_min)
            occupation_id = family.occupations[occupation].occupation_id
            if kind is OpportunityKind.ROLE:
                role = title_case(family.occupations[occupation].label)
                title = f"{SENIORITY[level_min]}{role}"
            else:
                title = _gig_title(rng, taxonomy, family, required, lead.department)

        open_from, open_until = _window(rng, status, period_days)
        if status is OpportunityStatus.OPEN:
            start = as_of + dt.timedelta(days=int(rng.integers(7, 76)))
        else:
            posted_day = int(np.floor(open_from / DAY))
            start = as_of + dt.timedelta(days=posted_day + int(rng.integers(14, 46)))
        if kind is OpportunityKind.GIG:
            hours, weeks = float(rng.integers(2, 11)), int(rng.choice([2, 4, 6, 8, 10, 12, 16]))
            seats = int(rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1]))
            location = REMOTE if rng.random() < 0.6 else lead.location
        elif kind is OpportunityKind.MENTORSHIP:
            hours, weeks = float(rng.choice([1.0, 1.5, 2.0])), int(rng.choice([8, 12, 16, 26]))
            seats = int(rng.integers(1, 4))
            location = REMOTE if rng.random() < 0.7 else lead.location
        else:
            hours, weeks = 40.0, None
            seats = int(rng.choice([1, 2], p=[0.9, 0.1]))
            location = lead.location
        labels = [_label(taxonomy, s) for s in required]
        opportunities.append(
            OpportunityIn(
                external_id=opportunity_id(index),
                kind=kind,
                title=title,
                description=_description(kind, labels, lead.department),
                owner_external_id=lead.external_id,
                department=lead.department,
                location=location,
                required_skills=required,
                preferred_skills=preferred,
                hours_per_week=hours,
                duration_weeks=weeks,
                start_date=start,
                level_min=level_min,
                level_max=level_max,
                seats=seats,
                status=status,
                occupation_id=occupation_id,
            )
        )
        family_of.append(family_index)
        owner_of.append(owner)
        opened.append(open_from)
        closed.append(open_until)
    if progress is not None:
        progress("opportunities", size, size)
    return Catalogue(
        opportunities=opportunities,
        family=np.array(family_of, dtype=np.int64),
        owner=np.array(owner_of, dtype=np.int64),
        open_from=np.array(opened),
        open_until=np.array(closed),
    )
