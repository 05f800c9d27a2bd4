"""HR reads figures split by protected attributes only in cells of at least TALENT_MIN_CELL_SIZE
people (the finding: one day, one department, one applicant, and the outcome figures gave that
person's sex, race/ethnicity, age band and disability as counts of 1). Auditors see every cell,
and each such read is on the oversight log like an item-level read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from data.schemas import Role
from data.storage.employees import list_employees
from data.storage.opportunities import get_opportunity
from fairness.demographics import ATTRIBUTES, categories
from serving.state import ServiceState
from tests.helpers.api import token_for
from tests.serving.test_fairness_api import candidates, company  # noqa: F401 (a fixture)

MIN_CELL = 10


def impact_tables(value: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every table of rates by group in a report or outcome figures."""
    if isinstance(value, dict):
        if "measure" in value and "categories" in value:
            yield where, value
            return
        for key, item in value.items():
            yield from impact_tables(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from impact_tables(item, f"{where}[{i}]")


def assert_no_small_cell(table: dict[str, Any], where: str) -> None:
    """Every cell shown holds none or at least MIN_CELL (appearances count at least people);
    a suppressed one says so and shows nothing."""
    for c in table["categories"]:
        if c["suppressed"]:
            assert c["reason"] == f"fewer than {MIN_CELL} people", (where, c)
            assert (c["count"], c["selected"], c["rate"], c["impact_ratio"]) == (None,) * 4
            continue
        for cell in (c["count"], c["selected"], c["count"] - c["selected"]):
            assert cell == 0 or cell >= MIN_CELL, (where, c)
    unknown = table["unknown_count"]
    assert unknown is None or unknown == 0 or unknown >= MIN_CELL, (where, unknown)


def _one_applicant_today(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],  # noqa: F811
) -> tuple[str, str]:
    """(the applicant, their department): someone of the gig's department applies to it, the
    only application anyone made today (the demo's history ends before)."""
    with state.sessions() as session:
        gig = get_opportunity(session, company["gig"])
        assert gig is not None
        colleagues = [
            e.external_id
            for e in list_employees(session, limit=1000)
            if e.department == gig.department and e.external_id != gig.owner_external_id
        ]
    for person in colleagues:
        applied = client.post(
            f"/api/v1/opportunities/{company['gig']}/applications",
            headers=token_for(state, Role.EMPLOYEE, person),
        )
        if applied.status_code == 201:
            return person, gig.department
    raise AssertionError(f"nobody of {gig.department} could apply to {company['gig']}")


def test_hr_cannot_read_one_applicants_attributes_and_an_auditor_can_with_the_read_logged(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],  # noqa: F811
) -> None:
    person, department = _one_applicant_today(client, state, company)
    with state.sessions() as session:
        theirs = categories(session, [person]).get(person, {})
    today = dt.datetime.now(dt.UTC).date().isoformat()
    url = f"/api/v1/audits/outcomes?department={department}&from={today}&to={today}"

    figures = client.get(url, headers=company["hr"])
    assert figures.status_code == 200, figures.text
    participation = figures.json()["participation"]
    assert participation["applied"] is not None and participation["applied"] > 0  # one person
    for attribute in ATTRIBUTES:
        applied = participation["by_group"][attribute]["applied"]
        assert_no_small_cell(applied, attribute)
        # One applicant: any group shown with or without them would place them.
        assert all(c["suppressed"] for c in applied["categories"]), (attribute, applied)
        assert applied["min_impact_ratio"] is None and applied["unknown_count"] is None
    events = client.get("/api/v1/audits/oversight", headers=company["hr"]).json()["items"]
    assert not [e for e in events if e["action"] == "audit_read"]  # nothing read in the clear

    # The auditor sees the cell of one, and the read is logged with what was read.
    full = client.get(url, headers=company["auditor"]).json()["participation"]["by_group"]
    for attribute in ATTRIBUTES:
        cells = full[attribute]["applied"]["categories"]
        assert not any(c["suppressed"] for c in cells)
        if theirs.get(attribute):  # what HR read before: the applicant's group, a count of 1
            assert {c["category"]: c["selected"] for c in cells}[theirs[attribute]] == 1
    reads = [
        e
        for e in client.get("/api/v1/audits/oversight", headers=company["hr"]).json()["items"]
        if e["action"] == "audit_read"
    ]
    assert len(reads) == 1 and reads[0]["actor_role"] == "hr"
    assert reads[0]["details"]["aggregate"] == "outcomes"
    assert reads[0]["details"]["department"] == department
    assert reads[0]["details"]["from"].startswith(today)
    assert "cells under the minimum size" in reads[0]["reason"]


def test_every_table_by_group_in_hrs_report_keeps_to_the_minimum(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],  # noqa: F811
) -> None:
    for limit in (10, 20):
        candidates(client, company, limit=limit)
    for person in company["employees"][:4]:  # what employees are shown, by group
        employee = token_for(state, Role.EMPLOYEE, person)
        seen = client.get(f"/api/v1/employees/{person}/matches?kind=gig", headers=employee)
        assert seen.status_code == 200, seen.text
    _one_applicant_today(client, state, company)
    report = client.get("/api/v1/audits/report", headers=company["hr"]).json()
    # Four employees: every group of them is under ten, so no group's figures are shown.
    side = report["employee_side"]["level"]
    assert side["categories"] and all(c["suppressed"] for c in side["categories"])
    assert all(c["mean"] is None and c["rows"] is None for c in side["categories"])
    tables = list(impact_tables(report))
    places = {where.split(".")[1] for where, _ in tables}
    assert {"candidate_lists", "lead_decisions", "outcomes"} <= places
    suppressed = 0
    for where, table in tables:
        assert_no_small_cell(table, where)
        suppressed += sum(c["suppressed"] for c in table["categories"])
    assert suppressed > 0  # a 200-person company has groups of fewer than ten
    # Breaches and trends come from the cells shown (an impact ratio names its reference).
    after = report["candidate_lists"]["selection_after_reranking"]["gender"]
    shown = [c for c in after["categories"] if not c["suppressed"]]
    assert after["min_impact_ratio"] == min(
        (c["impact_ratio"] for c in shown if c["impact_ratio"] is not None), default=None
    )
    page = client.get("/api/v1/audits/report.html", headers=company["hr"])
    assert page.status_code == 200 and "suppressed (fewer than 10 people)" in page.text
    assert "cells of fewer than 10 people are suppressed" in page.text

    # The auditor's report shows every cell; that read is logged too.
    full = client.get("/api/v1/audits/report", headers=company["auditor"]).json()
    assert not any(c["suppressed"] for _, t in impact_tables(full) for c in t["categories"])
    assert full["window"]["min_cell"] is None and report["window"]["min_cell"] == MIN_CELL
    reads = [
        e["details"]["aggregate"]
        for e in client.get("/api/v1/audits/oversight", headers=company["hr"]).json()["items"]
        if e["action"] == "audit_read"
    ]
    assert reads == ["report"]
    # The auditor's read changes no figure: HR's report is still the cached one.
    assert client.get("/api/v1/audits/report", headers=company["hr"]).json() == report


def test_the_minimum_cell_size_is_a_setting(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, department = _one_applicant_today(client, state, company)
    url = f"/api/v1/audits/outcomes?department={department}"
    monkeypatch.setattr(state, "settings", state.settings.model_copy(update={"min_cell_size": 1}))
    shown = client.get(url, headers=company["hr"]).json()["participation"]["by_group"]
    assert not any(c["suppressed"] for c in shown["gender"]["applied"]["categories"])
    monkeypatch.setattr(
        state, "settings", state.settings.model_copy(update={"min_cell_size": 1000})
    )
    hidden = client.get(url, headers=company["hr"]).json()["participation"]["by_group"]
    assert all(c["suppressed"] for c in hidden["gender"]["applied"]["categories"])
    assert hidden["gender"]["applied"]["categories"][0]["reason"] == "fewer than 1000 people"
