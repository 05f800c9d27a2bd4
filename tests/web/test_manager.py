"""A manager's flows in the browser: approving a gig that takes a large share of someone's week,
reading that person's week in words (free, committed and to what, asked, left), and following
the approval's link to the gig."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.conftest import ADMIN_TOKEN
from tests.web.browsing import EMPLOYEE, LEAD, Site, page_errors, scan_here, signed_in
from tests.web.test_lead import token_of


def test_a_manager_approves_a_large_gig_with_a_reason(browser: Browser, site: Site) -> None:
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
    page = signed_in(browser, site, LEAD)  # E00002 manages E00001
    page.locator('#tabs [data-name="approvals"]').click()
    card = page.locator("article.card", has_text="Quarter-end data sweep")
    card.get_by_role("button", name="Approve").click()
    page.get_by_role("status").get_by_text("Give a reason").wait_for()
    card.get_by_label("Reason").fill("Three weeks, after our release")
    card.get_by_role("button", name="Approve").click()
    card.wait_for(state="detached")
    pipeline = site.api("GET", "/api/v1/opportunities/O-WEB-2/pipeline")
    [pair] = pipeline["stages"]["accepted"]
    assert pair["approval"]["status"] == "approved"
    assert pair["approval"]["reason"] == "Three weeks, after our release"


def test_a_manager_reads_the_week_and_follows_the_link_to_the_gig(
    browser: Browser, site: Site
) -> None:
    # A person of the lead's own (E00002 manages them), 16 free hours a week.
    site.api(
        "POST",
        "/api/v1/employees/bulk",
        json=[
            {
                "external_id": "P-MGR-1",
                "name": "Robin Weekday",
                "title": "Data Analyst",
                "department": "Finance",
                "level": 3,
                "location": "Remote",
                "manager_external_id": "E00002",
                "skills": [{"name": "perform data cleansing", "level": 3}],
                "availability_hours_per_week": 16,
            }
        ],
    )
    site.api(
        "POST",
        "/api/v1/opportunities/bulk",
        json=[
            {
                "external_id": external_id,
                "kind": "gig",
                "title": title,
                "owner_external_id": "E00003",
                "required_skills": [{"name": "perform data cleansing", "level": 2}],
                "hours_per_week": hours,
                "duration_weeks": 3,
            }
            for external_id, title, hours in (
                ("O-MGR-SMALL", "Invoice data tidy-up", 8),
                ("O-MGR-BIG", "Supplier data migration", 10),
            )
        ],
    )
    robin = token_of(site, "P-MGR-1")
    # Two offers accepted, neither assigned yet: both commit their hours.
    for posting in ("O-MGR-SMALL", "O-MGR-BIG"):
        for action, token in (("apply", robin), ("offer", None), ("accept_offer", robin)):
            body = {"action": action} if token else {"action": action, "candidate": "P-MGR-1"}
            site.api(
                "POST",
                f"/api/v1/opportunities/{posting}/pipeline",
                token=token or ADMIN_TOKEN,
                json=body,
            )
    mine = signed_in(browser, site, robin)
    mine.locator('#tabs [data-name="applications"]').click()
    committed = mine.locator("#committed-hours")
    committed.wait_for()
    assert committed.inner_text() == (
        "You have committed 18 h a week (accepted offers and current work): "
        "2 h a week more than the 16 free hours your profile gives."
    ), committed.inner_text()
    mine.close()

    page = signed_in(browser, site, LEAD)
    page.locator('#tabs [data-name="approvals"]').click()
    card = page.locator("article.card", has_text="Supplier data migration")
    text = card.inner_text()
    assert (
        "10 h on top of 8 h already committed is 2 h a week more than they have free (16 h)."
        in text
    ), text
    assert "leaves -2" not in text and "none: 2 h a week over" in text
    assert "Invoice data tidy-up, 8 h" in text
    scan_here(page, "manager-approvals")
    card.get_by_role("button", name="Open the gig: Supplier data migration").click()
    # The posting and Robin's week: not the manager's own fit, no Apply; the way back.
    page.get_by_role("heading", name="Supplier data migration", exact=True).wait_for()
    view = page.locator("#view").inner_text()
    assert "Robin Weekday's week" in view and "perform data cleansing (level 2)" in view
    assert "You and this work" not in view and "Back to My opportunities" not in view
    assert page.get_by_role("button", name="Apply").count() == 0
    scan_here(page, "manager-approval-gig")
    page.get_by_role("button", name="← Back to Approvals").click()
    page.get_by_role("heading", name="Approvals", exact=True).wait_for()
    # The heading shows at once; the list, and the focus on the link left, once it has loaded.
    page.wait_for_function(
        "() => document.activeElement"
        " && document.activeElement.textContent === 'Open the gig: Supplier data migration'"
    )
    assert page_errors(page) == [], page_errors(page)
