"""HR's review queue holds the names people's profiles hold now: a name a profile dropped
leaves it, and one person can keep only so many names waiting."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from data.schemas import Role
from data.storage.tables import SkillRow
from serving.state import ServiceState
from tests.helpers.api import seed, token_for


def _queue(client: TestClient, hr: dict[str, str]) -> list[str]:
    labels, cursor = [], None
    while True:
        params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/skills/review", params=params, headers=hr).json()
        labels += [item["label"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return labels


def _typed(client: TestClient, who: str, token: dict[str, str], names: list[str]) -> int:
    profile = client.get(f"/api/v1/employees/{who}", headers=token).json()
    kept = [s for s in profile["skills"] if not s["skill_id"].startswith("custom:")]
    profile["skills"] = kept + [{"name": n, "level": 2} for n in names]
    return client.put(f"/api/v1/employees/{who}", json=profile, headers=token).status_code


def test_names_a_profile_dropped_leave_the_review_queue(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    data, wes = token_for(state, Role.EMPLOYEE, "DATA"), token_for(state, Role.EMPLOYEE, "WEB")
    hr = token_for(state, Role.HR, "WEB")
    # As the review did: type new names, drop them for others, again and again.
    for round_ in range(4):
        names = [f"zorblax quandary {round_} {i}" for i in range(5)]
        assert _typed(client, "DATA", data, names) == 200
    waiting = [label for label in _queue(client, hr) if label.startswith("zorblax")]
    assert sorted(waiting) == [f"zorblax quandary 3 {i}" for i in range(5)]
    with state.sessions() as session:
        stored = session.scalars(select(SkillRow.label).where(SkillRow.label.like("zorblax%")))
        assert sorted(stored) == sorted(waiting)  # the dropped rows are gone, not hidden

    # A name someone else holds too stays for as long as anyone holds it.
    shared = "quixotic flange tuning"
    assert _typed(client, "DATA", data, [shared]) == 200
    assert _typed(client, "WEB", wes, [shared]) == 200
    assert _typed(client, "DATA", data, []) == 200
    assert shared in _queue(client, hr)
    assert _typed(client, "WEB", wes, []) == 200
    assert shared not in _queue(client, hr)


def test_one_person_keeps_only_so_many_names_waiting_for_review(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(client, admin_headers)
    monkeypatch.setattr(state.settings, "max_pending_skill_names", 6)
    data = token_for(state, Role.EMPLOYEE, "DATA")
    assert _typed(client, "DATA", data, [f"flurbish craft {i}" for i in range(6)]) == 200
    profile = client.get("/api/v1/employees/DATA", headers=data).json()
    profile["skills"].append({"name": "flurbish craft 6", "level": 2})
    refused = client.put("/api/v1/employees/DATA", json=profile, headers=data)
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["field"] == "skills" and "at most 6" in problem["message"]
    after = client.get("/api/v1/employees/DATA", headers=data).json()
    assert len(after["skills"]) == len(profile["skills"]) - 1  # nothing stored
    hr = token_for(state, Role.HR, "WEB")
    assert "flurbish craft 6" not in _queue(client, hr)
    # An admin's import is not self-service: the cap is the person's, not HR's.
    profile["skills"].append({"name": "flurbish craft 7", "level": 2})
    assert (
        client.put("/api/v1/employees/DATA", json=profile, headers=admin_headers).status_code == 200
    )
    # Over the cap now, the person can still edit and drop names; only adding one is refused.
    mine = client.get("/api/v1/employees/DATA", headers=data).json()
    mine["aspirations"] = "lead a data team"
    assert client.put("/api/v1/employees/DATA", json=mine, headers=data).status_code == 200
    mine["skills"] = [s for s in mine["skills"] if s["name"] != "flurbish craft 7"]
    assert client.put("/api/v1/employees/DATA", json=mine, headers=data).status_code == 200
