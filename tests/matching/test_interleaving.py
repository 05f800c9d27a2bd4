"""Team-draft interleaving on fixed lists with known answers, and the win rate it feeds."""

from __future__ import annotations

import numpy as np
import pytest

from matching.interleaving import (
    CHALLENGER,
    LIVE,
    preference,
    score_order,
    team_draft,
    wilson,
    win_rate,
)


def test_each_team_picks_its_best_unpicked_item_in_alternating_turns() -> None:
    live = [0, 1, 2, 3, 4, 5]
    challenger = [5, 4, 3, 2, 1, 0]
    draft = team_draft(live, challenger, seed=3)
    order, teams = draft.order.tolist(), draft.teams
    assert sorted(order) == live  # every item once, no duplicates
    for n in range(1, len(teams) + 1):  # at every prefix the teams differ by one pick at most
        assert abs(teams[:n].count(LIVE) - teams[:n].count(CHALLENGER)) <= 1
    for position, (item, team) in enumerate(zip(order, teams, strict=True)):
        ranking = live if team == LIVE else challenger
        unpicked = [i for i in ranking if i not in order[:position]]
        assert item == unpicked[0]
    # Opposite orders: the first picks are the two lists' heads.
    assert set(order[:2]) == {0, 5}


def test_the_same_seed_gives_the_same_draft_and_seeds_vary_who_starts() -> None:
    live, challenger = list(range(10)), [3, 1, 4, 0, 5, 9, 2, 6, 8, 7]
    first = team_draft(live, challenger, seed=42)
    again = team_draft(live, challenger, seed=42)
    assert first.order.tolist() == again.order.tolist() and first.teams == again.teams
    starters = {team_draft(live, challenger, seed=s).teams[0] for s in range(20)}
    assert starters == {LIVE, CHALLENGER}


def test_identical_lists_are_shown_unchanged_with_the_picks_split() -> None:
    draft = team_draft([2, 0, 1, 3], [2, 0, 1, 3], seed=7)
    assert draft.order.tolist() == [2, 0, 1, 3]
    assert draft.teams.count(LIVE) == draft.teams.count(CHALLENGER) == 2


def test_stand_in_scores_order_the_draft_and_lists_of_other_items_are_refused() -> None:
    draft = team_draft([0, 1, 2], [2, 1, 0], seed=1)
    assert score_order(draft.stand_in_scores()).tolist() == draft.order.tolist()
    with pytest.raises(ValueError):
        team_draft([0, 1, 2], [0, 1, 3], seed=1)
    with pytest.raises(ValueError):
        team_draft([0, 0, 1], [0, 1, 0], seed=1)


def test_score_order_is_highest_first_ties_by_position() -> None:
    assert score_order(np.array([0.2, 0.9, 0.2, 0.5])).tolist() == [1, 3, 0, 2]


def test_a_list_prefers_the_team_whose_items_drew_more_actions() -> None:
    assert preference({LIVE: 0, CHALLENGER: 1}) == CHALLENGER
    assert preference({LIVE: 2, CHALLENGER: 1}) == LIVE
    assert preference({LIVE: 1, CHALLENGER: 1}) is None
    assert preference({}) is None


def test_win_rate_leaves_ties_and_untouched_lists_out() -> None:
    lists = [
        {CHALLENGER: 1},
        {CHALLENGER: 2, LIVE: 1},
        {LIVE: 1},
        {LIVE: 1, CHALLENGER: 1},  # a tie
        {},  # nobody acted
    ]
    counted = win_rate(lists)
    assert (counted.lists, counted.challenger_wins, counted.live_wins, counted.ties) == (
        5,
        2,
        1,
        1,
    )
    assert counted.rate == pytest.approx(2 / 3)
    assert counted.interval is not None
    low, high = counted.interval
    assert low < 2 / 3 < high and counted.winner is None  # three lists decide nothing


def test_wilson_interval_known_values() -> None:
    # 7 of 10: the textbook Wilson 95% interval.
    assert wilson(7, 10) == pytest.approx((0.3968, 0.8922), abs=1e-4)
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0
    assert wilson(5, 5)[0] > 0.5  # five lists all for the challenger: a winner
    assert win_rate([{CHALLENGER: 1}] * 5).winner == CHALLENGER
    assert win_rate([{LIVE: 1}] * 5).winner == LIVE
