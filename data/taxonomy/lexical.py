"""Lexical evidence for the skill normaliser: BM25 over every label and alias, shared words.

The embedding says two texts are about similar things; it does not say that they name the same
thing. "Docker" sits near "dock operations" and "Tableau" near "table tennis" for the encoder,
yet share no word. This module holds what the words themselves say:
  - a BM25 index (bm25s) over every label and alt label, one row per text, which finds
    candidates the embedding misses and is retrieved for a whole batch of names at once;
  - per (name, text) pair: the share of the name's words found in the text (weighted by how
    rare each word is in the taxonomy), the share of the text's words found in the name, a
    character-trigram overlap, and whether the name is the text's acronym ("NLP");
  - whether a name looks like a brand or an acronym (a word no label uses, ALL CAPS, inner
    capitals): for such a name, embedding similarity alone is no evidence of meaning.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import bm25s
import numpy as np

from data.taxonomy.spelling import within_one_edit

_TOKEN = re.compile(r"[a-z0-9]+[+#]*")
# Words that carry no sense of their own in a skill's name.
STOPWORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it"}
    | {"of", "on", "or", "the", "to", "with", "via"}
)
_TYPO_MIN = 5  # words this long may match one typo apart ("sensrs" ~ "sensors")
_ACRONYM_LETTERS = (2, 6)
_MAX_EXPANSIONS = 20  # texts an acronym is compared with ("ML" has many expansions)


def fold(text: str) -> str:
    """Lower case, accents dropped: "Déjà" and "deja" are one word."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A light plural/-ing stem: "teams" = "team", "databases" = "database". Deliberately
    shallow: a brand must not be cut to a common word ("tableau" stays "tableau")."""
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Content words of a text, stemmed, stopwords out (all of them if that leaves none)."""
    tokens = [stem(t) for t in _TOKEN.findall(fold(text))]
    content = [t for t in tokens if t not in STOPWORDS]
    return content or tokens


def _trigrams(text: str) -> frozenset[str]:
    padded = f"  {' '.join(_TOKEN.findall(fold(text)))} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def trigram_dice(a: str, b: str) -> float:
    """Character-trigram overlap (Dice) of two texts: 1.0 for the same letters."""
    x, y = _trigrams(a), _trigrams(b)
    return 2 * len(x & y) / max(len(x) + len(y), 1)


def _initials(tokens: Sequence[str]) -> str:
    return "".join(t[0] for t in tokens if t not in STOPWORDS)


def is_acronym_of(short: str, long_words: Sequence[str]) -> bool:
    """ "nlp" for natural language processing (stopwords skipped); at least two words."""
    low, high = _ACRONYM_LETTERS
    return (
        low <= len(short) <= high
        and short.isalpha()
        and len(long_words) >= 2
        and (short == _initials(long_words))
    )


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    # One typo apart, both long enough that one letter rarely turns one word into another.
    return min(len(a), len(b)) >= _TYPO_MIN and within_one_edit(a, b)


def _related(a: str, b: str) -> bool:
    """The same word, or one starting like the other for at least _PREFIX letters."""
    if _same_word(a, b):
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return (
        len(short) >= _PREFIX
        and long.startswith(short[:_PREFIX])
        and (long.startswith(short) or short[: _PREFIX + 1] == long[: _PREFIX + 1])
    )


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """What the words of a name and of one candidate text have in common."""

    query_cover: float  # share of the name's word weight (idf) found in the text
    # Share of the name's word weight whose word shares a stem-like start with a word of the
    # text ("leadership" ~ "lead"): evidence for paraphrases, never support on its own
    # ("tableau" starts like "table").
    prefix_cover: float
    text_cover: float  # share of the text's words found in the name
    trigrams: float  # character-trigram Dice
    acronym: bool  # one is the other's initials
    text_in_query: bool  # every word of the text is in the name ("SQL" in "SQL databases")
    exact_word: bool = False  # some word of the name is a word of the text, letter for letter

    @property
    def supported(self) -> bool:
        """Some word of the name (or its initials) is in the text: a lexical link."""
        return self.query_cover > 0.0 or self.acronym


_NONE = PairEvidence(0.0, 0.0, 0.0, 0.0, False, False)
_PREFIX = 4  # letters two words must share at their start to count as related


class LexicalIndex:
    """BM25 over texts owned by skills, and the vocabulary of those texts."""

    def __init__(self, texts: Sequence[str], owners: Sequence[int]) -> None:
        """`owners[i]`: the skill number of text i (texts grouped by skill, in order)."""
        self.texts = list(texts)
        self.owners = np.asarray(owners, dtype=np.int64)
        tokenised = [words(text) for text in self.texts]
        self.document_frequency: dict[str, int] = {}
        for tokens in tokenised:
            for token in set(tokens):
                self.document_frequency[token] = self.document_frequency.get(token, 0) + 1
        self._rows = max(len(self.texts), 1)
        # Initials of every text of 2 to 6 words: the texts an acronym may stand for.
        self._initials: dict[str, list[int]] = {}
        low, high = _ACRONYM_LETTERS
        for row, tokens in enumerate(tokenised):
            content = [t for t in tokens if t not in STOPWORDS]
            if low <= len(content) <= high:
                self._initials.setdefault(_initials(content), []).append(row)
        self._bm25 = bm25s.BM25()
        # An empty row would break bm25s' indexing: give it a token no name can contain.
        self._bm25.index([t or ["\x00"] for t in tokenised] or [["\x00"]], show_progress=False)

    def idf(self, word: str) -> float:
        """Inverse document frequency over the texts; a word no text uses weighs most."""
        return math.log(1.0 + self._rows / (1 + self.document_frequency.get(word, 0)))

    def known(self, word: str) -> bool:
        return word in self.document_frequency

    def retrieve(
        self, queries: Sequence[Sequence[str]], rows: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Best `rows` texts per tokenised query: (row numbers, BM25 scores), both (n, rows)."""
        count = min(rows, len(self.texts))
        if not queries or count == 0:
            return np.zeros((len(queries), 0), np.int64), np.zeros((len(queries), 0), np.float32)
        found, scores = self._bm25.retrieve(
            [list(q) or ["\x00"] for q in queries], k=count, show_progress=False, n_threads=1
        )
        return np.asarray(found, dtype=np.int64), np.asarray(scores, dtype=np.float32)

    def expansions(self, query: str) -> list[int]:
        """Rows whose initials spell a one-word name ("NLP": natural language processing)."""
        tokens = _query_words(query)
        if len(tokens) != 1 or not tokens[0].isalpha():
            return []
        return self._initials.get(tokens[0], [])[:_MAX_EXPANSIONS]

    def evidence(self, query: str, text: str) -> PairEvidence:
        return _evidence(self, query, text)

    def brand_like(self, query: str) -> bool:
        """A name whose sense the embedding cannot know: a short name (three words or fewer)
        with a word no label of the taxonomy uses ("Tableau", "Jira", "Zorvex"), or written
        as an acronym or with inner capitals ("NLP", "SPSS", "PyTorch", "iOS")."""
        raw = _TOKEN.findall(fold(query))
        if not raw or len(raw) > 3:
            return False
        if any(not self.known(stem(w)) and not w.isdigit() and w not in STOPWORDS for w in raw):
            return True
        for word in re.findall(r"[^\W_]+", query):
            letters = [c for c in word if c.isalpha()]
            if len(letters) >= 2 and all(c.isupper() for c in letters) and len(word) <= 6:
                return True  # ALL CAPS: an acronym or a product's name
            if any(c.isupper() for c in word[1:]) and any(c.islower() for c in word):
                return True  # PyTorch, iOS, JavaScript
        return False


def product_like(query: str, vocabulary: frozenset[str] | set[str]) -> bool:
    """One word no label uses, written as a name is ("Datadog", "iOS", "S3"): one letter
    from a label is then another product ("Datalog"), not a typo of it."""
    raw = _TOKEN.findall(fold(query))
    if len(raw) != 1 or stem(raw[0]) in vocabulary:
        return False
    word = query.strip()
    return (
        word[:1].isupper() or any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:])
    )


def _evidence(index: LexicalIndex, query: str, text: str) -> PairEvidence:
    q = _query_words(query)
    t = _query_words(text)
    if not q or not t:
        return _NONE
    found = [w for w in q if any(_same_word(w, x) for x in t)]
    weight = sum(index.idf(w) for w in q)
    query_cover = sum(index.idf(w) for w in found) / weight if weight > 0 else 0.0
    related = [w for w in q if any(_related(w, x) for x in t)]
    prefix_cover = sum(index.idf(w) for w in related) / weight if weight > 0 else 0.0
    text_found = [x for x in t if any(_same_word(x, w) for w in q)]
    acronym = (len(q) == 1 and is_acronym_of(q[0], t)) or (len(t) == 1 and is_acronym_of(t[0], q))
    return PairEvidence(
        query_cover=query_cover,
        prefix_cover=prefix_cover,
        text_cover=len(text_found) / len(t),
        trigrams=trigram_dice(query, text),
        acronym=acronym,
        text_in_query=len(text_found) == len(t),
        exact_word=bool(set(q) & set(t)),
    )


# Words a product's name carries beside its name proper ("Spreadsheet software").
GENERIC_NAME_WORDS = frozenset({"software"})


@lru_cache(maxsize=65536)
def raw_words(text: str) -> tuple[str, ...]:
    """Words as written (folded, not stemmed), stopwords out: "auditing" is not "audit"."""
    tokens = tuple(_TOKEN.findall(fold(text)))
    content = tuple(t for t in tokens if t not in STOPWORDS)
    return content or tokens


@lru_cache(maxsize=131072)
def core_forms(text: str, vocabulary: frozenset[str]) -> frozenset[tuple[str, ...]]:
    """The ways a product's name is its name proper, word for word: without "software"
    ("Internal audit software" -> internal audit), without a leading word no label of the
    taxonomy uses, the vendor ("Autodesk Maya" -> maya, "IBM Lotus 1-2-3" -> lotus 1 2 3), and
    without, or as, the acronym it ends with ("Collection Point Management System CPMS" ->
    collection point management system, cpms). `vocabulary`: stemmed words of the taxonomy's
    labels other than products'."""
    base = tuple(w for w in raw_words(text) if w not in GENERIC_NAME_WORDS)
    if not base:
        return frozenset()
    forms = {base}
    last = base[-1]
    if len(base) > 2 and is_acronym_of(last, base[-1 - len(last) : -1]):
        forms.update({base[:-1], (last,)})
    for form in list(forms):
        if len(form) > 1 and stem(form[0]) not in vocabulary and not form[0].isdigit():
            forms.add(form[1:])
    return frozenset(forms)


@lru_cache(maxsize=65536)
def _query_words(text: str) -> tuple[str, ...]:
    return tuple(words(text))
