"""The matcher the service holds: in-memory retrieval kept current with the database and
saved to a snapshot file between runs.

Each part lives in its own module; this class only puts them together under the name the
service and the use cases know:
  matching/retrieval.py       pools, FAISS indexes and the two queries (no database)
  matching/workflow_state.py  the applications, dismissals, acceptances and assignments the
                              eligibility masks read (held by the retriever)
  matching/read_model.py      each held row's feature inputs, for the ranker
  matching/history_log.py     the logged events the history features read
  matching/sync.py            loading, reconciling and refreshing both from storage
  matching/snapshot.py        the snapshot file
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from data.storage.snapshots import StoredEmployee, StoredOpportunity
from data.storage.tables import EmployeeRow, OpportunityRow
from matching.course_catalog import CourseCatalog
from matching.encoder import EMBEDDING_DIM
from matching.history_log import HistoryLog
from matching.pool import EmployeePool, LocationCodes, OpportunityPool
from matching.read_model import ReadModel
from matching.records import EmployeeRecord, OpportunityRecord
from matching.retrieval import Assignments, Hit, Retrieval, Retriever
from matching.skill_vectors import SkillVectorCache
from matching.snapshot import open_snapshot, save_snapshot
from matching.sync import CATCH_UP_LOOKBACK, DatabaseSync
from matching.workflow_state import EXCLUDING_EVENTS

__all__ = ["CATCH_UP_LOOKBACK", "EXCLUDING_EVENTS", "Hit", "MatchEngine", "Retrieval"]


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
        self.retriever = Retriever(cache.vectors, dim=dim, today=today, exact_below=exact_below)
        # Each held row's feature inputs: a page reads its features from here, not the database.
        self.read_model = ReadModel()
        # The events a page's history features read: from here, not the database.
        self.history = HistoryLog()
        self.courses = CourseCatalog()  # for the learning suggestions
        self.sync = DatabaseSync(self.retriever, self.read_model, self.history)

    # -- the retriever's parts, as callers knew them ---------------------------------------
    @property
    def dim(self) -> int:
        return self.retriever.dim

    @property
    def today(self) -> Callable[[], dt.date]:
        return self.retriever.today

    @property
    def locations(self) -> LocationCodes:
        return self.retriever.locations

    @property
    def employees(self) -> EmployeePool:
        return self.retriever.employees

    @property
    def opportunities(self) -> dict[str, OpportunityPool]:
        return self.retriever.opportunities

    @property
    def _kind_of(self) -> dict[int, str]:
        # Read under this name by tests/matching/test_engine.py and bench/retrieval.py.
        return self.retriever.kind_of

    @property
    def sizes(self) -> dict[str, int]:
        return self.retriever.sizes

    # -- building and snapshots ------------------------------------------------------------
    def load(self, session: Session, *, snapshot: Path | None = None, batch: int = 5000) -> bool:
        """Fill the pools from the database, starting from a saved snapshot when one fits (the
        same encoder and the same database); True if it started from the snapshot."""
        restored_at = self._restore(snapshot) if snapshot is not None else None
        self.sync.load(session, restored_at=restored_at, batch=batch)
        self.cache.save()
        return restored_at is not None

    def save(self, path: Path) -> None:
        arrays, state = self.retriever.snapshot_state()
        arrays.update(self.read_model.to_arrays())
        arrays.update(self.sync.stamps_to_arrays())
        meta = {
            "model_id": self.cache.encoder.model_id,
            "database": self.database_key,
            "saved_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
            **state,
        }
        save_snapshot(path, arrays, meta)

    def _restore(self, path: Path) -> dt.datetime | None:
        """Fill the pools and the read model from a snapshot; returns when it was taken, or
        None if unusable. Each array is read from the file when its part is restored and let go
        after (matching/snapshot.py `SnapshotReader`): at 100k people, reading the whole file
        first and copying it into the pools held ~2.5x the pools' memory at once."""
        with open_snapshot(path, model_id=self.cache.encoder.model_id) as stored:
            if stored is None:
                return None
            if stored.meta.get("database") != self.database_key:
                # Another database's rows: reconciling by time would keep its rows that this
                # one never had, or had changed before the snapshot was taken.
                return None
            self.retriever.restore_state(stored, stored.meta)
            self.read_model.restore(stored)
            self.sync.restore_stamps(stored)
            return dt.datetime.fromisoformat(stored.meta["saved_at"])

    def rebuild_indexes(self) -> None:
        self.retriever.rebuild_indexes()

    # -- freshness (matching/sync.py) ------------------------------------------------------
    def catch_up(self, session: Session, *, lookback: dt.timedelta = CATCH_UP_LOOKBACK) -> int:
        return self.sync.catch_up(session, lookback=lookback)

    def refresh_employee_rows(self, rows: Iterable[StoredEmployee]) -> None:
        self.sync.refresh_employee_rows(rows)

    def refresh_opportunity_rows(self, rows: Iterable[StoredOpportunity]) -> None:
        self.sync.refresh_opportunity_rows(rows)

    def ensure_employee(self, row: EmployeeRow) -> None:
        self.sync.ensure_employee(row)

    def ensure_opportunity(self, row: OpportunityRow) -> None:
        self.sync.ensure_opportunity(row)

    def remove_employees(self, row_ids: list[int]) -> None:
        self.sync.remove_employees(row_ids)

    def remove_opportunities(self, row_ids: list[int]) -> None:
        self.sync.remove_opportunities(row_ids)

    def person_moved(self, row: StoredEmployee) -> bool:
        """Whether this person's row as read is not the one held (written since, elsewhere)."""
        return self.sync.moved(EmployeeRow.__tablename__, row)

    def posting_moved(self, row: StoredOpportunity) -> bool:
        return self.sync.moved(OpportunityRow.__tablename__, row)

    def forget_employees(self, row_ids: list[int]) -> None:
        """Deleted people (an erasure): removed as `remove_employees` does, and forgotten."""
        self.sync.forget_employees(row_ids)

    def forget_opportunities(self, row_ids: list[int]) -> None:
        self.sync.forget_opportunities(row_ids)

    def refresh_employees(self, records: Iterable[EmployeeRecord], *, index: bool = True) -> None:
        """Index records built without storage (the benchmark's); the read model is not fed."""
        self.retriever.refresh_employees(records, index=index)

    def refresh_opportunities(
        self, records: Iterable[OpportunityRecord], *, index: bool = True
    ) -> None:
        self.retriever.refresh_opportunities(records, index=index)

    # -- workflow state (matching/workflow_state.py) ---------------------------------------
    def record_interaction(self, employee_row: int, opportunity_row: int, event: str) -> None:
        self.retriever.record_interaction(employee_row, opportunity_row, event)

    def set_commitments(self, employee_row: int, assignments: Assignments) -> None:
        self.retriever.set_commitments(employee_row, assignments)

    def committed_hours(self, employee_row: int) -> float:
        return self.retriever.committed_hours(employee_row)

    def history_acceptances(self, opportunity_row: int) -> int:
        return self.retriever.history_acceptances(opportunity_row)

    # -- queries (matching/retrieval.py) ---------------------------------------------------
    def matches_for_employee(self, employee_row: int, *, kind: str, limit: int) -> Retrieval:
        return self.retriever.matches_for_employee(employee_row, kind=kind, limit=limit)

    def candidates_for_opportunity(self, opportunity_row: int, *, limit: int) -> Retrieval:
        return self.retriever.candidates_for_opportunity(opportunity_row, limit=limit)

    def employee_vectors(self, row_ids: list[int]) -> np.ndarray | None:
        return self.retriever.employee_vectors(row_ids)

    def opportunity_vectors(self, row_ids: list[int]) -> np.ndarray | None:
        return self.retriever.opportunity_vectors(row_ids)

    def held_vectors(
        self, *, employees: list[int], opportunities: list[int]
    ) -> tuple[list[int], np.ndarray, list[int], np.ndarray]:
        return self.retriever.held_vectors(employees=employees, opportunities=opportunities)
