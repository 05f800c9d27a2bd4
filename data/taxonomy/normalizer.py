"""Map free-text skill names to taxonomy skills: exact labels first, then embedding neighbours.

The encoder is injected as a plain function (texts -> L2-normalised float32 rows) so that
`data/` stays free of torch and of `matching/`. Each label text is encoded once, in one batch,
when first needed, and can be persisted as .npy keyed by the label list. A name one typo away
from a single label is that skill without the encoder (data/taxonomy/spelling.py).
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
from data.taxonomy.model import Taxonomy, TaxonomySkill
from data.taxonomy.spelling import SCORE as SPELLING_SCORE
from data.taxonomy.spelling import SpellingIndex
from data.taxonomy.text_vectors import Embedder, cache_file, load_or_encode, safe_name, unit_rows

_MAX_SLUG = 80
_MAX_QUERY_WORDS = 12  # longer texts are sentences, not skill names: look at their start only
_MAX_ALT_TEXT_WORDS = 32  # encoder cost grows with length; 32 words cover most skills' names
_SCORE_BLOCK = 256  # names scored per matrix product (256 x ~45k label rows: ~46 MB)


@dataclass(frozen=True, slots=True)
class SkillMatch:
    skill_id: str
    label: str
    score: float  # 0..1; 1.0 for an exact label, alt-label or custom match
    # "label" | "alias" | "alt_label" | "spelling" | "partial_label" | "embedding" | "custom"
    method: str
    # A custom skill: the closest taxonomy skill it was not close enough to, and its score.
    nearest: tuple[str, float] | None = None


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
        return index

    def best_scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine of the query with each skill's closest text (label or any alt label)."""
        return self.best_scores_many(query[None, :])[0]

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

    `cache_path` is a directory for the label embeddings; `embed_key` names the encoder in the
    cache file name, since vectors from another model must not be reused.
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
    ) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError("min_score must lie in [0, 1]")
        self.taxonomy = taxonomy
        self.embed = embed
        self.min_score = min_score
        self.cache_path = Path(cache_path) if cache_path is not None else None
        self.embed_key = safe_name(embed_key, "default")
        self._index: _LabelIndex | None = None
        self._spelling: SpellingIndex | None = None
        self._waiting: list[TaxonomySkill] = []  # reviewed since the index was built
        # Index building and custom-skill creation mutate shared state: one at a time.
        self._lock = threading.RLock()

    # -- public API ------------------------------------------------------------------------

    def suggest(self, text: str, limit: int = 5) -> list[SkillMatch]:
        """Ranked skills for the text, best first.

        An exact label or alt-label match comes first with score 1.0. Then every other skill by
        score: the cosine between the text and the skill's closest label, raised for a skill
        whose label appears word for word inside the text ("SQL" in "SQL databases") by the
        share of the text that label covers, so that covering all of it would score 1.0.
        """
        text = _require_text(text)
        if limit < 1:
            raise ValueError("limit must be at least 1")
        matches: list[SkillMatch] = []
        exact = self.taxonomy.lookup_label(text)
        if exact is not None:
            skill, method = exact
            matches.append(SkillMatch(skill.skill_id, skill.label, 1.0, method))
        if len(matches) >= limit:
            return matches
        partial = self._partial_matches(text)
        if self.embed is None:
            ranked = sorted(partial.items(), key=lambda item: (-item[1], item[0]))
            scored = [(skill_id, coverage, "partial_label") for skill_id, coverage in ranked]
        else:
            scored = self._embedding_matches(text, partial, limit - len(matches))
        taken = {match.skill_id for match in matches}
        for skill_id, score, method in scored:
            if len(matches) == limit:
                break
            if skill_id not in taken:
                label = self.taxonomy.skills[skill_id].label
                matches.append(SkillMatch(skill_id, label, score, method))
        return matches

    def resolve(self, text: str) -> SkillMatch:
        """The best match if exact or scoring >= min_score; otherwise a custom skill (its id is
        stable for equivalent spellings; storing it is the caller's business)."""
        return self.resolve_many([text])[0]

    def resolve_many(self, texts: list[str]) -> list[SkillMatch]:
        """`resolve` for many texts, encoding all of them in one batch."""
        texts = [_require_text(text) for text in texts]
        out: list[SkillMatch | None] = [None] * len(texts)
        nearest: dict[int, tuple[str, float]] = {}
        pending: list[int] = []
        spelling = self._spelling_index()
        for i, text in enumerate(texts):
            exact = self.taxonomy.lookup_label(text)
            typo = spelling.lookup(normalize_label(text)) if exact is None else None
            if exact is not None:
                out[i] = SkillMatch(exact[0].skill_id, exact[0].label, 1.0, exact[1])
            elif typo is not None and typo in self.taxonomy.skills:
                label = self.taxonomy.skills[typo].label
                out[i] = SkillMatch(typo, label, SPELLING_SCORE, "spelling")
            else:
                pending.append(i)
        if pending and self.embed is not None and self.taxonomy.skills:
            queries = self._encode([texts[i] for i in pending])
            index = self._current_index()
            self._check_dimension(queries, index)
            # Scored a block of queries at a time: one matrix product instead of a pass over
            # every label vector per name (the names of a large import number tens of thousands).
            for start in range(0, len(pending), _SCORE_BLOCK):
                block = pending[start : start + _SCORE_BLOCK]
                best = index.best_scores_many(queries[start : start + _SCORE_BLOCK])
                for i, scores in zip(block, best, strict=True):
                    scored = self._top(index, scores, self._partial_matches(texts[i]), 1)
                    if scored:
                        skill_id, score, method = scored[0]
                        label = self.taxonomy.skills[skill_id].label
                        if score >= self.min_score:
                            out[i] = SkillMatch(skill_id, label, score, method)
                        else:
                            nearest[i] = (label, score)
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
            position = self._index.positions.get(skill_id) if self._index is not None else None
            if position is not None:
                self._index.retired[position] = True

    def add_reviewed(self, skill: TaxonomySkill) -> None:
        """A skill HR reviewed (or another process stored) joins the vocabulary everyone is
        suggested; the label index grows on its next use."""
        with self._lock:
            self.taxonomy.add_skill(skill)
            position = self._index.positions.get(skill.skill_id) if self._index else None
            if position is not None:
                self._index.retired[position] = False
            else:
                self._waiting.append(skill)  # encoded on the index's next use

    def warm_up(self) -> None:
        """Encode the labels now (at start-up) instead of on the first request."""
        self._spelling_index()
        if self.embed is not None:
            self._current_index()

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

    def _embedding_matches(
        self, text: str, partial: dict[str, float], limit: int
    ) -> list[tuple[str, float, str]]:
        if not self.taxonomy.skills:
            return []
        return self._scored(self._encode([text])[0], partial, limit)

    def _check_dimension(self, queries: np.ndarray, index: _LabelIndex) -> None:
        if queries.shape[-1] != index.vectors.shape[1]:
            raise ValueError(
                f"the encoder gives {queries.shape[-1]}-d vectors but the label embeddings are "
                f"{index.vectors.shape[1]}-d: a cache from another model? (embed_key "
                f"{self.embed_key!r})"
            )

    def _scored(
        self, query: np.ndarray, partial: dict[str, float], limit: int
    ) -> list[tuple[str, float, str]]:
        index = self._current_index()
        self._check_dimension(query, index)
        return self._top(index, index.best_scores(query), partial, limit)

    @staticmethod
    def _top(
        index: _LabelIndex, scores: np.ndarray, partial: dict[str, float], limit: int
    ) -> list[tuple[str, float, str]]:
        """The best `limit` (+1) skills by score, raised for labels found inside the text."""
        for skill_id, coverage in partial.items():
            position = index.positions.get(skill_id)  # None: added by another thread just now
            if position is not None:
                scores[position] += (1.0 - scores[position]) * coverage
        # One more than needed: the exact match, if any, is among them and gets dropped.
        count = min(limit + 1, len(scores))
        top = np.argpartition(-scores, count - 1)[:count]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [
            (
                index.skill_ids[i],
                float(scores[i]),
                "partial_label" if index.skill_ids[i] in partial else "embedding",
            )
            for i in top
            if not index.retired[i]
        ]

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
                    self._index = self._index.extended(new, texts, owners, self._encode(texts))
            return self._index

    def _load_or_encode(self, texts: list[str], owners: list[str]) -> np.ndarray:
        path = cache_file(self.cache_path, "skill-labels", self.embed_key, texts, owners)
        return load_or_encode(path, texts, self._encode)
