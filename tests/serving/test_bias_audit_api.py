"""The bias audit and impact assessment through the API: HR's formats, role checks, the field
a bad request names, the auditor's every-cell reading (logged), and the public summary that
shows what HR published and no one's data."""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from typing import Any

import pytest
from fastapi.testclient import TestClient

from data.schemas import Role
from features.inputs import PersonInputs
from serving.state import ServiceState
from serving.usecases.bias_audit import NEVER_READ
from tests.fairness.bias_audit_fixture import NOV, make_record, pdf_text, store_fixture
from tests.helpers.api import token_for

AUDIT = "/api/v1/audits/bias-audit"
PERIOD = "period_start=2026-11-01&period_end=2026-11-30"


@pytest.fixture
def tokens(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> dict[str, dict[str, str]]:
    store_fixture(client, state, admin_headers)
    # Published summaries are files in the var folder the session's tests share.
    shutil.rmtree(state.settings.var_dir / "published", ignore_errors=True)
    return {
        "employee": token_for(state, Role.EMPLOYEE, "M01"),
        "lead": token_for(state, Role.LEAD, "LEAD"),
        "hr": token_for(state, Role.HR, "F05"),
        "auditor": token_for(state, Role.HR, "F05", ("auditor",)),
    }


def _categories(body: dict[str, Any], measure: str, attribute: str) -> dict[str, Any]:
    (table,) = [t for t in body["tables"] if (t["measure"], t["attribute"]) == (measure, attribute)]
    return {row["category"]: row for row in table["categories"]}


@pytest.mark.parametrize(
    "path",
    [
        f"{AUDIT}?{PERIOD}",
        f"{AUDIT}?{PERIOD}&format=csv",
        f"/api/v1/audits/impact-assessment?{PERIOD}",
    ],
)
def test_employees_and_leads_are_refused(
    client: TestClient, tokens: dict[str, dict[str, str]], path: str
) -> None:
    for who in ("employee", "lead"):
        assert client.get(path, headers=tokens[who]).status_code == 403
    published = client.post(f"{AUDIT}/publish?{PERIOD}", headers=tokens["lead"])
    assert published.status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period_start=2026-13-01&period_end=2026-11-30", "period_start"),
        ("period_start=2026-11-01&period_end=30.11.2026", "period_end"),
        ("period_start=2026-11-01", "period_end"),
        ("period_start=2026-11-30&period_end=2026-11-01", "period_end"),
        ("period_start=9999-12-30&period_end=9999-12-31", "period_end"),
        ("period_start=2020-01-01&period_end=2026-11-01", "period_end"),
        (f"{PERIOD}&kind=internship", "kind"),
        (f"{PERIOD}&format=docx", "format"),
    ],
)
def test_a_bad_request_is_422_naming_the_field(
    client: TestClient, tokens: dict[str, dict[str, str]], query: str, field: str
) -> None:
    response = client.get(f"{AUDIT}?{query}", headers=tokens["hr"])
    assert response.status_code == 422, response.text
    assert [problem["field"] for problem in response.json()["detail"]] == [field]


def test_hr_reads_small_cells_suppressed_and_an_auditor_every_cell_logged(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    hr = client.get(f"{AUDIT}?{PERIOD}&kind=gig", headers=tokens["hr"]).json()
    nonbinary = _categories(hr, "shortlisted", "gender")["nonbinary"]
    assert nonbinary["suppressed"] and nonbinary["count"] is None
    assert hr["min_cell"] == 10
    reads = client.get("/api/v1/audits/oversight", headers=tokens["hr"]).json()["items"]
    assert not [e for e in reads if e["action"] == "audit_read"]

    auditor = client.get(f"{AUDIT}?{PERIOD}&kind=gig", headers=tokens["auditor"]).json()
    rows = _categories(auditor, "shortlisted", "gender")
    assert (rows["nonbinary"]["count"], rows["female"]["selected"]) == (1, 7)
    assert auditor["min_cell"] is None
    reads = client.get("/api/v1/audits/oversight", headers=tokens["hr"]).json()["items"]
    (read,) = [e for e in reads if e["action"] == "audit_read"]
    assert read["details"]["aggregate"] == "bias-audit" and read["details"]["kind"] == "gig"


def test_the_csv_and_pdf_downloads(client: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    response = client.get(f"{AUDIT}?{PERIOD}&kind=gig&format=csv", headers=tokens["auditor"])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "bias-audit-gig-2026-11-01-2026-11-30.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["period_start"] for r in rows} == {"2026-11-01"}
    pdf = client.get(f"{AUDIT}?{PERIOD}&format=pdf", headers=tokens["hr"])
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    text = pdf_text(pdf.content)
    assert "2026-11-01 to 2026-11-30" in text and "all" in text


def test_the_public_page_shows_what_was_published_and_no_one(
    client: TestClient, state: ServiceState, tokens: dict[str, dict[str, str]]
) -> None:
    public = "/api/v1/public/bias-audit?kind=gig"
    assert client.get(public).status_code == 404  # nothing published yet
    published = client.post(f"{AUDIT}/publish?{PERIOD}&kind=gig", headers=tokens["auditor"])
    assert published.status_code == 200, published.text
    snapshot = published.json()
    # Published by an auditor, still suppressed: the public page never shows a small cell.
    nonbinary = _categories(snapshot["audit"], "shortlisted", "gender")["nonbinary"]
    assert nonbinary["suppressed"]

    page = client.get(public)  # no token
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert snapshot["published_at"] in page.text and "2026-11-01 to 2026-11-30" in page.text
    for who in ("M01", "F01", "N01", "U1", "LEAD", "F05"):
        assert who not in page.text
    assert "Person " not in page.text and "Lena" not in page.text
    events = client.get("/api/v1/audits/oversight", headers=tokens["hr"]).json()["items"]
    (event,) = [e for e in events if e["action"] == "publish_bias_audit"]
    assert event["kind"] == "gig" and event["details"]["sha256"] == snapshot["sha256"]

    # A list served in the period after publishing changes the audit, not the published page.
    state.audit.append(make_record("E", "gig", NOV, [("F02", 0.99), ("F03", 0.98)]))
    live = client.get(f"{AUDIT}?{PERIOD}&kind=gig", headers=tokens["hr"]).json()
    assert live["candidate_lists"] == 3 and snapshot["audit"]["candidate_lists"] == 2
    assert client.get(public).text == page.text


def test_the_impact_assessment_is_drafted_from_the_system_s_figures(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    path = f"/api/v1/audits/impact-assessment?{PERIOD}"
    body = client.get(f"{path}&format=json", headers=tokens["hr"]).json()
    # Both gig lists were served on 2026-11-03 (ISO week 45); the role list too: 3 lists.
    assert [(w["week"], w["rankings"]) for w in body["monitor"]["weeks"]] == [("2026-W45", 3)]
    assert set(body["policies"]) == {"gig", "mentorship", "role"}
    assert "gender" in body["protected_attributes"] and "demographics" in body["never_read"]
    page = client.get(path, headers=tokens["hr"])
    assert page.status_code == 200 and page.text.count("[HR to complete]") >= 5
    pdf = client.get(f"{path}&format=pdf", headers=tokens["hr"]).content
    text = pdf_text(pdf)
    assert "2026-11-01 to 2026-11-30" in text and "HR to complete" in text


def test_what_the_assessment_says_is_never_read_is_no_ranking_input() -> None:
    inputs = {f.name for f in dataclasses.fields(PersonInputs)}
    assert "demographics" in NEVER_READ
    assert not set(NEVER_READ) & inputs
