"""Lexical evidence for job titles, and skill evidence for titles that name no occupation.

`TitleLexicon` scores every occupation by the words its titles share with a query: an
IDF-weighted Jaccard overlap (0..1, the same scale as a cosine), best title per occupation,
lower when the title's head noun (its last word: "fish COOK") differs. It also measures how
spread a word is over the taxonomy: "manager" is in the titles of 621 occupations across ~70
ISCO minor groups, "cook" in 10 occupations of 5; a title made only of spread words names no
occupation on its own ("Team Member", "Senior Associate II").

`SkillProfiles` scores occupations by the skills a person or a posting lists: the share of
those skills (weighted by how specific each is) that the occupation's profile holds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence

import numpy as np
from scipy import sparse

from data.taxonomy.model import Taxonomy
from data.taxonomy.spelling import SpellingIndex
from data.taxonomy.title_words import tokens

# A word whose occupations spread over at least this many ISCO minor groups (the perplexity of
# their distribution) names no kind of work on its own. Measured on ESCO 1.2.0: "employee" 9.7,
# "data" 13, "engineer" 13, "manager" 33 against "nurse" 6.9, "teacher" 6.6, "cook" 3.9.
GENERIC_SPREAD = 8.0
HEAD_MISMATCH = 0.85  # a title whose last word differs names other work ("cook" vs "fish")
SPELLING_MIN = 6  # words shorter than this are too often other words one letter away
DOC_K1, DOC_B = 1.2, 0.75  # BM25's saturation and length normalisation, its usual values


class TitleLexicon:
    def __init__(
        self,
        texts: Sequence[str],
        owners: Sequence[int],
        weights: Sequence[float],
        occupation_groups: Sequence[str],
        *,
        spread_rows: Sequence[bool],
    ) -> None:
        """`texts`: every title row; `owners`: its occupation's number (rows contiguous per
        occupation); `weights`: how much a row's match counts (O*NET titles a little less
        than ESCO's own); `spread_rows`: the rows that count for a word's spread."""
        self._owner = np.asarray(owners, dtype=np.int64)
        self._starts = np.flatnonzero(np.r_[True, self._owner[1:] != self._owner[:-1]])
        self._group_owner = self._owner[self._starts]
        self._count = len(occupation_groups)
        self._row_weight = np.asarray(weights, dtype=np.float32)
        row_tokens = [tokens(t) for t in texts]
        self.vocabulary: dict[str, int] = {}
        cols: list[int] = []
        indptr = [0]
        heads: list[int] = []
        for words in row_tokens:
            ids = {self.vocabulary.setdefault(w, len(self.vocabulary)) for w in words}
            cols.extend(sorted(ids))
            indptr.append(len(cols))
            heads.append(self.vocabulary[words[-1]] if words else -1)
        self._heads = np.asarray(heads, dtype=np.int64)
        self._rows = sparse.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), cols, indptr),
            shape=(len(row_tokens), max(len(self.vocabulary), 1)),
        )
        # Document frequency by occupation (not by row: an occupation with 40 alt titles
        # holding "nurse" is one occupation).
        occupations_of: list[set[int]] = [set() for _ in self.vocabulary]
        for row, words in enumerate(row_tokens):
            if spread_rows[row]:
                for w in words:
                    occupations_of[self.vocabulary[w]].add(int(self._owner[row]))
        self._occupations_of = occupations_of
        n = max(self._count, 1)
        self.idf = np.asarray(
            [math.log(1 + n / (1 + len(o))) for o in occupations_of], dtype=np.float32
        )
        self._unknown_idf = float(math.log(1 + n))
        self._row_mass = np.asarray(self._rows @ self.idf).ravel()
        self._groups = list(occupation_groups)
        self._spelling = SpellingIndex((w, w) for w in self.vocabulary if len(w) >= SPELLING_MIN)
        self._documents = self._document_weights()

    def _document_weights(self) -> sparse.csr_matrix:
        """BM25 weights of each occupation's titles taken together as one document (a word in
        many of its titles counts more, up to saturation): "production sorter" finds the work
        whose titles say "production" in one and "sorter" in another."""
        pick = sparse.csr_matrix(
            (
                np.ones(len(self._owner), dtype=np.float32),
                (self._owner, np.arange(len(self._owner))),
            ),
            shape=(self._count, len(self._owner)),
        )
        counts = sparse.csr_matrix(pick @ self._rows)
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        listed = np.asarray((counts > 0).sum(axis=0)).ravel()
        n = max(self._count, 1)
        idf = np.log(1 + (n - listed + 0.5) / (listed + 0.5)).astype(np.float32)
        self._document_idf = idf
        norm = DOC_K1 * (1 - DOC_B + DOC_B * lengths / max(float(lengths.mean()), 1e-9))
        rows = np.repeat(np.arange(self._count), np.diff(counts.indptr))
        tf = counts.data
        counts.data = (idf[counts.indices] * tf * (DOC_K1 + 1) / (tf + norm[rows])).astype(
            np.float32
        )
        return counts

    def document_scores(self, text: str) -> np.ndarray:
        """Per occupation, 0..1: the BM25 of the text against all its titles together, over
        what a document holding every word of the text at saturation would score (a word no
        title uses counts as missing at the highest weight)."""
        words = self.words(text)
        known = sorted({self.vocabulary[w] for w in words if w in self.vocabulary})
        if not known:
            return np.zeros(self._count, dtype=np.float32)
        query = np.zeros(self._rows.shape[1], dtype=np.float32)
        query[known] = 1.0
        scores = np.asarray(self._documents @ query).ravel()
        unknown = len({w for w in words if w not in self.vocabulary})
        ceiling = (DOC_K1 + 1) * (
            float(self._document_idf[known].sum()) + unknown * float(self._document_idf.max())
        )
        return np.clip(scores / ceiling, 0.0, 1.0).astype(np.float32)

    def words(self, text: str) -> list[str]:
        """The text's content words, a misspelt one replaced by the one title word a single
        edit away ("dietician" -> "dietitian")."""
        out = []
        for w in tokens(text):
            if w not in self.vocabulary and len(w) >= SPELLING_MIN:
                w = self._spelling.lookup(w) or w
            out.append(w)
        return out

    def scores(self, text: str) -> np.ndarray:
        """Per occupation, 0..1: the best IDF-weighted overlap of one of its titles with the
        text, lowered where the title's head noun is another word."""
        words = self.words(text)
        result = np.zeros(self._count, dtype=np.float32)
        known = sorted({self.vocabulary[w] for w in words if w in self.vocabulary})
        if not known:
            return result
        unknown = len({w for w in words if w not in self.vocabulary})
        query = np.zeros(self._rows.shape[1], dtype=np.float32)
        query[known] = self.idf[known]
        mass = float(query.sum()) + unknown * self._unknown_idf
        shared = np.asarray(self._rows @ query).ravel()
        overlap = shared / np.maximum(self._row_mass + mass - shared, 1e-9)
        head = self.vocabulary.get(words[-1], -2)
        overlap *= np.where(self._heads == head, 1.0, HEAD_MISMATCH) * self._row_weight
        best = np.maximum.reduceat(overlap, self._starts)
        result[self._group_owner] = best
        return result

    def spread(self, word_ids: Collection[int]) -> float:
        """Over how many ISCO minor groups the occupations whose titles hold all these words
        spread (exp of the entropy); 0 when no title holds them all."""
        sets = [self._occupations_of[i] for i in word_ids]
        if not sets:
            return 0.0
        joint = set.intersection(*sets)
        if not joint:
            return 0.0
        counts = Counter(self._groups[o][:3] for o in joint)
        total = sum(counts.values())
        return math.exp(-sum(c / total * math.log(c / total) for c in counts.values()))

    def is_generic(self, text: str) -> bool:
        """True when every word of the title is spread over many kinds of work and so are the
        titles holding them all ("team member": no title holds both), or it has no word."""
        words = self.words(text)
        if not words:
            return True
        if any(w not in self.vocabulary for w in words):
            return False  # a word no occupation title uses ("Java") may well name the work
        ids = {self.vocabulary[w] for w in words}
        if any(self.spread({i}) < GENERIC_SPREAD for i in ids):
            return False
        # Two of its words that titles use together for one kind of work name it, whatever the
        # rest: "food service manager" (no title holds all three; "food service" is specific).
        pairs = [{a, b} for a in ids for b in ids if a < b] if len(ids) > 2 else []
        if any(0.0 < self.spread(pair) < GENERIC_SPREAD for pair in pairs):
            return False
        together = self.spread(ids)
        return together == 0.0 or together >= GENERIC_SPREAD


class SkillProfiles:
    """Occupations scored by the skills listed: essential skills count fully, optional ones
    and the occupation's tools a little less; a skill in few profiles counts for more."""

    ESSENTIAL = 1.0
    OPTIONAL = 0.6
    TOOL = 0.6

    def __init__(self, taxonomy: Taxonomy, occupation_ids: Sequence[str]) -> None:
        self._column: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for number, occupation_id in enumerate(occupation_ids):
            occupation = taxonomy.occupations[occupation_id]
            weight: dict[str, float] = {}
            for ids, w in (
                (occupation.tool_ids, self.TOOL),
                (occupation.optional_skill_ids, self.OPTIONAL),
                (occupation.essential_skill_ids, self.ESSENTIAL),
            ):
                for skill_id in ids:
                    weight[skill_id] = w
            for skill_id, w in weight.items():
                rows.append(number)
                cols.append(self._column.setdefault(skill_id, len(self._column)))
                values.append(w)
        self._matrix = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float32), (rows, cols)),
            shape=(len(occupation_ids), max(len(self._column), 1)),
        )
        listed = np.asarray((self._matrix > 0).sum(axis=0)).ravel()
        n = max(len(occupation_ids), 1)
        self._idf = np.log(1 + n / (1 + listed)).astype(np.float32)
        self._unknown_idf = float(math.log(1 + n))
        self._count = len(occupation_ids)

    def scores(self, skill_ids: Collection[str]) -> tuple[np.ndarray, np.ndarray]:
        """(score 0..1, number of the skills in the profile), per occupation. The score is the
        specificity-weighted share of the listed skills the occupation's profile holds."""
        known = sorted({self._column[s] for s in skill_ids if s in self._column})
        unknown = len(set(skill_ids)) - len(known)
        if not known:
            return np.zeros(self._count, dtype=np.float32), np.zeros(self._count, dtype=np.int64)
        query = np.zeros(self._matrix.shape[1], dtype=np.float32)
        query[known] = self._idf[known]
        mass = float(query.sum()) + unknown * self._unknown_idf
        score = np.asarray(self._matrix @ query).ravel() / mass
        held = np.zeros(self._matrix.shape[1], dtype=np.float32)
        held[known] = 1.0
        count = np.asarray((self._matrix > 0).astype(np.float32) @ held).ravel()
        return score.astype(np.float32), count.astype(np.int64)
