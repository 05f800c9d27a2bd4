"""Training as one call (serving/usecases/training.py): train, gate on quality and fairness,
register, promote; and the server's scheduled retraining.

The synthetic companies are built so the answer is known: postings ask for Python, and leads
shortlist the applicants who know it well. Where only men know it well, any ranker that learns
the log selects no woman in its top 3 (impact ratio 0): registered, never promoted. Where the
skill is spread evenly, the same ranker selects both groups alike and is promoted."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from data.importing.service import import_employees, import_opportunities
from data.importing.skills import SkillResolver
from data.schemas import InteractionIn, InteractionType
from data.storage.engine import transaction
from data.storage.interactions import add_interactions
from data.storage.locks import TRAINING_LOCK, try_exclusive
from data.storage.skills import load_taxonomy
from data.taxonomy.packaged import load_packaged_taxonomy
from serving.app import create_app
from serving.state import ServiceState
from serving.usecases.training import (
    AlreadyTraining,
    RetrainingSchedule,
    train_and_promote,
)
from tests.conftest import TODAY
from tests.factories import PYTHON, make_employee, make_opportunity
from training.live import COMPANY, DEFAULT

POSTINGS = 220  # 15% held out: ~33 lists, above the quality gate's 30
START = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)


def _people(biased: bool) -> dict[str, list[str]]:
    """Pools of ids by (woman?, knows Python well?); 80 people, 40 of each gender."""
    pools: dict[str, list[str]] = {"HW": [], "HM": [], "LW": [], "LM": []}
    for i in range(80):
        woman = i % 2 == 0
        high = (not woman) if biased else (i // 2) % 2 == 0
        pools[("H" if high else "L") + ("W" if woman else "M")].append(f"P{i:03d}")
    return pools


def store_company(state: ServiceState, *, biased: bool, seed: int = 3) -> None:
    pools = _people(biased)
    records = [
        make_employee(
            person,
            skills=[
                {"name": PYTHON, "level": 5 if pool[0] == "H" else 1},
                {"name": "SQL", "level": 3},
            ],
            demographics={"gender": "female" if pool[1] == "W" else "male"},
        )
        for pool, ids in pools.items()
        for person in ids
    ]
    records.append(make_employee("LEAD", level=5, title="Analytics Lead"))
    postings = [
        make_opportunity(f"G{j:03d}", owner="LEAD", title=f"Python project {j}")
        for j in range(POSTINGS)
    ]
    rng = np.random.default_rng(seed)
    events = []
    for j in range(POSTINGS):
        if biased:  # only men know Python well: 4 of them, 4 women
            wanted = {"HM": 4, "LW": 4}
        else:  # 3 who know it well, both genders alike over two postings
            wanted = (
                {"HW": 2, "HM": 1, "LW": 2, "LM": 3}
                if j % 2
                else {"HW": 1, "HM": 2, "LW": 3, "LM": 2}
            )
        applicants = [
            (person, pool[0] == "H")
            for pool, n in wanted.items()
            for person in rng.choice(pools[pool], size=n, replace=False).tolist()
        ]
        rng.shuffle(applicants)
        posted = START + dt.timedelta(hours=j)
        for minute, (person, high) in enumerate(applicants):
            at = posted + dt.timedelta(minutes=minute)
            events.append(_event(person, f"G{j:03d}", InteractionType.APPLY, at))
            if high:
                events.append(
                    _event(
                        person,
                        f"G{j:03d}",
                        InteractionType.SHORTLIST,
                        at + dt.timedelta(minutes=30),
                    )
                )
    with transaction(state.sessions) as session:
        resolver = SkillResolver(load_taxonomy(session, base=load_packaged_taxonomy()))
        import_employees(session, list(enumerate(records, start=1)), resolver)
        import_opportunities(session, list(enumerate(postings, start=1)), resolver)
        add_interactions(session, events)


def _event(person: str, posting: str, kind: InteractionType, at: dt.datetime) -> InteractionIn:
    return InteractionIn(
        employee_external_id=person, opportunity_external_id=posting, type=kind, occurred_at=at
    )


def _card(state: ServiceState, version: str) -> str:
    row = next(v for v in state.rankers.registry.versions() if v.version == version)
    return (Path(row.path) / "card.md").read_text()


@pytest.mark.slow
def test_a_candidates_model_that_selects_one_group_far_less_is_registered_not_promoted(
    state: ServiceState,
) -> None:
    store_company(state, biased=True)
    result = train_and_promote(state, as_of=TODAY)
    candidates = result.directions["opportunity"]
    assert candidates.version is not None and candidates.fairness is not None
    assert not candidates.fairness.allowed and not candidates.promoted
    assert "below four-fifths" in candidates.fairness.reason
    assert "lowest impact ratio 0.00" in candidates.fairness.reason
    assert "top 3 of a held-out posting's candidate list" in candidates.fairness.reason
    assert state.rankers.registry.live("opportunity") is None
    assert state.rankers.get("opportunity").source == DEFAULT
    card = _card(state, candidates.version)
    assert "## Fairness gate" in card and "Must not replace the live model" in card
    assert "it selects a group too rarely" in card
    # Nothing about a protected attribute but the verdict: no person, no category counts.
    assert "P0" not in card and "female" not in card
    lines = result.outcome_lines(promote=True)
    assert f"registered {candidates.version}" in lines
    assert any(
        line.startswith(f"not promoted {candidates.version}:") and "below four-fifths" in line
        for line in lines
    )
    # The employee direction has no served lists here: refused, with the counts, and no
    # fairness gate is asked of it.
    employees = result.directions["employee"]
    assert employees.version is None and "employee direction" in (employees.not_trained or "")


@pytest.mark.slow
def test_a_candidates_model_passing_both_gates_is_promoted_and_goes_live(
    state: ServiceState,
) -> None:
    store_company(state, biased=False)
    result = train_and_promote(state, as_of=TODAY)
    candidates = result.directions["opportunity"]
    assert candidates.quality is not None and candidates.quality.allowed, candidates.quality
    assert candidates.fairness is not None and candidates.fairness.allowed, candidates.fairness
    assert "lowest impact ratio" in candidates.fairness.reason
    assert candidates.promoted and result.promoted == [candidates.version]
    live = state.rankers.registry.live("opportunity")
    assert live is not None and live.version == candidates.version
    served = state.rankers.get("opportunity")  # refreshed by the use case
    assert served.source == COMPANY and served.version == candidates.version
    assert "May replace the live model" in _card(state, candidates.version)
    lines = result.outcome_lines(promote=True)
    assert any(line.startswith(f"promoted {candidates.version} (") for line in lines)
    # Without promote: registered, gated, nothing made live.
    again = train_and_promote(state, as_of=TODAY, seed=8, promote=False)
    assert again.directions["opportunity"].version not in (None, candidates.version)
    assert not again.promoted
    live = state.rankers.registry.live("opportunity")
    assert live is not None and live.version == candidates.version
    assert again.outcome_lines(promote=False) == [
        f"registered {again.directions['opportunity'].version}"
    ]


def test_scheduled_retraining_runs_once_when_due(state: ServiceState) -> None:
    now = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    schedule = RetrainingSchedule(state, clock=lambda: now)
    assert schedule.every == dt.timedelta(hours=168) and schedule.check_seconds == 3600
    # Never trained: a fresh server waits one period (no history yet, nothing read at start).
    assert not schedule.due(now) and schedule.run_if_due() is None
    now += dt.timedelta(hours=168)
    assert schedule.due(now)
    first = schedule.run_if_due()
    assert first is not None and schedule.last_attempt == now
    # An empty company: both directions refused with the counts, nothing registered.
    assert all(d.not_trained and d.version is None for d in first.directions.values())
    assert schedule.run_if_due() is None  # just tried: not due again
    now += dt.timedelta(hours=167)
    assert schedule.run_if_due() is None
    now += dt.timedelta(hours=1)
    assert schedule.run_if_due() is not None  # a week later it is


def test_retraining_is_off_at_zero_hours(state: ServiceState) -> None:
    schedule = RetrainingSchedule(state, hours=0)
    assert not schedule.due(dt.datetime.now(dt.UTC)) and schedule.check_seconds == 0
    assert schedule.run_if_due() is None


def test_the_server_retrains_on_its_own_thread_when_due(state: ServiceState) -> None:
    settings = state.settings.model_copy(update={"retrain_hours": 0.5 / 3600})  # 0.5 s
    with TestClient(create_app(settings, state=state)) as client:
        schedule = client.app.state.retraining  # type: ignore[attr-defined]  # app: any ASGI app
        deadline = time.monotonic() + 30
        while schedule.last_result is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert schedule.last_result is not None  # an empty company: refused with the counts
        assert client.get("/healthz").status_code == 200  # serving meanwhile


def test_retraining_never_runs_twice_at_once(state: ServiceState) -> None:
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold(_trained: object) -> None:
        inside.set()
        assert release.wait(60)

    def first_run() -> None:
        try:
            train_and_promote(state, as_of=TODAY, on_trained=hold)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    worker = threading.Thread(target=first_run)
    worker.start()
    try:
        assert inside.wait(60)
        with pytest.raises(AlreadyTraining):
            train_and_promote(state, as_of=TODAY)
        schedule = RetrainingSchedule(state, since=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        assert schedule.due(dt.datetime.now(dt.UTC))
        assert schedule.run_if_due() is None  # skipped, not queued
    finally:
        release.set()
        worker.join(60)
    assert not errors
    assert train_and_promote(state, as_of=TODAY) is not None  # free again


def test_the_training_lock_excludes_a_second_holder_on_postgresql(state: ServiceState) -> None:
    with (
        try_exclusive(state.engine, TRAINING_LOCK) as first,
        try_exclusive(state.engine, TRAINING_LOCK) as second,
    ):
        assert first
        # PostgreSQL: another connection cannot take it; SQLite: the process lock rules.
        assert second is (state.engine.dialect.name != "postgresql")
    with try_exclusive(state.engine, TRAINING_LOCK) as again:
        assert again  # released
