"""Map free-text skill names to taxonomy skills: exact labels, typos, then all the evidence.

The encoder is injected as a plain function (texts -> L2-normalised float32 rows) so that
`data/` stays free of torch and of `matching/`. Each label text is encoded once, when first
needed, and with a `cache_path` kept in the process's one text store
(data/taxonomy/text_vectors.py), shared with the occupation titles and the profile texts. A
name one typo away from a single label is that skill without the encoder
(data/taxonomy/spelling.py).

A server starts before the labels are encoded (`lexical_until_ready`): until `prepare` has
finished in the background, `suggest` answers by exact, run-together and partial labels alone;
`resolve` (which stores what it finds) waits for the label vectors instead, so no profile is
saved with a lower-quality match.

Every other name is scored against candidates found two ways, the skills nearest by embedding
and the skills whose labels share its words (BM25, data/taxonomy/lexical.py); each candidate's
score is one calibrated probability built from both kinds of evidence
(data/taxonomy/calibration.py), so `min_score` means the same whichever way a skill was found.
A brand name or acronym is never resolved to a skill that shares none of its words: the
embedding puts "Docker" near "dock operations", which says nothing of what Docker is.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.schemas import normalize_label
from data.taxonomy.calibration import FEATURES, FITTED, Calibration
from data.taxonomy.lexical import LexicalIndex, core_forms, product_like, raw_words, words
from data.taxonomy.model import Taxonomy, TaxonomySkill
from data.taxonomy.spelling import SCORE as SPELLING_SCORE
from data.taxonomy.spelling import SpellingIndex
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

_MAX_SLUG = 80
_MAX_QUERY_WORDS = 12  # longer texts are sentences, not skill names: look at their start only
_MAX_ALT_TEXT_WORDS = 32  # encoder cost grows with length; 32 words cover most skills' names
_SCORE_BLOCK = 256  # names scored per matrix product (256 x ~45k label rows: ~46 MB)
_COSINE_CANDIDATES = 10  # nearest skills by embedding looked at per name
_BM25_ROWS = 30  # best BM25 texts looked at per name (several may be one skill's)
_ROWS_PER_CANDIDATE = 3  # a candidate's texts compared word by word: its best BM25 ones + label
# A brand-like name is offered a skill sharing none of its words only when the calibrated score
# gives it a real chance: the profile form listed "table tennis" under "tableau" (the encoder's
# third nearest, 0.48 before calibration), one click from becoming the person's skill.
SUGGEST_FLOOR = 0.05
# A product's name typed run together ("powerbi"): found by rule, not by an exact label.
JOINED_SCORE = 0.95
_JOINED_MIN = 5  # letters: shorter run-together keys ("msbi") name too many things
WARM_UP_TEXT = "data analysis"  # asked once after a background `prepare`: any words would do


@dataclass(frozen=True, slots=True)
class SkillMatch:
    skill_id: str
    label: str
    score: float  # 0..1; 1.0 for an exact label, alt-label or custom match
    # "label" | "alias" | "alt_label" | "spelling" | "partial_label" | "embedding" | "custom"
    method: str
    # A custom skill: the closest taxonomy skill it was not close enough to, and its score.
    nearest: tuple[str, float] | None = None


@dataclass(frozen=True, slots=True)
class _Candidate:
    skill_id: str
    score: float  # calibrated probability that this is the skill meant
    method: str  # "partial_label" | "embedding"
    resolvable: bool  # False: a brand-like name and a skill sharing none of its words


@dataclass(frozen=True, slots=True)
class _Evidence:
    """One name's candidates: skill numbers of `index` and a row of features for each."""

    index: _LabelIndex
    skill_numbers: list[int]
    features: np.ndarray  # (candidates, len(FEATURES))
    partial: list[bool]  # a label of the skill appears word for word inside the name


def custom_skill_id(text: str) -> str:
    """`custom:<slug>` for a skill the taxonomy lacks, stable for equivalent spellings."""
    key = normalize_label(text).replace("+", " plus ").replace("#", " sharp ")
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9.]+", "-", ascii_key).strip("-.")[:_MAX_SLUG].strip("-.")
    if not slug:  # e.g. a name in a non-Latin script: fall back to a digest of the text
        slug = "h-" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"custom:{slug}"


def _require_text(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("skill text must be a non-empty string")
    return text.strip()


class _LabelIndex:
    """Embeddings of every label and alt label; each skill's rows are contiguous."""

    def __init__(self, dimension: int) -> None:
        self.skill_ids: list[str] = []  # position = skill number
        self.positions: dict[str, int] = {}
        self.starts = np.zeros(0, dtype=np.int64)  # skill number -> its first row
        self.vectors = np.zeros((0, dimension), dtype=np.float32)
        self.retired = np.zeros(0, dtype=bool)  # skill number -> no longer suggested
        self.texts: list[str] = []  # row -> its text
        self.row_skill = np.zeros(0, dtype=np.int64)  # row -> skill number
        self._lexical: LexicalIndex | None = None
        self._lexical_lock = threading.Lock()

    def extended(
        self, skills: list[TaxonomySkill], texts: list[str], owners: list[str], vectors: np.ndarray
    ) -> _LabelIndex:
        """A new index with these skills appended; texts are grouped by owner, in skill order.

        A new object rather than in-place growth: a request holding the old index keeps a
        consistent view while another thread adds a custom skill.
        """
        first_rows: list[int] = []
        for row, owner in enumerate(owners):
            if row == 0 or owner != owners[row - 1]:
                first_rows.append(len(self.vectors) + row)
        if len(first_rows) != len(skills):
            raise ValueError("every skill needs at least one text, grouped by skill")
        index = _LabelIndex(self.vectors.shape[1])
        index.skill_ids = self.skill_ids + [skill.skill_id for skill in skills]
        index.positions = {skill_id: i for i, skill_id in enumerate(index.skill_ids)}
        index.starts = np.concatenate([self.starts, np.asarray(first_rows, dtype=np.int64)])
        index.vectors = np.vstack([self.vectors, vectors])
        index.retired = np.concatenate([self.retired, np.zeros(len(skills), dtype=bool)])
        index.texts = self.texts + list(texts)
        new_rows = np.arange(len(self.texts), len(index.texts))
        owners_of_new = np.searchsorted(index.starts, new_rows, side="right") - 1
        index.row_skill = np.concatenate([self.row_skill, owners_of_new]).astype(np.int64)
        return index

    def lexical(self) -> LexicalIndex:
        """The BM25 index over the same rows, built on first use (~1 s for ESCO's texts)."""
        with self._lexical_lock:
            if self._lexical is None:
                self._lexical = LexicalIndex(self.texts, self.row_skill.tolist())
            return self._lexical

    def best_scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine of the query with each skill's closest text (label or any alt label)."""
        scores: np.ndarray = self.best_scores_many(query[None, :])[0]
        return scores

    def best_scores_many(self, queries: np.ndarray) -> np.ndarray:
        """`best_scores` for each row of `queries`: (queries, skills)."""
        # A skill found through several alt labels counts once, with its best score;
        # reduceat over the contiguous row groups is much faster than ufunc.at.
        similarity = queries @ self.vectors.T
        best = np.clip(np.maximum.reduceat(similarity, self.starts, axis=1), 0.0, 1.0)
        best[:, self.retired] = -1.0  # below anything a live skill can score
        return best


class SkillNormalizer:
    """Suggest and resolve taxonomy skills for free text.

    `cache_path` is the directory of the text store that keeps the label embeddings; `embed_key`
    is the encoder's model id, since vectors from another model must not be reused.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        embed: Embedder | None = None,
        *,
        # 0.60 measured on ~40 common phrasings: 0.55 let "docker" become "write dock records"
        # (0.58) while the lowest correct embedding match seen was "NLP" -> natural language
        # processing (0.60). Below the bar a name is kept as a custom skill, which is safe.
        min_score: float = 0.60,
        cache_path: Path | None = None,
        embed_key: str = "default",
        calibration: Calibration = FITTED,
    ) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError("min_score must lie in [0, 1]")
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
        # Set by a server that encodes the labels in the background (`prepare`): until then
        # `suggest` answers lexically rather than encoding 45k labels inside a request.
        self.lexical_until_ready = False
        self.calibration = calibration
        self._index: _LabelIndex | None = None
        self._spelling: SpellingIndex | None = None
        self._words: frozenset[str] | None = None
        self._joined: dict[str, str] | None = None
        self._waiting: list[TaxonomySkill] = []  # reviewed since the index was built
        # Index building and custom-skill creation mutate shared state: one at a time.
        self._lock = threading.RLock()

    # -- public API ------------------------------------------------------------------------

    def suggest(self, text: str, limit: int = 5) -> list[SkillMatch]:
        """Ranked skills for the text, best first.

        An exact label or alt-label match comes first with score 1.0. Then other skills by
        their calibrated score: the estimated probability that the skill is what was meant,
        from the embedding's cosine and the words the text shares with the skill's labels.
        A skill whose label appears word for word inside the text ("SQL" in "SQL databases")
        is marked "partial_label". Without an encoder: labels found inside the text, scored by
        the share of the text they cover.
        """
        text = _require_text(text)
        if limit < 1:
            raise ValueError("limit must be at least 1")
        matches: list[SkillMatch] = []
        exact = self.taxonomy.lookup_label(text) or self._run_together(text)
        if exact is not None:
            skill, method = exact
            score = JOINED_SCORE if method == "joined_name" else 1.0
            matches.append(SkillMatch(skill.skill_id, skill.label, score, method))
        if len(matches) >= limit:
            return matches
        if self.embed is None or not self.taxonomy.skills or not self._embedding_ready():
            partial = self._partial_matches(text)
            ranked = sorted(partial.items(), key=lambda item: (-item[1], item[0]))
            scored = [(skill_id, coverage, "partial_label") for skill_id, coverage in ranked]
        else:
            scored = [
                (c.skill_id, c.score, c.method)
                for c in self._ranked([text], limit - len(matches) + 1)[0]
                if c.resolvable or c.score >= SUGGEST_FLOOR
            ]
        taken = {match.skill_id for match in matches}
        for skill_id, score, method in scored:
            if len(matches) == limit:
                break
            if skill_id not in taken and skill_id in self.taxonomy.skills:
                label = self.taxonomy.skills[skill_id].label
                matches.append(SkillMatch(skill_id, label, score, method))
        return matches

    def resolve(self, text: str) -> SkillMatch:
        """The best match if exact or scoring >= min_score; otherwise a custom skill (its id is
        stable for equivalent spellings; storing it is the caller's business)."""
        return self.resolve_many([text])[0]

    def resolve_many(self, texts: list[str]) -> list[SkillMatch]:
        """`resolve` for many texts, encoding all of them in one batch.

        A skill is taken when its calibrated score reaches `min_score` and the evidence is more
        than the embedding's for a brand-like name; otherwise the name is a custom skill that
        names the closest skill it was not close enough to.
        """
        texts = [_require_text(text) for text in texts]
        out: list[SkillMatch | None] = [None] * len(texts)
        nearest: dict[int, tuple[str, float]] = {}
        pending: list[int] = []
        spelling = self._spelling_index()
        for i, text in enumerate(texts):
            exact = self.taxonomy.lookup_label(text) or self._run_together(text)
            typo = None
            if exact is None and not product_like(text, self._vocabulary()):
                typo = spelling.lookup(normalize_label(text))
            if exact is not None:
                score = JOINED_SCORE if exact[1] == "joined_name" else 1.0
                out[i] = SkillMatch(exact[0].skill_id, exact[0].label, score, exact[1])
            elif typo is not None and typo in self.taxonomy.skills:
                label = self.taxonomy.skills[typo].label
                out[i] = SkillMatch(typo, label, SPELLING_SCORE, "spelling")
            else:
                pending.append(i)
        if pending and self.embed is not None and self.taxonomy.skills:
            # Kept in the store: a name kept as a custom skill is composed into its profile.
            ranked = self._ranked([texts[i] for i in pending], 1, remember=True)
            for i, candidates in zip(pending, ranked, strict=True):
                best = next((c for c in candidates if c.skill_id in self.taxonomy.skills), None)
                if best is None:
                    continue
                label = self.taxonomy.skills[best.skill_id].label
                if best.score >= self.min_score and best.resolvable:
                    out[i] = SkillMatch(best.skill_id, label, best.score, best.method)
                else:
                    nearest[i] = (label, best.score)
        elif pending:
            for i in pending:
                partial = self._partial_matches(texts[i])
                if partial:
                    skill_id, coverage = min(partial.items(), key=lambda kv: (-kv[1], kv[0]))
                    if coverage >= self.min_score:
                        label = self.taxonomy.skills[skill_id].label
                        out[i] = SkillMatch(skill_id, label, coverage, "partial_label")
        return [
            match or self._custom(text, nearest.get(i))
            for i, (match, text) in enumerate(zip(out, texts, strict=True))
        ]

    def retire(self, skill_id: str) -> None:
        """Stop suggesting a skill (merged away, renamed or rejected). Its rows stay in the
        label index, which only grows; suggestions skip what the taxonomy no longer holds."""
        with self._lock:
            self.taxonomy.remove_skill(skill_id)
            index = self._index
            position = index.positions.get(skill_id) if index is not None else None
            if index is not None and position is not None:
                index.retired[position] = True

    def add_reviewed(self, skill: TaxonomySkill) -> None:
        """A skill HR reviewed (or another process stored) joins the vocabulary everyone is
        suggested; the label index grows on its next use."""
        with self._lock:
            self.taxonomy.add_skill(skill)
            index = self._index
            position = index.positions.get(skill.skill_id) if index else None
            if index is not None and position is not None:
                index.retired[position] = False
            else:
                self._waiting.append(skill)  # encoded on the index's next use

    @property
    def ready(self) -> bool:
        """Suggestions use the embedding (the label vectors are loaded), or there is none."""
        return self.embed is None or self._index is not None

    def warm_up(self) -> None:
        """Encode the labels and index their words now (at start-up), not on the first request."""
        self.warm_up_lexical()
        if self.embed is not None:
            self._current_index().lexical()

    def warm_up_lexical(self) -> None:
        """What the encoder-free path needs (spelling, vocabulary, run-together names): built
        before the first request, so it never waits behind the label index."""
        self._spelling_index()
        self._joined_names()

    def missing_vectors(self) -> int:
        """Label texts whose vectors are neither in the store nor in an earlier layout's file
        (taken into the store now): what building the label index would encode."""
        if self.embed is None or self._index is not None:
            return 0
        texts, owners = self._texts(list(self.taxonomy.skills.values()))
        if self.store is None:
            return len(set(texts))
        self._adopt_legacy(texts, owners)
        return len(self.store.missing(texts))

    def prepare(
        self,
        progress: Progress | None = None,
        *,
        chunk: int = ENCODE_CHUNK,
        stop: threading.Event | None = None,
    ) -> None:
        """Encode the label texts the store lacks, a chunk at a time (each saved, so another
        worker or a restart goes on from there), build the label index and load the model:
        for a thread started with the server, which answers `suggest` lexically
        (`lexical_until_ready`) until this returns."""
        if self.embed is None:
            return
        if self.store is not None:
            texts, owners = self._texts(list(self.taxonomy.skills.values()))
            self._adopt_legacy(texts, owners)
            self.store.fill(texts, self._encode, progress=progress, chunk=chunk, stop=stop)
            if stop is not None and stop.is_set():
                return
        self._current_index().lexical()
        self._ranked([WARM_UP_TEXT], 1)  # loads the model, if nothing above needed it
        self.lexical_until_ready = False

    # -- internals -------------------------------------------------------------------------

    def _partial_matches(self, text: str) -> dict[str, float]:
        """Skills whose label or alt label is a run of words inside the text -> share covered.

        Longer runs are tried first, so "machine learning models" credits "machine learning"
        (2/3) before anything matching "learning" alone.
        """
        words = normalize_label(text).split(" ")[:_MAX_QUERY_WORDS]
        found: dict[str, float] = {}
        for size in range(len(words) - 1, 0, -1):
            for start in range(len(words) - size + 1):
                hit = self.taxonomy.lookup_label(" ".join(words[start : start + size]))
                if hit is not None and hit[0].skill_id not in found:
                    found[hit[0].skill_id] = size / len(words)
        return found

    def _check_dimension(self, queries: np.ndarray, index: _LabelIndex) -> None:
        if queries.shape[-1] != index.vectors.shape[1]:
            raise ValueError(
                f"the encoder gives {queries.shape[-1]}-d vectors but the label embeddings are "
                f"{index.vectors.shape[1]}-d: a cache from another model? (embed_key "
                f"{self.embed_key!r})"
            )

    def _ranked(
        self, texts: list[str], limit: int, *, remember: bool = False
    ) -> list[list[_Candidate]]:
        """For each text, its best `limit` candidates by calibrated score."""
        out: list[list[_Candidate]] = []
        for found in self.candidate_evidence(texts, remember=remember):
            if not found.skill_numbers:
                out.append([])
                continue
            scores = self.calibration.probability(found.features)
            cosine = found.features[:, 0]
            order = np.lexsort((-cosine, -scores))[:limit]
            brand = found.features[:, FEATURES.index("brand_unsupported")] > 0
            out.append(
                [
                    _Candidate(
                        found.index.skill_ids[found.skill_numbers[k]],
                        float(scores[k]),
                        "partial_label" if found.partial[k] else "embedding",
                        not bool(brand[k]),
                    )
                    for k in order.tolist()
                ]
            )
        return out

    def candidate_evidence(self, texts: list[str], *, remember: bool = False) -> list[_Evidence]:
        """Each text's candidate skills (nearest by cosine, best by BM25, labels inside it)
        with their evidence features (data/taxonomy/calibration.py FEATURES), vectorised per
        block of names: one matrix product and one BM25 retrieval for the whole block.
        `remember`: keep the names' vectors in the store (names that become profile skills;
        not what someone types into a search box, keystroke by keystroke)."""
        index = self._current_index()
        queries = self._stored(texts) if remember else self._encode(texts)
        self._check_dimension(queries, index)
        lexical = index.lexical()
        rows, bm25 = lexical.retrieve([words(text) for text in texts], _BM25_ROWS)
        out: list[_Evidence] = []
        for start in range(0, len(texts), _SCORE_BLOCK):
            best = index.best_scores_many(queries[start : start + _SCORE_BLOCK])
            count = min(_COSINE_CANDIDATES, best.shape[1])
            near = np.argpartition(-best, count - 1, axis=1)[:, :count]
            for j in range(best.shape[0]):
                i = start + j
                out.append(
                    self._evidence(index, lexical, texts[i], best[j], near[j], rows[i], bm25[i])
                )
        return out

    def _evidence(
        self,
        index: _LabelIndex,
        lexical: LexicalIndex,
        text: str,
        cosines: np.ndarray,
        near: np.ndarray,
        rows: np.ndarray,
        bm25: np.ndarray,
    ) -> _Evidence:
        compared: dict[int, list[int]] = {}  # skill number -> its texts to compare word by word
        bm25_best: dict[int, float] = {}
        for row, score in zip(rows.tolist(), bm25.tolist(), strict=True):
            if score <= 0.0:
                continue
            number = int(index.row_skill[row])
            if index.retired[number]:
                continue
            bm25_best[number] = max(bm25_best.get(number, 0.0), score)
            group = compared.setdefault(number, [])
            if len(group) < _ROWS_PER_CANDIDATE:
                group.append(row)
        for number in near.tolist():
            if not index.retired[number]:
                compared.setdefault(number, [])
        for row in lexical.expansions(text):
            number = int(index.row_skill[row])
            if not index.retired[number]:
                compared.setdefault(number, []).append(row)
        inside: dict[int, float] = {}
        for skill_id, coverage in self._partial_matches(text).items():
            known = index.positions.get(skill_id)  # None: added by another thread just now
            if known is not None and not index.retired[known]:
                compared.setdefault(known, [])
                inside[known] = coverage
        numbers = list(compared)
        if not numbers:
            return _Evidence(index, [], np.zeros((0, len(FEATURES))), [])
        brand = lexical.brand_like(text)
        typed = raw_words(text)
        vocabulary = self._vocabulary()
        top_cosine = float(max(cosines[n] for n in numbers))
        top_bm25 = max(bm25_best.values(), default=0.0)
        query_words = np.log1p(len(words(text)))
        features = np.zeros((len(numbers), len(FEATURES)))
        for k, number in enumerate(numbers):
            label_row = int(index.starts[number])
            candidates = dict.fromkeys([*compared[number], label_row])
            pairs = [lexical.evidence(text, index.texts[row]) for row in candidates]
            chosen = max(pairs, key=lambda e: (e.query_cover + e.text_cover, e.trigrams))
            acronym = any(e.acronym for e in pairs)
            core = any(typed in core_forms(index.texts[row], vocabulary) for row in candidates)
            # A brand-like name one letter from a word ("Datadog", "Datalog") is another name;
            # its name proper typed run together ("powerbi") is that name.
            if brand:
                supported = acronym or core or any(e.exact_word for e in pairs)
            else:
                supported = chosen.query_cover > 0.0 or acronym or core
            cosine = float(cosines[number])
            skill = self.taxonomy.skills.get(index.skill_ids[number])
            features[k] = (
                cosine,
                cosine - top_cosine,
                chosen.query_cover,
                max(e.prefix_cover for e in pairs),
                inside.get(number, 0.0),
                chosen.text_cover,
                max(e.trigrams for e in pairs),
                float(acronym),
                bm25_best.get(number, 0.0) / top_bm25 if top_bm25 > 0 else 0.0,
                float(not supported),
                cosine if not supported else 0.0,
                float(brand and not supported),
                float(skill is not None and skill.skill_type == "tool"),
                query_words,
                float(core),
            )
        return _Evidence(index, numbers, features, [n in inside for n in numbers])

    def _custom(self, text: str, nearest: tuple[str, float] | None = None) -> SkillMatch:
        # Never added to the shared taxonomy here: a name from a request that then fails must
        # not be suggested to anyone (the importer stores it with the records that use it).
        skill_id = custom_skill_id(text)
        known = self.taxonomy.skills.get(skill_id)
        return SkillMatch(skill_id, known.label if known else text, 1.0, "custom", nearest)

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.embed is None:
            raise RuntimeError("no encoder was given to this SkillNormalizer")
        # Unit rows even for an encoder that forgot: the inner product stays a cosine.
        return unit_rows(self.embed(texts), len(texts))

    def _stored(self, texts: list[str]) -> np.ndarray:
        """The texts' vectors from the store, encoding only those it lacks."""
        if self.store is None:
            return self._encode(texts)
        return self.store.vectors(texts, self._encode)

    def _embedding_ready(self) -> bool:
        return not self.lexical_until_ready

    @staticmethod
    def _texts(skills: list[TaxonomySkill]) -> tuple[list[str], list[str]]:
        texts: list[str] = []
        owners: list[str] = []
        for skill in skills:
            seen: set[str] = set()
            # ESCO's other names, run together where they cannot be cut apart, still say what
            # the skill is called: one more text to compare with, after the separate ones.
            alt_text = " ".join(skill.alt_text.split(" ")[:_MAX_ALT_TEXT_WORDS])
            for text in (skill.label, *skill.alt_labels, *([alt_text] if alt_text else [])):
                if text not in seen:
                    seen.add(text)
                    texts.append(text)
                    owners.append(skill.skill_id)
        return texts, owners

    def _run_together(self, text: str) -> tuple[TaxonomySkill, str] | None:
        """The one product whose name proper, of two or three words, is the text typed as one
        word ("powerbi" for Microsoft Power BI, "googlesheets" for Google Sheets)."""
        typed = raw_words(text)
        if len(typed) != 1 or len(typed[0]) < _JOINED_MIN:
            return None
        skill_id = self._joined_names().get(typed[0])
        skill = self.taxonomy.skills.get(skill_id or "")
        return (skill, "joined_name") if skill is not None else None

    def _joined_names(self) -> dict[str, str]:
        """Run-together name -> the product it names, where only one product has it (built
        on first use from the products then known)."""
        if self._joined is not None:
            return self._joined
        vocabulary = self._vocabulary()
        known = self._by_word_vocabulary()
        with self._lock:
            if self._joined is None:
                # key -> {skill: words taken off its name to get there}; the product it names
                # with the fewest taken off ("Power BI" itself over "Bing for Power BI").
                owners: dict[str, dict[str, int]] = {}
                for skill in self.taxonomy.skills.values():
                    if (
                        skill.skill_type != "tool"
                        and skill.skill_id not in self.taxonomy.tool_categories
                    ):
                        continue
                    for name in (skill.label, *skill.alt_labels):
                        whole = len(raw_words(name))
                        for form in core_forms(name, vocabulary):
                            key = "".join(form)
                            if 1 < len(form) <= 3 and key not in known:
                                taken_off = whole - len(form)
                                found = owners.setdefault(key, {})
                                found[skill.skill_id] = min(
                                    found.get(skill.skill_id, 99), taken_off
                                )
                joined: dict[str, str] = {}
                for key, found in owners.items():
                    fewest = min(found.values())
                    best = [s for s, n in found.items() if n == fewest]
                    if len(best) == 1:
                        joined[key] = best[0]
                self._joined = joined
            return self._joined

    def _by_word_vocabulary(self) -> frozenset[str]:
        """Every word of every label and alias, as written (a run-together key that is a word
        of its own, "database", is that word, not a product)."""
        return frozenset(
            word
            for skill in self.taxonomy.skills.values()
            for text in (skill.label, *skill.alt_labels)
            for word in raw_words(text)
        )

    def _vocabulary(self) -> frozenset[str]:
        """Words of the labels known when the spelling index was built (tools' names apart:
        a product's name is not a word of the vocabulary)."""
        if self._words is not None:
            return self._words
        with self._lock:
            if self._words is None:
                self._words = frozenset(
                    word
                    for skill in self.taxonomy.skills.values()
                    if skill.skill_type != "tool"
                    for text in (skill.label, *skill.alt_labels)
                    for word in words(text)
                )
            return self._words

    def _spelling_index(self) -> SpellingIndex:
        """Built on first use from the labels then known (skills reviewed later are found by
        their exact label and the embedding, not by spelling)."""
        with self._lock:
            if self._spelling is None:
                self._spelling = SpellingIndex(self.taxonomy.exact_labels())
            return self._spelling

    def _current_index(self) -> _LabelIndex:
        """The index, built on first use and extended with skills added since (custom ones)."""
        with self._lock:
            if self._index is None:
                skills = list(self.taxonomy.skills.values())
                texts, owners = self._texts(skills)
                vectors = self._load_or_encode(texts, owners)
                self._index = _LabelIndex(vectors.shape[1]).extended(skills, texts, owners, vectors)
            elif self._waiting:
                new = [s for s in self._waiting if s.skill_id not in self._index.positions]
                self._waiting = []
                if new:
                    texts, owners = self._texts(new)
                    self._index = self._index.extended(new, texts, owners, self._stored(texts))
                    self._save()
            return self._index

    def _load_or_encode(self, texts: list[str], owners: list[str]) -> np.ndarray:
        """The label texts' vectors: from the store (or an earlier layout's file, taken into
        it), encoding only what neither holds."""
        self._adopt_legacy(texts, owners)
        vectors = self._stored(texts)
        self._save()
        return vectors

    def _adopt_legacy(self, texts: list[str], owners: list[str]) -> None:
        if self.store is None or not self.store.missing(texts):
            return
        path = cache_file(self.cache_path, "skill-labels", self.embed_key, texts, owners)
        legacy = read_legacy_list(path, len(texts))
        if legacy is not None:
            self.store.adopt(texts, legacy)

    def _save(self) -> None:
        if self.store is not None:
            self.store.save()
