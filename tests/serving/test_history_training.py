"""A company that switches the product on with only its applicant-tracking past: `talent train`
refuses for want of history until the past is imported, then learns both directions from it,
with no served list and no position (training/labels.py, training/groups.py).

The company is built so the answer is known: half the people know Python well, half Excel;
half the postings ask for each. A posting's lead interviews the applicants who know its skill
and hires one of them; the others are rejected, some of them listed only as "Rejected" (an
export lists candidates where they ended)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from data.importing.service import import_employees, import_opportunities
from data.importing.skills import SkillResolver
from data.storage.engine import transaction
from data.storage.skills import load_taxonomy
from data.taxonomy.packaged import load_packaged_taxonomy
from serving.cli import app
from serving.state import ServiceState
from serving.usecases.training import train_and_promote
from tests.conftest import TODAY
from tests.factories import PYTHON, make_employee, make_opportunity

PEOPLE = 80
POSTINGS = 160
START = dt.datetime(2025, 6, 2, 9, tzinfo=dt.UTC)
SKILLS = {"py": PYTHON, "xl": "Microsoft Excel"}


def _store_company(state: ServiceState) -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {"py": [], "xl": []}
    records = []
    for i in range(PEOPLE):
        strong = "py" if i % 2 else "xl"
        pools[strong].append(f"P{i:03d}")
        records.append(
            make_employee(
                f"P{i:03d}",
                skills=[
                    {"name": SKILLS[strong], "level": 5},
                    {"name": SKILLS["xl" if strong == "py" else "py"], "level": 1},
                ],
            )
        )
    records.append(make_employee("LEAD", level=5, title="Analytics Lead"))
    postings = [
        make_opportunity(
            f"G{j:03d}",
            owner="LEAD",
            title=f"Project {j}",
            required_skills=[{"name": SKILLS["py" if j % 2 else "xl"], "level": 4}],
            preferred_skills=[],
            status="filled",
        )
        for j in range(POSTINGS)
    ]
    with transaction(state.sessions) as session:
        resolver = SkillResolver(load_taxonomy(session, base=load_packaged_taxonomy()))
        import_employees(session, list(enumerate(records, start=1)), resolver)
        import_opportunities(session, list(enumerate(postings, start=1)), resolver)
    return pools


def _export(pools: dict[str, list[str]], path: Path) -> Path:
    rng = np.random.default_rng(5)
    lines = ["Candidate ID,Requisition ID,Stage,Date,Rating"]
    for j in range(POSTINGS):
        wanted = "py" if j % 2 else "xl"
        other = "xl" if wanted == "py" else "py"
        day = (START + dt.timedelta(days=j)).date()
        fit = rng.choice(pools[wanted], size=4, replace=False).tolist()
        unfit = rng.choice(pools[other], size=4, replace=False).tolist()
        for n, person in enumerate(fit):
            lines.append(f"{person},G{j:03d},Applied,{day},")
            lines.append(f"{person},G{j:03d},Interview,{day + dt.timedelta(days=3)},")
            if n == 0:
                lines.append(f"{person},G{j:03d},Hired,{day + dt.timedelta(days=9)},")
                lines.append(f"{person},G{j:03d},Completed,{day + dt.timedelta(days=60)},5")
        for n, person in enumerate(unfit):
            if n % 2:
                lines.append(f"{person},G{j:03d},Applied,{day},")
            lines.append(f"{person},G{j:03d},Rejected,{day + dt.timedelta(days=2)},")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
@pytest.mark.usefixtures("cli_env")
def test_the_first_train_learns_from_an_imported_past_with_no_served_lists(
    state: ServiceState, tmp_path: Path
) -> None:
    pools = _store_company(state)
    before = train_and_promote(state, as_of=TODAY, promote=False)
    assert all(d.not_trained and d.version is None for d in before.directions.values())

    imported = CliRunner().invoke(
        app, ["import", "history", str(_export(pools, tmp_path / "a.csv"))]
    )
    assert imported.exit_code == 0, imported.output
    assert "'Hired' → assign" in imported.output

    result = train_and_promote(state, as_of=TODAY, promote=False)
    assert result.read.employee_lists == 0 and result.read.candidate_lists == 0
    for name in ("opportunity", "employee"):
        direction = result.directions[name]
        assert direction.not_trained is None and direction.version is not None, direction
        run = direction.run
        assert run is not None
        # No served list: no impression, no position, so no position bias to estimate.
        assert run.log.impressions == 0 and run.position_bias is None
        assert run.sizes["informative_groups"] >= 30
    # What the history teaches is the known answer: the candidates who know the posting's
    # skill come first, on the held-out postings and on each held-out person's applications
    # (mean average precision, an advanced candidate or posting as the relevant one: which
    # of the four was hired is chance, so NDCG cannot reach 1).
    for name in ("opportunity", "employee"):
        run = result.directions[name].run
        assert run is not None, name
        logged = run.evaluation.logged
        assert logged["ranker"]["map"] >= 0.95, (name, logged["ranker"])
