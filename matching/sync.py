"""Keeping the in-memory retriever and read model current with the database.

Three ways in: a full load at start (or a reconciliation against a restored snapshot), a
refresh of the rows a request just wrote, and `catch_up`, the freshness poll that takes in what
other processes wrote (rows whose `updated_at` moved, events after the newest one applied).
This is the only part of the engine that reads storage; `matching.retrieval` never does.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TypeVar

import numpy as np
from sqlalchemy.orm import Session

from data.storage.matchable import COMMITMENT_EVENTS, mask_events, row_counts, row_ids, stamps
from data.storage.pipeline import commitments
from data.storage.queries import batches, rows_of
from data.storage.snapshots import StoredEmployee, StoredOpportunity
from data.storage.tables import EmployeeRow, OpportunityRow
from matching.history_log import HistoryLog
from matching.read_model import ReadModel
from matching.records import employee_record, opportunity_record
from matching.retrieval import Assignments, Retriever

# How far back `catch_up` compares rows' updated_at with what is indexed.
CATCH_UP_LOOKBACK = dt.timedelta(minutes=10)
# How often `catch_up` counts the rows (a scan at 100k people, ~15-25 ms on PostgreSQL) when no
# erasure, purge or reset was logged since it last did: deletions nothing logs (a reset by
# `talent demo`, a database administrator's) are found within this.
ROW_COUNT_SECONDS = 60.0

Row = TypeVar("Row", EmployeeRow, OpportunityRow)


class DatabaseSync:
    """Feeds a `Retriever`, a `ReadModel` and a `HistoryLog` from storage, and remembers what it
    fed them."""

    def __init__(self, retriever: Retriever, read_model: ReadModel, history: HistoryLog) -> None:
        self.retriever = retriever
        self.read_model = read_model
        self.history = history
        # What other processes may have written since: the newest interaction id applied, and
        # each row's updated_at as indexed (see `catch_up`).
        self._last_interaction = 0
        self._stamps: dict[str, dict[int, dt.datetime]] = {table: {} for table in STAMPED}
        # The stamps a snapshot held, by table and row (microseconds), until `_reconcile`.
        self._restored_stamps: dict[str, dict[int, int]] = {}
        # What the history's marks said (erasures and purges logged, the oldest event) when the
        # rows were last counted, and when (`_drop_deleted`).
        self._counted_marks: tuple[int, int, int] | None = None
        self._counted_at = -float("inf")
        self._lock = threading.Lock()
        self._refreshing = threading.RLock()  # a row and its stamp, taken in together

    # -- snapshots ---------------------------------------------------------------------------
    def stamps_to_arrays(self) -> dict[str, np.ndarray]:
        """Each indexed row's `updated_at`, for the snapshot: a start from it then knows which
        rows it holds as they are stored (`_reconcile`)."""
        arrays: dict[str, np.ndarray] = {}
        for table in STAMPED:
            held = list(self._stamps[table].items())
            arrays[f"stamps.{table}.rows"] = np.array([r for r, _ in held], dtype=np.int64)
            arrays[f"stamps.{table}.micros"] = np.array(
                [_micros(at) for _, at in held], dtype=np.int64
            )
        return arrays

    def restore_stamps(self, arrays: Mapping[str, np.ndarray]) -> None:
        """What `stamps_to_arrays` gave; a snapshot without them restores none."""
        restored: dict[str, dict[int, int]] = {}
        for table in STAMPED:
            rows, micros = f"stamps.{table}.rows", f"stamps.{table}.micros"
            if rows in arrays and micros in arrays:
                found = zip(arrays[rows].tolist(), arrays[micros].tolist(), strict=True)
                restored[table] = dict(found)
        self._restored_stamps = restored

    # -- start -----------------------------------------------------------------------------
    def load(
        self, session: Session, *, restored_at: dt.datetime | None = None, batch: int = 5000
    ) -> None:
        """Fill everything from the database; after a snapshot taken at `restored_at` was
        restored, only what changed since."""
        self._load_interactions(session)
        self._load_commitments(session)
        self.history.load(session)
        if restored_at is None:
            self._load_all(session, batch)
        else:
            self._reconcile(session, restored_at, batch)
        self.retriever.sync_accepted()

    def _load_all(self, session: Session, batch: int) -> None:
        for people in batches(session, EmployeeRow, batch):
            self.retriever.refresh_employees(map(employee_record, _active(people)), index=False)
            self.read_model.put_people(_active(people))
            self._stamp(EmployeeRow.__tablename__, people)
        for postings in batches(session, OpportunityRow, batch):
            self.retriever.refresh_opportunities(map(opportunity_record, postings), index=False)
            self.read_model.put_postings(postings)
            self._stamp(OpportunityRow.__tablename__, postings)
        self.retriever.rebuild_indexes()

    def _reconcile(self, session: Session, saved_at: dt.datetime, batch: int) -> None:
        """Refresh rows changed since the snapshot and drop rows deleted since."""
        margin = saved_at - dt.timedelta(seconds=5)  # clocks and timestamp resolution
        self.remove_employees(
            self._refresh_since(
                session,
                EmployeeRow,
                self.retriever.employees.position_of,
                self.refresh_employee_rows,
                margin=margin,
                batch=batch,
            )
        )
        self.remove_opportunities(
            self._refresh_since(
                session,
                OpportunityRow,
                self.retriever.kind_of,
                self.refresh_opportunity_rows,
                margin=margin,
                batch=batch,
            )
        )

    def _refresh_since(
        self,
        session: Session,
        table: type[Row],
        held: Collection[int],
        refresh: Callable[[list[Row]], None],
        *,
        margin: dt.datetime,
        batch: int,
    ) -> list[int]:
        """Refresh the rows of `table` stamped since `margin` or not `held`; returns the held
        rows the table no longer has.

        A held row whose stamp the snapshot recorded is current when the stamp is still the
        same, and stale when it is not, whenever it was stamped: so it is stamped here, and the
        freshness polls of the next ten minutes do not read again every row of a bulk import
        the snapshot already holds (at 100k people they did, at each worker's first poll)."""
        stamped = stamps(session, table)
        recorded = self._restored_stamps.pop(table.__tablename__, None)
        stale: list[int] = []
        for row_id, at in stamped:
            naive = _naive_utc(at)
            if row_id not in held or naive >= margin:  # the margin: clocks and resolution
                stale.append(row_id)
            elif recorded is not None and row_id in recorded:
                if recorded[row_id] == _micros(naive):
                    self._stamps[table.__tablename__][row_id] = naive
                else:
                    stale.append(row_id)
        for start in range(0, len(stale), batch):
            refresh(rows_of(session, table, stale[start : start + batch]))
        return list(set(held) - {row_id for row_id, _ in stamped})

    # -- events and assignments ------------------------------------------------------------
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
        known = [
            (employee_rows[employee], opportunity_rows[opportunity], kind)
            for _, employee, opportunity, kind in events
            if employee in employee_rows and opportunity in opportunity_rows
        ]
        self.retriever.record_interactions(known)
        with self._lock:
            self._last_interaction = max(self._last_interaction, *(e[0] for e in events))
        return len(events)

    def _load_commitments(self, session: Session, *, employees: list[str] | None = None) -> None:
        """Read the current assignments (of these people, or everyone's)."""
        today = self.retriever.today()
        found: dict[str, Assignments] = defaultdict(list)
        for employee, hours, ends_on in commitments(
            session, today=today, employee_external_ids=employees
        ):
            found[employee].append((hours, ends_on))
        rows = row_ids(session, EmployeeRow, list(found) + list(employees or ()))
        self.retriever.replace_commitments(
            {
                rows[external_id]: found.get(external_id, [])
                for external_id in set(found) | set(employees or ())
                if external_id in rows
            },
            everyone=employees is None,
        )

    # -- freshness -------------------------------------------------------------------------
    def catch_up(self, session: Session, *, lookback: dt.timedelta = CATCH_UP_LOOKBACK) -> int:
        """Index what other processes wrote (an import on the command line, another server
        worker): rows whose `updated_at` differs from what this process indexed, within the
        lookback, and new interactions. Returns how many rows and events it applied.

        The lookback covers transactions that commit well after they stamped their rows
        (PostgreSQL's now() is the transaction's start); a row stamped earlier than that and
        committed later still is caught by the next restart's reconciliation."""
        applied = self._load_interactions(session, after_id=self._last_interaction)
        self.history.refresh(session)
        since = dt.datetime.now(dt.UTC) - lookback
        applied += self._refresh_restamped(session, EmployeeRow, self.refresh_employee_rows, since)
        applied += self._refresh_restamped(
            session, OpportunityRow, self.refresh_opportunity_rows, since
        )
        return applied + self._drop_deleted_if_due(session)

    def _drop_deleted_if_due(self, session: Session) -> int:
        """`_drop_deleted` when an erasure, a purge or a reset was logged since the rows were
        last counted (an erasure logs its oversight event in the transaction that deletes the
        profile), or ROW_COUNT_SECONDS after that count."""
        marks = self.history.marks
        seen = (marks.rewrites, marks.newest_rewrite, marks.oldest) if marks else None
        now = time.monotonic()
        if seen == self._counted_marks and now - self._counted_at < ROW_COUNT_SECONDS:
            return 0
        dropped = self._drop_deleted(session)
        self._counted_marks, self._counted_at = seen, now
        return dropped

    def _drop_deleted(self, session: Session) -> int:
        """Drop the rows another process deleted (an erasure, a reset by `talent demo`), which
        no stamp tells: when a table's row count is not the number of its rows stamped here, its
        ids are read whole; rows held but no longer stored leave, rows stored but not held as
        stored (committed after the lookback) are read. Returns how many rows it dropped or read.

        A deletion offset by an insert not yet stamped keeps the counts equal until that row
        is stamped (the next poll, or a restart's reconciliation past the lookback)."""
        counts = row_counts(session, STAMPED)
        return self._reconcile_ids(
            session,
            EmployeeRow,
            counts[EmployeeRow.__tablename__],
            self.retriever.employees.position_of,
            self.forget_employees,
            self.refresh_employee_rows,
        ) + self._reconcile_ids(
            session,
            OpportunityRow,
            counts[OpportunityRow.__tablename__],
            self.retriever.kind_of,
            self.forget_opportunities,
            self.refresh_opportunity_rows,
        )

    def _reconcile_ids(
        self,
        session: Session,
        table: type[Row],
        count: int,
        held: Collection[int],
        forget: Callable[[list[int]], None],
        refresh: Callable[[list[Row]], None],
    ) -> int:
        stamped = self._stamps[table.__tablename__]
        if count == len(stamped):
            return 0
        # Only rows held before the read can be gone: one a request stamps meanwhile was
        # committed before it was stamped, but perhaps after this read began.
        known = set(stamped) | set(held)
        stored = {row_id: _naive_utc(at) for row_id, at in stamps(session, table)}
        gone = sorted(known - stored.keys())
        forget(gone)
        unread = [row_id for row_id, at in stored.items() if stamped.get(row_id) != at]
        refresh(rows_of(session, table, unread))
        return len(gone) + len(unread)

    def _refresh_restamped(
        self,
        session: Session,
        table: type[Row],
        refresh: Callable[[list[Row]], None],
        since: dt.datetime,
    ) -> int:
        """Refresh the rows of `table` whose `updated_at` since `since` is not the one
        indexed; returns how many."""
        stale = [
            row_id
            for row_id, at in stamps(session, table, since=since)
            if self._stamps[table.__tablename__].get(row_id) != _naive_utc(at)
        ]
        refresh(rows_of(session, table, stale))
        return len(stale)

    def _stamp(self, table: str, rows: Iterable[StoredEmployee | StoredOpportunity]) -> None:
        for row in rows:
            if isinstance(row.updated_at, dt.datetime):  # not a pending SQL expression
                self._stamps[table][row.id] = _naive_utc(row.updated_at)

    def refresh_employee_rows(self, rows: Iterable[StoredEmployee]) -> None:
        """Index these people as stored; those deactivated (SCIM) leave the pool instead.
        Each row and its stamp are taken in together (the poll and a page may refresh one row
        at once: interleaved, an older row could stay held under the newer stamp, which no
        later comparison would catch)."""
        rows = list(rows)
        with self._refreshing:
            self.remove_employees([row.id for row in rows if not row.active])
            self.retriever.refresh_employees(map(employee_record, _active(rows)))
            self.read_model.put_people(_active(rows))
            self._stamp(EmployeeRow.__tablename__, rows)

    def refresh_opportunity_rows(self, rows: Iterable[StoredOpportunity]) -> None:
        rows = list(rows)
        with self._refreshing:
            self.retriever.refresh_opportunities(map(opportunity_record, rows))
            self.read_model.put_postings(rows)
            self._stamp(OpportunityRow.__tablename__, rows)

    def ensure_employee(self, row: EmployeeRow) -> None:
        """Hold a page's person as `row` says: one this process has not seen yet, or whose
        stamp moved since (another worker wrote it, before this one's freshness poll)."""
        if row.active and self.moved(EmployeeRow.__tablename__, row):
            self.refresh_employee_rows([row])

    def ensure_opportunity(self, row: OpportunityRow) -> None:
        """The same for a lead's page's posting."""
        if self.moved(OpportunityRow.__tablename__, row):
            self.refresh_opportunity_rows([row])

    def moved(self, table: str, row: StoredEmployee | StoredOpportunity) -> bool:
        """Whether `row`, as read, is not held as stored (none held, or another stamp)."""
        at = row.updated_at
        held = self._stamps[table].get(row.id)
        return held is None or not isinstance(at, dt.datetime) or held != _naive_utc(at)

    def remove_employees(self, row_ids: list[int]) -> None:
        self.retriever.remove_employees(row_ids)
        self.read_model.drop_people(row_ids)

    def remove_opportunities(self, row_ids: list[int]) -> None:
        self.read_model.drop_postings(row_ids)
        self.retriever.remove_opportunities(row_ids)

    def forget_employees(self, row_ids: list[int]) -> None:
        """People whose rows were deleted (not deactivated): removed, and their stamps with
        them, so the next row count finds nothing to read whole."""
        self.remove_employees(row_ids)
        self._forget_stamps(EmployeeRow.__tablename__, row_ids)

    def forget_opportunities(self, row_ids: list[int]) -> None:
        self.remove_opportunities(row_ids)
        self._forget_stamps(OpportunityRow.__tablename__, row_ids)

    def _forget_stamps(self, table: str, row_ids: list[int]) -> None:
        stamped = self._stamps[table]
        for row_id in row_ids:
            stamped.pop(row_id, None)


def _micros(naive_utc: dt.datetime) -> int:
    return (naive_utc - _EPOCH) // dt.timedelta(microseconds=1)


_EPOCH = dt.datetime(1970, 1, 1)
STAMPED = (EmployeeRow.__tablename__, OpportunityRow.__tablename__)


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _active(rows: Iterable[StoredEmployee]) -> list[StoredEmployee]:
    """People still provisioned: a deactivated person is neither matched nor a candidate."""
    return [row for row in rows if row.active is not False]
