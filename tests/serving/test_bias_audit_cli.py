"""`talent audit bias-audit`: the audit written as CSV or PDF from the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from serving.cli import app
from serving.state import ServiceState
from tests.fairness.bias_audit_fixture import pdf_text, store_fixture

runner = CliRunner()
PERIOD = ["--start", "2026-11-01", "--end", "2026-11-30"]


def test_the_cli_writes_the_audit_as_csv_and_pdf(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    tmp_path: Path,
    cli_env: None,
) -> None:
    store_fixture(client, state, admin_headers)
    out = tmp_path / "ll144.csv"
    written = runner.invoke(
        app, ["audit", "bias-audit", *PERIOD, "--kind", "gig", "--every-cell", "--out", str(out)]
    )
    assert written.exit_code == 0, written.output
    assert "63 applications, 2 candidate lists" in written.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    female = next(
        r
        for r in rows
        if (r["measure"], r["attribute"], r["category"]) == ("shortlisted", "sex", "female")
    )
    assert (female["count"], female["selected"], female["kind"]) == ("29", "7", "gig")

    pdf = tmp_path / "ll144.pdf"
    assert runner.invoke(app, ["audit", "bias-audit", *PERIOD, "--out", str(pdf)]).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "2026-11-01 to 2026-11-30" in pdf_text(pdf.read_bytes())

    refused = runner.invoke(app, ["audit", "bias-audit", *PERIOD, "--out", str(tmp_path / "x.doc")])
    assert refused.exit_code == 2 and "--out" in refused.output
