"""Pools: the searchable side of a direction, as columns (numpy) aligned with an index.

A pool keeps, per item, its database row id, its vector and the facts the eligibility rules
need, at a stable *position*. Updates overwrite in place; removals clear the `active` flag;
new items take the next position (capacity doubles, so adding is amortised O(1)).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from matching.index import VectorIndex

KIND_BITS = {"gig": 1, "mentorship": 2, "role": 4}
NO_DATE = np.iinfo(np.int32).min  # "no start date": never in the past
REMOTE_LOCATIONS = frozenset({"remote", "anywhere", "virtual"})


def day_number(value: dt.date | None) -> int:
    return NO_DATE if value is None else value.toordinal()


def is_remote(location: str) -> bool:
    return location.strip().casefold() in REMOTE_LOCATIONS


@dataclass
class LocationCodes:
    """Case-insensitive location names as small integers, shared by both pools."""

    codes: dict[str, int] = field(default_factory=dict)

    def code(self, location: str) -> int:
        key = location.strip().casefold()
        return self.codes.setdefault(key, len(self.codes))


class Pool:
    """Columns + vectors + a `VectorIndex`, addressed by position."""

    columns: ClassVar[dict[str, np.dtype]] = {}

    def __init__(self, dim: int, index: VectorIndex) -> None:
        self.dim = dim
        self.index = index
        self.size = 0  # positions used (active or not)
        self.position_of: dict[int, int] = {}  # database row id -> position
        self.external_ids: list[str] = []
        self._vectors = np.zeros((0, dim), dtype=np.float32)
        self._row_ids = np.zeros(0, dtype=np.int64)
        self._active = np.zeros(0, dtype=bool)
        self._columns = {name: np.zeros(0, dtype=dtype) for name, dtype in self.columns.items()}

    # -- views of the used part -------------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        return self._vectors[: self.size]

    @property
    def row_ids(self) -> np.ndarray:
        return self._row_ids[: self.size]

    @property
    def active(self) -> np.ndarray:
        return self._active[: self.size]

    def column(self, name: str) -> np.ndarray:
        return self._columns[name][: self.size]

    def __len__(self) -> int:
        return int(self.active.sum())

    # -- writes -----------------------------------------------------------------------------
    def _reserve(self, needed: int) -> None:
        capacity = len(self._row_ids)
        if needed <= capacity:
            return
        new_capacity = max(needed, 2 * capacity, 64)

        def grow(array: np.ndarray) -> np.ndarray:
            shape = (new_capacity, *array.shape[1:])
            grown = np.zeros(shape, dtype=array.dtype)
            grown[: len(array)] = array
            return grown

        self._vectors = grow(self._vectors)
        self._row_ids = grow(self._row_ids)
        self._active = grow(self._active)
        self._columns = {name: grow(array) for name, array in self._columns.items()}

    def put(
        self,
        row_ids: list[int],
        external_ids: list[str],
        vectors: np.ndarray,
        columns: dict[str, np.ndarray],
    ) -> np.ndarray:
        """Insert or overwrite items; returns their positions. Does not touch the index."""
        positions = np.empty(len(row_ids), dtype=np.int64)
        fresh = [r for r in row_ids if r not in self.position_of]
        self._reserve(self.size + len(fresh))
        for i, (row_id, external_id) in enumerate(zip(row_ids, external_ids, strict=True)):
            position = self.position_of.get(row_id)
            if position is None:
                position = self.size
                self.size += 1
                self.position_of[row_id] = position
                self.external_ids.append(external_id)
            else:
                self.external_ids[position] = external_id
            positions[i] = position
        self._vectors[positions] = vectors
        self._row_ids[positions] = row_ids
        self._active[positions] = True
        for name, values in columns.items():
            self._columns[name][positions] = values
        return positions

    def deactivate(self, row_ids: list[int]) -> np.ndarray:
        positions = np.array(
            [self.position_of[r] for r in row_ids if r in self.position_of], dtype=np.int64
        )
        self._active[positions] = False
        return positions

    # -- persistence --------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        out = {
            "vectors": self.vectors,
            "row_ids": self.row_ids,
            "active": self.active,
            "external_ids": np.array(self.external_ids, dtype="U64"),
        }
        out.update({f"col_{name}": self.column(name) for name in self.columns})
        return out

    def restore_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Take the arrays `arrays` gave, as the pool's own where they are (arrays read from
        a snapshot: no second copy of 150 MB of vectors at 100k people), copied where they
        are views of another pool's; capacity is their length."""
        row_ids = _own(arrays["row_ids"], np.dtype(np.int64))
        n = len(row_ids)
        self._row_ids = row_ids
        self._vectors = _own(arrays["vectors"], np.dtype(np.float32)).reshape(n, self.dim)
        self._active = _own(arrays["active"], np.dtype(bool))
        self._columns = {
            name: _own(arrays[f"col_{name}"], dtype) for name, dtype in self.columns.items()
        }
        self.size = n
        self.external_ids = [str(x) for x in arrays["external_ids"].tolist()]
        self.position_of = {r: i for i, r in enumerate(row_ids.tolist())}


def _own(array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`array` as a writable, C-ordered array of `dtype` owning its memory (copied if not)."""
    return np.require(array, dtype=dtype, requirements=("C", "W", "O"))


class EmployeePool(Pool):
    columns: ClassVar[dict[str, np.dtype]] = {
        "level": np.dtype(np.int16),
        "availability": np.dtype(np.float32),
        "open_to": np.dtype(np.uint8),  # bit set of KIND_BITS
        "location": np.dtype(np.int32),
    }


class OpportunityPool(Pool):
    columns: ClassVar[dict[str, np.dtype]] = {
        "owner_row_id": np.dtype(np.int64),  # -1 when the owner is not a known employee
        "level_min": np.dtype(np.int16),
        "level_max": np.dtype(np.int16),
        "hours": np.dtype(np.float32),
        "is_open": np.dtype(bool),
        "is_draft": np.dtype(bool),
        "seats": np.dtype(np.int32),
        "accepted": np.dtype(np.int32),  # accepted candidates so far (from interactions)
        "start_day": np.dtype(np.int32),
        "location": np.dtype(np.int32),
        "onsite": np.dtype(bool),
    }
