"""One match request: retrieve (FAISS, masks inside) → featurise the pairs → score with the model.

Retrieval over-fetches `RETRIEVE_DEPTH` eligible items by embedding similarity and the learned
ranker scores them all; `matching/serve.py` turns the scores into what a person sees (policy,
fair re-ranking, overrides, audit record). Features are computed by the same
`FeatureStore` code that built the training rows, over just the pairs of this request: the
query side, the retrieved items, and the owners of the opportunities involved (time zone and
mentor-level features read the owner's profile). Vectors come from the engine's pools, so
nothing is re-encoded; history counts (acceptances, completions, applications) are read from
the interaction log for the people and opportunities involved, as of now. The retrieved
rows and the owners are read as snapshots (data/storage/snapshots.py), not ORM objects: at
100k people the ORM's loading was most of a page's time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Never, Protocol

import numpy as np
from sqlalchemy.orm import Session
from typing_extensions import TypeVar

from data.schemas import OpportunityKind
from data.storage.snapshots import (
    EmployeeSnapshot,
    OpportunitySnapshot,
    StoredEmployee,
    StoredOpportunity,
    snapshots_by_external_id,
    snapshots_by_id,
)
from data.storage.tables import EmployeeRow, OpportunityRow
from features.events import EventColumns, epoch_seconds
from features.history import HistoryItems
from features.inputs import (
    OpportunityInputs,
    PersonInputs,
    opportunity_inputs_from_row,
    person_inputs_from_row,
)
from features.item_facts import FactsContext, PersonFacts, PostingFacts, context_for
from features.registry import FEATURE_NAMES
from features.store import FeatureStore
from features.taxonomy_facts import packaged_profiles, packaged_tool_categories
from matching.eligibility import MaskReport
from matching.engine import MatchEngine, Retrieval
from matching.stages import stage

RETRIEVE_DEPTH = 200

# What a request's items were scored from: a person's matches are postings, a posting's
# candidates people. Unparametrised, `Scored` is either.
InputsT = TypeVar(
    "InputsT",
    bound=PersonInputs | OpportunityInputs,
    default=PersonInputs | OpportunityInputs,
    covariant=True,
)
# And the rows read of them (`Scored.show`): postings' or people's.
RowT = TypeVar(
    "RowT",
    bound=EmployeeSnapshot | OpportunitySnapshot,
    default=EmployeeSnapshot | OpportunitySnapshot,
    covariant=True,
)
HeldT = TypeVar("HeldT")  # what the read model holds of a row (inputs, maybe with facts)
ReadT = TypeVar("ReadT", EmployeeSnapshot, OpportunitySnapshot)  # rows read to be held


class Scorer(Protocol):
    def predict(self, features: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class RankedHit:
    row_id: int
    external_id: str
    score: float  # the ranker's score
    similarity: float  # the retrieval score (cosine of composed vectors)


@dataclass(frozen=True, slots=True)
class ItemRef:
    """A retrieved item whose row was not read: scoring needs only its inputs, held in memory
    (matching/read_model.py); `Scored.show` reads the rows a page shows."""

    id: int
    external_id: str


class PageRowsChanged(LookupError):
    """Rows a page was to show changed since this process last took them in (another worker
    deleted them, or wrote them, before this one's freshness poll): take them in as stored and
    rank again. `gone`: row ids deleted; `moved`: the rows as stored now."""

    def __init__(
        self, gone: Sequence[ItemRef], moved: Sequence[EmployeeSnapshot | OpportunitySnapshot]
    ) -> None:
        named = [g.external_id for g in gone] + [m.external_id for m in moved]
        super().__init__(f"rows changed since retrieval: {named}")
        self.gone = [g.id for g in gone]
        self.moved = list(moved)


@dataclass(frozen=True, slots=True)
class Scored(Generic[InputsT, RowT]):
    """The eligible items retrieved for one request, in retrieval order, with their scores."""

    # Each item's row as stored (with its skills) once `show` read it, else its `ItemRef`.
    items: list[ItemRef | RowT]
    similarity: np.ndarray
    features: np.ndarray  # rows the ranker scored, registry order
    scores: np.ndarray
    report: MaskReport
    # How `show` reads the items' rows: row ids -> their snapshots (ids not stored left out).
    read_rows: Callable[[Session, list[int]], Mapping[int, RowT]]
    # What each item's features were computed from (matching/read_model.py), same order.
    inputs: Sequence[InputsT] = dataclasses.field(default_factory=list)

    def only(self, keep: Callable[[ItemRef | RowT], bool]) -> Scored[InputsT, RowT]:
        """The items `keep` accepts, in the same order with their rows and scores (a person's
        filters: each item's score stands alone, so the ranker's order is kept)."""
        kept = [i for i, item in enumerate(self.items) if keep(item)]
        return Scored(
            [self.items[i] for i in kept],
            self.similarity[kept],
            self.features[kept],
            self.scores[kept],
            self.report,
            self.read_rows,
            [self.inputs[i] for i in kept],
        )

    def show(self, session: Session, indices: Sequence[int] | None = None) -> None:
        """Read the rows of these items (all, by default) for what a page says of them."""
        wanted = [
            i
            for i in (range(len(self.items)) if indices is None else indices)
            if isinstance(self.items[i], ItemRef)
        ]
        if not wanted:
            return
        with stage("load_rows"):
            rows = self.read_rows(session, [self.items[i].id for i in wanted])
        for i in wanted:  # a row deleted since retrieval stays a reference
            self.items[i] = rows.get(self.items[i].id, self.items[i])

    def read_all(self, session: Session) -> Scored[InputsT, RowT]:
        """Every item's row read (`show`), and the items deleted since retrieval left out."""
        self.show(session)
        return self.only(lambda item: not isinstance(item, ItemRef))

    def show_page(
        self,
        session: Session,
        indices: Sequence[int],
        moved: Callable[[RowT], bool] | None = None,
    ) -> None:
        """`show` the rows a page shows; PageRowsChanged if any was deleted since retrieval,
        or is one that `moved` says changed since it was held."""
        self.show(session, indices)
        shown = [self.items[i] for i in indices]
        gone = [item for item in shown if isinstance(item, ItemRef)]
        changed = (
            [] if moved is None else [r for r in shown if not isinstance(r, ItemRef) and moved(r)]
        )
        if gone or changed:
            raise PageRowsChanged(gone, changed)

    def row(self, i: int) -> RowT:
        """Item `i`'s row, which `show` must have read (else LookupError: not shown, or
        deleted since retrieval)."""
        item = self.items[i]
        if isinstance(item, ItemRef):
            raise LookupError(f"{item.external_id!r}'s row was not read")
        return item

    def shown_rows(self) -> dict[int, RowT]:
        """The rows `show` read, by row id (items not shown, or deleted since, left out)."""
        return {item.id: item for item in self.items if not isinstance(item, ItemRef)}

    @property
    def ids(self) -> list[str]:
        return [item.external_id for item in self.items]

    def hits(self, order: Sequence[int]) -> list[RankedHit]:
        return [
            RankedHit(
                self.items[i].id,
                self.items[i].external_id,
                float(self.scores[i]),
                float(self.similarity[i]),
            )
            for i in order
        ]


def score_matches(
    session: Session,
    matcher: MatchEngine,
    scorer: Scorer,
    employee: EmployeeRow,
    *,
    kind: str,
    now: dt.datetime,
) -> Scored[OpportunityInputs, OpportunitySnapshot]:
    """The eligible opportunities of one kind for this employee, scored."""
    with stage("retrieve"):
        retrieval = matcher.matches_for_employee(employee.id, kind=kind, limit=RETRIEVE_DEPTH)
    if not retrieval.hits:
        return _empty(retrieval.report)
    context = facts_context()
    with stage("load_rows"):
        held = _held_inputs(
            session,
            _postings_by_id,
            [h.row_id for h in retrieval.hits],
            lambda rows: matcher.read_model.postings_with_facts(rows, context),
            matcher.read_model.put_postings,
        )
        # A row deleted by another process may still be indexed here: skip it, do not fail.
        retrieval = _present(retrieval, held)
        jobs = [held[h.row_id][0] for h in retrieval.hits]
        owners = owners_with_facts(session, matcher, jobs, {employee.external_id}, context)
    store = _feature_store(
        session,
        matcher,
        {employee.id: (person_inputs_from_row(employee), None), **owners},
        {h.row_id: held[h.row_id] for h in retrieval.hits},
        now,
        labels=label_lookup(matcher, employee),
    )
    with stage("features"):
        features = store.compute(
            np.zeros(len(jobs), dtype=np.int64), np.arange(len(jobs)), as_of_seconds(now)
        )
    return _scored(scorer, retrieval, features, jobs, _postings_by_id)


def score_candidates(
    session: Session,
    matcher: MatchEngine,
    scorer: Scorer,
    opportunity: OpportunityRow,
    *,
    now: dt.datetime,
) -> Scored[PersonInputs, EmployeeSnapshot]:
    """The eligible employees for this opportunity, scored."""
    with stage("retrieve"):
        retrieval = matcher.candidates_for_opportunity(opportunity.id, limit=RETRIEVE_DEPTH)
    if not retrieval.hits:
        return _empty(retrieval.report)
    context = facts_context()
    with stage("load_rows"):
        held = _held_inputs(
            session,
            _people_by_id,
            [h.row_id for h in retrieval.hits],
            lambda rows: matcher.read_model.people_with_facts(rows, context),
            matcher.read_model.put_people,
        )
        retrieval = _present(retrieval, held)
        people = [held[h.row_id][0] for h in retrieval.hits]
        job = opportunity_inputs_from_row(opportunity)
        owner = owners_with_facts(session, matcher, [job], {p.external_id for p in people}, context)
    store = _feature_store(
        session,
        matcher,
        {**{h.row_id: held[h.row_id] for h in retrieval.hits}, **owner},
        {opportunity.id: (job, None)},
        now,
        labels=label_lookup(matcher, opportunity),
    )
    with stage("features"):
        features = store.compute(
            np.arange(len(people)), np.zeros(len(people), dtype=np.int64), as_of_seconds(now)
        )
    return _scored(scorer, retrieval, features, people, _people_by_id)


def person_inputs(
    session: Session, matcher: MatchEngine, row_ids: list[int]
) -> dict[int, PersonInputs]:
    """These employees' feature inputs from the engine's memory; any it does not hold yet
    (written by another process a moment ago) read from the database and held from now on;
    rows not stored at all are left out."""
    held = matcher.read_model
    return _held_inputs(session, _people_by_id, row_ids, held.people, held.put_people)


def posting_inputs(
    session: Session, matcher: MatchEngine, row_ids: list[int]
) -> dict[int, OpportunityInputs]:
    held = matcher.read_model
    return _held_inputs(session, _postings_by_id, row_ids, held.postings, held.put_postings)


def _people_by_id(session: Session, row_ids: list[int]) -> dict[int, EmployeeSnapshot]:
    return snapshots_by_id(session, EmployeeRow, row_ids)


def _postings_by_id(session: Session, row_ids: list[int]) -> dict[int, OpportunitySnapshot]:
    return snapshots_by_id(session, OpportunityRow, row_ids)


def _held_inputs(
    session: Session,
    read_rows: Callable[[Session, list[int]], Mapping[int, ReadT]],
    row_ids: list[int],
    read: Callable[[Sequence[int]], dict[int, HeldT]],
    hold: Callable[[Iterable[ReadT]], None],
) -> dict[int, HeldT]:
    found = read(row_ids)
    missing = [r for r in row_ids if r not in found]
    if missing:
        rows = read_rows(session, missing)
        hold(rows.values())
        found.update(read(list(rows)))
    return found


def owner_inputs(
    session: Session,
    matcher: MatchEngine,
    opportunities: Sequence[OpportunityInputs],
    excluding: set[str],
) -> dict[int, PersonInputs]:
    """The leads who posted these opportunities, from memory like everyone else. Their skills
    feed one feature only, the mentor's level in a mentorship's skills: for other kinds they are
    left out (in the store's skill vocabulary, ~200 leads' skills slowed every page)."""
    found = owners_with_facts(session, matcher, opportunities, excluding, facts_context())
    return {r: inputs for r, (inputs, _) in found.items()}


def owners_with_facts(
    session: Session,
    matcher: MatchEngine,
    opportunities: Sequence[OpportunityInputs],
    excluding: set[str],
    context: FactsContext,
) -> dict[int, tuple[PersonInputs, PersonFacts | None]]:
    """`owner_inputs`, each with its facts as held (None where its skills are left out)."""
    owners = sorted({o.owner_external_id for o in opportunities} - excluding)
    rows = matcher.read_model.person_rows(owners)
    unknown = {e for e in owners if e not in rows}
    if unknown:  # not held: a lead deactivated since, or written elsewhere a moment ago
        found = employees_by_external_id(session, unknown)
        matcher.read_model.put_people(found)
        rows.update({s.external_id: s.id for s in found})
    known = [rows[e] for e in owners if e in rows]
    if not any(o.kind == OpportunityKind.MENTORSHIP.value for o in opportunities):
        return {r: (p, None) for r, p in matcher.read_model.people(known, skills=False).items()}
    return dict(matcher.read_model.people_with_facts(known, context))


def label_lookup(
    matcher: MatchEngine, *rows: StoredEmployee | StoredOpportunity
) -> Callable[[str], str]:
    """Skill labels: these rows' own (read fresh with them, maybe newer than memory), else those
    the engine holds."""
    own = {s.skill_id: s.skill.label for row in rows for s in row.skills}
    return lambda skill_id: own.get(skill_id) or matcher.read_model.label(skill_id)


def _present(retrieval: Retrieval, rows: Mapping[int, object]) -> Retrieval:
    hits = [h for h in retrieval.hits if h.row_id in rows]
    return retrieval if len(hits) == len(retrieval.hits) else Retrieval(hits, retrieval.report)


def _scored(
    scorer: Scorer,
    retrieval: Retrieval,
    features: np.ndarray,
    inputs: Sequence[InputsT],
    read_rows: Callable[[Session, list[int]], Mapping[int, RowT]],
) -> Scored[InputsT, RowT]:
    similarity = np.array([h.score for h in retrieval.hits], dtype=np.float64)
    with stage("score"):
        scores = np.asarray(scorer.predict(features), dtype=np.float64)
    items: list[ItemRef | RowT] = [ItemRef(h.row_id, h.external_id) for h in retrieval.hits]
    return Scored(items, similarity, features, scores, retrieval.report, read_rows, inputs)


def _no_rows(session: Session, row_ids: list[int]) -> dict[int, Never]:
    return {}


def _empty(report: MaskReport) -> Scored[Never, Never]:
    """No items (of either kind)."""
    nothing = np.zeros(0, dtype=np.float64)
    features = np.zeros((0, len(FEATURE_NAMES)), np.float32)
    return Scored([], nothing, features, nothing, report, _no_rows)


def employees_by_external_id(
    session: Session, external_ids: set[str], *, skills: bool = True
) -> list[EmployeeSnapshot]:
    """These employees, read-only (in a stable order; unknown ids are left out)."""
    found = snapshots_by_external_id(session, EmployeeRow, sorted(external_ids), skills=skills)
    return list(found.values())


def as_of_seconds(now: dt.datetime) -> int:
    return epoch_seconds(now) + 1  # history strictly before this second: all logged so far


def facts_context() -> FactsContext:
    """The packaged taxonomy's, which the store uses by default (features/item_facts.py)."""
    return context_for(packaged_tool_categories(), packaged_profiles())


def _feature_store(
    session: Session,
    matcher: MatchEngine,
    people_held: dict[int, tuple[PersonInputs, PersonFacts | None]],
    opportunities_held: dict[int, tuple[OpportunityInputs, PostingFacts | None]],
    now: dt.datetime,
    *,
    labels: Callable[[str], str],
) -> FeatureStore:
    """The store over these people and postings (by row id: their vectors are the pools'),
    with the facts held for them (None: made by the store)."""
    people = {r: inputs for r, (inputs, _) in people_held.items()}
    opportunities = {r: inputs for r, (inputs, _) in opportunities_held.items()}
    with stage("history"):
        events = matcher.history.events(
            session,
            people=[p.external_id for p in people.values()],
            opportunities=[o.external_id for o in opportunities.values()],
        )
        extra = history_items_for(matcher, events, people.values(), opportunities.values())
    with stage("features"):
        return FeatureStore(
            list(people.values()),
            list(opportunities.values()),
            embed=matcher.cache.vectors,
            skill_labels=labels,
            events=events,
            reference_date=now.date(),
            person_vectors=matcher.employee_vectors(list(people)),
            opportunity_vectors=matcher.opportunity_vectors(list(opportunities)),
            history_items=extra,
            person_facts=[facts for _, facts in people_held.values()],
            posting_facts=[facts for _, facts in opportunities_held.values()],
        )


def history_items_for(
    matcher: MatchEngine,
    events: EventColumns,
    people: Iterable[PersonInputs],
    opportunities: Iterable[OpportunityInputs],
) -> HistoryItems:
    """The postings and people the history names beyond this request's: their vectors from the
    engine's pools (nothing re-encoded) and postings' departments (features/history.py)."""
    have_people = {p.external_id for p in people}
    have_postings = {o.external_id for o in opportunities}
    want_people = sorted(events.person_ids() - have_people)
    want_postings = sorted(events.posting_ids() - have_postings)
    if not want_people and not want_postings:
        return HistoryItems()
    person_rows = matcher.read_model.person_rows(want_people)
    posting_rows = matcher.read_model.posting_rows(want_postings)
    found_people, people_vectors, found_postings, posting_vectors = matcher.held_vectors(
        employees=list(person_rows.values()), opportunities=list(posting_rows.values())
    )
    person_of = {r: e for e, r in person_rows.items()}
    postings = matcher.read_model.postings(found_postings)
    kept = [i for i, r in enumerate(found_postings) if r in postings]  # one dropped meanwhile
    return HistoryItems(
        opportunity_ids=[postings[found_postings[i]].external_id for i in kept],
        opportunity_vectors=posting_vectors[kept],
        opportunity_departments=[postings[found_postings[i]].department or "" for i in kept],
        person_ids=[person_of[r] for r in found_people],
        person_vectors=people_vectors,
    )
