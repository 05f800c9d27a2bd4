"""Single sign-on in Chromium against a real OpenID Connect provider process
(`oidc-provider-mock` on 127.0.0.1): the person signs in at the provider and lands in the app as
the matched employee with the role their groups give; an unknown person, a missing group, a
replayed state, an expired ID token and a provider's error are each refused with a page saying
so; signing out ends the provider's session too; a deep link (`#opportunity=<id>`) opened
signed out survives the sign-in, through the provider or the token form. The app is served at
`localhost` and the provider at `127.0.0.1`: two sites, as in real life (the cookies' SameSite
rules are exercised).

A second provider process issues ID tokens that expired before they were issued (the refusal
is checked in the browser too). A wrong audience the mock cannot produce (its tokens are always
for the client that asked): tests/serving/test_sso.py checks it, with the other ID token checks,
against ID tokens signed by a key the test serves as a JWKS.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect
from pydantic import SecretStr
from sqlalchemy import select

from data.demo import generate_company
from data.importing.demo import store_demo_company
from data.storage.engine import transaction
from data.storage.tables import EmployeeRow, OpportunityRow
from data.taxonomy.packaged import load_packaged_taxonomy
from matching.encoder import SentenceEncoder
from serving.app import create_app
from serving.settings import Settings
from serving.state import build_state
from tests.conftest import ADMIN_TOKEN, AUDIT_KEY, TOKEN_SECRET
from tests.web.browsing import free_port

CLIENT_ID = "talent-web"
PROVIDER_NAME = "Test Identity"
USERS_GROUP, LEADS_GROUP, HR_GROUP, AUDITORS_GROUP = "talent-users", "talent-leads", "hr", "aud"
STRANGER = "stranger@elsewhere.example"


@dataclass(frozen=True)
class SsoSite:
    """The app served with single sign-on, and what the tests look for in it."""

    url: str
    lead: tuple[str, str, str | None]  # the signing-in lead's external id, name and e-mail
    opportunity: tuple[str, str]  # an open posting's external id and title


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the OIDC provider process exited at start"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"the OIDC provider did not listen on {port} within {seconds} s")


@pytest.fixture(scope="module")
def sso_site(
    tmp_path_factory: pytest.TempPathFactory, encoder: SentenceEncoder
) -> Iterator[SsoSite]:
    yield from _served(tmp_path_factory, encoder)


@pytest.fixture(scope="module")
def expiring_site(
    tmp_path_factory: pytest.TempPathFactory, encoder: SentenceEncoder
) -> Iterator[SsoSite]:
    """A provider whose ID tokens expired an hour before they were issued."""
    yield from _served(tmp_path_factory, encoder, token_max_age=-3600)


def _served(
    tmp_path_factory: pytest.TempPathFactory, encoder: SentenceEncoder, token_max_age: int = 3600
) -> Iterator[SsoSite]:
    """A small company served on SQLite with single sign-on through a provider process."""
    folder = tmp_path_factory.mktemp("sso-web")
    (folder / "vectors").mkdir()
    url = f"sqlite:///{folder / 'web.db'}"
    provider_port, app_port = free_port(), free_port()
    issuer = f"http://127.0.0.1:{provider_port}"
    base = f"http://localhost:{app_port}"
    settings = Settings(
        database_url=url,
        var_dir=folder,
        admin_token=SecretStr(ADMIN_TOKEN),
        audit_key=SecretStr(AUDIT_KEY),
        token_secret=SecretStr(TOKEN_SECRET),
        model_poll_seconds=0,
        monitor_seconds=0,
        freshness_seconds=0,
        rate_limit_per_minute=0,
        sso_issuer=issuer,
        sso_client_id=CLIENT_ID,
        # The mock takes any secret; it authenticates no public client (no PKCE extension).
        sso_client_secret=SecretStr("test-client-secret"),
        sso_redirect_base_url=base,
        sso_provider_name=PROVIDER_NAME,
        sso_required_groups=(USERS_GROUP,),
        sso_lead_groups=(LEADS_GROUP,),
        sso_hr_groups=(HR_GROUP,),
        sso_auditor_groups=(AUDITORS_GROUP,),
    )
    state = build_state(settings, encoder=encoder, index=False)
    # The sign-in needs no skill search: skip encoding the taxonomy before the first request
    # (minutes without cached vectors; the other browser tests cover it).
    pytest.MonkeyPatch().setattr(state, "warm_up", lambda: None)
    company = generate_company(
        load_packaged_taxonomy(), employees=30, opportunities=5, seed=7, as_of=dt.date.today()
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, company, (), token_secret=state.token_secret)
        people = list(
            session.scalars(
                select(EmployeeRow).where(EmployeeRow.email.is_not(None)).order_by(EmployeeRow.id)
            )
        )
        lead, outsider = people[0], people[1]
        known = {"lead": (lead.external_id, lead.name, lead.email)}
        outsider_email = outsider.email
        posting = session.scalars(
            select(OpportunityRow)
            .where(OpportunityRow.status == "open")
            .order_by(OpportunityRow.external_id)
        ).first()
        assert posting is not None, "the demo company posts nothing open"
        opportunity = (posting.external_id, posting.title)
    claims = [
        {
            "sub": "lead-person",
            "email": known["lead"][2],
            "groups": [USERS_GROUP, LEADS_GROUP, AUDITORS_GROUP],
        },
        {"sub": "stranger", "email": STRANGER, "groups": [USERS_GROUP]},
        {"sub": "outsider", "email": outsider_email, "groups": ["some-other-group"]},
        # On file, but the provider has not verified the address.
        {
            "sub": "unverified",
            "email": known["lead"][2],
            "email_verified": False,
            "groups": [USERS_GROUP],
        },
    ]
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1"]
    command += ["--port", str(provider_port), f"--token-max-age={token_max_age}"]
    for user in claims:
        command += ["--user-claims", json.dumps(user)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, state=state), host="127.0.0.1", port=app_port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    try:
        _wait_for_port(provider_port, process)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.started, "the test server did not start"
        yield SsoSite(url=base, lead=known["lead"], opportunity=opportunity)
    finally:
        server.should_exit = True
        if thread.is_alive():
            thread.join(timeout=10)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        state.close()


def _new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # The provider's pages link a stylesheet on a CDN: nothing is fetched from outside.
    context.route("https://**/*", lambda route: route.abort())
    return context.new_page()


def _sign_in_at_provider(page: Page, site: SsoSite, sub: str, fragment: str = "") -> None:
    page.goto(site.url + "/" + fragment)
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.get_by_role("button", name=sub, exact=True).click()


def _refusal(page: Page) -> tuple[str, str]:
    reason = page.locator("#refusal-reason")
    reason.wait_for()
    return str(reason.get_attribute("data-reason")), page.locator("h1").inner_text()


def test_a_person_in_the_groups_signs_in_as_their_employee_with_their_roles(
    browser: Browser, sso_site: SsoSite
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = _new_page(browser)
    page.goto(sso_site.url + "/")
    link = page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}")
    link.wait_for()
    # The token form stays as the fallback.
    assert page.get_by_label("Your access token").is_visible()
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    _sign_in_at_provider(page, sso_site, "lead-person")
    external_id, name, _ = sso_site.lead
    page.get_by_role("button", name="Sign out").wait_for()
    expect(page.locator("#who")).to_have_text(f"{name} · lead · auditor")
    me = page.evaluate("fetch('/api/v1/me').then((r) => r.json())")
    assert me["role"] == "lead" and me["subject_external_id"] == external_id
    assert me["scopes"] == ["auditor"]
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert (
        cookies["talent_session"]["httpOnly"] and cookies["talent_session"]["sameSite"] == "Strict"
    )
    assert "talent_sso_state" not in cookies  # spent

    # Signing out ends the session here and at the provider, which sends the browser back.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**")
    assert "id_token_hint=" in page.url and "post_logout_redirect_uri=" in page.url
    page.locator("form button[type=submit]").first.click()
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").wait_for()
    assert page.url.startswith(sso_site.url)
    state = page.evaluate("fetch('/api/v1/session').then((r) => r.json())")
    assert state == {"signed_in": False}
    page.context.close()


def test_a_deep_link_opened_signed_out_survives_the_sign_in(
    browser: Browser, sso_site: SsoSite
) -> None:
    from urllib.parse import quote

    external_id, title = sso_site.opportunity
    fragment = f"#opportunity={quote(external_id, safe='')}"
    page = _new_page(browser)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    callbacks: list[str] = []
    page.on(
        "response",
        lambda r: (
            callbacks.append(r.headers.get("location", "")) if "/sso/callback" in r.url else None
        ),
    )
    # As from an e-mail: the posting's address, signed out, then the provider's sign-in.
    _sign_in_at_provider(page, sso_site, "lead-person", fragment)
    page.get_by_role("heading", level=1, name=title).wait_for()
    assert callbacks == ["/" + fragment]
    assert page.url == f"{sso_site.url}/{fragment}"
    page.get_by_role("button", name="Sign out").wait_for()
    assert "talent_sso_return" not in {c["name"] for c in page.context.cookies()}
    # The token form keeps the deep link too (the page never leaves).
    other = _new_page(browser)
    other.goto(f"{sso_site.url}/{fragment}")
    other.get_by_label("Your access token").fill(ADMIN_TOKEN)
    other.get_by_role("button", name="Sign in", exact=True).click()
    other.get_by_role("heading", level=1, name=title).wait_for()
    assert errors == [], errors
    page.context.close()
    other.context.close()


def test_a_replayed_state_is_refused(browser: Browser, sso_site: SsoSite) -> None:
    page = _new_page(browser)
    callbacks: list[str] = []
    page.on(
        "request",
        lambda request: callbacks.append(request.url) if "/sso/callback" in request.url else None,
    )
    _sign_in_at_provider(page, sso_site, "lead-person")
    page.get_by_role("button", name="Sign out").wait_for()
    assert len(callbacks) == 1
    page.goto(callbacks[0])  # the same code and state again
    reason, title = _refusal(page)
    assert reason == "replayed_state" and title == "This sign-in link was already used"
    page.context.close()


@pytest.mark.parametrize(
    ("sub", "reason", "title"),
    [
        ("stranger", "unknown_person", "You are not known to this app"),
        ("outsider", "missing_group", "You are not in a group allowed to use this app"),
        (
            "unverified",
            "unverified_email",
            f"Your e-mail address is not verified at {PROVIDER_NAME}",
        ),
    ],
)
def test_a_person_the_app_cannot_admit_is_refused_with_a_page_saying_why(
    browser: Browser, sso_site: SsoSite, sub: str, reason: str, title: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = _new_page(browser)
    _sign_in_at_provider(page, sso_site, sub)
    assert _refusal(page) == (reason, title)
    serious = [
        v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious
    state = page.evaluate("fetch('/api/v1/session').then((r) => r.json())")
    assert state == {"signed_in": False}
    page.context.close()


def test_a_sign_in_denied_at_the_provider_is_refused_with_a_page(
    browser: Browser, sso_site: SsoSite
) -> None:
    page = _new_page(browser)
    page.goto(sso_site.url + "/")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.get_by_role("button", name="Deny").click()
    assert _refusal(page)[0] == "provider_error"
    page.context.close()


def test_an_expired_id_token_is_refused_with_a_page(
    browser: Browser, expiring_site: SsoSite
) -> None:
    page = _new_page(browser)
    _sign_in_at_provider(page, expiring_site, "lead-person")
    assert _refusal(page) == ("expired_token", "The sign-in has expired")
    state = page.evaluate("fetch('/api/v1/session').then((r) => r.json())")
    assert state == {"signed_in": False}
    page.context.close()
