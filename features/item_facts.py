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

import functools
import threading
from collections.abc import Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass, fields

import numpy as np

from data.taxonomy.packaged import occupation_skill_ids
from features.inputs import OpportunityInputs, PersonInputs, implied_skills
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
            return np.array([self._codes[i] for i in ids], dtype=np.int32)
        except KeyError:
            with self._lock:  # two threads must not give one code to two ids
                for i in ids:
                    if i not in self._codes:
                        # The id first, then its code: a reader that sees the code finds the id.
                        self.ids.append(i)
                        self._codes[i] = len(self.ids) - 1
            return np.array([self._codes[i] for i in ids], dtype=np.int32)


SKILLS = Codes()
CATEGORIES = Codes()


class FactsContext:
    """The taxonomy facts an item's arrays are computed with, and per-skill-code lookups
    (profile weight, tool category) grown as codes appear."""

    def __init__(self, tool_categories: Mapping[str, str], profiles: OccupationProfiles) -> None:
        self.tool_categories = tool_categories
        self.profiles = profiles
        # (profile weight, tool category code) per skill code, replaced as one pair: a reader
        # never sees one grown and the other not (that read a code past the end under load).
        self._per_skill = (np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64))
        self._profiles: dict[str | None, tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()
        none = np.zeros(1, dtype=np.int64)
        # A person with no skills (a lead whose skills no feature of the page reads).
        self.no_skills = PersonFacts(
            self,
            none,
            np.zeros(0, np.int32),
            np.zeros(0, np.float32),
            none,
            np.zeros(0, np.int32),
            np.zeros(1, dtype=bool),
            none,
            np.zeros(0, np.int32),
            np.zeros(0, np.float32),
        )

    def profile_arrays(self, occupation_id: str | None) -> tuple[np.ndarray, np.ndarray]:
        """(skill codes, float32 weights) of the occupation's profile, made once."""
        found = self._profiles.get(occupation_id)
        if found is None:
            profile = self.profiles.profile(occupation_id)
            found = (
                _frozen(SKILLS.of(profile)),
                _frozen(np.array(list(profile.values()), dtype=np.float32)),
            )
            self._profiles[occupation_id] = found  # the same arrays if two threads race
        return found

    def per_skill(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(profile weight, tool category code or -1) of skill codes 0..size-1."""
        held = self._per_skill
        if len(held[0]) >= size:
            return held
        with self._lock:
            weight, category = self._per_skill
            have = len(weight)
            if have < size:
                ids = SKILLS.ids[have:size]
                grown = np.array([self.profiles.weight(s) for s in ids], dtype=np.float32)
                cats = [self.tool_categories.get(s) for s in ids]
                codes = CATEGORIES.of(c for c in cats if c is not None)
                found = np.full(len(ids), -1, dtype=np.int64)
                found[[i for i, c in enumerate(cats) if c is not None]] = codes
                self._per_skill = (
                    np.concatenate([weight, grown]),
                    np.concatenate([category, found]),
                )
            return self._per_skill


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
    skills: np.ndarray  # skill codes (int32), each person's in their skills' order
    levels: np.ndarray  # float32, alike
    implied_counts: np.ndarray
    # Skill codes of what their occupation implies; where `implied_derived`, the occupation's
    # whole list (shared by everyone in it) and the declared skills are to be taken out.
    implied: np.ndarray
    implied_derived: np.ndarray  # bool per person
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
    # The posting's profile: its occupation's (arrays shared by every posting of it), with
    # what the posting asks over it (`overrides`: where both list a skill, these win).
    profile_counts: np.ndarray
    profile: np.ndarray
    profile_weights: np.ndarray  # float32
    override_counts: np.ndarray
    overrides: np.ndarray
    override_weights: np.ndarray  # float32
    mass: np.ndarray  # float32: the profile's whole weight
    category_counts: np.ndarray
    categories: np.ndarray  # tool category codes of the posting's unit category vector
    category_weights: np.ndarray  # float32


def _counts(groups: Sequence[Sized]) -> np.ndarray:
    if len(groups) == 1:  # an item's own facts: one array per count, shared
        return _count(len(groups[0]))
    return np.array([len(g) for g in groups], dtype=np.int64)


@functools.lru_cache(maxsize=4096)
def _count(n: int) -> np.ndarray:
    return _frozen(np.array([n], dtype=np.int64))


def person_facts(people: Sequence[PersonInputs], context: FactsContext) -> PersonFacts:
    profiles = context.profiles
    categories = [profiles.person_categories(p.skills) for p in people]
    # Held once per occupation where the implied skills are the occupation's less the declared
    # (features/inputs.py implied_skills: everyone served), ~60 codes a person otherwise.
    derived = [p.implied == implied_skills(p.occupation_id, p.skills) for p in people]
    implied = [
        _occupation_codes(p.occupation_id) if d else SKILLS.of(p.implied)
        for p, d in zip(people, derived, strict=True)
    ]
    return PersonFacts(
        context,
        _counts([p.skills for p in people]),
        SKILLS.of(s for p in people for s in p.skills),
        np.array([v for p in people for v in p.skills.values()], dtype=np.float32),
        _counts(implied),
        _joined(implied, np.int32),
        _FLAGS[derived[0]] if len(derived) == 1 else np.array(derived, dtype=bool),
        _counts(categories),
        *(
            (CATEGORIES.of(c for v in categories for c in v), _weights(categories))
            if any(categories)
            else (_NO_CODES, _NO_WEIGHTS)  # no tools: most people, shared
        ),
    )


def _weights(vectors: Sequence[dict[str, float]]) -> np.ndarray:
    return np.array([w for vector in vectors for w in vector.values()], dtype=np.float32)


_FLAGS = {flag: np.array([flag], dtype=bool) for flag in (False, True)}
_NO_CODES = np.zeros(0, dtype=np.int32)
_NO_WEIGHTS = np.zeros(0, dtype=np.float32)
for _shared in (*_FLAGS.values(), _NO_CODES, _NO_WEIGHTS):
    _shared.flags.writeable = False


@functools.lru_cache(maxsize=8192)
def _occupation_codes(occupation_id: str | None) -> np.ndarray:
    return _frozen(SKILLS.of(sorted(occupation_skill_ids(occupation_id))))


def _joined(parts: Sequence[np.ndarray], dtype: type) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False  # shared between items: never written
    return array


def posting_facts(postings: Sequence[OpportunityInputs], context: FactsContext) -> PostingFacts:
    profiles = context.profiles
    shared, over, masses, vectors = [], [], [], []
    for o in postings:
        occupation = o.occupation_id
        profile = profiles.profile(occupation)
        asked = profiles.asked(occupation, o.required, o.preferred)
        masses.append(
            profiles.mass(occupation) + sum(w - profile.get(s, 0.0) for s, w in asked.items())
        )
        shared.append(context.profile_arrays(occupation))
        over.append(asked)
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
        _counts([codes for codes, _ in shared]),
        _joined([codes for codes, _ in shared], np.int32),
        _joined([weights for _, weights in shared], np.float32),
        _counts(over),
        SKILLS.of(s for m in over for s in m),
        np.array([w for m in over for w in m.values()], dtype=np.float32),
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
