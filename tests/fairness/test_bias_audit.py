"""The LL144 bias audit against a company worked out by hand (tests/fairness/
bias_audit_fixture.py): counts, selection and scoring rates, impact ratios, the 2% exclusion,
unknowns counted apart; the CSV's columns, the PDF's text, the public summary's content."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairness.bias_audit import build_bias_audit
from fairness.bias_audit_render import CSV_COLUMNS, to_csv, to_html, to_pdf
from serving.state import ServiceState
from tests.fairness.bias_audit_fixture import PERIOD, pdf_text, store_fixture

AUDITED_AT = dt.datetime(2026, 12, 15, 9, 30, tzinfo=dt.UTC)


def _audit(state: ServiceState, kind: str | None = "gig", min_cell: int | None = None) -> dict:
    with state.sessions() as session:
        audit = build_bias_audit(session, state.audit, *PERIOD, kind=kind, now=AUDITED_AT)
    return audit.as_dict(min_cell)


def _table(audit: dict, measure: str, attribute: str) -> dict[str, Any]:
    (table,) = [
        t for t in audit["tables"] if (t["measure"], t["attribute"]) == (measure, attribute)
    ]
    return table


def _rows(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["category"]: row for row in table["categories"]}


@pytest.fixture
def audited(client: TestClient, state: ServiceState, admin_headers: dict[str, str]) -> dict:
    store_fixture(client, state, admin_headers)
    return _audit(state)


def test_selection_rates_and_impact_ratios_match_the_hand_computed_oracle(audited: dict) -> None:
    assert audited["applications"] == 63 and audited["candidate_lists"] == 2
    assert audited["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    expected = {  # step: (male selected, female selected, female impact ratio)
        "shortlisted": (15, 7, 14 / 29),
        "offered": (6, 2, 10 / 29),
        "assigned": (3, 1, 10 / 29),
    }
    for step, (men, women, ratio) in expected.items():
        rows = _rows(_table(audited, step, "gender"))
        assert (rows["male"]["count"], rows["male"]["selected"]) == (30, men)
        assert (rows["female"]["count"], rows["female"]["selected"]) == (29, women)
        assert rows["male"]["rate"] == pytest.approx(men / 30)
        assert rows["female"]["rate"] == pytest.approx(women / 29)
        assert rows["male"]["impact_ratio"] == pytest.approx(1.0)
        assert rows["female"]["impact_ratio"] == pytest.approx(ratio)
    race = _rows(_table(audited, "shortlisted", "race_ethnicity"))
    assert (race["White"]["count"], race["White"]["selected"]) == (37, 23)
    assert (race["Black"]["count"], race["Black"]["selected"]) == (24, 0)
    assert race["Black"]["impact_ratio"] == 0.0
    both = _rows(_table(audited, "shortlisted", "gender × race_ethnicity"))
    assert both["male × White"]["rate"] == pytest.approx(0.75)
    assert both["female × White"]["impact_ratio"] == pytest.approx(2 / 3)
    assert both["female × Black"]["count"] == 14 and both["female × Black"]["rate"] == 0.0


def test_categories_under_two_percent_are_listed_as_excluded_with_their_counts(
    audited: dict,
) -> None:
    gender = _table(audited, "shortlisted", "gender")
    nonbinary = _rows(gender)["nonbinary"]
    assert nonbinary["excluded"] and nonbinary["impact_ratio"] is None
    assert nonbinary["share"] == pytest.approx(1 / 60)
    assert gender["excluded"] == [
        {
            "category": "nonbinary",
            "count": 1,
            "people": 1,
            "rate": 0.0,
            "too_few": "too few to judge (n = 1): 1.7% of the data, under 2%",
        }
    ]
    assert _rows(_table(audited, "shortlisted", "race_ethnicity"))["Asian"]["excluded"]
    # 14 people, 23.7% of the intersection's known rows: compared although under 30 (LL144
    # excludes by the 2% rule only).
    assert not _rows(_table(audited, "shortlisted", "gender × race_ethnicity"))["female × Black"][
        "excluded"
    ]
    # On the ranked lists the one nonbinary appearance is 1 of 7: compared.
    scored = _rows(_table(audited, "scored above the median", "gender"))
    assert not scored["nonbinary"]["excluded"] and scored["nonbinary"]["impact_ratio"] == 0.0


def test_unknowns_are_counted_apart_and_in_no_rate(audited: dict) -> None:
    gender = _table(audited, "shortlisted", "gender")
    assert (gender["unknown_rows"], gender["unknown_people"]) == (3, 3)
    assert "unknown" not in _rows(gender)
    race = _table(audited, "shortlisted", "race_ethnicity")
    assert (race["unknown_rows"], race["unknown_people"]) == (1, 1)  # F29
    both = _table(audited, "shortlisted", "gender × race_ethnicity")
    assert both["unknown_rows"] == 4  # F29 and U1-U3: one part unknown is unknown


def test_scoring_rates_are_shares_above_the_sample_median(audited: dict) -> None:
    assert audited["median_score"] == pytest.approx(0.55)
    rows = _rows(_table(audited, "scored above the median", "gender"))
    assert (rows["male"]["count"], rows["male"]["selected"], rows["male"]["people"]) == (3, 3, 2)
    assert (rows["female"]["count"], rows["female"]["selected"]) == (3, 1)
    assert rows["female"]["impact_ratio"] == pytest.approx(1 / 3)
    assert _table(audited, "scored above the median", "gender")["unknown_rows"] == 1


def test_every_kind_counts_the_other_kinds_applications(state: ServiceState, audited: dict) -> None:
    every = _audit(state, kind=None)
    assert every["applications"] == 64 and every["kind"] == "all"
    male = _rows(_table(every, "shortlisted", "gender"))["male"]
    assert (male["count"], male["selected"], male["people"]) == (31, 16, 30)


def test_the_csv_has_the_stated_columns_and_the_audit_s_date_and_period(audited: dict) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(audited))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {(r["period_start"], r["period_end"], r["kind"]) for r in rows} == {
        ("2026-11-01", "2026-11-30", "gig")
    }
    assert {r["audited_at"] for r in rows} == {"2026-12-15T09:30:00+00:00"}
    female = next(
        r
        for r in rows
        if (r["measure"], r["attribute"], r["category"]) == ("shortlisted", "sex", "female")
    )
    assert (female["count"], female["selected"], female["excluded_from_ratios"]) == (
        "29",
        "7",
        "False",
    )
    assert float(female["impact_ratio"]) == pytest.approx(14 / 29, abs=1e-5)
    unknown = [r for r in rows if r["category"] == "unknown" and r["attribute"] == "sex"]
    assert [r["count"] for r in unknown[:1]] == ["3"]


def test_the_pdf_is_a_pdf_stating_the_period(audited: dict) -> None:
    pdf = to_pdf(to_html(audited))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "2026-11-01 to 2026-11-30" in text
    assert "2026-12-15" in text and "nonbinary" in text


def test_the_public_summary_suppresses_small_cells_and_names_no_one(
    state: ServiceState, audited: dict
) -> None:
    public = _audit(state, min_cell=10)
    page = to_html(public, public=True, published_at="2026-12-16T08:00:00+00:00")
    assert "Person " not in page and "Lena" not in page
    for who in ("M01", "F01", "N01", "U1", "LEAD"):
        assert who not in page
    gender = _table(public, "shortlisted", "gender")
    assert _rows(gender)["nonbinary"]["suppressed"] and _rows(gender)["nonbinary"]["count"] is None
    # Still listed as excluded (LL144), its figures withheld.
    assert gender["excluded"] == [
        {
            "category": "nonbinary",
            "count": None,
            "people": None,
            "rate": None,
            "too_few": "under 2% of the data; figures suppressed: fewer than 10 people",
        }
    ]
    assert "figures suppressed: fewer than 10 people" in page
    assert "2026-11-01 to 2026-11-30" in page and "Published" in page
