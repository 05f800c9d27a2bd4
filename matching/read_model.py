"""Each person's and posting's feature inputs, in memory beside the engine's vectors.

A page scores the ~200 items retrieval found. Reading their rows and ~3,000 skills from the
database and copying them was most of a page's time at 100k people (bench/REPORT.md), for
inputs that change only when a profile or a posting does. The engine keeps these inputs where
it keeps its vectors, current the same way (a refresh after a write, the freshness poll, a
restart's reconciliation), and saves them in its snapshot; a page then reads from the database
only the rows it shows.

A person is held as one compact tuple (~0.9 KB at 100k people, against ~1.7 KB as a
`PersonInputs` with its dict of skills) and made into `PersonInputs` on the way out, for the
~200 people a page reads; so are the skills their occupation implies (features/inputs.py
`implied`: the occupation's profile less what they declared, ~40 ids each).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import json
import sys
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from data.schemas import OpportunityStatus
from data.storage.snapshots import StoredEmployee, StoredOpportunity
from features.inputs import (
    OpportunityInputs,
    PersonInputs,
    implied_skills,
    opportunity_inputs_from_row,
    person_inputs_from_row,
)
from features.item_facts import FactsContext, PersonFacts, PostingFacts, person_facts, posting_facts

OPEN = OpportunityStatus.OPEN.value
# The same department, place, skill id or aspiration held once, not once per person.
_intern = sys.intern


class ReadModel:
    """Feature inputs by row id, the external ids they answer to, and the skills' labels."""

    def __init__(self) -> None:
        self._people: dict[int, _Person] = {}
        self._postings: dict[int, OpportunityInputs] = {}
        self._person_row: dict[str, int] = {}
        self._posting_row: dict[str, int] = {}
        self._labels: dict[str, str] = {}
        # The open postings by the skills they ask (learning suggestions: where to build a
        # skill on the job): skill id -> level asked -> [(external id, row)], sorted.
        self._open: set[int] = set()
        self._asking: dict[str, dict[int, list[tuple[str, int]]]] = _asks()
        # What the skill features read of each item (features/item_facts.py), made the first
        # time a page scores it, with the held value it was made from: a put replaces that
        # value, and facts of a replaced value are never used again.
        self._person_facts: dict[int, tuple[_Person, PersonFacts]] = {}
        self._posting_facts: dict[int, tuple[OpportunityInputs, PostingFacts]] = {}
        self._lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------------
    def put_people(self, rows: Iterable[StoredEmployee]) -> None:
        """Hold these employees as stored (ORM rows or snapshots with their skills)."""
        held = [(row.id, _compact_person(person_inputs_from_row(row)), row) for row in rows]
        with self._lock:
            for row_id, person, row in held:
                self._people[row_id] = person
                self._person_facts.pop(row_id, None)
                self._person_row[person[0]] = row_id
                self._learn_labels(row)

    def put_postings(self, rows: Iterable[StoredOpportunity]) -> None:
        held = [(row.id, _compact_posting(opportunity_inputs_from_row(row)), row) for row in rows]
        with self._lock:
            for row_id, inputs, row in held:
                self._forget_asks(row_id)
                self._postings[row_id] = inputs
                self._posting_facts.pop(row_id, None)
                self._posting_row[inputs.external_id] = row_id
                self._learn_labels(row)
                self._note_asks(row_id, inputs, open_now=row.status == OPEN)

    def drop_people(self, row_ids: Iterable[int]) -> None:
        with self._lock:
            for row_id in row_ids:
                self._person_facts.pop(row_id, None)
                gone = self._people.pop(row_id, None)
                if gone is not None and self._person_row.get(gone[0]) == row_id:
                    del self._person_row[gone[0]]

    def drop_postings(self, row_ids: Iterable[int]) -> None:
        with self._lock:
            for row_id in row_ids:
                self._forget_asks(row_id)
                self._posting_facts.pop(row_id, None)
                gone = self._postings.pop(row_id, None)
                if gone is not None and self._posting_row.get(gone.external_id) == row_id:
                    del self._posting_row[gone.external_id]

    def _note_asks(self, row_id: int, inputs: OpportunityInputs, *, open_now: bool) -> None:
        if open_now:
            self._open.add(row_id)
            for skill_id, level in (*inputs.required.items(), *inputs.preferred.items()):
                bisect.insort(self._asking[skill_id][level], (inputs.external_id, row_id))

    def _forget_asks(self, row_id: int) -> None:
        previous = self._postings.get(row_id)
        if previous is not None and row_id in self._open:
            for skill_id, level in (*previous.required.items(), *previous.preferred.items()):
                asking = self._asking[skill_id][level]
                at = bisect.bisect_left(asking, (previous.external_id, row_id))
                if at < len(asking) and asking[at] == (previous.external_id, row_id):
                    del asking[at]
        self._open.discard(row_id)

    def _learn_labels(self, row: StoredEmployee | StoredOpportunity) -> None:
        for skill in row.skills:
            self._labels[_intern(skill.skill_id)] = skill.skill.label

    # -- reading ---------------------------------------------------------------------------
    def people(self, row_ids: Sequence[int], *, skills: bool = True) -> dict[int, PersonInputs]:
        """The inputs held for whichever of these rows are held, implied skills derived; with
        `skills=False` none of either (a page that reads only leads' other inputs need not
        derive ~200 leads' implied skills it would drop)."""
        with self._lock:
            found = {r: self._people[r] for r in row_ids if r in self._people}
        return {r: _person_inputs(p, skills=skills) for r, p in found.items()}

    def postings(self, row_ids: Sequence[int]) -> dict[int, OpportunityInputs]:
        with self._lock:
            return {r: self._postings[r] for r in row_ids if r in self._postings}

    def people_with_facts(
        self, row_ids: Sequence[int], context: FactsContext
    ) -> dict[int, tuple[PersonInputs, PersonFacts]]:
        """`people`, each with its facts, both from the same held value."""
        with self._lock:
            found = {r: self._people[r] for r in row_ids if r in self._people}
            kept = {r: self._person_facts.get(r) for r in found}
        out, made = {}, {}
        for row_id, held in found.items():
            inputs = _person_inputs(held)
            facts = _kept(kept[row_id], held, context)
            if facts is None:
                facts = person_facts([inputs], context)
                made[row_id] = (held, facts)
            out[row_id] = (inputs, facts)
        if made:
            with self._lock:
                for row_id, entry in made.items():
                    if self._people.get(row_id) is entry[0]:  # not replaced meanwhile
                        self._person_facts[row_id] = entry
        return out

    def postings_with_facts(
        self, row_ids: Sequence[int], context: FactsContext
    ) -> dict[int, tuple[OpportunityInputs, PostingFacts]]:
        with self._lock:
            found = {r: self._postings[r] for r in row_ids if r in self._postings}
            kept = {r: self._posting_facts.get(r) for r in found}
        out, made = {}, {}
        for row_id, held in found.items():
            facts = _kept(kept[row_id], held, context)
            if facts is None:
                facts = posting_facts([held], context)
                made[row_id] = (held, facts)
            out[row_id] = (held, facts)
        if made:
            with self._lock:
                for row_id, entry in made.items():
                    if self._postings.get(row_id) is entry[0]:
                        self._posting_facts[row_id] = entry
        return out

    def make_facts(self, context: FactsContext, *, chunk: int = 2000) -> None:
        """Make the facts of every held person and posting that has none in `context` yet: at
        start, so that a page does not make them for the ~200 items it first sees (at 100k
        people ~0.025 ms a person and ~0.06 ms a posting, ~5 ms of a lead's page)."""
        with self._lock:
            people, postings = list(self._people), list(self._postings)
        for start in range(0, len(people), chunk):
            self.people_with_facts(people[start : start + chunk], context)
        for start in range(0, len(postings), chunk):
            self.postings_with_facts(postings[start : start + chunk], context)

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
                # Each level's askers are kept in external id order: the first that pass the
                # filters are the ones wanted, however many postings ask (hundreds at 10k).
                for level, asking in self._asking.get(skill_id, {}).items():
                    taken = 0
                    for _, row_id in asking:
                        if per_level is not None and taken >= per_level:
                            break
                        p = self._postings[row_id]
                        if (
                            p.kind in kinds
                            and p.owner_external_id != not_owned_by
                            and p.external_id not in excluding
                        ):
                            found.append((skill_id, level, p.kind, p.external_id, p.title, p.hours))
                            taken += 1
        return found

    def label(self, skill_id: str) -> str:
        return self._labels[skill_id]

    @property
    def sizes(self) -> dict[str, int]:
        return {"people": len(self._people), "postings": len(self._postings)}

    # -- the engine's snapshot -------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Everything held, as UTF-8 JSON bytes (the snapshot file takes plain arrays only),
        people in chunks so that a restore never holds all of them twice."""
        with self._lock:
            people = [[r, *_person_fields(p)] for r, p in self._people.items()]
            rest = {
                "postings": [[r, *_posting_fields(o)] for r, o in self._postings.items()],
                "open": sorted(self._open),
                "labels": self._labels,
                "people_chunks": -(-len(people) // SNAPSHOT_CHUNK),
            }
        arrays = {"read_model.rest": _json_bytes(rest)}
        for n, start in enumerate(range(0, len(people), SNAPSHOT_CHUNK)):
            arrays[f"read_model.people.{n}"] = _json_bytes(people[start : start + SNAPSHOT_CHUNK])
        return arrays

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        """What `to_arrays` gave (or a snapshot open for reading: each chunk of people is read
        from the file, parsed and let go before the next)."""
        rest = json.loads(arrays["read_model.rest"].tobytes())
        people: dict[int, _Person] = {}
        seen: dict[tuple[type, object], Any] = {}  # equal values held once (`_shared`)
        for n in range(rest["people_chunks"]):
            for fields in json.loads(arrays[f"read_model.people.{n}"].tobytes()):
                people[int(fields[0])] = _person_from(fields[1:], seen)
        with self._lock:
            self._people = people
            self._postings = {int(f[0]): _posting_from(f[1:]) for f in rest["postings"]}
            self._person_facts, self._posting_facts = {}, {}
            self._person_row = {p[0]: r for r, p in self._people.items()}
            self._posting_row = {o.external_id: r for r, o in self._postings.items()}
            self._open, self._asking = set(), _asks()
            for row_id in rest["open"]:
                self._note_asks(row_id, self._postings[row_id], open_now=True)
            self._labels = {_intern(k): v for k, v in rest["labels"].items()}


SNAPSHOT_CHUNK = 20_000
FactsT = TypeVar("FactsT", PersonFacts, PostingFacts)


def _kept(
    entry: tuple[object, FactsT] | None, held: object, context: FactsContext
) -> FactsT | None:
    """The kept facts if made from this very held value in this context, else None."""
    if entry is None or entry[0] is not held or entry[1].context is not context:
        return None
    return entry[1]


def _asks() -> dict[str, dict[int, list[tuple[str, int]]]]:
    return defaultdict(lambda: defaultdict(list))


# One held person: (external_id, level, availability, location, timezone, department,
# hire_date, skill ids, their levels as bytes, interests, aspirations, occupation_id).
_Person = tuple[
    str,
    int,
    float,
    str,
    str,
    str,
    dt.date | None,
    tuple[str, ...],
    bytes,
    tuple[str, ...],
    str,
    str | None,
]


def _compact_person(p: PersonInputs) -> _Person:
    return (
        p.external_id,
        p.level,
        p.availability,
        _intern(p.location),
        _intern(p.timezone),
        _intern(p.department),
        _one_date(p.hire_date),
        tuple(_intern(k) for k in p.skills),
        bytes(p.skills.values()),
        tuple(_intern(i) for i in p.interests),
        _intern(p.aspirations),
        _intern_or_none(p.occupation_id),
    )


def _intern_or_none(value: str | None) -> str | None:
    return None if value is None else _intern(value)


# Hire dates held once each (~5,000 distinct days among 100k people), like the strings above.
_DATES: dict[dt.date, dt.date] = {}


def _one_date(value: dt.date | None) -> dt.date | None:
    return None if value is None else _DATES.setdefault(value, value)


def _person_inputs(p: _Person, *, skills: bool = True) -> PersonInputs:
    levels = dict(zip(p[7], p[8], strict=True)) if skills else {}
    return PersonInputs(
        external_id=p[0],
        level=p[1],
        availability=p[2],
        location=p[3],
        timezone=p[4],
        department=p[5],
        hire_date=p[6],
        skills=levels,
        interests=p[9],
        aspirations=p[10],
        implied=implied_skills(p[11], levels) if skills else frozenset(),
        occupation_id=p[11],
    )


def _json_bytes(value: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(value, separators=(",", ":")).encode(), dtype=np.uint8)


def _compact_posting(inputs: OpportunityInputs) -> OpportunityInputs:
    return dataclasses.replace(
        inputs,
        department=_intern(inputs.department),
        location=_intern(inputs.location),
        required={_intern(k): v for k, v in inputs.required.items()},
        preferred={_intern(k): v for k, v in inputs.preferred.items()},
    )


# The snapshot's field order; a snapshot of another order is refused by its format version.
def _person_fields(p: _Person) -> list[Any]:
    return [*p[:6], p[6].isoformat() if p[6] else None, p[7], list(p[8]), *p[9:]]


def _person_from(f: list[Any], seen: dict[tuple[type, object], Any]) -> _Person:
    return (
        f[0],
        f[1],
        _shared(f[2], seen),
        _intern(f[3]),
        _intern(f[4]),
        _intern(f[5]),
        _one_date(dt.date.fromisoformat(f[6]) if f[6] else None),
        tuple(_intern(k) for k in f[7]),
        _shared(bytes(f[8]), seen),
        _shared(tuple(_intern(i) for i in f[9]), seen),
        _intern(f[10]),
        _intern_or_none(f[11]),
    )


SharedT = TypeVar("SharedT")


def _shared(value: SharedT, seen: dict[tuple[type, object], Any]) -> SharedT:
    """The first value restored equal to this one, of its type (a float by its repr: 0.0 and
    -0.0 stay apart): at 100k people 21 hours a week, ~53k lists of interests and ~72k of
    skill levels, held once each (~7 MB)."""
    key = (type(value), repr(value) if isinstance(value, float) else value)
    found: SharedT = seen.setdefault(key, value)
    return found


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
