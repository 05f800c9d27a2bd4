"""The web app in a real browser (Debian's Chromium, driven by Playwright): each persona's main
flow end to end through the pages, an axe-core scan of every page (no serious or critical
violation), and a screenshot of each page at 1280×900 and 390×844 under test-artifacts/.

A small demo company is served by a real server on SQLite (the data layer has its own tests on
both backends). Without a browser the tests fail, saying how to get one, unless
TALENT_TEST_BROWSER=off.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from data.demo import generate_company
from data.importing.demo import store_demo_company
from data.storage.engine import transaction
from data.taxonomy.packaged import load_packaged_taxonomy
from matching.encoder import SentenceEncoder
from serving.app import create_app
from serving.cli import DEMO_TOKENS
from serving.settings import Settings
from serving.state import ServiceState, build_state
from tests.conftest import ADMIN_TOKEN, AUDIT_KEY, LABEL_VECTOR_CACHE, TOKEN_SECRET

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


@pytest.fixture(scope="module")
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
    settings = Settings(
        database_url=f"sqlite:///{folder / 'web.db'}",
        var_dir=folder,
        admin_token=ADMIN_TOKEN,
        audit_key=AUDIT_KEY,
        token_secret=TOKEN_SECRET,
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
    port = _free_port()
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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
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


def _page(browser: object, site: Site, token: str) -> object:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(site.url + "/")
    page.get_by_label("Your access token").fill(token)
    page.get_by_label("Your access token").press("Enter")  # Enter signs in
    page.get_by_role("button", name="Sign out").wait_for()
    return page


def _check_every_section(page: object, persona: str) -> None:
    """Each section of the persona: no serious or critical axe violation, and a screenshot at
    both widths."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    ARTIFACTS.mkdir(exist_ok=True)
    tabs = page.locator("#tabs [role=tab]")  # type: ignore[attr-defined]
    names = [tabs.nth(i).get_attribute("data-name") for i in range(tabs.count())]
    for name in names:
        page.locator(f'#tabs [data-name="{name}"]').click()  # type: ignore[attr-defined]
        page.wait_for_function(  # type: ignore[attr-defined]
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
            page.set_viewport_size({"width": width, "height": height})  # type: ignore[attr-defined]
            page.screenshot(path=str(ARTIFACTS / f"{persona}-{name}-{label}.png"), full_page=True)  # type: ignore[attr-defined]
            overflow = page.evaluate(  # type: ignore[attr-defined]
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{persona}/{name} is {overflow}px too wide at {width}px"
        page.set_viewport_size({"width": 1280, "height": 900})  # type: ignore[attr-defined]
    assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_without_a_token_the_page_asks_for_one_and_a_wrong_one_is_explained(
    browser: object, site: Site
) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(site.url + "/")
    page.get_by_label("Your access token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("That token is not valid").wait_for()
    docs = context.new_page()
    docs.goto(site.url + "/docs")
    docs.get_by_text("talent-marketplace").first.wait_for()  # Swagger UI rendered, offline
    assert docs.locator(".swagger-ui").count() == 1
    context.close()


def test_an_employee_applies_from_their_matches_and_sees_it_in_their_applications(
    browser: object, site: Site
) -> None:
    page = _page(browser, site, EMPLOYEE)
    first = page.locator("article.card").first  # type: ignore[attr-defined]
    first.wait_for()
    title = first.locator("h3").inner_text()
    assert first.locator(".strength").inner_text().split(":")[0] in (
        "Strong match",
        "Good match",
        "Partial match",
    )
    assert first.locator("ul.reasons li").count() >= 1
    first.get_by_role("button", name="What would move it up?").click()
    first.get_by_text("What if:").or_(first.get_by_text("No one skill")).wait_for()
    first.get_by_role("button", name="Apply").click()
    first.get_by_label("A note to the lead (optional)").fill("I did this last quarter")
    first.get_by_role("button", name="Send application").click()
    page.get_by_role("status").get_by_text(f"Applied to {title}").wait_for()  # type: ignore[attr-defined]
    # Tabs move with the arrow keys.
    page.locator('#tabs [data-name="matches"]').focus()  # type: ignore[attr-defined]
    page.keyboard.press("ArrowRight")  # type: ignore[attr-defined]
    assert page.locator('#tabs [data-name="applications"]').get_attribute("aria-selected") == "true"  # type: ignore[attr-defined]
    page.get_by_role("heading", name=title).wait_for()  # type: ignore[attr-defined]
    # A career target, found by searching occupations, gives a path.
    page.locator('#tabs [data-name="career"]').click()  # type: ignore[attr-defined]
    page.get_by_label("Where do you want to be? Search an occupation").fill("data scientist")  # type: ignore[attr-defined]
    page.get_by_label("Where do you want to be? Search an occupation").press("Enter")  # type: ignore[attr-defined]
    page.get_by_role("button", name="data scientist", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Towards: data scientist").wait_for()  # type: ignore[attr-defined]
    assert page.get_by_role("progressbar").count() == 1  # type: ignore[attr-defined]
    _check_every_section(page, "employee")
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    page.get_by_label("Your access token").wait_for()  # type: ignore[attr-defined]
    assert page.request.get(site.url + "/api/v1/me").status == 401  # type: ignore[attr-defined]


def test_a_lead_shortlists_offers_and_assigns_an_applicant(browser: object, site: Site) -> None:
    site.api(
        "POST",
        "/api/v1/opportunities",
        token=LEAD,
        json={
            "external_id": "O-WEB-1",
            "kind": "gig",
            "title": "Web flow data clean-up",
            "owner_external_id": "E00002",
            "required_skills": [{"name": "perform data cleansing", "level": 2}],
            "hours_per_week": 4,
            "duration_weeks": 4,
        },
    )
    site.api(
        "POST", "/api/v1/opportunities/O-WEB-1/pipeline", token=EMPLOYEE, json={"action": "apply"}
    )
    page = _page(browser, site, LEAD)
    page.get_by_label("Opportunity").select_option("O-WEB-1")  # type: ignore[attr-defined]
    applicant = page.locator(".stage article.card").first  # type: ignore[attr-defined]
    applicant.get_by_role("button", name="Shortlist").click()
    page.locator(".stage h3", has_text="shortlisted").wait_for()  # type: ignore[attr-defined]
    page.locator(".stage article.card").first.get_by_role("button", name="Offer").click()  # type: ignore[attr-defined]
    page.locator(".stage h3", has_text="offered").wait_for()  # type: ignore[attr-defined]
    site.api(
        "POST",
        "/api/v1/opportunities/O-WEB-1/pipeline",
        token=EMPLOYEE,
        json={"action": "accept_offer"},
    )
    page.get_by_label("Opportunity").select_option("O-WEB-1")  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    page.get_by_label("Opportunity").select_option("O-WEB-1")  # type: ignore[attr-defined]
    page.locator(".stage article.card").first.get_by_role("button", name="Assign").click()  # type: ignore[attr-defined]
    page.locator(".stage h3", has_text="assigned").wait_for()  # type: ignore[attr-defined]
    assert "1 of 1 seats taken" in page.locator("#pipeline-h").inner_text()  # type: ignore[attr-defined]
    # The applicant's name shows once they applied (it never does on recommendations).
    assigned = page.locator(".stage", has_text="assigned").locator("article.card").first  # type: ignore[attr-defined]
    assert "corp.example" in assigned.inner_text()
    # Posting from a title: the skills it implies are offered to confirm; the new one opens.
    page.locator('#tabs [data-name="post"]').click()  # type: ignore[attr-defined]
    page.get_by_label("Title").fill("Data engineer")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Suggest skills").click()  # type: ignore[attr-defined]
    page.get_by_text("Typical for data engineer").wait_for()  # type: ignore[attr-defined]
    page.get_by_label("Hours a week").fill("3")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Post", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_role("status").get_by_text("Posted").wait_for()  # type: ignore[attr-defined]
    chosen = page.get_by_label("Opportunity")  # type: ignore[attr-defined]
    chosen.wait_for()
    page.get_by_role("heading", name="Data engineer").wait_for()  # type: ignore[attr-defined]
    assert chosen.input_value().startswith("O-")
    _check_every_section(page, "lead")


def test_a_manager_approves_a_large_gig_with_a_reason(browser: object, site: Site) -> None:
    site.api(
        "POST",
        "/api/v1/opportunities/bulk",
        json=[
            {
                "external_id": "O-WEB-2",
                "kind": "gig",
                "title": "Quarter-end data sweep",
                "owner_external_id": "E00003",
                "required_skills": [{"name": "perform data cleansing", "level": 2}],
                "hours_per_week": 12,
                "duration_weeks": 3,
            }
        ],
    )
    site.api(
        "POST", "/api/v1/opportunities/O-WEB-2/pipeline", token=EMPLOYEE, json={"action": "apply"}
    )
    site.api(
        "POST",
        "/api/v1/opportunities/O-WEB-2/pipeline",
        json={"action": "offer", "candidate": "E00001"},
    )
    site.api(
        "POST",
        "/api/v1/opportunities/O-WEB-2/pipeline",
        token=EMPLOYEE,
        json={"action": "accept_offer"},
    )
    page = _page(browser, site, LEAD)  # E00002 manages E00001
    page.locator('#tabs [data-name="approvals"]').click()  # type: ignore[attr-defined]
    card = page.locator("article.card", has_text="Quarter-end data sweep")  # type: ignore[attr-defined]
    card.get_by_role("button", name="Approve").click()
    page.get_by_role("status").get_by_text("Give a reason").wait_for()  # type: ignore[attr-defined]
    card.get_by_label("Reason").fill("Three weeks, after our release")
    card.get_by_role("button", name="Approve").click()
    page.get_by_text("Nothing is waiting for your approval.").wait_for()  # type: ignore[attr-defined]
    pipeline = site.api("GET", "/api/v1/opportunities/O-WEB-2/pipeline")
    [pair] = pipeline["stages"]["accepted"]
    assert pair["approval"]["status"] == "approved"
    assert pair["approval"]["reason"] == "Three weeks, after our release"


def test_hr_replays_a_ranking_and_pauses_a_kind(browser: object, site: Site) -> None:
    page = _page(browser, site, HR)
    page.locator('#tabs [data-name="audit"]').click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Replay ranking").first.click()  # type: ignore[attr-defined]
    page.get_by_text("Reproduced exactly").wait_for()  # type: ignore[attr-defined]
    page.locator('#tabs [data-name="policies"]').click()  # type: ignore[attr-defined]
    role = page.locator("article.card", has_text="roles")  # type: ignore[attr-defined]
    role.get_by_label("Reason").fill("role matching under review")
    role.get_by_role("button", name="Pause role ranking").click()
    role.get_by_text("Paused: lists are in plain similarity order.").wait_for()
    policies = site.api("GET", "/api/v1/audits/policies", token=HR)
    assert policies["role"]["paused"] is True
    report = page.context.new_page()  # type: ignore[attr-defined]
    report.goto(site.url + "/api/v1/audits/report.html")  # the session cookie opens it
    report.get_by_role("heading", name="Fairness report").wait_for()
    _check_every_section(page, "hr")


def _scan_here(page: object, name: str) -> None:
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
        page.set_viewport_size({"width": width, "height": height})  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)  # type: ignore[attr-defined]
        overflow = page.evaluate(  # type: ignore[attr-defined]
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{name} is {overflow}px too wide at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})  # type: ignore[attr-defined]


def test_an_employee_with_no_gig_left_reads_why_and_is_taken_to_the_field_to_change(
    browser: object, site: Site
) -> None:
    before = site.api("GET", "/api/v1/employees/E00001")["availability_hours_per_week"]
    site.api("PATCH", "/api/v1/employees/E00001", json={"availability_hours_per_week": 0})
    try:
        page = _page(browser, site, EMPLOYEE)
        why = page.locator("section.why")  # type: ignore[attr-defined]
        why.get_by_role("heading", name="Why no gig shows").wait_for()
        text = why.inner_text()
        assert "can be shown to you right now" in text
        assert "more hours a week than you have free (0 h/week" in text
        assert "Raise your free hours a week in your profile" in text
        assert "eligible of" not in page.locator("#view").inner_text()  # type: ignore[attr-defined]
        _scan_here(page, "employee-empty-gigs")
        why.get_by_role("button", name="Edit your profile").first.click()
        hours = page.get_by_label("Free hours a week")  # type: ignore[attr-defined]
        hours.wait_for()
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.id === 'hours'"
        )  # type: ignore[attr-defined]
        # The change made where it was offered: the gigs come back.
        hours.fill("10")
        page.get_by_role("button", name="Save", exact=True).click()  # type: ignore[attr-defined]
        page.get_by_role("status").get_by_text("Profile saved").wait_for()  # type: ignore[attr-defined]
        page.locator('#tabs [data-name="matches"]').click()  # type: ignore[attr-defined]
        page.locator("article.card").first.wait_for()  # type: ignore[attr-defined]
        # Roles: good next moves (occupations next to theirs, with the gap) to aim for.
        page.get_by_role("tab", name="Roles").click()  # type: ignore[attr-defined]
        moves = page.locator("section[aria-labelledby=moves-h]")  # type: ignore[attr-defined]
        moves.get_by_role("heading", name="Good next moves").wait_for()
        assert moves.get_by_role("button", name="Aim for").count() >= 1
        assert "skills and tools it asks for" in moves.inner_text()
        _scan_here(page, "employee-roles-next-moves")
        assert page.errors == [], page.errors  # type: ignore[attr-defined]
    finally:
        site.api("PATCH", "/api/v1/employees/E00001", json={"availability_hours_per_week": before})


def test_a_lead_whose_posting_reaches_nobody_reads_why_and_edits_it_there(
    browser: object, site: Site
) -> None:
    site.api(
        "POST",
        "/api/v1/opportunities",
        token=LEAD,
        json={
            "external_id": "O-WEB-EMPTY",
            "kind": "gig",
            "title": "Weekend data clean-up",
            "owner_external_id": "E00002",
            "required_skills": [{"name": "perform data cleansing", "level": 2}],
            "hours_per_week": 60,
            "duration_weeks": 2,
        },
    )
    page = _page(browser, site, LEAD)
    page.get_by_label("Opportunity").select_option("O-WEB-EMPTY")  # type: ignore[attr-defined]
    why = page.locator("section.why")  # type: ignore[attr-defined]
    why.get_by_role("heading", name="Why nobody is recommended").wait_for()
    text = why.inner_text()
    assert "Nobody can be proposed for this gig yet" in text
    assert "fewer than the 60 free hours a week it asks for" in text
    assert "Ask for fewer hours a week" in text
    board = page.locator("section[aria-labelledby=pipeline-h]").inner_text()  # type: ignore[attr-defined]
    assert "Nobody yet." in board and "recommended below" not in board
    _scan_here(page, "lead-empty-candidates")
    # The button beside the change the lead picks (the changes are ordered by what each alone
    # brings back, which depends on the company).
    why.locator("li", has_text="Ask for fewer hours a week").get_by_role(
        "button", name="Edit this posting"
    ).click()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'e-hours'"
    )  # type: ignore[attr-defined]
    page.get_by_label("Hours a week").fill("2")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save changes").click()  # type: ignore[attr-defined]
    page.locator("article.card", has_text="Candidate cand-").first.wait_for()  # type: ignore[attr-defined]
    assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_a_lead_posts_by_title_and_adds_tools_by_the_names_people_type(
    browser: object, site: Site
) -> None:
    """A new lead's first posting: the title finds its occupation (not another's alternative
    title), software typed as people type it is offered as the product alone, and a title
    that names no kind of work is posted and said to need skills."""
    page = _page(browser, site, LEAD)
    page.locator('#tabs [data-name="post"]').click()  # type: ignore[attr-defined]
    page.get_by_label("Title").fill("Senior Data Analyst")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Suggest skills").click()  # type: ignore[attr-defined]
    page.get_by_text("Typical for data analyst").wait_for()  # type: ignore[attr-defined]
    add = page.get_by_label("Add a skill of your own")  # type: ignore[attr-defined]
    for typed, product in (
        ("tableau", "Tableau"),
        ("k8s", "Kubernetes"),
        ("Power BI", "Microsoft Power BI"),
        ("Jira", "Atlassian JIRA"),
    ):
        add.fill(typed)
        add.dispatch_event("input")
        page.wait_for_function(  # type: ignore[attr-defined]
            "p => { const o = document.querySelector('#p-add-options option');"
            " return o && o.value === p; }",
            arg=product,
        )
        offered = page.locator("#p-add-options option").evaluate_all(  # type: ignore[attr-defined]
            "els => els.map(e => e.value)"
        )
        # Unlikely products ("TablEdit" for "tableau") are not offered beside it.
        assert offered[0] == product and len(offered) <= 2, (typed, offered)
        page.get_by_role("button", name="Add", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Post", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_text("Posted: it is open and matchable now").wait_for()  # type: ignore[attr-defined]
    asks = page.get_by_text("asks ").first.inner_text()  # type: ignore[attr-defined]
    for product in ("Tableau 3", "Kubernetes 3", "Microsoft Power BI 3", "Atlassian JIRA 3"):
        assert product in asks, asks
    _scan_here(page, "lead-posted-with-tools")
    page.locator('#tabs [data-name="post"]').click()  # type: ignore[attr-defined]
    page.get_by_label("Title").fill("Team Member")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Suggest skills").click()  # type: ignore[attr-defined]
    page.get_by_text("The title names no kind of work on its own").wait_for()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Post", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_text("Posted, but nobody is matched yet").wait_for()  # type: ignore[attr-defined]
    assert page.errors == [], page.errors  # type: ignore[attr-defined]
