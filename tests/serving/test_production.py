"""A state that began as the demo, run in production: no token the demo made opens it, and the
start-up banner prints none."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from data.demo import generate_company
from data.importing.demo import store_demo_company
from data.schemas import Role
from data.storage.engine import transaction
from data.taxonomy.packaged import load_packaged_taxonomy
from serving import cli
from serving.app import create_app
from serving.cli import server as cli_server
from serving.state import ServiceState
from tests.conftest import AUDIT_KEY, TODAY
from tests.helpers.api import token_for


def _demo_state(state: ServiceState) -> dict[str, str]:
    company = generate_company(
        load_packaged_taxonomy(), employees=40, opportunities=8, seed=5, as_of=TODAY
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, company, cli.DEMO_TOKENS, token_secret=state.token_secret)
    return {("auditor" if d.scopes else d.persona): d.token for d in cli.DEMO_TOKENS}


def test_production_refuses_every_token_the_demo_made(state: ServiceState) -> None:
    tokens = _demo_state(state)
    assert set(tokens) == {"employee", "lead", "hr", "auditor"}
    with TestClient(create_app(state.settings, state=state)) as development:
        for token in tokens.values():  # the demo's own instance accepts them
            answer = development.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text

    production = state.settings.model_copy(update={"environment": "production"})
    live = dataclasses.replace(state, settings=production)
    issued = token_for(state, Role.HR, None)  # a token an admin issued stays good
    with TestClient(create_app(production, state=live)) as client:
        for name, token in tokens.items():
            answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401, (name, answer.text)
            assert "demo" in answer.json()["detail"]
            # Nor through the web app's sign-in.
            signed = client.post("/api/v1/session", json={"token": token})
            assert signed.status_code == 401, (name, signed.text)
        auditor = {"Authorization": f"Bearer {tokens['auditor']}"}
        assert client.get("/api/v1/audits/rankings", headers=auditor).status_code == 401
        assert client.get("/api/v1/me", headers=issued).status_code == 200


def test_the_production_banner_prints_no_token(
    state: ServiceState, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = _demo_state(state)
    (tmp_path / "demo").mkdir()
    entries = {
        name: {"token": token, "role": "employee", "external_id": "E1"}
        for name, token in tokens.items()
    }
    (tmp_path / "demo" / "tokens.json").write_text(json.dumps(entries))
    for environment, shown in (("development", True), ("production", False)):
        settings = state.settings.model_copy(
            update={"environment": environment, "var_dir": tmp_path}
        )
        cli_server._print_banner(settings, "127.0.0.1", 8000)
        printed = capsys.readouterr().out
        assert ("demo-employee-token" in printed) is shown, printed
        assert all((token in printed) is shown for token in tokens.values())
    assert "refused in production" in printed


def test_talent_demo_refuses_to_replace_a_production_database(tmp_path: Path) -> None:
    environment = {
        "TALENT_ENVIRONMENT": "production",
        "TALENT_AUDIT_KEY": AUDIT_KEY,
        "TALENT_VAR_DIR": str(tmp_path),
        "TALENT_ADMIN_TOKEN": None,  # `make test` exports the demo's, which production refuses
    }
    result = CliRunner().invoke(cli.app, ["demo", "--employees", "10"], env=environment)
    assert result.exit_code == 2, result.output
    assert "refused" in result.output and not (tmp_path / "talent.db").exists()
