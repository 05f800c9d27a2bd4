"""Training on a Dask cluster (`talent train --dask`): the same model as one process trains."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from data.demo import generate_company
from data.taxonomy.packaged import load_packaged_taxonomy
from tests.matching.fakes import HashEncoder
from tests.training.company_inputs import CompanyInputs
from training.distributed import group_partitions
from training.groups import Direction
from training.pipeline import TrainingRun, evaluate_company


def test_lists_are_never_split_between_workers() -> None:
    sizes = np.array([5, 1, 7, 3, 3, 9, 2, 2])
    parts = group_partitions(sizes, 3)
    assert np.array_equal(np.concatenate(parts), sizes)  # every list once, in order, whole
    assert len(parts) == 3 and max(p.sum() for p in parts) <= 16
    assert [len(p) for p in group_partitions(np.array([4]), 2)] == [1]  # one list, one part


@pytest.mark.slow
def test_a_two_worker_dask_cluster_trains_a_model_as_good_as_one_process() -> None:
    distributed = pytest.importorskip("distributed")
    taxonomy = load_packaged_taxonomy()
    company = generate_company(
        taxonomy, employees=600, opportunities=80, seed=3, as_of=dt.date(2026, 11, 1)
    )
    inputs: CompanyInputs = {
        "embed": HashEncoder(dim=16).encode,
        "skill_labels": lambda skill: taxonomy.skills[skill].label,
        "reference_date": company.as_of,
        "true_fit": (company.true_fit, company.employee_ids, company.opportunity_ids),
        "directions": (Direction.EMPLOYEE,),
    }
    local = evaluate_company(
        company.employees, company.opportunities, company.interactions, **inputs
    )[Direction.EMPLOYEE]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        spread = evaluate_company(
            company.employees,
            company.opportunities,
            company.interactions,
            **inputs,
            dask_client=client,
        )[Direction.EMPLOYEE]
    assert isinstance(local, TrainingRun) and isinstance(spread, TrainingRun)
    assert "Dask cluster of 2 workers" in spread.evaluation.origin
    assert spread.evaluation.ranker is not None and spread.evaluation.ranker.best_iteration_ >= 50
    one, two = (r.evaluation.true_fit_ndcg10["ranker"] for r in (local, spread))
    # The same model: LightGBM's Dask interface takes no positions, so the single-process
    # model it must match is the one trained without them (evaluate() trains both).
    one = local.evaluation.true_fit_ndcg10["ranker_no_position_debiasing"]
    two = spread.evaluation.true_fit_ndcg10["ranker"]
    # Split finding over two partitions is not one process's (each worker bins the features it
    # is given from its own half of the rows), so the model lands a little either side: 1.7%
    # above on the 24 features (0.830 vs 0.844), 1.7% below on the 29 (0.829 vs 0.815). What
    # the user is promised is no real loss.
    assert two >= 0.97 * one, (one, two)
    logged = (
        local.evaluation.logged["ranker_no_position_debiasing"]["ndcg@10"],
        spread.evaluation.logged["ranker"]["ndcg@10"],
    )
    # A small held-out period: noisier than the true fit above (0.022 apart with the features
    # of issue 23, 0.035 with issue 26's, while the true fit agreed within 1-2%).
    assert abs(logged[1] - logged[0]) <= 0.05, logged


def test_train_says_when_no_dask_scheduler_answers(tmp_path, monkeypatch) -> None:
    pytest.importorskip("distributed")
    from typer.testing import CliRunner

    from serving.cli import app

    monkeypatch.setenv("TALENT_VAR_DIR", str(tmp_path))
    answer = CliRunner().invoke(app, ["train", "--dask", "tcp://127.0.0.1:9"])
    assert answer.exit_code == 2, answer.output
    assert "no Dask scheduler answers at tcp://127.0.0.1:9" in answer.output
