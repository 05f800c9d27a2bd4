"""The browser tests' shared server and browser: one small demo company served by a real server
on SQLite (the data layer has its own tests on both backends) for the whole session, and one
Chromium (Debian's, driven by Playwright). Without a browser the tests fail, saying how to get
one, unless TALENT_TEST_BROWSER=off.

Each persona's flows are in their own module; they share the company, so a test that changes a
stored person puts it back, and a test's own postings and people have ids of their own.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser
from pydantic import SecretStr

from data.demo import generate_company
from data.importing.demo import store_demo_company
from data.storage.engine import transaction
from data.taxonomy.packaged import load_packaged_taxonomy
from matching.encoder import SentenceEncoder
from serving.app import create_app
from serving.cli import DEMO_TOKENS
from serving.settings import Settings
from serving.state import build_state
from tests.conftest import (
    ADMIN_TOKEN,
    AUDIT_KEY,
    LABEL_VECTOR_CACHE,
    TOKEN_SECRET,
    copy_text_store,
)
from tests.web.browsing import ARGS, CHROMIUM, STARTUP_SECONDS, Site, free_port


@pytest.fixture(scope="session")
def site(
    tmp_path_factory: pytest.TempPathFactory, encoder: SentenceEncoder, var_dir: Path
) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("web")
    (folder / "vectors").mkdir()
    # The label and title vectors the rest of the run encoded (or an earlier run cached): the
    # server encodes whatever is missing before it takes a request, minutes on a clean clone.
    for cached in [*LABEL_VECTOR_CACHE.glob("*.npy"), *(var_dir / "vectors").glob("*-model-*.npy")]:
        if not (folder / "vectors" / cached.name).exists():
            shutil.copy(cached, folder / "vectors" / cached.name)
    copy_text_store(var_dir / "vectors", folder / "vectors")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'web.db'}",
        var_dir=folder,
        admin_token=SecretStr(ADMIN_TOKEN),
        audit_key=SecretStr(AUDIT_KEY),
        token_secret=SecretStr(TOKEN_SECRET),
        model_poll_seconds=0,
        monitor_seconds=0,
        freshness_seconds=0,
        rate_limit_per_minute=0,
    )
    state = build_state(settings, encoder=encoder, index=False)
    company = generate_company(
        load_packaged_taxonomy(), employees=150, opportunities=40, seed=7, as_of=dt.date.today()
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, company, DEMO_TOKENS, token_secret=state.token_secret)
    with state.sessions() as session:
        state.matcher.load(session)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, state=state), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started, f"the test server did not start within {STARTUP_SECONDS} s"
    yield Site(f"http://127.0.0.1:{port}", state)
    server.should_exit = True
    thread.join(timeout=10)
    state.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if CHROMIUM.strip().lower() == "off":
        pytest.skip("browser tests disabled by TALENT_TEST_BROWSER=off")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no browser at {CHROMIUM}: install Debian's chromium (apt-get install chromium; "
            ".ci/run does), point TALENT_TEST_BROWSER at one, or set TALENT_TEST_BROWSER=off"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()
