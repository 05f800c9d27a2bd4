"""A person's own history reaches the features of their next list, through the serving path:
the posting they applied to has left their matches, so its vector comes from the engine."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from data.schemas import Role
from fairness.audit_log import decode_matrix
from features.history import HISTORY_FEATURES
from features.registry import FEATURE_NAMES
from serving.state import ServiceState
from tests.factories import make_opportunity
from tests.helpers.api import seed, token_for


def _history_columns(client: TestClient, auditor: dict[str, str], request_id: str) -> dict:
    record = client.get(f"/api/v1/audits/rankings/{request_id}", headers=auditor).json()
    rows = decode_matrix(record["features"])
    ids = [item["id"] for item in record["items"]]
    return {
        name: dict(zip(ids, rows[:, FEATURE_NAMES.index(name)].tolist(), strict=True))
        for name in HISTORY_FEATURES
    }


def test_an_application_makes_the_next_list_read_the_person_s_history(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    lead, me = token_for(state, Role.LEAD, "LEAD"), token_for(state, Role.EMPLOYEE, "DATA")
    auditor = token_for(state, Role.HR, "LEAD", ("auditor",))
    fresh = make_opportunity("FRESH", owner="LEAD", title="Forecast model for finance")
    assert client.post("/api/v1/opportunities", json=fresh, headers=lead).status_code == 201

    first = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=me).json()
    before = _history_columns(client, auditor, first["request_id"])
    assert all(v == 0.0 for column in before.values() for v in column.values()), before

    assert client.post("/api/v1/opportunities/FRESH/applications", headers=me).status_code == 201
    second = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=me).json()
    shown = [i["opportunity"]["external_id"] for i in second["items"]]
    assert "FRESH" not in shown and "GIG-DATA" in shown
    after = _history_columns(client, auditor, second["request_id"])
    # GIG-DATA resembles the forecast gig applied to; both are the same department's.
    assert 0.0 < after["history_liked_similarity"]["GIG-DATA"] <= 1.0
    assert after["history_department_affinity"]["GIG-DATA"] == 1.0
    assert after["history_passed_similarity"]["GIG-DATA"] == 0.0
    # The more alike posting is the closer one.
    assert after["history_liked_similarity"]["GIG-DATA"] > after["history_liked_similarity"].get(
        "GIG-WEB", -1.0
    )
    # The packaged default was trained on the no-history value: its scores are unchanged.
    scores = {i["opportunity"]["external_id"]: i["score"] for i in first["items"]}
    again = {i["opportunity"]["external_id"]: i["score"] for i in second["items"]}
    assert np.allclose([scores[k] for k in again], list(again.values()))
