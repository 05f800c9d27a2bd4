"""The demo workforce: who works where, at what level, with which skills and wishes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from data.demo.demographics import draw_demographics
from data.demo.families import JobFamily, title_case
from data.demo.locations import draw_locations
from data.demo.names import draw_name, unique_emails
from data.schemas import MAX_JOB_LEVEL, EmployeeIn, OpportunityKind, SkillRef
from data.taxonomy.model import Taxonomy

# Share of people per level 1..7: a pyramid that narrows above the mid levels.
LEVEL_SHARES = (0.14, 0.24, 0.25, 0.18, 0.11, 0.06, 0.02)
MIN_SKILLS, MAX_SKILLS = 5, 15
MAX_CROSS_SKILLS = 3  # skills movers already hold from the family they want to join
MOVER_SHARE = 0.25  # people whose interests point to another family
LEAD_MIN_LEVEL = 4  # from here on people manage others and post opportunities
SENIORITY = {1: "Junior ", 2: "", 3: "", 4: "Senior ", 5: "Lead ", 6: "Principal ", 7: "Director, "}
PERSONA_LEVELS = {"employee": 3, "lead": 5, "hr": 5}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Workforce:
    """Employees plus the hidden facts about them the simulation needs."""

    employees: list[EmployeeIn]
    family: np.ndarray  # (E,) index into the families
    wanted_family: np.ndarray  # (E,) the family they want to work in (their own unless movers)
    interest_skill_ids: list[tuple[str, ...]]  # the skills their interests name


@dataclass(slots=True)
class _Person:
    """Mutable draft of one employee while the workforce is assembled."""

    family: int
    occupation: int
    level: int
    tenure: float
    wanted_family: int
    skills: dict[str, int]
    interest_ids: list[str]
    interests: list[str]
    aspirations: str
    availability: float
    open_to: list[OpportunityKind]


def _preferred_family(families: tuple[JobFamily, ...], key: str) -> int:
    return next((i for i, f in enumerate(families) if f.key == key), 0)


def _weighted_sample(
    rng: np.random.Generator, items: list[str], weights: np.ndarray, k: int
) -> list[str]:
    k = min(k, len(items))
    if k == 0:
        return []
    picks = rng.choice(len(items), size=k, replace=False, p=weights / weights.sum())
    return [items[i] for i in picks.tolist()]


def _skill_count(rng: np.random.Generator, level: int, tenure: float) -> int:
    return int(
        np.clip(
            round(MIN_SKILLS + 0.8 * level + tenure / 3 + rng.normal(0, 2)), MIN_SKILLS, MAX_SKILLS
        )
    )


def _draw_skills(
    rng: np.random.Generator,
    family: JobFamily,
    occupation: int,
    level: int,
    tenure: float,
    count: int,
) -> dict[str, int]:
    """`count` skills from the family's core and the occupation's own, proficiency by seniority."""
    pool, weights = family.skill_weights(occupation, core=5.0, own=3.0, other=0.1)
    chosen = _weighted_sample(rng, pool, weights, count)
    mean = 1.2 + 0.35 * level + 0.08 * min(tenure, 15.0)
    central = set(family.core)
    skills = {}
    for skill_id in chosen:
        core = 0.4 if skill_id in central else 0.0
        skills[skill_id] = int(np.clip(round(mean + core + rng.normal(0, 0.7)), 1, 5))
    return skills


def _draw_interests(
    rng: np.random.Generator,
    taxonomy: Taxonomy,
    family: JobFamily,
    owned: dict[str, int],
) -> tuple[list[str], list[str]]:
    """Skill labels they want to learn in `family` plus one of its topics: (ids, texts)."""
    pool, weights = family.skill_weights(None, core=3.0, other=0.3)
    keep = [i for i, s in enumerate(pool) if s not in owned]
    ids = sorted(
        _weighted_sample(rng, [pool[i] for i in keep], weights[keep], int(rng.integers(1, 4)))
    )
    topic = family.spec.topics[int(rng.integers(len(family.spec.topics)))]
    texts = [taxonomy.skills[s].label for s in ids]
    if topic.casefold() not in {t.casefold() for t in texts}:
        texts.append(topic)
    return ids, texts


def _aspiration(rng: np.random.Generator, own: JobFamily, wanted: JobFamily, level: int) -> str:
    if wanted.key != own.key:
        options = (
            f"move into {wanted.department}",
            f"build a career in {wanted.spec.topics[0]}",
            f"try a project with the {wanted.department} team before switching",
        )
    elif level >= LEAD_MIN_LEVEL:
        options = (
            f"lead a larger {own.department} team",
            f"mentor people growing into {own.spec.topics[0]}",
            "step up to a broader leadership role",
        )
    else:
        options = (
            f"grow into a senior {own.department} role",
            f"deepen my {own.spec.topics[0]} skills",
            f"get hands-on experience in {own.spec.topics[1]}",
        )
    return options[int(rng.integers(len(options)))]


def _draw_availability(rng: np.random.Generator) -> float:
    if rng.random() < 0.2:
        return 0.0
    return float(np.clip(round(rng.gamma(2.0, 3.0)), 1, 20))


def _draw_open_to(rng: np.random.Generator, mover: bool, available: bool) -> list[OpportunityKind]:
    chances = {
        OpportunityKind.GIG: (0.8 if mover else 0.65) if available else 0.15,
        OpportunityKind.MENTORSHIP: 0.45,
        OpportunityKind.ROLE: 0.6 if mover else 0.3,
    }
    draws = rng.random(len(chances))
    return [kind for kind, u in zip(chances, draws.tolist(), strict=True) if u < chances[kind]]


def _draw_person(
    rng: np.random.Generator,
    taxonomy: Taxonomy,
    families: tuple[JobFamily, ...],
    family_shares: np.ndarray,
    level: int,
    family_index: int | None = None,
    *,
    occupation: int | None = None,
    may_move: bool = True,
) -> _Person:
    if family_index is None:
        family_index = int(rng.choice(len(families), p=family_shares))
    family = families[family_index]
    if occupation is None:
        occupation = int(rng.integers(len(family.occupations)))
    # Seniors have been around longer on average; the cap keeps hire dates after 2001.
    tenure = float(np.clip(rng.gamma(1.5 + 0.3 * level, 1.6), 0.1, 24.5))
    wanted_index = family_index
    mover = may_move and len(families) > 1 and rng.random() < MOVER_SHARE
    cross = int(rng.integers(1, MAX_CROSS_SKILLS + 1)) if mover else 0
    count = min(_skill_count(rng, level, tenure), MAX_SKILLS - cross)
    skills = _draw_skills(rng, family, occupation, level, tenure, count)
    if mover:
        others = [i for i in range(len(families)) if i != family_index]
        wanted_index = others[int(rng.integers(len(others)))]
        # Movers have started on the target family's skills, at low proficiency.
        wanted = families[wanted_index]
        pool, weights = wanted.skill_weights(None, core=4.0, other=0.1)
        for skill_id in _weighted_sample(rng, pool, weights, cross):
            skills.setdefault(skill_id, int(rng.integers(1, 3)))
    interest_ids, interests = _draw_interests(rng, taxonomy, families[wanted_index], skills)
    availability = _draw_availability(rng)
    return _Person(
        family=family_index,
        occupation=occupation,
        level=level,
        tenure=tenure,
        wanted_family=wanted_index,
        skills=skills,
        interest_ids=interest_ids,
        interests=interests,
        aspirations=_aspiration(rng, family, families[wanted_index], level),
        availability=availability,
        open_to=_draw_open_to(rng, mover, availability > 0),
    )


def _shape_personas(
    rng: np.random.Generator,
    taxonomy: Taxonomy,
    families: tuple[JobFamily, ...],
    people: list[_Person],
) -> None:
    """E00001 analyst with time and appetite, E00002 data lead, E00003 HR partner."""
    data = _preferred_family(families, "data")
    people_family = _preferred_family(families, "people")
    analyst = next(
        (i for i, o in enumerate(families[data].occupations) if "analyst" in o.label.casefold()),
        None,
    )
    shares = np.ones(len(families)) / len(families)
    specs = (("employee", data, analyst), ("lead", data, None), ("hr", people_family, None))
    for index, (persona, family_index, occupation) in enumerate(specs):
        people[index] = _draw_person(
            rng,
            taxonomy,
            families,
            shares,
            PERSONA_LEVELS[persona],
            family_index,
            occupation=occupation,
            may_move=persona != "employee",
        )
    employee = people[0]
    employee.availability = 8.0
    employee.open_to = list(OpportunityKind)
    topics = families[data].spec.topics
    if topics[0] not in employee.interests:
        employee.interests.append(topics[0])
    employee.aspirations = f"grow from analysis into {topics[0]}"


def _draw_levels(rng: np.random.Generator, n: int) -> np.ndarray:
    shares = np.array(LEVEL_SHARES)
    return rng.choice(np.arange(1, MAX_JOB_LEVEL + 1), size=n, p=shares / shares.sum())


def _assign_managers(
    rng: np.random.Generator, people: list[_Person], departments: list[str]
) -> list[int | None]:
    """A tree per department: a unique most senior head, everyone else reports to someone senior.

    Reports go to the nearest level above them among people of level >= LEAD_MIN_LEVEL (or the
    head), so spans stay plausible and the chain always ends at the head.
    """
    managers: list[int | None] = [None] * len(people)
    for department in sorted(set(departments)):
        members = [i for i, d in enumerate(departments) if d == department]
        head = min(members, key=lambda i: (-people[i].level, i))
        top = people[head].level
        if any(people[i].level >= top for i in members if i != head):
            if top < MAX_JOB_LEVEL:
                people[head].level = top + 1
            else:
                for i in members:
                    if i != head and people[i].level == MAX_JOB_LEVEL:
                        people[i].level = MAX_JOB_LEVEL - 1
        leads_by_level: dict[int, list[int]] = {}
        for i in members:
            if people[i].level >= LEAD_MIN_LEVEL or i == head:
                leads_by_level.setdefault(people[i].level, []).append(i)
        lead_levels = sorted(leads_by_level)
        for i in members:
            if i == head:
                continue
            nearest = next(v for v in lead_levels if v > people[i].level)
            candidates = leads_by_level[nearest]
            managers[i] = candidates[int(rng.integers(len(candidates)))]
    return managers


def _title(family: JobFamily, person: _Person, is_head: bool) -> str:
    if is_head:
        return f"Head of {family.department}"
    occupation = title_case(family.occupations[person.occupation].label)
    return f"{SENIORITY[person.level]}{occupation}"


def generate_workforce(
    rng: np.random.Generator,
    taxonomy: Taxonomy,
    families: tuple[JobFamily, ...],
    *,
    size: int,
    as_of: dt.date,
    progress: Progress | None = None,
) -> Workforce:
    shares = np.array([f.spec.headcount_share for f in families])
    shares = shares / shares.sum()
    levels = _draw_levels(rng, size)
    people = []
    for i in range(size):
        people.append(_draw_person(rng, taxonomy, families, shares, int(levels[i])))
        if progress is not None and (i + 1) % 500 == 0:
            progress("people", i + 1, size)
    _shape_personas(rng, taxonomy, families, people)
    departments = [families[p.family].department for p in people]
    managers = _assign_managers(rng, people, departments)
    if size >= 2 and people[0].family == people[1].family:
        managers[0] = 1  # the demo employee reports to the demo lead
    demographics = draw_demographics(rng, size)
    places = draw_locations(rng, size)
    names = [draw_name(rng, None if d is None else d.gender) for d in demographics]
    emails = unique_emails(names)
    employees = []
    for i, person in enumerate(people):
        family = families[person.family]
        hired = as_of - dt.timedelta(days=round(person.tenure * 365.25))
        manager = managers[i]
        location, timezone = places[i]
        years = max(1, round(person.tenure))
        employees.append(
            EmployeeIn(
                external_id=employee_id(i),
                name=names[i],
                email=emails[i],
                title=_title(family, person, manager is None),
                department=family.department,
                level=person.level,
                location=location,
                timezone=timezone,
                manager_external_id=None if manager is None else employee_id(manager),
                hire_date=hired,
                skills=[SkillRef(skill_id=s, level=v) for s, v in sorted(person.skills.items())],
                interests=person.interests,
                aspirations=person.aspirations,
                bio=(
                    f"{title_case(family.occupations[person.occupation].label)} in "
                    f"{family.department}, {years} year{'s' if years > 1 else ''} with us."
                ),
                availability_hours_per_week=person.availability,
                open_to=person.open_to,
                demographics=demographics[i],
                # The HR system's job code: the occupation the person was drawn from.
                occupation_id=family.occupations[person.occupation].occupation_id,
            )
        )
    if progress is not None:
        progress("people", size, size)
    return Workforce(
        employees=employees,
        family=np.array([p.family for p in people], dtype=np.int64),
        wanted_family=np.array([p.wanted_family for p in people], dtype=np.int64),
        interest_skill_ids=[tuple(p.interest_ids) for p in people],
    )


def employee_id(index: int) -> str:
    return f"E{index + 1:05d}"
