"""The `talent` command line: file imports report every bad field and write nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from data.demo import generate_company
from data.importing.demo import store_demo_company
from data.storage.engine import transaction
from data.storage.interactions import count_interactions
from data.storage.tables import AuditRecordRow, ModelVersionRow
from data.taxonomy.packaged import load_packaged_taxonomy
from fairness.audit_record import ServedRanking
from features.registry import FEATURE_NAMES
from serving.cli import app
from serving.settings import Settings
from serving.state import ServiceState
from tests.conftest import TODAY
from tests.factories import make_employee
from training.ranker import LambdaRanker
from training.registry import ModelRegistry

runner = CliRunner()


def served_record(request_id: str, *, day: int) -> ServedRanking:
    """A one-candidate list as the serving path logs it, served on 2026-11-`day`."""
    return {
        "request_id": request_id,
        "served_at": f"2026-11-{day:02d}T10:00:00+00:00",
        "caller_role": "lead",
        "direction": "opportunity",
        "kind": "gig",
        "query_external_id": "O1",
        "model": {"version": "test", "source": "default", "feature_hash": "x"},
        "policy": {"name": "off"},
        "page_size": 1,
        "items": [{"id": "E1", "score": 0.5, "similarity": 0.5, "before": 1, "after": 1}],
        "features": {"shape": [0, 0], "f4_base64": ""},
        "audience": "lead",
        "explained": [],
        "moves": [],
        "overrides": [],
        "retrieval": {},
    }


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.mark.usefixtures("cli_env")
def test_import_reports_each_bad_row_and_field_then_writes_nothing(tmp_path: Path) -> None:
    bad = write_jsonl(
        tmp_path / "people.jsonl",
        [make_employee("E1"), make_employee("E2", level=9), make_employee("E3", open_to=["x"])],
    )
    report = tmp_path / "report.json"
    result = runner.invoke(app, ["import", "employees", str(bad), "--report", str(report)])
    assert result.exit_code == 1
    assert "row 2, level:" in result.output
    assert "row 3, open_to.0:" in result.output
    assert "nothing was written" in result.output
    # The report file asked for holds the errors too.
    assert [(e["row"], e["field"]) for e in json.loads(report.read_text())["errors"]] == [
        (2, "level"),
        (3, "open_to.0"),
    ]

    good = write_jsonl(tmp_path / "ok.jsonl", [make_employee("E1"), make_employee("E2")])
    result = runner.invoke(app, ["import", "employees", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated" in result.output
    gigs = tmp_path / "gigs.csv"
    gigs.write_text(
        "external_id,kind,title,owner_external_id,department,required_skills,hours_per_week\n"
        'O1,gig,Churn model,E1,Sales Ops,"SQL:3;Python (computer programming):2",6\n'
    )
    result = runner.invoke(app, ["import", "opportunities", str(gigs)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["import", "employees", str(good)])
    assert "0 created, 2 updated" in again.output


@pytest.mark.usefixtures("cli_env")
def test_token_create_needs_a_subject_for_people_roles() -> None:
    for role in ("lead", "employee", "hr"):  # what a person's token does is logged as theirs
        result = runner.invoke(app, ["token", "create", "--role", role])
        assert result.exit_code != 0 and "--subject" in result.output
    made = runner.invoke(app, ["token", "create", "--role", "admin", "--label", "ops robot"])
    assert made.exit_code == 0 and len(made.output.strip().splitlines()[0]) >= 24
    wrong = runner.invoke(app, ["token", "create", "--role", "admin", "--scope", "root"])
    assert wrong.exit_code != 0 and "unknown scope" in wrong.output
    employee_auditor = runner.invoke(
        app, ["token", "create", "--role", "employee", "--subject", "E1", "--scope", "auditor"]
    )
    assert employee_auditor.exit_code != 0 and "auditor permission" in employee_auditor.output
    person = runner.invoke(app, ["token", "create", "--role", "scim", "--subject", "E1"])
    assert person.exit_code != 0 and "acts as no person" in person.output
    provisioning = runner.invoke(app, ["token", "create", "--role", "scim", "--label", "Workday"])
    assert provisioning.exit_code == 0, provisioning.output


@pytest.mark.usefixtures("cli_env")
def test_an_unknown_file_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.txt"
    path.write_text("external_id\nE1\n")
    result = runner.invoke(app, ["import", "employees", str(path)])
    assert result.exit_code == 1 and "unsupported file type" in result.output
    broken = tmp_path / "people.xlsx"
    broken.write_bytes(b"PK")
    result = runner.invoke(app, ["import", "employees", str(broken)])
    assert result.exit_code == 1 and "not a readable Excel workbook" in result.output


@pytest.mark.slow
@pytest.mark.usefixtures("cli_env")
def test_evaluate_compares_the_ranker_with_baselines(
    state: ServiceState, settings: Settings
) -> None:
    company = generate_company(
        load_packaged_taxonomy(), employees=200, opportunities=40, seed=3, as_of=TODAY
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, company)
    (settings.var_dir / "demo").mkdir(exist_ok=True)
    truth = company.save_true_fit(settings.var_dir / "demo" / "true_fit.npz")
    try:
        result = runner.invoke(app, ["evaluate", "--as-of", TODAY.isoformat()])
    finally:
        truth.unlink()
    assert result.exit_code == 0, result.output
    for name in ("ranker", "bm25_skills", "embedding_similarity", "required_skill_overlap"):
        assert name in result.output
    assert result.output.strip().splitlines()[-1].startswith("evaluate: ndcg10_ranker=")


@pytest.mark.slow
@pytest.mark.usefixtures("cli_env")
def test_train_registers_promotes_and_rolls_back(state: ServiceState, settings: Settings) -> None:
    company = generate_company(
        # Enough history for the promotion gate: about 90 held-out lists with differing outcomes.
        load_packaged_taxonomy(),
        employees=800,
        opportunities=60,
        seed=4,
        as_of=TODAY,
    )
    with transaction(state.sessions) as session:
        session.execute(delete(ModelVersionRow))
        store_demo_company(session, company)
    before = runner.invoke(app, ["models", "list"]).output
    assert "live employee: default-employee-" in before  # cold start: the packaged default
    # A live model that ranks at random: what the gate must let a retraining replace.
    rng = np.random.default_rng(0)
    # (Trees fitted to random labels: varied, meaningless scores. A constant model would tie
    # every item and so keep the logged order, which position bias flatters.)
    noise = LambdaRanker(n_estimators=60, min_trees=60, min_child_samples=5).fit(
        rng.random((2000, len(FEATURE_NAMES))), rng.integers(0, 3, 2000), np.full(200, 10)
    )
    registry = ModelRegistry(settings.var_dir / "models", state.sessions)
    registry.promote(
        registry.register(
            noise, direction="employee", metrics={}, data_hash="random00", card="# random\n"
        )
    )
    first = runner.invoke(app, ["train", "--as-of", TODAY.isoformat(), "--promote"])
    assert first.exit_code == 0, first.output
    assert re.search(r"^promoted employee-", first.output, re.MULTILINE), first.output
    assert runner.invoke(app, ["train", "--as-of", TODAY.isoformat(), "--seed", "8"]).exit_code == 0
    listing = runner.invoke(app, ["models", "list"]).output
    employee_versions = re.findall(r"employee-\d{8}-\d{6}-[\w-]+", listing.split("live ")[0])
    assert len(employee_versions) == 3 and "promoted" in listing
    first_live = re.search(r"live employee: (employee-\S+) \(company model\)", listing)
    assert first_live is not None and "random00" not in first_live.group(1)
    newest = employee_versions[0]
    assert newest != first_live.group(1)
    assert runner.invoke(app, ["models", "promote", newest]).exit_code == 0
    assert f"live employee: {newest}" in runner.invoke(app, ["models", "list"]).output
    rolled = runner.invoke(app, ["models", "rollback"])
    assert rolled.exit_code == 0 and f"rolled back to {first_live.group(1)}" in rolled.output
    refused = runner.invoke(app, ["models", "promote", "employee-missing"])
    assert refused.exit_code != 0 and "no model version" in refused.output
    card = (settings.var_dir / "models" / first_live.group(1) / "card.md").read_text()
    assert "## Results on the held-out period" in card and "bm25_skills" in card
    assert "May replace the live model" in card and "inverse examination propensity" in card


@pytest.mark.usefixtures("cli_env")
def test_audit_verify_and_report_from_the_command_line(
    state: ServiceState, settings: Settings, tmp_path: Path
) -> None:
    for i in range(3):
        state.audit.append(served_record(f"r{i}", day=i + 1))
    intact = runner.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0 and "3 records" in intact.output

    out = tmp_path / "report.html"
    made = runner.invoke(
        app, ["audit", "report", "--from", "2026-11-01", "--to", "2026-11-02", "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    figures = json.loads(out.with_suffix(".json").read_text())
    assert figures["window"]["served_candidate_lists"] == 2  # the third is after --to
    assert out.read_text().startswith("<!doctype html>")

    with transaction(state.sessions) as session:
        session.execute(
            update(AuditRecordRow)
            .where(AuditRecordRow.seq == 2)
            .values(body=AuditRecordRow.body + " ")
        )
    tampered = runner.invoke(app, ["audit", "verify"])
    assert tampered.exit_code == 1 and "record 2 was edited" in tampered.output


@pytest.mark.usefixtures("cli_env")
def test_an_exported_checkpoint_proves_truncation_from_the_command_line(
    state: ServiceState, settings: Settings, tmp_path: Path
) -> None:
    for i in range(3):
        state.audit.append(served_record(f"c{i}", day=i + 1))
    kept = tmp_path / "elsewhere" / "checkpoint.json"
    exported = runner.invoke(app, ["audit", "checkpoint", "--out", str(kept)])
    assert exported.exit_code == 0 and "3 records" in exported.output, exported.output

    # Someone with write access to the data folder deletes the newest record and the head file.
    with transaction(state.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 3))
    (settings.var_dir / "audit" / "head.json").unlink()

    alone = runner.invoke(app, ["audit", "verify"])
    assert alone.exit_code == 1 and "head file" in alone.output
    against = runner.invoke(app, ["audit", "verify", "--checkpoint", str(kept)])
    assert against.exit_code == 1
    assert "records 3 entries but the log ends at 2" in against.output
    forged = tmp_path / "forged.json"
    forged.write_text(kept.read_text().replace('"records": 3', '"records": 2'))
    refused = runner.invoke(app, ["audit", "verify", "--checkpoint", str(forged)])
    assert refused.exit_code == 1 and "not signed with this audit key" in refused.output


@pytest.mark.usefixtures("cli_env")
def test_demo_without_history_stores_a_cold_company(state: ServiceState, tmp_path: Path) -> None:
    # Exported elsewhere: a true fit left in the shared var/demo would follow later tests.
    result = runner.invoke(
        app,
        [
            "demo",
            "--employees",
            "60",
            "--opportunities",
            "12",
            "--no-history",
            "--export-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "60 employees, 12 opportunities, 0 interactions" in result.output
    with state.sessions() as session:
        assert count_interactions(session) == 0


@pytest.mark.usefixtures("cli_env")
def test_import_reads_an_hr_system_export_as_the_admin_console_maps_it(tmp_path: Path) -> None:
    workday = tmp_path / "workers.csv"
    workday.write_text(
        "Employee ID,Worker,Business Title,Supervisory Organization,Location,Manager ID,"
        "Hire Date,Skills,Job Level\n"
        'P-1,Ada Park,Data Analyst,Finance,Berlin,,2021-03-01,"Python; SQL (4)",3\n'
        "P-2,Bo Chen,Analyst,Finance,Berlin,P-1,2022-04-15,Excel (expert),4\n"
    )
    result = runner.invoke(app, ["import", "employees", str(workday)])
    assert result.exit_code == 0, result.output
    assert "Employee ID → external_id" in result.output and "Worker → name" in result.output
    assert "2 created, 0 updated" in result.output
    # The same people from SuccessFactors, as a spreadsheet: updated, not duplicated.
    from openpyxl import Workbook

    book = Workbook()
    for row in (
        ["userId", "firstName", "lastName", "title", "department", "location", "level"],
        ["P-1", "Ada", "Park", "Senior Data Analyst", "Finance", "Berlin", 4],
        ["P-2", "Bo", "Chen", "Analyst", "Finance", "Berlin", 4],
    ):
        book.active.append(row)
    book.save(tmp_path / "users.xlsx")
    result = runner.invoke(app, ["import", "employees", str(tmp_path / "users.xlsx")])
    assert result.exit_code == 0, result.output
    assert "0 created, 2 updated" in result.output
    # An export with no column naming who each row is: refused, nothing written.
    nameless = tmp_path / "nameless.csv"
    nameless.write_text("Worker,Business Title\nCy Diaz,Analyst\n")
    refused = runner.invoke(app, ["import", "employees", str(nameless)])
    assert refused.exit_code == 1 and "Employee ID" in refused.output
