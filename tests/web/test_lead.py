"""A lead's flows in the browser: the pipeline as a board moved by keyboard, a searchable paged
list of postings, posting with every field then editing, a filled posting's waitlist, a
posting nobody can be proposed for, and an admin posting on a lead's behalf."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.tokens import issue_token
from tests.conftest import ADMIN_TOKEN
from tests.web.browsing import (
    EMPLOYEE,
    LEAD,
    Site,
    check_every_section,
    page_errors,
    scan_here,
    signed_in,
)

ALIAS = re.compile(r"Candidate [A-Z][a-z]+ [A-Z][a-z]+")
RAW_IDS = re.compile(r"cand-[0-9a-f]{6}|\bO-[A-Z0-9]{6,}\b")


def token_of(site: Site, external_id: str) -> str:
    """An employee token for one of the demo company's people."""
    with transaction(site.state.sessions) as session:
        return issue_token(
            session,
            secret=site.state.token_secret,
            role=Role.EMPLOYEE,
            subject_external_id=external_id,
        ).token


def open_posting(page: Page, title: str) -> None:
    """Find a posting by its title in the lead's list and open it."""
    page.locator('#tabs [data-name="opportunities"]').click()
    page.get_by_label("Search postings").fill(title)
    page.get_by_role("button", name="Search", exact=True).click()
    found = page.locator("#opp-results").get_by_role("button", name=title, exact=True)
    try:
        found.wait_for(timeout=10_000)
    except Exception:
        raise AssertionError(page.locator("#view").inner_text()) from None
    found.click()
    page.locator("#detail-h", has_text=title).wait_for()
    page.wait_for_function(
        "() => !document.querySelector('#opp-detail').textContent.includes('Loading…')"
    )


def column(page: Page, key: str) -> Locator:
    return page.locator(f'.board [data-column="{key}"]')


def press_on(page: Page, button: Locator) -> None:
    """Keyboard only: focus the button, press Enter."""
    button.focus()
    page.keyboard.press("Enter")


def test_a_lead_moves_people_across_the_board_by_keyboard_and_sees_the_waitlist(
    browser: Browser, site: Site
) -> None:
    title = "Board walk data tidy-up"
    site.api(
        "POST",
        "/api/v1/opportunities",
        token=LEAD,  # a lead may leave the owner out: it is theirs
        json={
            "external_id": "O-LEAD-BOARD",
            "kind": "gig",
            "title": title,
            "required_skills": [{"name": "perform data cleansing", "level": 2}],
            "hours_per_week": 4,
            "duration_weeks": 4,
        },
    )
    first = "E00121"
    site.api(
        "POST",
        "/api/v1/opportunities/O-LEAD-BOARD/pipeline",
        token=token_of(site, first),
        json={"action": "apply"},
    )
    page = signed_in(browser, site, LEAD)
    open_posting(page, title)
    # Someone recommended is invited: on the board by an alias, never by a raw handle.
    page.locator("section[aria-labelledby=rec-h] article.card").first.get_by_role(
        "button", name=re.compile("^Invite ")
    ).click()
    page.locator(".pair", has_text="Invited, no answer yet").wait_for()
    invited = page.locator(".pair", has_text="Invited, no answer yet").locator("h4").inner_text()
    assert ALIAS.fullmatch(invited), invited
    assert not RAW_IDS.search(page.locator("#opp-detail").inner_text())
    # The invitee is not counted as applied: the column counts the one applicant, the
    # invitation sits apart, and the board says what its number counts.
    applied = column(page, "applied")
    assert applied.locator("h3").inner_text() == "Applied (1)"
    assert applied.locator(".invited-h").inner_text() == "Invited, not applied yet (1)"
    assert page.locator("#applied-line").inner_text().startswith("1 person applied")
    # Who was invited (an admin's view says), so the waitlist below is of other people.
    board = site.api("GET", "/api/v1/opportunities/O-LEAD-BOARD/pipeline")
    [invitee] = [p["candidate"]["external_id"] for p in board["stages"]["invited"]]
    second, third, fourth = [p for p in ("E00122", "E00123", "E00124", "E00125") if p != invitee][
        :3
    ]
    names = {
        p: site.api("GET", f"/api/v1/employees/{p}")["name"] for p in (first, second, third, fourth)
    }
    site.api(
        "POST",
        "/api/v1/opportunities/O-LEAD-BOARD/pipeline",
        token=token_of(site, fourth),
        json={"action": "apply"},
    )
    open_posting(page, title)

    # The applicant is named, and moves column to column by keyboard; focus follows the card.
    card = column(page, "applied").locator(".pair", has_text=names[first])
    press_on(page, card.get_by_role("button", name="Shortlist"))
    moved = column(page, "shortlisted").locator(".pair", has_text=names[first])
    moved.wait_for()
    page.wait_for_function(
        "() => document.activeElement"
        " && document.activeElement.closest('[data-column=shortlisted]')"
    )
    page.keyboard.press("Tab")  # from the card to its first step
    assert page.evaluate("document.activeElement.textContent") == "Offer"
    page.keyboard.press("Enter")
    column(page, "offered").locator(".pair", has_text=names[first]).wait_for()
    site.api(
        "POST",
        "/api/v1/opportunities/O-LEAD-BOARD/pipeline",
        token=token_of(site, first),
        json={"action": "accept_offer"},
    )
    open_posting(page, title)
    offered = column(page, "offered").locator(".pair", has_text=names[first])
    assert "Accepted the offer" in offered.inner_text()
    press_on(page, offered.get_by_role("button", name="Assign"))
    column(page, "assigned").locator(".pair", has_text=names[first]).wait_for()
    assert "1 of 1 seat taken · filled" in page.locator("#seats-line").inner_text()

    assert page.locator(".waitlist").count() == 0  # a gig keeps none
    # The list beside it says the same.
    row = page.locator("#opp-results li", has_text=title)
    row.filter(has_text="1 of 1 seat taken · 2 applied (any stage)").wait_for()
    assert page.locator("#applied-line").inner_text().startswith("2 people applied")
    # Rejected by keyboard too: the reason asked, the person folded away among the closed.
    other = column(page, "applied").locator(".pair", has_text=names[fourth])
    press_on(page, other.locator("summary"))
    other.get_by_label("Reason").select_option("timing")
    press_on(page, other.get_by_role("button", name="Reject"))
    closed = page.locator("details.closed")
    closed.wait_for()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.matches('details.closed > summary')"
    )
    # The rejected applicant, and the invitation that lapsed when the last seat was taken.
    assert "Closed (2)" in closed.inner_text()
    closed.locator("summary").press("Enter")
    assert f"{names[fourth]}: Rejected (timing)" in closed.inner_text()
    # The lapse says its stored reason (the seat went), as the API's `lapsed` words do.
    assert "This invitation lapsed: every seat was taken on 20" in closed.inner_text()

    # A full mentorship keeps a waitlist: its lead sees who waits, in their order.
    mentoring = "Board walk data mentoring"
    site.api(
        "POST",
        "/api/v1/opportunities",
        token=LEAD,
        json={
            "external_id": "O-LEAD-MENTOR",
            "kind": "mentorship",
            "title": mentoring,
            "required_skills": [{"name": "perform data cleansing", "level": 2}],
            "hours_per_week": 1,
            "seats": 1,
        },
    )
    for action, token in (("apply", first), ("offer", None), ("accept_offer", first)):
        body = {"action": action} if token else {"action": action, "candidate": first}
        site.api(
            "POST",
            "/api/v1/opportunities/O-LEAD-MENTOR/pipeline",
            token=token_of(site, token) if token else ADMIN_TOKEN,
            json=body,
        )
    site.api(
        "POST",
        "/api/v1/opportunities/O-LEAD-MENTOR/pipeline",
        json={"action": "assign", "candidate": first},
    )
    for person in (second, third):
        site.api(
            "POST",
            "/api/v1/opportunities/O-LEAD-MENTOR/pipeline",
            token=token_of(site, person),
            json={"action": "join_waitlist"},
        )
    open_posting(page, mentoring)
    waiting = page.locator(".waitlist ol li").all_inner_texts()
    assert [w.split(" (")[0] for w in waiting] == [names[second], names[third]]
    assert "· filled" in page.locator("#seats-line").inner_text()
    scan_here(page, "lead-board")
    assert page_errors(page) == [], page_errors(page)


def test_a_lead_searches_postings_and_pages_through_them(browser: Browser, site: Site) -> None:
    site.api(
        "POST",
        "/api/v1/opportunities/bulk",
        json=[
            {
                "external_id": f"O-LEAD-HARB-{i:02d}",
                "kind": "gig" if i <= 12 else "mentorship",
                "title": f"Harbour survey {i}",
                "owner_external_id": "E00002",
                "required_skills": [{"name": "perform data cleansing", "level": 2}],
                "hours_per_week": 2,
                "duration_weeks": 2,
            }
            for i in range(1, 15)
        ],
    )
    page = signed_in(browser, site, LEAD)
    page.get_by_label("Search postings").fill("survey HARBOUR")
    page.get_by_label("Kind of posting").select_option("gig")
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("#opp-page", has_text="Page 1 of 2 · 12 postings").wait_for()
    rows = page.locator("#opp-results li")
    assert rows.count() == 10
    assert "Gig · open · 0 of 1 seat taken · 0 applied (any stage)" in rows.first.inner_text()
    page.get_by_role("button", name="Next page").click()
    page.locator("#opp-page", has_text="Page 2 of 2").wait_for()
    # Focus lands on the new page's line, not on the body, and the page is announced.
    page.wait_for_function("() => document.activeElement.id === 'opp-page'")
    assert page.locator("#status").inner_text() == "Page 2 of 2"
    titles = page.locator("#opp-results li button").all_inner_texts()
    assert titles == ["Harbour survey 2", "Harbour survey 1"]  # newest first
    # On a phone the detail is below the list: picking a posting brings its heading into view.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Harbour survey 1", exact=True).click()
    page.get_by_role("heading", name="Harbour survey 1", exact=True).wait_for()
    page.wait_for_function("() => document.activeElement.id === 'detail-h'")
    top = page.evaluate("() => document.querySelector('#detail-h').getBoundingClientRect().top")
    assert 0 <= top < 844 / 2, top
    page.get_by_role("button", name="Back to the list of postings").click()
    page.wait_for_function("() => document.activeElement.dataset.opportunity === 'O-LEAD-HARB-01'")
    page.set_viewport_size({"width": 1280, "height": 900})
    scan_here(page, "lead-opportunity-list")
    page.get_by_role("button", name="Previous page").click()
    page.locator("#opp-page", has_text="Page 1 of 2").wait_for()
    page.wait_for_function("() => document.activeElement.id === 'opp-page'")
    # An admin sees every lead's postings, all of them by pages (no cap at 100).
    admin = signed_in(browser, site, ADMIN_TOKEN)
    admin.locator('#tabs [data-name="opportunities"]').click()
    line = admin.locator("#opp-page")
    line.wait_for()
    counted = re.search(r"· (\d+) postings", line.inner_text())
    assert counted, line.inner_text()
    total = int(counted.group(1))
    assert total >= 54, line.inner_text()
    assert "posted by " in admin.locator("#opp-results li").first.inner_text()
    assert page_errors(page) == [] and page_errors(admin) == [], (
        page_errors(page),
        page_errors(admin),
    )


def test_a_lead_posts_with_every_field_then_edits_it(browser: Browser, site: Site) -> None:
    page = signed_in(browser, site, LEAD)
    page.locator('#tabs [data-name="post"]').click()
    page.get_by_label("Title", exact=True).fill("Data engineer")
    page.get_by_role("button", name="Suggest skills").click()
    page.get_by_text("Typical for data engineer").wait_for()
    # What is ticked is what a posting with this title alone would ask.
    suggested = site.api(
        "GET", "/api/v1/opportunities/suggest-skills?title=Data%20engineer&limit=20", token=LEAD
    )
    implied = [s["label"] for s in suggested["skills"] if s.get("implied")]
    ticked = page.locator(".skill-rows li:has(input:checked)").evaluate_all(
        "els => els.map(e => e.dataset.name)"
    )
    assert ticked == implied
    note = page.locator(".suggested p").first.inner_text()
    required = sum(1 for s in suggested["skills"] if s.get("implied") == "required")
    assert f"the {required} required and {len(implied) - required} preferred" in note, note
    page.get_by_label("Description").fill("Move the nightly loads to the new warehouse.")
    # A new posting is a draft or open; nothing is remote until said so, and the location
    # field is there to type in; departments are offered from the company's own list.
    statuses = page.locator("#p-status option").all_inner_texts()
    assert statuses == ["Draft (only you see it)", "Open"], statuses
    assert not page.get_by_label("Remote: anyone, anywhere").is_checked()
    assert page.get_by_label("Location").is_enabled()
    company = {p["department"] for p in site.api("GET", "/api/v1/employees?limit=200")["items"]}
    page.wait_for_function(
        "() => document.querySelectorAll('#p-department-options option').length > 0"
    )
    offered = page.locator("#p-department-options option").evaluate_all(
        "els => els.map(e => e.value)"
    )
    assert company <= set(offered), (company, offered)
    page.get_by_label("Department").fill("Data Platform")
    page.get_by_label("Location").fill("Berlin")
    page.get_by_label("Seats").fill("2")
    page.get_by_label("Starts").fill("2027-02-01")
    page.get_by_label("Duration in weeks").fill("8")
    page.get_by_label("Hours a week").fill("6")
    page.get_by_label("Lowest level").fill("2")
    page.get_by_label("Highest level").fill("5")
    # Enter in a skill field adds the skill; it does not post the form.
    page.get_by_label("Add a required skill").fill("Power BI")
    page.get_by_label("Add a required skill").press("Enter")
    page.get_by_label("Add a preferred skill").fill("jira")
    page.get_by_label("Add a preferred skill").press("Enter")
    assert page.locator("#p-title").is_visible()  # still on the form
    # A typed name reads as the skill it resolved to, not as typed.
    jira = page.get_by_label("Required or preferred: Atlassian JIRA")
    jira.wait_for()
    assert jira.input_value() == "preferred"
    page.locator('.skill-rows li[data-name="Microsoft Power BI"]').wait_for()
    assert page.locator('.skill-rows li[data-name="jira"]').count() == 0
    scan_here(page, "lead-post-form")
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_role("status").get_by_text("Posted").wait_for()
    page.locator("#detail-h", has_text="Data engineer").wait_for()
    facts = page.locator("#opp-detail .meta").first.inner_text()
    for fact in (
        "Gig",
        "6 h a week for 8 weeks from 2027-02-01",
        "Berlin",
        "Data Platform",
        "levels 2 to 5",
    ):
        assert fact in facts, facts
    asks = page.locator(".asks").inner_text()
    assert (
        "Microsoft Power BI (level 3)" in asks and "prefers" in asks and "Atlassian JIRA" in asks
    ), asks
    assert "0 of 2 seats taken" in page.locator("#seats-line").inner_text()

    page.locator("details.edit summary").click()
    edit = page.locator("details.edit form")
    assert edit.get_by_label("Title", exact=True).input_value() == "Data engineer"
    assert edit.get_by_label("Location").input_value() == "Berlin"
    edit.get_by_label("Hours a week").fill("5")
    edit.get_by_label("Description").fill("Move the nightly loads, then retire the old jobs.")
    skill = edit.get_by_label("Add a required skill")
    skill.fill("tableau")
    skill.dispatch_event("input")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#e-skill-options option')]"
        ".some(o => o.value === 'Tableau')"
    )
    skill.press("Enter")
    edit.locator(".skill-row", has_text="tableau").wait_for()
    edit.get_by_role("button", name="Save changes").click()
    page.get_by_role("status").get_by_text("Saved").wait_for()
    page.locator(".asks", has_text="Tableau (level 3)").wait_for()
    assert "5 h a week" in page.locator("#opp-detail .meta").first.inner_text()
    assert "retire the old jobs" in page.locator("p.description").inner_text()
    scan_here(page, "lead-edited")

    # A title that names no kind of work: posted, and said plainly what it needs (no red, no ids).
    page.locator('#tabs [data-name="post"]').click()
    page.get_by_label("Title", exact=True).fill("Team Member")
    page.get_by_role("button", name="Suggest skills").click()
    page.get_by_text("The title names no kind of work on its own").wait_for()
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_text("Posted, but nobody is matched yet").wait_for()
    box = page.locator("section.notice-box")
    box.wait_for()
    assert "asks for no skills" in box.inner_text()
    assert page.locator("#opp-detail .error").count() == 0
    assert not re.search(r"esco:|\d{4}\.\d", page.locator("#opp-detail").inner_text())
    assert page_errors(page) == [], page_errors(page)


def test_an_admin_posts_for_a_lead_found_by_name(browser: Browser, site: Site) -> None:
    lead_name = site.api("GET", "/api/v1/employees/E00002")["name"]
    page = signed_in(browser, site, ADMIN_TOKEN)
    page.locator('#tabs [data-name="post"]').click()
    page.get_by_role("heading", name="Post an opportunity for a lead").wait_for()
    page.get_by_label("Title", exact=True).fill("Admin-posted harbour audit")
    page.get_by_label("Add a required skill").fill("perform data cleansing")
    page.get_by_label("Add a required skill").press("Enter")
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_role("status").get_by_text("Owner: nobody is chosen yet").wait_for()
    page.get_by_label("Lead who owns it").fill(lead_name.split()[-1])
    owner = page.get_by_label("Owner", exact=True)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#p-owner option')].some(o => o.value === 'E00002')"
    )
    # Found is not chosen: Post is still refused, in words, until the admin picks someone.
    assert owner.input_value() == ""
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_role("status").get_by_text("Owner: nobody is chosen yet").wait_for()
    leads = page.locator('#p-owner optgroup[label="Leads"] option').all_inner_texts()
    why = re.compile(r": leads \d+ postings?")
    assert any(t.startswith(lead_name) and why.search(t) for t in leads), leads
    owner.select_option("E00002")
    scan_here(page, "admin-post-for-lead")
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_role("status").get_by_text("Posted").wait_for()
    page.locator("#detail-h", has_text="Admin-posted harbour audit").wait_for()
    [stored] = site.api("GET", "/api/v1/opportunities?q=admin-posted%20harbour")["items"]
    assert stored["owner_external_id"] == "E00002"
    assert page_errors(page) == [], page_errors(page)


def test_a_lead_shortlists_offers_and_assigns_an_applicant(browser: Browser, site: Site) -> None:
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
    open_posting(page, "Web flow data clean-up")
    # Dragging a card onto a column takes the step into it (a shortcut for its button).
    column(page, "applied").locator(".pair").first.drag_to(column(page, "shortlisted"))
    column(page, "shortlisted").locator(".pair").first.wait_for()
    column(page, "shortlisted").locator(".pair").first.get_by_role("button", name="Offer").click()
    column(page, "offered").locator(".pair").first.wait_for()
    site.api(
        "POST",
        "/api/v1/opportunities/O-WEB-1/pipeline",
        token=EMPLOYEE,
        json={"action": "accept_offer"},
    )
    page.reload()
    open_posting(page, "Web flow data clean-up")
    column(page, "offered").locator(".pair").first.get_by_role("button", name="Assign").click()
    assigned = column(page, "assigned").locator(".pair").first
    assigned.wait_for()
    assert "1 of 1 seat taken" in page.locator("#seats-line").inner_text()
    # The applicant's name shows once they applied (it never does on recommendations).
    assert "corp.example" in assigned.inner_text()
    check_every_section(page, "lead")


def test_a_lead_whose_posting_reaches_nobody_reads_why_and_edits_it_there(
    browser: Browser, site: Site
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
    open_posting(page, "Weekend data clean-up")
    why = page.locator("section.why")
    why.get_by_role("heading", name="Why nobody is recommended").wait_for()
    text = why.inner_text()
    assert "Nobody can be proposed for this gig yet" in text
    assert "fewer than the 60 free hours a week it asks for" in text
    assert "Ask for fewer hours a week" in text
    board = page.locator("section[aria-labelledby=pipeline-h]").inner_text()
    assert "Nobody yet." in board and "recommended below" not in board
    scan_here(page, "lead-empty-candidates")
    # The button beside the change the lead picks (the changes are ordered by what each alone
    # brings back, which depends on the company).
    why.locator("li", has_text="Ask for fewer hours a week").get_by_role(
        "button", name="Edit this posting"
    ).click()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'e-hours'"
    )
    page.get_by_label("Hours a week").fill("2")
    page.get_by_role("button", name="Save changes").click()
    page.locator("section[aria-labelledby=rec-h] article.card").first.wait_for()
    assert ALIAS.search(
        page.locator("section[aria-labelledby=rec-h] article.card").first.inner_text()
    )
    assert page_errors(page) == [], page_errors(page)


def test_a_lead_posts_by_title_and_adds_tools_by_the_names_people_type(
    browser: Browser, site: Site
) -> None:
    """A new lead's first posting: the title finds its occupation (not another's alternative
    title), software typed as people type it is offered as the product alone."""
    page = signed_in(browser, site, LEAD)
    page.locator('#tabs [data-name="post"]').click()
    page.get_by_label("Title", exact=True).fill("Senior Data Analyst")
    page.get_by_role("button", name="Suggest skills").click()
    page.get_by_text("Typical for data analyst").wait_for()
    add = page.get_by_label("Add a required skill")
    for typed, product in (
        ("tableau", "Tableau"),
        ("k8s", "Kubernetes"),
        ("Power BI", "Microsoft Power BI"),
        ("Jira", "Atlassian JIRA"),
    ):
        add.fill(typed)
        add.dispatch_event("input")
        page.wait_for_function(
            "p => { const o = document.querySelector('#p-skill-options option');"
            " return o && o.value === p; }",
            arg=product,
        )
        offered = page.locator("#p-skill-options option").evaluate_all(
            "els => els.map(e => e.value)"
        )
        # Unlikely products ("TablEdit" for "tableau") are not offered beside it.
        assert offered[0] == product and len(offered) <= 2, (typed, offered)
        page.locator("#p-skill").locator("xpath=..").get_by_role(
            "button", name="Add", exact=True
        ).click()
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_text("Posted: it is open and matchable now").wait_for()
    asks = page.locator(".asks").inner_text()
    for product in ("Tableau", "Kubernetes", "Microsoft Power BI", "Atlassian JIRA"):
        assert f"{product} (level 3)" in asks, asks
    scan_here(page, "lead-posted-with-tools")
    assert page_errors(page) == [], page_errors(page)
