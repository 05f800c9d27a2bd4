"""Taxonomy benchmark: job titles -> occupations and free-text names -> skills, held out.

Two tasks on the packaged ESCO taxonomy, each a leave-one-out test on --queries texts (default
1,000, seed --seed):
  - occupations: an alternative title of an occupation is the query and is taken out of the
    index (the occupation keeps its label and its other titles);
  - skills: an alternative label of a skill is the query and is taken out of the index: out of
    the skill's alt labels and out of its run-together alt text, so the skill is found only
    through its other names.
Queries are drawn with at most one per occupation or skill in a fold; each fold's index is the
taxonomy without that fold's queries. A query equal (after normalisation) to another of its
own owner's names is skipped: it would test nothing.

Two rankers see the same texts:
  - the project's normalisers (data/taxonomy/occupations.py, data/taxonomy/normalizer.py):
    exact titles and labels, the seniority-stripped title, partial labels, embeddings;
  - BM25 (bm25s) over the same texts, one document per text, an owner scored by its best
    document, as the normalisers score by their best text.
The vectors of the index's texts come from the product's cache in var/vectors (encoded there
once if missing); a held-out index only drops rows, so nothing is encoded twice. Hits are
counted at ranks 1 and 5. Last line:
  taxonomy: occupations_top1=… occupations_top5=… occupations_bm25_top5=…
  occupations_vs_bm25_top5=… occupations_misses_vs_bm25_top5=… skills_top1=… skills_top5=…
  skills_bm25_top5=… skills_vs_bm25_top5=… skills_misses_vs_bm25_top5=…
(`misses_vs_bm25`: the normaliser's top-5 misses over BM25's; below 1 is better.)
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from data.schemas import normalize_label  # noqa: E402
from data.taxonomy.model import Taxonomy  # noqa: E402
from data.taxonomy.normalizer import SkillNormalizer  # noqa: E402
from data.taxonomy.occupations import OccupationNormalizer  # noqa: E402
from data.taxonomy.packaged import load_packaged_taxonomy  # noqa: E402

FOLDS = 4
BM25_ROWS = 200  # best BM25 rows looked at to find the top owners


@dataclasses.dataclass(frozen=True)
class Query:
    owner: str  # the occupation or skill id the text belongs to
    text: str


@dataclasses.dataclass
class Hits:
    top1: int = 0
    top5: int = 0
    asked: int = 0

    def add(self, owner: str, ranked: Sequence[str]) -> None:
        self.asked += 1
        self.top1 += bool(ranked[:1] == [owner])
        self.top5 += owner in ranked[:5]

    def rate(self, k: int) -> float:
        return (self.top1 if k == 1 else self.top5) / max(self.asked, 1)


class MemoEmbedder:
    """The encoder, answering from vectors already computed for the same texts."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray]) -> None:
        self.encode = encode
        self.known: dict[str, np.ndarray] = {}
        self.encoded = 0

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.known.update(zip(texts, vectors, strict=True))

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            self.remember(missing, np.asarray(self.encode(missing), dtype=np.float32))
            self.encoded += len(missing)
        return np.stack([self.known[t] for t in texts])


def _names(*groups: Sequence[str]) -> list[str]:
    return [text for group in groups for text in group]


def draw_queries(
    owners: dict[str, Sequence[str]], others: dict[str, Sequence[str]], count: int, seed: int
) -> list[list[Query]]:
    """`count` (owner, alt text) pairs in FOLDS folds, one per owner in a fold; `others`:
    each owner's names that stay in the index (a query equal to one of them is skipped)."""
    rng = random.Random(seed)
    candidates = []
    for owner in sorted(owners):
        kept = {normalize_label(t) for t in others[owner]}
        for text in owners[owner]:
            if normalize_label(text) and normalize_label(text) not in kept:
                candidates.append(Query(owner, text))
    rng.shuffle(candidates)
    folds: list[list[Query]] = [[] for _ in range(FOLDS)]
    used: list[set[str]] = [set() for _ in range(FOLDS)]
    taken = 0
    for query in candidates:
        if taken == count:
            break
        for fold, seen in zip(folds, used, strict=True):
            if query.owner not in seen and len(fold) < -(-count // FOLDS):
                fold.append(query)
                seen.add(query.owner)
                taken += 1
                break
    return folds


def _without(texts: Sequence[str], text: str) -> tuple[str, ...]:
    key = normalize_label(text)
    return tuple(t for t in texts if normalize_label(t) != key)


def _cut(blob: str, text: str) -> str:
    return re.sub(re.escape(text), " ", blob, flags=re.IGNORECASE)


def bm25_ranked(
    rows: list[str], owners: list[str], queries: list[str], limit: int = 5
) -> list[list[str]]:
    """Owners ranked by their best BM25 row for each query."""
    tokens = bm25s.tokenize(rows, stopwords="en", return_ids=False, show_progress=False)
    index = bm25s.BM25()
    index.index(tokens, show_progress=False)
    out = []
    for query in bm25s.tokenize(queries, stopwords="en", return_ids=False, show_progress=False):
        if not query:
            out.append([])
            continue
        scores = index.get_scores(query)
        ranked: list[str] = []
        for row in np.argsort(-scores, kind="stable")[:BM25_ROWS]:
            if scores[row] <= 0:
                break
            if owners[row] not in ranked:
                ranked.append(owners[row])
                if len(ranked) == limit:
                    break
        out.append(ranked)
    return out


# --- occupations ----------------------------------------------------------------------------


def occupation_task(taxonomy: Taxonomy, memo: MemoEmbedder, count: int, seed: int) -> tuple:
    full = OccupationNormalizer(
        taxonomy, embed=memo, cache_path=REPO / "var" / "vectors", embed_key=_model_id()
    )
    memo.remember(full._texts, full._title_vectors())  # the product's cached title vectors
    folds = draw_queries(
        {o.occupation_id: o.alt_labels for o in taxonomy.occupations.values()},
        {o.occupation_id: (o.label, *o.hidden_labels) for o in taxonomy.occupations.values()},
        count,
        seed,
    )
    ours, bm25 = Hits(), Hits()
    for fold in folds:
        held = {q.owner: q.text for q in fold}
        occupations = [
            dataclasses.replace(o, alt_labels=_without(o.alt_labels, held[o.occupation_id]))
            if o.occupation_id in held
            else o
            for o in taxonomy.occupations.values()
        ]
        fold_taxonomy = Taxonomy.build([], occupations, version="held-out")
        normalizer = OccupationNormalizer(fold_taxonomy, embed=memo, embed_key=_model_id())
        results = normalizer.normalize_many([q.text for q in fold], limit=5)
        rows, owners = [], []
        for o in occupations:
            for text in dict.fromkeys((o.label, *o.alt_labels, *o.hidden_labels)):
                rows.append(text)
                owners.append(o.occupation_id)
        lexical = bm25_ranked(rows, owners, [q.text for q in fold])
        for query, mine, theirs in zip(fold, results, lexical, strict=True):
            ours.add(query.owner, [m.occupation_id for m in mine])
            bm25.add(query.owner, theirs)
    return ours, bm25


# --- skills ---------------------------------------------------------------------------------


def skill_task(taxonomy: Taxonomy, memo: MemoEmbedder, count: int, seed: int) -> tuple:
    skills = [s for s in taxonomy.skills.values() if s.source == "esco"]
    full = SkillNormalizer(
        Taxonomy.build(skills, version=taxonomy.version),
        embed=memo,
        cache_path=REPO / "var" / "vectors",
        embed_key=_model_id(),
    )
    texts, _ = full._texts(skills)
    memo.remember(texts, full._load_or_encode(*full._texts(skills)))  # the product's cache
    folds = draw_queries(
        {s.skill_id: s.alt_labels for s in skills if s.exact},
        {s.skill_id: (s.label,) for s in skills},
        count,
        seed,
    )
    ours, bm25 = Hits(), Hits()
    for fold in folds:
        held = {q.owner: q.text for q in fold}
        fold_skills = [
            dataclasses.replace(
                s,
                alt_labels=_without(s.alt_labels, held[s.skill_id]),
                alt_text=_cut(s.alt_text, held[s.skill_id]),
            )
            if s.skill_id in held
            else s
            for s in skills
        ]
        normalizer = SkillNormalizer(
            Taxonomy.build(fold_skills, version="held-out"), embed=memo, embed_key=_model_id()
        )
        rows, owners = normalizer._texts(fold_skills)
        lexical = bm25_ranked(rows, owners, [q.text for q in fold])
        for query, theirs in zip(fold, lexical, strict=True):
            ours.add(query.owner, [m.skill_id for m in normalizer.suggest(query.text, limit=5)])
            bm25.add(query.owner, theirs)
    return ours, bm25


def _model_id() -> str:
    from matching.encoder import SentenceEncoder

    return SentenceEncoder().model_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=1000, help="held-out texts per task")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    from matching.encoder import SentenceEncoder

    taxonomy = load_packaged_taxonomy()
    memo = MemoEmbedder(SentenceEncoder().encode)
    figures: dict[str, float] = {}
    for name, task in (("occupations", occupation_task), ("skills", skill_task)):
        started = time.perf_counter()
        ours, bm25 = task(taxonomy, memo, args.queries, args.seed)
        took = time.perf_counter() - started
        print(
            f"{name}: {ours.asked} held-out texts; normaliser top-1 {ours.rate(1):.3f} "
            f"top-5 {ours.rate(5):.3f}; BM25 top-1 {bm25.rate(1):.3f} top-5 {bm25.rate(5):.3f} "
            f"({took:.0f} s, {memo.encoded} texts encoded so far)",
            flush=True,
        )
        figures[f"{name}_top1"] = ours.rate(1)
        figures[f"{name}_top5"] = ours.rate(5)
        figures[f"{name}_bm25_top5"] = bm25.rate(5)
        figures[f"{name}_vs_bm25_top5"] = ours.rate(5) / max(bm25.rate(5), 1e-9)
        # Near the ceiling a ratio of hit rates says little: the share of BM25's misses left.
        figures[f"{name}_misses_vs_bm25_top5"] = (1 - ours.rate(5)) / max(1 - bm25.rate(5), 1e-9)
    print("taxonomy: " + " ".join(f"{k}={v:.3f}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
