"""Honest exploration: a few slots below the top three show items from just below the page,
each item's propensity is what the draws make it, HR can switch it off, and the logged seed
replays the explored list."""

from __future__ import annotations

import numpy as np
import pytest

from fairness.exploration import PROTECTED_SLOTS, explore, seed_for
from fairness.policy import Override, PolicySettings
from fairness.replay import settings_from_log
from fairness.rerank import serve_order

N, PAGE = 40, 10


def _order() -> np.ndarray:
    return np.random.default_rng(3).permutation(N)


@pytest.mark.parametrize("share", [0.05, 0.25])
def test_the_first_three_slots_are_never_explored(share: float) -> None:
    order = _order()
    for seed in range(1500):
        explored = explore(order, page=PAGE, share=share, depth=10, seed=seed, candidates=N)
        assert explored.order[:PROTECTED_SLOTS].tolist() == order[:PROTECTED_SLOTS].tolist()
        assert all(slot > PROTECTED_SLOTS for slot in explored.log["slots"])
        assert sorted(explored.order.tolist()) == list(range(N))  # still everyone, once


@pytest.mark.parametrize("share", [0.05, 0.15])
def test_the_share_of_explored_slots_is_the_share_asked(share: float) -> None:
    order = _order()
    counts = [
        len(explore(order, page=PAGE, share=share, depth=10, seed=s, candidates=N).log["slots"])
        for s in range(6000)
    ]
    observed = np.mean(counts) / PAGE
    error = np.std(counts) / PAGE / np.sqrt(len(counts))
    assert abs(observed - share) < 4 * error, (observed, share)


def test_propensities_are_how_often_each_item_is_on_the_page() -> None:
    order = _order()
    runs = 6000
    seen = np.zeros(N)
    for seed in range(runs):
        explored = explore(order, page=PAGE, share=0.2, depth=5, seed=seed, candidates=N)
        seen[explored.order[:PAGE]] += 1
    propensity = explored.propensity
    assert propensity.sum() == pytest.approx(PAGE)  # the page holds PAGE items, always
    assert (propensity[order[:PROTECTED_SLOTS]] == 1).all()
    assert (propensity[order[PAGE + 5 :]] == 0).all()  # deeper than the pool: never shown
    below = propensity[order[PAGE : PAGE + 5]]
    assert (below > 0).all() and np.allclose(below, below[0])
    frequency = seen / runs
    se = np.sqrt(propensity * (1 - propensity) / runs) + 1e-12
    assert (np.abs(frequency - propensity) <= 4 * se + 1e-9).all(), (frequency, propensity)


def test_a_pinned_item_is_never_explored_away() -> None:
    scores = np.linspace(1, 0, N)
    ids = [f"E{i:02d}" for i in range(N)]
    pins = [Override(n, ids[20 + n], "pin", "why", "lead", "") for n in range(6)]
    settings = PolicySettings(name="off", explore_share=0.25)
    for seed in range(300):
        served = serve_order(
            scores, scores, ids, settings=settings, page=PAGE, membership=None,
            overrides=pins, explore_seed=seed,
        )  # fmt: skip
        assert served.order[:6].tolist() == list(range(20, 26))
        assert (served.propensity[20:26] == 1).all()


def test_hr_switching_exploration_off_serves_the_plain_order() -> None:
    scores = np.linspace(1, 0, N)
    ids = [f"E{i:02d}" for i in range(N)]
    off = PolicySettings(name="off", explore=False)
    on = PolicySettings(name="off", explore_share=0.25)
    explored_once = False
    for seed in range(50):
        plain = serve_order(scores, scores, ids, settings=off, page=PAGE, membership=None,
                            explore_seed=seed)  # fmt: skip
        assert plain.order.tolist() == list(range(N))
        assert "exploration" not in plain.policy
        assert plain.propensity.tolist() == [1.0] * PAGE + [0.0] * (N - PAGE)
        explored = serve_order(scores, scores, ids, settings=on, page=PAGE, membership=None,
                               explore_seed=seed)  # fmt: skip
        explored_once |= explored.order.tolist() != list(range(N))
    assert explored_once
    with pytest.raises(ValueError, match="explore_share"):
        PolicySettings(explore_share=0.5)


def test_a_later_page_or_a_paused_kind_is_not_explored() -> None:
    scores = np.linspace(1, 0, N)
    ids = [f"E{i:02d}" for i in range(N)]
    on = PolicySettings(name="off", explore_share=0.25)
    later = serve_order(scores, scores, ids, settings=on, page=PAGE, membership=None)
    assert later.order.tolist() == list(range(N)) and "exploration" not in later.policy
    paused = PolicySettings(paused=True, explore_share=0.25)
    for seed in range(30):
        served = serve_order(scores, scores, ids, settings=paused, page=PAGE, membership=None,
                             explore_seed=seed)  # fmt: skip
        assert served.order.tolist() == list(range(N)) and "exploration" not in served.policy


def test_the_logged_policy_replays_the_explored_order() -> None:
    rng = np.random.default_rng(5)
    scores = rng.random(N)
    ids = [f"E{i:02d}" for i in range(N)]
    categories = ["female" if i % 3 == 0 else "male" for i in range(N)]
    served = serve_order(
        scores, scores, ids, settings=PolicySettings(explore_share=0.25), page=PAGE,
        membership=lambda _a: categories, key=b"k", explore_seed=seed_for("req-explored-7"),
    )  # fmt: skip
    assert served.policy["exploration"]["seed"] == seed_for("req-explored-7")
    assert served.policy["exploration"]["slots"]  # this seed explores (checked: not vacuous)
    settings = settings_from_log(served.policy)
    assert settings.explore and settings.explore_share == 0.25
    again = serve_order(
        scores, scores, ids, settings=settings, page=PAGE, membership=lambda _a: categories,
        key=b"k", explore_seed=served.policy["exploration"]["seed"],
    )  # fmt: skip
    assert again.order.tolist() == served.order.tolist()
    assert np.array_equal(again.propensity, served.propensity)
    # A record logged before exploration existed replays without it.
    assert settings_from_log({"name": "off"}).explore is False


def test_under_fair_exploration_never_displaces_a_protected_candidate() -> None:
    rng = np.random.default_rng(9)
    scores = rng.random(N)
    ids = [f"E{i:02d}" for i in range(N)]
    categories = ["female" if i % 4 == 0 else "male" for i in range(N)]
    settings = PolicySettings(explore_share=0.25)
    explored_once = False
    for seed in range(200):
        served = serve_order(
            scores, scores, ids, settings=settings, page=PAGE,
            membership=lambda _a: categories, key=b"k", explore_seed=seed,
        )  # fmt: skip
        plain = serve_order(
            scores, scores, ids, settings=settings, page=PAGE,
            membership=lambda _a: categories, key=b"k",
        )  # fmt: skip
        women = [i for i in plain.order[:PAGE].tolist() if categories[i] == "female"]
        assert set(women) <= set(served.order[:PAGE].tolist())
        assert all(served.propensity[i] == 1 for i in women)
        explored_once |= bool(served.policy["exploration"]["slots"])
    assert explored_once


def test_under_detgreedy_a_list_is_not_explored_and_says_why() -> None:
    """DetGreedy bounds each group's count on every prefix from both sides: no swap is safe."""
    rng = np.random.default_rng(3)
    scores = rng.random(N)
    ids = [f"E{i:02d}" for i in range(N)]
    categories = ["female" if i % 3 == 0 else "male" for i in range(N)]
    settings = PolicySettings(name="detgreedy", explore_share=0.25)
    plain = serve_order(
        scores, scores, ids, settings=settings, page=PAGE,
        membership=lambda _a: categories, key=b"k",
    )  # fmt: skip
    for seed in range(50):
        served = serve_order(
            scores, scores, ids, settings=settings, page=PAGE,
            membership=lambda _a: categories, key=b"k", explore_seed=seed,
        )  # fmt: skip
        assert served.order.tolist() == plain.order.tolist()
        assert "off" in served.policy["exploration"]
        assert set(served.propensity.tolist()) <= {0.0, 1.0}
    assert settings_from_log(served.policy).explore is False  # replay serves it unexplored
