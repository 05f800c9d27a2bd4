"""Retention and a person's data over HTTP and the CLI: periods HR sets (never a log under six
months), the purge (checkpointed, verifying afterwards, still catching tampering; a dry run
changes nothing), a person's export (their data and nobody else's) and erasure (the audit log
still verifies, the id is found nowhere), and who may do which. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from data.schemas import Role
from data.storage import audit as stored
from data.storage.engine import transaction
from data.storage.tables import (
    AuditPurgeRow,
    AuditRecordRow,
    EmployeeRow,
    InteractionRow,
    OversightEventRow,
    PipelineRow,
)
from serving.cli import app as cli
from serving.errors import InvalidField
from serving.settings import Settings
from serving.state import ServiceState
from serving.usecases.retention import run_purge, set_periods
from tests.factories import make_employee
from tests.helpers.api import seed, token_for

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=4 * 365)  # every period has run out


def _company(client: TestClient, state: ServiceState, admin: dict[str, str]) -> dict[str, dict]:
    """The seeded company with DATA's demographics, a list each way, then DATA's application
    (applicants leave the candidate lists)."""
    seed(client, admin)
    data = make_employee(
        "DATA", name="Dana Data", demographics={"gender": "female", "age_band": "30-39"}
    )
    data["skills"] = [{"name": "SQL", "level": 4}]
    web = make_employee("WEB", name="Wes Web", demographics={"gender": "male"})
    web["skills"] = [{"name": "SQL", "level": 3}]
    assert client.post("/api/v1/employees/bulk", json=[data, web], headers=admin).status_code == 200
    tokens = {
        "data": token_for(state, Role.EMPLOYEE, "DATA"),
        "web": token_for(state, Role.EMPLOYEE, "WEB"),
        "lead": token_for(state, Role.LEAD, "LEAD"),
        "hr": token_for(state, Role.HR, None),
    }
    matches = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=tokens["data"])
    assert matches.status_code == 200, matches.text
    listed = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=tokens["lead"])
    assert listed.status_code == 200, listed.text
    applied = client.post("/api/v1/opportunities/GIG-DATA/applications", headers=tokens["data"])
    assert applied.status_code == 201, applied.text
    state.audit.seal_pending()
    return tokens


def _verify(state: ServiceState) -> dict:
    with state.sessions() as session:
        return state.audit.verify(session).as_dict()


def _oversight(state: ServiceState, action: str) -> list[OversightEventRow]:
    with state.sessions() as session:
        query = select(OversightEventRow).where(OversightEventRow.action == action)
        return list(session.scalars(query))


# ------------------------------------------------------------------------------------ periods


def test_hr_sees_and_sets_periods_and_a_log_under_six_months_is_refused(
    client: TestClient, state: ServiceState
) -> None:
    hr = token_for(state, Role.HR, None)
    shown = client.get("/api/v1/retention", headers=hr).json()
    assert shown["audit_records_days"]["days"] == state.settings.retention_audit_records_days
    assert shown["audit_records_days"]["minimum_days"] == 183
    assert shown["audit_records_days"]["source"] == "settings"

    refused = client.put(
        "/api/v1/retention", json={"audit_records_days": 182, "reason": "shorter"}, headers=hr
    )
    assert refused.status_code == 422
    assert "audit_records_days" in refused.text and "183" in refused.text
    assert client.get("/api/v1/retention", headers=hr).json()["audit_records_days"]["days"] > 182

    saved = client.put(
        "/api/v1/retention",
        json={"audit_records_days": 200, "outbox_days": 7, "reason": "works council agreement"},
        headers=hr,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["audit_records_days"] == saved.json()["audit_records_days"] | {
        "days": 200,
        "source": "hr",
    }
    assert saved.json()["outbox_days"]["days"] == 7
    (event,) = _oversight(state, "retention")
    assert event.details["after"]["audit_records_days"] == 200


def test_only_hr_and_admins_touch_retention(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    employee = token_for(state, Role.EMPLOYEE, "DATA")
    lead = token_for(state, Role.LEAD, "LEAD")
    for headers in (employee, lead):
        assert client.get("/api/v1/retention", headers=headers).status_code == 403
        assert client.post("/api/v1/retention/purge", headers=headers).status_code == 403
        body = {"outbox_days": 30, "reason": "mine"}
        assert client.put("/api/v1/retention", json=body, headers=headers).status_code == 403


# -------------------------------------------------------------------------------------- purge


def test_a_purge_checkpoints_deletes_and_leaves_a_log_that_verifies_and_catches_tampering(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    tokens = _company(client, state, admin_headers)
    client.get("/api/v1/employees/WEB/matches?kind=gig", headers=tokens["web"])
    applied = client.post("/api/v1/opportunities/GIG-DATA/applications", headers=tokens["web"])
    assert applied.status_code == 201
    state.audit.seal_pending()  # a second seal: the first (DATA's application) can go
    with state.sessions() as session:
        before = session.scalars(select(func.count()).select_from(AuditRecordRow)).one()
        newest = stored.newest(session)[0]
    assert before >= 3

    done = run_purge(
        state.sessions, state.audit, state.settings, actor_role="hr", actor="test", now=LATER
    )

    assert done["counts"]["audit_records"] == before - 1  # the newest stays
    assert done["counts"]["interactions"] > 0
    assert done["checkpoint"]["records"] == newest
    with state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditRecordRow)) == 1
    verified = client.get("/api/v1/audits/verify", headers=tokens["hr"]).json()
    assert verified["ok"], verified["problems"]
    (event,) = _oversight(state, "retention_purge")
    assert event.details["counts"]["audit_records"] == before - 1

    with transaction(state.sessions) as session:
        session.execute(update(AuditRecordRow).values(kind="role"))  # the one left
    verified = client.get("/api/v1/audits/verify", headers=tokens["hr"]).json()
    assert not verified["ok"] and any("disagree" in p for p in verified["problems"])


def test_a_dry_run_counts_and_changes_nothing(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    _company(client, state, admin_headers)
    with state.sessions() as session:
        before = (
            session.scalars(select(func.count()).select_from(AuditRecordRow)).one(),
            session.scalars(select(func.count()).select_from(InteractionRow)).one(),
            session.scalars(select(func.count()).select_from(OversightEventRow)).one(),
        )

    done = run_purge(
        state.sessions,
        state.audit,
        state.settings,
        actor_role="hr",
        actor="test",
        dry_run=True,
        now=LATER,
    )

    assert done["dry_run"] and done["counts"]["audit_records"] == before[0] - 1
    assert done["checkpoint"] is None
    with state.sessions() as session:
        after = (
            session.scalars(select(func.count()).select_from(AuditRecordRow)).one(),
            session.scalars(select(func.count()).select_from(InteractionRow)).one(),
            session.scalars(select(func.count()).select_from(OversightEventRow)).one(),
        )
        assert session.scalar(select(func.count()).select_from(AuditPurgeRow)) == 0
    assert after == before
    # Over HTTP, today: nothing is old enough, and nothing changes either.
    hr = token_for(state, Role.HR, None)
    dry = client.post("/api/v1/retention/purge?dry_run=true", headers=hr)
    assert dry.status_code == 200, dry.text
    assert dry.json()["counts"]["audit_records"] == 0 and dry.json()["dry_run"]
    assert _verify(state)["ok"]


# ------------------------------------------------------------------------------------- export


def test_a_person_exports_their_data_and_nobody_elses(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    tokens = _company(client, state, admin_headers)

    response = client.get("/api/v1/me/export", headers=tokens["data"])

    assert response.status_code == 200, response.text
    document = response.json()
    assert document["profile"]["name"] == "Dana Data"
    assert document["demographics"]["gender"] == "female"  # their own record
    assert [s["level"] for s in document["skills"]] == [4]
    assert any(a["opportunity_external_id"] == "GIG-DATA" for a in document["applications"])
    assert any(i["type"] == "apply" for i in document["interactions"])
    lists = {entry["list"] for entry in document["served_lists"]}
    assert lists == {"my matches", "candidates for an opportunity"}
    candidate = next(e for e in document["served_lists"] if e["list"] != "my matches")
    assert candidate["opportunity_external_id"] == "GIG-DATA" and candidate["my_rank"] >= 1
    text = response.text
    for someone_else in ('"WEB"', "Wes Web", '"LEAD"', "Lena Lead", '"SHY"', '"male"'):
        assert someone_else not in text, someone_else
    assert client.get("/api/v1/employees/DATA/export", headers=tokens["data"]).status_code == 200


def test_employees_cannot_export_others_and_hr_exports_are_logged(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    tokens = _company(client, state, admin_headers)
    for who in ("web", "lead"):
        refused = client.get("/api/v1/employees/DATA/export", headers=tokens[who])
        assert refused.status_code == 403
    assert _oversight(state, "export") == []
    exported = client.get("/api/v1/employees/DATA/export", headers=tokens["hr"])
    assert exported.status_code == 200 and exported.json()["profile"]["external_id"] == "DATA"
    (event,) = _oversight(state, "export")
    assert event.details == {"employee_external_id": "DATA"} and event.actor_role == "hr"


# ------------------------------------------------------------------------------------ erasure


def test_erasure_leaves_the_audit_log_verifying_and_the_id_found_nowhere(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    tokens = _company(client, state, admin_headers)
    client.get("/api/v1/employees/DATA/export", headers=tokens["hr"])  # an event naming DATA
    state.audit.seal_pending()
    assert _verify(state)["ok"]

    erased = client.post(
        "/api/v1/employees/DATA/erasure",
        json={"reason": "the person asked (GDPR Art. 17)"},
        headers=tokens["hr"],
    )

    assert erased.status_code == 200, erased.text
    pseudonym = erased.json()["pseudonym"]
    counts = erased.json()["counts"]
    assert counts["records"] >= 2 and counts["interactions"] >= 1 and counts["oversight"] >= 1
    assert client.get("/api/v1/employees/DATA", headers=admin_headers).status_code == 404
    assert client.get("/api/v1/me", headers=tokens["data"]).status_code == 401  # tokens gone
    # The lead's pages still work with a pseudonymised applicant in the pipeline.
    for page in ("applications", "candidates", "pipeline"):
        shown = client.get(f"/api/v1/opportunities/GIG-DATA/{page}", headers=tokens["lead"])
        assert shown.status_code == 200, (page, shown.text)
        assert '"DATA"' not in shown.text and "Dana Data" not in shown.text
    state.audit.seal_pending()
    assert client.get("/readyz", headers=admin_headers).json()["ready"] is True
    result = _verify(state)
    assert result["ok"], result["problems"]
    assert result["redacted"] >= counts["records"] + counts["interactions"]
    with state.sessions() as session:
        texts = [stored.record_text(row) for row in session.scalars(select(AuditRecordRow))]
        assert texts and not any('"DATA"' in text for text in texts)
        assert any(pseudonym in text for text in texts)
        for column in (
            InteractionRow.employee_external_id,
            InteractionRow.actor,
            OversightEventRow.actor,
            PipelineRow.employee_external_id,
            AuditRecordRow.query_external_id,
            EmployeeRow.external_id,
        ):
            assert session.scalar(select(func.count()).where(column == "DATA")) == 0
        details = session.scalars(select(OversightEventRow.details))
        assert not any('"DATA"' in json.dumps(d) for d in details)
    # A tampered record is still named after the erasure.
    with transaction(state.sessions) as session:
        first = session.scalar(select(func.min(AuditRecordRow.seq)))
        session.execute(
            update(AuditRecordRow).where(AuditRecordRow.seq == first).values(kind="role")
        )
    assert not _verify(state)["ok"]


def test_employees_cannot_erase_anyone_not_even_themselves(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    tokens = _company(client, state, admin_headers)
    body = {"reason": "please forget me"}
    for who in ("data", "web", "lead"):
        response = client.post("/api/v1/employees/DATA/erasure", json=body, headers=tokens[who])
        assert response.status_code == 403
    assert client.get("/api/v1/employees/DATA", headers=admin_headers).status_code == 200
    missing = client.post("/api/v1/employees/NOBODY/erasure", json=body, headers=tokens["hr"])
    assert missing.status_code == 404


def test_the_use_case_refuses_a_short_log_period_whoever_calls_it(state: ServiceState) -> None:
    with state.sessions() as session, pytest.raises(InvalidField) as refused:
        set_periods(
            session,
            state.settings,
            {"interactions_days": 30},
            actor_role="admin",
            actor="test",
            reason="too short",
        )
    assert refused.value.detail[0]["field"] == "interactions_days"


def test_settings_refuse_a_short_audit_period(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="retention_audit_records_days"):
        Settings(**{**settings.model_dump(), "retention_audit_records_days": 90})


def test_the_cli_shows_periods_and_purges_dry(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _company(client, state, admin_headers)
    monkeypatch.setenv("TALENT_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TALENT_VAR_DIR", str(settings.var_dir))
    assert settings.audit_key is not None and settings.token_secret is not None
    monkeypatch.setenv("TALENT_AUDIT_KEY", settings.audit_key.get_secret_value())
    monkeypatch.setenv("TALENT_TOKEN_SECRET", settings.token_secret.get_secret_value())
    with state.sessions() as session:
        before = session.scalars(select(func.count()).select_from(AuditRecordRow)).one()

    shown = CliRunner().invoke(cli, ["retention", "show"])
    assert shown.exit_code == 0, shown.output
    assert "audit_records_days" in shown.output and "183" in shown.output
    dry = CliRunner().invoke(cli, ["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would delete: 0 audit records" in dry.output
    with state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditRecordRow)) == before

    done = CliRunner().invoke(cli, ["retention", "purge"])
    assert done.exit_code == 0, done.output
    assert (
        "deleted: 0 audit records" in done.output and "checkpoint before the purge" in done.output
    )
    assert len(_oversight(state, "retention_purge")) == 1
    assert _verify(state)["ok"]
    verified = CliRunner().invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0 and "audit log intact" in verified.output, verified.output


def test_a_row_stamped_with_a_purged_seal_is_named(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """Rows under a purged seal are deleted with it: one that claims such a seal afterwards
    was inserted (or kept back) and is named."""
    tokens = _company(client, state, admin_headers)
    applied = client.post("/api/v1/opportunities/GIG-DATA/applications", headers=tokens["web"])
    assert applied.status_code == 201
    state.audit.seal_pending()
    done = run_purge(
        state.sessions, state.audit, state.settings, actor_role="hr", actor="test", now=LATER
    )
    assert done["through"]["seals"] >= 1 and _verify(state)["ok"]
    with transaction(state.sessions) as session:
        session.add(
            InteractionRow(
                employee_external_id="WEB",
                opportunity_external_id="GIG-DATA",
                type="accept",
                occurred_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
                sealed_by=1,
            )
        )
    problems = _verify(state)["problems"]
    assert any("missing from the seal chain" in p for p in problems), problems


def test_a_purge_erases_people_who_left_longer_ago_than_their_period(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    tokens = _company(client, state, admin_headers)
    now = dt.datetime.now(dt.UTC)
    left = {"WEB": now - dt.timedelta(days=400), "SHY": now - dt.timedelta(days=30)}
    with transaction(state.sessions) as session:
        for person, when in left.items():
            session.execute(
                update(EmployeeRow)
                .where(EmployeeRow.external_id == person)
                .values(active=False, deactivated_at=when)
            )
    dry = run_purge(
        state.sessions, state.audit, state.settings, actor_role="hr", actor="t", dry_run=True
    )
    assert dry["counts"]["departed_profiles"] == 1
    assert client.get("/api/v1/employees/WEB", headers=admin_headers).status_code == 200

    done = run_purge(state.sessions, state.audit, state.settings, actor_role="hr", actor="t")

    assert done["counts"]["departed_profiles"] == 1
    assert client.get("/api/v1/employees/WEB", headers=admin_headers).status_code == 404
    assert client.get("/api/v1/employees/SHY", headers=admin_headers).status_code == 200
    (erasure,) = _oversight(state, "erasure")
    assert erasure.reason == "retention period after leaving"
    assert client.get("/api/v1/me", headers=tokens["web"]).status_code == 401
    state.audit.seal_pending()
    assert _verify(state)["ok"]
