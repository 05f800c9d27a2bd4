"""Each person's and posting's feature inputs, in memory beside the engine's vectors.

A page scores the ~200 items retrieval found. Reading their rows and ~3,000 skills from the
database and copying them was most of a page's time at 100k people (bench/REPORT.md), for
inputs that change only when a profile or a posting does. The engine keeps these inputs where
it keeps its vectors, current the same way (a refresh after a write, the freshness poll, a
restart's reconciliation), and saves them in its snapshot; a page then reads from the database
only the rows it shows.

A person is held without the skills their occupation implies (features/inputs.py `implied`):
those are the occupation's profile less what they declared, derived on the way out instead
of kept once per person (~40 ids each at 100k people).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import numpy as np

from data.schemas import OpportunityStatus
from features.inputs import (
    OpportunityInputs,
    PersonInputs,
    implied_skills,
    opportunity_inputs_from_row,
    person_inputs_from_row,
)

OPEN = OpportunityStatus.OPEN.value
_intern = sys.intern  # the same department, place or skill id held once, not once per person


class ReadModel:
    """Feature inputs by row id, the external ids they answer to, and the skills' labels."""

    def __init__(self) -> None:
        self._people: dict[int, PersonInputs] = {}
        self._postings: dict[int, OpportunityInputs] = {}
        self._person_row: dict[str, int] = {}
        self._posting_row: dict[str, int] = {}
        self._labels: dict[str, str] = {}
        # The open postings by the skills they ask (learning suggestions: where to build a
        # skill on the job): skill id -> {posting row: level asked}.
        self._open: set[int] = set()
        self._asking: dict[str, dict[int, int]] = defaultdict(dict)
        self._lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------------
    def put_people(self, rows: Iterable[Any]) -> None:
        """Hold these employees as stored (ORM rows or snapshots with their skills)."""
        held = [(row.id, _compact_person(person_inputs_from_row(row)), row) for row in rows]
        with self._lock:
            for row_id, inputs, row in held:
                self._people[row_id] = inputs
                self._person_row[inputs.external_id] = row_id
                self._learn_labels(row)

    def put_postings(self, rows: Iterable[Any]) -> None:
        held = [(row.id, _compact_posting(opportunity_inputs_from_row(row)), row) for row in rows]
        with self._lock:
            for row_id, inputs, row in held:
                self._forget_asks(row_id)
                self._postings[row_id] = inputs
                self._posting_row[inputs.external_id] = row_id
                self._learn_labels(row)
                self._note_asks(row_id, inputs, open_now=row.status == OPEN)

    def drop_people(self, row_ids: Iterable[int]) -> None:
        with self._lock:
            for row_id in row_ids:
                gone = self._people.pop(row_id, None)
                if gone is not None and self._person_row.get(gone.external_id) == row_id:
                    del self._person_row[gone.external_id]

    def drop_postings(self, row_ids: Iterable[int]) -> None:
        with self._lock:
            for row_id in row_ids:
                self._forget_asks(row_id)
                gone = self._postings.pop(row_id, None)
                if gone is not None and self._posting_row.get(gone.external_id) == row_id:
                    del self._posting_row[gone.external_id]

    def _note_asks(self, row_id: int, inputs: OpportunityInputs, *, open_now: bool) -> None:
        if open_now:
            self._open.add(row_id)
            for skill_id, level in (*inputs.required.items(), *inputs.preferred.items()):
                self._asking[skill_id][row_id] = level

    def _forget_asks(self, row_id: int) -> None:
        previous = self._postings.get(row_id)
        if previous is not None and row_id in self._open:
            for skill_id in (*previous.required, *previous.preferred):
                self._asking[skill_id].pop(row_id, None)
        self._open.discard(row_id)

    def _learn_labels(self, row: Any) -> None:
        for skill in row.skills:
            self._labels[_intern(skill.skill_id)] = skill.skill.label

    # -- reading ---------------------------------------------------------------------------
    def people(self, row_ids: Sequence[int]) -> dict[int, PersonInputs]:
        """The inputs held for whichever of these rows are held, implied skills derived."""
        with self._lock:
            found = {r: self._people[r] for r in row_ids if r in self._people}
        return {
            r: dataclasses.replace(p, implied=implied_skills(p.occupation_id, p.skills))
            for r, p in found.items()
        }

    def postings(self, row_ids: Sequence[int]) -> dict[int, OpportunityInputs]:
        with self._lock:
            return {r: self._postings[r] for r in row_ids if r in self._postings}

    def person_rows(self, external_ids: Iterable[str]) -> dict[str, int]:
        with self._lock:
            return {e: self._person_row[e] for e in external_ids if e in self._person_row}

    def posting_rows(self, external_ids: Iterable[str]) -> dict[str, int]:
        with self._lock:
            return {e: self._posting_row[e] for e in external_ids if e in self._posting_row}

    def openings(
        self,
        skill_ids: Sequence[str],
        *,
        kinds: Sequence[str],
        not_owned_by: str,
        excluding: Collection[str] = (),
        per_level: int | None = None,
    ) -> list[tuple[str, int, str, str, str, float]]:
        """(skill id, level, kind, external id, title, hours) of the open postings of these
        kinds that ask one of the skills, but for those `not_owned_by` owns and those
        `excluding` names; `per_level`: the first that many (by external id) for each skill and
        level asked (data/storage/opportunities.py `openings_on_skills` asks the database)."""
        found = []
        with self._lock:
            for skill_id in dict.fromkeys(skill_ids):
                by_level: dict[int, list[OpportunityInputs]] = defaultdict(list)
                for row_id, level in self._asking.get(skill_id, {}).items():
                    posting = self._postings[row_id]
                    if (
                        posting.kind in kinds
                        and posting.owner_external_id != not_owned_by
                        and posting.external_id not in excluding
                    ):
                        by_level[level].append(posting)
                for level, postings in by_level.items():
                    postings.sort(key=lambda p: p.external_id)
                    found += [
                        (skill_id, level, p.kind, p.external_id, p.title, p.hours)
                        for p in postings[:per_level]
                    ]
        return found

    def label(self, skill_id: str) -> str:
        return self._labels[skill_id]

    def has_labels(self, skill_ids: Iterable[str]) -> bool:
        return all(s in self._labels for s in skill_ids)

    @property
    def sizes(self) -> dict[str, int]:
        return {"people": len(self._people), "postings": len(self._postings)}

    # -- the engine's snapshot -------------------------------------------------------------
    def to_array(self) -> np.ndarray:
        """Everything held, as UTF-8 JSON bytes (the snapshot file takes plain arrays only)."""
        with self._lock:
            state = {
                "people": [[r, *_person_fields(p)] for r, p in self._people.items()],
                "postings": [[r, *_posting_fields(o)] for r, o in self._postings.items()],
                "open": sorted(self._open),
                "labels": self._labels,
            }
        return np.frombuffer(json.dumps(state, separators=(",", ":")).encode(), dtype=np.uint8)

    def restore(self, array: np.ndarray) -> None:
        state = json.loads(array.tobytes().decode())
        with self._lock:
            self._people = {int(f[0]): _person_from(f[1:]) for f in state["people"]}
            self._postings = {int(f[0]): _posting_from(f[1:]) for f in state["postings"]}
            self._person_row = {p.external_id: r for r, p in self._people.items()}
            self._posting_row = {o.external_id: r for r, o in self._postings.items()}
            self._open, self._asking = set(), defaultdict(dict)
            for row_id in state["open"]:
                self._note_asks(row_id, self._postings[row_id], open_now=True)
            self._labels = {_intern(k): v for k, v in state["labels"].items()}


def _compact_person(inputs: PersonInputs) -> PersonInputs:
    return dataclasses.replace(
        inputs,
        location=_intern(inputs.location),
        timezone=_intern(inputs.timezone),
        department=_intern(inputs.department),
        skills={_intern(k): v for k, v in inputs.skills.items()},
        implied=frozenset(),
    )


def _compact_posting(inputs: OpportunityInputs) -> OpportunityInputs:
    return dataclasses.replace(
        inputs,
        department=_intern(inputs.department),
        location=_intern(inputs.location),
        required={_intern(k): v for k, v in inputs.required.items()},
        preferred={_intern(k): v for k, v in inputs.preferred.items()},
    )


# The snapshot's field order; a snapshot of another order is refused by its format version.
def _person_fields(p: PersonInputs) -> list[Any]:
    return [
        p.external_id,
        p.level,
        p.availability,
        p.location,
        p.timezone,
        p.department,
        p.hire_date.isoformat() if p.hire_date else None,
        p.skills,
        list(p.interests),
        p.aspirations,
        p.occupation_id,
    ]


def _person_from(f: list[Any]) -> PersonInputs:
    return _compact_person(
        PersonInputs(
            external_id=f[0],
            level=f[1],
            availability=f[2],
            location=f[3],
            timezone=f[4],
            department=f[5],
            hire_date=dt.date.fromisoformat(f[6]) if f[6] else None,
            skills=f[7],
            interests=tuple(f[8]),
            aspirations=f[9],
            occupation_id=f[10],
        )
    )


def _posting_fields(o: OpportunityInputs) -> list[Any]:
    return [
        o.external_id,
        o.title,
        o.kind,
        o.owner_external_id,
        o.department,
        o.location,
        o.hours,
        o.level_min,
        o.level_max,
        o.required,
        o.preferred,
        o.occupation_id,
    ]


def _posting_from(f: list[Any]) -> OpportunityInputs:
    return _compact_posting(OpportunityInputs(*f))
