"""What the browser tests share: the served site, signing in as a persona, and the checks every
page gets (an axe-core scan with no serious or critical violation, nothing wider than the
screen, a screenshot at 1280x900 and 390x844 under test-artifacts/)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from weakref import WeakKeyDictionary

import httpx
from playwright.sync_api import Browser, Page

from serving.state import ServiceState
from tests.conftest import ADMIN_TOKEN

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
CHROMIUM = os.environ.get("TALENT_TEST_BROWSER", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EMPLOYEE, LEAD, HR = "demo-employee-token", "demo-lead-token", "demo-hr-token"
# Start-up encodes the taxonomy's labels when no cached vectors exist (a clean clone run alone).
STARTUP_SECONDS = 900
# The JavaScript errors each signed-in page raised (Playwright's Page takes no attribute of ours).
_PAGE_ERRORS: WeakKeyDictionary[Page, list[str]] = WeakKeyDictionary()


@dataclass
class Site:
    url: str
    state: ServiceState

    def api(self, method: str, path: str, *, token: str = ADMIN_TOKEN, json: object = None) -> dict:
        response = httpx.request(
            method,
            self.url + path,
            json=json,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json() if response.content else {}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def signed_in(browser: Browser, site: Site, token: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _PAGE_ERRORS[page] = errors
    page.goto(site.url + "/")
    page.get_by_label("Your access token").fill(token)
    page.get_by_label("Your access token").press("Enter")  # Enter signs in
    page.get_by_role("button", name="Sign out").wait_for()
    return page


def page_errors(page: Page) -> list[str]:
    """The JavaScript errors a page from `signed_in` has raised so far."""
    return _PAGE_ERRORS[page]


def check_every_section(page: Page, persona: str) -> None:
    """Each section of the persona: no serious or critical axe violation, and a screenshot at
    both widths."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    ARTIFACTS.mkdir(exist_ok=True)
    tabs = page.locator("#tabs [role=tab]")
    names = [tabs.nth(i).get_attribute("data-name") for i in range(tabs.count())]
    for name in names:
        page.locator(f'#tabs [data-name="{name}"]').click()
        page.wait_for_function(
            "() => !document.querySelector('#view').textContent.includes('Loading…')"
        )
        results = axe.run(page)
        bad = [
            (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], f"{persona}/{name}: {bad}"
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(ARTIFACTS / f"{persona}-{name}-{label}.png"), full_page=True)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{persona}/{name} is {overflow}px too wide at {width}px"
        page.set_viewport_size({"width": 1280, "height": 900})
    assert page_errors(page) == [], page_errors(page)


def scan_here(page: Page, name: str) -> None:
    """The view as it is now: no serious or critical axe violation, nothing wider than the
    screen at either width, and a screenshot of each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{name}: {bad}"
    ARTIFACTS.mkdir(exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{name} is {overflow}px too wide at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})
