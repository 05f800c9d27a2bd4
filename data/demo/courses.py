"""The demo company's course catalog: learning items that close the gaps its opportunities open.

A gap is a skill an opportunity asks for at a level the person does not hold. For every skill that
any opportunity requires or prefers the catalog holds a short ladder of courses, each taking a
learner from one proficiency level to a higher one (0 = no knowledge, 1 aware … 5 expert):

- a foundation course from nothing to level 2 or 3, so every asked skill can be started from zero;
- a next step to level 3 (or 4) when the company asks for 3 or more and the foundation stops at 2;
- an advanced course reaching 4 or 5 when the company asks for 4 or more;
- now and then a short awareness course, a jump from level 1 to 3, or a second provider's
  foundation course, so a learner has a real choice;
- a few programmes teaching two skills that one opportunity asks for together.

Titles are built from the taxonomy label and the level range; providers, formats and hours are
invented but plausible (a two-day workshop is 14 hours). The generator draws from its own random
stream, so adding or changing courses leaves people, opportunities and history untouched.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from data.schemas import CourseFormat, CourseIn, CourseSkill, OpportunityIn
from data.taxonomy.model import Taxonomy

MAX_TITLE_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    domain: str  # reserved .example domains: the demo must not point at anyone's real site
    formats: tuple[CourseFormat, ...]


PROVIDERS = (
    Provider(
        "In-house Academy",
        "academy.corp.example",
        (CourseFormat.SELF_PACED, CourseFormat.WORKSHOP, CourseFormat.COHORT),
    ),
    Provider("Peer Guild", "guild.corp.example", (CourseFormat.WORKSHOP,)),
    Provider(
        "Brackenridge Learning",
        "brackenridge-learning.example",
        (CourseFormat.SELF_PACED, CourseFormat.COHORT),
    ),
    Provider(
        "Quillmoor Institute", "quillmoor.example", (CourseFormat.WORKSHOP, CourseFormat.COHORT)
    ),
    Provider("Tidewell Online", "tidewell.example", (CourseFormat.SELF_PACED,)),
)

# Title templates per (level_from, level_to). A title opens with `{Label}` (the label, first
# letter raised) or puts `{label}` after a colon, where ESCO's verb phrases ("perform data
# cleansing") read as naturally as its nouns ("SQL").
_TITLES: dict[tuple[int, int], tuple[str, ...]] = {
    (0, 1): ("{Label} in an hour", "{Label}: a first look", "A short introduction: {label}"),
    (0, 2): (
        "{Label}: the essentials",
        "{Label}: from first steps to everyday use",
        "Getting started: {label}",
    ),
    (0, 3): (
        "{Label}: from basics to independent work",
        "Bootcamp: {label}",
        "{Label}: zero to productive",
    ),
    (1, 3): ("{Label}: filling in the gaps", "Refresher: {label}"),
    (2, 3): ("{Label}: beyond the basics", "Next steps: {label}", "Practice lab: {label}"),
    (2, 4): ("{Label}: advanced practice", "{Label}: from practitioner to advanced"),
    (3, 4): ("Advanced topics: {label}", "{Label}: advanced techniques"),
    (3, 5): ("{Label}: expert track", "{Label}: leading and teaching others"),
}
_BUNDLE_TITLES = (
    "{First} and {second}: a practical programme",
    "Skills lab: {first} and {second}",
)
# Chances of the optional rungs, per skill (see the module docstring).
AWARENESS_SHARE = 0.10
JUMP_SHARE = 0.20  # 1 -> 3, among skills asked at 3 or more
SECOND_PROVIDER_SHARE = 0.15
BUNDLE_SHARE = 0.15  # of opportunities, a programme for their first two required skills


def course_id(index: int) -> str:
    return f"C{index + 1:04d}"


def asked_levels(opportunities: Sequence[OpportunityIn]) -> dict[str, int]:
    """Highest level any opportunity asks for, per skill (required or preferred)."""
    top: dict[str, int] = {}
    for opportunity in opportunities:
        for ref in opportunity.required_skills + opportunity.preferred_skills:
            if ref.skill_id is not None:
                top[ref.skill_id] = max(top.get(ref.skill_id, 0), ref.level)
    return top


def _short_label(label: str) -> str:
    """'Swift (computer programming)' -> 'Swift': a course title needs no disambiguation."""
    return re.sub(r"\s*\([^)]*\)$", "", label).strip() or label


def _raised(label: str) -> str:
    """'perform data cleansing' -> 'Perform data cleansing'; 'iOS' and 'SQL' stay as written."""
    if any(c.isupper() for c in label.split()[0]):
        return label
    return label[:1].upper() + label[1:]


def _ladder(rng: np.random.Generator, top: int) -> list[tuple[int, int]]:
    """(level_from, level_to) of the courses for one skill the company asks for at `top`."""
    foundation = 3 if top >= 3 and rng.random() < 0.6 else 2
    steps = [(0, foundation)]
    if top >= 3 and foundation == 2:
        steps.append((2, 4) if rng.random() < 0.3 else (2, 3))
    if top >= 4 and max(to for _, to in steps) < 4:
        steps.append([(3, 4), (3, 5), (2, 4)][int(rng.choice(3, p=[0.35, 0.4, 0.25]))])
    if top >= 3 and rng.random() < JUMP_SHARE:
        steps.append((1, 3))
    if rng.random() < SECOND_PROVIDER_SHARE:
        steps.append((0, 2 if rng.random() < 0.5 else 3))
    if rng.random() < AWARENESS_SHARE:
        steps.append((0, 1))
    return steps


def _draw_format(rng: np.random.Generator, skill_type: str, level_to: int) -> CourseFormat:
    # Knowledge is mostly read and watched; practical skills and advanced levels need practice
    # with others, so they lean towards workshops and cohorts.
    if level_to <= 1:
        return CourseFormat.SELF_PACED
    weights = [0.6, 0.25, 0.15] if skill_type == "knowledge" else [0.35, 0.35, 0.3]
    if level_to >= 4:
        weights = [0.15, 0.35, 0.5]
    return list(CourseFormat)[int(rng.choice(3, p=weights))]


def _hours(rng: np.random.Generator, course_format: CourseFormat, levels: tuple[int, int]) -> float:
    level_from, level_to = levels
    span = level_to - level_from
    if course_format is CourseFormat.SELF_PACED:
        if levels == (0, 1):  # awareness: a video and a quiz
            return float(rng.choice([1.0, 1.5, 2.0, 3.0]))
        # Each level above 3 takes longer to reach than the ones below it.
        return float(span * rng.integers(2, 7) * (1.5 if level_to >= 4 else 1.0))
    if course_format is CourseFormat.WORKSHOP:
        return 4.0 if span == 1 else float(rng.choice([7.0, 14.0], p=[0.6, 0.4]))
    weeks, per_week = int(rng.choice([4, 6, 8])), float(rng.choice([2.0, 3.0]))
    return weeks * per_week * (1.5 if span >= 3 else 1.0)


def _provider(
    rng: np.random.Generator, course_format: CourseFormat, avoid: Collection[str] = ()
) -> Provider:
    offering = [p for p in PROVIDERS if course_format in p.formats and p.name not in avoid]
    offering = offering or [p for p in PROVIDERS if course_format in p.formats]
    return offering[int(rng.integers(len(offering)))]


def _pick_title(
    rng: np.random.Generator, templates: Sequence[str], used: set[str], **labels: str
) -> str:
    """A template not yet used for these skills, filled with each label as written and raised
    (`{label}`, `{Label}`); the first label alone if the title would be too long."""
    forms = {**labels, **{name.capitalize(): _raised(text) for name, text in labels.items()}}
    titles = [t.format(**forms) for t in templates]
    fresh = [t for t in titles if t not in used] or titles
    title = fresh[int(rng.integers(len(fresh)))]
    if len(title) > MAX_TITLE_LENGTH:
        title = _raised(next(iter(labels.values())))[:MAX_TITLE_LENGTH]
    used.add(title)
    return title


@dataclass(frozen=True, slots=True)
class _Draft:
    """A course before the catalog is shuffled and numbered."""

    title: str
    provider: Provider
    format: CourseFormat
    hours: float
    skills: tuple[CourseSkill, ...]


def generate_courses(
    rng: np.random.Generator, taxonomy: Taxonomy, opportunities: Sequence[OpportunityIn]
) -> list[CourseIn]:
    """The catalog for these opportunities: the same generator state gives the same courses."""
    top = asked_levels(opportunities)
    drafts: list[_Draft] = []
    # Sorted by id so the catalog does not depend on the order opportunities list their skills.
    for skill_id in sorted(top):
        skill = taxonomy.skills[skill_id]
        label = _short_label(skill.label)
        used: set[str] = set()
        providers_used: set[str] = set()
        for level_from, level_to in _ladder(rng, top[skill_id]):
            course_format = _draw_format(rng, skill.skill_type, level_to)
            # Courses on one skill come from different providers where possible: that is the
            # choice a learner gets.
            provider = _provider(rng, course_format, avoid=providers_used)
            providers_used.add(provider.name)
            drafts.append(
                _Draft(
                    title=_pick_title(rng, _TITLES[level_from, level_to], used, label=label),
                    provider=provider,
                    format=course_format,
                    hours=_hours(rng, course_format, (level_from, level_to)),
                    skills=(
                        CourseSkill(skill_id=skill_id, level_from=level_from, level_to=level_to),
                    ),
                )
            )
    drafts.extend(_bundles(rng, taxonomy, opportunities))
    order = rng.permutation(len(drafts)).tolist()  # catalog numbers do not group by skill
    courses = []
    for index, position in enumerate(order):
        draft = drafts[position]
        external_id = course_id(index)
        courses.append(
            CourseIn(
                external_id=external_id,
                title=draft.title,
                provider=draft.provider.name,
                format=draft.format,
                hours=draft.hours,
                url=f"https://{draft.provider.domain}/courses/{external_id.lower()}",
                skills=list(draft.skills),
            )
        )
    return courses


def _bundles(
    rng: np.random.Generator, taxonomy: Taxonomy, opportunities: Sequence[OpportunityIn]
) -> list[_Draft]:
    """Cohort programmes teaching two skills that one opportunity asks for together."""
    drafts: list[_Draft] = []
    seen: set[frozenset[str]] = set()
    used: set[str] = set()
    for opportunity in opportunities:
        if rng.random() >= BUNDLE_SHARE or len(opportunity.required_skills) < 2:
            continue
        first, second = (ref.skill_id or "" for ref in opportunity.required_skills[:2])
        if frozenset((first, second)) in seen:
            continue
        seen.add(frozenset((first, second)))
        level_from = int(rng.integers(0, 2))
        skills = tuple(
            CourseSkill(skill_id=s, level_from=level_from, level_to=level_from + 2)
            for s in (first, second)
        )
        title = _pick_title(
            rng,
            _BUNDLE_TITLES,
            used,
            first=_short_label(taxonomy.skills[first].label),
            second=_short_label(taxonomy.skills[second].label),
        )
        provider = _provider(rng, CourseFormat.COHORT)
        drafts.append(
            _Draft(
                title=title,
                provider=provider,
                format=CourseFormat.COHORT,
                hours=_hours(rng, CourseFormat.COHORT, (level_from, level_from + 2)),
                skills=skills,
            )
        )
    return drafts
