"""Job title -> ESCO occupations: exact titles first, then embedding neighbours of every title.

Each occupation is known by its preferred label, its alternative titles and its hidden labels
(misspellings, old names), ~33k texts in all. A title is matched as typed and with its
seniority words taken off ("Senior Business Analyst II" -> "business analyst"): seniority is
the person's level, not their occupation. When the person's or the posting's skills are
known they break near-ties: an occupation whose profile holds those skills gains a little.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.schemas import normalize_label
from data.taxonomy.model import Taxonomy, TaxonomyOccupation
from data.taxonomy.text_vectors import Embedder, cache_file, load_or_encode, safe_name, unit_rows

# Words about level or contract, not about the work: taken off the start of a title, and
# grade numbers off its end ("Senior Business Analyst II"). Inside a title they can be the
# work itself ("team lead", "chief executive officer" is matched as typed first).
LEADING_WORDS = frozenset(
    [
        "senior",
        "sr",
        "snr",
        "junior",
        "jr",
        "jnr",
        "lead",
        "principal",
        "staff",
        "trainee",
        "intern",
        "graduate",
        "entry",
        "level",
        "mid",
        "experienced",
        "interim",
        "temporary",
        "temp",
        "contract",
        "contractor",
        "freelance",
        "remote",
    ]
)
TRAILING_WORDS = frozenset(
    [
        "i",
        "ii",
        "iii",
        "iv",
        "v",
        "vi",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "intern",
        "trainee",
        "contractor",
    ]
)
# Where a title says "of"/"for" ("head of marketing"), the work follows it.
_HEAD_OF = re.compile(r"^(?:head|director|vp|vice president) (?:of|for) (.+)$")
EXACT_SCORES = {"label": 1.0, "alt_label": 0.99, "hidden_label": 0.98}
SKILL_WEIGHT = 0.15  # how much a full skill-profile overlap can add to a title score
CANDIDATES = 30  # title neighbours re-scored with the skills


@dataclass(frozen=True, slots=True)
class OccupationMatch:
    occupation_id: str
    label: str
    score: float  # 0..1; 1.0 for an exact title
    method: str  # "label" | "alt_label" | "hidden_label" | "embedding"
    matched_title: str  # the title text of the occupation that matched best
    isco_group: str = ""


def core_title(title: str) -> str:
    """The work a title names, without seniority or grade ("Sr. Data Engineer II" -> "data
    engineer"); the whole normalised title if nothing would be left."""
    text = normalize_label(title)
    head_of = _HEAD_OF.match(text)
    if head_of:
        text = head_of.group(1)
    words = text.replace(".", " ").split()
    while len(words) > 1 and words[0] in LEADING_WORDS:
        words.pop(0)
    while len(words) > 1 and words[-1] in TRAILING_WORDS:
        words.pop()
    return " ".join(words) or normalize_label(title)


def _only_level_words(core: str) -> bool:
    words = core.replace(".", " ").split()
    return bool(words) and all(w in LEADING_WORDS or w in TRAILING_WORDS for w in words)


class OccupationNormalizer:
    """Rank the taxonomy's occupations for a job title (and, optionally, a set of skills)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        embed: Embedder | None = None,
        *,
        # Below this the best occupation is still listed by `normalize` but not stored as
        # anyone's occupation: a title like "Wizard of Light Bulb Moments" implies nothing.
        min_score: float = 0.70,
        cache_path: Path | None = None,
        embed_key: str = "default",
    ) -> None:
        self.taxonomy = taxonomy
        self.embed = embed
        self.min_score = min_score
        self.cache_path = Path(cache_path) if cache_path is not None else None
        self.embed_key = safe_name(embed_key, "default")
        occupations = sorted(taxonomy.occupations.values(), key=lambda o: o.occupation_id)
        self._ids = [o.occupation_id for o in occupations]
        self._texts: list[str] = []
        self._kinds: list[str] = []
        owners: list[int] = []
        self._exact: dict[str, list[tuple[int, str, str]]] = {}
        for number, occupation in enumerate(occupations):
            seen: set[str] = set()
            for kind, titles in (
                ("label", (occupation.label,)),
                ("alt_label", occupation.alt_labels),
                ("hidden_label", occupation.hidden_labels),
            ):
                for title in titles:
                    key = normalize_label(title)
                    if not key or key in seen:
                        continue
                    seen.add(key)
                    self._texts.append(title)
                    self._kinds.append(kind)
                    owners.append(number)
                    self._exact.setdefault(key, []).append((number, kind, title))
        self._owners = np.asarray(owners, dtype=np.int64)
        self._starts = np.flatnonzero(np.r_[True, self._owners[1:] != self._owners[:-1]])
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    # -- public API ------------------------------------------------------------------------

    def normalize(
        self, title: str, *, limit: int = 5, skill_ids: Collection[str] = ()
    ) -> list[OccupationMatch]:
        """Occupations for the title, best first."""
        return self.normalize_many([title], limit=limit, skill_ids=[skill_ids])[0]

    def normalize_many(
        self,
        titles: list[str],
        *,
        limit: int = 5,
        skill_ids: list[Collection[str]] | None = None,
    ) -> list[list[OccupationMatch]]:
        """`normalize` for many titles, encoding the ones without an exact title in one batch."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        skill_ids = skill_ids or [() for _ in titles]
        # Exact as typed first ("chief executive officer"), then without the seniority words.
        cores = [
            key if key in self._exact else core_title(title)
            for key, title in ((normalize_label(title), title) for title in titles)
        ]
        # A title of level words alone ("Intern", "Senior") says nothing about the work.
        empty = {i for i, core in enumerate(cores) if _only_level_words(core)}
        # An exact title still gets its embedding neighbours when more than one is asked for:
        # ESCO shares titles between occupations ("nun"), and the rest of the list is the
        # choice a person or a lead makes from.
        pending = [
            i
            for i, core in enumerate(cores)
            if i not in empty and (limit > 1 or core not in self._exact)
        ]
        queries: dict[int, np.ndarray] = {}
        if pending and self.embed is not None and self._ids:
            encoded = self._encode([cores[i] for i in pending])
            queries = dict(zip(pending, encoded, strict=True))
        return [
            [] if i in empty else self._ranked(core, queries.get(i), skill_ids[i], limit)
            for i, core in enumerate(cores)
        ]

    def infer(self, title: str, skill_ids: Collection[str] = ()) -> OccupationMatch | None:
        """The occupation to store for this title, if one scores at least `min_score`."""
        return self.infer_many([title], [skill_ids])[0]

    def infer_many(
        self, titles: list[str], skill_ids: list[Collection[str]] | None = None
    ) -> list[OccupationMatch | None]:
        ranked = self.normalize_many(titles, limit=1, skill_ids=skill_ids)
        return [r[0] if r and r[0].score >= self.min_score else None for r in ranked]

    def warm_up(self) -> None:
        """Encode every title now (at start-up), not on the first request."""
        if self.embed is not None:
            self._title_vectors()

    # -- internals -------------------------------------------------------------------------

    def _ranked(
        self, core: str, query: np.ndarray | None, skills: Collection[str], limit: int
    ) -> list[OccupationMatch]:
        scores = np.zeros(len(self._ids), dtype=np.float32)
        best_row = np.full(len(self._ids), -1, dtype=np.int64)
        if query is not None:
            vectors = self._title_vectors()
            similarity = vectors @ query
            scores = np.clip(np.maximum.reduceat(similarity, self._starts), 0.0, 1.0)
            # The row of each occupation's best title: argmax within each contiguous group.
            order = np.lexsort((-similarity, self._owners))
            firsts = order[np.r_[0, np.flatnonzero(np.diff(self._owners[order])) + 1]]
            best_row = firsts
        methods: dict[int, tuple[str, str]] = {}
        for number, kind, title in self._exact.get(core, ()):
            # An occupation's own label before another's alternative title of the same words
            # ("business analyst" is also an alt title of business economics researcher).
            if number not in methods or EXACT_SCORES[kind] > scores[number]:
                scores[number] = EXACT_SCORES[kind]
                methods[number] = (kind, title)
        count = min(max(limit, CANDIDATES), len(scores))
        if count == 0:
            return []
        top = np.argpartition(-scores, count - 1)[:count]
        final = {int(n): float(scores[n]) for n in top if scores[n] > 0}
        if skills:
            held = set(skills)
            for number in final:
                final[number] += SKILL_WEIGHT * self._overlap(number, held)
            top_score = max(final.values(), default=1.0)
            if top_score > 1.0:  # keep 0..1: a skill bonus re-orders, it does not inflate
                final = {n: s / top_score for n, s in final.items()}
        ranked = sorted(final.items(), key=lambda item: (-item[1], self._ids[item[0]]))[:limit]
        out = []
        for number, score in ranked:
            occupation = self.taxonomy.occupations[self._ids[number]]
            if number in methods:
                method, title = methods[number]
            else:
                method, title = "embedding", self._texts[int(best_row[number])]
            out.append(
                OccupationMatch(
                    occupation.occupation_id,
                    occupation.label,
                    round(score, 4),
                    method,
                    title,
                    occupation.isco_group,
                )
            )
        return out

    def _overlap(self, number: int, held: set[str]) -> float:
        """Share of the held skills the occupation's profile lists (optional ones count half)."""
        occupation: TaxonomyOccupation = self.taxonomy.occupations[self._ids[number]]
        essential = held.intersection(occupation.essential_skill_ids)
        optional = held.intersection(occupation.optional_skill_ids) - essential
        return (len(essential) + 0.5 * len(optional)) / len(held)

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.embed is None:
            raise RuntimeError("no encoder was given to this OccupationNormalizer")
        return unit_rows(self.embed(texts), len(texts))

    def _title_vectors(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                owners = [self._ids[n] for n in self._owners]
                path = cache_file(
                    self.cache_path,
                    "occupation-titles",
                    self.embed_key,
                    self._texts,
                    owners,
                )
                self._vectors = load_or_encode(path, self._texts, self._encode)
            return self._vectors
