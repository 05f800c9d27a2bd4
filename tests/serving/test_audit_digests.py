"""The model's numbers in a served list's record are kept as digests (issue 27): the scores
rounded to float32 beside the digest of the exact ones, the page's explanations without their
contributions and amounts beside the digest of them as served. The record is smaller by what
those numbers took, replay still proves them bit for bit (and names what differs), a person's
export still shows them, and a record filed with them inline still replays; SQLite and
PostgreSQL alike."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pytest
from fastapi.testclient import TestClient

from data.schemas import Role
from fairness.audit_codec import compact
from fairness.audit_digests import as_kept
from fairness.audit_log import AuditLog, canonical, decode_matrix
from fairness.audit_record import ServedRanking, served_page
from fairness.replay import ReplayResult, replay
from matching.explain import explain
from serving.state import ServiceState
from tests.helpers.api import token_for
from tests.serving.test_fairness_api import stored_demo_with_open_gig


@pytest.fixture
def served(client: TestClient, state: ServiceState) -> dict[str, Any]:
    """A demo company (history included): an employee served a page of ten gigs, and the lead of
    an open gig served a page of ten candidates."""
    demo, gig = stored_demo_with_open_gig(state, employees=200, opportunities=40)
    lead = token_for(state, Role.LEAD, gig.owner_external_id)
    candidates = client.get(
        f"/api/v1/opportunities/{gig.external_id}/candidates?limit=10", headers=lead
    )
    assert candidates.status_code == 200, candidates.text
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
                "candidates": candidates.json()["request_id"],
                "hr": token_for(state, Role.HR, demo.employees[2].external_id),
            }
    raise AssertionError("nobody in the demo company was served ten gigs")


def _record(state: ServiceState, request_id: str) -> ServedRanking:
    with state.sessions() as session:
        record = AuditLog.find(session, request_id)
    assert record is not None
    return record


def _replay(state: ServiceState, record: ServedRanking, nudge: float = 0.0) -> ReplayResult:
    """Replay as HR's does (no re-ranking membership), the explanations' first number nudged by
    `nudge` (0: as the model makes them)."""
    ranker = state.rankers.ranker_for(record["model"]["version"])

    def again(
        rows: np.ndarray, details: Sequence[dict[str, Any]], audience: str, paused: bool
    ) -> Sequence[Mapping[str, Any]]:
        made: list[dict[str, Any]] = [
            dict(e) for e in explain(ranker.contributions, rows, details, audience=audience)
        ]
        if nudge:
            reason = made[0]["reasons"][0]
            reason["contribution" if "contribution" in reason else "amount"] += nudge
        return made

    return replay(
        record,
        scorer=ranker.predict,
        explain_again=again,
        membership=None,
        key=state.pseudonym_key,
    )


def _as_filed_before(state: ServiceState, record: ServedRanking) -> dict[str, Any]:
    """The same list as a record held it before the digests: exact scores, every number of
    every explanation (made again by its model, which replay proves are the ones served)."""
    ranker = state.rankers.ranker_for(record["model"]["version"])
    features = decode_matrix(record["features"])
    scores = ranker.predict(features).tolist()
    rows = [[item["id"] for item in record["items"]].index(e["id"]) for e in record["explained"]]
    explanations = explain(
        ranker.contributions,
        features[rows],
        [e["details"] for e in record["explained"]],
        audience=record["audience"],
    )
    old: dict[str, Any] = {
        k: v for k, v in record.items() if k not in ("seq", "key_id", "scores_sha256")
    }
    old.pop("explained_sha256")
    old["items"] = [{**item, "score": s} for item, s in zip(record["items"], scores, strict=True)]
    old["explained"] = [
        {**e, "explanation": dict(a)}
        for e, a in zip(record["explained"], explanations, strict=True)
    ]
    return old


def test_a_record_keeps_digests_of_the_numbers_and_replay_proves_them(
    client: TestClient, state: ServiceState, served: dict[str, Any]
) -> None:
    page = served["page"]
    for request_id in (page["request_id"], served["candidates"]):
        record = _record(state, request_id)
        # What the page said, in words, without the numbers behind it.
        assert len(record["explained"]) == 10
        for entry in record["explained"]:
            explanation = entry["explanation"]
            assert "contributions" not in explanation and explanation["reasons"]
            for reason in explanation["reasons"]:
                assert "feature" in reason and not {"contribution", "amount"} & set(reason)
        assert len(record["scores_sha256"]) == len(record["explained_sha256"]) == 64
        replayed = client.get(
            f"/api/v1/audits/rankings/{request_id}/replay", headers=served["hr"]
        ).json()
        assert replayed["exact"] is True, replayed
        assert replayed["max_score_difference"] == 0.0

    # The scores kept are the served ones rounded to float32.
    record = _record(state, page["request_id"])
    kept = {item["id"]: item["score"] for item in served_page(record)}
    assert kept == {i["opportunity"]["external_id"]: as_kept(i["score"]) for i in page["items"]}

    # A number that differs by 1e-12 in one reason is caught, the words being the same ...
    result = _replay(state, record, nudge=1e-12)
    assert result.scores_match and result.order_match and result.explanation_match is False
    assert result.notes == ["the recomputed explanations' numbers differ from those served"]
    # ... and so are words that differ from what the record says the page said,
    record["explained"][0]["explanation"]["base_value"] = 0.5
    result = _replay(state, record)
    assert result.explanation_match is False
    assert result.notes == ["a recomputed explanation differs from the one served"]
    # a score kept otherwise, and exact scores other than those the digest was made of.
    record = _record(state, page["request_id"])
    record["items"][0]["score"] += 1.0
    assert _replay(state, record).scores_match is False
    record = _record(state, page["request_id"])
    record["scores_sha256"] = "0" * 64
    result = _replay(state, record)
    assert result.scores_match is False and result.max_score_difference == 0.0


def test_the_digests_make_the_records_smaller(state: ServiceState, served: dict[str, Any]) -> None:
    def size(body: Mapping[str, Any]) -> int:  # packed as the log packs it, then compressed
        return len(zlib.compress(canonical(compact(dict(body))).encode(), 9))

    # Measured on these lists: an employee's (11 items) 5.1 KB -> 2.9 KB; a lead's (18 items)
    # 2.97 -> 2.76 KB (a lead's page holds amounts only, a few a card; at 200 items the float64
    # scores add ~0.7 KB more: bench/NOTES.md, "Audit record size").
    for request_id, least in ((served["page"]["request_id"], 0.3), (served["candidates"], 0.04)):
        record = _record(state, request_id)
        before, after = size(_as_filed_before(state, record)), size(record)
        assert after < (1 - least) * before, (request_id, before, after)


def test_the_export_shows_the_numbers_again(
    client: TestClient, state: ServiceState, served: dict[str, Any]
) -> None:
    page = served["page"]
    document = client.get("/api/v1/me/export", headers=served["token"]).json()
    (mine,) = [e for e in document["served_lists"] if e["request_id"] == page["request_id"]]
    exported = {i["opportunity_external_id"]: i for i in mine["items"]}
    for item in page["items"]:
        listed = exported[item["opportunity"]["external_id"]]
        assert listed["explanation"]["contributions"] == item["explanation"]["contributions"]
        assert all(isinstance(r["contribution"], float) for r in listed["explanation"]["reasons"])
        total = listed["explanation"]["base_value"] + sum(
            listed["explanation"]["contributions"].values()
        )
        assert total == pytest.approx(item["score"]) and listed["score"] == as_kept(item["score"])

    # A candidate on a lead's page sees the amounts their reasons weighed (never shown to leads).
    record = _record(state, served["candidates"])
    someone = served_page(record)[0]["id"]
    token = token_for(state, Role.EMPLOYEE, someone)
    document = client.get("/api/v1/me/export", headers=token).json()
    (place,) = [e for e in document["served_lists"] if e["request_id"] == served["candidates"]]
    reasons = place["explanation"]["reasons"]
    assert reasons and all(isinstance(r["amount"], float) for r in reasons)


def test_a_record_filed_with_its_numbers_inline_still_replays(
    client: TestClient, state: ServiceState, served: dict[str, Any]
) -> None:
    for request_id in (served["page"]["request_id"], served["candidates"]):
        old = _as_filed_before(state, _record(state, request_id))
        old["request_id"] = f"filed-before-{request_id}"
        state.audit.append(cast(ServedRanking, old))

        replayed = client.get(
            f"/api/v1/audits/rankings/{old['request_id']}/replay", headers=served["hr"]
        ).json()
        assert replayed["exact"] is True, replayed
    assert client.get("/api/v1/audits/verify", headers=served["hr"]).json()["ok"] is True
