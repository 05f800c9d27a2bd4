"""How related two occupations are: a number in [0, 1] from where ESCO files them, the skills
and tools their work shares, and the O*NET occupations the crosswalk maps them to.

    score(a, b) = 1                                            a == b
                = (0.30 h + 0.50 s + 0.10 t + 0.10 c) / W      otherwise (unknown or None: 0)

- h, the hierarchy (ESCO's code is the ISCO-08 unit group, then the occupation's place under
  it: "2654.1.7" is filed under "2654.1", filed under ISCO 2654): 1.0 when one is filed
  directly under the other, 0.85 for siblings under the same ESCO occupation, 0.75 further
  within one ESCO branch, 0.6 in the same ISCO unit group, 0.3 in the same minor group, 0.1 in
  the same sub-major group. ISCO groups are coarse (a unit group can hold 200 occupations
  whose skill profiles share nothing), so h alone never makes a close neighbour.
- s, the skills: cosine of skill profiles where each skill weighs log((N + 1) / listings)
  (listed by one occupation ~8, "use Microsoft Office" in hundreds ~1), essential skills
  counting in full and optional ones half. The strongest single signal, hence the largest
  weight; the IDF weights keep generic skills from making neighbours.
- t, the tools (O*NET tools and technologies the work uses), the same cosine over tools.
- c, the crosswalk: the O*NET codes both map to, each counting log((N + 1) / listings) /
  log(N + 1) (a code two ESCO occupations share ~0.9, one 85 share 0.45), over the larger
  number of codes either has.
W is the sum of the weights of the parts both occupations have data for: an occupation without
a crosswalk entry (no tools, no O*NET code) is scored on hierarchy and skills alone rather
than marked down for what the crosswalk lacks.

Measured on the packaged taxonomy (tests/data/test_relatedness.py checks the classes): pairs
in one ISCO unit group score 0.45 on average, random pairs 0.011; ESCO siblings 0.69, the rest
of their unit group 0.35; 87% of each occupation's five nearest are in its ISCO minor group,
and 94% of them stay among the five nearest when the 147 skills listed by over 100 occupations
are taken out of every profile (generic skills do not make neighbours). Held out: scored on
hierarchy and skills alone, pairs the crosswalk maps to one O*NET occupation score 0.44
(0.13 across unit groups), pairs it does not 0.008.

Built from the taxonomy once per process in about a second (sparse matrices: 3,039
occupations, 22k skills and tools); a score row (~2 ms) is computed on demand and the last
rows kept, so nothing of size N x N is ever held.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from data.taxonomy.content_cache import ByContent
from data.taxonomy.model import Taxonomy, TaxonomyOccupation

HIERARCHY_WEIGHT = 0.30
SKILL_WEIGHT = 0.50
TOOL_WEIGHT = 0.10
CROSSWALK_WEIGHT = 0.10
OPTIONAL_SKILL_SHARE = 0.5  # an optional skill says half as much about the work

FILED_UNDER = 1.0  # one is ESCO's narrower occupation of the other
SIBLINGS = 0.85  # filed under the same ESCO occupation
SAME_BRANCH = 0.75  # further apart under one ESCO occupation (cousins, grandchild)
SAME_UNIT_GROUP = 0.6
SAME_MINOR_GROUP = 0.3
SAME_SUB_MAJOR_GROUP = 0.1

_ROWS_KEPT = 512  # score rows kept per taxonomy (3,000 floats each)


class OccupationRelatedness:
    """Scores between the occupations of one taxonomy; build with `from_taxonomy`."""

    def __init__(self, occupations: Sequence[TaxonomyOccupation]) -> None:
        self._ids = [o.occupation_id for o in occupations]
        self._index = {occupation_id: i for i, occupation_id in enumerate(self._ids)}
        self._hierarchy = _Hierarchy(occupations)
        self._skills, skill_weights = _profile_matrix(
            [
                [(s, 1.0) for s in o.essential_skill_ids]
                + [(s, OPTIONAL_SKILL_SHARE) for s in o.optional_skill_ids]
                for o in occupations
            ]
        )
        self._tools, tool_weights = _profile_matrix(
            [[(t, 1.0) for t in o.tool_ids] for o in occupations]
        )
        self._specificity = {**skill_weights, **tool_weights}
        self._unlisted = math.log(len(occupations) + 1)
        self._crosswalk, code_weights = _profile_matrix(
            [[(code, 1.0) for code in o.onet_codes] for o in occupations]
        )
        self._crosswalk = self._crosswalk.sign()
        # A shared O*NET code counts by its specificity: one that 85 ESCO occupations map to
        # (11-3071.00, transportation and logistics managers) says less than one two share.
        by_column = np.zeros(self._crosswalk.shape[1])  # the weights come in column order
        by_column[: len(code_weights)] = list(code_weights.values())
        self._code_weights = sp.csr_matrix(self._crosswalk @ sp.diags(by_column / self._unlisted))
        self._crosswalk_sizes = np.asarray(self._crosswalk.sum(axis=1)).ravel()
        self._has_tools = np.asarray(self._tools.getnnz(axis=1) > 0)
        self._has_crosswalk = self._crosswalk_sizes > 0
        self._rows: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy) -> OccupationRelatedness:
        """The relatedness of this taxonomy's occupations, built once per content (a copy, or
        the same occupations read back from the database, shares it)."""
        return _cached(taxonomy)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, occupation_id: object) -> bool:
        return occupation_id in self._index

    def specificity(self, item_id: str) -> float:
        """How much holding a skill or tool says about the work: log((N + 1) / listings), the
        weight scores give it; one no occupation lists says the most."""
        return self._specificity.get(item_id, self._unlisted)

    def score(self, a: str | None, b: str | None) -> float:
        """1.0 for the same occupation, 0.0 when either is None or unknown."""
        return float(self.scores(a, [b])[0])

    def scores(self, a: str | None, bs: Sequence[str | None]) -> np.ndarray:
        """`score(a, b)` for every b, as float32 (one row lookup, vectorised)."""
        out = np.zeros(len(bs), dtype=np.float32)
        i = self._index.get(a) if a is not None else None
        if i is None or not len(bs):
            return out
        positions = np.fromiter(
            (self._index.get(b, -1) if b is not None else -1 for b in bs), np.int64, len(bs)
        )
        known = positions >= 0
        out[known] = self._row(i)[positions[known]]
        return out

    def neighbours(self, occupation_id: str, limit: int = 10) -> list[tuple[str, float]]:
        """The `limit` most related other occupations, best first (ties by id); [] when the
        occupation is unknown."""
        i = self._index.get(occupation_id)
        if i is None or limit <= 0:
            return []
        row = self._row(i).copy()
        row[i] = -1.0
        take = min(limit, len(row) - 1)
        if take <= 0:
            return []
        top = np.argpartition(-row, take - 1)[:take] if take < len(row) else np.arange(len(row))
        ranked = sorted(top, key=lambda j: (-row[j], self._ids[j]))
        return [(self._ids[j], float(row[j])) for j in ranked if row[j] > 0]

    def _row(self, i: int) -> np.ndarray:
        with self._lock:
            row = self._rows.get(i)
            if row is not None:
                self._rows.move_to_end(i)
                return row
        row = self._compute_row(i)
        with self._lock:
            self._rows[i] = row
            while len(self._rows) > _ROWS_KEPT:
                self._rows.popitem(last=False)
        return row

    def _compute_row(self, i: int) -> np.ndarray:
        hierarchy = self._hierarchy.row(i)
        skills = _cosine_row(self._skills, i)
        tools = _cosine_row(self._tools, i)
        shared = (self._crosswalk @ self._code_weights[i].T).toarray().ravel()
        larger = np.maximum(self._crosswalk_sizes, self._crosswalk_sizes[i])
        crosswalk = np.divide(shared, larger, out=np.zeros_like(shared), where=larger > 0)
        tool_weight = np.where(self._has_tools & self._has_tools[i], TOOL_WEIGHT, 0.0)
        walk_weight = np.where(self._has_crosswalk & self._has_crosswalk[i], CROSSWALK_WEIGHT, 0.0)
        total = HIERARCHY_WEIGHT + SKILL_WEIGHT + tool_weight + walk_weight
        row: np.ndarray = (
            HIERARCHY_WEIGHT * hierarchy
            + SKILL_WEIGHT * skills
            + tool_weight * tools
            + walk_weight * crosswalk
        ) / total
        # Another occupation is never the same one: keep 1.0 for identity alone.
        row = np.minimum(row, 0.99).astype(np.float32)
        row[i] = 1.0
        return row


class _Hierarchy:
    """ESCO's filing of each occupation as integer codes, compared a whole row at a time."""

    def __init__(self, occupations: Sequence[TaxonomyOccupation]) -> None:
        vocabulary: dict[str, int] = {}

        def code_of(text: str) -> int:
            return vocabulary.setdefault(text, len(vocabulary)) if text else -1

        own, parent, branch, unit, minor, sub_major = ([] for _ in range(6))
        for o in occupations:
            parts = o.code.split(".") if o.code else []
            group = o.isco_group or (parts[0] if parts else "")
            own.append(code_of(o.code) if len(parts) > 1 else -1)
            parent.append(code_of(".".join(parts[:-1])) if len(parts) > 2 else -1)
            branch.append(code_of(".".join(parts[:2])) if len(parts) > 1 else -1)
            unit.append(code_of("isco:" + group) if len(group) >= 4 else -1)
            minor.append(code_of("isco:" + group[:3]) if len(group) >= 3 else -1)
            sub_major.append(code_of("isco:" + group[:2]) if len(group) >= 2 else -1)
        self._own, self._parent, self._branch = map(np.asarray, (own, parent, branch))
        self._unit, self._minor, self._sub_major = map(np.asarray, (unit, minor, sub_major))

    def row(self, i: int) -> np.ndarray:
        def same(codes: np.ndarray) -> np.ndarray:
            matches: np.ndarray = (codes == codes[i]) & (codes[i] >= 0)
            return matches

        filed_under = ((self._parent == self._own[i]) & (self._own[i] >= 0)) | (
            (self._own == self._parent[i]) & (self._parent[i] >= 0)
        )
        return np.select(
            [
                filed_under,
                same(self._parent),
                same(self._branch),
                same(self._unit),
                same(self._minor),
                same(self._sub_major),
            ],
            [
                FILED_UNDER,
                SIBLINGS,
                SAME_BRANCH,
                SAME_UNIT_GROUP,
                SAME_MINOR_GROUP,
                SAME_SUB_MAJOR_GROUP,
            ],
            default=0.0,
        )


def _profile_matrix(
    profiles: Sequence[Iterable[tuple[str, float]]],
) -> tuple[sp.csr_matrix, dict[str, float]]:
    """Rows of unit length, each item weighted by its share times log((N + 1) / listings);
    and that weight of each item."""
    columns: dict[str, int] = {}
    weights: dict[tuple[int, int], float] = {}
    for row, items in enumerate(profiles):
        for item, share in items:
            key = (row, columns.setdefault(item, len(columns)))
            weights[key] = max(weights.get(key, 0.0), share)  # essential wins over optional
    shape = (len(profiles), max(len(columns), 1))
    if not weights:
        return sp.csr_matrix(shape, dtype=np.float64), {}
    rows, cols = (np.fromiter(part, np.int64, len(weights)) for part in zip(*weights, strict=True))
    matrix = sp.csr_matrix((np.fromiter(weights.values(), float), (rows, cols)), shape=shape)
    listings = np.bincount(cols, minlength=shape[1])
    idf = np.log((len(profiles) + 1) / np.maximum(listings, 1))
    matrix = matrix @ sp.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    unit = sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ matrix)
    return unit, {item: float(idf[column]) for item, column in columns.items()}


def _cosine_row(matrix: sp.csr_matrix, i: int) -> np.ndarray:
    cosines: np.ndarray = np.clip((matrix @ matrix[i].T).toarray().ravel(), 0.0, 1.0)
    return cosines


_cached = ByContent(
    lambda taxonomy: OccupationRelatedness(
        sorted(taxonomy.occupations.values(), key=lambda o: o.occupation_id)
    )
)
