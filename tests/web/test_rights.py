"""A person's rights in the browser: the notice where ranking happens, "Decisions about me" with
a review asked for one decision, and HR's page deciding it, the person then reading the outcome."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.web.browsing import HR, LEAD, Site, page_errors, scan_here, signed_in
from tests.web.test_lead import open_posting, token_of

PERSON = "E00140"  # nobody else's flows use this person


def _tab(page: Page, name: str) -> None:
    page.locator(f'#tabs [data-name="{name}"]').click()
    page.wait_for_function(
        "() => !document.querySelector('#view').textContent.includes('Loading…')"
    )


def test_a_person_asks_for_a_review_of_a_rejection_and_hr_overturns_it(
    browser: Browser, site: Site
) -> None:
    site.api(
        "POST",
        "/api/v1/opportunities",
        token=LEAD,
        json={
            "external_id": "O-RIGHTS",
            "kind": "gig",
            "title": "Rights walk data tidy-up",
            "required_skills": [{"name": "perform data cleansing", "level": 2}],
            "hours_per_week": 4,
            "duration_weeks": 4,
        },
    )
    person = token_of(site, PERSON)
    site.api(
        "POST", "/api/v1/opportunities/O-RIGHTS/pipeline", token=person, json={"action": "apply"}
    )
    site.api(
        "POST",
        "/api/v1/opportunities/O-RIGHTS/pipeline",
        token=LEAD,
        json={"action": "reject", "candidate": PERSON, "reason_code": "timing"},
    )

    page = signed_in(browser, site, person)
    # The matches page says that an automated ranking is used, and what it never reads.
    _tab(page, "matches")
    notice = page.locator("[data-notice=employee]")
    notice.locator("summary", has_text="ranked automatically").click()
    notice.get_by_text("It never reads:").wait_for()
    assert "gender" in notice.inner_text()

    _tab(page, "decisions")
    posting = page.locator("section.decisions", has_text="Rights walk data tidy-up")
    rejection = posting.locator("li.step", has_text="Not shortlisted")
    assert "by the lead" in rejection.inner_text() and "timing" in rejection.inner_text()
    rejection.locator("summary", has_text="Ask for a review").click()
    rejection.get_by_label("Why should a person look at this again?").fill("I was free that month")
    rejection.get_by_role("button", name="Send the request").click()
    page.locator("#my-reviews", has_text="waiting for HR").wait_for()
    scan_here(page, "employee-decisions")
    assert page_errors(page) == []

    hr = signed_in(browser, site, HR)
    _tab(hr, "reviews")
    row = hr.locator("#review-queue li", has_text=PERSON)
    row.get_by_role("button", name="Open").click()
    detail = hr.locator("#review-detail")
    detail.get_by_text("The pipeline's history").wait_for()
    assert "reject by lead" in detail.inner_text()
    detail.get_by_label("Decision").select_option("overturned")
    detail.get_by_label("Reasons (the person reads them)").fill("Timing was not a reason here")
    detail.get_by_label("Remedy (when overturned)").fill("The lead will reconsider you")
    detail.get_by_role("button", name="Decide").click()
    hr.locator("#review-queue li", has_text=PERSON).wait_for(state="detached")
    scan_here(hr, "hr-reviews")
    assert page_errors(hr) == []

    [told] = site.api("GET", "/api/v1/me/reviews", token=person)["items"]
    assert told["status"] == "overturned" and told["remedy"] == "The lead will reconsider you"
    page.reload()
    _tab(page, "decisions")
    page.locator("#my-reviews", has_text="overturned").wait_for()

    # The lead's recommended candidates say the same, from the lead's side.
    lead = signed_in(browser, site, LEAD)
    open_posting(lead, "Rights walk data tidy-up")
    notice = lead.locator("section[aria-labelledby=rec-h] [data-notice=lead]")
    notice.locator("summary", has_text="ranked automatically").click()
    notice.get_by_text("It never reads:").wait_for()
    assert "human review" in notice.inner_text()
