"""The impact assessment's monitor week by week and its incidents: a week whose served lists
left every woman off the page is a monitor breach, listed as an incident; a balanced week is
not; weeks are cut to the period."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from fairness.audit_record import ServedRanking
from fairness.impact_assessment import AssessmentFacts, draft
from fairness.impact_assessment_html import render_assessment
from serving.state import ServiceState
from tests.factories import make_employee
from tests.fairness.bias_audit_fixture import make_record

MEN = [f"AM{i:02d}" for i in range(35)]
WOMEN = [f"AF{i:02d}" for i in range(35)]
BALANCED_WEEK = dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC)  # 2026-W45
SKEWED_WEEK = dt.datetime(2026, 11, 10, 10, tzinfo=dt.UTC)  # 2026-W46


def _list(
    request_id: str, at: dt.datetime, on_page: list[str], off_page: list[str]
) -> ServedRanking:
    record = make_record(request_id, "gig", at, [(p, 1.0) for p in on_page + off_page])
    record["page_size"] = len(on_page)
    return record


def test_a_week_under_four_fifths_is_an_incident(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    people = [
        make_employee(p, skills=[], demographics={"gender": "male" if p in MEN else "female"})
        for p in MEN + WOMEN
    ]
    assert (
        client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).status_code == 200
    )
    state.audit.append(_list("even", BALANCED_WEEK, MEN[:15] + WOMEN[:15], MEN[15:] + WOMEN[15:]))
    state.audit.append(_list("skewed", SKEWED_WEEK, MEN[:20], MEN[20:] + WOMEN))
    # Outside the period (2026-11-01..2026-11-11): the same week W46, a day later.
    state.audit.append(_list("late", SKEWED_WEEK + dt.timedelta(days=2), WOMEN[:20], MEN))
    facts = AssessmentFacts(
        features=[("required_coverage", "share of required skills held")],
        never_read=["name"],
        live_models=[],
        min_cell=10,
    )
    with state.sessions() as session:
        assessment = draft(session, state.audit, dt.date(2026, 11, 1), dt.date(2026, 11, 11), facts)
    weeks = {w["week"]: w for w in assessment["monitor"]["weeks"]}
    assert sorted(weeks) == ["2026-W45", "2026-W46"]
    assert weeks["2026-W45"]["impact_ratio_after"] == 1.0 and not weeks["2026-W45"]["breach"]
    assert weeks["2026-W46"]["rankings"] == 1  # the later list is after the period
    assert weeks["2026-W46"]["impact_ratio_after"] == 0.0 and weeks["2026-W46"]["breach"]
    assert assessment["incidents"] == [{"week": "2026-W46", "impact_ratio_after": 0.0}]
    page = render_assessment(assessment)
    assert "2026-W46: impact ratio after re-ranking 0.00 (monitor breach)" in page
    assert "AM0" not in page and "AF0" not in page
