"""An employee's served list keeps its explanations' contributions as one digest (issue 27): the
record is smaller by what the amounts took, replay still proves them exactly (and catches
amounts that differ), the person's export still shows them, and a record filed with its
contributions inline still replays; SQLite and PostgreSQL alike."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pytest
from fastapi.testclient import TestClient

from data.schemas import Role
from fairness.audit_codec import compact
from fairness.audit_contributions import contributions_digest
from fairness.audit_log import AuditLog, canonical
from fairness.audit_record import ServedRanking
from fairness.replay import replay
from matching.explain import explain
from serving.state import ServiceState
from tests.helpers.api import token_for
from tests.serving.test_fairness_api import stored_demo_with_open_gig


@pytest.fixture
def served(client: TestClient, state: ServiceState) -> dict[str, Any]:
    """An employee of a demo company (history included) served a page of ten gigs."""
    demo, _ = stored_demo_with_open_gig(state, employees=200, opportunities=40)
    for employee in demo.employees[3:40]:
        token = token_for(state, Role.EMPLOYEE, employee.external_id)
        answer = client.get(
            f"/api/v1/employees/{employee.external_id}/matches?kind=gig&limit=10", headers=token
        )
        assert answer.status_code == 200, answer.text
        if len(answer.json()["items"]) == 10:
            return {
                "employee": employee.external_id,
                "token": token,
                "page": answer.json(),
                "hr": token_for(state, Role.HR, demo.employees[2].external_id),
            }
    raise AssertionError("nobody in the demo company was served ten gigs")


def _record(state: ServiceState, request_id: str) -> ServedRanking:
    with state.sessions() as session:
        record = AuditLog.find(session, request_id)
    assert record is not None
    return record


def _explain_again(state: ServiceState, record: ServedRanking, nudge: float = 0.0) -> Any:
    """The replay's explainer, its contributions nudged by `nudge` (0: as the model makes them)."""
    ranker = state.rankers.ranker_for(record["model"]["version"])

    def again(
        rows: np.ndarray, details: Sequence[dict[str, Any]], audience: str, paused: bool
    ) -> Sequence[Mapping[str, Any]]:
        made: list[dict[str, Any]] = [
            dict(e) for e in explain(ranker.contributions, rows, details, audience=audience)
        ]
        if nudge:
            first = made[0]["contributions"]
            name = next(iter(first))
            first[name] += nudge
        return made

    return again, ranker.predict


def test_the_record_keeps_a_digest_not_the_amounts_and_replay_proves_them(
    client: TestClient, state: ServiceState, served: dict[str, Any]
) -> None:
    page = served["page"]
    record = _record(state, page["request_id"])

    # The page said what it said; the amounts behind it are one digest in the record.
    assert len(record["explained"]) == 10
    assert all("contributions" not in e["explanation"] for e in record["explained"])
    assert all(e["explanation"]["reasons"] for e in record["explained"])
    shown = [item["explanation"]["contributions"] for item in page["items"]]
    assert record["contributions_sha256"] == contributions_digest(
        [{"contributions": c} for c in shown]
    )
    replayed = client.get(
        f"/api/v1/audits/rankings/{page['request_id']}/replay", headers=served["hr"]
    ).json()
    assert replayed["exact"] is True and replayed["explanation_match"] is True, replayed

    # Amounts that differ in one card by 1e-12 are caught, the words being the same.
    again, scorer = _explain_again(state, record, nudge=1e-12)
    result = replay(
        record, scorer=scorer, explain_again=again, membership=None, key=state.pseudonym_key
    )
    assert result.scores_match and result.order_match
    assert result.explanation_match is False
    assert result.notes == [
        "the recomputed contributions differ from those the page was explained with"
    ]
    # ... and so is a card whose words differ from what the record says it said.
    record["explained"][0]["explanation"]["base_value"] = 0.5
    again, scorer = _explain_again(state, record)
    result = replay(
        record, scorer=scorer, explain_again=again, membership=None, key=state.pseudonym_key
    )
    assert result.explanation_match is False
    assert result.notes == ["a recomputed explanation differs from the one served"]


def test_the_digest_makes_an_employees_record_smaller(
    state: ServiceState, served: dict[str, Any]
) -> None:
    record = _record(state, served["page"]["request_id"])
    amounts = [item["explanation"]["contributions"] for item in served["page"]["items"]]
    inline: dict[str, Any] = {k: v for k, v in record.items() if k != "contributions_sha256"}
    inline["explained"] = [
        {**e, "explanation": {**e["explanation"], "contributions": c}}
        for e, c in zip(record["explained"], amounts, strict=True)
    ]

    def size(body: Mapping[str, Any]) -> int:  # packed as the log packs it, then compressed
        return len(zlib.compress(canonical(compact(dict(body))).encode(), 9))

    # Ten cards of 29 float64 amounts each: well over a kilobyte once compressed.
    assert size(inline) - size(record) > 1500, (size(inline), size(record))


def test_the_export_shows_the_amounts_again_and_they_add_up_to_the_score(
    client: TestClient, state: ServiceState, served: dict[str, Any]
) -> None:
    page = served["page"]
    document = client.get("/api/v1/me/export", headers=served["token"]).json()

    (mine,) = [e for e in document["served_lists"] if e["request_id"] == page["request_id"]]
    exported = {i["opportunity_external_id"]: i for i in mine["items"]}
    for item in page["items"]:
        explanation = exported[item["opportunity"]["external_id"]]["explanation"]
        assert explanation["contributions"] == item["explanation"]["contributions"]
        total = explanation["base_value"] + sum(explanation["contributions"].values())
        assert total == pytest.approx(exported[item["opportunity"]["external_id"]]["score"])


def test_a_record_filed_with_its_amounts_inline_still_replays(
    client: TestClient, state: ServiceState, served: dict[str, Any]
) -> None:
    new = _record(state, served["page"]["request_id"])
    amounts = [item["explanation"]["contributions"] for item in served["page"]["items"]]
    old: dict[str, Any] = {
        k: v for k, v in new.items() if k not in ("seq", "key_id", "contributions_sha256")
    }
    old["request_id"] = "filed-with-amounts-inline"
    old["explained"] = [
        {**e, "explanation": {**e["explanation"], "contributions": c}}
        for e, c in zip(new["explained"], amounts, strict=True)
    ]
    state.audit.append(cast(ServedRanking, old))

    replayed = client.get(
        "/api/v1/audits/rankings/filed-with-amounts-inline/replay", headers=served["hr"]
    ).json()
    assert replayed["exact"] is True, replayed
    assert client.get("/api/v1/audits/verify", headers=served["hr"]).json()["ok"] is True
