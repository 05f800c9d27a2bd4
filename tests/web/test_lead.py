"""A lead's flows in the browser: the pipeline from application to assignment, posting by title,
a posting nobody can be proposed for."""

from __future__ import annotations

from tests.web.browsing import EMPLOYEE, LEAD, Site, check_every_section, scan_here, signed_in


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
    page = signed_in(browser, site, LEAD)
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
    check_every_section(page, "lead")


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
    page = signed_in(browser, site, LEAD)
    page.get_by_label("Opportunity").select_option("O-WEB-EMPTY")  # type: ignore[attr-defined]
    why = page.locator("section.why")  # type: ignore[attr-defined]
    why.get_by_role("heading", name="Why nobody is recommended").wait_for()
    text = why.inner_text()
    assert "Nobody can be proposed for this gig yet" in text
    assert "fewer than the 60 free hours a week it asks for" in text
    assert "Ask for fewer hours a week" in text
    board = page.locator("section[aria-labelledby=pipeline-h]").inner_text()  # type: ignore[attr-defined]
    assert "Nobody yet." in board and "recommended below" not in board
    scan_here(page, "lead-empty-candidates")
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
    page = signed_in(browser, site, LEAD)
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
    scan_here(page, "lead-posted-with-tools")
    page.locator('#tabs [data-name="post"]').click()  # type: ignore[attr-defined]
    page.get_by_label("Title").fill("Team Member")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Suggest skills").click()  # type: ignore[attr-defined]
    page.get_by_text("The title names no kind of work on its own").wait_for()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Post", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_text("Posted, but nobody is matched yet").wait_for()  # type: ignore[attr-defined]
    assert page.errors == [], page.errors  # type: ignore[attr-defined]
