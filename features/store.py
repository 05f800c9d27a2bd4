"""Columnar inputs for every person and opportunity, and vectorised pair features over them.

`FeatureStore.compute(people, opportunities, at)` returns one row per (person, opportunity)
pair, columns in registry order, with no Python loop per pair: skills are flattened into
(pair, skill) rows, looked up with a sorted-key search and reduced with bincount. Counts of
past events (completions, applications) are taken strictly before each pair's time `at`, so
training rows never see their own future.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np

from features.composition import (
    EmployeeText,
    LeveledSkill,
    OpportunityText,
    compose_employees,
    compose_opportunities,
)
from features.history import HISTORY_FEATURES, HistoryItems, HistoryTimelines
from features.inputs import OpportunityInputs, PersonInputs
from features.registry import FEATURE_NAMES
from features.taxonomy_facts import (
    OccupationProfiles,
    OccupationRelatedness,
    packaged_profiles,
    packaged_relatedness,
    packaged_tool_categories,
)

HOURS_BOUND_KINDS = frozenset({"gig", "mentorship"})
REMOTE = frozenset({"remote", "anywhere", "virtual"})
_TIME_SLOT = np.int64(2**34)  # > any epoch second we store: key = position * slot + time
# Completion-rate smoothing: a person with no history scores the prior mean.
PRIOR_COMPLETION_RATE, PRIOR_WEIGHT = 0.7, 2.0
SECONDS_PER_YEAR = 365.25 * 86400
# skill_similarity: how much the asked skills' parts weigh (as in the composed posting vector,
# where required skills weigh 0.60 and preferred 0.15).
REQUIRED_SIMILARITY_WEIGHT = 0.8
# (pair, asked skill, held skill) rows expanded at once while looking for the nearest held skill.
SIMILARITY_BLOCK = 1 << 21
# Pairs whose (pair, held skill) rows are expanded at once for the profile fits.
PROFILE_BLOCK = 1 << 17


class Event(Protocol):
    employee_external_id: str
    opportunity_external_id: str
    occurred_at: dt.datetime

    @property
    def type(self) -> object: ...


def epoch_seconds(value: dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp())


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def _offset_hours(timezone: str, when: dt.date) -> float:
    moment = dt.datetime.combine(when, dt.time(12), tzinfo=ZoneInfo(timezone))
    offset = moment.utcoffset()
    return 0.0 if offset is None else offset.total_seconds() / 3600


def _leveled(skills: dict[str, int], skill_labels: Callable[[str], str]) -> list[LeveledSkill]:
    return [LeveledSkill(skill_labels(s), level) for s, level in skills.items()]


def person_vectors_of(
    people: Sequence[PersonInputs],
    embed: Callable[[Sequence[str]], np.ndarray],
    skill_labels: Callable[[str], str],
    dim: int,
) -> np.ndarray:
    """The same composed vectors retrieval uses (features.composition), from feature inputs."""
    texts = [EmployeeText(_leveled(p.skills, skill_labels), list(p.interests)) for p in people]
    return compose_employees(texts, embed, dim)


def opportunity_vectors_of(
    opportunities: Sequence[OpportunityInputs],
    embed: Callable[[Sequence[str]], np.ndarray],
    skill_labels: Callable[[str], str],
    dim: int,
) -> np.ndarray:
    texts = [
        OpportunityText(
            o.title, _leveled(o.required, skill_labels), _leveled(o.preferred, skill_labels)
        )
        for o in opportunities
    ]
    return compose_opportunities(texts, embed, dim)


def _expand(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [starts[i], starts[i] + counts[i]): (i, position) for every position."""
    counts = counts.astype(np.int64)
    row = np.repeat(np.arange(len(counts)), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return row, np.repeat(starts.astype(np.int64), counts) + offsets


def _lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """values[keys == wanted] for each wanted key (sorted keys), 0 where absent."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=np.float32)
    found = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[found] == wanted, values[found], 0.0).astype(np.float32)


class _Codes:
    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        return self.codes.setdefault(value.strip().casefold(), len(self.codes))


class FeatureStore:
    def __init__(
        self,
        people: Sequence[PersonInputs],
        opportunities: Sequence[OpportunityInputs],
        *,
        embed: Callable[[Sequence[str]], np.ndarray],
        skill_labels: Callable[[str], str],
        events: Iterable[Event] = (),
        reference_date: dt.date,
        person_vectors: np.ndarray | None = None,
        opportunity_vectors: np.ndarray | None = None,
        tool_categories: Mapping[str, str] | None = None,
        occupation_relatedness: OccupationRelatedness | None = None,
        occupation_profiles: OccupationProfiles | None = None,
        history_items: HistoryItems | None = None,
    ) -> None:
        """`embed` maps short texts to unit vectors (the skill-vector cache); composed profile
        vectors are computed here unless the caller already has them (the serving engine).
        `tool_categories` (tool id -> category id), `occupation_relatedness` and
        `occupation_profiles` default to the packaged taxonomy's. `history_items`: vectors of
        the postings and people the events name beyond these (features/history.py)."""
        if tool_categories is None:
            tool_categories = packaged_tool_categories()
        if occupation_relatedness is None:
            occupation_relatedness = packaged_relatedness()
        if occupation_profiles is None:
            occupation_profiles = packaged_profiles()
        self.person_index = {p.external_id: i for i, p in enumerate(people)}
        self.opportunity_index = {o.external_id: i for i, o in enumerate(opportunities)}
        self.people, self.opportunities = list(people), list(opportunities)
        self._build_skills(people, opportunities)
        self._build_tool_categories(people, tool_categories)
        self._build_people(people, reference_date)
        self._build_opportunities(opportunities)
        self._build_occupations(people, opportunities, occupation_relatedness)
        self._build_profiles(people, opportunities, occupation_profiles)
        if person_vectors is None or opportunity_vectors is None:
            dim = int(embed(["dimension"]).shape[1])
            if person_vectors is None:
                person_vectors = person_vectors_of(people, embed, skill_labels, dim)
            if opportunity_vectors is None:
                opportunity_vectors = opportunity_vectors_of(
                    opportunities, embed, skill_labels, dim
                )
        self.person_vectors = np.ascontiguousarray(person_vectors, dtype=np.float32)
        self.opportunity_vectors = np.ascontiguousarray(opportunity_vectors, dtype=np.float32)
        self._build_text_vectors(people, opportunities, embed, skill_labels)
        self._build_skill_similarity(embed, skill_labels)
        events = list(events)
        self._build_events(events)
        self._history = HistoryTimelines(
            events,
            person_index=self.person_index,
            opportunity_index=self.opportunity_index,
            person_vectors=self.person_vectors,
            opportunity_vectors=self.opportunity_vectors,
            opportunity_departments=[o.department for o in opportunities],
            extra=history_items,
        )

    # -- construction ----------------------------------------------------------------------
    def _build_skills(
        self, people: Sequence[PersonInputs], opportunities: Sequence[OpportunityInputs]
    ) -> None:
        vocabulary: dict[str, int] = {}
        for item in people:
            for skill in item.skills:
                vocabulary.setdefault(skill, len(vocabulary))
        for opportunity in opportunities:
            for skill in (*opportunity.required, *opportunity.preferred):
                vocabulary.setdefault(skill, len(vocabulary))
        self.vocabulary = vocabulary
        self._width = np.int64(max(len(vocabulary), 1))
        keys, levels = [], []
        for position, item in enumerate(people):
            for skill, level in item.skills.items():
                keys.append(position * self._width + vocabulary[skill])
                levels.append(level)
        order = np.argsort(np.array(keys, dtype=np.int64), kind="stable")
        self._skill_keys = np.array(keys, dtype=np.int64)[order]
        self._skill_levels = np.array(levels, dtype=np.float32)[order]
        # Implied skills matter only where some opportunity asks for them.
        implied = [
            position * self._width + vocabulary[skill]
            for position, item in enumerate(people)
            for skill in item.implied
            if skill in vocabulary
        ]
        self._implied_keys = np.sort(np.array(implied, dtype=np.int64))
        pointer, columns, asked, required = [0], [], [], []
        for opportunity in opportunities:
            for skills, is_required in (
                (opportunity.required, True),
                (opportunity.preferred, False),
            ):
                for skill, level in skills.items():
                    columns.append(vocabulary[skill])
                    asked.append(level)
                    required.append(is_required)
            pointer.append(len(columns))
        self._pointer = np.array(pointer, dtype=np.int64)
        self._columns = np.array(columns, dtype=np.int64)
        self._asked = np.array(asked, dtype=np.float32)
        self._required = np.array(required, dtype=bool)

    def _build_tool_categories(
        self, people: Sequence[PersonInputs], tool_categories: Mapping[str, str]
    ) -> None:
        """Each vocabulary skill's tool category (-1: none) and the categories each person
        holds a tool of, as sorted keys person * categories + category."""
        codes: dict[str, int] = {}
        self._category = np.array(
            [
                codes.setdefault(tool_categories[skill], len(codes))
                if skill in tool_categories
                else -1
                for skill in self.vocabulary
            ],
            dtype=np.int64,
        )
        self._n_categories = np.int64(max(len(codes), 1))
        people_of = self._skill_keys // self._width
        held = self._category[self._skill_keys % self._width] if len(codes) else np.array([])
        tools = held >= 0 if len(held) else np.zeros(0, dtype=bool)
        self._category_keys = np.unique(people_of[tools] * self._n_categories + held[tools])

    def _build_occupations(
        self,
        people: Sequence[PersonInputs],
        opportunities: Sequence[OpportunityInputs],
        relatedness: OccupationRelatedness,
    ) -> None:
        """Relatedness of every distinct (person occupation, posting occupation): a few hundred
        of each in a company, so the table is small; pairs look it up by code."""
        person_codes: dict[str | None, int] = {}
        posting_codes: dict[str | None, int] = {}
        self.p_occupation = np.array(
            [person_codes.setdefault(p.occupation_id, len(person_codes)) for p in people],
            dtype=np.int64,
        )
        self.o_occupation = np.array(
            [posting_codes.setdefault(o.occupation_id, len(posting_codes)) for o in opportunities],
            dtype=np.int64,
        )
        postings = list(posting_codes)
        table = np.zeros((max(len(person_codes), 1), max(len(postings), 1)), dtype=np.float32)
        for occupation, row in person_codes.items():
            if occupation is not None and postings:
                table[row, : len(postings)] = relatedness.scores(occupation, postings)
        self._relatedness = table

    def _build_profiles(
        self,
        people: Sequence[PersonInputs],
        opportunities: Sequence[OpportunityInputs],
        profiles: OccupationProfiles,
    ) -> None:
        """What profile_fit and tool_category_fit read (data/taxonomy/occupation_profiles.py):
        each held skill's weight and each person's total; each posting's profile over the
        skills someone here holds, as sorted keys posting * width + skill, and its total; the
        person's tools per category and each posting's unit category vector, keyed alike."""
        width = self._width
        column_weight = np.array([profiles.weight(s) for s in self.vocabulary], dtype=np.float32)
        held_columns = self._skill_keys % width
        self._held_weight = column_weight[held_columns] if len(held_columns) else np.zeros(0)
        self._person_start = np.searchsorted(
            self._skill_keys, np.arange(len(people) + 1, dtype=np.int64) * width
        )
        self._person_mass = np.bincount(
            self._skill_keys // width, weights=self._held_weight, minlength=len(people)
        ).astype(np.float32)
        held_anywhere = np.unique(held_columns).tolist()
        skill_of = list(self.vocabulary)  # column -> skill id
        held_skills = [(skill_of[c], c) for c in held_anywhere]
        held_set = set(held_anywhere)
        keys: list[int] = []
        weights: list[float] = []
        mass: list[float] = []
        categories: dict[str, int] = {}
        category_keys: list[int] = []
        category_weights: list[float] = []
        posting_vectors = []
        for position, opportunity in enumerate(opportunities):
            occupation = opportunity.occupation_id
            profile = profiles.profile(occupation)
            asked = profiles.asked(occupation, opportunity.required, opportunity.preferred)
            mass.append(
                profiles.mass(occupation) + sum(w - profile.get(s, 0.0) for s, w in asked.items())
            )
            base = int(position * width)
            # Whichever is smaller: the skills someone here holds, or the posting's profile.
            if len(held_skills) <= len(profile) + len(asked):
                for skill_id, column in held_skills:
                    weight = asked.get(skill_id) or profile.get(skill_id, 0.0)
                    if weight > 0:
                        keys.append(base + column)
                        weights.append(weight)
            else:
                for skill_id, weight in {**profile, **asked}.items():
                    column = self.vocabulary.get(skill_id)
                    if column is not None and column in held_set:
                        keys.append(base + column)
                        weights.append(weight)
            posting_vectors.append(
                profiles.posting_categories(
                    occupation, (*opportunity.required, *opportunity.preferred)
                )
            )
        person_vectors = [profiles.person_categories(p.skills) for p in people]
        for vector in (*posting_vectors, *person_vectors):
            for category in vector:
                categories.setdefault(category, len(categories))
        self._n_profile_categories = np.int64(max(len(categories), 1))
        order = np.argsort(np.array(keys, dtype=np.int64), kind="stable")
        self._profile_keys = np.array(keys, dtype=np.int64)[order]
        self._profile_weights = np.array(weights, dtype=np.float32)[order]
        self._profile_mass = np.array(mass, dtype=np.float32)
        for position, vector in enumerate(posting_vectors):
            for category, weight in vector.items():
                category_keys.append(
                    position * int(self._n_profile_categories) + categories[category]
                )
                category_weights.append(weight)
        order = np.argsort(np.array(category_keys, dtype=np.int64), kind="stable")
        self._posting_category_keys = np.array(category_keys, dtype=np.int64)[order]
        self._posting_category_weights = np.array(category_weights, dtype=np.float32)[order]
        held_keys: list[int] = []
        held_weights: list[float] = []
        starts = [0]
        for vector in person_vectors:
            for category in sorted(vector, key=categories.__getitem__):
                held_keys.append(categories[category])
                held_weights.append(vector[category])
            starts.append(len(held_keys))
        self._person_categories = np.array(held_keys, dtype=np.int64)
        self._person_category_weights = np.array(held_weights, dtype=np.float32)
        self._person_category_start = np.array(starts, dtype=np.int64)

    def _build_skill_similarity(
        self,
        embed: Callable[[Sequence[str]], np.ndarray],
        skill_labels: Callable[[str], str],
    ) -> None:
        """Cosines (clipped to [0, 1]) between every skill some posting asks for and every
        skill some person holds: asked x held, a few thousand each at most."""
        skills = list(self.vocabulary)
        asked = np.unique(self._columns)
        held = np.unique(self._skill_keys % self._width)
        self._asked_row = np.full(len(skills) + 1, -1, dtype=np.int64)
        self._held_row = np.full(len(skills) + 1, -1, dtype=np.int64)
        self._asked_row[asked] = np.arange(len(asked))
        self._held_row[held] = np.arange(len(held))
        people = len(self.people)
        self._held_start = np.searchsorted(
            self._skill_keys, np.arange(people + 1, dtype=np.int64) * self._width
        )
        if not len(asked) or not len(held):
            self._similarity = np.zeros((max(len(asked), 1), max(len(held), 1)), np.float32)
            return
        wanted = np.unique(np.concatenate([asked, held]))
        vectors = _unit_rows(np.asarray(embed([skill_labels(skills[i]) for i in wanted])))
        row_of = {int(c): i for i, c in enumerate(wanted.tolist())}
        a = vectors[[row_of[int(c)] for c in asked.tolist()]]
        h = vectors[[row_of[int(c)] for c in held.tolist()]]
        self._similarity = np.clip(a @ h.T, 0.0, 1.0).astype(np.float32)

    def _build_people(self, people: Sequence[PersonInputs], reference: dt.date) -> None:
        self._location_code, self._department_code = _Codes(), _Codes()
        self.p_level = np.array([p.level for p in people], dtype=np.float32)
        self.p_availability = np.array([p.availability for p in people], dtype=np.float32)
        self.p_location = np.array([self._location_code(p.location) for p in people], dtype=int)
        self.p_department = np.array(
            [self._department_code(p.department) for p in people], dtype=int
        )
        self.p_offset = np.array([_offset_hours(p.timezone, reference) for p in people])
        # Hire dates as epoch seconds (midnight UTC; -1 when unknown): tenure is taken at each
        # pair's own time, so a training row from last spring sees last spring's tenure.
        self.p_hired = np.array(
            [
                epoch_seconds(dt.datetime.combine(p.hire_date, dt.time(0), tzinfo=dt.UTC))
                if p.hire_date
                else -1
                for p in people
            ],
            dtype=np.int64,
        )

    def _build_opportunities(self, items: Sequence[OpportunityInputs]) -> None:
        self.o_hours = np.array([o.hours for o in items], dtype=np.float32)
        # Explicit dtypes: an empty candidate set must still give bool / int columns.
        self.o_hours_bound = np.array([o.kind in HOURS_BOUND_KINDS for o in items], dtype=bool)
        self.o_mentorship = np.array([o.kind == "mentorship" for o in items], dtype=bool)
        self.o_level_min = np.array([o.level_min for o in items], dtype=np.float32)
        self.o_level_max = np.array([o.level_max for o in items], dtype=np.float32)
        self.o_location = np.array([self._location_code(o.location) for o in items], dtype=int)
        self.o_remote = np.array(
            [o.location.strip().casefold() in REMOTE for o in items], dtype=bool
        )
        self.o_department = np.array(
            [self._department_code(o.department) for o in items], dtype=int
        )
        self.o_owner = np.array(
            [self.person_index.get(o.owner_external_id, -1) for o in items], dtype=np.int64
        )
        owner_offsets = [
            self.p_offset[owner] if owner >= 0 else np.nan for owner in self.o_owner.tolist()
        ]
        self.o_owner_offset = np.array(owner_offsets, dtype=np.float32)

    def _build_text_vectors(
        self,
        people: Sequence[PersonInputs],
        opportunities: Sequence[OpportunityInputs],
        embed: Callable[[Sequence[str]], np.ndarray],
        skill_labels: Callable[[str], str],
    ) -> None:
        dim = self.person_vectors.shape[1]

        def mean_vectors(groups: list[list[str]]) -> np.ndarray:
            out = np.zeros((len(groups), dim), dtype=np.float32)
            texts = sorted({t for group in groups for t in group})
            if not texts:
                return out
            row_of = {t: i for i, t in enumerate(texts)}
            vectors = embed(texts)
            # Each group's mean, summed in the group's order one position at a time for all
            # groups at once: the same floats as a mean per group, ~10x fewer numpy calls.
            lengths = np.array([len(g) for g in groups], dtype=np.int64)
            flat = np.array([row_of[t] for g in groups for t in g], dtype=np.int64)
            starts = np.cumsum(lengths) - lengths
            for k in range(int(lengths.max())):
                has = np.flatnonzero(lengths > k)
                out[has] += vectors[flat[starts[has] + k]]
            out /= np.maximum(lengths, 1).astype(np.float32)[:, None]
            return _unit_rows(out) * (np.linalg.norm(out, axis=1, keepdims=True) > 0)

        self.p_interests = mean_vectors([list(p.interests) for p in people])
        self.p_aspirations = mean_vectors(
            [[p.aspirations] if p.aspirations else [] for p in people]
        )
        self.o_offered = mean_vectors(
            [
                [skill_labels(s) for s in o.required] if o.kind == "mentorship" else []
                for o in opportunities
            ]
        )

    def _build_events(self, events: Iterable[Event]) -> None:
        accepted, completed, applied = [], [], []
        for event in events:
            kind = str(getattr(event.type, "value", event.type))
            at = epoch_seconds(event.occurred_at)
            person = self.person_index.get(event.employee_external_id)
            opportunity = self.opportunity_index.get(event.opportunity_external_id)
            # "accept": the demo history's word for a lead taking someone on; "assign": the
            # live workflow's.
            if kind in ("accept", "assign") and person is not None:
                accepted.append(person * _TIME_SLOT + at)
            elif kind == "complete" and person is not None:
                completed.append(person * _TIME_SLOT + at)
            elif kind == "apply" and opportunity is not None:
                applied.append(opportunity * _TIME_SLOT + at)
        self._accepted = np.sort(np.array(accepted, dtype=np.int64))
        self._completed = np.sort(np.array(completed, dtype=np.int64))
        self._applied = np.sort(np.array(applied, dtype=np.int64))

    # -- features --------------------------------------------------------------------------
    def _levels_held(self, people: np.ndarray, columns: np.ndarray) -> np.ndarray:
        keys = people.astype(np.int64) * self._width + columns
        found = np.searchsorted(self._skill_keys, keys)
        found = np.minimum(found, max(len(self._skill_keys) - 1, 0))
        if len(self._skill_keys) == 0:
            return np.zeros(len(keys), dtype=np.float32)
        hit = self._skill_keys[found] == keys
        return np.where(hit, self._skill_levels[found], 0.0).astype(np.float32)

    def _implied(self, people: np.ndarray, columns: np.ndarray) -> np.ndarray:
        keys = people.astype(np.int64) * self._width + columns
        if len(self._implied_keys) == 0:
            return np.zeros(len(keys), dtype=bool)
        found = np.minimum(np.searchsorted(self._implied_keys, keys), len(self._implied_keys) - 1)
        return self._implied_keys[found] == keys

    def _related(self, people: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Whether each person holds a tool of the same category as each asked skill."""
        category = self._category[columns]
        if len(self._category_keys) == 0:
            return np.zeros(len(columns), dtype=bool)
        keys = people.astype(np.int64) * self._n_categories + np.maximum(category, 0)
        found = np.minimum(np.searchsorted(self._category_keys, keys), len(self._category_keys) - 1)
        return (category >= 0) & (self._category_keys[found] == keys)

    def _nearest_held(self, people: np.ndarray, columns: np.ndarray, has: np.ndarray) -> np.ndarray:
        """For each (person, asked skill) row, the cosine of the asked skill to the nearest
        skill the person holds; 1 where held. Expanded to (row, held skill) in blocks and
        reduced with maximum.reduceat, never a Python loop per pair."""
        out = has.astype(np.float32)
        starts = self._held_start[people]
        counts = self._held_start[people + 1] - starts
        todo = np.flatnonzero(~has & (counts > 0))
        if not len(todo):
            return out
        reach = np.cumsum(counts[todo])
        first = 0
        while first < len(todo):
            before = reach[first - 1] if first else 0
            last = max(int(np.searchsorted(reach, before + SIMILARITY_BLOCK, "right")), first + 1)
            block = todo[first:last]
            sizes = counts[block]
            offsets = np.cumsum(sizes) - sizes
            row = np.repeat(np.arange(len(block)), sizes)
            entries = np.repeat(starts[block], sizes) + (np.arange(sizes.sum()) - offsets[row])
            held_columns = self._skill_keys[entries] % self._width
            cosines = self._similarity[
                self._asked_row[columns[block]][row], self._held_row[held_columns]
            ]
            out[block] = np.maximum.reduceat(cosines, offsets)
            first = last
        return out

    def _profile_fits(
        self, people: np.ndarray, opportunities: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(profile_fit, tool_category_fit) per pair, a block of pairs at a time: each pair
        expanded to its person's held skills (and tool categories), looked up in the posting's
        profile, reduced with bincount."""
        n = len(people)
        fit = np.zeros(n, dtype=np.float32)
        category_fit = np.zeros(n, dtype=np.float32)
        for start in range(0, n, PROFILE_BLOCK):
            p = people[start : start + PROFILE_BLOCK]
            o = opportunities[start : start + PROFILE_BLOCK]
            m = len(p)
            first = self._person_start[p]
            pair, entries = _expand(first, self._person_start[p + 1] - first)
            columns = self._skill_keys[entries] % self._width
            asked = _lookup(
                self._profile_keys, self._profile_weights, o[pair] * self._width + columns
            )
            inside = np.bincount(
                pair, weights=self._held_weight[entries] * (asked > 0), minlength=m
            )
            precision = inside / np.maximum(self._person_mass[p], 1e-9)
            recall = np.bincount(pair, weights=asked, minlength=m) / np.maximum(
                self._profile_mass[o], 1e-9
            )
            total = precision + recall
            fit[start : start + m] = np.where(
                total > 0, 2 * precision * recall / np.maximum(total, 1e-12), 0.0
            )
            first = self._person_category_start[p]
            pair, entries = _expand(first, self._person_category_start[p + 1] - first)
            shared = _lookup(
                self._posting_category_keys,
                self._posting_category_weights,
                o[pair] * self._n_profile_categories + self._person_categories[entries],
            )
            category_fit[start : start + m] = np.bincount(
                pair, weights=shared * self._person_category_weights[entries], minlength=m
            )
        return fit, category_fit

    def _occupation_relatedness(self, people: np.ndarray, opportunities: np.ndarray) -> np.ndarray:
        return self._relatedness[self.p_occupation[people], self.o_occupation[opportunities]]

    @staticmethod
    def _count_before(keys: np.ndarray, positions: np.ndarray, at: np.ndarray) -> np.ndarray:
        base = positions.astype(np.int64) * _TIME_SLOT
        return np.searchsorted(keys, base + at) - np.searchsorted(keys, base)

    def composed_similarity(self, people: np.ndarray, opportunities: np.ndarray) -> np.ndarray:
        """Cosine of the composed profile and posting vectors (what retrieval ranks by): a
        baseline, not a feature, since adding a skill can move a profile's mean away."""
        people, opportunities = np.asarray(people), np.asarray(opportunities)
        return np.einsum(
            "ij,ij->i", self.person_vectors[people], self.opportunity_vectors[opportunities]
        )

    def compute(
        self, people: np.ndarray, opportunities: np.ndarray, at: np.ndarray | int
    ) -> np.ndarray:
        """Feature matrix (pairs x features) for people[i] with opportunities[i] at time at[i]."""
        people = np.asarray(people, dtype=np.int64)
        opportunities = np.asarray(opportunities, dtype=np.int64)
        n = len(people)
        at = np.broadcast_to(np.asarray(at, dtype=np.int64), (n,))
        # One row per (pair, skill asked by that pair's opportunity).
        counts = self._pointer[opportunities + 1] - self._pointer[opportunities]
        pair = np.repeat(np.arange(n), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        flat = np.repeat(self._pointer[opportunities], counts) + offsets
        columns, asked, required = self._columns[flat], self._asked[flat], self._required[flat]
        held = self._levels_held(people[pair], columns)
        credit = np.minimum(held / asked, 1.0)

        def per_pair(weights: np.ndarray) -> np.ndarray:
            return np.bincount(pair, weights=weights, minlength=n).astype(np.float32)

        n_required, n_preferred = per_pair(required), per_pair(~required)
        has = held > 0
        # Superset measures: declaring a skill the occupation implies, or acquiring the tool a
        # same-category one stood in for, moves a row from "implied"/"related" to "held"
        # without lowering either share (monotone +1 features must never fall as skills grow).
        declared_or_implied = has | self._implied(people[pair], columns)
        held_or_related = has | self._related(people[pair], columns)
        nearest = self._nearest_held(people[pair], columns, has)
        required_similarity = per_pair(nearest * required) / np.maximum(n_required, 1)
        preferred_similarity = per_pair(nearest * ~required) / np.maximum(n_preferred, 1)
        both = (n_required > 0) & (n_preferred > 0)
        skill_similarity = np.where(
            both,
            REQUIRED_SIMILARITY_WEIGHT * required_similarity
            + (1 - REQUIRED_SIMILARITY_WEIGHT) * preferred_similarity,
            np.where(n_required > 0, required_similarity, preferred_similarity),
        )
        deficit = np.zeros(n, dtype=np.float32)
        np.maximum.at(deficit, pair, np.where(required, np.maximum(asked - held, 0), 0))
        mentorship = self.o_mentorship[opportunities]
        owners = self.o_owner[opportunities]
        mentor_levels = self._levels_held(np.maximum(owners[pair], 0), columns)
        mentor_gap = per_pair(np.where(required, mentor_levels - held, 0)) / np.maximum(
            n_required, 1
        )

        level = self.p_level[people]
        level_min, level_max = self.o_level_min[opportunities], self.o_level_max[opportunities]
        owner_offset = self.o_owner_offset[opportunities]
        accepted = self._count_before(self._accepted, people, at)
        completed = self._count_before(self._completed, people, at)
        o_vectors = self.opportunity_vectors[opportunities]
        profile_fit, tool_category_fit = self._profile_fits(people, opportunities)

        columns_out = {
            "required_coverage": per_pair(credit * required) / np.maximum(n_required, 1),
            "required_missing": per_pair(~has & required),
            "preferred_coverage": np.where(
                n_preferred > 0, per_pair(credit * ~required) / np.maximum(n_preferred, 1), 0.0
            ),
            "implied_required_coverage": per_pair(declared_or_implied & required)
            / np.maximum(n_required, 1),
            "required_related_coverage": per_pair(held_or_related & required)
            / np.maximum(n_required, 1),
            "skill_similarity": skill_similarity,
            "occupation_relatedness": self._occupation_relatedness(people, opportunities),
            "profile_fit": profile_fit,
            "tool_category_fit": tool_category_fit,
            "level_surplus": per_pair(np.where(required, np.maximum(held - asked, 0), 0))
            / np.maximum(n_required, 1),
            "worst_level_deficit": deficit,
            "interest_alignment": np.einsum("ij,ij->i", self.p_interests[people], o_vectors),
            "aspiration_similarity": np.einsum("ij,ij->i", self.p_aspirations[people], o_vectors),
            "availability_slack": np.where(
                self.o_hours_bound[opportunities],
                self.p_availability[people] - self.o_hours[opportunities],
                0.0,
            ),
            "level_outside_band": np.maximum(level_min - level, 0)
            + np.maximum(level - level_max, 0),
            "level_position": np.clip(
                (level - level_min) / np.maximum(level_max - level_min, 1), 0.0, 1.0
            ),
            "location_match": (
                self.o_remote[opportunities]
                | (self.p_location[people] == self.o_location[opportunities])
            ).astype(np.float32),
            "timezone_gap_hours": np.where(
                np.isnan(owner_offset), 0.0, np.abs(self.p_offset[people] - owner_offset)
            ),
            "tenure_years": np.where(
                self.p_hired[people] >= 0,
                np.maximum(at - self.p_hired[people], 0) / SECONDS_PER_YEAR,
                0.0,
            ),
            "cross_department": (
                self.p_department[people] != self.o_department[opportunities]
            ).astype(np.float32),
            "past_completion_rate": (completed + PRIOR_WEIGHT * PRIOR_COMPLETION_RATE)
            / (accepted + PRIOR_WEIGHT),
            "opportunity_popularity": np.log1p(
                self._count_before(self._applied, opportunities, at)
            ),
            "mentor_level_gap": np.where(mentorship & (owners >= 0), mentor_gap, 0.0),
            "mentee_interest_in_offered": np.where(
                mentorship,
                np.einsum("ij,ij->i", self.p_interests[people], self.o_offered[opportunities]),
                0.0,
            ),
        }
        history = self._history.features(people, opportunities, at)
        columns_out.update({name: history[name] for name in HISTORY_FEATURES})
        return np.column_stack([columns_out[name] for name in FEATURE_NAMES]).astype(np.float32)
