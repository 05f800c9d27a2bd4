"""The fairness half of the promotion gate (fairness/model_gate.py) on hand-made held-out lists
with known answers: 20 lists of 8 candidates (4 women, 4 men), the top 3 selected."""

from __future__ import annotations

import numpy as np
import pytest

from data.importing.service import import_employees
from data.importing.skills import SkillResolver
from data.storage.engine import transaction
from data.storage.skills import load_taxonomy
from data.taxonomy.packaged import load_packaged_taxonomy
from fairness.model_gate import FairnessGate, held_out_selection_gate, top_k_selected
from serving.state import ServiceState
from tests.factories import make_employee

WOMEN = [f"W{i:02d}" for i in range(40)]
MEN = [f"M{i:02d}" for i in range(40)]
LISTS = 20


def test_top_k_counts_only_lists_longer_than_k() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.7, 0.3, 1.0, 0.2])
    selected, counted = top_k_selected(scores, np.array([4, 3]), 3)
    assert selected.tolist() == [False, True, True, True, False, False, False]
    assert counted.tolist() == [True] * 4 + [False] * 3


def _lists(women_selected: list[int]) -> tuple[list[str], np.ndarray]:
    """Ids and scores: list j holds 4 women then 4 men; `women_selected[j]` of the women and
    3 minus that of the men score 1, the rest 0."""
    ids, scores = [], []
    for j, women in enumerate(women_selected):
        ids += [WOMEN[(4 * j + t) % 40] for t in range(4)]
        ids += [MEN[(4 * j + t) % 40] for t in range(4)]
        scores += [1.0 if t < women else 0.0 for t in range(4)]
        scores += [1.0 if t < 3 - women else 0.0 for t in range(4)]
    return ids, np.array(scores)


@pytest.fixture
def demographics(state: ServiceState) -> ServiceState:
    records = [
        make_employee(person, demographics={"gender": "female" if person[0] == "W" else "male"})
        for person in WOMEN + MEN
    ]
    with transaction(state.sessions) as session:
        resolver = SkillResolver(load_taxonomy(session, base=load_packaged_taxonomy()))
        import_employees(session, list(enumerate(records, start=1)), resolver)
    return state


def _gate(
    state: ServiceState, new: list[int], live: list[int] | None, tolerance: float = 0.05
) -> FairnessGate:
    ids, new_scores = _lists(new)
    live_scores = _lists(live)[1] if live is not None else None
    with state.sessions() as session:
        return held_out_selection_gate(
            session,
            employee_ids=ids,
            kinds=["gig"] * len(ids),
            sizes=[8] * LISTS,
            new_scores=new_scores,
            live_scores=live_scores,
            tolerance=tolerance,
            min_cell=10,
        )


EVEN = [2, 1] * (LISTS // 2)  # women 30, men 30 selected: ratio 1
SLIGHTLY_FEWER_WOMEN = [2] * 8 + [1] * 12  # women 28, men 32: ratio 0.875


def test_a_model_selecting_no_woman_is_refused(demographics: ServiceState) -> None:
    verdict = _gate(demographics, [0] * LISTS, EVEN)
    assert not verdict.allowed and verdict.new_ratio == 0.0 and verdict.live_ratio == 1.0
    assert "below four-fifths" in verdict.reason and "gender (gig)" in verdict.reason


def test_falling_more_than_the_tolerance_below_the_live_model_is_refused(
    demographics: ServiceState,
) -> None:
    verdict = _gate(demographics, SLIGHTLY_FEWER_WOMEN, EVEN)
    assert verdict.new_ratio == pytest.approx(0.875) and not verdict.allowed
    assert "more than 0.05 below it" in verdict.reason
    assert _gate(demographics, SLIGHTLY_FEWER_WOMEN, EVEN, tolerance=0.2).allowed
    assert _gate(demographics, SLIGHTLY_FEWER_WOMEN, None).allowed  # no live model scored
    assert _gate(demographics, EVEN, SLIGHTLY_FEWER_WOMEN).allowed


def test_without_reported_demographics_the_gate_cannot_judge_and_says_so(
    state: ServiceState,
) -> None:
    verdict = _gate(state, [0] * LISTS, EVEN)
    assert verdict.allowed and verdict.new_ratio is None
    assert "no category large enough to judge" in verdict.reason
