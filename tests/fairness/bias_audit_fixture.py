"""A small company whose bias audit is worked out by hand (the oracle in the tests).

Gig G1, period 2026-11-01 to 2026-11-30. Applicants (one application each, in the period):
- male: M01-M30 (M01-M20 White, M21-M30 Black); shortlisted M01-M15, offered M01-M06
  (M01-M03 assigned, M04-M06 offered only);
- female: F01-F29 (F01-F14 White, F15-F28 Black, F29 race not reported); shortlisted
  F01-F07, offered F01-F02 (F01 assigned);
- nonbinary: N01 (Asian), not shortlisted: 1 of 60 known, under 2%;
- sex not reported: U1-U3 (White); U1 shortlisted.
Other kinds: M01 also applied to mentorship ME1 in the period and was shortlisted (counted
only when every kind is audited); F03 applied to ME1 in October (before the period: never).

Candidate lists (scores) in the period: two gig lists
  A: M01 .9, M02 .8, F01 .7, F02 .2, U1 .5     B: M01 .6, F01 .1, N01 .3
median of the eight = .55; above it: M01 (twice), M02, F01 (once). A role list in the period
and a gig list in December are outside the audit.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from data.schemas import InteractionIn, InteractionType
from data.storage.engine import transaction
from data.storage.interactions import add_interactions
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity

PERIOD = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
NOV = dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC)


def _people() -> list[tuple[str, str | None, str | None]]:
    people: list[tuple[str, str | None, str | None]] = []
    people += [(f"M{i:02d}", "male", "White" if i <= 20 else "Black") for i in range(1, 31)]
    people += [(f"F{i:02d}", "female", "White" if i <= 14 else "Black") for i in range(1, 29)]
    people += [("F29", "female", None), ("N01", "nonbinary", "Asian")]
    people += [(f"U{i}", None, "White") for i in range(1, 4)]
    return people


SHORTLISTED = {f"M{i:02d}" for i in range(1, 16)} | {f"F{i:02d}" for i in range(1, 8)} | {"U1"}
OFFERED_ONLY = {"M04", "M05", "M06", "F02"}
ASSIGNED = {"M01", "M02", "M03", "F01"}


def make_record(request_id: str, kind: str, at: dt.datetime, items: list[tuple[str, float]]) -> Any:
    return {
        "request_id": request_id,
        "served_at": at.isoformat(),
        "caller_role": "lead",
        "direction": "opportunity",
        "kind": kind,
        "query_external_id": "G1",
        "model": {"version": "test", "source": "default", "feature_hash": "x"},
        "policy": {"name": "off"},
        "page_size": len(items),
        "items": [
            {"id": who, "score": score, "similarity": 0.5, "before": n, "after": n}
            for n, (who, score) in enumerate(items, start=1)
        ],
        "features": {"shape": [0, 0], "f4_base64": ""},
        "audience": "lead",
        "explained": [],
        "moves": [],
        "overrides": [],
        "retrieval": {},
    }


def store_fixture(client: TestClient, state: ServiceState, admin: dict[str, str]) -> None:
    people = [
        make_employee(
            who, name=f"Person {who}", skills=[], demographics={"gender": g, "race_ethnicity": r}
        )
        for who, g, r in _people()
    ]
    people.append(make_employee("LEAD", name="Lena Lead", skills=[]))
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    postings = [
        make_opportunity("G1", owner="LEAD"),
        make_opportunity("ME1", owner="LEAD", kind="mentorship"),
    ]
    response = client.post("/api/v1/opportunities/bulk", json=postings, headers=admin)
    assert response.status_code == 200, response.text

    def event(who: str, what: InteractionType, at: dt.datetime, on: str = "G1") -> InteractionIn:
        return InteractionIn(
            employee_external_id=who, opportunity_external_id=on, type=what, occurred_at=at
        )

    later = NOV + dt.timedelta(days=40)  # decided in December: still counts
    events = [event(who, InteractionType.APPLY, NOV) for who, _, _ in _people()]
    events += [event(who, InteractionType.SHORTLIST, later) for who in SHORTLISTED]
    events += [event(who, InteractionType.OFFER, later) for who in OFFERED_ONLY]
    events += [event(who, InteractionType.ASSIGN, later) for who in ASSIGNED]
    events += [
        event("M01", InteractionType.APPLY, NOV, on="ME1"),  # another kind
        event("M01", InteractionType.SHORTLIST, NOV, on="ME1"),
        event("F03", InteractionType.APPLY, NOV - dt.timedelta(days=10), on="ME1"),  # October
    ]
    with transaction(state.sessions) as session:
        add_interactions(session, events)
    lists = [
        ("A", "gig", NOV, [("M01", 0.9), ("M02", 0.8), ("F01", 0.7), ("F02", 0.2), ("U1", 0.5)]),
        ("B", "gig", NOV, [("M01", 0.6), ("F01", 0.1), ("N01", 0.3)]),
        ("C", "role", NOV, [("F02", 0.99), ("F03", 0.98)]),
        ("D", "gig", NOV + dt.timedelta(days=30), [("F02", 0.99)]),
    ]
    for request_id, kind, at, items in lists:
        state.audit.append(make_record(request_id, kind, at, items))


def pdf_text(data: bytes) -> str:
    """A PDF's text, whitespace runs made single spaces (a line may wrap anywhere)."""
    pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDF's text back")
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())
