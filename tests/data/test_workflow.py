"""The pair's workflow: each side only its own steps; a refused step says what may come next."""

from __future__ import annotations

import pytest

from data.schemas import Role
from data.workflow import (
    FINAL,
    LAPSES_FROM,
    STEPS,
    SYSTEM_STAGES,
    Action,
    Stage,
    StepRefused,
    allowed_steps,
    next_stage,
)

EMPLOYEE, LEAD, ADMIN = Role.EMPLOYEE, Role.LEAD, Role.ADMIN


def walk(*steps: tuple[Action, Role]) -> Stage:
    stage = Stage.NONE
    for action, by in steps:
        stage = next_stage(stage, action, by)
    return stage


def test_an_application_goes_all_the_way_to_completion() -> None:
    assert (
        walk(
            (Action.APPLY, EMPLOYEE),
            (Action.SHORTLIST, LEAD),
            (Action.OFFER, LEAD),
            (Action.ACCEPT_OFFER, EMPLOYEE),
            (Action.ASSIGN, LEAD),
            (Action.COMPLETE, LEAD),
        )
        is Stage.COMPLETED
    )


def test_an_accepted_invitation_is_an_application() -> None:
    assert walk((Action.INVITE, LEAD), (Action.ACCEPT_INVITATION, EMPLOYEE)) is Stage.APPLIED
    assert walk((Action.INVITE, LEAD), (Action.DECLINE_INVITATION, EMPLOYEE)) is Stage.DECLINED


def test_each_side_takes_only_its_own_steps() -> None:
    with pytest.raises(StepRefused) as refused:
        next_stage(Stage.APPLIED, Action.SHORTLIST, EMPLOYEE)
    assert refused.value.allowed == (Action.WITHDRAW,)
    assert "allowed next: withdraw" in str(refused.value)
    with pytest.raises(StepRefused) as waiting:
        next_stage(Stage.OFFERED, Action.ASSIGN, LEAD)
    assert waiting.value.allowed == (Action.REJECT,)
    with pytest.raises(StepRefused) as theirs:
        next_stage(Stage.INVITED, Action.SHORTLIST, LEAD)
    assert "the other side acts next: accept_invitation, decline_invitation" in str(theirs.value)
    # An admin may take any step the stage allows, and no other.
    assert next_stage(Stage.APPLIED, Action.SHORTLIST, ADMIN) is Stage.SHORTLISTED
    with pytest.raises(StepRefused):
        next_stage(Stage.APPLIED, Action.COMPLETE, ADMIN)


@pytest.mark.parametrize("stage", sorted(FINAL))
def test_an_ended_pair_allows_nothing_more(stage: Stage) -> None:
    for action in Action:
        with pytest.raises(StepRefused, match="nothing more can happen"):
            next_stage(stage, action, ADMIN)
    assert allowed_steps(stage, ADMIN) == ()


def test_every_stage_is_reachable_and_every_pair_can_end() -> None:
    reachable, frontier = {Stage.NONE}, [Stage.NONE]
    while frontier:
        for step in STEPS.get(frontier.pop(), ()):
            if step.to not in reachable:
                reachable.add(step.to)
                frontier.append(step.to)
    # A lapse is the service's own move, from a stage some step reaches, to one that ends it.
    assert reachable | SYSTEM_STAGES == set(Stage)
    assert set(LAPSES_FROM) <= reachable and SYSTEM_STAGES <= FINAL
    for stage in STEPS:  # from every open stage, some path ends the pair
        seen: set[Stage] = set()
        todo = [stage]
        while todo and not seen & FINAL:
            current = todo.pop()
            seen.add(current)
            todo.extend(s.to for s in STEPS.get(current, ()) if s.to not in seen)
        assert seen & FINAL or set(todo) & FINAL, stage
