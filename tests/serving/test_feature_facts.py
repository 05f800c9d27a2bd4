"""The skill facts the read model keeps for each row (features/item_facts.py) follow the row:
an edit through the API reaches the next list's features, which stay the database's."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from data.schemas import Role
from fairness.audit_log import decode_matrix
from features.item_facts import person_facts, posting_facts
from matching.pipeline import facts_context
from serving.state import ServiceState
from tests.helpers.api import seed, token_for
from tests.serving.test_read_model import _assert_parity, _record


def _row_of(record: dict, external_id: str) -> np.ndarray:
    at = [item["id"] for item in record["items"]].index(external_id)
    return decode_matrix(record["features"])[at]


def test_a_posting_edit_reaches_the_next_lists_features(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    auditor = token_for(state, Role.HR, "LEAD", ("auditor",))
    me = token_for(state, Role.EMPLOYEE, "DATA")
    lead = token_for(state, Role.LEAD, "LEAD")
    url = "/api/v1/employees/DATA/matches?kind=gig"
    before = _record(client, auditor, client.get(url, headers=me).json())
    held = state.matcher.read_model
    row = held.posting_rows(["GIG-DATA"])["GIG-DATA"]
    kept_before = held.postings_with_facts([row], facts_context())[row][1]
    patched = client.patch(
        "/api/v1/opportunities/GIG-DATA",
        json={"required_skills": [{"name": "SQL", "level": 5}, {"name": "JavaScript", "level": 2}]},
        headers=lead,
    )
    assert patched.status_code == 200, patched.text
    after = _record(client, auditor, client.get(url, headers=me).json())
    _assert_parity(state, after)
    assert not np.array_equal(_row_of(after, "GIG-DATA"), _row_of(before, "GIG-DATA"))
    inputs, kept = held.postings_with_facts([row], facts_context())[row]
    assert kept is not kept_before
    fresh = posting_facts([inputs], facts_context())
    np.testing.assert_array_equal(kept.asked, fresh.asked)
    np.testing.assert_array_equal(kept.profile_weights, fresh.profile_weights)


def test_a_new_skill_reaches_the_next_lists_features(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    auditor = token_for(state, Role.HR, "LEAD", ("auditor",))
    lead = token_for(state, Role.LEAD, "LEAD")
    wes = token_for(state, Role.EMPLOYEE, "WEB")
    url = "/api/v1/opportunities/GIG-WEB/candidates"
    before = _record(client, auditor, client.get(url, headers=lead).json())
    held = state.matcher.read_model
    row = held.person_rows(["WEB"])["WEB"]
    kept_before = held.people_with_facts([row], facts_context())[row][1]
    dana = token_for(state, Role.EMPLOYEE, "DATA")
    python = client.get("/api/v1/employees/DATA", headers=dana).json()["skills"][0]["skill_id"]
    # Wes adds a skill Dana's gig asks for (a skill new to Wes, not a level changed).
    put = client.put(f"/api/v1/employees/WEB/skills/{python}", json={"level": 3}, headers=wes)
    assert put.status_code == 200, put.text
    after = _record(client, auditor, client.get(url, headers=lead).json())
    _assert_parity(state, after)
    assert not np.array_equal(_row_of(after, "WEB"), _row_of(before, "WEB"))
    inputs, kept = held.people_with_facts([row], facts_context())[row]
    assert kept is not kept_before
    np.testing.assert_array_equal(kept.skills, person_facts([inputs], facts_context()).skills)
