"""Retrieval in both directions: composed vectors, FAISS, and eligibility inside the search.

Employee → opportunities searches the pool of one opportunity kind; opportunity → employees
searches the employee pool. The eligibility mask is handed to FAISS as an ID selector, so a
page of N results holds N eligible items whenever that many exist, and each response carries
how many items each rule removed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from data.schemas import InteractionType, OpportunityKind, OpportunityStatus
from data.storage.matchable import COMMITMENT_EVENTS, mask_events, row_ids, stamps
from data.storage.pipeline import commitments
from data.storage.queries import batches, rows_of
from data.storage.tables import EmployeeRow, OpportunityRow
from features.composition import compose_employees, compose_opportunities
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
    NO_DATE,
    EmployeePool,
    LocationCodes,
    OpportunityPool,
    day_number,
    is_remote,
)
from matching.read_model import ReadModel
from matching.records import (
    EmployeeRecord,
    OpportunityRecord,
    employee_record,
    opportunity_record,
)
from matching.skill_vectors import SkillVectorCache
from matching.snapshot import load_snapshot, save_snapshot, snapshot_arrays

EXCLUDING_EVENTS = (InteractionType.APPLY.value, InteractionType.DISMISS.value)
READ_MODEL = "read_model."  # the snapshot's arrays of the read model
# How far back `catch_up` compares rows' updated_at with what is indexed.
CATCH_UP_LOOKBACK = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Hit:
    row_id: int
    external_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Retrieval:
    hits: list[Hit]
    report: MaskReport


class MatchEngine:
    def __init__(
        self,
        cache: SkillVectorCache,
        *,
        dim: int = EMBEDDING_DIM,
        today: Callable[[], dt.date] = dt.date.today,
        exact_below: int = 20_000,
        database: str = "",
    ) -> None:
        self.cache = cache
        # Which database the pools mirror: a snapshot taken against another is not reused.
        self.database_key = hashlib.sha256(database.encode()).hexdigest()[:16]
        self.dim = dim
        self.today = today
        self.locations = LocationCodes()
        self.employees = EmployeePool(dim, VectorIndex(dim, exact_below=exact_below))
        self.opportunities = {
            kind.value: OpportunityPool(dim, VectorIndex(dim, exact_below=exact_below))
            for kind in OpportunityKind
        }
        self._kind_of: dict[int, str] = {}  # opportunity row id -> kind
        self._employee_row_of: dict[str, int] = {}  # employee external id -> row id
        self._owner_of: dict[int, str] = {}  # opportunity row id -> owner external id
        self._excluded_for_employee: dict[int, set[int]] = defaultdict(set)
        self._excluded_for_opportunity: dict[int, set[int]] = defaultdict(set)
        # (employee row, opportunity row) pairs with an application: an undone dismissal
        # brings the opportunity back only where the person never applied to it.
        self._applied: set[tuple[int, int]] = set()
        # Who was accepted onto each opportunity (a set: an event seen twice counts once).
        self._accepted: dict[int, set[int]] = defaultdict(set)
        # Hours a week each person gives to assignments, with each one's last day (NO_DATE:
        # open-ended): subtracted from free hours in the availability rule until that day.
        self._commitments: dict[int, list[tuple[float, int]]] = {}
        # What other processes may have written since: the newest interaction id applied, and
        # each row's updated_at as indexed (see `catch_up`).
        self._last_interaction = 0
        self._stamps: dict[tuple[str, int], dt.datetime] = {}
        # Each held row's feature inputs: a page reads its features from here, not the database.
        self.read_model = ReadModel()
        self._lock = threading.RLock()

    # -- building --------------------------------------------------------------------------
    def load(self, session: Session, *, snapshot: Path | None = None, batch: int = 5000) -> None:
        """Fill the pools from the database, starting from a saved snapshot when one fits."""
        restored_at = self._restore(snapshot) if snapshot is not None else None
        if restored_at is not None and snapshot is not None:
            self.read_model.restore(snapshot_arrays(snapshot, READ_MODEL))
        self._load_interactions(session)
        self._load_commitments(session)
        if restored_at is None:
            self._load_all(session, batch)
        else:
            self._reconcile(session, restored_at, batch)
        self._sync_accepted()
        self.cache.save()

    def _load_all(self, session: Session, batch: int) -> None:
        for rows in batches(session, EmployeeRow, batch):
            self.refresh_employees(map(employee_record, _active(rows)), index=False)
            self.read_model.put_people(_active(rows))
            self._stamp(EmployeeRow.__tablename__, rows)
        for rows in batches(session, OpportunityRow, batch):
            self.refresh_opportunities(map(opportunity_record, rows), index=False)
            self.read_model.put_postings(rows)
            self._stamp(OpportunityRow.__tablename__, rows)
        self.rebuild_indexes()

    def _reconcile(self, session: Session, saved_at: dt.datetime, batch: int) -> None:
        """Refresh rows changed since the snapshot and drop rows deleted since."""
        margin = saved_at - dt.timedelta(seconds=5)  # clocks and timestamp resolution
        for table, pool_rows, refresh in (
            (EmployeeRow, self.employees.position_of, self.refresh_employee_rows),
            (OpportunityRow, self._kind_of, self.refresh_opportunity_rows),
        ):
            stamped = stamps(session, table)
            stale = [
                row_id
                for row_id, at in stamped
                if row_id not in pool_rows or _naive_utc(at) >= margin
            ]
            for start in range(0, len(stale), batch):
                refresh(rows_of(session, table, stale[start : start + batch]))
            gone = set(pool_rows) - {row_id for row_id, _ in stamped}
            if table is EmployeeRow:
                self.remove_employees(list(gone))
            else:
                self.remove_opportunities(list(gone))

    def _load_interactions(self, session: Session, *, after_id: int = 0) -> int:
        """Apply the logged events the masks use (after `after_id`); returns how many."""
        events = mask_events(session, after_id=after_id)
        if not events:
            return 0
        committing = [e[1] for e in events if e[3] in COMMITMENT_EVENTS]
        if committing and after_id:
            self._load_commitments(session, employees=committing)
        opportunity_rows = row_ids(session, OpportunityRow, [e[2] for e in events])
        employee_rows = row_ids(session, EmployeeRow, [e[1] for e in events])
        with self._lock:
            for event_id, employee, opportunity, kind in events:
                e, o = employee_rows.get(employee), opportunity_rows.get(opportunity)
                if e is not None and o is not None:
                    self.record_interaction(e, o, kind)
                self._last_interaction = max(self._last_interaction, event_id)
        return len(events)

    def _note(self, employee_row: int, opportunity_row: int, event: str) -> None:
        if event in EXCLUDING_EVENTS:
            self._excluded_for_employee[employee_row].add(opportunity_row)
            self._excluded_for_opportunity[opportunity_row].add(employee_row)
            if event == InteractionType.APPLY.value:
                self._applied.add((employee_row, opportunity_row))
        elif event == InteractionType.UNDISMISS.value:
            if (employee_row, opportunity_row) not in self._applied:
                self._excluded_for_employee[employee_row].discard(opportunity_row)
                self._excluded_for_opportunity[opportunity_row].discard(employee_row)
        elif event == InteractionType.ACCEPT.value:
            self._accepted[opportunity_row].add(employee_row)

    def _load_commitments(self, session: Session, *, employees: list[str] | None = None) -> None:
        """Read the current assignments (of these people, or everyone's)."""
        today = self.today()
        found: dict[str, list[tuple[float, dt.date | None]]] = defaultdict(list)
        for employee, hours, ends_on in commitments(
            session, today=today, employee_external_ids=employees
        ):
            found[employee].append((hours, ends_on))
        rows = row_ids(session, EmployeeRow, list(found) + list(employees or ()))
        with self._lock:
            if employees is None:
                self._commitments.clear()
            for external_id in set(found) | set(employees or ()):
                if external_id in rows:
                    self.set_commitments(rows[external_id], found.get(external_id, []))

    def set_commitments(
        self, employee_row: int, assignments: list[tuple[float, dt.date | None]]
    ) -> None:
        """This person's current assignments: (hours a week, last day or None)."""
        with self._lock:
            kept = [(float(h), day_number(end)) for h, end in assignments if h]
            if kept:
                self._commitments[employee_row] = kept
            else:
                self._commitments.pop(employee_row, None)

    def committed_hours(self, employee_row: int) -> float:
        today = day_number(self.today())
        return sum(
            h
            for h, end in self._commitments.get(employee_row, ())
            if end == NO_DATE or end >= today
        )

    def _committed_column(self) -> np.ndarray | None:
        if not self._commitments:
            return None
        column = np.zeros(self.employees.size, dtype=np.float32)
        for row_id in self._commitments:
            position = self.employees.position_of.get(row_id)
            if position is not None:
                column[position] = self.committed_hours(row_id)
        return column

    def history_acceptances(self, opportunity_row: int) -> int:
        """People the logged history accepted onto this opportunity: seats they hold besides
        the live workflow's assignments (`seats_filled`)."""
        with self._lock:
            return len(self._accepted.get(opportunity_row, ()))

    def _sync_accepted(self) -> None:
        """Copy accepted counts into the opportunity pools' `accepted` column."""
        for pool in self.opportunities.values():
            accepted = pool.column("accepted")
            accepted[:] = [len(self._accepted.get(int(r), ())) for r in pool.row_ids]

    def record_interaction(self, employee_row: int, opportunity_row: int, event: str) -> None:
        """Apply a new event to the masks (an application hides the opportunity at once).
        Idempotent: the freshness poll may bring back an event this process recorded."""
        with self._lock:
            self._note(employee_row, opportunity_row, event)
            kind = self._kind_of.get(opportunity_row)
            if event == InteractionType.ACCEPT.value and kind is not None:
                pool = self.opportunities[kind]
                count = len(self._accepted[opportunity_row])
                pool.column("accepted")[pool.position_of[opportunity_row]] = count

    def catch_up(self, session: Session, *, lookback: dt.timedelta = CATCH_UP_LOOKBACK) -> int:
        """Index what other processes wrote (an import on the command line, another server
        worker): rows whose `updated_at` differs from what this process indexed, within the
        lookback, and new interactions. Returns how many rows and events it applied.

        The lookback covers transactions that commit well after they stamped their rows
        (PostgreSQL's now() is the transaction's start); a row stamped earlier than that and
        committed later still is caught by the next restart's reconciliation."""
        applied = self._load_interactions(session, after_id=self._last_interaction)
        since = dt.datetime.now(dt.UTC) - lookback
        for table, refresh in (
            (EmployeeRow, self.refresh_employee_rows),
            (OpportunityRow, self.refresh_opportunity_rows),
        ):
            stale = [
                row_id
                for row_id, at in stamps(session, table, since=since)
                if self._stamps.get((table.__tablename__, row_id)) != _naive_utc(at)
            ]
            refresh(rows_of(session, table, stale))
            applied += len(stale)
        return applied

    def _stamp(self, table: str, rows: list) -> None:
        for row in rows:
            if isinstance(row.updated_at, dt.datetime):  # not a pending SQL expression
                self._stamps[(table, row.id)] = _naive_utc(row.updated_at)

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

    # -- freshness -------------------------------------------------------------------------
    def refresh_employee_rows(self, rows: Iterable[EmployeeRow]) -> None:
        """Index these people as stored; those deactivated (SCIM) leave the pool instead."""
        rows = list(rows)
        self.remove_employees([row.id for row in rows if not row.active])
        self.refresh_employees(map(employee_record, _active(rows)))
        self.read_model.put_people(_active(rows))
        self._stamp(EmployeeRow.__tablename__, rows)

    def refresh_opportunity_rows(self, rows: Iterable[OpportunityRow]) -> None:
        rows = list(rows)
        self.refresh_opportunities(map(opportunity_record, rows))
        self.read_model.put_postings(rows)
        self._stamp(OpportunityRow.__tablename__, rows)

    def refresh_employees(self, records: Iterable[EmployeeRecord], *, index: bool = True) -> None:
        rows = list(records)
        if not rows:
            return
        vectors = compose_employees([r.text for r in rows], self.cache.vectors, self.dim)
        # The ranker's aspiration feature embeds this free text: encode it now, in one batch,
        # so that no match request ever waits for the transformer.
        aspirations = sorted({r.aspirations for r in rows if r.aspirations})
        if aspirations:
            self.cache.vectors(aspirations)
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
        vectors = compose_opportunities([r.text for r in rows], self.cache.vectors, self.dim)
        with self._lock:
            previous_kinds = {self._kind_of.get(r.row_id) for r in rows} - {None}
            for kind in previous_kinds:
                moved = [
                    r.row_id for r in rows if self._kind_of.get(r.row_id) == kind and r.kind != kind
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
                    self._kind_of[row.row_id] = kind
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
            "accepted": np.array(
                [len(self._accepted.get(r.row_id, ())) + r.seats_filled for r in rows]
            ),
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
                if owner is not None and self._kind_of.get(row_id) == kind:
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
            self.read_model.drop_people(row_ids)

    def remove_opportunities(self, row_ids: list[int]) -> None:
        with self._lock:
            self.read_model.drop_postings(row_ids)
            for row_id in row_ids:
                kind = self._kind_of.pop(row_id, None)
                if kind is not None:
                    self._deactivate(self.opportunities[kind], [row_id])

    def ensure_employee(self, row: EmployeeRow) -> None:
        """Index a stored employee this process has not seen yet (written by another process)."""
        if row.active and row.id not in self.employees.position_of:
            self.refresh_employees([employee_record(row)])
            self.read_model.put_people([row])

    def ensure_opportunity(self, row: OpportunityRow) -> None:
        if row.id not in self._kind_of:
            self.refresh_opportunities([opportunity_record(row)])
            self.read_model.put_postings([row])

    # -- queries ---------------------------------------------------------------------------
    def matches_for_employee(self, employee_row: int, *, kind: str, limit: int) -> Retrieval:
        with self._lock:
            position = self.employees.position_of[employee_row]
            pool = self.opportunities[kind]
            excluded = {
                pool.position_of[o]
                for o in self._excluded_for_employee.get(employee_row, ())
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
            kind = self._kind_of[opportunity_row]
            pool = self.opportunities[kind]
            position = pool.position_of[opportunity_row]
            people = self.employees
            excluded = {
                people.position_of[e]
                for e in self._excluded_for_opportunity.get(opportunity_row, ())
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
            postings = [r for r in opportunities if r in self._kind_of]
            posting_vectors = np.zeros((len(postings), self.dim), dtype=np.float32)
            for i, row_id in enumerate(postings):
                pool = self.opportunities[self._kind_of[row_id]]
                posting_vectors[i] = pool.vectors[pool.position_of[row_id]]
            return people, people_vectors, postings, posting_vectors

    @property
    def sizes(self) -> dict[str, int]:
        sizes = {"employees": len(self.employees)}
        sizes.update({kind: len(pool) for kind, pool in self.opportunities.items()})
        return sizes

    def save(self, path: Path) -> None:
        with self._lock:
            save_snapshot(path, *self._snapshot_state())

    def _pools(self) -> dict[str, EmployeePool | OpportunityPool]:
        return {
            "employees": self.employees,
            **{f"opp_{k}": p for k, p in self.opportunities.items()},
        }

    def _snapshot_state(self) -> tuple[dict[str, np.ndarray], dict[str, object]]:
        """The pools, their indexes and the engine's bookkeeping, as plain arrays and JSON."""
        arrays: dict[str, np.ndarray] = {}
        infos: dict[str, dict[str, object]] = {}
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
        arrays.update(self.read_model.to_arrays())
        meta = {
            "model_id": self.cache.encoder.model_id,
            "database": self.database_key,
            "saved_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
            "locations": self.locations.codes,
            "owners": {str(k): v for k, v in self._owner_of.items()},
            "indexes": infos,
        }
        return arrays, meta

    def _restore(self, path: Path) -> dt.datetime | None:
        """Fill the pools from a snapshot; returns when it was taken, or None if unusable."""
        loaded = load_snapshot(path, model_id=self.cache.encoder.model_id, leave_out=READ_MODEL)
        if loaded is None:
            return None
        arrays, meta = loaded
        for name, pool in self._pools().items():
            prefix = f"{name}."
            pool.restore_arrays(
                {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            )
            pool.index.restore(arrays[f"{name}.index"], IndexInfo(**meta["indexes"][name]))
        self.locations.codes = dict(meta["locations"])
        self._owner_of = {int(k): v for k, v in meta["owners"].items()}
        self._employee_row_of = dict(
            zip(self.employees.external_ids, self.employees.row_ids.tolist(), strict=True)
        )
        for kind, pool in self.opportunities.items():
            for row_id, active in zip(pool.row_ids.tolist(), pool.active.tolist(), strict=True):
                if active:
                    self._kind_of[row_id] = kind
        return dt.datetime.fromisoformat(meta["saved_at"])


def _hits(pool: EmployeePool | OpportunityPool, found: np.ndarray, scores: np.ndarray) -> list[Hit]:
    return [
        Hit(int(pool.row_ids[p]), pool.external_ids[p], float(s))
        for p, s in zip(found.tolist(), scores.tolist(), strict=True)
    ]


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _active(rows: Iterable[EmployeeRow]) -> list[EmployeeRow]:
    """People still provisioned: a deactivated person is neither matched nor a candidate."""
    return [row for row in rows if row.active is not False]
