"""Fit the skill normaliser's calibration (data/taxonomy/calibration.py) on the taxonomy itself.

Names whose right answer is known, each taken out of the index it is scored against:
  - an alt label of an ESCO skill (out of the skill's alt labels and run-together alt text);
  - an alias of a tool (O*NET product), out of the tool's aliases.
Names with no right answer:
  - made-up brand-like words (seeded, pronounceable: "Zorvex", "Kalimo");
  - real product names: tools taken out of the index whole (or, for a taxonomy without tools,
    O*NET product names it does not hold).
Every name meets its candidates as the normaliser finds them (nearest by cosine, best by BM25,
labels inside it); a candidate is a positive when it is the name's owner. Names that an exact
label or a one-typo spelling would settle never reach the model and are left out.

The names are split in two halves: a model fitted on one half is checked on the other
(reliability of the top suggestion within bins, share wrongly accepted at the threshold), then
the coefficients are fitted on all of it. The entry point with the real encoder is
`python -m bench.fit_skill_calibration [--write]`, which writes the fitted block.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from data.schemas import normalize_label
from data.taxonomy.calibration import FEATURES, Calibration
from data.taxonomy.model import Taxonomy, TaxonomySkill
from data.taxonomy.normalizer import SkillNormalizer

SCRIPT = "python -m bench.fit_skill_calibration"
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_ENDINGS = ("", "", "x", "n", "r", "s", "ly", "io", "ix")


@dataclass(frozen=True, slots=True)
class Name:
    text: str
    owner: str | None  # the skill meant; None: no skill of the taxonomy is meant


def made_up_words(count: int, rng: random.Random, known: set[str]) -> list[str]:
    """Pronounceable words that name nothing: product-like names no label contains."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        syllables = rng.randint(2, 3)
        word = "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables))
        word += rng.choice(_ENDINGS)
        if word in seen or word in known:
            continue
        seen.add(word)
        out.append(word.capitalize())
    return out


def onet_products(onet_dir: Path) -> list[str]:
    """O*NET's product names (technology_skills.csv.gz `Example`), sorted."""
    path = onet_dir / "technology_skills.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
        return sorted({row["Example"].strip() for row in csv.DictReader(stream) if row["Example"]})


def draw_names(
    taxonomy: Taxonomy,
    *,
    known_count: int,
    unknown_count: int,
    seed: int,
    onet_dir: Path | None = None,
) -> tuple[list[Name], set[str]]:
    """Held-out names and the tools taken out whole (their ids)."""
    rng = random.Random(seed)
    pairs: list[Name] = []
    for skill in sorted(taxonomy.skills.values(), key=lambda s: s.skill_id):
        if skill.source not in ("esco", "onet") or not skill.exact:
            continue
        label = normalize_label(skill.label)
        for alt in skill.alt_labels:
            if normalize_label(alt) and normalize_label(alt) != label:
                pairs.append(Name(alt, skill.skill_id))
    rng.shuffle(pairs)
    known: list[Name] = []
    owners: set[str] = set()
    for name in pairs:  # one name per skill: each held-out name leaves its skill its others
        if name.owner not in owners:
            owners.add(name.owner or "")
            known.append(name)
        if len(known) == known_count:
            break
    tools = sorted(s.skill_id for s in taxonomy.skills.values() if s.skill_type == "tool")
    tools = [t for t in tools if t not in owners]
    rng.shuffle(tools)
    removed = set(tools[: unknown_count // 2])
    products = [taxonomy.skills[t].label for t in sorted(removed)]
    if not tools and onet_dir is not None and (onet_dir / "technology_skills.csv.gz").is_file():
        candidates = [p for p in onet_products(onet_dir) if taxonomy.lookup_label(p) is None]
        rng.shuffle(candidates)
        products = candidates[: unknown_count // 2]
    vocabulary = {w for s in taxonomy.skills.values() for w in normalize_label(s.label).split()}
    made_up = made_up_words(unknown_count - len(products), rng, vocabulary)
    names = known + [Name(text, None) for text in [*products, *made_up]]
    rng.shuffle(names)
    return names, removed


def held_out_taxonomy(taxonomy: Taxonomy, names: Sequence[Name], removed: set[str]) -> Taxonomy:
    """The taxonomy without the held-out names (and without the removed tools)."""
    held = {name.owner: name.text for name in names if name.owner is not None}
    skills: list[TaxonomySkill] = []
    for skill in taxonomy.skills.values():
        if skill.skill_id in removed:
            continue
        if skill.skill_id in held:
            key = normalize_label(held[skill.skill_id])
            skill = dataclasses.replace(
                skill,
                alt_labels=tuple(a for a in skill.alt_labels if normalize_label(a) != key),
                alt_text=re.sub(re.escape(held[skill.skill_id]), " ", skill.alt_text, flags=re.I),
            )
        skills.append(skill)
    return Taxonomy.build(skills, version="held-out")


def examples(
    normalizer: SkillNormalizer, names: Sequence[Name]
) -> tuple[list[Name], list[np.ndarray], list[np.ndarray]]:
    """Each name the model would score: its candidates' features and which is the owner."""
    spelling = normalizer._spelling_index()
    asked = [
        n
        for n in names
        if normalizer.taxonomy.lookup_label(n.text) is None
        and spelling.lookup(normalize_label(n.text)) is None
    ]
    found = normalizer.candidate_evidence([n.text for n in asked])
    features, labels = [], []
    for name, evidence in zip(asked, found, strict=True):
        ids = [evidence.index.skill_ids[k] for k in evidence.skill_numbers]
        features.append(evidence.features)
        labels.append(np.asarray([skill_id == name.owner for skill_id in ids], dtype=bool))
    return asked, features, labels


def fit(features: Sequence[np.ndarray], labels: Sequence[np.ndarray], seed: int) -> Calibration:
    """Logistic regression over every (name, candidate) pair (scikit-learn, L2, C=1), then
    Platt scaling of its logit on each name's top candidate: a pair model is under-confident
    about a name's best candidate (0.72 predicted where 0.86 were right, before scaling)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([f for f in features if len(f)])
    y = np.concatenate([v for v in labels if len(v)])
    model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(x, y)
    ranking = Calibration(
        intercept=round(float(model.intercept_[0]), 4),
        coefficients=tuple(round(float(c), 4) for c in model.coef_[0]),
    )
    top_logit, top_right = [], []
    for f, v in zip(features, labels, strict=True):
        if len(f):
            logit = ranking.logit(f)
            top = int(np.lexsort((-f[:, 0], -logit))[0])
            top_logit.append(logit[top])
            top_right.append(bool(v[top]))
    scaling = LogisticRegression(C=100.0, max_iter=2000, random_state=seed)
    scaling.fit(np.asarray(top_logit)[:, None], np.asarray(top_right))
    return dataclasses.replace(
        ranking,
        top_scale=round(float(scaling.coef_[0][0]), 4),
        top_shift=round(float(scaling.intercept_[0]), 4),
    )


@dataclass(frozen=True, slots=True)
class Reliability:
    """How the top suggestion's score compares with how often it is right."""

    bins: list[tuple[float, float, float, int]]  # (low, mean score, share right, count)
    top1: float  # names with an owner whose top suggestion is it
    wrongly_accepted: float  # names whose top suggestion would be taken and is wrong
    expected_error: float  # count-weighted |mean score - share right| over bins


def reliability(
    calibration: Calibration,
    features: Sequence[np.ndarray],
    labels: Sequence[np.ndarray],
    names: Sequence[Name],
    *,
    threshold: float,
    edges: Sequence[float] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001),
) -> Reliability:
    scores, right, owned = [], [], []
    for x, y, name in zip(features, labels, names, strict=True):
        if not len(x):
            scores.append(0.0)
            right.append(False)
        else:
            p = calibration.probability(x)
            top = int(np.lexsort((-x[:, 0], -p))[0])
            brand = x[top, FEATURES.index("brand_unsupported")] > 0
            scores.append(float(p[top]) if not brand else min(float(p[top]), threshold - 1e-6))
            right.append(bool(y[top]))
        owned.append(name.owner is not None)
    s, r = np.asarray(scores), np.asarray(right)
    bins = []
    error = 0.0
    for low, high in pairwise(edges):
        inside = (s >= low) & (s < high)
        if inside.any():
            bins.append((low, float(s[inside].mean()), float(r[inside].mean()), int(inside.sum())))
            error += inside.sum() * abs(s[inside].mean() - r[inside].mean())
    accepted = s >= threshold
    return Reliability(
        bins=bins,
        top1=float(r[np.asarray(owned)].mean()) if any(owned) else 0.0,
        wrongly_accepted=float((accepted & ~r).mean()),
        expected_error=float(error / max(len(s), 1)),
    )


def run(
    taxonomy: Taxonomy,
    embed: Callable[[list[str]], np.ndarray],
    *,
    label_vectors: Callable[[SkillNormalizer], None] | None = None,
    known_count: int = 1200,
    unknown_count: int = 400,
    seed: int = 7,
    threshold: float = 0.6,
    onet_dir: Path | None = None,
) -> tuple[Calibration, Reliability, Reliability, int]:
    """Fit on half the names, check on the other half, refit on all: (final calibration,
    reliability of the half-fit on the other half, of the final fit on all, pairs)."""
    names, removed = draw_names(
        taxonomy,
        known_count=known_count,
        unknown_count=unknown_count,
        seed=seed,
        onet_dir=onet_dir,
    )
    normalizer = SkillNormalizer(held_out_taxonomy(taxonomy, names, removed), embed)
    if label_vectors is not None:
        label_vectors(normalizer)
    asked, features, labels = examples(normalizer, names)
    half = len(asked) // 2
    first = fit(features[:half], labels[:half], seed)
    checked = reliability(first, features[half:], labels[half:], asked[half:], threshold=threshold)
    final = fit(features, labels, seed)
    overall = reliability(final, features, labels, asked, threshold=threshold)
    return final, checked, overall, int(sum(len(y) for y in labels))


_BLOCK = re.compile(r"# BEGIN FITTED\n.*?# END FITTED\n", re.S)


def fitted_block(calibration: Calibration, info: str) -> str:
    coefficients = "".join(
        f"        {value!r},  # {name}\n"
        for name, value in zip(FEATURES, calibration.coefficients, strict=True)
    )
    described = "".join(f"    {line!r}\n" for line in _wrap(info))
    return (
        "# BEGIN FITTED\n"
        "FITTED = Calibration(\n"
        f"    intercept={calibration.intercept!r},\n"
        f"    coefficients=(\n{coefficients}    ),\n"
        f"    top_scale={calibration.top_scale!r},\n"
        f"    top_shift={calibration.top_shift!r},\n"
        ")\n"
        f"FIT_INFO = (\n{described})\n"
        "# END FITTED\n"
    )


def _wrap(text: str, width: int = 88) -> list[str]:
    lines: list[str] = []
    while len(text) > width:
        cut = text.rfind(" ", 0, width) + 1 or width
        lines.append(text[:cut])
        text = text[cut:]
    return [*lines, text]


def write_fitted(path: Path, calibration: Calibration, info: str) -> None:
    text = path.read_text(encoding="utf-8")
    if not _BLOCK.search(text):
        raise ValueError(f"{path} has no '# BEGIN FITTED' … '# END FITTED' block")
    path.write_text(_BLOCK.sub(lambda _: fitted_block(calibration, info), text), encoding="utf-8")
