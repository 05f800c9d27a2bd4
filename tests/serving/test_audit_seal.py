"""The seal covers what people decided, not only what was served: deleting the oversight record
(auditor reads, pauses, reveals, pins) or rewriting the interaction log is reported by
`GET /api/v1/audits/verify` and `talent audit verify`, with a checkpoint and without; a wiped
log is "unverifiable", never "intact"; and `/readyz` is not ready while the log is damaged,
says nothing else to a caller without a token, and stays cheap."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from data.schemas import Role
from data.storage import audit as stored
from data.storage.engine import transaction
from data.storage.tables import AuditRecordRow, AuditSealRow, InteractionRow, OversightEventRow
from serving.cli import app
from serving.routes.health import ANONYMOUS_SECONDS, FAILED_TOKENS
from serving.settings import Settings
from serving.state import ServiceState
from tests.helpers.api import token_for
from tests.serving.test_cli import served_record
from tests.serving.test_fairness_api import candidates, stored_demo_with_open_gig

runner = CliRunner()


@pytest.fixture
def company(state: ServiceState) -> dict[str, Any]:
    """A small demo company (with its history of decisions) in the index; an open gig."""
    demo, gig = stored_demo_with_open_gig(state, employees=80, opportunities=16)
    return {
        "gig": gig.external_id,
        "lead": token_for(state, Role.LEAD, gig.owner_external_id),
        "hr": token_for(state, Role.HR, demo.employees[2].external_id),
        "auditor": token_for(state, Role.HR, demo.employees[2].external_id, ("auditor",)),
    }


def exported_checkpoint(client: TestClient, hr: dict[str, str], tmp_path: Path) -> Path:
    """HR exports a checkpoint and keeps it off the server (here: a file the CLI reads)."""
    response = client.get("/api/v1/audits/checkpoint", headers=hr)
    assert response.status_code == 200, response.text
    kept = tmp_path / "elsewhere" / "checkpoint.json"
    kept.parent.mkdir()
    kept.write_text(json.dumps(response.json()))
    return kept


def verified(client: TestClient, hr: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/v1/audits/verify", headers=hr)
    assert response.status_code == 200, response.text
    return response.json()


def wait_until_sealed(state: ServiceState, timeout: float = 20.0) -> None:
    """Rows are sealed just after the transaction that wrote them commits, off the request."""
    deadline = time.monotonic() + timeout
    while state.audit.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not state.audit.pending(), "rows still unsealed"
    state.audit.seal_pending()  # waits for that seal's head file to be written (the same lock)


def oversight_trail(client: TestClient, company: dict[str, Any]) -> str:
    """An auditor's item-level read and a pause, both on the oversight log."""
    request_id = candidates(client, company)["request_id"]
    read = client.get(f"/api/v1/audits/rankings/{request_id}", headers=company["auditor"])
    assert read.status_code == 200
    paused = client.put(
        "/api/v1/audits/policies/mentorship",
        json={"policy": "off", "paused": True, "reason": "a complaint is being looked into"},
        headers=company["hr"],
    )
    assert paused.status_code == 200, paused.text
    return request_id


# ---------------------------------------------------------------------------- the oversight record


@pytest.mark.usefixtures("cli_env")
def test_deleting_every_logged_auditor_read_is_reported_with_a_checkpoint(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],
    tmp_path: Path,
) -> None:
    oversight_trail(client, company)
    kept = exported_checkpoint(client, company["hr"], tmp_path)
    with state.sessions() as session:
        events = session.scalars(select(OversightEventRow.id)).all()
    assert len(events) >= 2

    with transaction(state.sessions) as session:
        session.execute(delete(OversightEventRow))

    result = verified(client, company["hr"])
    assert result["ok"] is False and result["status"] == "damaged"
    assert any(f"oversight event {events[0]}" in p and "deleted" in p for p in result["problems"])
    against = runner.invoke(app, ["audit", "verify", "--checkpoint", str(kept)])
    assert against.exit_code == 1, against.output
    assert "oversight event" in against.output and "deleted" in against.output


def test_deleting_the_oversight_record_is_reported_without_a_checkpoint(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],
) -> None:
    """Nobody exported anything: the seal written just after the read remembers it."""
    oversight_trail(client, company)
    wait_until_sealed(state)
    with state.sessions() as session:
        reads = session.scalars(
            select(OversightEventRow.id).where(OversightEventRow.action == "audit_read")
        ).all()

    with transaction(state.sessions) as session:
        session.execute(delete(OversightEventRow).where(OversightEventRow.id.in_(reads)))

    result = verified(client, company["hr"])
    assert result["ok"] is False
    assert any(f"oversight event {reads[0]}" in p for p in result["problems"])


def test_deleting_the_seals_with_the_rows_is_caught_by_the_head_file(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],
) -> None:
    oversight_trail(client, company)
    wait_until_sealed(state)
    with transaction(state.sessions) as session:
        session.execute(delete(OversightEventRow))
        session.execute(delete(AuditSealRow))

    result = verified(client, company["hr"])
    assert result["ok"] is False
    assert any("seal" in p and "deleted" in p for p in result["problems"]), result["problems"]


# ---------------------------------------------------------------------------- the interaction log


@pytest.mark.usefixtures("cli_env")
def test_rewriting_every_reject_as_a_shortlist_is_reported(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],
    tmp_path: Path,
) -> None:
    kept = exported_checkpoint(client, company["hr"], tmp_path)
    with state.sessions() as session:
        rejects = session.scalars(
            select(InteractionRow.id)
            .where(InteractionRow.type == "reject")
            .order_by(InteractionRow.id)
        ).all()
    assert rejects  # the demo history holds leads' rejections

    with transaction(state.sessions) as session:
        session.execute(
            update(InteractionRow).where(InteractionRow.type == "reject").values(type="shortlist")
        )

    result = verified(client, company["hr"])
    assert result["ok"] is False
    assert any(f"interaction {rejects[0]}" in p and "rewritten" in p for p in result["problems"])
    alone = runner.invoke(app, ["audit", "verify"])
    assert alone.exit_code == 1 and "rewritten" in alone.output
    against = runner.invoke(app, ["audit", "verify", "--checkpoint", str(kept)])
    assert against.exit_code == 1 and f"interaction {rejects[0]}" in against.output


def test_reordering_and_deleting_interactions_are_named(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],
) -> None:
    client.get("/api/v1/audits/checkpoint", headers=company["hr"])  # seals the history
    with state.sessions() as session:
        rows = session.scalars(select(InteractionRow).order_by(InteractionRow.occurred_at)).all()
    first, second, third = rows[0], rows[-1], rows[len(rows) // 2]
    assert first.occurred_at != second.occurred_at
    # Swap the oldest and the newest event's times (their order), delete one in the middle.
    with transaction(state.sessions) as session:
        for row, other in ((first, second), (second, first)):
            session.execute(
                update(InteractionRow)
                .where(InteractionRow.id == row.id)
                .values(occurred_at=other.occurred_at)
            )
        session.execute(delete(InteractionRow).where(InteractionRow.id == third.id))

    problems = verified(client, company["hr"])["problems"]
    text = "\n".join(problems)
    assert f"interaction {first.id} " in text and f"interaction {second.id} " in text
    assert any(f"interaction {third.id} " in p and "deleted" in p for p in problems)


def test_an_untouched_log_with_its_history_sealed_verifies(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],
) -> None:
    oversight_trail(client, company)
    wait_until_sealed(state)
    result = verified(client, company["hr"])
    assert result["ok"] is True and result["status"] == "intact", result["problems"]
    assert result["streams"]["interactions"]["sealed"] > 100  # the demo history
    assert result["streams"]["oversight"]["sealed"] >= 2


# ---------------------------------------------------------------------------- an empty log


@pytest.mark.usefixtures("cli_env")
def test_a_wiped_log_and_head_file_is_unverifiable_not_intact(
    client: TestClient, state: ServiceState, settings: Settings, admin_headers: dict[str, str]
) -> None:
    for i in range(3):
        state.audit.append(served_record(f"w{i}", day=i + 1))
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0

    with transaction(state.sessions) as session:
        session.execute(delete(AuditRecordRow))
    (settings.var_dir / "audit" / "head.json").unlink()

    wiped = runner.invoke(app, ["audit", "verify"])
    assert wiped.exit_code != 0
    assert "unverifiable" in wiped.output and "intact" not in wiped.output
    result = verified(client, admin_headers)
    assert result["ok"] is False and result["status"] == "unverifiable"


# ---------------------------------------------------------------------------- /readyz


def test_readyz_tells_a_caller_without_a_token_only_whether_it_is_ready(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    anonymous = client.get("/readyz")
    assert anonymous.status_code == 200 and anonymous.json() == {"ready": True}
    lead = token_for(state, Role.LEAD, None)
    assert client.get("/readyz", headers=lead).json() == {"ready": True}
    assert client.get("/readyz", headers={"Authorization": "Bearer nope"}).json() == {"ready": True}
    details = client.get("/readyz", headers=admin_headers).json()["details"]
    assert {"database", "index_sizes", "models", "audit"} <= set(details)
    assert details["audit"]["status"] in ("intact", "unverifiable")


def test_readyz_stops_looking_up_tokens_for_a_client_that_keeps_failing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    """Probes skip the request guard: a client guessing tokens there gets the answer for no
    token after FAILED_TOKENS failures a minute, and no token is looked up for it."""
    for n in range(FAILED_TOKENS):
        bad = client.get("/readyz", headers={"Authorization": f"Bearer guess-{n}"})
        assert bad.json() == {"ready": True}
    assert client.get("/readyz", headers=admin_headers).json() == {"ready": True}
    assert client.get("/readyz").status_code == 200


def test_readyz_is_not_ready_while_rankings_refuse_for_a_damaged_log(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],
) -> None:
    candidates(client, company)
    candidates(client, company)
    assert client.get("/readyz").status_code == 200
    with transaction(state.sessions) as session:
        session.execute(delete(AuditRecordRow).where(AuditRecordRow.seq == 2))
    refused = client.get(
        f"/api/v1/opportunities/{company['gig']}/candidates", headers=company["lead"]
    )
    assert refused.status_code == 503

    state.audit.forget_health()  # the log's verdict is reused for two seconds,
    time.sleep(ANONYMOUS_SECONDS)  # and the answer without a token for one
    anonymous = client.get("/readyz")
    assert anonymous.status_code == 503 and anonymous.json() == {"ready": False}
    details = client.get("/readyz", headers=company["hr"]).json()["details"]
    assert details["audit"]["status"] == "damaged"
    assert any("deleted" in p for p in details["audit"]["problems"])


def test_readyz_is_not_ready_once_a_verify_found_a_rewritten_interaction(
    client: TestClient,
    state: ServiceState,
    company: dict[str, Any],
) -> None:
    """Rankings still serve (the chain's tail is fine), but the verdict of the last full
    verification stands until one passes again."""
    client.get("/api/v1/audits/checkpoint", headers=company["hr"])
    assert client.get("/readyz").status_code == 200
    with transaction(state.sessions) as session:
        session.execute(
            update(InteractionRow).where(InteractionRow.type == "reject").values(type="shortlist")
        )
    assert verified(client, company["hr"])["ok"] is False

    time.sleep(ANONYMOUS_SECONDS)  # the answer without a token is reused for a second
    assert client.get("/readyz").status_code == 503


def test_readyz_does_not_walk_the_chain_on_every_probe(
    client: TestClient, state: ServiceState, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(200):
        state.audit.append(served_record(f"p{i}", day=1 + i % 28))
    walks: list[int] = []
    real = stored.records_in_order

    def counted(*args: Any, **kwargs: Any) -> Any:
        walks.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(stored, "records_in_order", counted)
    for _ in range(100):
        assert client.get("/readyz").status_code == 200
    assert walks == []
