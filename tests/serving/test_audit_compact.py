"""Compact audit records (revision 0023) on served lists: a lead's list of 200 scored candidates,
every feature in use (history included), is stored in under a fifth of its plain JSON and
replays bit for bit; a record filed the way the log filed them before (plain JSON, plain base64
feature rows) still verifies, replays and is found by HR's search beside the new ones; SQLite
and PostgreSQL alike.

Issue 27 aimed at 8 KB a list; the lossless floor of these lists is above it (the feature rows
alone take ~7 KB: docs/architecture.md, "Audit log"), so the bound tested is what was measured
(10.3 KB since the model's numbers are kept as digests, 11.8 KB since the explained page is
packed by column and the body compressed with the shipped text; 12-14 KB before) with room, not
the aim. Records filed in the first compressed form (a
bare zstd frame, items in their first packed form, the page as it was) verify and replay too."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from data.schemas import Role
from data.storage import audit as stored
from data.storage.opportunities import get_opportunity
from data.storage.tables import AuditRecordRow
from fairness.audit_log import AuditLog, canonical, decode_matrix
from matching.pipeline import RETRIEVE_DEPTH
from serving.state import ServiceState
from tests.fairness.test_audit_log import (
    file_as_before_0023,
    file_as_first_compact,
    old_encode_matrix,
)
from tests.helpers.api import token_for
from tests.serving.test_fairness_api import stored_demo_with_open_gig

MOST_BYTES = 12 * 1024  # measured 10.3 KB on these lists (body and search columns)


@pytest.fixture
def company(state: ServiceState) -> dict[str, Any]:
    """A demo company (with its history: every feature in use) large enough that one open
    posting's lead is served a full pool of candidates; that posting."""
    demo, _ = stored_demo_with_open_gig(state, employees=1000, opportunities=40)
    with state.sessions() as session:
        found = {
            o.external_id: get_opportunity(session, o.external_id)
            for o in demo.opportunities
            if o.status.value == "open"
        }
        rows = {external_id: row for external_id, row in found.items() if row is not None}
        assert rows == found  # every open posting of the demo is stored
    pools = {
        external_id: len(
            state.matcher.candidates_for_opportunity(row.id, limit=RETRIEVE_DEPTH).hits
        )
        for external_id, row in rows.items()
    }
    posting = max(pools, key=lambda external_id: pools[external_id])
    assert pools[posting] == RETRIEVE_DEPTH, pools
    return {
        "posting": posting,
        "lead": token_for(state, Role.LEAD, rows[posting].owner_external_id),
        "hr": token_for(state, Role.HR, demo.employees[2].external_id),
        "auditor": token_for(state, Role.HR, demo.employees[2].external_id, ("auditor",)),
    }


def _candidates(client: TestClient, company: dict[str, Any]) -> str:
    response = client.get(
        f"/api/v1/opportunities/{company['posting']}/candidates?limit=20", headers=company["lead"]
    )
    assert response.status_code == 200, response.text
    return response.json()["request_id"]


def _record(state: ServiceState, request_id: str) -> dict[str, Any]:
    with state.sessions() as session:
        record = AuditLog.find(session, request_id)
    assert record is not None
    return dict(record)


def _replay(client: TestClient, company: dict[str, Any], request_id: str) -> dict[str, Any]:
    path = f"/api/v1/audits/rankings/{request_id}/replay"
    answer = client.get(path, headers=company["hr"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_list_of_200_scored_candidates_is_stored_in_a_fifth_and_replays_exactly(
    client: TestClient, state: ServiceState, company: dict[str, Any]
) -> None:
    request_id = _candidates(client, company)

    record = _record(state, request_id)
    assert len(record["items"]) == RETRIEVE_DEPTH == 200
    assert "f4_columns_zstd" in record["features"]
    with state.sessions() as session:
        row = session.query(AuditRecordRow).filter_by(request_id=request_id).one()
        count, size = stored.stored_bytes(session, after_seq=row.seq - 1)
    assert count == 1
    # What the log stored for it before revision 0023: the plain canonical JSON.
    matrix = decode_matrix(record["features"])
    plain = len(canonical({**record, "features": old_encode_matrix(matrix)}))
    assert size <= plain / 5 and size <= MOST_BYTES, f"{size:.0f} bytes stored, {plain} plain"
    replayed = _replay(client, company, request_id)
    assert replayed["exact"] is True, replayed
    assert replayed["scores_match"] and replayed["max_score_difference"] == 0.0


def test_a_record_filed_before_compression_verifies_replays_and_is_found(
    client: TestClient, state: ServiceState, company: dict[str, Any]
) -> None:
    new = _record(state, _candidates(client, company))
    # The same list as the log filed it before revision 0023, under an id of its own.
    old = {k: v for k, v in new.items() if k not in ("seq", "key_id")}
    old["request_id"] = "filed-before-0023"
    seq = file_as_before_0023(state.audit, old)
    with state.sessions() as session:
        row = session.get(AuditRecordRow, seq)
        assert row is not None and row.body_zstd is None and row.item_ids is None
        assert '"f4_base64"' in row.body
    newer = _candidates(client, company)  # appended after it: the chain runs on

    verified = client.get("/api/v1/audits/verify", headers=company["hr"]).json()
    assert verified["ok"] is True, verified["problems"]
    assert verified["records"] == 3
    for request_id in ("filed-before-0023", newer):
        replayed = _replay(client, company, request_id)
        assert replayed["exact"] is True, replayed
    # An auditor's search for a listed person finds the old record and the new ones.
    person = new["items"][-1]["id"]
    found = client.get("/api/v1/audits/rankings", params={"q": person}, headers=company["auditor"])
    assert found.status_code == 200, found.text
    assert {i["request_id"] for i in found.json()["items"]} == {
        new["request_id"],
        "filed-before-0023",
        newer,
    }


def test_a_record_filed_in_the_first_compressed_form_verifies_replays_and_is_found(
    client: TestClient, state: ServiceState, company: dict[str, Any]
) -> None:
    new = _record(state, _candidates(client, company))
    # The same list as the log filed it from revision 0023 until issue 27's forms.
    first = {k: v for k, v in new.items() if k not in ("seq", "key_id")}
    first["request_id"] = "filed-first-compact"
    seq = file_as_first_compact(state.audit, first)
    with state.sessions() as session:
        row = session.get(AuditRecordRow, seq)
        assert row is not None and row.body_zstd is not None
        assert bytes(row.body_zstd)[:4] == stored.ZSTD_MAGIC
        assert '"explained":' in stored.record_text(row)  # the page as it was, unpacked
    newer = _candidates(client, company)

    verified = client.get("/api/v1/audits/verify", headers=company["hr"]).json()
    assert verified["ok"] is True, verified["problems"]
    assert verified["records"] == 3
    replayed = _replay(client, company, "filed-first-compact")
    assert replayed["exact"] is True, replayed
    assert replayed["scores_match"] and replayed["max_score_difference"] == 0.0
    person = new["items"][-1]["id"]
    found = client.get("/api/v1/audits/rankings", params={"q": person}, headers=company["auditor"])
    assert found.status_code == 200, found.text
    assert {i["request_id"] for i in found.json()["items"]} == {
        new["request_id"],
        "filed-first-compact",
        newer,
    }
