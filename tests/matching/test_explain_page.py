"""TreeSHAP runs on the rows of the page served, never on the whole scored pool: with the
packaged rankers it costs ~0.2 ms a row against ~0.6 ms for scoring all ~200 (bench/scoring.py),
so explaining the pool would cost a page ~40 ms more.

Through the API, with the live model's contributions recorded: each page (employee or lead,
first or later) makes one TreeSHAP call, on as many rows as the page shows, and the amounts
each item's explanation carries are that call's, row for row, in page order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from data.demo import generate_company
from data.importing.demo import store_demo_company
from data.schemas import Role
from data.storage.engine import transaction
from data.taxonomy.packaged import load_packaged_taxonomy
from features.registry import FEATURE_NAMES
from serving.state import ServiceState
from tests.conftest import TODAY
from tests.helpers.api import token_for
from training.live import LiveModel

PAGE = 5


@pytest.fixture
def company(state: ServiceState) -> dict[str, Any]:
    company = generate_company(
        load_packaged_taxonomy(), employees=150, opportunities=40, seed=17, as_of=TODAY
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, company)
    with state.sessions() as session:
        state.matcher.load(session)
    return {
        "employees": [e.external_id for e in company.employees[3:60]],
        "gigs": [o for o in company.opportunities if o.kind.value == "gig"],
    }


@pytest.fixture
def scored(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many rows each of the live models' scoring calls scored, in order."""
    sizes: list[int] = []
    original = LiveModel.predict

    def recording(self: LiveModel, features: np.ndarray) -> np.ndarray:
        sizes.append(len(features))
        return original(self, features)

    monkeypatch.setattr(LiveModel, "predict", recording)
    yield sizes


@pytest.fixture
def explained(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[np.ndarray]]:
    """Every batch of contributions the live models computed, in order."""
    batches: list[np.ndarray] = []
    original = LiveModel.contributions

    def recording(self: LiveModel, features: np.ndarray) -> np.ndarray:
        out = original(self, features)
        batches.append(out)
        return out

    monkeypatch.setattr(LiveModel, "contributions", recording)
    yield batches


def amounts(explanation: dict[str, Any]) -> list[float]:
    """An employee's explanation's amounts in registry order, base value last."""
    return [explanation["contributions"][n] for n in FEATURE_NAMES] + [explanation["base_value"]]


def test_an_employees_pages_explain_their_rows_only(
    client: TestClient, state: ServiceState, company: dict[str, Any], explained: list[np.ndarray]
) -> None:
    for employee in company["employees"]:
        headers = token_for(state, Role.EMPLOYEE, employee)
        url = f"/api/v1/employees/{employee}/matches?kind=gig&limit={PAGE}"
        first = client.get(url, headers=headers).json()
        if first["matched"] >= 2 * PAGE + 1:
            break
    else:
        raise AssertionError("no demo employee has enough gig matches for two pages")
    second = client.get(f"{url}&offset={PAGE}", headers=headers)
    assert second.status_code == 200, second.text
    pages = [first, second.json()]
    # The two pages, and for each one TreeSHAP call (earlier employees' pages before them).
    assert len(explained) >= 2
    for page, batch in zip(pages, explained[-2:], strict=True):
        assert len(page["items"]) == PAGE < page["matched"]
        assert batch.shape == (PAGE, len(FEATURE_NAMES) + 1)
        served = [amounts(item["explanation"]) for item in page["items"]]
        assert np.array_equal(np.array(served), batch)


def test_a_leads_candidates_explain_the_page_only(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],
    scored: list[int],
    explained: list[np.ndarray],
) -> None:
    for gig in company["gigs"]:
        headers = token_for(state, Role.LEAD, gig.owner_external_id)
        url = f"/api/v1/opportunities/{gig.external_id}/candidates?limit={PAGE}"
        scored.clear()
        explained.clear()
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        if len(body["items"]) == PAGE:
            break
    else:
        raise AssertionError("no demo gig has a full page of candidates")
    # The candidates scored were many more than the page; one TreeSHAP call, on the page's rows.
    [pool] = scored
    assert pool > 2 * PAGE
    [batch] = explained
    assert batch.shape == (PAGE, len(FEATURE_NAMES) + 1)
