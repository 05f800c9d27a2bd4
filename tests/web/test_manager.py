"""A manager's flows in the browser: approving a gig that takes a large share of someone's week."""

from __future__ import annotations

from tests.web.browsing import EMPLOYEE, LEAD, Site, signed_in


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
    page = signed_in(browser, site, LEAD)  # E00002 manages E00001
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
