"""End to end on a small demo company: labels, features, ranker, baselines, report."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from data.demo import generate_company
from data.taxonomy.packaged import load_packaged_taxonomy
from tests.matching.fakes import HashEncoder
from tests.training.company_inputs import CompanyInputs
from training.evaluate import BASELINES, GATE_MIN_GROUPS, Evaluation, promotion_gate
from training.groups import Direction
from training.pipeline import NotEnoughHistory, TrainingRun, evaluate_company


def test_evaluation_reports_ranker_and_baselines_on_logs_and_true_fit() -> None:
    taxonomy = load_packaged_taxonomy()
    company = generate_company(
        taxonomy, employees=300, opportunities=60, seed=3, as_of=dt.date(2026, 11, 1)
    )
    runs = evaluate_company(
        company.employees,
        company.opportunities,
        company.interactions,
        embed=HashEncoder(dim=16).encode,
        skill_labels=lambda skill: taxonomy.skills[skill].label,
        reference_date=company.as_of,
        true_fit=(company.true_fit, company.employee_ids, company.opportunity_ids),
    )
    run = runs[Direction.EMPLOYEE]
    assert isinstance(run, TrainingRun)
    result, sizes = run.evaluation, run.sizes
    assert len(run.data_hash) == 64
    assert sizes["test_groups"] > 50 and sizes["train_rows"] > sizes["test_rows"]
    for name in ("ranker", *BASELINES):
        assert 0 < result.logged[name]["ndcg@10"] <= 1
        assert 0 < result.true_fit_ndcg10[name] <= 1
    # Skill-blind hash embeddings: the ranker must still beat that baseline on the true fit.
    assert result.true_fit_ndcg10["ranker"] > result.true_fit_ndcg10["embedding_similarity"]
    assert re.fullmatch(
        r"evaluate: ndcg10_ranker=\d\.\d{4} ndcg10_best_baseline=\d\.\d{4} \(\w+\) ratio=\d+\.\d\d",
        result.summary_line(),
    )

    # The candidate direction trains on applicants; this small log has too few of them, and
    # says so rather than reporting metrics over a handful of groups.
    candidates = runs[Direction.OPPORTUNITY]
    assert isinstance(candidates, NotEnoughHistory)
    assert "need 10 in each" in str(candidates)


def test_the_candidate_direction_trains_on_applicants_without_position_debiasing() -> None:
    taxonomy = load_packaged_taxonomy()
    company = generate_company(
        taxonomy, employees=600, opportunities=150, seed=3, as_of=dt.date(2026, 11, 1)
    )
    runs = evaluate_company(
        company.employees,
        company.opportunities,
        company.interactions,
        embed=HashEncoder(dim=16).encode,
        skill_labels=lambda skill: taxonomy.skills[skill].label,
        reference_date=company.as_of,
        directions=[Direction.OPPORTUNITY],
        min_informative_groups=1,
    )
    run = runs[Direction.OPPORTUNITY]
    assert isinstance(run, TrainingRun) and run.evaluation.ranker is not None
    # Applicant lists carry no logged positions: no debiasing, so no "without it" row.
    assert set(run.evaluation.logged) == {"ranker", *BASELINES}
    assert run.sizes["test_informative_groups"] >= 1
    assert 0 < run.evaluation.logged["ranker"]["ndcg@10"] <= 1


def _poisoned(events: list, until: dt.datetime) -> list:
    """Before `until`, every application of a list goes to the item it showed last (a broken
    client, say) and nothing else but impressions is logged; after it, the log is honest."""
    last_shown: dict[str, tuple[int, str]] = {}
    for e in events:
        shown = e.type.value == "impression" and e.request_id
        if shown and e.position >= last_shown.get(e.request_id, (0, ""))[0]:
            last_shown[e.request_id] = (e.position, e.opportunity_external_id)
    out = []
    for e in events:
        if e.occurred_at >= until or e.type.value == "impression":
            out.append(e)
        elif e.type.value == "apply" and e.request_id in last_shown:
            bottom = last_shown[e.request_id][1]
            out.append(e.model_copy(update={"opportunity_external_id": bottom}))
    return out


def test_the_gate_keeps_the_live_model_when_retraining_on_poisoned_logs_ranks_worse() -> None:
    """A model learned from logs poisoned up to the held-out period loses to the live one on the
    honest latest lists: the gate refuses it, saying by how much and how sure it is."""
    taxonomy = load_packaged_taxonomy()
    company = generate_company(
        taxonomy, employees=600, opportunities=100, seed=3, as_of=dt.date(2026, 11, 1)
    )
    kwargs: CompanyInputs = {
        "embed": HashEncoder(dim=16).encode,
        "skill_labels": lambda skill: taxonomy.skills[skill].label,
        "reference_date": company.as_of,
        "directions": [Direction.EMPLOYEE],
    }
    honest = evaluate_company(
        company.employees, company.opportunities, company.interactions, **kwargs
    )
    live = honest[Direction.EMPLOYEE]
    assert isinstance(live, TrainingRun) and live.evaluation.ranker is not None
    times = sorted(e.occurred_at for e in company.interactions)
    cutoff = times[int(0.85 * len(times))]  # train and validation poisoned, test honest
    runs = evaluate_company(
        company.employees,
        company.opportunities,
        _poisoned(company.interactions, cutoff),
        incumbents={Direction.EMPLOYEE: ("honest-1", live.evaluation.ranker)},
        **kwargs,
    )
    run = runs[Direction.EMPLOYEE]
    assert isinstance(run, TrainingRun)
    assert len(run.evaluation.gate_differences) >= GATE_MIN_GROUPS
    allowed, why = promotion_gate(run.evaluation)
    assert not allowed
    assert "it ranks worse; the live model stays" in why and "90% interval" in why
    assert "inverse examination propensity" in why  # the demo's logs vary positions
    assert run.evaluation.logged["ranker"]["ndcg@10"] < run.evaluation.logged["live"]["ndcg@10"]
    # Retrained on the honest log, continuing from the live model, it may replace it.
    again = evaluate_company(
        company.employees,
        company.opportunities,
        company.interactions,
        incumbents={Direction.EMPLOYEE: ("honest-1", live.evaluation.ranker)},
        **kwargs,
    )[Direction.EMPLOYEE]
    assert isinstance(again, TrainingRun)
    assert promotion_gate(again.evaluation)[0], promotion_gate(again.evaluation)[1]
    assert "ranker_from_scratch" in again.evaluation.logged
    assert "ranker_continued" in again.evaluation.logged


def test_the_gate_wants_enough_held_out_lists_before_a_model_replaces_the_live_one() -> None:
    """Four held-out lists all in the new model's favour are not evidence enough."""
    evaluation = Evaluation(
        logged={"ranker": {"ndcg@10": 0.93}, "live": {"ndcg@10": 0.85}},
        gate_differences=np.array([0.1, 0.05, 0.12, 0.05]),
        gate_means=(0.93, 0.85),
    )
    allowed, why = promotion_gate(evaluation)
    assert not allowed and f"the gate needs {GATE_MIN_GROUPS}" in why
    evaluation.gate_differences = np.full(GATE_MIN_GROUPS, 0.0)
    assert promotion_gate(evaluation)[0]  # as good, on enough lists: may replace it
