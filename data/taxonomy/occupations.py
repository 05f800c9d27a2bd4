"""Job title -> ESCO occupations, from all the evidence a title and a record carry.

Each occupation is known by its preferred label, its alternative titles and hidden labels
(misspellings, old names), ~33k texts, and by the O*NET titles of the O*NET occupations the
ESCO-O*NET crosswalk maps it to (`other_titles`: how people in the US name the same work).
A title is matched:
1. exactly, as typed and with its seniority words taken off (`core_title`); an occupation's
   own label outranks another's alternative title even when only the core matches ("Senior
   Data Analyst" is a data analyst, though ESCO lists it as an alt title of call centre
   analyst); O*NET titles rank below ESCO's own;
2. by its head noun when the words before it name nothing ESCO knows ("Fish Cook (Ikan
   Bakar)" is a cook, "Confinement Dietician" a dietitian);
3. by lexical evidence (IDF-weighted word overlap with every title, O*NET's included) and
   embedding evidence (cosine with ESCO's titles), combined. The titles' vectors come from the
   process's one text store (data/taxonomy/text_vectors.py); a server that encodes them in the
   background (`lexical_until_ready`) answers `normalize` by the lexical evidence alone until
   `prepare` has finished, while `normalize_many` and `infer` (imports, which store what they
   find) wait for the vectors.
A title that names no occupation on its own ("Employee", "Team Member", "Senior Associate
II": every word spread over many kinds of work) is placed by the record's skills, or not at
all; never by what its words resemble. The record's skills and a posting's description
(occupations it names) add a little to the title's evidence.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.schemas import normalize_label
from data.taxonomy.model import Taxonomy
from data.taxonomy.text_vectors import (
    ENCODE_CHUNK,
    Embedder,
    Progress,
    TextVectorStore,
    cache_file,
    read_legacy_list,
    safe_name,
    unit_rows,
)
from data.taxonomy.title_evidence import SkillProfiles, TitleLexicon
from data.taxonomy.title_words import (
    LEADING_WORDS,
    TRAILING_WORDS,
    core_title,
    only_level_words,
    title_forms,
    title_segments,
    tokens,
)

__all__ = [
    "LEADING_WORDS",
    "TRAILING_WORDS",
    "OccupationMatch",
    "OccupationNormalizer",
    "core_title",
]

# Exact titles: (kind, matched on) -> score. An own label on the core beats another's alt
# title as typed; every ESCO title beats an O*NET one (crosswalked: shared by every ESCO
# occupation of that O*NET code).
EXACT_SCORES = {
    ("label", "typed"): 1.0,
    ("label", "core"): 0.99,
    ("alt_label", "typed"): 0.97,
    ("alt_label", "core"): 0.96,
    ("hidden_label", "typed"): 0.95,
    ("hidden_label", "core"): 0.94,
    ("other_title", "typed"): 0.78,
    ("other_title", "core"): 0.77,
}
OTHER_TITLE_EVIDENCE = 0.12  # an O*NET title's score: its tier plus this times the evidence
EXACT_KINDS = frozenset(kind for kind, _ in EXACT_SCORES)
EXACT_TIE_BREAK = 0.005  # times the other evidence: orders occupations sharing one exact title
# Evidence that is not an exact title scores below every exact title.
EVIDENCE_CAP = 0.88
HEAD_NOUN_SCORE = 0.76  # the title's last words are an occupation's title, the rest unknown
HEAD_NOUN_COVERAGE = 0.12  # ... plus this times the share of the title's weight they carry
# The rest is the lexical overlap. On 600 held-out O*NET titles -> their crosswalked ESCO
# occupations (seed 7): weight 0.8 top-1 0.280 / top-5 0.487, 0.6 0.303 / 0.543, 0.4 0.320 /
# 0.558 (the title placement before this change: 0.240 / 0.423).
EMBEDDING_WEIGHT = 0.4
# Of the lexical part, how much is all an occupation's titles read as one text (BM25, over what
# a text holding every word would score) rather than its best single title: on 1,000 held-out
# O*NET titles (seed 7, with SAME_WORK_CAP) top-5 0.690 at 0.35 and 0.5, 0.685 at 0.7, 0.677
# at 0.85.
DOCUMENT_WEIGHT = 0.5
SKILL_WEIGHT = 0.15  # how much a full skill-profile overlap can add to a title score
DESCRIPTION_WEIGHT = 0.05  # an occupation the posting's description names
DESCRIPTION_PLACES = 0.80  # ... the only one it names, for a title that names none
SKILLS_MIN_HELD = 2  # a generic title placed by skills needs at least this many in the profile
CANDIDATES = 30  # title neighbours re-scored with the skills
# At most this many occupations mapped to the same O*NET occupations before the other kinds of
# work are listed (seed 7: top-5 0.669 with no cap, 0.698 at 2, 0.725 at 1, which would hide
# ESCO's close variants of the work from whoever chooses among them).
SAME_WORK_CAP = 2
_DESCRIPTION_NGRAM = 4


@dataclass(frozen=True, slots=True)
class OccupationMatch:
    occupation_id: str
    label: str
    score: float  # 0..1; 1.0 for an exact preferred label
    # "label" | "alt_label" | "hidden_label" | "other_title" | "head_noun" | "title" | "skills"
    method: str
    matched_title: str  # the title text of the occupation that matched best
    isco_group: str = ""


@dataclass(frozen=True, slots=True)
class _Query:
    typed: str  # normalised as typed
    core: str  # the work the title names
    generic: bool  # names no occupation on its own
    forms: tuple[str, ...] = ()  # the title proper with some or all level words taken off


WARM_UP_TEXT = "data analyst"  # asked once after a background `prepare`: any title would do


class OccupationNormalizer:
    """Rank the taxonomy's occupations for a job title (and, optionally, a set of skills)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        embed: Embedder | None = None,
        *,
        # Below this the best occupation is still listed by `normalize` but not stored as
        # anyone's occupation: a title like "Wizard of Light Bulb Moments" implies nothing.
        # On 600 held-out O*NET titles the top-1 is right ~40% of the time whatever the bar
        # (0.60-0.85); from 0.70 up no made-up title of 10 tried is placed and one generic
        # title of 40 ("Data Specialist", by an O*NET title); 0.70 places the most (46%).
        min_score: float = 0.70,
        cache_path: Path | None = None,
        embed_key: str = "default",
    ) -> None:
        self.taxonomy = taxonomy
        self.embed = embed
        self.min_score = min_score
        self.cache_path = Path(cache_path) if cache_path is not None else None
        self.embed_key = safe_name(embed_key, "default")
        self.store = (
            TextVectorStore.shared(self.cache_path, embed_key)
            if self.cache_path is not None and embed is not None
            else None
        )
        self.lexical_until_ready = False  # set by a server that runs `prepare` in the background
        occupations = sorted(taxonomy.occupations.values(), key=lambda o: o.occupation_id)
        self._ids = [o.occupation_id for o in occupations]
        # ESCO's titles: embedded (the cached vectors are these texts, in this order).
        self._texts: list[str] = []
        owners: list[int] = []
        # Every title, O*NET's included: lexical evidence, rows contiguous per occupation.
        lexical_texts: list[str] = []
        lexical_owners: list[int] = []
        lexical_weights: list[float] = []
        spread_rows: list[bool] = []
        self._exact: dict[str, list[tuple[int, str, str]]] = {}
        for number, occupation in enumerate(occupations):
            seen: set[str] = set()
            for kind, titles in (
                ("label", (occupation.label,)),
                ("alt_label", occupation.alt_labels),
                ("hidden_label", occupation.hidden_labels),
                ("other_title", occupation.other_titles),
            ):
                for title in titles:
                    key = normalize_label(title)
                    if not key or key in seen:
                        continue
                    seen.add(key)
                    self._exact.setdefault(key, []).append((number, kind, title))
                    if kind != "other_title":
                        self._texts.append(title)
                        owners.append(number)
                    lexical_texts.append(title)
                    lexical_owners.append(number)
                    lexical_weights.append(0.95 if kind == "other_title" else 1.0)
                    spread_rows.append(kind in ("label", "alt_label"))
        self._owners = np.asarray(owners, dtype=np.int64)
        self._starts = np.flatnonzero(np.r_[True, self._owners[1:] != self._owners[:-1]])
        self._embedded_owner = self._owners[self._starts] if len(owners) else self._owners
        self.lexicon = TitleLexicon(
            lexical_texts,
            lexical_owners,
            lexical_weights,
            [o.isco_group for o in occupations],
            spread_rows=spread_rows,
        )
        self.profiles = SkillProfiles(taxonomy, self._ids)
        self._work_keys = [tuple(sorted(o.onet_codes)) for o in occupations]
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    # -- public API ------------------------------------------------------------------------

    def normalize(
        self,
        title: str,
        *,
        limit: int = 5,
        skill_ids: Collection[str] = (),
        description: str = "",
    ) -> list[OccupationMatch]:
        """Occupations for the title, best first, with at most SAME_WORK_CAP of one kind of
        work (the same O*NET occupations) before the other kinds (so scores may step up)."""
        return self._normalize_many(
            [title],
            limit=limit,
            skill_ids=[skill_ids],
            descriptions=[description],
            lexical_if_unready=True,
        )[0]

    def normalize_many(
        self,
        titles: list[str],
        *,
        limit: int = 5,
        skill_ids: list[Collection[str]] | None = None,
        descriptions: list[str] | None = None,
        neighbours_of_exact: bool = True,
    ) -> list[list[OccupationMatch]]:
        """`normalize` for many titles; the titles that need the encoder are encoded in one
        batch. A generic title is ranked by `skill_ids` alone (empty without them). An
        occupation's own label gets its embedding neighbours after it when more than one is
        asked for, unless `neighbours_of_exact` is False (then it comes alone, unencoded)."""
        return self._normalize_many(
            titles,
            limit=limit,
            skill_ids=skill_ids,
            descriptions=descriptions,
            neighbours_of_exact=neighbours_of_exact,
        )

    def _normalize_many(
        self,
        titles: list[str],
        *,
        limit: int,
        skill_ids: list[Collection[str]] | None,
        descriptions: list[str] | None,
        neighbours_of_exact: bool = True,
        lexical_if_unready: bool = False,
    ) -> list[list[OccupationMatch]]:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        skill_ids = skill_ids or [() for _ in titles]
        descriptions = descriptions or ["" for _ in titles]
        queries = [self._query(title) for title in titles]
        pending = [
            i
            for i, q in enumerate(queries)
            if not q.generic and ((limit > 1 and neighbours_of_exact) or not self._exact_label(q))
        ]
        encoded: dict[int, np.ndarray] = {}
        unready = lexical_if_unready and self.lexical_until_ready and self._vectors is None
        if pending and self.embed is not None and self._ids and not unready:
            vectors = self._encode([queries[i].core for i in pending])
            encoded = dict(zip(pending, vectors, strict=True))
        return [
            self._ranked(q, encoded.get(i), skill_ids[i], descriptions[i], limit)
            for i, q in enumerate(queries)
        ]

    def infer(
        self, title: str, skill_ids: Collection[str] = (), description: str = ""
    ) -> OccupationMatch | None:
        """The occupation to store for this title, if one scores at least `min_score`."""
        return self.infer_many([title], [skill_ids], [description])[0]

    def infer_many(
        self,
        titles: list[str],
        skill_ids: list[Collection[str]] | None = None,
        descriptions: list[str] | None = None,
    ) -> list[OccupationMatch | None]:
        ranked = self.normalize_many(
            titles, limit=1, skill_ids=skill_ids, descriptions=descriptions
        )
        return [r[0] if r and r[0].score >= self.min_score else None for r in ranked]

    def is_generic(self, title: str) -> bool:
        """True when the title names no occupation on its own (placed by skills only)."""
        return self._query(title).generic

    @property
    def ready(self) -> bool:
        """Titles are matched by embedding too (their vectors are loaded), or there is none."""
        return self.embed is None or self._vectors is not None

    def warm_up(self) -> None:
        """Encode every title now (at start-up), not on the first request."""
        if self.embed is not None:
            self._title_vectors()

    def missing_vectors(self) -> int:
        """Titles whose vectors are neither in the store nor in an earlier layout's file
        (taken into the store now): what `warm_up` would encode."""
        if self.embed is None or self._vectors is not None:
            return 0
        if self.store is None:
            return len(set(self._texts))
        self._adopt_legacy()
        return len(self.store.missing(self._texts))

    def prepare(
        self,
        progress: Progress | None = None,
        *,
        chunk: int = ENCODE_CHUNK,
        stop: threading.Event | None = None,
    ) -> None:
        """Encode the titles the store lacks, a chunk at a time (each saved), load their
        vectors and the model: for a thread started with the server, which answers
        `normalize` lexically (`lexical_until_ready`) until this returns."""
        if self.embed is None:
            return
        if self.store is not None:
            self._adopt_legacy()
            self.store.fill(self._texts, self._encode, progress=progress, chunk=chunk, stop=stop)
            if stop is not None and stop.is_set():
                return
        self._title_vectors()
        self.normalize_many([WARM_UP_TEXT], limit=1)  # loads the model if nothing above did
        self.lexical_until_ready = False

    # -- the query -------------------------------------------------------------------------

    def _query(self, title: str) -> _Query:
        typed = normalize_label(title)
        forms = tuple(f for f in title_forms(self._title_proper(title)) if f != typed)
        # The evidence is about the least-stripped exact title, else about the core.
        core = next((f for f in forms if f in self._exact), forms[-1] if forms else typed)
        query = _Query(typed, core, False, forms)
        generic = only_level_words(core) or (
            not self._exact_label(query)
            and not self._exact_esco_phrase(query)
            and self.lexicon.is_generic(core)
        )
        return _Query(typed, core, generic, forms)

    def _title_proper(self, title: str) -> str:
        """The title without brackets, shift words and the parts after a dash or comma that
        name no work ("Welder, Jurong" -> "welder"); parts that do stay ("Director, Sales")."""
        segments = title_segments(title)
        whole = " ".join(segments)
        if len(segments) == 1 or core_title(whole) in self._exact:
            return whole
        if core_title(segments[0]) in self._exact:
            return segments[0]
        vocabulary = self.lexicon.vocabulary
        kept = [segments[0]] + [
            s for s in segments[1:] if any(w in vocabulary for w in self.lexicon.words(s))
        ]
        return " ".join(kept)

    def _exact_label(self, query: _Query) -> bool:
        return any(kind == "label" for _, kind, _ in self._exact_matches(query))

    def _exact_esco_phrase(self, query: _Query) -> bool:
        """An alternative or hidden title ESCO itself gives, of two words or more, names the
        work ("business development manager"); a one-word one ("manager") may not."""
        return len(query.core.split()) > 1 and any(
            kind in ("alt_label", "hidden_label") for _, kind, _ in self._exact_matches(query)
        )

    def _exact_matches(self, query: _Query) -> list[tuple[int, str, str]]:
        return [(n, kind, title) for n, kind, title, _ in self._exact_hits(query)]

    # -- evidence --------------------------------------------------------------------------

    def _ranked(
        self,
        query: _Query,
        vector: np.ndarray | None,
        skills: Collection[str],
        description: str,
        limit: int,
    ) -> list[OccupationMatch]:
        if not self._ids:
            return []
        votes = self._description_votes(description)
        if query.generic:
            return self._by_skills(skills, votes, limit)
        embedding = self._embedding_scores(vector)
        # The best single title, and all the occupation's titles taken together.
        lexical = (1 - DOCUMENT_WEIGHT) * self.lexicon.scores(
            query.core
        ) + DOCUMENT_WEIGHT * self.lexicon.document_scores(query.core)
        if vector is None:
            scores = lexical.copy()
        else:
            scores = EMBEDDING_WEIGHT * embedding + (1 - EMBEDDING_WEIGHT) * lexical
        scores = np.minimum(scores, EVIDENCE_CAP)
        methods = {int(n): ("title", "") for n in np.flatnonzero(scores > 0)}
        for number, score, title in self._head_noun(query.core):
            if score > scores[number]:
                scores[number] = score
                methods[number] = ("head_noun", title)
        evidence = scores.copy()
        for number, kind, title, on in self._exact_hits(query):
            # An O*NET title is shared by every ESCO occupation of its O*NET code: the other
            # evidence chooses among them.
            weight = OTHER_TITLE_EVIDENCE if kind == "other_title" else EXACT_TIE_BREAK
            exact = EXACT_SCORES[(kind, on)] + weight * float(evidence[number])
            if methods.get(number, ("",))[0] not in EXACT_KINDS or exact > scores[number]:
                scores[number] = exact
                methods[number] = (kind, title)
        count = min(max(limit, CANDIDATES), len(scores))
        top = np.argpartition(-scores, count - 1)[:count]
        final = {int(n): float(scores[n]) for n in top if scores[n] > 0}
        for number in votes:
            if number in final:
                final[number] += DESCRIPTION_WEIGHT
        if skills:
            fit, _ = self.profiles.scores(skills)
            for number in final:
                final[number] += SKILL_WEIGHT * float(fit[number])
        top_score = max(final.values(), default=1.0)
        if top_score > 1.0:  # keep 0..1: the extra evidence re-orders, it does not inflate
            final = {n: s / top_score for n, s in final.items()}
        return self._matches(final, methods, embedding, lexical, limit)

    def _by_skills(
        self, skills: Collection[str], votes: set[int], limit: int
    ) -> list[OccupationMatch]:
        """A generic title's occupations: those whose profile holds the listed skills (at least
        SKILLS_MIN_HELD of them), and one the posting's description names."""
        final: dict[int, float] = {}
        if skills:
            fit, held = self.profiles.scores(skills)
            for found in np.flatnonzero(held >= SKILLS_MIN_HELD):
                final[int(found)] = float(fit[found])
        for number in votes:
            # The one occupation a posting's text names is the post's work ("Team Member ...
            # we need a welder"); several named are only hints.
            named = DESCRIPTION_PLACES if len(votes) == 1 else DESCRIPTION_WEIGHT
            final[number] = max(final.get(number, 0.0) + DESCRIPTION_WEIGHT, named)
        final = {n: min(s, 1.0) for n, s in final.items() if s > 0}
        methods = {n: ("description" if n in votes else "skills", "") for n in final}
        if skills:
            methods.update(
                {int(n): ("skills", "") for n in np.flatnonzero(held >= SKILLS_MIN_HELD)}
            )
        return self._matches(final, methods, None, None, limit)

    def _matches(
        self,
        final: dict[int, float],
        methods: dict[int, tuple[str, str]],
        embedding: np.ndarray | None,
        lexical: np.ndarray | None,
        limit: int,
    ) -> list[OccupationMatch]:
        ranked = self._varied(
            sorted(final.items(), key=lambda item: (-item[1], self._ids[item[0]])), limit
        )
        out = []
        for number, score in ranked:
            occupation = self.taxonomy.occupations[self._ids[number]]
            method, title = methods.get(number, ("title", ""))
            out.append(
                OccupationMatch(
                    occupation.occupation_id,
                    occupation.label,
                    round(min(score, 1.0), 4),
                    method,
                    title or occupation.label,
                    occupation.isco_group,
                )
            )
        return out

    def _varied(self, ranked: list[tuple[int, float]], limit: int) -> list[tuple[int, float]]:
        """The best `limit`, at most SAME_WORK_CAP of them mapped to the same O*NET
        occupations (ESCO's variants of one kind of work: "nitrator operator", "granulator
        machine operator"), the rest of those after the others: a title that could name
        several kinds of work offers each of them. The first stays the best."""
        kept: list[tuple[int, float]] = []
        later: list[tuple[int, float]] = []
        seen: Counter[tuple[str, ...]] = Counter()
        for number, score in ranked:
            work = self._work_keys[number]
            if work and seen[work] >= SAME_WORK_CAP:
                later.append((number, score))
                continue
            seen[work] += 1
            kept.append((number, score))
            if len(kept) == limit:
                return kept
        return (kept + later)[:limit]

    def _exact_hits(self, query: _Query) -> list[tuple[int, str, str, str]]:
        hits = [(n, kind, title, "typed") for n, kind, title in self._exact.get(query.typed, ())]
        for form in query.forms:
            hits += [(n, kind, title, "core") for n, kind, title in self._exact.get(form, ())]
        return hits

    def _head_noun(self, core: str) -> list[tuple[int, float, str]]:
        """Occupations one of whose titles is the title's last words, when the words before
        them are no title word ("fish cook": "cook"), the longest such ending first. A generic
        ending ("... assistant") names nothing."""
        words = core.split()
        for start in range(1, len(words)):
            ending = " ".join(words[start:])
            hits = [h for h in self._exact.get(ending, ()) if h[1] != "other_title"]
            if not hits or self.lexicon.is_generic(ending):
                continue
            weight_all = self._idf_mass(" ".join(words))
            share = self._idf_mass(ending) / weight_all if weight_all else 0.0
            score = HEAD_NOUN_SCORE + HEAD_NOUN_COVERAGE * share
            return [(n, score, title) for n, _, title in hits]
        return []

    def _idf_mass(self, text: str) -> float:
        vocabulary, idf = self.lexicon.vocabulary, self.lexicon.idf
        return float(
            sum(idf[vocabulary[w]] if w in vocabulary else idf.max() for w in tokens(text))
        )

    def _description_votes(self, description: str) -> set[int]:
        """Occupations the text names by a title of their own that is specific (not a generic
        word like "manager", not a title many occupations share)."""
        if not description:
            return set()
        words = re.findall(r"[\w+#]+", description.casefold())
        votes: set[int] = set()
        for size in range(_DESCRIPTION_NGRAM, 0, -1):
            for start in range(len(words) - size + 1):
                key = " ".join(words[start : start + size])
                hits = [h for h in self._exact.get(key, ()) if h[1] != "other_title"]
                if not hits or len({n for n, _, _ in hits}) > 2:
                    continue
                if self.lexicon.is_generic(key):
                    continue
                labels = [n for n, kind, _ in hits if kind == "label"]
                votes.update(labels or [n for n, _, _ in hits])
        return votes

    def _embedding_scores(self, vector: np.ndarray | None) -> np.ndarray:
        scores = np.zeros(len(self._ids), dtype=np.float32)
        if vector is None or not len(self._texts):
            return scores
        similarity = self._title_vectors() @ vector
        best = np.clip(np.maximum.reduceat(similarity, self._starts), 0.0, 1.0)
        scores[self._embedded_owner] = best
        return scores

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.embed is None:
            raise RuntimeError("no encoder was given to this OccupationNormalizer")
        return unit_rows(self.embed(texts), len(texts))

    def _title_vectors(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                if self.store is None:
                    self._vectors = self._encode(self._texts)
                else:
                    self._adopt_legacy()
                    self._vectors = self.store.vectors(self._texts, self._encode)
                    self.store.save()
            return self._vectors

    def _adopt_legacy(self) -> None:
        """Titles' vectors from the earlier layout's file, taken into the store unencoded."""
        if self.store is None or not self.store.missing(self._texts):
            return
        owners = [self._ids[n] for n in self._owners]
        path = cache_file(self.cache_path, "occupation-titles", self.embed_key, self._texts, owners)
        legacy = read_legacy_list(path, len(self._texts))
        if legacy is not None:
            self.store.adopt(self._texts, legacy)
