"""Columnar inputs for every person and opportunity, and vectorised pair features over them.

`FeatureStore.compute(people, opportunities, at)` returns one row per (person, opportunity)
pair, columns in registry order, with no Python loop per pair: skills are flattened into
(pair, skill) rows, looked up with a sorted-key search and reduced with bincount. Counts of
past events (completions, applications) are taken strictly before each pair's time `at`, so
training rows never see their own future.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from features.composition import (
    EmployeeText,
    LeveledSkill,
    OpportunityText,
    compose_employees,
    compose_opportunities,
)
from features.events import Event, EventColumns, epoch_seconds
from features.history import HISTORY_FEATURES, HistoryItems, HistoryTimelines
from features.inputs import OpportunityInputs, PersonInputs
from features.item_facts import (
    CATEGORIES,
    SKILLS,
    FactsContext,
    PersonFacts,
    PostingFacts,
    context_for,
    gather_people,
    gather_postings,
)
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


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: np.ndarray = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


@functools.lru_cache(maxsize=4096)  # a few hundred zones a day: ZoneInfo per person was ~10 us
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


def _first_seen(codes: np.ndarray) -> np.ndarray:
    """The distinct codes in the order they first appear."""
    distinct, first = np.unique(codes, return_index=True)
    return distinct[np.argsort(first)]


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
        events: Iterable[Event] | EventColumns = (),
        reference_date: dt.date,
        person_vectors: np.ndarray | None = None,
        opportunity_vectors: np.ndarray | None = None,
        tool_categories: Mapping[str, str] | None = None,
        occupation_relatedness: OccupationRelatedness | None = None,
        occupation_profiles: OccupationProfiles | None = None,
        history_items: HistoryItems | None = None,
        person_facts: Sequence[PersonFacts | None] | None = None,
        posting_facts: Sequence[PostingFacts | None] | None = None,
    ) -> None:
        """`embed` maps short texts to unit vectors (the skill-vector cache); composed profile
        vectors are computed here unless the caller already has them (the serving engine).
        `tool_categories` (tool id -> category id), `occupation_relatedness` and
        `occupation_profiles` default to the packaged taxonomy's. `history_items`: vectors of
        the postings and people the events name beyond these (features/history.py).
        `person_facts`, `posting_facts`: each item's facts as kept by its holder
        (features/item_facts.py), None where not kept; made here when not given."""
        if tool_categories is None:
            tool_categories = packaged_tool_categories()
        if occupation_relatedness is None:
            occupation_relatedness = packaged_relatedness()
        if occupation_profiles is None:
            occupation_profiles = packaged_profiles()
        self.person_index = {p.external_id: i for i, p in enumerate(people)}
        self.opportunity_index = {o.external_id: i for i, o in enumerate(opportunities)}
        self.people, self.opportunities = list(people), list(opportunities)
        context = context_for(tool_categories, occupation_profiles)
        held = gather_people(self.people, person_facts, context)
        asked = gather_postings(self.opportunities, posting_facts, context)
        size = len(SKILLS)  # after the facts: every code they hold is below it
        self._build_skills(held, asked, size)
        self._build_tool_categories(context, size)
        self._build_people(people, reference_date)
        self._build_opportunities(opportunities)
        self._build_occupations(people, opportunities, occupation_relatedness)
        self._build_profiles(held, asked, context, size)
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
        columns = events if isinstance(events, EventColumns) else EventColumns.of(events)
        self._build_events(columns)
        self._history = HistoryTimelines(
            columns,
            person_index=self.person_index,
            opportunity_index=self.opportunity_index,
            person_vectors=self.person_vectors,
            opportunity_vectors=self.opportunity_vectors,
            opportunity_departments=[o.department for o in opportunities],
            extra=history_items,
        )

    # -- construction ----------------------------------------------------------------------
    def _build_skills(self, people: PersonFacts, postings: PostingFacts, size: int) -> None:
        """The request's skill columns in first-seen order (people's skills, then what the
        postings ask), each person's held skills as sorted keys person * width + column, and
        each posting's asked skills; from the items' facts, no loop over skills."""
        self._vocab = _first_seen(np.concatenate([people.skills, postings.asked]))
        self._width = np.int64(max(len(self._vocab), 1))
        column = np.full(size, -1, dtype=np.int64)  # skill code -> column here, -1: none
        column[self._vocab] = np.arange(len(self._vocab))
        self._column = column
        owner = np.repeat(np.arange(len(people.skill_counts)), people.skill_counts)
        keys = owner * self._width + column[people.skills]
        order = np.argsort(keys, kind="stable")
        self._skill_keys = keys[order]
        self._skill_levels = people.levels[order]
        # Implied skills matter only where some opportunity asks for them.
        owner = np.repeat(np.arange(len(people.implied_counts)), people.implied_counts)
        implied = column[people.implied]
        known = implied >= 0
        implied_keys = owner[known] * self._width + implied[known]
        # An occupation's whole list stands for what it implies less what the person declared.
        declared = people.implied_derived[owner[known]] & np.isin(implied_keys, self._skill_keys)
        self._implied_keys = np.sort(implied_keys[~declared])
        self._pointer = np.concatenate([[0], np.cumsum(postings.asked_counts)]).astype(np.int64)
        self._columns = column[postings.asked]
        self._asked = postings.asked_levels
        self._required = postings.required

    def _build_tool_categories(self, context: FactsContext, size: int) -> None:
        """Each column's tool category (-1: none) and the categories each person holds a tool
        of, as sorted keys person * categories + category (codes only compared for equality)."""
        _, category = context.per_skill(size)
        self._category = category[self._vocab]
        self._n_categories = np.int64(max(len(CATEGORIES), 1))
        people_of = self._skill_keys // self._width
        held = self._category[self._skill_keys % self._width]
        tools = held >= 0
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
        self._posting_occupations = list(posting_codes)
        self._person_occupations = list(person_codes)
        self._occupation_scores = relatedness
        shape = (max(len(person_codes), 1), max(len(posting_codes), 1))
        self._relatedness = np.zeros(shape, dtype=np.float32)
        # Rows are filled for the people some pair asks about: a page's ~200 leads are in the
        # store for their time zones and mentor levels, and paid ~2 ms of rows no pair read.
        self._related_rows = np.zeros(shape[0], dtype=bool)

    def _build_profiles(
        self, people: PersonFacts, postings: PostingFacts, context: FactsContext, size: int
    ) -> None:
        """What profile_fit and tool_category_fit read (data/taxonomy/occupation_profiles.py):
        each held skill's weight and each person's total; each posting's profile over the
        skills someone here holds, as sorted keys posting * width + skill, and its total; the
        person's tools per category and each posting's unit category vector, keyed alike."""
        width = self._width
        n_people = len(people.skill_counts)
        weight, _ = context.per_skill(size)
        held_columns = self._skill_keys % width
        self._held_weight = weight[self._vocab][held_columns]
        self._person_start = np.searchsorted(
            self._skill_keys, np.arange(n_people + 1, dtype=np.int64) * width
        )
        self._person_mass = np.bincount(
            self._skill_keys // width, weights=self._held_weight, minlength=n_people
        ).astype(np.float32)
        held_anywhere = np.zeros(len(self._vocab) + 1, dtype=bool)
        held_anywhere[held_columns] = True
        # Each posting's occupation profile, then what it asks over it: sorted stably by key,
        # a skill listed by both comes out twice, the ask last, and the ask is kept.
        posting = np.concatenate(
            [
                np.repeat(np.arange(len(postings.profile_counts)), postings.profile_counts),
                np.repeat(np.arange(len(postings.override_counts)), postings.override_counts),
            ]
        )
        column = self._column[np.concatenate([postings.profile, postings.overrides])]
        weights = np.concatenate([postings.profile_weights, postings.override_weights])
        kept = (column >= 0) & held_anywhere[column]
        keys = posting[kept] * width + column[kept]
        order = np.argsort(keys, kind="stable")
        keys, weights = keys[order], weights[kept][order]
        last = np.ones(len(keys), dtype=bool)
        last[:-1] = keys[1:] != keys[:-1]
        self._profile_keys = keys[last]
        self._profile_weights = weights[last]
        self._profile_mass = postings.mass
        # Category codes in first-seen order (postings', then people's), as the sums over a
        # person's categories have always run in that order.
        seen = _first_seen(np.concatenate([postings.categories, people.categories]))
        self._n_profile_categories = np.int64(max(len(seen), 1))
        code = np.full(len(CATEGORIES), -1, dtype=np.int64)
        code[seen] = np.arange(len(seen))
        posting = np.repeat(np.arange(len(postings.category_counts)), postings.category_counts)
        keys = posting * self._n_profile_categories + code[postings.categories]
        order = np.argsort(keys, kind="stable")
        self._posting_category_keys = keys[order]
        self._posting_category_weights = postings.category_weights[order]
        owner = np.repeat(np.arange(n_people), people.category_counts)
        held = code[people.categories]
        order = np.lexsort((held, owner))
        self._person_categories = held[order]
        self._person_category_weights = people.category_weights[order]
        self._person_category_start = np.concatenate(
            [[0], np.cumsum(people.category_counts)]
        ).astype(np.int64)

    def _build_skill_similarity(
        self,
        embed: Callable[[Sequence[str]], np.ndarray],
        skill_labels: Callable[[str], str],
    ) -> None:
        """Cosines (clipped to [0, 1]) between every skill some posting asks for and every
        skill some person holds: asked x held, a few thousand each at most."""
        asked = np.unique(self._columns)
        held = np.unique(self._skill_keys % self._width)
        self._asked_row = np.full(len(self._vocab) + 1, -1, dtype=np.int64)
        self._held_row = np.full(len(self._vocab) + 1, -1, dtype=np.int64)
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
        ids = SKILLS.ids
        labels = [skill_labels(ids[c]) for c in self._vocab[wanted].tolist()]
        vectors = _unit_rows(np.asarray(embed(labels)))
        a = vectors[np.searchsorted(wanted, asked)]
        h = vectors[np.searchsorted(wanted, held)]
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
            means: np.ndarray = _unit_rows(out) * (np.linalg.norm(out, axis=1, keepdims=True) > 0)
            return means

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

    def _build_events(self, events: EventColumns) -> None:
        person, opportunity = events.mapped(self.person_index, self.opportunity_index)
        # "accept": the demo history's word for a lead taking someone on; "assign": the
        # live workflow's.
        accepted = np.isin(events.kind, ("accept", "assign")) & (person >= 0)
        completed = (events.kind == "complete") & (person >= 0)
        applied = (events.kind == "apply") & (opportunity >= 0)
        self._accepted = np.sort(person[accepted] * _TIME_SLOT + events.at[accepted])
        self._completed = np.sort(person[completed] * _TIME_SLOT + events.at[completed])
        self._applied = np.sort(opportunity[applied] * _TIME_SLOT + events.at[applied])

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
        implied: np.ndarray = self._implied_keys[found] == keys
        return implied

    def _related(self, people: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Whether each person holds a tool of the same category as each asked skill."""
        category = self._category[columns]
        if len(self._category_keys) == 0:
            return np.zeros(len(columns), dtype=bool)
        keys = people.astype(np.int64) * self._n_categories + np.maximum(category, 0)
        found = np.minimum(np.searchsorted(self._category_keys, keys), len(self._category_keys) - 1)
        related: np.ndarray = (category >= 0) & (self._category_keys[found] == keys)
        return related

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
        rows = self.p_occupation[people]
        postings = self._posting_occupations
        for row in np.unique(rows[~self._related_rows[rows]]).tolist():
            occupation = self._person_occupations[row]
            if occupation is not None and postings:
                self._relatedness[row, : len(postings)] = self._occupation_scores.scores(
                    occupation, postings
                )
            self._related_rows[row] = True
        relatedness: np.ndarray = self._relatedness[rows, self.o_occupation[opportunities]]
        return relatedness

    @staticmethod
    def _count_before(keys: np.ndarray, positions: np.ndarray, at: np.ndarray) -> np.ndarray:
        base = positions.astype(np.int64) * _TIME_SLOT
        counts: np.ndarray = np.searchsorted(keys, base + at) - np.searchsorted(keys, base)
        return counts

    def composed_similarity(self, people: np.ndarray, opportunities: np.ndarray) -> np.ndarray:
        """Cosine of the composed profile and posting vectors (what retrieval ranks by): a
        baseline, not a feature, since adding a skill can move a profile's mean away."""
        people, opportunities = np.asarray(people), np.asarray(opportunities)
        cosines: np.ndarray = np.einsum(
            "ij,ij->i", self.person_vectors[people], self.opportunity_vectors[opportunities]
        )
        return cosines

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
