"""`talent import history`: a company's past from an applicant-tracking export, validated by row
and field with nothing written on any refusal, idempotent, sealed like every logged event."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from data.importing.service import import_employees, import_opportunities
from data.importing.skills import SkillResolver
from data.schemas import InteractionIn, InteractionType
from data.storage.engine import transaction
from data.storage.interactions import add_interactions
from data.storage.skills import load_taxonomy
from data.storage.tables import InteractionRow
from data.taxonomy.packaged import load_packaged_taxonomy
from serving.cli import app
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity

runner = CliRunner()
ATS_HEADER = "Candidate ID,Requisition ID,Stage,Date,Rating\n"


def _company(state: ServiceState) -> None:
    people = [make_employee(f"E{i}") for i in range(1, 4)] + [make_employee("LEAD")]
    postings = [make_opportunity(f"O{j}", owner="LEAD", status="filled") for j in (1, 2)]
    with transaction(state.sessions) as session:
        resolver = SkillResolver(load_taxonomy(session, base=load_packaged_taxonomy()))
        import_employees(session, list(enumerate(people, start=1)), resolver)
        import_opportunities(session, list(enumerate(postings, start=1)), resolver)


def _logged(state: ServiceState) -> list[InteractionRow]:
    with state.sessions() as session:
        return list(session.scalars(select(InteractionRow).order_by(InteractionRow.id)))


@pytest.mark.usefixtures("cli_env")
def test_a_good_export_is_written_once_with_its_words_and_counts_reported(
    state: ServiceState, tmp_path: Path
) -> None:
    _company(state)
    export = tmp_path / "ats.csv"
    export.write_text(
        ATS_HEADER
        + "E1,O1,Applied,2025-03-02,\n"
        + "E1,O1,Interview,2025-03-09,\n"
        + "E1,O1,Hired,2025-03-20,\n"
        + "E1,O1,Completed,2025-06-30,5\n"
        + "E2,O1,Applied,2025-03-03,\n"
        + "E2,O1,Rejected,2025-03-10,\n"
        + "E2,O1,applied,2025-03-03,\n"  # the same application again
    )
    report = tmp_path / "report.json"
    result = runner.invoke(app, ["import", "history", str(export), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "Candidate ID → employee_external_id" in result.output
    assert "6 events written (2 apply, 1 assign, 1 complete, 1 reject, 1 shortlist)" in (
        result.output
    )
    assert "'Hired' → assign" in result.output and "'Interview' → shortlist" in result.output
    assert "1 rows repeat an earlier row (not written): row 8 = row 6" in result.output
    written = json.loads(report.read_text())
    assert written["written"] == 6 and written["duplicates_in_file"] == 1

    rows = _logged(state)
    assert [(r.employee_external_id, r.type, r.rating) for r in rows] == [
        ("E1", "apply", None),
        ("E1", "shortlist", None),
        ("E1", "assign", None),
        ("E1", "complete", 5),
        ("E2", "apply", None),
        ("E2", "reject", None),
    ]
    # No list was served: no position, no request id; the origin is in the sealed details.
    assert all(r.position is None and r.request_id is None for r in rows)
    assert all(r.details and r.details["source"] == "import" for r in rows)
    first = rows[0].details
    assert first is not None and first["row"] == 2 and len(first["file"]) == 16
    state.audit.seal_pending()
    assert all(r.sealed_by is not None for r in _logged(state))

    # The same file again writes nothing and says why.
    again = runner.invoke(app, ["import", "history", str(export)])
    assert again.exit_code == 0, again.output
    assert "0 events written" in again.output
    assert "6 events were already imported (not written)" in again.output
    assert len(_logged(state)) == 6


@pytest.mark.usefixtures("cli_env")
def test_bad_rows_are_refused_by_row_and_field_and_nothing_is_written(
    state: ServiceState, tmp_path: Path
) -> None:
    _company(state)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    export = tmp_path / "ats.csv"
    export.write_text(
        ATS_HEADER
        + "E1,O1,Applied,2025-03-02,\n"  # good, but the file is refused: not written
        + "E9,O1,Applied,2025-03-02,\n"
        + "E1,O7,Applied,2025-03-02,\n"
        + "E1,O2,Promoted,2025-03-02,\n"
        + f"E2,O1,Applied,{tomorrow},\n"
        + "E2,O2,Applied,2025-13-01,\n"
        + "E3,O1,Completed,2025-05-01,7\n"
        + "E3,O2,Shortlisted,2025-05-01,4\n"
        + "E3,O2,Completed,2025-05-01,4\n"
        + "E3,O2,Completed,2025-05-01,2\n"  # the same completion with another rating
    )
    report = tmp_path / "errors.json"
    result = runner.invoke(app, ["import", "history", str(export), "--report", str(report)])
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert "row 3, employee_external_id: unknown person" in result.output
    assert "row 4, opportunity_external_id: unknown posting" in result.output
    assert "row 5, type: unknown event 'Promoted'" in result.output
    assert f"row 6, occurred_at: {tomorrow} is in the future" in result.output
    errors = [(e["row"], e["field"]) for e in json.loads(report.read_text())["errors"]]
    assert errors == [
        (3, "employee_external_id"),
        (4, "opportunity_external_id"),
        (5, "type"),
        (6, "occurred_at"),
        (7, "occurred_at"),
        (8, "rating"),
        (9, "rating"),
        (11, "rating"),
    ]
    assert _logged(state) == []

    # A contract file naming a position, or a rating event with none: refused as well.
    jsonl = tmp_path / "history.jsonl"
    jsonl.write_text(
        json.dumps(
            {
                "employee_external_id": "E1",
                "opportunity_external_id": "O1",
                "type": "apply",
                "occurred_at": "2025-03-02",
                "position": 3,
            }
        )
        + "\n"
        + json.dumps(
            {
                "employee_external_id": "E1",
                "opportunity_external_id": "O1",
                "type": "rate",
                "occurred_at": "2025-03-02T10:00:00Z",
            }
        )
        + "\n"
    )
    refused = runner.invoke(app, ["import", "history", str(jsonl)])
    assert refused.exit_code == 1
    assert "row 1, position: not a field of a history row" in refused.output
    assert "row 2, rating: a rating event needs its rating" in refused.output
    assert _logged(state) == []


@pytest.mark.usefixtures("cli_env")
def test_an_event_the_product_already_logged_live_is_not_imported_again(
    state: ServiceState, tmp_path: Path
) -> None:
    _company(state)
    with transaction(state.sessions) as session:
        add_interactions(
            session,
            [
                InteractionIn(
                    employee_external_id="E1",
                    opportunity_external_id="O1",
                    type=InteractionType.APPLY,
                    occurred_at=dt.datetime(2025, 3, 2, 15, 30, tzinfo=dt.UTC),
                )
            ],
        )
    export = tmp_path / "history.csv"  # this contract's own column names
    export.write_text(
        "employee_external_id,opportunity_external_id,type,occurred_at,rating\n"
        "E1,O1,apply,2025-03-02,\n"
        "E1,O1,assign,2025-03-04,\n"
    )
    result = runner.invoke(app, ["import", "history", str(export)])
    assert result.exit_code == 0, result.output
    assert "1 events written (1 assign)" in result.output
    assert "1 events were already in the log, recorded live (not written)" in result.output
    assert [r.type for r in _logged(state)] == ["apply", "assign"]
