"""Retrieval in both directions, in memory: composed vectors, FAISS, and eligibility inside
the search.

Employee → opportunities searches the pool of one opportunity kind; opportunity → employees
searches the employee pool. The eligibility mask is handed to FAISS as an ID selector, so a
page of N results holds N eligible items whenever that many exist, and each response carries
how many items each rule removed.

A `Retriever` is built from records (matching/records.py) and an `embed` function for short
texts; it never reads a database. `matching.sync` feeds it from storage, `matching.engine`
puts the two together with the read model and the snapshot file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from data.schemas import InteractionType, OpportunityKind, OpportunityStatus
from features.composition import Embed, compose_employees, compose_opportunities
from matching.eligibility import (
    MaskReport,
    employee_facts,
    employees_for,
    opportunities_for,
    opportunity_facts,
)
from matching.encoder import EMBEDDING_DIM
from matching.index import IndexInfo, VectorIndex
from matching.pool import (
    KIND_BITS,
    EmployeePool,
    LocationCodes,
    OpportunityPool,
    day_number,
    is_remote,
)
from matching.records import EmployeeRecord, OpportunityRecord
from matching.snapshot import SnapshotReader
from matching.workflow_state import WorkflowState

Assignments = list[tuple[float, dt.date | None]]  # (hours a week, last day or None)


@dataclass(frozen=True, slots=True)
class Hit:
    row_id: int
    external_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Retrieval:
    hits: list[Hit]
    report: MaskReport


class Retriever:
    """The employee pool and one opportunity pool per kind, their indexes, the workflow state
    the masks read, and the two queries. Thread-safe: one lock guards all of it."""

    def __init__(
        self,
        embed: Embed,
        *,
        dim: int = EMBEDDING_DIM,
        today: Callable[[], dt.date] = dt.date.today,
        exact_below: int = 20_000,
    ) -> None:
        self.embed = embed
        self.dim = dim
        self.today = today
        self.locations = LocationCodes()
        self.employees = EmployeePool(dim, VectorIndex(dim, exact_below=exact_below))
        self.opportunities = {
            kind.value: OpportunityPool(dim, VectorIndex(dim, exact_below=exact_below))
            for kind in OpportunityKind
        }
        # Opportunity row id -> kind, for the rows held (read it; writes go through methods).
        self.kind_of: dict[int, str] = {}
        self._employee_row_of: dict[str, int] = {}  # employee external id -> row id
        self._owner_of: dict[int, str] = {}  # opportunity row id -> owner external id
        self.workflow = WorkflowState()
        self._lock = threading.RLock()

    # -- items -----------------------------------------------------------------------------
    def refresh_employees(self, records: Iterable[EmployeeRecord], *, index: bool = True) -> None:
        """Add or overwrite these people; `index=False` leaves the index to `rebuild_indexes`."""
        rows = list(records)
        if not rows:
            return
        vectors = compose_employees([r.text for r in rows], self.embed, self.dim)
        # The ranker's aspiration feature embeds this free text: encode it now, in one batch,
        # so that no match request ever waits for the transformer.
        aspirations = sorted({r.aspirations for r in rows if r.aspirations})
        if aspirations:
            self.embed(aspirations)
        columns = {
            "level": np.array([r.level for r in rows]),
            "availability": np.array([r.availability for r in rows]),
            "open_to": np.array([sum(KIND_BITS[k] for k in set(r.open_to)) for r in rows]),
            "location": np.array([self.locations.code(r.location) for r in rows]),
        }
        with self._lock:
            positions = self.employees.put(
                [r.row_id for r in rows], [r.external_id for r in rows], vectors, columns
            )
            for row in rows:
                self._employee_row_of[row.external_id] = row.row_id
            self._resolve_owners()
            if index:
                self._index_positions(self.employees, positions)

    def refresh_opportunities(
        self, records: Iterable[OpportunityRecord], *, index: bool = True
    ) -> None:
        rows = list(records)
        if not rows:
            return
        vectors = compose_opportunities([r.text for r in rows], self.embed, self.dim)
        with self._lock:
            previous_kinds = {self.kind_of[r.row_id] for r in rows if r.row_id in self.kind_of}
            for kind in previous_kinds:
                moved = [
                    r.row_id for r in rows if self.kind_of.get(r.row_id) == kind and r.kind != kind
                ]
                if moved:  # the kind changed: leave the old kind's pool
                    self._deactivate(self.opportunities[kind], moved)
            for kind in {r.kind for r in rows}:
                chosen = [i for i, r in enumerate(rows) if r.kind == kind]
                subset = [rows[i] for i in chosen]
                positions = self.opportunities[kind].put(
                    [r.row_id for r in subset],
                    [r.external_id for r in subset],
                    vectors[chosen],
                    self._opportunity_columns(subset),
                )
                for row in subset:
                    self.kind_of[row.row_id] = kind
                    self._owner_of[row.row_id] = row.owner_external_id
                if index:
                    self._index_positions(self.opportunities[kind], positions)

    def _opportunity_columns(self, rows: list[OpportunityRecord]) -> dict[str, np.ndarray]:
        return {
            "owner_row_id": np.array(
                [self._employee_row_of.get(r.owner_external_id, -1) for r in rows]
            ),
            "level_min": np.array([r.level_min for r in rows]),
            "level_max": np.array([r.level_max for r in rows]),
            "hours": np.array([r.hours for r in rows]),
            # A posting with no required skill "needs skills" (its title placed it in no
            # occupation): matched with nobody, in either direction, until it has some.
            "is_open": np.array(
                [r.status == OpportunityStatus.OPEN.value and bool(r.text.required) for r in rows]
            ),
            "is_draft": np.array(
                [r.status == OpportunityStatus.DRAFT.value and bool(r.text.required) for r in rows]
            ),
            "seats": np.array([r.seats for r in rows]),
            # Assignments made through the live workflow count in `seats_filled`; the demo
            # history's acceptances are events (each source counts its own).
            "accepted": np.array([self.workflow.accepted(r.row_id) + r.seats_filled for r in rows]),
            "start_day": np.array([day_number(r.start_date) for r in rows]),
            "location": np.array([self.locations.code(r.location) for r in rows]),
            "onsite": np.array([not is_remote(r.location) for r in rows]),
        }

    def _resolve_owners(self) -> None:
        """Owners imported after their opportunities get their row id now."""
        for kind, pool in self.opportunities.items():
            owners = pool.column("owner_row_id")
            for position in np.flatnonzero(owners[: pool.size] == -1):
                row_id = int(pool.row_ids[position])
                owner = self._employee_row_of.get(self._owner_of.get(row_id, ""))
                if owner is not None and self.kind_of.get(row_id) == kind:
                    owners[position] = owner

    def _index_positions(self, pool: EmployeePool | OpportunityPool, positions: np.ndarray) -> None:
        pool.index.upsert(positions, pool.vectors[positions])
        if pool.index.needs_rebuild:
            active = np.flatnonzero(pool.active)
            pool.index.rebuild(active, pool.vectors[active])

    def _deactivate(self, pool: EmployeePool | OpportunityPool, row_ids: list[int]) -> None:
        positions = pool.deactivate(row_ids)
        if len(positions):
            pool.index.remove(positions)

    def remove_employees(self, row_ids: list[int]) -> None:
        with self._lock:
            self._deactivate(self.employees, row_ids)

    def remove_opportunities(self, row_ids: list[int]) -> None:
        with self._lock:
            for row_id in row_ids:
                kind = self.kind_of.pop(row_id, None)
                if kind is not None:
                    self._deactivate(self.opportunities[kind], [row_id])

    def holds_employee(self, row_id: int) -> bool:
        """Whether this person has a place in the pool (a removed one keeps it, inactive)."""
        return row_id in self.employees.position_of

    def holds_opportunity(self, row_id: int) -> bool:
        return row_id in self.kind_of

    def rebuild_indexes(self) -> None:
        """Rebuild every index from its pool (picks exact or IVF by size); swaps atomically."""
        for pool, queries in (
            (self.employees, self._sample_vectors(self.opportunities.values())),
            *((p, self._sample_vectors([self.employees])) for p in self.opportunities.values()),
        ):
            active = np.flatnonzero(pool.active)
            pool.index.rebuild(active, pool.vectors[active], sample_queries=queries)

    @staticmethod
    def _sample_vectors(pools: Iterable[EmployeePool | OpportunityPool]) -> np.ndarray | None:
        """Queries for recall tuning come from the other side of the match."""
        rng = np.random.default_rng(0)
        chunks = [p.vectors[p.active] for p in pools if len(p)]
        if not chunks:
            return None
        vectors = np.vstack(chunks)
        return vectors[rng.choice(len(vectors), size=min(200, len(vectors)), replace=False)]

    # -- workflow state --------------------------------------------------------------------
    def record_interaction(self, employee_row: int, opportunity_row: int, event: str) -> None:
        """Apply a new event to the masks (an application hides the opportunity at once).
        Idempotent: the freshness poll may bring back an event this process recorded."""
        self.record_interactions([(employee_row, opportunity_row, event)])

    def record_interactions(self, events: Iterable[tuple[int, int, str]]) -> None:
        """Apply (employee row, opportunity row, event) in order, as one change."""
        with self._lock:
            for employee_row, opportunity_row, event in events:
                self.workflow.note(employee_row, opportunity_row, event)
                kind = self.kind_of.get(opportunity_row)
                if event == InteractionType.ACCEPT.value and kind is not None:
                    pool = self.opportunities[kind]
                    count = self.workflow.accepted(opportunity_row)
                    pool.column("accepted")[pool.position_of[opportunity_row]] = count

    def set_commitments(self, employee_row: int, assignments: Assignments) -> None:
        """This person's current assignments: (hours a week, last day or None)."""
        with self._lock:
            self.workflow.set_commitments(employee_row, assignments)

    def replace_commitments(self, by_row: dict[int, Assignments], *, everyone: bool) -> None:
        """Set these people's assignments; `everyone`: nobody else has any."""
        with self._lock:
            if everyone:
                self.workflow.clear_commitments()
            for employee_row, assignments in by_row.items():
                self.workflow.set_commitments(employee_row, assignments)

    def committed_hours(self, employee_row: int) -> float:
        return self.workflow.committed_hours(employee_row, self.today())

    def history_acceptances(self, opportunity_row: int) -> int:
        """People the logged history accepted onto this opportunity: seats they hold besides
        the live workflow's assignments (`seats_filled`)."""
        with self._lock:
            return self.workflow.accepted(opportunity_row)

    def sync_accepted(self) -> None:
        """Copy the history's accepted counts into the opportunity pools' `accepted` column."""
        with self._lock:
            for pool in self.opportunities.values():
                accepted = pool.column("accepted")
                accepted[:] = [self.workflow.accepted(int(r)) for r in pool.row_ids]

    def _committed_column(self) -> np.ndarray | None:
        rows = self.workflow.committed_rows()
        if not rows:
            return None
        column = np.zeros(self.employees.size, dtype=np.float32)
        for row_id in rows:
            position = self.employees.position_of.get(row_id)
            if position is not None:
                column[position] = self.committed_hours(row_id)
        return column

    # -- queries ---------------------------------------------------------------------------
    def matches_for_employee(self, employee_row: int, *, kind: str, limit: int) -> Retrieval:
        with self._lock:
            position = self.employees.position_of[employee_row]
            pool = self.opportunities[kind]
            excluded = {
                pool.position_of[o]
                for o in self.workflow.excluded_opportunities(employee_row)
                if o in pool.position_of
            }
            facts = employee_facts(self.employees, position)
            committed = self.committed_hours(employee_row)
            if committed:
                facts = dataclasses.replace(facts, availability=facts.availability - committed)
            mask, report = opportunities_for(
                facts,
                pool,
                kind,
                today=self.today(),
                excluded_positions=excluded,
            )
            query = self.employees.vectors[position]
            found, scores = pool.index.search(query, limit, allowed=mask, vectors=pool.vectors)
            return Retrieval(_hits(pool, found, scores), report)

    def candidates_for_opportunity(self, opportunity_row: int, *, limit: int) -> Retrieval:
        with self._lock:
            kind = self.kind_of[opportunity_row]
            pool = self.opportunities[kind]
            position = pool.position_of[opportunity_row]
            people = self.employees
            excluded = {
                people.position_of[e]
                for e in self.workflow.excluded_employees(opportunity_row)
                if e in people.position_of
            }
            mask, report = employees_for(
                opportunity_facts(pool, position, kind),
                people,
                today=self.today(),
                excluded_positions=excluded,
                committed=self._committed_column(),
            )
            query = pool.vectors[position]
            found, scores = people.index.search(query, limit, allowed=mask, vectors=people.vectors)
            return Retrieval(_hits(people, found, scores), report)

    def employee_vectors(self, row_ids: list[int]) -> np.ndarray | None:
        """Composed vectors of these employees as indexed (None if one is not in the pool)."""
        with self._lock:
            if any(r not in self.employees.position_of for r in row_ids):
                return None
            return self.employees.vectors[[self.employees.position_of[r] for r in row_ids]].copy()

    def opportunity_vectors(self, row_ids: list[int]) -> np.ndarray | None:
        """Composed vectors of these opportunities as indexed (None if one is not in a pool)."""
        _, _, found, vectors = self.held_vectors(employees=[], opportunities=row_ids)
        return vectors if len(found) == len(row_ids) else None

    def held_vectors(
        self, *, employees: list[int], opportunities: list[int]
    ) -> tuple[list[int], np.ndarray, list[int], np.ndarray]:
        """The vectors the pools hold for whichever of these rows they hold (a history names
        rows that may have left): (employee rows found, their vectors, opportunity rows found,
        theirs)."""
        with self._lock:
            people = [r for r in employees if r in self.employees.position_of]
            people_vectors = self.employees.vectors[
                [self.employees.position_of[r] for r in people]
            ].copy()
            postings = [r for r in opportunities if r in self.kind_of]
            posting_vectors = np.zeros((len(postings), self.dim), dtype=np.float32)
            for i, row_id in enumerate(postings):
                pool = self.opportunities[self.kind_of[row_id]]
                posting_vectors[i] = pool.vectors[pool.position_of[row_id]]
            return people, people_vectors, postings, posting_vectors

    @property
    def sizes(self) -> dict[str, int]:
        sizes = {"employees": len(self.employees)}
        sizes.update({kind: len(pool) for kind, pool in self.opportunities.items()})
        return sizes

    # -- snapshot state (the file itself: matching/snapshot.py) ----------------------------
    def _pools(self) -> dict[str, EmployeePool | OpportunityPool]:
        return {
            "employees": self.employees,
            **{f"opp_{k}": p for k, p in self.opportunities.items()},
        }

    def snapshot_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The pools, their indexes and the bookkeeping that goes with them, as plain arrays
        and JSON. The workflow state is not in it: it is read again from the event log."""
        arrays: dict[str, np.ndarray] = {}
        infos: dict[str, dict[str, object]] = {}
        with self._lock:
            for name, pool in self._pools().items():
                for key, value in pool.arrays().items():
                    arrays[f"{name}.{key}"] = value
                arrays[f"{name}.index"] = pool.index.to_bytes()
                info = pool.index.info
                infos[name] = {
                    "kind": info.kind,
                    "size": info.size,
                    "nlist": info.nlist,
                    "nprobe": info.nprobe,
                    "recall_at_50": info.recall_at_50,
                }
            meta = {
                "locations": self.locations.codes,
                "owners": {str(k): v for k, v in self._owner_of.items()},
                "indexes": infos,
            }
        return arrays, meta

    def restore_state(self, arrays: Mapping[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Fill the pools from what `snapshot_state` gave (or a snapshot file open for
        reading, whose arrays are read one at a time and whose indexes are read from the file
        as they are built: matching/snapshot.py `SnapshotReader`)."""
        with self._lock:
            for name, pool in self._pools().items():
                pool.restore_arrays(_Prefixed(arrays, f"{name}."))
                index = f"{name}.index"
                info = IndexInfo(**meta["indexes"][name])
                if isinstance(arrays, SnapshotReader):
                    with arrays.raw(index) as stream:
                        pool.index.restore(stream, info)
                else:
                    pool.index.restore(arrays[index], info)
            self.locations.codes = dict(meta["locations"])
            self._owner_of = {int(k): v for k, v in meta["owners"].items()}
            # The row ids as the pool's `position_of` holds them (in position order): one int
            # object per person, not two.
            self._employee_row_of = dict(
                zip(self.employees.external_ids, self.employees.position_of, strict=True)
            )
            for kind, pool in self.opportunities.items():
                for row_id, active in zip(pool.row_ids.tolist(), pool.active.tolist(), strict=True):
                    if active:
                        self.kind_of[row_id] = kind


class _Prefixed(Mapping[str, np.ndarray]):
    """The arrays of one pool, named without its prefix, each read when asked for."""

    def __init__(self, arrays: Mapping[str, np.ndarray], prefix: str) -> None:
        self._arrays, self._prefix = arrays, prefix

    def __getitem__(self, key: str) -> np.ndarray:
        return self._arrays[self._prefix + key]

    def __iter__(self) -> Iterator[str]:
        n = len(self._prefix)
        return (k[n:] for k in self._arrays if k.startswith(self._prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _hits(pool: EmployeePool | OpportunityPool, found: np.ndarray, scores: np.ndarray) -> list[Hit]:
    return [
        Hit(int(pool.row_ids[p]), pool.external_ids[p], float(s))
        for p, s in zip(found.tolist(), scores.tolist(), strict=True)
    ]
