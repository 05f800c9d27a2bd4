"""Upgrading a database that holds a company: the keyed-token, skill-review and unique-e-mail
migration keeps every row, refuses (changing nothing) when two people share an address, and
leaves old tokens usable."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from data.storage.engine import make_engine
from data.storage.migrate import alembic_config, upgrade_to_head
from tests.conftest import DEFAULT_POSTGRES_URL, _postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base = os.environ.get("TALENT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if base.strip().lower() == "off":
        pytest.skip("PostgreSQL half disabled by TALENT_TEST_POSTGRES_URL=off")
    yield from _postgres_database(base)


def _company_at_0004(url: str, *, shared_email: bool) -> None:
    command.upgrade(alembic_config(url), "0004")
    engine = make_engine(url)
    second = "dana@corp.example" if shared_email else "wes@corp.example"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO skills (skill_id, label, alt_labels, skill_type, description, source)"
                " VALUES ('custom:zebra', 'zebra care', '[]', 'skill', '', 'custom')"
            )
        )
        for n, (external_id, email) in enumerate(
            [("DATA", "Dana@corp.example"), ("WEB", second)], start=1
        ):
            connection.execute(
                text(
                    "INSERT INTO employees (id, external_id, name, email, title, department, "
                    "level, location, timezone, interests, aspirations, bio, "
                    "availability_hours_per_week, open_to) VALUES (:id, :e, :e, :m, 't', 'd', 3, "
                    "'Berlin', 'UTC', '[]', '', '', 4, '[]')"
                ),
                {"id": n, "e": external_id, "m": email},
            )
        connection.execute(
            text(
                "INSERT INTO employee_skills (employee_id, skill_id, level, position) "
                "VALUES (1, 'custom:zebra', 3, 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO api_tokens (token_sha256, role, subject_external_id, label) "
                "VALUES (:d, 'employee', 'DATA', 'old')"
            ),
            {"d": hashlib.sha256(b"old-token").hexdigest()},
        )
    engine.dispose()


def _version(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return version


def test_a_shared_address_stops_the_upgrade_and_changes_nothing(empty_url: str) -> None:
    _company_at_0004(empty_url, shared_email=True)
    with pytest.raises(RuntimeError, match="share the e-mail address"):
        upgrade_to_head(empty_url)
    assert _version(empty_url) == "0004"
    engine = make_engine(empty_url)
    with engine.connect() as connection:
        # The tokens table was not touched: its old column is still there.
        assert connection.execute(text("SELECT token_sha256 FROM api_tokens")).scalar_one()
    engine.dispose()


def test_the_upgrade_keeps_the_company_and_old_tokens(empty_url: str) -> None:
    _company_at_0004(empty_url, shared_email=False)
    upgrade_to_head(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT email_key FROM employees ORDER BY id")).scalars()
        assert list(keys) == ["dana@corp.example", "wes@corp.example"]
        token = connection.execute(
            text("SELECT digest, token_id, scheme, expires_at FROM api_tokens")
        ).one()
        assert token.digest == hashlib.sha256(b"old-token").hexdigest() and token.scheme == "sha256"
        assert token.token_id and token.expires_at is not None
        status = connection.execute(
            text("SELECT status FROM skills WHERE skill_id = 'custom:zebra'")
        ).scalar_one()
        assert status == "unreviewed"
        held = connection.execute(text("SELECT count(*) FROM employee_skills")).scalar_one()
        assert held == 1
    engine.dispose()


def test_migrations_build_the_tables_as_declared(empty_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from data.storage.tables import Base

    upgrade_to_head(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []
