"""Off-policy estimates of a ranker's value on logged lists: IPS, self-normalised IPS and doubly
robust, each with a bootstrap interval over lists.

The value of a ranker on one logged list is the sum of the rewards of the items it would put on
the page (its top `page` by score among the items the list scored): a page-inclusion model,
where an item's reward does not depend on its slot within the page. Each logged item carries
its propensity p, the probability the logging policy put it on the page (exploration included:
fairness/exploration.py), so with w = [in the ranker's page] * [shown] / p:

- IPS: mean over lists of sum(w * r). Unbiased where every item the ranker would show had
  p > 0; an item with p = 0 (never explorable) contributes nothing, which `unsupported` counts.
- SNIPS: IPS divided by the mean of sum(w) / page (which is 1 in expectation with full
  support): lower variance, slightly biased.
- DR: sum over the ranker's page of a reward model's prediction, plus the IPS correction
  sum(w * (r - r_hat)). Items never shown contribute only through the reward model; with
  nothing shown it is the reward model's estimate.

Intervals: percentile bootstrap over lists (seeded), so one person's many lists count as the
lists they are. `compare` draws the same lists for two rankers, so their difference has a
paired interval.

Why not a library: Open Bandit Pipeline (obp 0.5.7, its latest) requires Python < 3.11 and does
not install in this project (Python 3.11); Vowpal Wabbit (vowpalwabbit 9.11.9, a cp311 wheel)
installs, but it is a learner whose off-policy evaluation is of single-action contextual
bandits in its own text format and its own linear reward model, without slate propensities or
intervals. Both estimators here are a few lines of numpy; the reward model is scikit-learn's
Ridge, already a dependency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import Ridge

Scorer = Callable[[np.ndarray], np.ndarray]  # feature rows -> scores (higher first)
RESAMPLES = 1000
CONFIDENCE = 0.90


@dataclass(frozen=True, slots=True)
class LoggedList:
    features: np.ndarray  # (n, f): the rows the logging model scored
    propensity: np.ndarray  # (n,): probability each item was on the page
    shown: np.ndarray  # (n,) bool: on the page served
    reward: np.ndarray  # (n,): what people did with a shown item (ignored where not shown)
    page: int

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (len(self.propensity) == len(self.shown) == len(self.reward) == n):
            raise ValueError("features, propensity, shown and reward must have one row each")
        if np.any(self.shown & (self.propensity <= 0)):
            raise ValueError("a shown item must have a positive propensity")


@dataclass(frozen=True, slots=True)
class Estimate:
    value: float
    low: float
    high: float

    def describe(self) -> str:
        return f"{self.value:.4f} ({CONFIDENCE:.0%} interval {self.low:.4f} to {self.high:.4f})"


@dataclass(frozen=True, slots=True)
class PolicyValue:
    ips: Estimate
    snips: Estimate
    dr: Estimate
    lists: int
    unsupported: float  # share of the ranker's page items the logging policy never showed


@dataclass(frozen=True, slots=True)
class _PerList:
    ips: np.ndarray
    weight: np.ndarray  # sum(w) / page per list: 1 in expectation with full support
    dr: np.ndarray
    unsupported: float


def fit_reward_model(lists: Sequence[LoggedList], *, alpha: float = 1.0) -> Scorer:
    """Ridge regression of the reward on the features of shown items, each weighted by 1/p so
    the explored items count for the pool below the page they stand for. Without a shown item,
    a model that predicts 0."""
    shown = [(ls.features[ls.shown], ls.reward[ls.shown], ls.propensity[ls.shown]) for ls in lists]
    x = np.concatenate([s[0] for s in shown]) if shown else np.zeros((0, 0))
    if len(x) == 0:
        return lambda features: np.zeros(len(features))
    y = np.concatenate([s[1] for s in shown])
    weight = 1.0 / np.concatenate([s[2] for s in shown])
    model = Ridge(alpha=alpha).fit(x, y, sample_weight=weight)
    low, high = float(y.min()), float(y.max())
    return lambda features: np.clip(model.predict(features), low, high)


def _per_list(lists: Sequence[LoggedList], scorer: Scorer, reward_model: Scorer) -> _PerList:
    ips, weight, dr = (np.zeros(len(lists)) for _ in range(3))
    on_page = unsupported = 0
    for j, logged in enumerate(lists):  # one step per list; the items are vectorised
        n = len(logged.features)
        if n == 0:
            continue
        k = min(logged.page, n)
        top = np.argsort(-np.asarray(scorer(logged.features)), kind="stable")[:k]
        chosen = np.zeros(n, dtype=bool)
        chosen[top] = True
        w = np.where(chosen & logged.shown, 1.0 / np.where(logged.shown, logged.propensity, 1), 0)
        r = np.where(logged.shown, logged.reward, 0.0)
        r_hat = np.asarray(reward_model(logged.features), dtype=np.float64)
        ips[j] = float(w @ r)
        weight[j] = float(w.sum()) / k
        dr[j] = float(r_hat[chosen].sum() + w @ (r - r_hat))
        on_page += k
        unsupported += int((logged.propensity[chosen] <= 0).sum())
    return _PerList(ips, weight, dr, unsupported / on_page if on_page else 0.0)


def _draws(count: int, resamples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, count, size=(resamples, count))


def _interval(values: np.ndarray, point: float) -> Estimate:
    tail = (1 - CONFIDENCE) / 2
    finite = values[np.isfinite(values)]
    if not len(finite):
        return Estimate(point, float("nan"), float("nan"))
    return Estimate(point, float(np.quantile(finite, tail)), float(np.quantile(finite, 1 - tail)))


def _snips(ips: np.ndarray, weight: np.ndarray) -> np.ndarray | float:
    total = weight.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, ips.sum(axis=-1) / total, np.nan)


def _value(per: _PerList, draws: np.ndarray) -> PolicyValue:
    ips = _interval(per.ips[draws].mean(axis=1), float(per.ips.mean()))
    snips = _interval(
        np.asarray(_snips(per.ips[draws], per.weight[draws])),
        float(_snips(per.ips, per.weight)),
    )
    dr = _interval(per.dr[draws].mean(axis=1), float(per.dr.mean()))
    return PolicyValue(ips, snips, dr, len(per.ips), per.unsupported)


def estimate(
    lists: Sequence[LoggedList],
    scorer: Scorer,
    *,
    reward_model: Scorer | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> PolicyValue:
    """IPS, SNIPS and DR of `scorer` on `lists` (none: raises ValueError). `reward_model`:
    feature rows -> predicted reward (default: `fit_reward_model` on these lists)."""
    if not lists:
        raise ValueError("no logged lists to estimate from")
    model = reward_model or fit_reward_model(lists)
    return _value(_per_list(lists, scorer, model), _draws(len(lists), resamples, seed))


@dataclass(frozen=True, slots=True)
class Comparison:
    new: PolicyValue
    live: PolicyValue
    dr_difference: Estimate  # new minus live, paired over the same resampled lists


def compare(
    lists: Sequence[LoggedList],
    new: Scorer,
    live: Scorer,
    *,
    reward_model: Scorer | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Comparison:
    """Both rankers on the same lists, the same reward model and the same bootstrap draws."""
    if not lists:
        raise ValueError("no logged lists to estimate from")
    model = reward_model or fit_reward_model(lists)
    draws = _draws(len(lists), resamples, seed)
    a, b = _per_list(lists, new, model), _per_list(lists, live, model)
    difference = a.dr - b.dr
    return Comparison(
        _value(a, draws),
        _value(b, draws),
        _interval(difference[draws].mean(axis=1), float(difference.mean())),
    )


# Fewer explored lists than this cannot tell a better ranker from a lucky one (the same bar as
# the logged-outcome gate's GATE_MIN_GROUPS in training/evaluate.py).
MIN_LISTS = 30


def off_policy_verdict(comparison: Comparison) -> tuple[bool, str]:
    """Whether the new ranker may replace the live one on the off-policy evidence, and why.

    Refused only when the doubly robust estimate of the difference (new minus live, paired
    bootstrap over lists) lies wholly below zero: worse by more than noise. "Its lower bound
    below the live estimate" would refuse nearly every retraining on a pilot's few hundred
    explored lists, whose intervals are wide (the logged-outcome gate's note says why a gate
    nothing passes is worse than none). DR decides because it has the lowest variance of the
    three with a fair reward model and stays unbiased where the propensities are right; IPS and
    SNIPS are shown beside it so a reader can see whether they agree."""
    new, live, difference = comparison.new, comparison.live, comparison.dr_difference
    measured = (
        f"off-policy on {new.lists} explored lists (items on the page per list, propensity-"
        f"weighted): doubly robust {new.dr.describe()} vs the live model's "
        f"{live.dr.describe()}, difference {difference.value:+.4f} ({CONFIDENCE:.0%} interval "
        f"{difference.low:+.4f} to {difference.high:+.4f}); IPS {new.ips.value:.4f} vs "
        f"{live.ips.value:.4f}, SNIPS {new.snips.value:.4f} vs {live.snips.value:.4f}; "
        f"{new.unsupported:.0%} of its page never explorable"
    )
    if new.lists < MIN_LISTS:
        return True, f"{measured}: fewer than {MIN_LISTS} lists, not judged"
    if difference.high < 0:
        return False, f"{measured}: worse beyond noise; the live model stays"
    return True, measured
