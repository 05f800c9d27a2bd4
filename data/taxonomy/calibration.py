"""One calibrated score for a (name, skill) suggestion: the estimated probability that the
skill is what the person meant.

Evidence of two kinds goes in: the embedding's cosine and the words the name shares with the
skill's labels (data/taxonomy/lexical.py). A small logistic model turns it into a probability,
so that the review threshold (`SkillNormalizer.min_score`) means the same whichever evidence
found the skill. The coefficients below are written by `python -m bench.fit_skill_calibration`
(seeded; the fitting is tools/taxonomy/calibrate.py), on the taxonomy itself: held-out alt
labels and tool aliases (the right skill is known), made-up brand-like words and tools taken
out of the index (no right skill exists), each name with its top candidates by cosine and by
BM25.

A brand name or acronym whose candidate shares none of its words (`brand_unsupported`) gets a
score the model learnt, then capped at UNSUPPORTED_CAP: it is suggested, never resolved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURES = (
    "cosine",  # best cosine of the name with any text of the skill
    "cosine_gap",  # that cosine minus the best cosine of any candidate of the name (<= 0)
    "query_cover",  # idf-weighted share of the name's words found in a text of the skill
    "prefix_cover",  # the same for words that start alike ("leadership" ~ "lead")
    "label_inside",  # share of the name a label of the skill covers word for word ("SQL" in
    # "SQL databases"), 0 when no label is inside
    "text_cover",  # share of that text's words found in the name
    "trigrams",  # character-trigram Dice with the skill's closest text
    "acronym",  # the name is the initials of a text of the skill, or the reverse
    "bm25_relative",  # the skill's best BM25 over the name's best BM25 (0 when none)
    "unsupported",  # no word in common and no acronym
    "cosine_unsupported",  # cosine when unsupported, else 0: the embedding alone
    "brand_unsupported",  # a brand-like or acronym name with no word in common
    "tool",  # the skill is a tool or technology (an O*NET product)
    "query_words",  # log(1 + words in the name)
    "core_exact",  # the name is a text of the skill word for word once "software", a vendor
    # or an ending acronym is taken off ("internal audit" = "Internal audit software"), or
    # is that acronym ("cpms"); lexical.core_forms
)

# A brand-like name and a skill that share no word: at most this, below any sane threshold.
UNSUPPORTED_CAP = 0.45


@dataclass(frozen=True, slots=True)
class Calibration:
    """A logistic model over every (name, candidate) pair ranks; a second, one-dimensional one
    (Platt scaling of the first's logit, fitted on each name's top candidate) calibrates: the
    score that decides (the top one against `min_score`) is then the share of such names that
    were right. Monotone, so the ranking is the first model's."""

    intercept: float
    coefficients: tuple[float, ...]
    top_scale: float = 1.0
    top_shift: float = 0.0

    def logit(self, features: np.ndarray) -> np.ndarray:
        """The ranking model's log-odds per pair."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or features.shape[1] != len(FEATURES):
            raise ValueError(f"expected (n, {len(FEATURES)}) features, got {features.shape}")
        logits: np.ndarray = features @ np.asarray(self.coefficients) + self.intercept
        return logits

    def probability(self, features: np.ndarray) -> np.ndarray:
        """(pairs, len(FEATURES)) -> probability per pair, capped where unsupported."""
        features = np.asarray(features, dtype=np.float64)
        logit = self.top_scale * self.logit(features) + self.top_shift
        probability = 1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))
        brand = features[:, FEATURES.index("brand_unsupported")] > 0
        return np.where(brand, np.minimum(probability, UNSUPPORTED_CAP), probability)


# -- fitted: written by `python -m bench.fit_skill_calibration --write` (not edited by hand) ---
# BEGIN FITTED
FITTED = Calibration(
    intercept=-9.9904,
    coefficients=(
        2.0381,  # cosine
        9.532,  # cosine_gap
        1.9106,  # query_cover
        3.4375,  # prefix_cover
        1.3322,  # label_inside
        0.2318,  # text_cover
        -0.6759,  # trigrams
        2.4323,  # acronym
        5.0499,  # bm25_relative
        1.7103,  # unsupported
        1.0154,  # cosine_unsupported
        0.0399,  # brand_unsupported
        -0.6028,  # tool
        -0.0751,  # query_words
        2.0467,  # core_exact
    ),
    top_scale=0.9481,
    top_shift=0.8965,
)
FIT_INFO = (
    "python -m bench.fit_skill_calibration --seed 7 --known 1200 --unknown 400: taxonomy "
    "0287a35f76b00650+onet-29.2.45fec91dcd11a599 (22722 skills, 8643 tools), 31589 pairs; "
    "held-out half: top1 0.911, wrongly accepted at 0.6 0.064, expected calibration error "
    "0.031"
)
# END FITTED
