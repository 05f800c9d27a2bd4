"""HR's flows in the browser: replaying a served ranking, pausing a kind's ranking, the report."""

from __future__ import annotations

from tests.web.browsing import HR, Site, check_every_section, signed_in


def test_hr_replays_a_ranking_and_pauses_a_kind(browser: object, site: Site) -> None:
    page = signed_in(browser, site, HR)
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
    check_every_section(page, "hr")
