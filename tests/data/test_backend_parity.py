"""The same company stored in SQLite and in PostgreSQL reads back identically."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from data.demo import generate_company
from data.importing.demo import DemoToken, store_demo_company
from data.schemas import Role
from data.storage.engine import make_engine, make_session_factory, transaction
from data.storage.interactions import count_interactions
from data.storage.migrate import upgrade_to_head
from data.storage.skills import upsert_skills
from data.storage.tables import EmployeeRow, OpportunityRow
from data.taxonomy.packaged import load_packaged_taxonomy
from serving.presenters.opportunities import opportunity_document
from serving.presenters.profiles import employee_profile
from tests.conftest import DEFAULT_POSTGRES_URL, _postgres_database


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    base_url = os.environ.get("TALENT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if base_url.strip().lower() == "off":
        pytest.skip("PostgreSQL disabled by TALENT_TEST_POSTGRES_URL=off")
    yield from _postgres_database(base_url)


def snapshot(url: str) -> dict[str, Any]:
    """Store a small demo company at `url` and read everything back in contract form."""
    upgrade_to_head(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    company = generate_company(load_packaged_taxonomy(), employees=80, opportunities=20, seed=3)
    with transaction(sessions) as session:
        upsert_skills(session, load_packaged_taxonomy().skills.values())
        employee = DemoToken("employee", Role.EMPLOYEE, "t-employee")
        store_demo_company(session, company, [employee], token_secret=b"parity-secret-0123456789")
    with sessions() as session:
        people = session.scalars(select(EmployeeRow).order_by(EmployeeRow.external_id))
        jobs = session.scalars(select(OpportunityRow).order_by(OpportunityRow.external_id))
        result = {
            "employees": [employee_profile(row) for row in people],
            "opportunities": [opportunity_document(row) for row in jobs],
            "interactions": count_interactions(session),
        }
    engine.dispose()
    return result


def test_sqlite_and_postgresql_store_and_return_the_same_data(
    postgres_url: str, tmp_path: Path
) -> None:
    on_sqlite = snapshot(f"sqlite:///{tmp_path / 'parity.db'}")
    on_postgres = snapshot(postgres_url)
    assert on_sqlite["interactions"] == on_postgres["interactions"] > 0
    assert on_sqlite["employees"] == on_postgres["employees"]
    assert on_sqlite["opportunities"] == on_postgres["opportunities"]
