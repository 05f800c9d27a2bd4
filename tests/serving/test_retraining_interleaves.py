"""The retraining's own interleaving tests (serving/usecases/training.py): a model the held-out
lists could not judge is interleaved with the live one on every kind HR has not paused and no
admin switched off; the next retraining promotes it when people preferred its items at least as
often on enough lists, ends the test when they preferred the live model's, and lets it run on
with too few. Every step is an oversight event of the retraining."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.tables import OversightEventRow
from fairness.policy import PolicySettings, set_policy
from serving.state import ServiceState
from serving.usecases import training as training_usecase
from serving.usecases.interleaving import RETRAINING, start_retraining_test
from serving.usecases.training import train_and_promote
from tests.helpers.api import token_for
from tests.serving.test_interleaving import PEOPLE, _company, _matches, _register
from training.evaluate import GATE_MIN_GROUPS, Evaluation, gate_undecided

JUDGED_ON = 3  # lists with a preference the judgement needs here (GATE_MIN_GROUPS in use)


@pytest.fixture
def challenger(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    _company(client, admin_headers)
    monkeypatch.setattr(training_usecase, "GATE_MIN_GROUPS", JUDGED_ON)
    return _register(state, "employee")


def _start(state: ServiceState, version: str) -> list[str]:
    with transaction(state.sessions) as session:
        return start_retraining_test(
            session, direction="employee", challenger_version=version, reason="undecided"
        )


def _prefer(client: TestClient, state: ServiceState, team: str, people: list[str]) -> None:
    """Each person asks for gigs and saves one item of `team` from their interleaved list."""
    for person in people:
        _ids, record = _matches(client, state, person)
        item = next(i for i, t in record["interleaving"]["teams"].items() if t == team)
        headers = token_for(state, Role.EMPLOYEE, person)
        saved = client.post(f"/api/v1/opportunities/{item}/saves", headers=headers)
        assert saved.status_code == 201


def _events(state: ServiceState, action: str) -> list[OversightEventRow]:
    with state.sessions() as session:
        query = select(OversightEventRow).where(OversightEventRow.action == action)
        return list(session.scalars(query))


def test_it_starts_on_every_kind_but_a_paused_one_or_one_an_admin_switched_off(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str], challenger: str
) -> None:
    off = {"enabled": False, "challenger_version": challenger, "reason": "not on roles"}
    assert client.put("/api/v1/interleaving/role/employee", json=off, headers=admin_headers)
    with transaction(state.sessions) as session:
        set_policy(
            session,
            "mentorship",
            PolicySettings(paused=True),
            actor_role="hr",
            actor="hr",
            reason="paused",
        )
    assert _start(state, challenger) == ["gig"]
    [event] = _events(state, "interleaving_on")
    assert (event.actor_role, event.kind) == (RETRAINING, "gig")
    _ids, record = _matches(client, state, "P0")
    assert record["interleaving"]["challenger"] == challenger


def test_the_next_retraining_promotes_a_challenger_preferred_on_enough_lists(
    client: TestClient, state: ServiceState, challenger: str
) -> None:
    _start(state, challenger)
    _prefer(client, state, "challenger", PEOPLE[:JUDGED_ON])

    result = train_and_promote(state)

    assert state.rankers.get("employee").version == challenger
    assert challenger in result.promoted
    lines = result.outcome_lines(promote=True)
    assert any(line.startswith(f"promoted {challenger} by interleaving") for line in lines), lines
    [event] = _events(state, "promote")
    assert event.actor_role == RETRAINING and event.details["challenger_wins"] == JUDGED_ON
    # The test is over: lists are plain again, served by the promoted model.
    _ids, record = _matches(client, state, "P0")
    assert "interleaving" not in record and record["model"]["version"] == challenger


def test_the_test_ends_when_the_live_models_items_were_preferred(
    client: TestClient, state: ServiceState, challenger: str
) -> None:
    live = state.rankers.get("employee").version
    _start(state, challenger)
    _prefer(client, state, "live", PEOPLE[:JUDGED_ON])

    result = train_and_promote(state)

    assert state.rankers.get("employee").version == live and not result.promoted
    assert any("the live model stays" in line for line in result.outcome_lines(promote=True))
    assert [(e.actor_role, e.kind) for e in _events(state, "interleaving_off")] == [
        (RETRAINING, kind) for kind in ("gig", "mentorship", "role")
    ]
    _ids, record = _matches(client, state, "P0")
    assert "interleaving" not in record


def test_with_too_few_preferences_it_runs_on(
    client: TestClient, state: ServiceState, challenger: str
) -> None:
    live = state.rankers.get("employee").version
    _start(state, challenger)
    _prefer(client, state, "challenger", PEOPLE[: JUDGED_ON - 1])

    result = train_and_promote(state)

    assert state.rankers.get("employee").version == live
    said = result.outcome_lines(promote=True)
    assert any(f"interleaving {challenger} runs on" in line for line in said), said
    _ids, record = _matches(client, state, "P5")
    assert record["interleaving"]["challenger"] == challenger
    # A newer model the held-out lists cannot judge waits for it rather than restart the count.
    newer = _register(state, "employee", seed=12)
    waits = training_usecase._start_test(
        state, "employee", newer, training_usecase.Gate(False, "too few"), _evaluation([0.1])
    )
    assert waits == f"{newer} waits: interleaving {challenger} runs on"
    _ids, record = _matches(client, state, "P4")
    assert record["interleaving"]["challenger"] == challenger


def test_switched_off_the_retraining_leaves_a_running_test_alone(
    client: TestClient, state: ServiceState, challenger: str
) -> None:
    live = state.rankers.get("employee").version
    _start(state, challenger)
    _prefer(client, state, "challenger", PEOPLE[:JUDGED_ON])
    state.settings = state.settings.model_copy(update={"auto_interleave": False})
    try:
        train_and_promote(state)
    finally:
        state.settings = state.settings.model_copy(update={"auto_interleave": True})
    assert state.rankers.get("employee").version == live


def _evaluation(differences: list[float]) -> Evaluation:
    return Evaluation(
        logged={"ranker": {"ndcg@10": 0.8}, "live": {"ndcg@10": 0.8}},
        gate_differences=np.array(differences),
    )


def test_the_held_out_lists_leave_it_open_unless_too_few_or_clearly_worse() -> None:
    assert gate_undecided(_evaluation([0.2] * (GATE_MIN_GROUPS - 1)))  # too few to judge
    noisy = [0.1, -0.15] * GATE_MIN_GROUPS  # a little worse, the interval reaching zero
    assert gate_undecided(_evaluation(noisy))
    assert not gate_undecided(_evaluation([-0.05, -0.1] * GATE_MIN_GROUPS))  # clearly worse
    assert not gate_undecided(Evaluation(logged={"ranker": {"ndcg@10": 0.8}}))  # no live model
