"""The finding, end to end: a department named `Ops $\\undefinedmacro{$ Team` made report.html
answer 500 for everyone (matplotlib parsed chart labels as mathtext). Departments and group
names full of mathtext, markup, control characters, other scripts and length now come back as
a 200, shown literally, with no markup injected, to HR and to auditors alike."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient

import fairness.report_html as report_html
from data.schemas import Role
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity
from tests.fairness.test_report_html import (
    CONTROL,
    INJECTED,
    MARKUP,
    MATHTEXT,
    UNICODE,
    shown_as,
)
from tests.helpers.api import token_for

LONG_DEPARTMENT = ("Department of " + "very long names " * 11).strip()  # 189 of 200 characters
LONG_GROUP = ("A self-described group whose name runs on " + "and on " * 5).strip()  # 76 of 80
DEPARTMENTS = (MATHTEXT, MARKUP, UNICODE, CONTROL, LONG_DEPARTMENT)
GENDERS = (MATHTEXT, "<script>alert(1)</script>", UNICODE, CONTROL)  # at most 40 characters
RACES = (LONG_GROUP, MARKUP, UNICODE)


@pytest.fixture
def hostile(client: TestClient, state: ServiceState, admin_headers: dict[str, str]) -> dict:
    """A lead in a mathtext department, 40 people in hostile departments with hostile
    self-reported groups, a gig, 20 candidate lists served and a few applications."""
    people = [
        make_employee(
            "LEAD", title="Analytics Lead", level=5, department=MATHTEXT, name="Lena Lead"
        )
    ]
    groups = itertools.cycle(itertools.product(GENDERS, RACES))
    for i in range(40):
        gender, race = next(groups)
        people.append(
            make_employee(
                f"P{i:02d}",
                department=DEPARTMENTS[i % len(DEPARTMENTS)],
                skills=[{"name": PYTHON, "level": 2 + i % 4}, {"name": "SQL", "level": 3}],
                demographics={"gender": gender, "race_ethnicity": race, "disability": MATHTEXT},
            )
        )
    stored = client.post("/api/v1/employees/bulk", json=people, headers=admin_headers)
    assert stored.status_code == 200, stored.text
    gig = make_opportunity("GIG-X", owner="LEAD", department=MARKUP, seats=3)
    stored = client.post("/api/v1/opportunities/bulk", json=[gig], headers=admin_headers)
    assert stored.status_code == 200, stored.text
    lead = token_for(state, Role.LEAD, "LEAD")
    for _ in range(20):  # enough lists for exposure and share by position
        served = client.get("/api/v1/opportunities/GIG-X/candidates?limit=10", headers=lead)
        assert served.status_code == 200, served.text
    for person in ("P00", "P01", "P02", "P03", "P05"):
        employee = token_for(state, Role.EMPLOYEE, person)
        matches = client.get(f"/api/v1/employees/{person}/matches?kind=gig", headers=employee)
        assert matches.status_code == 200, matches.text
        applied = client.post("/api/v1/opportunities/GIG-X/applications", headers=employee)
        assert applied.status_code == 201, applied.text
    return {
        "hr": token_for(state, Role.HR, "LEAD"),
        "auditor": token_for(state, Role.HR, "LEAD", ("auditor",)),
    }


def test_hostile_departments_and_group_names_are_shown_literally_in_every_chart_and_table(
    client: TestClient,
    hostile: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[str] = []
    plain = report_html._chart_text

    def spy(value: Any) -> str:
        drawn.append(str(value))
        return plain(value)

    monkeypatch.setattr(report_html, "_chart_text", spy)
    page = client.get("/api/v1/audits/report.html", headers=hostile["auditor"])
    assert page.status_code == 200, page.text[:500]
    assert not INJECTED.search(page.text)
    labels = {*DEPARTMENTS, *GENDERS, *RACES}
    for label in labels:
        assert shown_as(label) in page.text, f"{label!r} is not shown literally"
    charted = {label for label in labels if any(label in text for text in drawn)}
    # Departments in the participation chart, sexes in the selection, position, decision and
    # moved-up charts, races in the intersectional ratios.
    assert {*DEPARTMENTS, *GENDERS} <= charted
    assert any(race in text for race in RACES for text in drawn)
    assert page.text.count("<svg") >= 8

    figures = client.get("/api/v1/audits/report", headers=hostile["auditor"]).json()
    categories = {
        c["category"]
        for c in figures["candidate_lists"]["selection_after_reranking"]["gender"]["categories"]
    }
    assert set(GENDERS) <= categories  # stored and returned as typed
    assert set(DEPARTMENTS) <= set(figures["outcomes"]["participation"]["by_department"])

    # HR's view (small groups suppressed) is as safe, and its departments as literal.
    hr_page = client.get("/api/v1/audits/report.html", headers=hostile["hr"])
    assert hr_page.status_code == 200 and not INJECTED.search(hr_page.text)
    for department in DEPARTMENTS:
        assert shown_as(department) in hr_page.text
