"""Off-policy estimates on a synthetic logging policy whose true value is known: exploration's
propensities let IPS and SNIPS recover a different ranker's value within their intervals; DR
falls back on its reward model where nothing was shown; the gate refuses only a clear loss."""

from __future__ import annotations

import numpy as np
import pytest

from fairness.exploration import explore
from training.off_policy import LoggedList, compare, estimate, off_policy_verdict

N, PAGE, LISTS = 30, 10, 2500


def _world(seed: int = 0) -> tuple[list[LoggedList], list[np.ndarray]]:
    """Lists whose logging ranker orders items by feature 0 (rank as feature 1), explored as
    the serving path does (share 0.25, the 10 ranks below the page); rewards drawn for shown
    items from a known probability per item (returned alongside)."""
    rng = np.random.default_rng(seed)
    lists, truth = [], []
    for j in range(LISTS):
        logging_score = rng.normal(size=N)
        order = np.argsort(-logging_score, kind="stable")
        rank = np.empty(N)
        rank[order] = np.arange(1, N + 1)
        p_true = rng.uniform(0, 0.6, size=N)
        features = np.column_stack([logging_score, rank, p_true])
        explored = explore(order, page=PAGE, share=0.25, depth=10, seed=j, candidates=N)
        shown = np.zeros(N, dtype=bool)
        shown[explored.order[:PAGE]] = True
        reward = (rng.random(N) < p_true).astype(float) * shown
        lists.append(LoggedList(features, explored.propensity, shown, reward, PAGE))
        truth.append(p_true)
    return lists, truth


def _swap_deep(features: np.ndarray) -> np.ndarray:
    """A ranker that keeps the logging top three and then prefers its ranks 11-17 over 4-10:
    everything it shows could have been explored."""
    rank = features[:, 1]
    return np.where(rank <= 3, 100 - rank, np.where((rank > 10) & (rank <= 17), 50 - rank, -rank))


def _true_value(lists: list[LoggedList], truth: list[np.ndarray]) -> float:
    values = []
    for logged, p_true in zip(lists, truth, strict=True):
        top = np.argsort(-_swap_deep(logged.features), kind="stable")[:PAGE]
        values.append(p_true[top].sum())
    return float(np.mean(values))


@pytest.fixture(scope="module")
def world() -> tuple[list[LoggedList], list[np.ndarray]]:
    return _world()


def test_ips_and_snips_recover_a_different_rankers_value_within_their_interval(
    world: tuple[list[LoggedList], list[np.ndarray]],
) -> None:
    lists, truth = world
    true = _true_value(lists, truth)
    value = estimate(lists, _swap_deep, reward_model=lambda f: np.zeros(len(f)))
    assert value.unsupported == 0 and value.lists == LISTS
    for name, est in (("ips", value.ips), ("snips", value.snips)):
        assert est.low <= true <= est.high, (name, est, true)
        assert est.high - est.low < 0.25 * true, (name, est)  # informative, not a wide shrug
    # What the logging policy itself shows is worth more than the swapped ranker's page: the
    # estimates tell them apart.
    logging_value = estimate(lists, lambda f: -f[:, 1], reward_model=lambda f: np.zeros(len(f)))
    assert logging_value.ips.low > value.ips.high


def test_dr_with_a_good_reward_model_is_right_and_tighter_than_ips(
    world: tuple[list[LoggedList], list[np.ndarray]],
) -> None:
    lists, truth = world
    true = _true_value(lists, truth)
    value = estimate(lists, _swap_deep, reward_model=lambda f: f[:, 2])  # knows p_true
    assert value.dr.low <= true <= value.dr.high
    # Tighter, not free: what differs between the lists themselves stays in the interval.
    assert value.dr.high - value.dr.low < 0.85 * (value.ips.high - value.ips.low)
    fitted = estimate(lists, _swap_deep)  # the default: ridge on the shown items
    assert fitted.dr.low <= true <= fitted.dr.high


def test_dr_is_the_reward_model_where_nothing_was_shown() -> None:
    rng = np.random.default_rng(1)
    lists = [
        LoggedList(
            rng.normal(size=(12, 3)), np.zeros(12), np.zeros(12, dtype=bool), np.zeros(12), 5
        )
        for _ in range(40)
    ]
    value = estimate(lists, lambda f: f[:, 0], reward_model=lambda f: f[:, 1])
    expected = np.mean([ls.features[np.argsort(-ls.features[:, 0])[:5], 1].sum() for ls in lists])
    assert value.dr.value == pytest.approx(expected)
    assert value.ips.value == 0 and np.isnan(value.snips.value) and value.unsupported == 1


def test_a_ranker_showing_only_what_was_never_explorable_has_no_support(
    world: tuple[list[LoggedList], list[np.ndarray]],
) -> None:
    lists, _ = world
    deep = estimate(lists[:200], lambda f: f[:, 1], reward_model=lambda f: np.zeros(len(f)))
    assert deep.unsupported == 1 and deep.ips.value == 0


def test_the_gate_refuses_a_clear_loss_and_passes_a_tie(
    world: tuple[list[LoggedList], list[np.ndarray]],
) -> None:
    lists, _ = world
    live = lambda f: -f[:, 1]  # noqa: E731 - the logging ranker
    same = compare(lists, live, live)
    assert same.dr_difference.value == 0 and same.dr_difference.low == 0
    assert off_policy_verdict(same)[0] is True
    worse = compare(lists, _swap_deep, live)
    allowed, reason = off_policy_verdict(worse)
    assert allowed is False and "doubly robust" in reason and "interval" in reason
    assert off_policy_verdict(compare(lists[:10], _swap_deep, live))[0] is True  # too few lists


def test_a_shown_item_without_a_propensity_is_refused() -> None:
    with pytest.raises(ValueError, match="positive propensity"):
        LoggedList(np.zeros((2, 1)), np.zeros(2), np.ones(2, dtype=bool), np.zeros(2), 1)


def test_the_model_card_shows_the_three_estimates_with_intervals_for_both_rankers(
    world: tuple[list[LoggedList], list[np.ndarray]],
) -> None:
    from training.model_card import _off_policy_section

    lists, _ = world
    comparison = compare(lists[:300], _swap_deep, lambda f: -f[:, 1])
    allowed, reason = off_policy_verdict(comparison)
    text = "\n".join(_off_policy_section(allowed, reason, comparison))
    assert "| ranker | IPS | SNIPS | doubly robust |" in text
    new_row = next(line for line in text.splitlines() if line.startswith("| new |"))
    assert f"{comparison.new.dr.value:.4f} ({comparison.new.dr.low:.4f} to" in new_row
    assert f"{comparison.new.ips.low:.4f}" in new_row and "| live |" in text
    assert text.endswith(f"the live model: {reason}.")
