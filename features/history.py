"""What a person's own history and a posting's own history say about a pair, as of its time.

A person's history: what they applied to, saved, accepted or rated well ("liked") and what they
dismissed or declined ("passed"), each an event with the posting's vector and department. A
posting's history: whom its lead shortlisted, invited, offered or took on ("chosen") and whom
they turned down. For a pair (person, posting) at time t, only events strictly before t count,
and never events on the pair itself (the pair's own application is what training labels):

- history_liked_similarity     mean cos(posting, liked posting)
- history_passed_similarity    the same over the postings passed
- history_department_affinity  (liked − passed in the posting's department) / all events
- posting_chosen_similarity    mean cos(person, chosen person)
- posting_passed_similarity    the same over the people turned down

Each is 0 with no such history: the packaged default rankers are trained on 0
(training/cold_start.NO_HISTORY) and so score a person with history exactly as one without.
An undo (unsave, undismiss) is the same event with weight -1, so it cancels from its moment
on. Everything is prefix sums over events sorted by (owner, time) and binary searches: no
Python loop per pair.

Per-person and per-posting terms in the manner of GLMix: v_posting . mean(liked) is a per-person
linear term over the embedding whose coefficients are the person's shrunk mean of what they
liked (and the same per posting over people), learned by counting rather than by fitting a
model per person: a few weeks give most people a handful of events, too few to fit
coefficients of their own. The global ranker learns how much each term weighs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from features.events import NO_RATING, Event, EventColumns

_TIME_SLOT = np.int64(2**34)  # > any epoch second we store: key = code * slot + time
# Pseudo-events a history's mean is shrunk by, towards 0 (the no-history value). 0: a plain
# mean. Shrinking by one made the features grow with the length of a history, so trees fitted
# on a company's first weeks met larger values later (a retrained model lost to the live one on
# the latest lists, tests/training/test_pipeline.py); within one list the count is shared anyway.
SHRINK = 0.0
PAIR_BLOCK = 1 << 15  # pairs whose (pair, dim) prefix sums are gathered at once
RATED_WELL, RATED_BADLY = 4, 2

# event type -> (timeline, weight): which of the four timelines an event adds to.
LIKED, PASSED, CHOSEN, TURNED_DOWN = "liked", "passed", "chosen", "turned_down"
ROLES = (LIKED, PASSED, CHOSEN, TURNED_DOWN)
EVENT_ROLES: Mapping[str, tuple[str, float]] = {
    "apply": (LIKED, 1.0),
    "save": (LIKED, 1.0),
    "accept_offer": (LIKED, 1.0),
    "unsave": (LIKED, -1.0),
    "dismiss": (PASSED, 1.0),
    "decline": (PASSED, 1.0),
    "undismiss": (PASSED, -1.0),
    "shortlist": (CHOSEN, 1.0),
    "invite": (CHOSEN, 1.0),
    "offer": (CHOSEN, 1.0),
    "assign": (CHOSEN, 1.0),
    "accept": (CHOSEN, 1.0),  # the demo history's word for a lead taking someone on
    "reject": (TURNED_DOWN, 1.0),
}
PERSON_EVENTS = tuple(t for t, (role, _) in EVENT_ROLES.items() if role in (LIKED, PASSED))
POSTING_EVENTS = tuple(t for t, (role, _) in EVENT_ROLES.items() if role in (CHOSEN, TURNED_DOWN))

HISTORY_FEATURES = (
    "history_liked_similarity",
    "history_passed_similarity",
    "history_department_affinity",
    "posting_chosen_similarity",
    "posting_passed_similarity",
)


@dataclass(frozen=True, slots=True)
class HistoryItems:
    """Postings and people a history refers to beyond the pairs being scored (the serving path
    scores ~200 retrieved items; a person's history names others): their vectors, as the
    engine holds them, and postings' departments."""

    opportunity_ids: Sequence[str] = ()
    opportunity_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    opportunity_departments: Sequence[str] = ()
    person_ids: Sequence[str] = ()
    person_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))


class _Timeline:
    """Weighted events per owner code in time order: sums over the events before a moment."""

    def __init__(
        self,
        owners: np.ndarray,
        times: np.ndarray,
        items: np.ndarray,
        weights: np.ndarray,
        item_vectors: np.ndarray | None,
    ) -> None:
        order = np.lexsort((times, owners))
        owners, times, items, weights = owners[order], times[order], items[order], weights[order]
        self.keys = owners * _TIME_SLOT + times
        self.cum_w = np.concatenate([[0.0], np.cumsum(weights)])
        self.cum_v = None
        if item_vectors is not None:
            dim = item_vectors.shape[1]
            weighted = item_vectors[items].astype(np.float64) * weights[:, None]
            self.cum_v = np.vstack([np.zeros((1, dim)), np.cumsum(weighted, axis=0)])
        # (owner, item) timelines: the events on the pair itself, to leave out.
        pair = owners * np.int64(1 << 24) + items
        self.pair_codes = np.unique(pair)
        pair_keys = np.searchsorted(self.pair_codes, pair) * _TIME_SLOT + times
        pair_order = np.argsort(pair_keys, kind="stable")
        self.pair_keys = pair_keys[pair_order]
        self.pair_cum_w = np.concatenate([[0.0], np.cumsum(weights[pair_order])])

    def _window(self, owners: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        base = owners * _TIME_SLOT
        return np.searchsorted(self.keys, base), np.searchsorted(self.keys, base + at)

    def weight_before(self, owners: np.ndarray, at: np.ndarray) -> np.ndarray:
        lo, hi = self._window(owners, at)
        weights: np.ndarray = self.cum_w[hi] - self.cum_w[lo]
        return weights

    def own_weight_before(
        self, owners: np.ndarray, items: np.ndarray, at: np.ndarray
    ) -> np.ndarray:
        """The weight of the events on (owner, item) itself before `at`."""
        pair = owners * np.int64(1 << 24) + items
        found = np.minimum(np.searchsorted(self.pair_codes, pair), max(len(self.pair_codes) - 1, 0))
        known = (
            self.pair_codes[found] == pair if len(self.pair_codes) else np.zeros(len(pair), bool)
        )
        base = np.where(known, found, -1) * _TIME_SLOT
        lo = np.searchsorted(self.pair_keys, base)
        hi = np.searchsorted(self.pair_keys, base + at)
        return np.where(known, self.pair_cum_w[hi] - self.pair_cum_w[lo], 0.0)

    def similarity_sum(self, owners: np.ndarray, at: np.ndarray, query: np.ndarray) -> np.ndarray:
        """sum over the owner's events before `at` of weight * (item vector . query row)."""
        assert self.cum_v is not None
        lo, hi = self._window(owners, at)
        out = np.zeros(len(owners), dtype=np.float64)
        for start in range(0, len(owners), PAIR_BLOCK):
            rows = slice(start, start + PAIR_BLOCK)
            summed = self.cum_v[hi[rows]] - self.cum_v[lo[rows]]
            out[rows] = np.einsum("ij,ij->i", summed, query[rows])
        return out


def _mean(summed: np.ndarray, count: np.ndarray) -> np.ndarray:
    """summed / (count + SHRINK); 0 where there is nothing to average."""
    count = np.maximum(count, 0.0) + SHRINK
    return np.where(count > 1e-9, summed / np.maximum(count, 1e-9), 0.0)


def _similarity(
    line: _Timeline, owners: np.ndarray, items: np.ndarray, at: np.ndarray, vectors: np.ndarray
) -> np.ndarray:
    """Mean similarity of each row's item vector (`vectors`, of `items`) to the items of its
    owner's events before `at`, the events on the pair itself left out (each contributed the
    item's own v . v to the sum)."""
    own = line.own_weight_before(owners, items, at)
    total = line.weight_before(owners, at) - own
    summed = line.similarity_sum(owners, at, vectors) - own * np.einsum(
        "ij,ij->i", vectors, vectors
    )
    return _mean(summed, total)


class HistoryTimelines:
    """The four timelines of one log, over a store's people and postings (plus `extra`)."""

    def __init__(
        self,
        events: Iterable[Event] | EventColumns,
        *,
        person_index: Mapping[str, int],
        opportunity_index: Mapping[str, int],
        person_vectors: np.ndarray,
        opportunity_vectors: np.ndarray,
        opportunity_departments: Sequence[str],
        extra: HistoryItems | None = None,
    ) -> None:
        extra = extra or HistoryItems()
        people, postings = dict(person_index), dict(opportunity_index)
        p_vectors, o_vectors = [person_vectors], [opportunity_vectors]
        department_names = list(opportunity_departments)
        new_people = [i for i in extra.person_ids if i not in people]
        if new_people:
            at = {p: k for k, p in enumerate(extra.person_ids)}
            for p in new_people:
                people[p] = len(people)
            p_vectors.append(extra.person_vectors[[at[p] for p in new_people]])
        new_postings = [i for i in extra.opportunity_ids if i not in postings]
        if new_postings:
            at = {o: k for k, o in enumerate(extra.opportunity_ids)}
            for o in new_postings:
                postings[o] = len(postings)
            o_vectors.append(extra.opportunity_vectors[[at[o] for o in new_postings]])
            department_names += [extra.opportunity_departments[at[o]] for o in new_postings]
        self.person_vectors = np.vstack(p_vectors).astype(np.float32)
        self.opportunity_vectors = np.vstack(o_vectors).astype(np.float32)
        # A posting with no department shares none with another: -1, never counted.
        codes: dict[str, int] = {}
        self.departments = np.array(
            [
                codes.setdefault(d.strip().casefold(), len(codes)) if d.strip() else -1
                for d in department_names
            ],
            dtype=np.int64,
        )
        self.n_departments = max(len(codes), 1)

        columns = events if isinstance(events, EventColumns) else EventColumns.of(events)
        person, posting = columns.mapped(people, postings)
        known = (person >= 0) & (posting >= 0)  # else a row nobody holds any more
        role_of = {name: np.zeros(len(columns), bool) for name in ROLES}
        weight = np.zeros(len(columns), np.float64)
        kinds, kind_of = np.unique(columns.kind, return_inverse=True)
        for k, kind in enumerate(kinds.tolist()):
            if kind in EVENT_ROLES:
                name, value = EVENT_ROLES[kind]
                this = kind_of == k
                role_of[name] |= this
                weight[this] = value
        rated = columns.kind == "rate"
        role_of[LIKED] |= rated & (columns.rating >= RATED_WELL)
        role_of[PASSED] |= rated & (columns.rating != NO_RATING) & (columns.rating <= RATED_BADLY)
        weight[rated] = 1.0
        rows = {
            name: (person[keep], posting[keep], columns.at[keep], weight[keep])
            for name, keep in ((n, role_of[n] & known) for n in ROLES)
        }
        self.timelines = {name: self._timeline(name, *entries) for name, entries in rows.items()}
        self.department_timelines = {
            name: self._department_timeline(*rows[name]) for name in (LIKED, PASSED)
        }

    def _timeline(
        self,
        name: str,
        person: np.ndarray,
        posting: np.ndarray,
        times: np.ndarray,
        weights: np.ndarray,
    ) -> _Timeline:
        if name in (LIKED, PASSED):  # owned by the person, items are postings
            return _Timeline(person, times, posting, weights, self.opportunity_vectors)
        return _Timeline(posting, times, person, weights, self.person_vectors)

    def _department_timeline(
        self, person: np.ndarray, posting: np.ndarray, times: np.ndarray, weights: np.ndarray
    ) -> _Timeline:
        known = self.departments[posting] >= 0
        owner = person[known] * self.n_departments + self.departments[posting[known]]
        return _Timeline(owner, times[known], posting[known], weights[known], None)

    def features(
        self, people: np.ndarray, opportunities: np.ndarray, at: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The five history columns for store rows people[i], opportunities[i] at time at[i]."""
        p_vec = self.person_vectors[people]
        o_vec = self.opportunity_vectors[opportunities]
        out = {
            "history_liked_similarity": _similarity(
                self.timelines[LIKED], people, opportunities, at, o_vec
            ),
            "history_passed_similarity": _similarity(
                self.timelines[PASSED], people, opportunities, at, o_vec
            ),
            "posting_chosen_similarity": _similarity(
                self.timelines[CHOSEN], opportunities, people, at, p_vec
            ),
            "posting_passed_similarity": _similarity(
                self.timelines[TURNED_DOWN], opportunities, people, at, p_vec
            ),
        }
        department = self.departments[opportunities]
        owner = people * self.n_departments + np.maximum(department, 0)
        same, every = np.zeros(len(people)), np.zeros(len(people))
        for name, sign in ((LIKED, 1.0), (PASSED, -1.0)):
            own = self.timelines[name].own_weight_before(people, opportunities, at)
            in_department = self.department_timelines[name].weight_before(owner, at) - own
            same += sign * np.where(department >= 0, in_department, 0.0)
            every += self.timelines[name].weight_before(people, at) - own
        out["history_department_affinity"] = _mean(same, every)
        return {k: v.astype(np.float32) for k, v in out.items()}
