"""Exploration through the API: HR sets its share per kind or switches it off, an explored
list's record carries each item's propensity, and replay reproduces the explored list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from data.storage.engine import transaction
from data.storage.tables import InteractionRow
from serving.state import ServiceState
from serving.usecases.off_policy_gate import logged_lists, off_policy_gate
from tests.serving.test_fairness_api import company  # noqa: F401 - the shared fixture

POLICY = "/api/v1/audits/policies/gig"


def _served(
    client: TestClient, where: dict[str, Any], request_id: str, limit: int = 10
) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/opportunities/{where['gig']}/candidates?limit={limit}",
        headers={**where["lead"], "X-Request-ID": request_id},
    )
    assert response.status_code == 200, response.text
    path = f"/api/v1/audits/rankings/{response.json()['request_id']}"
    return client.get(path, headers=where["auditor"]).json()


def test_hr_sets_exploration_per_kind_and_an_explored_list_replays(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    hr = company["hr"]
    too_much = client.put(POLICY, json={"explore_share": 0.5, "reason": "more"}, headers=hr)
    assert too_much.status_code == 422 and too_much.json()["detail"][0]["field"] == "explore_share"
    set_ = client.put(POLICY, json={"explore_share": 0.25, "reason": "learn faster"}, headers=hr)
    assert set_.status_code == 200 and set_.json()["explore_share"] == 0.25
    listed = client.get("/api/v1/audits/policies", headers=hr).json()
    assert listed["gig"]["explore"] is True and listed["role"]["explore_share"] == 0.05

    # A list is explored the same way all day (seeded by the list, not the request): lists of
    # other page sizes are other lists. A 10-slot page explores with probability 95%.
    for limit in range(10, 22):
        record = _served(client, company, f"explore-{limit}", limit)
        if record["policy"]["exploration"]["slots"]:
            break
    again = _served(client, company, "explore-reload", limit)
    assert again["policy"]["exploration"] == record["policy"]["exploration"]
    explored = record["policy"]["exploration"]
    assert explored["slots"] and min(explored["slots"]) >= 4 and explored["share"] == 0.25
    propensity = {i["id"]: i["propensity"] for i in record["items"]}
    on_page = [i for i in record["items"] if i["after"] is not None and i["after"] <= limit]
    # Every first-page slot holds one item, so the propensities sum to the page length.
    assert abs(sum(propensity.values()) - limit) < 1e-9
    assert all(i["propensity"] > 0 for i in on_page)
    assert [i["propensity"] for i in on_page if i["after"] <= 3] == [1.0, 1.0, 1.0]
    shown_from_below = [i for i in on_page if i["after"] in explored["slots"]]
    assert shown_from_below and all(0 < i["propensity"] < 1 for i in shown_from_below)
    replay = client.get(f"/api/v1/audits/rankings/{record['request_id']}/replay", headers=hr)
    assert replay.json()["exact"] is True, replay.json()

    off = client.put(POLICY, json={"explore": False, "reason": "pilot: no exploration"}, headers=hr)
    assert off.status_code == 200 and off.json()["explore"] is False
    plain = _served(client, company, record["request_id"] + "-again")
    assert "exploration" not in plain["policy"]
    assert sorted(i["propensity"] for i in plain["items"])[-10:] == [1.0] * 10
    assert "exploration" not in _served(client, company, "reload-off", limit)["policy"]
    events = client.get("/api/v1/audits/oversight", headers=hr).json()["items"]
    change = next(e for e in events if e["action"] == "policy")  # newest first
    assert change["details"]["after"]["explore"] is False
    assert change["details"]["before"]["explore_share"] == 0.25


def test_an_explored_lists_propensities_and_what_people_did_reach_the_gate(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    hr = company["hr"]
    client.put(POLICY, json={"explore_share": 0.25, "reason": "learn faster"}, headers=hr)
    records = [_served(client, company, f"gate-{n}") for n in range(7)]
    latest = records[-1]  # the gate reads the latest 15% of explored lists: this one
    on_page = sorted(
        (i for i in latest["items"] if i["after"] is not None and i["after"] <= 10),
        key=lambda i: i["after"],
    )
    acted = on_page[-1]  # the lead shortlists the last one on the page
    with transaction(state.sessions) as session:
        session.add(
            InteractionRow(
                request_id=latest["request_id"],
                employee_external_id=acted["id"],
                opportunity_external_id=company["gig"],
                type="shortlist",
                occurred_at=dt.datetime.now(dt.UTC),
            )
        )
    with state.sessions() as session:
        lists = logged_lists(session, "opportunity")
        assert len(lists) == 1
        (logged,) = lists
        ids = [i["id"] for i in latest["items"]]
        assert logged.propensity.tolist() == [i["propensity"] for i in latest["items"]]
        assert {ids[j] for j in np.flatnonzero(logged.shown)} == {i["id"] for i in on_page}
        assert [ids[j] for j in np.flatnonzero(logged.reward)] == [acted["id"]]
        # Scored by the gate: a ranker that puts the shortlisted person first is worth one
        # action on this list, by IPS (its page holds them, shown with their propensity).
        first = ids.index(acted["id"])
        favourite = lambda rows: -np.abs(np.arange(len(rows)) - first)  # noqa: E731
        verdict = off_policy_gate(session, "opportunity", favourite, favourite)
    assert verdict.allowed and "not judged" in verdict.reason
    assert verdict.comparison is not None and verdict.comparison.new.lists == 1
    expected = 1 / acted["propensity"] if acted["propensity"] < 1 else 1.0
    assert verdict.comparison.new.ips.value == expected
