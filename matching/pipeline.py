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

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session

from data.schemas import OpportunityKind
from data.storage.interactions import history_events
from data.storage.snapshots import Snapshot, snapshots_by_external_id, snapshots_by_id
from data.storage.tables import EmployeeRow, OpportunityRow
from features.history import HistoryItems
from features.inputs import opportunity_inputs_from_row, person_inputs_from_row
from features.registry import FEATURE_NAMES
from features.store import FeatureStore, epoch_seconds
from matching.eligibility import MaskReport
from matching.engine import MatchEngine, Retrieval
from matching.stages import stage

RETRIEVE_DEPTH = 200


class Scorer(Protocol):
    def predict(self, features: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class RankedHit:
    row_id: int
    external_id: str
    score: float  # the ranker's score
    similarity: float  # the retrieval score (cosine of composed vectors)


@dataclass(frozen=True, slots=True)
class Scored:
    """The eligible items retrieved for one request, in retrieval order, with their scores."""

    items: list[EmployeeRow] | list[OpportunityRow]
    similarity: np.ndarray
    features: np.ndarray  # rows the ranker scored, registry order
    scores: np.ndarray
    report: MaskReport

    def only(self, keep: Callable[[Any], bool]) -> Scored:
        """The items `keep` accepts, in the same order with their rows and scores (a person's
        filters: each item's score stands alone, so the ranker's order is kept)."""
        kept = [i for i, item in enumerate(self.items) if keep(item)]
        return Scored(
            [self.items[i] for i in kept],  # type: ignore[arg-type]
            self.similarity[kept],
            self.features[kept],
            self.scores[kept],
            self.report,
        )

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
) -> Scored:
    """The eligible opportunities of one kind for this employee, scored."""
    with stage("retrieve"):
        retrieval = matcher.matches_for_employee(employee.id, kind=kind, limit=RETRIEVE_DEPTH)
    if not retrieval.hits:
        return _empty(retrieval.report)
    with stage("load_rows"):
        rows = snapshots_by_id(session, OpportunityRow, [h.row_id for h in retrieval.hits])
        # A row deleted by another process may still be indexed here: skip it, do not fail.
        retrieval = _present(retrieval, rows)
        opportunities = [rows[h.row_id] for h in retrieval.hits]
        owners = owners_of(session, opportunities, {employee.external_id})
    people = [employee, *owners]
    store = _feature_store(session, matcher, people, opportunities, now)
    with stage("features"):
        features = store.compute(
            np.zeros(len(opportunities), dtype=np.int64),
            np.arange(len(opportunities)),
            as_of_seconds(now),
        )
    return _scored(scorer, retrieval, opportunities, features)


def score_candidates(
    session: Session,
    matcher: MatchEngine,
    scorer: Scorer,
    opportunity: OpportunityRow,
    *,
    now: dt.datetime,
) -> Scored:
    """The eligible employees for this opportunity, scored."""
    with stage("retrieve"):
        retrieval = matcher.candidates_for_opportunity(opportunity.id, limit=RETRIEVE_DEPTH)
    if not retrieval.hits:
        return _empty(retrieval.report)
    with stage("load_rows"):
        rows = snapshots_by_id(session, EmployeeRow, [h.row_id for h in retrieval.hits])
        retrieval = _present(retrieval, rows)
        candidates = [rows[h.row_id] for h in retrieval.hits]
        owner = owners_of(session, [opportunity], {c.external_id for c in candidates})
    store = _feature_store(session, matcher, [*candidates, *owner], [opportunity], now)
    with stage("features"):
        features = store.compute(
            np.arange(len(candidates)),
            np.zeros(len(candidates), dtype=np.int64),
            as_of_seconds(now),
        )
    return _scored(scorer, retrieval, candidates, features)


def _present(retrieval: Retrieval, rows: dict[int, object]) -> Retrieval:
    hits = [h for h in retrieval.hits if h.row_id in rows]
    return retrieval if len(hits) == len(retrieval.hits) else Retrieval(hits, retrieval.report)


def _scored(
    scorer: Scorer,
    retrieval: Retrieval,
    items: list[EmployeeRow] | list[OpportunityRow],
    features: np.ndarray,
) -> Scored:
    similarity = np.array([h.score for h in retrieval.hits], dtype=np.float64)
    with stage("score"):
        scores = np.asarray(scorer.predict(features), dtype=np.float64)
    return Scored(items, similarity, features, scores, retrieval.report)


def _empty(report: MaskReport) -> Scored:
    nothing = np.zeros(0, dtype=np.float64)
    return Scored([], nothing, np.zeros((0, len(FEATURE_NAMES)), np.float32), nothing, report)


def employees_by_external_id(
    session: Session, external_ids: set[str], *, skills: bool = True
) -> list[Snapshot]:
    """These employees, read-only (in a stable order; unknown ids are left out)."""
    found = snapshots_by_external_id(session, EmployeeRow, sorted(external_ids), skills=skills)
    return list(found.values())


def owners_of(
    session: Session, opportunities: Sequence[Any], excluding: set[str]
) -> list[Snapshot]:
    """The leads who posted these opportunities. Their skills feed one feature only, the
    mentor's level in a mentorship's skills; for other kinds they are left unread (the rows
    with their ~15 skills each were a third of a page's time at 100k people)."""
    mentoring = any(o.kind == OpportunityKind.MENTORSHIP.value for o in opportunities)
    owners = {o.owner_external_id for o in opportunities} - excluding
    return employees_by_external_id(session, owners, skills=mentoring)


def as_of_seconds(now: dt.datetime) -> int:
    return epoch_seconds(now) + 1  # history strictly before this second: all logged so far


def _feature_store(
    session: Session,
    matcher: MatchEngine,
    people: Sequence[EmployeeRow],
    opportunities: Sequence[OpportunityRow],
    now: dt.datetime,
) -> FeatureStore:
    with stage("load_rows"):
        labels = {
            s.skill_id: s.skill.label for row in (*people, *opportunities) for s in row.skills
        }
        person_inputs = [person_inputs_from_row(p) for p in people]
        opportunity_inputs = [opportunity_inputs_from_row(o) for o in opportunities]
    with stage("history"):
        events = history_events(
            session,
            people=[p.external_id for p in people],
            opportunities=[o.external_id for o in opportunities],
        )
        extra = history_items_for(session, matcher, events, people, opportunities)
    with stage("features"):
        return FeatureStore(
            person_inputs,
            opportunity_inputs,
            embed=matcher.cache.vectors,
            skill_labels=labels.__getitem__,
            events=events,
            reference_date=now.date(),
            person_vectors=matcher.employee_vectors([p.id for p in people]),
            opportunity_vectors=matcher.opportunity_vectors([o.id for o in opportunities]),
            history_items=extra,
        )


def history_items_for(
    session: Session,
    matcher: MatchEngine,
    events: Sequence[Any],
    people: Sequence[EmployeeRow],
    opportunities: Sequence[OpportunityRow],
) -> HistoryItems:
    """The postings and people the history names beyond this request's: their vectors from the
    engine's pools (nothing re-encoded) and postings' departments (features/history.py)."""
    have_people = {p.external_id for p in people}
    have_postings = {o.external_id for o in opportunities}
    want_people = sorted({e[0] for e in events} - have_people)
    want_postings = sorted({e[1] for e in events} - have_postings)
    if not want_people and not want_postings:
        return HistoryItems()
    person_rows = snapshots_by_external_id(session, EmployeeRow, want_people, skills=False)
    posting_rows = snapshots_by_external_id(session, OpportunityRow, want_postings, skills=False)
    found_people, people_vectors, found_postings, posting_vectors = matcher.held_vectors(
        employees=[r.id for r in person_rows.values()],
        opportunities=[r.id for r in posting_rows.values()],
    )
    person_by_row = {r.id: r for r in person_rows.values()}
    posting_by_row = {r.id: r for r in posting_rows.values()}
    return HistoryItems(
        opportunity_ids=[posting_by_row[r].external_id for r in found_postings],
        opportunity_vectors=posting_vectors,
        opportunity_departments=[posting_by_row[r].department or "" for r in found_postings],
        person_ids=[person_by_row[r].external_id for r in found_people],
        person_vectors=people_vectors,
    )
