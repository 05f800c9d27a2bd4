"""A career path: from where a person stands to a target role or occupation.

The gap is every skill the target asks for (a posted role's required and preferred skills, or
an ESCO occupation's most specific essential skills) at a level the person does not hold. A
skill counts as held at the higher of the profile's level and the level completed work
confirmed (a lead's confirmation is evidence even before the person copies it into their
profile). The path closes the gap greedily: each step is the course, mentorship or open gig
that closes the most remaining gap skills (raising one part of the way, beyond what earlier
steps reach, counts half), fewer hours first on ties; a gap nothing open today builds is
listed as such. Planned afresh on every
read, so a confirmed skill drops out of the gap and the path the next time it is asked for.

The route is the occupations between the person's and the target's: the direct move when it
is as good as any, else one or two stepping stones among the two occupations' nearest
(`OccupationRelatedness`), chosen so that the least related move along the way is as related
as possible; a stone is taken only when it raises that weakest move by `STONE_GAIN` (each one
is a whole change of job).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy.orm import Session

from data.storage.tables import EmployeeRow
from data.taxonomy.model import Taxonomy
from data.taxonomy.relatedness import OccupationRelatedness
from matching.learning import SkillGap, learning_for
from matching.views import LearningItem

KIND_ORDER = {"course": 0, "mentorship": 1, "gig": 2}
MAX_STEPS = 12
STONES_CONSIDERED = 25  # nearest occupations of each end that may be a stepping stone
STONE_GAIN = 0.1  # how much a stepping stone must raise the weakest move to be worth a job


@dataclass(frozen=True, slots=True)
class TargetSkill:
    skill_id: str
    name: str
    level: int


@dataclass(frozen=True, slots=True)
class CareerTarget:
    kind: str  # role | occupation
    external_id: str  # the role's external id or the occupation id
    label: str
    skills: Sequence[TargetSkill]
    occupation_id: str | None = None  # the occupation itself, or the role's occupation


class TargetRef(TypedDict):
    kind: str  # role | occupation
    id: str  # the role's external id or the occupation id
    label: str


class SkillShort(TypedDict):
    """A target skill the person holds below the level it needs (0: not at all)."""

    skill_id: str
    name: str
    level_held: int
    level_needed: int
    confirmed_by_work: bool  # the level held comes from completed work, not the profile


class SkillUnmet(TypedDict):
    skill_id: str
    name: str
    level_needed: int


class Progress(TypedDict):
    skills_needed: int
    skills_met: int
    share: float


class Occupation(TypedDict):
    occupation_id: str
    label: str


class RouteStep(Occupation):
    relatedness: float  # to the step before


class OccupationRoute(TypedDict):
    from_occupation: Occupation
    to_occupation: Occupation
    relatedness: float  # of the direct move
    steps: list[RouteStep]
    weakest: float


class CareerPath(TypedDict):
    target: TargetRef
    gap: list[SkillShort]
    path: list[PathStep]
    not_closed: list[SkillUnmet]  # built only part of the way
    not_covered: list[SkillUnmet]  # nothing open builds them
    progress: Progress
    route: OccupationRoute | None


def career_path(
    session: Session,
    employee: EmployeeRow,
    target: CareerTarget,
    *,
    confirmed: Mapping[str, int],
    taxonomy: Taxonomy | None = None,
) -> CareerPath:
    """The gap, the path that closes it and, given the taxonomy, the route between the
    person's occupation and the target's."""
    profile = {s.skill_id: s.level for s in employee.skills}
    held = {k: max(profile.get(k, 0), confirmed.get(k, 0)) for k in {*profile, *confirmed}}
    gaps = [
        SkillGap(s.skill_id, s.name, held.get(s.skill_id, 0), s.level)
        for s in target.skills
        if held.get(s.skill_id, 0) < s.level
    ]
    exclude = [target.external_id] if target.kind == "role" else []
    options = learning_for(
        session,
        gaps,
        employee_external_id=employee.external_id,
        per_gap=3,
        exclude_opportunities=exclude,
    )
    steps = _steps(options)
    path, unclosed = _plan(steps, {g.skill_id: g for g in gaps})
    built = {b["skill_id"] for step in path for b in step["builds"]}
    met = len(target.skills) - len(gaps)
    return {
        "target": {"kind": target.kind, "id": target.external_id, "label": target.label},
        "gap": [
            {
                "skill_id": g.skill_id,
                "name": g.skill_name,
                "level_held": g.level_held,
                "level_needed": g.level_asked,
                "confirmed_by_work": confirmed.get(g.skill_id, 0) > profile.get(g.skill_id, 0),
            }
            for g in gaps
        ],
        "path": path,
        # Gaps the path builds only part of the way, and gaps nothing open builds at all.
        "not_closed": [
            {"skill_id": g.skill_id, "name": g.skill_name, "level_needed": g.level_asked}
            for g in gaps
            if g.skill_id in unclosed and g.skill_id in built
        ],
        "not_covered": [
            {"skill_id": g.skill_id, "name": g.skill_name, "level_needed": g.level_asked}
            for g in gaps
            if g.skill_id in unclosed and g.skill_id not in built
        ],
        "progress": {
            "skills_needed": len(target.skills),
            "skills_met": met,
            "share": round(met / len(target.skills), 3) if target.skills else 1.0,
        },
        "route": (
            occupation_route(taxonomy, employee.occupation_id, target.occupation_id)
            if taxonomy is not None
            else None
        ),
    }


def occupation_route(
    taxonomy: Taxonomy, from_id: str | None, to_id: str | None
) -> OccupationRoute | None:
    """The moves from one occupation to another: {from_occupation, to_occupation, relatedness
    (of the direct move), steps: [{occupation_id, label, relatedness to the step before}],
    weakest}; None when either end is unknown."""
    if from_id is None or to_id is None:
        return None
    if from_id not in taxonomy.occupations or to_id not in taxonomy.occupations:
        return None
    relatedness = OccupationRelatedness.from_taxonomy(taxonomy)
    stones = _stones(relatedness, from_id, to_id)
    hops = [from_id, *stones, to_id]
    moves = [relatedness.score(a, b) for a, b in itertools.pairwise(hops)]

    def named(occupation_id: str) -> Occupation:
        return {"occupation_id": occupation_id, "label": taxonomy.occupations[occupation_id].label}

    return {
        "from_occupation": named(from_id),
        "to_occupation": named(to_id),
        "relatedness": round(relatedness.score(from_id, to_id), 4),
        "steps": [
            {**named(b), "relatedness": round(r, 4)} for b, r in zip(hops[1:], moves, strict=True)
        ]
        if from_id != to_id
        else [],
        "weakest": round(min(moves), 4),
    }


def _stones(relatedness: OccupationRelatedness, from_id: str, to_id: str) -> list[str]:
    """No, one or two stepping stones: the widest route (its weakest move the most related),
    the shorter one unless the longer raises the weakest move by STONE_GAIN."""
    if from_id == to_id:
        return []
    near_from = [n for n, _ in relatedness.neighbours(from_id, STONES_CONSIDERED) if n != to_id]
    near_to = [n for n, _ in relatedness.neighbours(to_id, STONES_CONSIDERED) if n != from_id]
    best: tuple[float, list[str]] = (relatedness.score(from_id, to_id), [])
    one = sorted(set(near_from) | set(near_to))
    from_one, to_one = relatedness.scores(from_id, one), relatedness.scores(to_id, one)
    widest_one = max(
        ((min(a, b), [m]) for m, a, b in zip(one, from_one, to_one, strict=True)),
        key=lambda found: found[0],
        default=None,
    )
    if widest_one is not None and widest_one[0] >= best[0] + STONE_GAIN:
        best = (float(widest_one[0]), widest_one[1])
    from_first = relatedness.scores(from_id, near_from)
    to_last = relatedness.scores(to_id, near_to)
    for first, into_first in zip(near_from, from_first, strict=True):
        between = relatedness.scores(first, near_to)
        for last, middle, out_of_last in zip(near_to, between, to_last, strict=True):
            weakest = float(min(into_first, middle, out_of_last))
            # Over fewer stones it must gain STONE_GAIN a stone; over two, just be wider.
            needed = best[0] + STONE_GAIN * (2 - len(best[1]))
            wider = weakest > best[0] if len(best[1]) == 2 else weakest >= needed
            if last != first and wider:
                best = (weakest, [first, last])
    return best[1]


# One skill a path step builds. Functional form: "from" is a keyword.
SkillBuild = TypedDict(
    "SkillBuild", {"skill_id": str, "name": str, "from": int, "to": int, "closes_gap": bool}
)


class PathStep(TypedDict):
    order: int
    kind: str
    external_id: str
    title: str
    hours: float  # a course's hours in all; an opening's hours a week
    hours_are: str  # "total" | "per week"
    builds: list[SkillBuild]


@dataclass
class _Step:
    kind: str
    external_id: str
    title: str
    hours: float
    reaches: dict[str, int]  # skill id -> the level this step takes it to


def _steps(options: list[LearningItem]) -> list[_Step]:
    by_key: dict[tuple[str, str], _Step] = {}
    for option in options:
        key = (option["kind"], option["external_id"])
        step = by_key.setdefault(
            key, _Step(option["kind"], option["external_id"], option["title"], option["hours"], {})
        )
        level = option.get("level_to", option.get("level", 0))
        step.reaches[option["skill_id"]] = max(step.reaches.get(option["skill_id"], 0), level)
    return list(by_key.values())


def _plan(steps: list[_Step], gaps: dict[str, SkillGap]) -> tuple[list[PathStep], set[str]]:
    remaining = set(gaps)
    reached = {s: g.level_held for s, g in gaps.items()}  # as the path so far leaves each skill
    chosen: list[PathStep] = []

    def gains(step: _Step) -> list[tuple[str, int]]:
        return [
            (s, level)
            for s, level in sorted(step.reaches.items())
            if s in remaining and level > reached[s]
        ]

    def value(step: _Step) -> float:
        return sum(1.0 if level >= gaps[s].level_asked else 0.5 for s, level in gains(step))

    pool = list(steps)
    while remaining and pool and len(chosen) < MAX_STEPS:
        best = max(
            pool, key=lambda s: (value(s), -s.hours, -KIND_ORDER.get(s.kind, 3), s.external_id)
        )
        if value(best) <= 0:
            break
        pool.remove(best)
        builds: list[SkillBuild] = [
            {
                "skill_id": s,
                "name": gaps[s].skill_name,
                "from": reached[s],
                "to": level,
                "closes_gap": level >= gaps[s].level_asked,
            }
            for s, level in gains(best)
        ]
        chosen.append(
            {
                "order": len(chosen) + 1,
                "kind": best.kind,
                "external_id": best.external_id,
                "title": best.title,
                # A course's hours in all; an opening's hours a week.
                "hours": best.hours,
                "hours_are": "total" if best.kind == "course" else "per week",
                "builds": builds,
            }
        )
        for build in builds:
            reached[build["skill_id"]] = build["to"]
        remaining -= {b["skill_id"] for b in builds if b["closes_gap"]}
    return chosen, remaining
