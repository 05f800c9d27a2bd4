"""An admin's flows in the browser: importing people from a Workday CSV and a SuccessFactors
XLSX (columns proposed, a dry run that writes nothing, the import's progress, the people
stored), the custom-skill review queue (accept, merge), aliases (add, remove) and tokens
(created, shown once, listed, revoked)."""

from __future__ import annotations

import io
import re

import httpx
from openpyxl import Workbook
from playwright.sync_api import Browser, Locator, Page

from tests.conftest import ADMIN_TOKEN
from tests.web.browsing import Site, page_errors, scan_here, signed_in

WORKDAY = (
    "Employee ID,Worker,Legal Name,Business Title,Supervisory Organization,Location,Manager ID,"
    "Hire Date,Skills,Job Level\n"
    "P-ADM-1,Adele Marsh,Adele Marsh,Data Analyst,Finance,Berlin,,2021-03-01,"
    '"Python; SQL (4)",3\n'
    "P-ADM-2,Bruno Varga,Bruno Varga,Analyst,Finance,Berlin,P-ADM-1,2022-04-15,"
    '"Excel (expert); Power BI (Microsoft)",2\n'
    "P-ADM-3,Chiara Lund,Chiara Lund,Reporting Lead,Finance,Lisbon,P-ADM-1,2019-09-02,"
    "SQL (5),5\n"
)


def _status(site: Site, path: str, token: str = ADMIN_TOKEN) -> int:
    answer = httpx.get(site.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return answer.status_code


def _admin(browser: Browser, site: Site, task: str) -> Page:
    page = signed_in(browser, site, ADMIN_TOKEN)
    page.locator('#tabs [data-name="admin"]').click()
    page.get_by_role("tab", name=task).click()
    return page


def test_an_admin_imports_people_from_a_workday_csv(browser: Browser, site: Site) -> None:
    page = _admin(browser, site, "Import people or postings")
    page.get_by_label("The file holds").select_option("employees")
    page.get_by_label("CSV or Excel file").set_input_files(
        {"name": "workers.csv", "mimeType": "text/csv", "buffer": WORKDAY.encode()}
    )
    page.get_by_role("button", name="Read the columns").click()
    page.get_by_role("heading", name="How the columns of workers.csv are read").wait_for()
    assert page.get_by_label("Employee ID", exact=True).input_value() == "external_id"
    assert page.get_by_label("Worker", exact=True).input_value() == "name"
    assert page.get_by_label("Legal Name", exact=True).input_value() == ""
    assert page.get_by_label("Supervisory Organization").input_value() == "department"
    scan_here(page, "admin-import-mapping")

    page.get_by_role("button", name="Try it (dry run)").click()
    report = page.locator("section", has_text="Dry run: what the import would do")
    report.get_by_text("Nothing was written. The import can go ahead.").wait_for()
    assert "3\nto create" in report.locator(".figures").inner_text()
    report.get_by_text("Skills cells read with a guess").click()
    report.get_by_text("“Power BI (Microsoft)”: '(Microsoft)' is no level").wait_for()
    assert _status(site, "/api/v1/employees/P-ADM-1") == 404  # the dry run wrote nothing
    scan_here(page, "admin-import-dry-run")

    page.get_by_role("button", name="Import 3 rows").click()
    page.get_by_role("heading", name="Imported").wait_for(timeout=120_000)
    assert "3 created, 0 updated" in page.locator("#import-progress-words").inner_text()
    progress = page.locator("#import-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max")
    bruno = site.api("GET", "/api/v1/employees/P-ADM-2")
    assert (bruno["name"], bruno["department"], bruno["manager_external_id"]) == (
        "Bruno Varga",
        "Finance",
        "P-ADM-1",
    )
    assert {s["level"] for s in bruno["skills"]} == {5, 3}  # Excel (expert); Power BI assumed
    scan_here(page, "admin-import-done")

    # The same columns again: the mapping saved with the import is filled in.
    page.get_by_role("button", name="Read the columns").click()
    page.get_by_text("The mapping you saved for these columns").wait_for()
    assert page_errors(page) == []


def test_a_dry_run_lists_errors_by_row_and_the_import_waits_for_a_clean_file(
    browser: Browser, site: Site
) -> None:
    bad = (
        "Employee ID,Worker,Business Title,Supervisory Organization,Location,Hire Date,Skills,"
        "Job Level\n"
        "P-ADM-E1,Ines Roth,Analyst,Finance,Berlin,03/04/2021,SQL (9),3\n"
        "P-ADM-E2,Jon Dale,Analyst,Finance,Berlin,2021-04-03,SQL,12\n"
    )
    page = _admin(browser, site, "Import people or postings")
    page.get_by_label("CSV or Excel file").set_input_files(
        {"name": "bad-workers.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    page.get_by_role("button", name="Read the columns").click()
    page.get_by_role("button", name="Try it (dry run)").click()
    errors = page.locator(".import-errors")
    errors.wait_for()
    text = errors.inner_text()
    assert "Row 2, Hire date: 03/04/2021 could be day 3 of month 4" in text
    assert "Row 2, Skills, skill 1, level" in text and "Row 3, Job level (1-7)" in text
    assert page.get_by_role("button", name="Import 2 rows").is_disabled()
    assert _status(site, "/api/v1/employees/P-ADM-E2") == 404
    scan_here(page, "admin-import-errors")


def test_an_admin_imports_a_successfactors_xlsx_giving_a_level_for_every_row(
    browser: Browser, site: Site
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["userId", "firstName", "lastName", "title", "department", "location", "hireDate"])
    sheet.append(["P-ADM-X1", "Dara", "Okafor", "Engineer", "R&D", "Dublin", "2020-01-06"])
    sheet.append(["P-ADM-X2", "Emil", "Sato", "Engineer", "R&D", "Tokyo", "2021-11-20"])
    content = io.BytesIO()
    book.save(content)
    page = _admin(browser, site, "Import people or postings")
    page.get_by_label("CSV or Excel file").set_input_files(
        {
            "name": "sf-export.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": content.getvalue(),
        }
    )
    page.get_by_role("button", name="Read the columns").click()
    page.get_by_role("heading", name="How the columns of sf-export.xlsx are read").wait_for()
    assert page.get_by_label("firstName").input_value() == "first_name"
    # No column holds the job level: the dry run says so until one value is given.
    page.get_by_role("button", name="Try it (dry run)").click()
    page.get_by_role("status").get_by_text("no column is mapped to Job level").wait_for()
    page.locator("#default-level").fill("2")
    page.get_by_role("button", name="Try it (dry run)").click()
    page.get_by_text("Nothing was written. The import can go ahead.").wait_for()
    scan_here(page, "admin-import-xlsx")
    page.get_by_role("button", name="Import 2 rows").click()
    page.get_by_role("heading", name="Imported").wait_for(timeout=120_000)
    dara = site.api("GET", "/api/v1/employees/P-ADM-X1")
    assert (dara["name"], dara["level"], dara["hire_date"]) == ("Dara Okafor", 2, "2020-01-06")


def test_an_admin_reviews_custom_skills_accepting_one_and_merging_another(
    browser: Browser, site: Site
) -> None:
    people = [
        {
            "external_id": f"P-ADM-R{i}",
            "name": f"Reviewed Person {i}",
            "title": "Analyst",
            "department": "Finance",
            "level": 2,
            "location": "Berlin",
            "skills": [{"name": name, "level": 3}],
        }
        for i, name in enumerate(
            ["Zorblax tuning", "Quibbleflux weaving", "Kubblewrangling", "Snorfle dusting"]
        )
    ]
    site.api("POST", "/api/v1/employees/bulk", json=people)
    page = _admin(browser, site, "Skills to review")
    accepted = page.locator("article.card", has_text="Zorblax tuning")
    accepted.get_by_text("Held by 1 person").wait_for()
    scan_here(page, "admin-review-queue")
    accepted.get_by_label("Reason (for the oversight log)").fill("a tool our analysts use")
    accepted.get_by_role("button", name="Accept as a new skill").click()
    accepted.get_by_text("is now a skill everyone can pick").wait_for()

    merged = page.locator("article.card", has_text="Quibbleflux weaving")
    merged.get_by_label("Search the skills").fill("SQL")
    merged.get_by_role("button", name="Find").click()
    merged.get_by_role("radio", name="SQL", exact=True).check()
    merged.get_by_label("Reason (for the oversight log)").fill("our name for SQL work")
    merged.get_by_role("button", name="Merge into the chosen skill").click()
    merged.get_by_text("merged into SQL").wait_for()
    holder = site.api("GET", "/api/v1/employees/P-ADM-R1")
    assert [s["name"] for s in holder["skills"]] == ["SQL"]

    aliased = page.locator("article.card", has_text="Kubblewrangling")
    aliased.get_by_label("Search the skills").fill("Kubernetes")
    aliased.get_by_role("button", name="Find").click()
    aliased.get_by_role("radio", name="Kubernetes").first.check()
    aliased.get_by_label("Reason (for the oversight log)").fill("our platform team's word for it")
    aliased.get_by_role("button", name="Make it an alias of the chosen skill").click()
    aliased.get_by_text("is now another name for Kubernetes").wait_for()
    assert "Kubblewrangling" in {a["alias"] for a in site.api("GET", "/api/v1/skills/aliases")}
    moved = site.api("GET", "/api/v1/employees/P-ADM-R2")
    assert [s["name"] for s in moved["skills"]] == ["Kubernetes"]

    rejected = page.locator("article.card", has_text="Snorfle dusting")
    rejected.get_by_label("Reason (for the oversight log)").fill("not a skill")
    rejected.get_by_role("button", name="Reject").click()
    rejected.get_by_text("rejected: it stays on its holders' profiles").wait_for()
    queue = site.api("GET", "/api/v1/skills/review?limit=200")
    waiting = {i["label"] for i in queue["items"]}
    assert not {"Zorblax tuning", "Quibbleflux weaving", "Kubblewrangling", "Snorfle dusting"} & (
        waiting
    )
    assert page_errors(page) == []


def test_an_admin_adds_and_removes_an_alias(browser: Browser, site: Site) -> None:
    page = _admin(browser, site, "Skill aliases")
    page.get_by_label("Alias", exact=True).fill("kubes-adm")
    page.get_by_label("Search the skills").fill("Kubernetes")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("radio", name="Kubernetes").first.check()
    page.get_by_label("Reason (for the oversight log)").fill("what the platform team says")
    page.get_by_role("button", name="Add the alias").click()
    row = page.locator("li.alias-row", has_text="kubes-adm")
    row.get_by_text("means Kubernetes").wait_for()
    assert "kubes-adm" in {a["alias"] for a in site.api("GET", "/api/v1/skills/aliases")}
    scan_here(page, "admin-aliases")
    row.get_by_role("button", name="Remove the alias kubes-adm").click()
    row.get_by_label("Reason").fill("a name nobody uses")
    row.get_by_role("button", name="Remove “kubes-adm”").click()
    page.get_by_role("status").get_by_text("removed").wait_for()
    page.locator("li.alias-row", has_text="kubes-adm").wait_for(state="detached")
    assert "kubes-adm" not in {a["alias"] for a in site.api("GET", "/api/v1/skills/aliases")}


def test_with_no_aliases_the_tab_says_what_an_alias_is_for(browser: Browser, site: Site) -> None:
    page = signed_in(browser, site, ADMIN_TOKEN)
    # This company has none yet (other tests here add some: the list is answered empty).
    page.route(
        "**/api/v1/skills/aliases",
        lambda route: (
            route.fulfill(json=[]) if route.request.method == "GET" else route.continue_()
        ),
    )
    page.locator('#tabs [data-name="admin"]').click()
    page.get_by_role("tab", name="Skill aliases").click()
    empty = page.get_by_text("No aliases yet.")
    empty.wait_for()
    assert "your company's own name for a skill" in empty.inner_text()
    assert "“k8s” → Kubernetes" in empty.inner_text()
    scan_here(page, "admin-aliases-empty")


def test_an_admin_creates_a_token_sees_it_once_and_revokes_it(browser: Browser, site: Site) -> None:
    page = _admin(browser, site, "Access tokens")
    page.get_by_label("Role").select_option("employee")
    page.get_by_label("Acts as (employee ID)").fill("E00001")
    page.get_by_label("Label (who has it, what for)").fill("ADM kiosk laptop")
    page.get_by_role("button", name="Create the token").click()
    page.get_by_role("heading", name="Copy the new token now").wait_for()
    secret = page.locator("#token-secret").input_value()
    assert len(secret) > 20 and _status(site, "/api/v1/me", secret) == 200
    page.get_by_role("button", name="Copy", exact=True).click()
    page.get_by_role("status").get_by_text("Copied").wait_for()
    row = page.locator("li.token-row", has_text="ADM kiosk laptop")
    row.get_by_text("Active").wait_for()
    assert "acts as E00001" in row.inner_text()
    scan_here(page, "admin-token-created")
    page.get_by_role("button", name="I have copied it").click()
    assert secret not in page.content()
    page.reload()
    page.get_by_role("tab", name="Access tokens").click()
    row = page.locator("li.token-row", has_text="ADM kiosk laptop")
    # Dates in ISO form, like the rest of the app (never 12/12/2026).
    assert re.search(r"Created \d{4}-\d{2}-\d{2}, expires \d{4}-\d{2}-\d{2}\.", row.inner_text())
    # Revoking asks first, naming the token and its person; "Keep it" changes nothing.
    row.get_by_role("button", name="Revoke ADM kiosk laptop (acts as E00001)").click()
    ask = row.get_by_role("group")
    assert "Revoke “ADM kiosk laptop” (acts as E00001)?" in ask.inner_text()
    page.keyboard.press("Enter")  # focus starts on "Keep it"
    ask.wait_for(state="detached")
    assert _status(site, "/api/v1/me", secret) == 200 and "Active" in row.inner_text()
    # By keyboard alone: focus is back on Revoke; Enter, Shift+Tab to "Yes, revoke it", Enter.
    revoke = row.get_by_role("button", name="Revoke ADM kiosk laptop (acts as E00001)")
    assert revoke.evaluate("b => b === document.activeElement")
    page.keyboard.press("Enter")
    scan_here(page, "admin-token-confirm")
    page.keyboard.press("Shift+Tab")
    assert row.get_by_role("button", name="Yes, revoke it").evaluate(
        "b => b === document.activeElement"
    )
    page.keyboard.press("Enter")
    row.get_by_text("Revoked").wait_for()
    assert _status(site, "/api/v1/me", secret) == 401
    assert secret not in page.content()
    scan_here(page, "admin-tokens")
    assert page_errors(page) == []


AGAIN = (
    "Employee ID,Worker,Business Title,Supervisory Organization,Location,Hire Date,Skills,"
    "Job Level\n"
    'P-ADM-G1,Greta Holm,Team Coach,Finance,Berlin,2020-02-03,"coaching; Plinthwelding",4\n'
    "P-ADM-G2,Hugo Sand,Analyst,Finance,Berlin,2021-06-07,SQL (4),2\n"
)
LIKELIHOODS = ("almost certain", "very likely", "likely", "possible", "unlikely")


def _dry_run_of(page: Page, name: str, text: str) -> Locator:
    page.get_by_label("CSV or Excel file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_role("button", name="Read the columns").click()
    page.get_by_role("heading", name=f"How the columns of {name} are read").wait_for()
    page.get_by_role("button", name="Try it (dry run)").click()
    report = page.get_by_role("region", name="Dry run: what the import would do")
    report.get_by_text("Nothing was written.").wait_for()
    return report


def test_the_same_file_twice_is_unchanged_guesses_are_shown_and_the_queue_names_the_file(
    browser: Browser, site: Site
) -> None:
    page = _admin(browser, site, "Import people or postings")
    report = _dry_run_of(page, "adm-again.csv", AGAIN)
    figures = report.locator(".figures").inner_text()
    assert "2\nto create" in figures and "1\nnew custom skill" in figures
    # A name the normaliser guessed is shown "read as" a skill, how sure in words, or said
    # to stay a custom skill when its closest skill scored below the review threshold.
    text = report.inner_text()
    coaching = [line for line in text.splitlines() if "“coaching”" in line]
    assert coaching, text
    assert ("read as" in coaching[0] and any(w in coaching[0] for w in LIKELIHOODS)) or (
        "kept as a custom skill" in coaching[0]
    ), coaching
    report.get_by_text("New custom skills, for review (1)").click()
    assert "“Plinthwelding”, row 2: kept as a custom skill" in report.inner_text()
    scan_here(page, "admin-import-guesses")

    page.get_by_role("button", name="Import 2 rows").click()
    page.get_by_role("heading", name="Imported").wait_for(timeout=120_000)

    # The same file again: nothing to update, and the custom skill is no longer new.
    report = _dry_run_of(page, "adm-again.csv", AGAIN)
    figures = report.locator(".figures").inner_text()
    assert "0\nto create" in figures and "0\nto update" in figures and "2\nunchanged" in figures
    assert "0\nnew custom skills" in figures and "1\nexisting custom skill" in figures
    scan_here(page, "admin-import-again")

    page.get_by_role("tab", name="Skills to review").click()
    card = page.locator("article.card", has_text="Plinthwelding")
    card.get_by_text("from the import of adm-again.csv on").wait_for()
    assert re.search(
        r"from the import of adm-again\.csv on \d{4}-\d{2}-\d{2} by \S", card.inner_text()
    )
    assert "typed first" not in card.inner_text()
    # Put back: the custom skill leaves the queue (the people imported stay, ids P-ADM-G*).
    skill_id = next(
        i["skill_id"]
        for i in site.api("GET", "/api/v1/skills/review?limit=200")["items"]
        if i["label"] == "Plinthwelding"
    )
    site.api(
        "POST",
        f"/api/v1/skills/{skill_id}/review",
        json={"decision": "reject", "reason": "test skill"},
    )
    assert page_errors(page) == []


COVERED_BY_NOTE = """() => {
  const box = document.querySelector('#status').getBoundingClientRect();
  const hit = (r) => r.width && r.height && r.left < box.right && r.right > box.left
    && r.top < box.bottom && r.bottom > box.top;
  const controls = [...document.querySelectorAll('button, input, select, a, [role=tab]')]
    .filter((el) => hit(el.getBoundingClientRect()))
    .map((el) => el.textContent.trim() || el.id || el.tagName);
  const lines = [];
  const walk = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const text = walk.currentNode.textContent.trim();
    const range = document.createRange();
    range.selectNodeContents(walk.currentNode);
    if (text && [...range.getClientRects()].some(hit)) lines.push(text);
  }
  return [...controls, ...lines];
}"""


def test_the_signed_in_note_covers_no_control_at_either_width(browser: Browser, site: Site) -> None:
    for width, height in ((1280, 900), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(site.url + "/")
        page.get_by_label("Your access token").fill(ADMIN_TOKEN)
        page.get_by_label("Your access token").press("Enter")
        note = page.get_by_role("status")
        note.get_by_text("Signed in as").wait_for()
        # A page that fills the screen (the token list), while the note still shows.
        page.get_by_role("tab", name="Access tokens").click()
        page.locator("li.token-row").first.wait_for()
        note.get_by_text("Signed in as").wait_for()
        assert page.evaluate(COVERED_BY_NOTE) == [], width  # no control, no line of content
        box = note.bounding_box()
        assert box is not None and box["height"] <= 40, width  # small: one line
        page.screenshot(path=f"test-artifacts/admin-signed-in-note-{width}.png")
        context.close()
