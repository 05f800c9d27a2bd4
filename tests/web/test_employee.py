"""An employee's flows in the browser: matches with reasons, applying, applications, a career
path, empty lists explained."""

from __future__ import annotations

from tests.web.browsing import EMPLOYEE, Site, check_every_section, scan_here, signed_in


def test_an_employee_applies_from_their_matches_and_sees_it_in_their_applications(
    browser: object, site: Site
) -> None:
    page = signed_in(browser, site, EMPLOYEE)
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
    check_every_section(page, "employee")
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    page.get_by_label("Your access token").wait_for()  # type: ignore[attr-defined]
    assert page.request.get(site.url + "/api/v1/me").status == 401  # type: ignore[attr-defined]


def test_an_employee_with_no_gig_left_reads_why_and_is_taken_to_the_field_to_change(
    browser: object, site: Site
) -> None:
    before = site.api("GET", "/api/v1/employees/E00001")["availability_hours_per_week"]
    site.api("PATCH", "/api/v1/employees/E00001", json={"availability_hours_per_week": 0})
    try:
        page = signed_in(browser, site, EMPLOYEE)
        why = page.locator("section.why")  # type: ignore[attr-defined]
        why.get_by_role("heading", name="Why no gig shows").wait_for()
        text = why.inner_text()
        assert "can be shown to you right now" in text
        assert "more hours a week than you have free (0 h/week" in text
        assert "Raise your free hours a week in your profile" in text
        assert "eligible of" not in page.locator("#view").inner_text()  # type: ignore[attr-defined]
        scan_here(page, "employee-empty-gigs")
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
        scan_here(page, "employee-roles-next-moves")
        assert page.errors == [], page.errors  # type: ignore[attr-defined]
    finally:
        site.api("PATCH", "/api/v1/employees/E00001", json={"availability_hours_per_week": before})
