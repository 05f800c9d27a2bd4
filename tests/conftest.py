"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TALENT_TEST_POSTGRES_URL (default: the local server). If it cannot be
reached the PostgreSQL half of the suite FAILS with the reason; set the variable to `off` to
skip that half explicitly (the skip is reported with its reason).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url

from data.storage.engine import transaction
from data.storage.reset import clear_company_data
from data.storage.tables import ModelVersionRow
from matching.encoder import SentenceEncoder
from matching.engine import MatchEngine
from serving.app import create_app
from serving.settings import Settings
from serving.state import ServiceState, build_state
from tests.helpers.tiers import assign_tiers
from training.live import LiveRankers

# The matcher's "today" in tests: the factories' start dates lie after it, whatever the real date.
TODAY = dt.date(2026, 11, 1)
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ADMIN_TOKEN = "test-admin-token-0123456789"
AUDIT_KEY = "test-audit-key-0123456789abcdef"
TOKEN_SECRET = "test-token-secret-0123456789abcdef"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test's tier (unit, db, e2e, perf, bench), by the rules in tests/helpers/tiers.py."""
    assign_tiers(items)


@pytest.fixture(scope="session")
def encoder() -> SentenceEncoder:
    """One model per test session (loaded on first use)."""
    return SentenceEncoder()


def _postgres_database(base_url: str) -> Iterator[str]:
    """A throw-away database on the server, dropped afterwards."""
    name = f"talent_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is unreachable at {base_url} ({type(exc).__name__}: {exc}). Start it "
            "(.ci/run does) or set TALENT_TEST_POSTGRES_URL=off to skip the PostgreSQL half.",
            pytrace=False,
        )
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'talent.db'}"
        return
    base_url = os.environ.get("TALENT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if base_url.strip().lower() == "off":
        pytest.skip("PostgreSQL half disabled by TALENT_TEST_POSTGRES_URL=off")
    yield from _postgres_database(base_url)


# Encoding the taxonomy's skill labels and occupation titles (~60k texts) takes minutes on two
# cores: the suite keeps the result between runs (the file name holds the taxonomy version,
# the model and a digest of the texts, so a stale file is never used).
LABEL_VECTOR_CACHE = Path(__file__).resolve().parents[1] / ".cache" / "test-label-vectors"


def copy_text_store(source: Path, target: Path) -> None:
    """The encoded texts (data/taxonomy/text_vectors.py) of one vectors folder into another,
    without the files of a write in progress."""
    if (source / "texts").is_dir():
        shutil.copytree(
            source / "texts",
            target / "texts",
            ignore=shutil.ignore_patterns("*.tmp", "*.lock"),
            dirs_exist_ok=True,
        )


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Shared across backends so the encoded label vectors are computed once per run."""
    path = tmp_path_factory.mktemp("var")
    vectors = path / "vectors"
    vectors.mkdir()
    for cached in LABEL_VECTOR_CACHE.glob("*.npy"):  # the earlier layout: taken in unencoded
        shutil.copy(cached, vectors / cached.name)
    copy_text_store(LABEL_VECTOR_CACHE, vectors)  # the text store, where a run left one
    yield path
    # The run's store holds everything the cached one did and what the run encoded: keep it.
    if (vectors / "texts").is_dir():
        staging = LABEL_VECTOR_CACHE / "staging"
        shutil.rmtree(staging, ignore_errors=True)
        copy_text_store(vectors, staging)
        shutil.rmtree(LABEL_VECTOR_CACHE / "texts", ignore_errors=True)
        (staging / "texts").rename(LABEL_VECTOR_CACHE / "texts")
        shutil.rmtree(staging)


@pytest.fixture(scope="session")
def settings(database_url: str, var_dir: Path) -> Settings:
    # No background thread: tests refresh models and the monitor themselves.
    # Keys injected, not generated under ~/.config; rate limits off (the fuzzer and the
    # concurrency tests send far more than a person would; the limiter has tests of its own).
    return Settings(
        database_url=database_url,
        var_dir=var_dir,
        admin_token=SecretStr(ADMIN_TOKEN),
        audit_key=SecretStr(AUDIT_KEY),
        token_secret=SecretStr(TOKEN_SECRET),
        model_poll_seconds=0,
        monitor_seconds=0,
        freshness_seconds=0,
        rate_limit_per_minute=0,
    )


@pytest.fixture(scope="session")
def session_state(settings: Settings, encoder: SentenceEncoder) -> Iterator[ServiceState]:
    state = build_state(settings, encoder=encoder)
    # The server's start serves lexically while the taxonomy's vectors are encoded behind it;
    # the suite encodes them first (on a clean clone), so no test's answer depends on when it
    # ran (tests/serving/test_coldstart.py tests the background start on a state of its own).
    state.background_vectors = False
    yield state
    state.close()


@pytest.fixture
def state(session_state: ServiceState) -> ServiceState:
    """The shared state with an empty company, a fresh index and the packaged default rankers
    live (no model versions registered): each test starts clean."""
    # The cleared audit chain starts again at 1: its old head must go with it, and a seal of
    # the last test's writes must not land in between (its head written after the wipe).
    with session_state.audit.quiet():
        with transaction(session_state.sessions) as session:
            clear_company_data(session)
            session.execute(delete(ModelVersionRow))
        if session_state.audit.head_path is not None:
            session_state.audit.head_path.unlink(missing_ok=True)
    session_state.matcher = MatchEngine(
        session_state.matcher.cache,
        today=lambda: TODAY,
        database=session_state.settings.resolved_database_url,
    )
    session_state.rankers = LiveRankers(session_state.rankers.registry)
    session_state.rankers.refresh()
    return session_state


@pytest.fixture
def client(state: ServiceState) -> Iterator[TestClient]:
    with TestClient(create_app(state.settings, state=state)) as test_client:
        yield test_client


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def cli_env(settings: Settings, state: ServiceState, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the CLI (configured by environment, like in production) at the test database."""
    monkeypatch.setenv("TALENT_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TALENT_VAR_DIR", str(settings.var_dir))
    for name, secret in (
        ("AUDIT_KEY", settings.audit_key),
        ("TOKEN_SECRET", settings.token_secret),
    ):
        assert secret is not None
        monkeypatch.setenv(f"TALENT_{name}", secret.get_secret_value())
