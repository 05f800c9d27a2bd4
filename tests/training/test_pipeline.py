"""End to end on a small demo company: labels, features, ranker, baselines, report."""

from __future__ import annotations

import datetime as dt
import re

from data.demo import generate_company
from data.taxonomy.packaged import load_packaged_taxonomy
from tests.matching.fakes import HashEncoder
from training.evaluate import BASELINES
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
