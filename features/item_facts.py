"""What the skill features read of one person or one posting, computed once per item.

`FeatureStore` used to build these per request: a vocabulary of the request's skills, each
posting's occupation profile looked up skill by skill, each person's tools per category. At
100k people that was ~20 ms of every page for inputs that change only when a profile or a
posting does. Here each item's part is arrays of process-wide integer codes (skills and tool
categories), made once and kept by whoever holds the item (matching/read_model.py); a request
concatenates them. Values are the ones the per-request loops computed, converted the same way
(Python floats to float32), so the features are the same bits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass, fields

import numpy as np

from features.inputs import OpportunityInputs, PersonInputs
from features.taxonomy_facts import OccupationProfiles


class Codes:
    """Process-wide integer codes for ids (skills, tool categories): append-only, so a code
    held anywhere never changes meaning."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self.ids: list[str] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def of(self, ids: Iterable[str]) -> np.ndarray:
        ids = list(ids)
        try:
            return np.array([self._codes[i] for i in ids], dtype=np.int64)
        except KeyError:
            with self._lock:  # two threads must not give one code to two ids
                for i in ids:
                    if i not in self._codes:
                        self._codes[i] = len(self.ids)
                        self.ids.append(i)
            return np.array([self._codes[i] for i in ids], dtype=np.int64)


SKILLS = Codes()
CATEGORIES = Codes()


class FactsContext:
    """The taxonomy facts an item's arrays are computed with, and per-skill-code lookups
    (profile weight, tool category) grown as codes appear."""

    def __init__(self, tool_categories: Mapping[str, str], profiles: OccupationProfiles) -> None:
        self.tool_categories = tool_categories
        self.profiles = profiles
        self._weight = np.zeros(0, dtype=np.float32)
        self._category = np.zeros(0, dtype=np.int64)
        self._lock = threading.Lock()
        none = np.zeros(1, dtype=np.int64)
        # A person with no skills (a lead whose skills no feature of the page reads).
        self.no_skills = PersonFacts(
            self,
            none,
            np.zeros(0, np.int64),
            np.zeros(0, np.float32),
            none,
            np.zeros(0, np.int64),
            none,
            np.zeros(0, np.int64),
            np.zeros(0, np.float32),
        )

    def per_skill(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(profile weight, tool category code or -1) of skill codes 0..size-1."""
        weight, category = self._weight, self._category
        if len(weight) >= size:
            return weight, category
        with self._lock:
            have = len(self._weight)
            if have < size:
                ids = SKILLS.ids[have:size]
                grown = np.array([self.profiles.weight(s) for s in ids], dtype=np.float32)
                cats = [self.tool_categories.get(s) for s in ids]
                codes = CATEGORIES.of(c for c in cats if c is not None)
                found = np.full(len(ids), -1, dtype=np.int64)
                found[[i for i, c in enumerate(cats) if c is not None]] = codes
                self._weight = np.concatenate([self._weight, grown])
                self._category = np.concatenate([self._category, found])
            return self._weight, self._category


_contexts: dict[tuple[int, int], tuple[Mapping[str, str], OccupationProfiles, FactsContext]] = {}
_contexts_lock = threading.Lock()


def context_for(tool_categories: Mapping[str, str], profiles: OccupationProfiles) -> FactsContext:
    """One context per (tool categories, profiles) pair of objects: the packaged taxonomy's
    is shared by every request (both are built once per process)."""
    key = (id(tool_categories), id(profiles))
    with _contexts_lock:
        found = _contexts.get(key)
        if found is None or found[0] is not tool_categories or found[1] is not profiles:
            if len(_contexts) >= 8:  # tests hand in their own taxonomies; keep a few
                _contexts.clear()
            found = (tool_categories, profiles, FactsContext(tool_categories, profiles))
            _contexts[key] = found
        return found[2]


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """A run of people's skill-side arrays, concatenated (a cached person: a run of one)."""

    context: FactsContext
    skill_counts: np.ndarray  # per person
    skills: np.ndarray  # skill codes, each person's in their skills' order
    levels: np.ndarray  # float32, alike
    implied_counts: np.ndarray
    implied: np.ndarray  # skill codes of what their occupation implies
    category_counts: np.ndarray
    categories: np.ndarray  # tool category codes held (profiles.person_categories' order)
    category_weights: np.ndarray  # float32


@dataclass(frozen=True, slots=True)
class PostingFacts:
    """A run of postings' skill-side arrays, concatenated."""

    context: FactsContext
    asked_counts: np.ndarray
    asked: np.ndarray  # skill codes: required, then preferred, each in its order
    asked_levels: np.ndarray  # float32
    required: np.ndarray  # bool
    profile_counts: np.ndarray
    profile: np.ndarray  # skill codes of the posting's profile (occupation's, asked over it)
    profile_weights: np.ndarray  # float32
    mass: np.ndarray  # float32: the profile's whole weight
    category_counts: np.ndarray
    categories: np.ndarray  # tool category codes of the posting's unit category vector
    category_weights: np.ndarray  # float32


def _counts(groups: Sequence[Sized]) -> np.ndarray:
    return np.array([len(g) for g in groups], dtype=np.int64)


def person_facts(people: Sequence[PersonInputs], context: FactsContext) -> PersonFacts:
    profiles = context.profiles
    categories = [profiles.person_categories(p.skills) for p in people]
    return PersonFacts(
        context,
        _counts([p.skills for p in people]),
        SKILLS.of(s for p in people for s in p.skills),
        np.array([v for p in people for v in p.skills.values()], dtype=np.float32),
        _counts([p.implied for p in people]),
        SKILLS.of(s for p in people for s in p.implied),
        _counts(categories),
        CATEGORIES.of(c for vector in categories for c in vector),
        np.array([w for vector in categories for w in vector.values()], dtype=np.float32),
    )


def posting_facts(postings: Sequence[OpportunityInputs], context: FactsContext) -> PostingFacts:
    profiles = context.profiles
    merged, masses, vectors = [], [], []
    for o in postings:
        occupation = o.occupation_id
        profile = profiles.profile(occupation)
        asked = profiles.asked(occupation, o.required, o.preferred)
        masses.append(
            profiles.mass(occupation) + sum(w - profile.get(s, 0.0) for s, w in asked.items())
        )
        # Where both list a skill the posting's ask wins (the store's former lookup,
        # `asked.get(s) or profile.get(s)`: an ask is never 0).
        merged.append({**profile, **asked})
        vectors.append(profiles.posting_categories(occupation, (*o.required, *o.preferred)))
    return PostingFacts(
        context,
        np.array([len(o.required) + len(o.preferred) for o in postings], dtype=np.int64),
        SKILLS.of(s for o in postings for s in (*o.required, *o.preferred)),
        np.array(
            [v for o in postings for v in (*o.required.values(), *o.preferred.values())],
            dtype=np.float32,
        ),
        np.array(
            [r for o in postings for r in (True,) * len(o.required) + (False,) * len(o.preferred)],
            dtype=bool,
        ),
        _counts(merged),
        SKILLS.of(s for m in merged for s in m),
        np.array([w for m in merged for w in m.values()], dtype=np.float32),
        np.array(masses, dtype=np.float32),
        _counts(vectors),
        CATEGORIES.of(c for v in vectors for c in v),
        np.array([w for v in vectors for w in v.values()], dtype=np.float32),
    )


def gather_people(
    people: Sequence[PersonInputs],
    given: Sequence[PersonFacts | None] | None,
    context: FactsContext,
) -> PersonFacts:
    """The people's facts in their order: those given (made in this context) as they are,
    the others made now."""
    if given is None:
        return person_facts(people, context)
    parts = []
    for person, facts in zip(people, given, strict=True):
        if facts is None or facts.context is not context:
            facts = (
                context.no_skills
                if not person.skills and not person.implied
                else person_facts([person], context)
            )
        parts.append(facts)
    return concat_people(parts, context)


def gather_postings(
    postings: Sequence[OpportunityInputs],
    given: Sequence[PostingFacts | None] | None,
    context: FactsContext,
) -> PostingFacts:
    if given is None:
        return posting_facts(postings, context)
    parts = [
        facts
        if facts is not None and facts.context is context
        else posting_facts([posting], context)
        for posting, facts in zip(postings, given, strict=True)
    ]
    return concat_postings(parts, context)


def concat_people(parts: Sequence[PersonFacts], context: FactsContext) -> PersonFacts:
    if not parts:
        return person_facts([], context)
    return PersonFacts(context, *_concat(parts, PersonFacts))


def concat_postings(parts: Sequence[PostingFacts], context: FactsContext) -> PostingFacts:
    if not parts:
        return posting_facts([], context)
    return PostingFacts(context, *_concat(parts, PostingFacts))


def _concat(parts: Sequence[object], kind: type) -> list[np.ndarray]:
    names = [f.name for f in fields(kind)][1:]  # all but the context
    return [np.concatenate([getattr(p, name) for p in parts]) for name in names]
