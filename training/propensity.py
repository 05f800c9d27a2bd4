"""Position bias: examination propensities, their inverse weights, and eta from the logs.

Model (position-based click model): an item at position p is examined with probability
(1/p) ** eta, and only an examined item can be applied to or saved. Weighting a positive
sample by the inverse of its propensity (IPS) undoes the extra credit the top positions got.

Estimating eta from logs is hard: under a ranking policy the better items sit higher, so
clicks fall with position partly because fit falls too, and the naive curve overstates eta.
Two estimates, both fitted by least squares through the origin on
log(rate_p / rate_1) = -eta · log p:

- naive (the default): click-through rate per position relative to position 1. Near the truth
  only when the logging policy shuffles positions thoroughly; the demo company samples each page
  from the policy's top 30 with a sharp softmax, which limits the overstatement but leaves it.
- harvested (give `pairs`): intervention harvesting. The same (employee, opportunity) pair shown
  at position 1 in one list and at p in another has the same fit both times, so comparing its
  click rate at p with its own at 1, over all pairs seen at both, holds fit fixed. It needs
  repeated exposures at varied positions and is noisier, but much less biased.

The harvested estimate still runs a little high on the demo logs: it records one application per
pair, so a pair that applied when shown on top cannot click again when shown lower, and the
policy shows strong pairs on top more often. A randomised swap experiment would settle it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

DEFAULT_CLIP = 10.0


def examination_propensity(positions: ArrayLike, *, eta: float) -> np.ndarray:
    """(1/position) ** eta; 1 where no position was logged (position < 1)."""
    if eta < 0:
        raise ValueError(f"eta must not be negative, got {eta}")
    p = np.asarray(positions, dtype=np.float64)
    return np.where(p >= 1, np.power(np.maximum(p, 1.0), -eta), 1.0)


def inverse_propensity_weights(
    positions: ArrayLike,
    *,
    eta: float,
    clip: float = DEFAULT_CLIP,
    labels: ArrayLike | None = None,
) -> np.ndarray:
    """Per-row sample weights 1 / propensity, clipped at `clip`, normalised globally to mean 1.

    Clipping bounds the weight before normalisation (a propensity floor of 1/clip): deep
    positions are seen rarely and an unclipped weight lets a handful of them dominate. The
    normalisation is global, not per group, so a group whose positives sat deep keeps more
    weight than one whose positives sat on top (that is the correction), while the mean weight
    stays 1 and learning rates keep their meaning. With `labels`, only rows with a label above 0
    are reweighted (IPS corrects the observed positives; an ignored row is not evidence of
    examination) and the rest weigh 1 before normalisation.
    """
    if clip < 1:
        raise ValueError(f"clip must be at least 1, got {clip}")
    weights = np.minimum(1.0 / examination_propensity(positions, eta=eta), clip)
    if labels is not None:
        positive = np.asarray(labels) > 0
        if positive.shape != weights.shape:
            raise ValueError("labels and positions must have the same shape")
        weights = np.where(positive, weights, 1.0)
    if weights.size == 0:
        return weights
    normalised: np.ndarray = weights / weights.mean()
    return normalised


@dataclass(frozen=True, slots=True)
class PositionBiasEstimate:
    eta: float
    method: str  # "naive" or "harvested"
    positions: np.ndarray  # the positions used in the fit, 1 first
    support: np.ndarray  # impressions (naive) or pairs seen at 1 and there (harvested)
    relative_rate: np.ndarray  # click rate at each position / click rate at position 1


def estimate_position_bias(
    positions: ArrayLike,
    labels: ArrayLike,
    *,
    pairs: ArrayLike | None = None,
    min_support: int = 200,
) -> PositionBiasEstimate:
    """Eta from logged positions and labels (see the module note for both methods).

    A click is a label of 1 or more: applied or saved, or any outcome that followed. `pairs`
    (one code per row, equal for the same employee and opportunity, e.g.
    `QueryGroups.pair_codes()`) switches to intervention harvesting. A position enters the fit
    when it has at least `min_support` impressions (naive) or pairs also shown at position 1
    (harvested) and at least one click: the log of a rate from a handful of samples is noise.
    """
    p = np.asarray(positions, dtype=np.int64)
    clicked = (np.asarray(labels) >= 1).astype(np.float64)
    if p.shape != clicked.shape:
        raise ValueError("labels and positions must have the same shape")
    logged = p >= 1
    if pairs is None:
        method = "naive"
        support = np.bincount(p[logged], minlength=2)
        clicks = np.bincount(p[logged], weights=clicked[logged], minlength=2)
        rate = clicks / np.maximum(support, 1)
        reference = np.full(len(rate), rate[1])
    else:
        method = "harvested"
        codes = np.asarray(pairs)
        if codes.shape != p.shape:
            raise ValueError("pairs and positions must have the same shape")
        support, clicks, rate, reference = _harvest(p[logged], clicked[logged], codes[logged])
    keep = np.nonzero((support >= min_support) & (clicks > 0) & (reference > 0))[0]
    keep = keep[keep >= 2]
    if support[1] < min_support or len(keep) == 0:
        raise ValueError(
            f"need position 1 and at least one more position with {min_support} samples "
            "and a click to estimate eta"
        )
    keep = np.concatenate([[1], keep])
    relative = np.concatenate([[1.0], rate[keep[1:]] / reference[keep[1:]]])
    x, y = np.log(keep.astype(np.float64)), np.log(relative)
    # Through the origin: the ratio at position 1 is 1 by construction.
    eta = float(-(x @ y) / (x @ x))
    return PositionBiasEstimate(
        eta=eta,
        method=method,
        positions=keep,
        support=support[keep].astype(np.int64),
        relative_rate=relative,
    )


def _harvest(
    positions: np.ndarray, clicked: np.ndarray, pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per position p: (pairs shown at 1 and p, their clicks at p, mean rate at p, mean at 1).

    Each pair counts once per position (its own click rate there), so a pair shown often does
    not outweigh the others. At p = 1 the support is the number of pairs shown there.
    """
    _, pair = np.unique(pairs, return_inverse=True)
    width = int(positions.max(initial=1)) + 1
    cells, cell_of_row = np.unique(pair * width + positions, return_inverse=True)
    shown = np.bincount(cell_of_row)
    clicks = np.bincount(cell_of_row, weights=clicked)
    cell_pair, cell_position = cells // width, cells % width
    top_rate = np.full(int(pair.max(initial=0)) + 1, np.nan)
    at_top = cell_position == 1
    top_rate[cell_pair[at_top]] = clicks[at_top] / shown[at_top]
    paired = np.isfinite(top_rate[cell_pair]) & ~at_top
    where = cell_position[paired]
    support = np.bincount(where, minlength=width)
    support[1] = int(at_top.sum())  # pairs shown at position 1: the reference side
    n = np.maximum(support, 1)
    position_clicks = np.bincount(where, weights=clicks[paired], minlength=width)
    rate = np.bincount(where, weights=clicks[paired] / shown[paired], minlength=width) / n
    reference = np.bincount(where, weights=top_rate[cell_pair[paired]], minlength=width) / n
    return support, position_clicks, rate, reference
