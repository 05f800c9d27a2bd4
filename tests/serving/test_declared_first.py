"""A lead's candidates: who declares a required skill comes before who declares none, whatever
their occupations suggest; the rule is logged with the ranking and replays exactly."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from data.schemas import Role
from fairness.policy import PolicySettings
from fairness.rerank import serve_order
from features.declared import declared_tiers
from features.registry import FEATURE_NAMES
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity
from tests.helpers.api import token_for

REQUIRED = ["design database scheme", "database management systems", "SQL", "data models"]
OFF = PolicySettings(name="off")


def _company(client: TestClient, admin: dict[str, str]) -> None:
    # Database developers who list none of what the posting asks (their occupation "usually
    # involves" all of it), and a sales assistant who lists two of the four.
    near = [
        make_employee(
            f"NEAR{n}",
            title="Database Developer",
            skills=[{"name": "communicate with customers", "level": 4}],
        )
        for n in range(4)
    ]
    far = make_employee(
        "FAR",
        title="Sales Assistant",
        timezone="Asia/Tokyo",
        skills=[{"name": "SQL", "level": 3}, {"name": "database management systems", "level": 3}],
    )
    lead = make_employee("LEAD", title="Database Developer", level=5, skills=[])
    people = [lead, *near, far]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    posting = make_opportunity(
        "DB-GIG",
        owner="LEAD",
        title="Database developer",
        description="Design the schema of the new reporting store.",
        required_skills=[{"name": name, "level": 2} for name in REQUIRED],
        preferred_skills=[],
    )
    assert (
        client.post("/api/v1/opportunities/bulk", json=[posting], headers=admin).status_code == 200
    )


def test_a_candidate_declaring_required_skills_ranks_above_those_declaring_none(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    _company(client, admin_headers)
    body = client.get(
        "/api/v1/opportunities/DB-GIG/candidates?limit=20", headers=admin_headers
    ).json()
    order = [item["candidate"]["external_id"] for item in body["items"]]
    assert "FAR" in order and any(e.startswith("NEAR") for e in order), order
    assert order[0] == "FAR", order
    held = [item["candidate"]["coverage"]["required_held"] for item in body["items"]]
    assert held == sorted(held, key=lambda n: n == 0), held  # no one holding none above some
    # The rule is part of the logged policy, and the ranking replays exactly from the log.
    hr = token_for(state, Role.HR, "LEAD")
    auditor = token_for(state, Role.HR, "LEAD", ("auditor",))
    record = client.get(f"/api/v1/audits/rankings/{body['request_id']}", headers=auditor).json()
    assert record["policy"]["declared_first"] is True
    replay = client.get(f"/api/v1/audits/rankings/{body['request_id']}/replay", headers=hr)
    assert replay.json()["exact"] is True, replay.json()


def _rows(coverage: list[float], missing: list[int]) -> np.ndarray:
    rows = np.zeros((len(coverage), len(FEATURE_NAMES)), dtype=np.float32)
    rows[:, FEATURE_NAMES.index("required_coverage")] = coverage
    rows[:, FEATURE_NAMES.index("required_missing")] = missing
    return rows


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-5, 5, allow_nan=False, width=32),  # the ranker's score
            st.sampled_from([0.0, 0.25, 0.5, 1.0]),  # required coverage
        ),
        min_size=1,
        max_size=30,
    )
)
def test_the_tiers_put_holders_first_and_keep_the_score_order_within_each(
    pairs: list[tuple[float, float]],
) -> None:
    scores = np.array([s for s, _ in pairs], dtype=np.float64)
    coverage = [c for _, c in pairs]
    features = _rows(coverage, [2] * len(pairs))
    tiers = declared_tiers(features)
    ids = [f"C{i}" for i in range(len(pairs))]
    served = serve_order(
        scores, scores, ids, settings=OFF, page=10, membership=None, tiers=tiers
    ).order.tolist()
    tier_seq = [int(tiers[i]) for i in served]
    assert tier_seq == sorted(tier_seq, reverse=True)
    for tier in (0, 1):
        within = [scores[i] for i in served if tiers[i] == tier]
        assert within == sorted(within, reverse=True)


def test_a_posting_that_requires_nothing_leaves_the_ranker_order_alone() -> None:
    features = _rows([0.0, 0.0, 0.0], [0, 0, 0])
    assert declared_tiers(features).tolist() == [1, 1, 1]
    scores = np.array([0.1, 0.9, 0.5])
    served = serve_order(
        scores,
        scores,
        ["a", "b", "c"],
        settings=OFF,
        page=3,
        membership=None,
        tiers=declared_tiers(features),
    )
    assert served.order.tolist() == [1, 2, 0]
