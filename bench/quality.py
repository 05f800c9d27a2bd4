"""Quality benchmark: matches a real company can trust, on public data the normalisers never saw.

Four tasks on real data from ../shared (O*NET 29.2, the ESCO-O*NET crosswalk, ESCO 1.2.0), each
held out from what the project's normalisers are built from, each scored for this project and
for two baselines on the same items in the same run: BM25 (bm25s) and MiniLM cosine (the
project's own offline encoder, matching/encoder.py). Seeded; every sample size is a flag.

1. titles: O*NET alternate, short and reported job titles -> ESCO occupation. An O*NET code maps
   to the ESCO occupations the crosswalk gives it, and narrower ESCO occupations inherit their
   parent's code; a hit is any of them in the top 5. Held out: the query titles are taken out
   of every occupation's `other_titles` (O*NET's titles as the project holds them) in a copied
   taxonomy, one fold at a time; a query equal to a label the occupation still has is kept (it
   is real). The project: OccupationNormalizer.normalize_many on that copy. The baselines index
   what a customer has without this project, ESCO's preferred and alternative labels; a second
   figure, printed but not on the last line, gives them the project's non-held-out O*NET titles
   too.
2. tools: O*NET product names as people type them -> the product, top 1. The query forms are made
   here from O*NET's names: lower case, the vendor dropped ("microsoft excel" -> "excel"),
   "software" dropped ("sap"), the acronym a name ends with after its expansion ("... Active Server
   Pages ASP" -> "asp"), the acronym O*NET writes after the name elsewhere ("amazon web services"
   -> "aws"); one form per product, drawn, and no form two products share. A product is the
   project's skill whose label or alias is O*NET's name. Held out: the query's exact form is
   removed from that skill's and every tool's aliases in a copied taxonomy (it must be found by
   other evidence; a product left with no alias keeps its label). Candidates: every skill of that
   copy (ESCO and tools); the baselines index the same labels and aliases. A product the project
   holds no skill for is still a candidate of the baselines, under its O*NET name: before the
   project has tools it scores badly here, which is the point.
3. people_roles: people sampled from ESCO occupation profiles (a sample of the essential and
   optional skills, with levels; no title of their own: the API wants one, so "Employee") ->
   title-only roles, one per sampled occupation, posted through the import API (the product
   implies their skills). Each person's role matches come from GET .../matches?kind=role (the
   match engine and the live ranker, as served); MRR of a role of their occupation (rank > 100
   counts 0, for every ranker).
4. tool_people: people described by O*NET tools of their O*NET occupation (a sample of its
   technology examples, by O*NET's names, plus 1-2 ESCO transversal skills) -> roles of the
   ESCO occupations the crosswalk gives that occupation; MRR, the same company and roles. Held
   out: each sampled O*NET occupation's tools are split in two halves; the people's tools come
   from one half and the project's occupations (`tool_ids`) keep only the other half (the copy
   is installed as the process's packaged taxonomy before the service starts). Not held out:
   what else the project derived from the same O*NET file (a tool's category, other
   occupations that list the same tool).
Baselines of 3 and 4: BM25 of the person's skill names against each role's title and the skill
labels the product implied for it; MiniLM cosine of the same two texts.

Vectors: every text is encoded once, ever; they are kept in --vectors
(bench-quality-<model>.npz) and answer the product's normalisers and the baselines alike. A
first run on a new machine encodes ~150k titles and labels (minutes); later runs encode only
new texts. Last line:
  quality: titles_top5=… titles_misses_vs_best=… tools_top1=… tools_misses_vs_best=…
  people_roles_mrr=… people_roles_misses_vs_best=… tool_people_mrr=… tool_people_misses_vs_best=…
(`_misses_vs_best`: the project's misses, 1 - figure, over the better baseline's; below 1 is
better.) --items FILE writes every item with what each ranker returned (JSON lines).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gzip
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from data.schemas import normalize_label  # noqa: E402
from data.taxonomy.model import Taxonomy, TaxonomyOccupation, TaxonomySkill  # noqa: E402
from data.taxonomy.normalizer import SkillNormalizer  # noqa: E402
from data.taxonomy.occupations import OccupationNormalizer  # noqa: E402
from data.taxonomy.packaged import load_packaged_taxonomy, occupation_skill_ids  # noqa: E402
from data.taxonomy.text_vectors import TextVectorStore, safe_name  # noqa: E402
from matching.encoder import SentenceEncoder  # noqa: E402

SHARED = REPO.parent / "shared"
FOLDS = 2
TOP_TITLES = 5
MRR_DEPTH = 100  # the longest page the matches API serves: a role ranked lower counts 0
ENCODE_CHUNK = 4096
ESCO_URI = "http://data.europa.eu/esco/occupation/"
RANKERS = ("project", "bm25", "minilm")


# --- vectors --------------------------------------------------------------------------------


class VectorMemo:
    """The encoder, answering from vectors already computed for the same texts (kept on disk)."""

    def __init__(self, encoder: SentenceEncoder, path: Path | None) -> None:
        self.encoder = encoder
        self.path = path
        self.rows: dict[str, int] = {}
        # Grown by doubling: a normaliser asks for one query at a time, and copying ~150k
        # stored rows for each would cost more than encoding it.
        self._buffer = np.zeros((1024, 384), dtype=np.float32)
        self.encoded = 0
        self._saved = 0
        if path is not None and path.is_file():
            self._merge(path)
            self._saved = len(self.rows)

    @property
    def matrix(self) -> np.ndarray:
        return self._buffer[: len(self.rows)]

    def _append(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Add the texts not known yet (the first row of a text given twice)."""
        first_rows: dict[str, int] = {}
        for i, text in enumerate(texts):
            if text not in self.rows and text not in first_rows:
                first_rows[text] = i
        if not first_rows:
            return
        first, needed = len(self.rows), len(self.rows) + len(first_rows)
        if needed > len(self._buffer):
            grown = np.zeros((max(needed, 2 * len(self._buffer)), 384), dtype=np.float32)
            grown[:first] = self._buffer[:first]
            self._buffer = grown
        self._buffer[first:needed] = np.asarray(vectors, dtype=np.float32)[
            list(first_rows.values())
        ]
        self.rows.update((t, first + i) for i, t in enumerate(first_rows))

    def _merge(self, path: Path) -> None:
        """Take in the texts a file holds that this memo lacks (another run's work)."""
        try:
            stored = np.load(path, allow_pickle=False)
            if str(stored["model_id"]) != self.encoder.model_id:
                return
            texts, vectors = stored["texts"], stored["vectors"]
        except (OSError, ValueError, KeyError):
            return  # unreadable: it is rewritten on save
        self.remember([str(t) for t in texts], vectors)

    def knows(self, texts: Iterable[str]) -> bool:
        return all(t in self.rows for t in texts)

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self._append(texts, vectors)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.rows]
        if missing:
            self._encode(missing)
        return self._buffer[[self.rows[t] for t in texts]]

    def _encode(self, texts: list[str]) -> None:
        started = time.perf_counter()
        for start in range(0, len(texts), ENCODE_CHUNK):
            chunk = texts[start : start + ENCODE_CHUNK]
            self._append(chunk, self.encoder.encode(chunk))
            self.encoded += len(chunk)
            if len(texts) > ENCODE_CHUNK:
                done = start + len(chunk)
                rate = done / max(time.perf_counter() - started, 1e-9)
                print(f"    encoded {done}/{len(texts)} new texts ({rate:.0f}/s)", flush=True)

    def save(self) -> None:
        if self.path is None or len(self.rows) == self._saved:
            return
        if self.path.is_file():
            self._merge(self.path)  # a run beside this one may have saved meanwhile
        self.path.parent.mkdir(parents=True, exist_ok=True)
        texts = np.array(sorted(self.rows, key=self.rows.__getitem__))
        temporary = self.path.with_suffix(f".{os.getpid()}.npz")
        np.savez(temporary, texts=texts, vectors=self.matrix, model_id=self.encoder.model_id)
        temporary.replace(self.path)
        self._saved = len(self.rows)


class _Captured(Exception):
    def __init__(self, texts: list[str]) -> None:
        super().__init__(len(texts))
        self.texts = texts


def _capture(texts: list[str]) -> np.ndarray:
    raise _Captured(list(texts))


def seed_from_product(memo: VectorMemo, kind: str, normalizer: Any, folders: list[Path]) -> int:
    """Take in the vectors the product cached for a normaliser's texts: its text store
    (data/taxonomy/text_vectors.py, `texts/<model>/`) when it holds every one, else a file of
    the earlier layout (`<kind>-<model>-<digest>.npy`, one row per text, in the normaliser's
    order), used only if three of its rows match a fresh encoding. The texts are what its
    warm-up asks to encode, caught before anything is encoded."""
    try:
        normalizer.warm_up()
        return 0  # it encoded nothing: no embedding texts
    except _Captured as captured:
        texts = captured.texts
    if memo.knows(texts):
        return 0
    for folder in folders:
        store = TextVectorStore(folder, memo.encoder.model_id)
        if len(store) and not store.missing(texts):
            before = len(memo.rows)
            memo.remember(texts, store.rows(texts))
            return len(memo.rows) - before
    name = safe_name(memo.encoder.model_id, "default")
    for folder in folders:
        for path in sorted(folder.glob(f"{kind}-{name}-*.npy")):
            try:
                vectors = np.load(path, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError):
                continue
            if vectors.ndim != 2 or vectors.shape[0] != len(texts):
                continue
            probe = [0, len(texts) // 2, len(texts) - 1]
            fresh = memo.encoder.encode([texts[i] for i in probe])
            if np.all(np.sum(fresh * vectors[probe], axis=1) > 0.999):
                before = len(memo.rows)
                memo.remember(texts, np.asarray(vectors))
                return len(memo.rows) - before
    return 0


class MemoEncoder(SentenceEncoder):
    """The product's encoder type, answering from the memo (for the service's own state)."""

    def __init__(self, memo: VectorMemo) -> None:
        super().__init__()
        self.memo = memo
        self._model_id = memo.encoder.model_id

    @property
    def model_id(self) -> str:
        return self._model_id

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        self.texts_encoded += len(texts)
        return self.memo(list(texts))


# --- the public data ------------------------------------------------------------------------


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
        yield from csv.DictReader(stream)


def esco_id(uri: str) -> str:
    return "esco:" + uri.rsplit("/", 1)[-1]


@dataclasses.dataclass
class Sources:
    """What ../shared says, read once: the crosswalk both ways, O*NET's titles and tools."""

    occupations_of_code: dict[str, set[str]]  # O*NET code -> ESCO occupation ids
    direct_of_code: dict[str, list[str]]  # the crosswalk's own rows, best confidence first
    codes_of_occupation: dict[str, set[str]]
    titles: dict[str, tuple[str, set[str]]]  # normalised title -> (as written, O*NET codes)
    titles_of_code: dict[str, list[str]]
    tools_of_code: dict[str, list[str]]  # O*NET code -> product names, as O*NET writes them
    products: list[str]
    transversal: list[str]  # ESCO transversal skill labels

    @classmethod
    def read(cls, root: Path, occupation_ids: Iterable[str]) -> Sources:
        known = set(occupation_ids)
        direct: dict[str, str] = {}
        ranked: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for row in _rows(root / "crosswalk" / "esco_onet_crosswalk_Nov2020.csv.gz"):
            occupation = esco_id(row["concept_uri"])
            if occupation in known and row["onet_code"]:
                direct[occupation] = row["onet_code"]
                ranked[row["onet_code"]].append((-float(row["confidence"] or 0), occupation))
        broader: dict[str, str] = {}
        for row in _rows(root / "esco" / "broaderRelationsOccPillar_en.csv.gz"):
            if row["conceptType"] == "Occupation" and row["broaderType"] == "Occupation":
                broader[esco_id(row["conceptUri"])] = esco_id(row["broaderUri"])

        def code_of(occupation: str) -> str | None:
            seen = set()
            while occupation not in direct and occupation in broader and occupation not in seen:
                seen.add(occupation)
                occupation = broader[occupation]  # narrower ones inherit their parent's code
            return direct.get(occupation)

        occupations_of_code: dict[str, set[str]] = defaultdict(set)
        codes_of_occupation: dict[str, set[str]] = defaultdict(set)
        for occupation in sorted(known):
            code = code_of(occupation)
            if code is not None:
                occupations_of_code[code].add(occupation)
                codes_of_occupation[occupation].add(code)
        titles: dict[str, tuple[str, set[str]]] = {}
        titles_of_code: dict[str, list[str]] = defaultdict(list)
        onet = root / "onet"
        for path, columns in (
            (onet / "alternate_titles.csv.gz", ("Alternate Title", "Short Title")),
            (onet / "reported_titles.csv.gz", ("Reported Job Title",)),
        ):
            for row in _rows(path):
                for column in columns:
                    text = (row.get(column) or "").strip()
                    key = normalize_label(text)
                    if not key:
                        continue
                    titles.setdefault(key, (text, set()))[1].add(row["O*NET-SOC Code"])
                    if text not in titles_of_code[row["O*NET-SOC Code"]]:
                        titles_of_code[row["O*NET-SOC Code"]].append(text)
        tools_of_code: dict[str, list[str]] = defaultdict(list)
        products: dict[str, None] = {}
        for row in _rows(onet / "technology_skills.csv.gz"):
            if row["Example"] not in tools_of_code[row["O*NET-SOC Code"]]:
                tools_of_code[row["O*NET-SOC Code"]].append(row["Example"])
            products[row["Example"]] = None
        transversal = [
            row["preferredLabel"]
            for row in _rows(root / "esco" / "transversalSkillsCollection_en.csv.gz")
        ]
        return cls(
            occupations_of_code=dict(occupations_of_code),
            direct_of_code={c: [o for _, o in sorted(r)] for c, r in ranked.items()},
            codes_of_occupation=dict(codes_of_occupation),
            titles=titles,
            titles_of_code=dict(titles_of_code),
            tools_of_code=dict(tools_of_code),
            products=sorted(products),
            transversal=transversal,
        )


# --- baselines ------------------------------------------------------------------------------


class Baselines:
    """BM25 and MiniLM cosine over the same (text, owner) rows; an owner scores its best row."""

    def __init__(self, texts: Sequence[str], owners: Sequence[str], memo: VectorMemo) -> None:
        order = sorted(range(len(texts)), key=lambda i: owners[i])  # each owner's rows together
        self.texts = [texts[i] for i in order]
        row_owners = [owners[i] for i in order]
        self.starts = np.flatnonzero(
            np.r_[True, [a != b for a, b in zip(row_owners[1:], row_owners[:-1], strict=True)]]
        )
        self.owners = [row_owners[i] for i in self.starts]
        self.memo = memo
        tokens = bm25s.tokenize(self.texts, stopwords="en", return_ids=False, show_progress=False)
        self.bm25 = bm25s.BM25()
        self.bm25.index(tokens, show_progress=False)
        self._vectors: np.ndarray | None = None

    def scores(self, ranker: str, queries: Sequence[str]) -> np.ndarray:
        """(queries, owners) scores of one baseline; a few queries at a time (64 x ~100k
        rows of scores is ~25 MB)."""
        if ranker == "bm25":
            rows = np.zeros((len(queries), len(self.texts)), dtype=np.float32)
            tokenized = bm25s.tokenize(
                list(queries), stopwords="en", return_ids=False, show_progress=False
            )
            for i, query in enumerate(tokenized):
                if query:
                    rows[i] = self.bm25.get_scores(query)
            return np.maximum.reduceat(rows, self.starts, axis=1)
        if self._vectors is None:
            self._vectors = self.memo(self.texts)
        similarity = self.memo(list(queries)) @ self._vectors.T
        return np.maximum.reduceat(similarity, self.starts, axis=1)

    def ranked(self, ranker: str, queries: Sequence[str], limit: int) -> list[list[str]]:
        """The best `limit` owners for each query (BM25: only owners sharing a word)."""
        out = []
        for block in _blocks(len(queries)):
            for row in self.scores(ranker, queries[block]):
                top = np.argsort(-row, kind="stable")[:limit]
                out.append([self.owners[i] for i in top if ranker != "bm25" or row[i] > 0])
        return out


def _blocks(count: int, size: int = 64) -> Iterator[slice]:
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))


# --- scoring --------------------------------------------------------------------------------


@dataclasses.dataclass
class Item:
    """One query, what is right, and what each ranker answered (scored on the same items)."""

    task: str
    query: str
    truth: frozenset[str]
    answers: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    note: str = ""

    def rank(self, ranker: str) -> int | None:
        """1-based rank of the first right answer, None if absent."""
        for position, owner in enumerate(self.answers[ranker], start=1):
            if owner in self.truth:
                return position
        return None

    def hit(self, ranker: str, k: int) -> bool:
        rank = self.rank(ranker)
        return rank is not None and rank <= k

    def reciprocal(self, ranker: str) -> float:
        rank = self.rank(ranker)
        return 0.0 if rank is None or rank > MRR_DEPTH else 1.0 / rank


@dataclasses.dataclass
class TaskResult:
    name: str
    metric: str  # "top5" | "top1" | "mrr"
    items: list[Item]
    seconds: float = 0.0
    lines: list[str] = dataclasses.field(default_factory=list)  # extra figures to print

    def figure(self, ranker: str) -> float:
        if not self.items:
            return 0.0
        if self.metric == "mrr":
            values = [item.reciprocal(ranker) for item in self.items]
        else:
            k = int(self.metric[3:])
            values = [float(item.hit(ranker, k)) for item in self.items]
        return float(np.mean(values))

    def misses_vs_best(self) -> float:
        best = max(self.figure("bm25"), self.figure("minilm"))
        return (1.0 - self.figure("project")) / max(1.0 - best, 1e-9)


def same_items(result: TaskResult) -> bool:
    """Every item was answered by every ranker."""
    return all(set(item.answers) == set(RANKERS) for item in result.items)


# --- 1. titles ------------------------------------------------------------------------------


def draw_titles(sources: Sources, count: int, seed: int) -> list[Item]:
    """Distinct O*NET titles (normalised) whose codes reach an ESCO occupation."""
    pool = []
    for key in sorted(sources.titles):
        text, codes = sources.titles[key]
        truth = {o for c in codes for o in sources.occupations_of_code.get(c, ())}
        if truth:
            pool.append(Item("titles", text, frozenset(truth)))
    random.Random(seed).shuffle(pool)
    return pool[:count]


def _folds(items: list[Item]) -> list[list[Item]]:
    return [items[i::FOLDS] for i in range(FOLDS) if items[i::FOLDS]]


def _without_titles(
    taxonomy: Taxonomy, held: set[str]
) -> tuple[Taxonomy, dict[str, tuple[str, ...]]]:
    """A copy whose occupations no longer hold the held-out titles; and what they kept."""
    copy = taxonomy.copy()
    kept: dict[str, tuple[str, ...]] = {}
    for occupation in taxonomy.occupations.values():
        titles = tuple(t for t in occupation.other_titles if normalize_label(t) not in held)
        kept[occupation.occupation_id] = titles
        if len(titles) != len(occupation.other_titles):
            copy.occupations[occupation.occupation_id] = dataclasses.replace(
                occupation, other_titles=titles
            )
    return copy, kept


def title_task(
    taxonomy: Taxonomy,
    sources: Sources,
    memo: VectorMemo,
    count: int,
    seed: int,
    encode_titles: bool = False,
) -> TaskResult:
    items = draw_titles(sources, count, seed)
    project_titles = sum(len(o.other_titles) for o in taxonomy.occupations.values())
    with_titles: dict[str, list[Item]] = {"bm25": [], "minilm": []}
    for number, fold in enumerate(_folds(items), start=1):
        print(f"  titles fold {number}/{FOLDS}: {len(fold)} held-out titles", flush=True)
        held = {normalize_label(item.query) for item in fold}
        copy, kept = _without_titles(taxonomy, held)
        normalizer = OccupationNormalizer(copy, embed=memo, embed_key=memo.encoder.model_id)
        queries = [item.query for item in fold]
        answers = normalizer.normalize_many(queries, limit=TOP_TITLES)
        for item, ranked in zip(fold, answers, strict=True):
            item.answers["project"] = [m.occupation_id for m in ranked]
        # What a customer has without this project: ESCO's preferred and alternative labels.
        texts, owners = [], []
        for occupation in copy.occupations.values():
            for text in dict.fromkeys((occupation.label, *occupation.alt_labels)):
                texts.append(text)
                owners.append(occupation.occupation_id)
        esco_only = Baselines(texts, owners, memo)
        for ranker in ("bm25", "minilm"):
            for item, ranked in zip(
                fold, esco_only.ranked(ranker, queries, TOP_TITLES), strict=True
            ):
                item.answers[ranker] = ranked
        # The same baselines given O*NET's titles as the project holds them (or, before it
        # holds any, as the crosswalk gives them), the fold's queries still held out.
        for occupation_id, titles in kept.items():
            if not project_titles:
                codes = sources.codes_of_occupation.get(occupation_id, ())
                titles = tuple(
                    t
                    for c in sorted(codes)
                    for t in sources.titles_of_code.get(c, ())
                    if normalize_label(t) not in held
                )
            texts.extend(titles)
            owners.extend([occupation_id] * len(titles))
        both = Baselines(texts, owners, memo)
        # MiniLM over ~50k O*NET titles the product itself does not encode would cost most
        # of the run for a figure that is not on the last line: only where they are encoded
        # already (a run with --encode-titles, or one where the project encodes them).
        lexical_only = not encode_titles and not memo.knows(texts)
        for ranker in ("bm25",) if lexical_only else ("bm25", "minilm"):
            for item, ranked in zip(fold, both.ranked(ranker, queries, TOP_TITLES), strict=True):
                with_titles[ranker].append(dataclasses.replace(item, answers={"x": ranked}))
    result = TaskResult("titles", "top5", items)
    source = "the project's" if project_titles else "the crosswalk's (the project holds none)"
    figures = [
        f"{r} {np.mean([i.hit('x', TOP_TITLES) for i in with_titles[r]]):.3f}"
        if with_titles[r]
        else f"{r} not run (the titles are not encoded: --encode-titles)"
        for r in ("bm25", "minilm")
    ]
    result.lines.append(
        f"  baselines given O*NET's titles too ({source}, queries held out): top-5 "
        + ", ".join(figures)
        + f"; the project's occupations hold {project_titles} O*NET titles"
    )
    return result


# --- 2. tools -------------------------------------------------------------------------------

_CAPS = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")  # "ASP", "SQL", "AWS", "S3"


def common_words(taxonomy: Taxonomy) -> set[str]:
    """Words ESCO writes in lower case: English words, not brands ("data" yes, "Oracle" no)."""
    words: set[str] = set()
    for skill in taxonomy.skills.values():
        if skill.skill_id.startswith("esco:"):
            for text in (skill.label, *skill.alt_labels):
                words.update(w for w in re.findall(r"[A-Za-z][\w'-]*", text) if w.islower())
    return words


def vendors(products: Sequence[str], common: set[str]) -> set[str]:
    """First words that start three or more product names and are no English word (Microsoft,
    Oracle, IBM, Autodesk), as opposed to "Scientific ..." or "Data ..."."""
    counts: dict[str, int] = defaultdict(int)
    for name in products:
        words = name.split()
        if len(words) > 1 and words[-1].lower() != "software":
            counts[words[0]] += 1
    return {w for w, n in counts.items() if n >= 3 and w.lower() not in common and w[0].isupper()}


def _acronym_of(words: Sequence[str], token: str) -> bool:
    return len(words) == len(token) and "".join(w[0] for w in words).upper() == token.upper()


def acronyms_in(products: Sequence[str]) -> dict[str, str]:
    """Expansions O*NET's names write their acronym after: "amazon web services" -> "AWS"
    (from "Amazon Web Services AWS CloudFormation")."""
    found = {}
    for name in products:
        words = name.split()
        for i, word in enumerate(words):
            if _CAPS.match(word) and i >= len(word) and _acronym_of(words[i - len(word) : i], word):
                found[normalize_label(" ".join(words[i - len(word) : i]))] = word
    return found


def alias_forms(
    name: str, vendor_words: set[str], acronyms: dict[str, str] | None = None
) -> set[str]:
    """How people type a product O*NET names, lower-cased: without its vendor, without
    "software", the acronym a name ends with after its expansion ("Active Server Pages ASP"),
    and the acronym of a name O*NET writes after that name elsewhere ("Amazon Web Services"
    -> "aws")."""
    words = name.split()
    base = [w for w in words if w.lower() != "software"] or words
    variants = [base]
    if len(base) > 1 and base[0] in vendor_words:
        variants.append(base[1:])
    forms: set[str] = set()
    last = base[-1]
    if len(base) > 2 and _CAPS.match(last) and _acronym_of(base[:-1][-len(last) :], last):
        forms.add(last)
        expansion = base[:-1]
        variants.append(expansion)
        if expansion[0] in vendor_words:
            variants.append(expansion[1:])
    for variant in variants:
        forms.add(" ".join(variant))
    known = (acronyms or {}).get(normalize_label(" ".join(base)))
    if known is not None and known != last:
        forms.add(known)
    own = normalize_label(name)
    return {
        form
        for form in (normalize_label(f) for f in forms)
        if len(form) >= 2 and form != own and form not in ("software", "system", "systems")
    }


def product_index(taxonomy: Taxonomy) -> dict[str, set[str]]:
    """Normalised name -> the skills holding it as label or alias (tools first)."""
    found: dict[str, set[str]] = defaultdict(set)
    for skill in taxonomy.skills.values():
        for text in (skill.label, *skill.alt_labels):
            found[normalize_label(text)].add(skill.skill_id)
    return found


def is_tool(skill: TaxonomySkill) -> bool:
    return skill.skill_type == "tool" or skill.skill_id.startswith("tool:")


def product_skills(taxonomy: Taxonomy, products: Sequence[str]) -> dict[str, frozenset[str]]:
    """O*NET product name -> the project's skills for it (its label or an alias is the name);
    a product the project has none for -> its O*NET name, which only the baselines can see."""
    index = product_index(taxonomy)
    out = {}
    for name in products:
        held = index.get(normalize_label(name), set())
        tools = {s for s in held if is_tool(taxonomy.skills[s])}
        out[name] = frozenset(tools or held or {f"onet:{normalize_label(name)}"})
    return out


def draw_tools(
    taxonomy: Taxonomy, sources: Sources, count: int, seed: int
) -> tuple[list[Item], dict[str, frozenset[str]]]:
    """One typed form per product, forms two products share left out (they name neither)."""
    rng = random.Random(seed)
    common = common_words(taxonomy)
    vendor_words = vendors(sources.products, common)
    acronyms = acronyms_in(sources.products)
    forms_of = {
        name: sorted(alias_forms(name, vendor_words, acronyms)) for name in sources.products
    }
    owners: dict[str, set[str]] = defaultdict(set)
    for name, forms in forms_of.items():
        for form in forms:
            owners[form].add(name)
    truth_of = product_skills(taxonomy, sources.products)
    items = []
    for name in sources.products:
        forms = [f for f in forms_of[name] if len(owners[f]) == 1]
        if forms:
            items.append(Item("tools", rng.choice(forms), truth_of[name], note=name))
    rng.shuffle(items)
    return items[:count], truth_of


def _without_alias(skill: TaxonomySkill, held: set[str], own: str | None) -> TaxonomySkill:
    """The skill without the held-out forms among its aliases, and without its own query's
    form inside its run-together other names."""
    kept = tuple(a for a in skill.alt_labels if normalize_label(a) not in held)
    alt_text = skill.alt_text
    if own and alt_text:
        alt_text = " ".join(re.sub(rf"(?i)(?<!\w){re.escape(own)}(?!\w)", " ", alt_text).split())
    if kept == skill.alt_labels and alt_text == skill.alt_text:
        return skill
    return dataclasses.replace(skill, alt_labels=kept, alt_text=alt_text)


def _skill_texts(skills: Iterable[TaxonomySkill]) -> tuple[list[str], list[str]]:
    """Each skill's label, aliases and run-together other names: what the normaliser reads."""
    texts, owners = [], []
    for skill in skills:
        alt_text = " ".join(skill.alt_text.split(" ")[:32])
        for text in dict.fromkeys(
            (skill.label, *skill.alt_labels, *([alt_text] if alt_text else []))
        ):
            texts.append(text)
            owners.append(skill.skill_id)
    return texts, owners


def tool_task(
    taxonomy: Taxonomy,
    sources: Sources,
    memo: VectorMemo,
    count: int,
    seed: int,
    unheld_limit: int | None = None,
) -> TaskResult:
    items, truth_of = draw_tools(taxonomy, sources, count, seed)
    tools = [s for s in taxonomy.skills.values() if is_tool(s)]
    mapped = sum(1 for ids in truth_of.values() if not any(i.startswith("onet:") for i in ids))
    unheld: dict[str, list[str]] = defaultdict(list)  # products only the baselines see
    for name, ids in truth_of.items():
        for skill_id in ids:
            if skill_id.startswith("onet:"):
                unheld[skill_id].append(name)
    if unheld_limit is not None:  # --universe: the queries' products and a few others
        drawn = {s for item in items for s in item.truth}
        rest = sorted(set(unheld) - drawn)
        others = random.Random(seed).sample(rest, min(unheld_limit, len(rest)))
        unheld = {k: v for k, v in unheld.items() if k in drawn or k in others}
    resolved = {"right": 0, "wrong": 0, "custom": 0}
    methods: Counter[str] = Counter()
    leaks = 0
    for number, fold in enumerate(_folds(items), start=1):
        print(f"  tools fold {number}/{FOLDS}: {len(fold)} held-out forms", flush=True)
        held = {normalize_label(item.query) for item in fold}
        own = {s: normalize_label(item.query) for item in fold for s in item.truth}
        touched = sorted({*(s for s in own if s in taxonomy.skills), *(t.skill_id for t in tools)})
        copy = taxonomy.copy()
        for skill_id in touched:
            skill = taxonomy.skills[skill_id]
            # Every tool loses the fold's forms; the product's own skill (an ESCO one too)
            # loses its query's form.
            replaced = _without_alias(
                skill, held if is_tool(skill) else {own[skill_id]}, own.get(skill_id)
            )
            if replaced is not skill:
                copy.remove_skill(skill_id)
                copy.add_skill(replaced)
        normalizer = SkillNormalizer(copy, embed=memo, embed_key=memo.encoder.model_id)
        queries = [item.query for item in fold]
        memo(queries)  # one batch: the normaliser asks for one name at a time
        for item in fold:
            top = normalizer.suggest(item.query, limit=1)
            item.answers["project"] = [m.skill_id for m in top]
            if top:
                methods[top[0].method] += 1
                # An alias equal to a held-out form: the hold-out did not reach it.
                leaks += top[0].skill_id in item.truth and top[0].method in ("alias", "alt_label")
        for item, match in zip(fold, normalizer.resolve_many(queries), strict=True):
            if match.method == "custom":
                resolved["custom"] += 1
            else:
                resolved["right" if match.skill_id in item.truth else "wrong"] += 1
        texts, owners = _skill_texts(copy.skills.values())
        for skill_id, names in unheld.items():
            texts.append(names[0])
            owners.append(skill_id)
        baselines = Baselines(texts, owners, memo)
        for ranker in ("bm25", "minilm"):
            for item, ranked in zip(fold, baselines.ranked(ranker, queries, 1), strict=True):
                item.answers[ranker] = ranked
    result = TaskResult("tools", "top1", items)
    n = max(len(items), 1)
    result.lines.append(
        f"  the project holds {len(tools)} tool skills; {mapped} of {len(truth_of)} O*NET "
        f"products are a skill of it by name or alias"
    )
    result.lines.append(
        f"  resolve (what an import does): right {resolved['right'] / n:.3f}, wrong skill "
        f"{resolved['wrong'] / n:.3f}, kept as a custom skill {resolved['custom'] / n:.3f}"
        + (f"; {leaks} held-out forms found exactly (a leak)" if leaks else "")
    )
    result.lines.append(
        "  the project's top-1 by method: "
        + ", ".join(f"{m} {c}" for m, c in methods.most_common())
    )
    return result


# --- 3 and 4. people -> roles, through the service ------------------------------------------

ADMIN_TOKEN = "bench-quality-admin-token-0123456789abcdef"
LEAD = "Q-LEAD"


@dataclasses.dataclass
class Company:
    """Roles (one per occupation) and people of both people tasks."""

    roles: dict[str, str]  # role external id -> ESCO occupation id
    role_titles: dict[str, str]
    people: list[dict[str, Any]]
    items: dict[str, Item]  # person external id -> item (truth: role ids)
    split: dict[str, tuple[list[str], list[str]]]  # O*NET code -> (link half, people half)


def _profile_skills(occupation: TaxonomyOccupation, taxonomy: Taxonomy) -> list[str]:
    return [
        s
        for s in dict.fromkeys((*occupation.essential_skill_ids, *occupation.optional_skill_ids))
        if s in taxonomy.skills and taxonomy.skills[s].exact
    ]


def draw_company(
    taxonomy: Taxonomy,
    sources: Sources,
    *,
    role_occupations: int,
    people: int,
    tool_occupations: int,
    tool_people: int,
    seed: int,
) -> Company:
    rng = random.Random(seed)
    occupations = sorted(
        (o for o in taxonomy.occupations.values() if len(_profile_skills(o, taxonomy)) >= 8),
        key=lambda o: o.occupation_id,
    )
    chosen = rng.sample(occupations, min(role_occupations, len(occupations)))
    # O*NET occupations with enough tools to split, and an ESCO occupation to post a role for.
    codes = sorted(
        c
        for c, tools in sources.tools_of_code.items()
        if len(tools) >= 6 and sources.direct_of_code.get(c)
    )
    tool_codes = rng.sample(codes, min(tool_occupations, len(codes)))
    roles: dict[str, str] = {}
    for occupation in chosen:
        roles[f"Q-R{len(roles):04d}"] = occupation.occupation_id
    posted = set(roles.values())
    for code in tool_codes:
        target = sources.direct_of_code[code][0]
        if target not in posted:
            roles[f"Q-R{len(roles):04d}"] = target
            posted.add(target)
    roles_of: dict[str, set[str]] = defaultdict(set)
    for role, occupation_id in roles.items():
        roles_of[occupation_id].add(role)
    transversal = [
        label
        for label in sources.transversal
        if (hit := taxonomy.lookup_label(label)) is not None and hit[1] == "label"
    ]
    records, items = [], {}
    for n in range(people):
        occupation = chosen[n % len(chosen)]
        pool = _profile_skills(occupation, taxonomy)
        picked = rng.sample(pool, rng.randint(5, min(12, len(pool))))
        skills = [{"name": taxonomy.skills[s].label, "level": rng.randint(2, 5)} for s in picked]
        person = f"Q-P{n:05d}"
        records.append(_person(person, skills))
        items[person] = Item(
            "people_roles",
            "; ".join(s["name"] for s in skills),
            frozenset(roles_of[occupation.occupation_id]),
        )
    split: dict[str, tuple[list[str], list[str]]] = {}
    for code in tool_codes:
        tools = list(sources.tools_of_code[code])
        rng.shuffle(tools)
        split[code] = (sorted(tools[: len(tools) // 2]), sorted(tools[len(tools) // 2 :]))
    for n in range(tool_people):
        code = tool_codes[n % len(tool_codes)]
        truth = {r for o in sources.occupations_of_code.get(code, ()) for r in roles_of.get(o, ())}
        half = split[code][1]
        names = rng.sample(half, rng.randint(min(3, len(half)), min(8, len(half))))
        names += rng.sample(transversal, rng.randint(1, 2))
        skills = [{"name": name, "level": rng.randint(2, 5)} for name in names]
        person = f"Q-T{n:05d}"
        records.append(_person(person, skills))
        items[person] = Item("tool_people", "; ".join(names), frozenset(truth), note=code)
    titles = {role: taxonomy.occupations[o].label for role, o in roles.items()}
    return Company(roles, titles, records, items, split)


def _person(external_id: str, skills: list[dict[str, Any]]) -> dict[str, Any]:
    # The contract wants a title; these people have none of their own, so the generic one an
    # HRIS export fills in (the product must place them by their skills or not at all).
    return {
        "external_id": external_id,
        "name": f"Person {external_id}",
        "title": "Employee",
        "department": "Operations",
        "level": 3,
        "location": "Berlin",
        "skills": skills,
        "open_to": ["role"],
    }


@contextmanager
def tools_held_out(taxonomy: Taxonomy, sources: Sources, company: Company) -> Iterator[int]:
    """The process's packaged taxonomy (what the service starts from) with each split O*NET
    occupation's ESCO occupations keeping only the link half of its tools; restored after.
    Yields how many tool links were taken out."""
    truth_of = product_skills(taxonomy, sources.products)
    before = dict(taxonomy.occupations)
    removed = 0
    for code, (_, people_half) in company.split.items():
        dropped = {s for name in people_half for s in truth_of[name]}
        for occupation_id in sources.occupations_of_code.get(code, ()):
            occupation = taxonomy.occupations[occupation_id]
            kept = tuple(t for t in occupation.tool_ids if t not in dropped)
            removed += len(occupation.tool_ids) - len(kept)
            taxonomy.occupations[occupation_id] = dataclasses.replace(occupation, tool_ids=kept)
    occupation_skill_ids.cache_clear()
    try:
        yield removed
    finally:
        taxonomy.occupations.clear()
        taxonomy.occupations.update(before)
        occupation_skill_ids.cache_clear()


def _post(client: Any, path: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Import in batches answered at once (not as a job); the reports' counts summed."""
    counts: Counter[str] = Counter()
    for start in range(0, len(records), 400):
        response = client.post(path, json=records[start : start + 400], headers=_admin())
        if response.status_code != 200:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:2000]}")
        counts.update({k: v for k, v in response.json().items() if isinstance(v, int) and v > 0})
    return dict(counts)


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def people_tasks(
    taxonomy: Taxonomy,
    sources: Sources,
    memo: VectorMemo,
    company: Company,
    product_vectors: Path | None,
) -> tuple[TaskResult, TaskResult]:
    from fastapi.testclient import TestClient

    from serving.app import create_app
    from serving.settings import Settings
    from serving.state import build_state

    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bench-quality-") as folder,
        tools_held_out(taxonomy, sources, company) as unlinked,
    ):
        root = Path(folder)
        (root / "vectors").mkdir()
        for cached in product_vectors.glob("*.np*") if product_vectors else ():
            shutil.copy(cached, root / "vectors" / cached.name)
        settings = Settings(
            database_url=f"sqlite:///{root / 'talent.db'}",
            var_dir=root,
            admin_token=ADMIN_TOKEN,
            audit_key="bench-quality-audit-key-0123456789abcdef",
            token_secret="bench-quality-token-secret-0123456789abcdef",
            pseudonym_secret="bench-quality-pseudonym-secret-0123456789",
            model_poll_seconds=0,
            monitor_seconds=0,
            freshness_seconds=0,
            rate_limit_per_minute=0,
        )
        print(f"  starting the service ({unlinked} tool links held out)", flush=True)
        state = build_state(settings, index=False, encoder=MemoEncoder(memo))
        try:
            with TestClient(create_app(settings, state=state)) as client:
                answers, implied = _serve(client, company)
        finally:
            state.close()
        if product_vectors is not None:  # the service's own caches, for its next start
            for made in (root / "vectors").glob("*.npy"):
                if not (product_vectors / made.name).exists():
                    product_vectors.mkdir(parents=True, exist_ok=True)
                    shutil.copy(made, product_vectors / made.name)
    role_ids = sorted(company.roles)
    role_texts = ["; ".join([company.role_titles[r], *implied[r]]) for r in role_ids]
    results = {}
    for task in ("people_roles", "tool_people"):
        people = [p for p, item in company.items.items() if item.task == task]
        items = [company.items[p] for p in people]
        for person, item in zip(people, items, strict=True):
            item.answers["project"] = answers[person]
        baselines = Baselines(role_texts, role_ids, memo)
        for ranker in ("bm25", "minilm"):
            ranked = baselines.ranked(ranker, [item.query for item in items], MRR_DEPTH)
            for item, roles in zip(items, ranked, strict=True):
                item.answers[ranker] = roles
        results[task] = TaskResult(task, "mrr", items, seconds=time.perf_counter() - started)
    held = sum(len(p) for _, p in company.split.values())
    results["tool_people"].lines.append(
        f"  held out: {held} tools of {len(company.split)} O*NET occupations (the people's "
        f"half), {unlinked} of their links to ESCO occupations removed from the project's copy"
    )
    return results["people_roles"], results["tool_people"]


def _serve(client: Any, company: Company) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Import the company through the API, then each person's role matches."""
    lead = _person(LEAD, [])
    lead.update(title="Hiring manager", open_to=[])
    _post(client, "/api/v1/employees/bulk", [lead])
    roles = [
        {
            "external_id": role,
            "kind": "role",
            "title": company.role_titles[role],
            "owner_external_id": LEAD,
            "location": "Remote",
            "hours_per_week": 40,
            "level_min": 1,
            "level_max": 7,
        }
        for role in sorted(company.roles)
    ]
    report = _post(client, "/api/v1/opportunities/bulk", roles)
    print(f"  posted {len(roles)} title-only roles: {_short(report)}", flush=True)
    implied: dict[str, list[str]] = {}
    for role in sorted(company.roles):
        body = client.get(f"/api/v1/opportunities/{role}", headers=_admin()).json()
        implied[role] = [s["name"] for s in (*body["required_skills"], *body["preferred_skills"])]
    report = _post(client, "/api/v1/employees/bulk", company.people)
    print(f"  imported {len(company.people)} people: {_short(report)}", flush=True)
    answers: dict[str, list[str]] = {}
    started = time.perf_counter()
    for n, person in enumerate(company.people, start=1):
        response = client.get(
            f"/api/v1/employees/{person['external_id']}/matches",
            params={"kind": "role", "limit": MRR_DEPTH},
            headers=_admin(),
        )
        if response.status_code != 200:
            raise RuntimeError(f"matches: {response.status_code} {response.text[:1000]}")
        answers[person["external_id"]] = [
            card["opportunity"]["external_id"] for card in response.json()["items"]
        ]
        if n % 100 == 0 or n == len(company.people):
            rate = n / max(time.perf_counter() - started, 1e-9)
            print(
                f"    matches served for {n}/{len(company.people)} people ({rate:.1f}/s)",
                flush=True,
            )
    return answers, implied


def _short(report: dict[str, Any]) -> str:
    keep = {k: v for k, v in report.items() if isinstance(v, int | float) and v}
    return json.dumps(keep)[:300]


# --- the run --------------------------------------------------------------------------------


def within(taxonomy: Taxonomy, occupations: set[str], skills: set[str]) -> Taxonomy:
    """A smaller copy (--universe: quick runs and tests), keeping these and what they list."""
    kept = [taxonomy.occupations[o] for o in sorted(occupations)]
    listed = skills | {s for o in kept for s in (*o.essential_skill_ids, *o.optional_skill_ids)}
    listed |= {t for o in kept for t in o.tool_ids}
    small = Taxonomy.build(
        [taxonomy.skills[s] for s in sorted(listed) if s in taxonomy.skills],
        kept,
        version=f"{taxonomy.version}-universe",
        aliases={k: v for k, v in taxonomy.aliases.items() if v in listed},
    )
    small.tool_categories = {k: v for k, v in taxonomy.tool_categories.items() if k in listed}
    return small


def universe_for(taxonomy: Taxonomy, sources: Sources, args: argparse.Namespace) -> Taxonomy:
    """The whole taxonomy, or (--universe N) the occupations and skills the drawn queries
    need plus N others of each, drawn with the same seed."""
    if not args.universe:
        return taxonomy
    rng = random.Random(args.seed)
    occupations = {o for item in draw_titles(sources, args.titles, args.seed) for o in item.truth}
    occupations |= set(rng.sample(sorted(taxonomy.occupations), args.universe))
    items, _ = draw_tools(taxonomy, sources, args.tools, args.seed)
    skills = {s for item in items for s in item.truth if s in taxonomy.skills}
    skills |= set(rng.sample(sorted(taxonomy.skills), args.universe))
    return within(taxonomy, occupations, skills)


def describe(result: TaskResult, examples: int, labels: Callable[[str], str]) -> list[str]:
    figures = ", ".join(f"{r} {result.figure(r):.3f}" for r in RANKERS)
    lines = [
        f"{result.name}: n={len(result.items)} {result.metric}: {figures}; misses vs the "
        f"better baseline {result.misses_vs_best():.3f} ({result.seconds:.0f} s)",
        *result.lines,
    ]
    k = 1 if result.metric == "top1" else TOP_TITLES
    misses = [
        item
        for item in result.items
        if not item.hit("project", k) and any(item.hit(r, k) for r in ("bm25", "minilm"))
    ]
    for item in misses[:examples]:
        got = labels(item.answers["project"][0]) if item.answers["project"] else "(nothing)"
        best = "bm25" if item.hit("bm25", k) else "minilm"
        right = labels(next(o for o in item.answers[best] if o in item.truth))
        query = item.query if len(item.query) < 90 else item.query[:87] + "..."
        lines.append(f"  missed: {query!r} -> {got!r}; {best} found {right!r}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--titles", type=int, default=1000, help="held-out O*NET titles")
    parser.add_argument("--tools", type=int, default=1000, help="typed product names")
    parser.add_argument("--role-occupations", type=int, default=150, help="ESCO occupations")
    parser.add_argument("--people", type=int, default=300, help="people of those occupations")
    parser.add_argument("--tool-occupations", type=int, default=100, help="O*NET occupations")
    parser.add_argument("--tool-people", type=int, default=200, help="people described by tools")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument(
        "--universe",
        type=int,
        default=0,
        help="titles and tools: only the occupations and skills the queries need plus N "
        "others (0: all of them, the measurement)",
    )
    parser.add_argument(
        "--vectors",
        type=Path,
        default=REPO / "var" / "vectors",
        help="where encoded texts are kept between runs (and the service's label caches)",
    )
    parser.add_argument(
        "--seed-from",
        type=Path,
        nargs="*",
        default=[REPO / "var" / "vectors"],
        help="folders of the product's own label caches (talent index, a server start) to "
        "take vectors from instead of encoding",
    )
    parser.add_argument(
        "--encode-titles",
        action="store_true",
        help="encode O*NET's titles for the MiniLM baseline given them too (~50k texts once)",
    )
    parser.add_argument(
        "--only",
        choices=("titles", "tools", "people"),
        action="append",
        help="run only these tasks (repeatable; the last line needs all of them)",
    )
    parser.add_argument("--items", type=Path, help="write every item and each ranker's answer")
    parser.add_argument("--examples", type=int, default=4, help="misses printed per task")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    encoder = SentenceEncoder()
    memo = VectorMemo(encoder, args.vectors / f"bench-quality-{encoder.model_id}.npz")
    print(f"vectors: {len(memo.rows)} texts already encoded ({memo.path})", flush=True)
    taxonomy = load_packaged_taxonomy()
    sources = Sources.read(SHARED, taxonomy.occupations)
    print(
        f"sources: {len(sources.titles)} O*NET titles, {len(sources.products)} products, "
        f"{len(sources.occupations_of_code)} O*NET codes reaching "
        f"{len(sources.codes_of_occupation)} ESCO occupations",
        flush=True,
    )
    seeded = sum(
        seed_from_product(memo, kind, make(taxonomy, embed=_capture), args.seed_from)
        for kind, make in (
            ("occupation-titles", OccupationNormalizer),
            ("skill-labels", SkillNormalizer),
        )
    )
    if seeded:
        print(f"vectors: {seeded} texts taken from the product's caches", flush=True)
        memo.save()
    universe = universe_for(taxonomy, sources, args)

    def label(owner: str) -> str:
        if owner in taxonomy.occupations:
            return taxonomy.occupations[owner].label
        if owner in taxonomy.skills:
            return taxonomy.skills[owner].label
        return owner

    results: list[TaskResult] = []
    for name, run in (
        (
            "titles",
            lambda: title_task(universe, sources, memo, args.titles, args.seed, args.encode_titles),
        ),
        (
            "tools",
            lambda: tool_task(
                universe, sources, memo, args.tools, args.seed, args.universe or None
            ),
        ),
    ):
        if args.only and name not in args.only:
            continue
        print(f"== {name}", flush=True)
        began = time.perf_counter()
        result = run()
        result.seconds = time.perf_counter() - began
        memo.save()
        results.append(result)
        print("\n".join(describe(result, args.examples, label)), flush=True)
    if args.only and "people" not in args.only:
        memo.save()
        print("(only some tasks ran: no quality line)")
        return 0 if all(same_items(r) for r in results) else 1
    print("== people_roles and tool_people", flush=True)
    company = draw_company(
        taxonomy,
        sources,
        role_occupations=args.role_occupations,
        people=args.people,
        tool_occupations=args.tool_occupations,
        tool_people=args.tool_people,
        seed=args.seed,
    )
    titles = company.role_titles

    def role_label(owner: str) -> str:
        return titles.get(owner, owner)

    for result in people_tasks(taxonomy, sources, memo, company, args.vectors):
        results.append(result)
        print("\n".join(describe(result, args.examples, role_label)), flush=True)
    memo.save()
    if args.only and len(results) < 4:
        print("(only some tasks ran: no quality line)")
        return 0 if all(same_items(r) for r in results) else 1
    if args.items is not None:
        with args.items.open("w") as stream:
            for result in results:
                for item in result.items:
                    record = dataclasses.asdict(item)
                    record["truth"] = sorted(item.truth)
                    stream.write(json.dumps(record) + "\n")
    if not all(same_items(r) for r in results):
        print("error: a ranker did not answer every item", file=sys.stderr)
        return 1
    print(
        f"done in {time.perf_counter() - started:.0f} s; {memo.encoded} texts encoded in this run",
        flush=True,
    )
    figures = {
        "titles_top5": results[0].figure("project"),
        "titles_misses_vs_best": results[0].misses_vs_best(),
        "tools_top1": results[1].figure("project"),
        "tools_misses_vs_best": results[1].misses_vs_best(),
        "people_roles_mrr": results[2].figure("project"),
        "people_roles_misses_vs_best": results[2].misses_vs_best(),
        "tool_people_mrr": results[3].figure("project"),
        "tool_people_misses_vs_best": results[3].misses_vs_best(),
    }
    print("quality: " + " ".join(f"{k}={v:.3f}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
