"""An employee's flows in the browser: matches with reasons, applying, applications, a career
path, empty lists explained."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.web.browsing import (
    EMPLOYEE,
    HR,
    Site,
    check_every_section,
    page_errors,
    scan_here,
    signed_in,
)


def test_an_employee_applies_from_their_matches_and_sees_it_in_their_applications(
    browser: Browser, site: Site
) -> None:
    page = signed_in(browser, site, EMPLOYEE)
    first = page.locator("article.card").first
    first.wait_for()
    title = first.locator("h3").inner_text()
    assert first.locator(".strength").inner_text().split(":")[0] in (
        "Strong match",
        "Good match",
        "Partial match",
        "A stretch",
    )
    assert first.locator("ul.reasons li").count() >= 1
    first.get_by_role("button", name="What would move it up?").click()
    first.get_by_text("What if:").or_(first.get_by_text("No one skill")).wait_for()
    first.get_by_role("button", name="Apply").click()
    first.get_by_label("A note to the lead (optional)").fill("I did this last quarter")
    first.get_by_role("button", name="Send application").click()
    page.get_by_role("status").get_by_text(f"Applied to {title}").wait_for()
    # Tabs move with the arrow keys.
    page.locator('#tabs [data-name="matches"]').focus()
    page.keyboard.press("ArrowRight")
    assert page.locator('#tabs [data-name="applications"]').get_attribute("aria-selected") == "true"
    page.get_by_role("heading", name=title).wait_for()
    # A career target, found by searching occupations, gives a path.
    page.locator('#tabs [data-name="career"]').click()
    page.get_by_label("Where do you want to be? Search an occupation").fill("data scientist")
    page.get_by_label("Where do you want to be? Search an occupation").press("Enter")
    page.get_by_role("button", name="data scientist", exact=True).click()
    page.get_by_role("heading", name="Towards: data scientist").wait_for()
    assert page.get_by_role("progressbar").count() == 1
    check_every_section(page, "employee")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Your access token").wait_for()
    assert page.request.get(site.url + "/api/v1/me").status == 401


def test_an_employee_with_no_gig_left_reads_why_and_is_taken_to_the_field_to_change(
    browser: Browser, site: Site
) -> None:
    before = site.api("GET", "/api/v1/employees/E00001")["availability_hours_per_week"]
    site.api("PATCH", "/api/v1/employees/E00001", json={"availability_hours_per_week": 0})
    try:
        page = signed_in(browser, site, EMPLOYEE)
        why = page.locator("section.why")
        why.get_by_role("heading", name="Why no gig shows").wait_for()
        text = why.inner_text()
        assert "can be shown to you right now" in text
        assert "more hours a week than you have free (0 h/week" in text
        assert "Raise your free hours a week in your profile" in text
        assert "eligible of" not in page.locator("#view").inner_text()
        scan_here(page, "employee-empty-gigs")
        why.get_by_role("button", name="Edit your profile").first.click()
        hours = page.get_by_label("Free hours a week")
        hours.wait_for()
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.id === 'hours'"
        )
        # The change made where it was offered: the gigs come back.
        hours.fill("10")
        page.get_by_role("button", name="Save", exact=True).click()
        page.get_by_role("status").get_by_text("Profile saved").wait_for()
        page.locator('#tabs [data-name="matches"]').click()
        page.locator("article.card").first.wait_for()
        # Roles: good next moves (occupations next to theirs, with the gap) to aim for.
        page.get_by_role("tab", name="Roles").click()
        moves = page.locator("section[aria-labelledby=moves-h]")
        moves.get_by_role("heading", name="Good next moves").wait_for()
        assert moves.get_by_role("button", name="Aim for").count() >= 1
        assert "skills and tools it asks for" in moves.inner_text()
        scan_here(page, "employee-roles-next-moves")
        assert page_errors(page) == [], page_errors(page)
    finally:
        site.api("PATCH", "/api/v1/employees/E00001", json={"availability_hours_per_week": before})


ME = "E00001"  # the demo employee token's person


def _matches(site: Site, kind: str, **params: object) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"kind": kind, "limit": 100, **params}.items())
    return site.api("GET", f"/api/v1/employees/{ME}/matches?{query}", token=EMPLOYEE)


def _open_kind(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_function(
        "() => !document.querySelector('#view').textContent.includes('Loading…')"
    )


def test_an_employee_searches_filters_and_pages_through_their_matches(
    browser: Browser, site: Site
) -> None:
    before = site.api("GET", f"/api/v1/employees/{ME}")
    # Free enough hours, and gigs enough for a second page (the demo has 40 postings in all).
    site.api("PATCH", f"/api/v1/employees/{ME}", json={"availability_hours_per_week": 40})
    extra = [f"O-EMP-PAGE-{n}" for n in range(1, 9)]
    site.api(
        "POST", "/api/v1/employees/bulk", json=[{**_person("P-EMP-LEAD", "Lapse Lead"), "level": 5}]
    )
    site.api(
        "POST",
        "/api/v1/opportunities/bulk",
        json=[
            _gig(external_id, before, title=f"Reporting sprint {n}")
            for n, external_id in enumerate(extra, 1)
        ],
    )
    try:
        everything = _matches(site, "gig")
        total = everything["matched"]
        assert total > 10, f"the demo company leaves only {total} gigs for {ME}"
        page = signed_in(browser, site, EMPLOYEE)
        cards = page.locator("#view article.card")
        cards.first.wait_for()
        summary = page.locator("#sum-gig")
        assert summary.inner_text() == f"Showing 10 of {total} gigs that fit you."
        assert cards.count() == 10
        page.get_by_role("button", name="Show more").click()
        page.wait_for_function("() => document.querySelectorAll('#view article.card').length > 10")
        shown = min(total, 20)
        assert summary.inner_text() == f"Showing {shown} of {total} gigs that fit you."
        # Focus moves to the first new card (keyboard and screen-reader users carry on there).
        assert page.evaluate(
            "() => document.activeElement.closest('article') === "
            "document.querySelectorAll('#view article.card')[10]"
        )
        titles = [t["opportunity"]["title"] for t in everything["items"]]
        assert cards.nth(10).locator("h3").inner_text() == titles[10]  # the ranker's order
        # Not for me, then Undo, on the second page: the same card comes back in its place
        # and the list keeps what Show more added.
        eleventh = cards.nth(10)
        eleventh.get_by_role("button", name="Not for me").click()
        page.get_by_role("button", name="Undo").click()
        page.get_by_role("status").get_by_text(f"{titles[10]} is back in your matches").wait_for()
        assert cards.count() == shown and cards.nth(10).locator("h3").inner_text() == titles[10]
        assert summary.inner_text() == f"Showing {shown} of {total} gigs that fit you."
        assert page.evaluate(
            "() => document.activeElement.closest('article') === "
            "document.querySelectorAll('#view article.card')[10]"
        )

        # A filter by department: the server's count, in the ranker's order.
        department = everything["items"][0]["opportunity"]["department"]
        kept = [
            i["opportunity"]["title"]
            for i in everything["items"]
            if i["opportunity"]["department"] == department
        ]
        page.get_by_label("Department").select_option(department)
        page.get_by_label("Hours a week, at most").fill("40")
        page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_text(
            f"{len(kept)} gig{'' if len(kept) == 1 else 's'} match your filters"
        ).wait_for()
        assert [cards.nth(i).locator("h3").inner_text() for i in range(cards.count())] == kept[:10]
        scan_here(page, "employee-matches-filtered")
        # Words that match nothing say so, and Clear brings the whole list back.
        page.get_by_label("Words").fill("zzzz-nothing")
        page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_text("Nothing matches these filters").wait_for()
        page.get_by_role("button", name="Clear filters").click()
        page.get_by_text(f"Showing 10 of {total} gigs that fit you.").wait_for()
        assert page_errors(page) == [], page_errors(page)
    finally:
        site.api(
            "PATCH",
            f"/api/v1/employees/{ME}",
            json={"availability_hours_per_week": before["availability_hours_per_week"]},
        )
        for external_id in extra:
            site.api("PATCH", f"/api/v1/opportunities/{external_id}", json={"status": "closed"})


def test_an_opportunity_page_opens_from_a_card_and_by_its_address(
    browser: Browser, site: Site
) -> None:
    page = signed_in(browser, site, EMPLOYEE)
    first = page.locator("#view article.card").first
    first.wait_for()
    link = first.locator("h3 a")
    title = link.inner_text()
    link.click()
    heading = page.get_by_role("heading", level=1, name=title)
    heading.wait_for()
    external_id = page.evaluate("() => decodeURIComponent(location.hash.split('=')[1])")
    posting = site.api("GET", f"/api/v1/opportunities/{external_id}")
    lead = site.api("GET", f"/api/v1/employees/{posting['owner_external_id']}")
    text = page.locator("#view").inner_text()
    assert posting["description"].split("\n")[0][:60] in text
    assert f"{lead['name']}, {lead['title']}" in text
    assert f"of {posting['seats']} taken" in text
    assert "You and this work" in text
    page.get_by_role("button", name="Apply").wait_for()
    scan_here(page, "employee-opportunity-page")
    # Back goes to the list; the address alone opens the page again (a fresh tab, a link).
    page.get_by_role("link", name="← Back to My matches").click()
    page.locator("#view article.card").first.wait_for()
    page.goto(f"{site.url}/#opportunity={external_id}")
    page.get_by_role("heading", level=1, name=title).wait_for()
    # Mentorship cards say what a mentee gets, never "0 of 3 required skills" or "+5.0 levels".
    page.get_by_role("link", name="← Back to My matches").click()
    _open_kind(page, "Mentorships")
    mentorships = _matches(site, "mentorship")["items"]
    assert mentorships, "the demo company offers this person no mentorship"
    view = page.locator("#view")
    badges = view.locator("article.card .strength").all_inner_texts()
    assert badges and all(
        b.startswith(("Offers ", "You already hold", "Mentoring")) for b in badges
    )
    assert "required skills" not in view.inner_text() and "levels ahead" not in view.inner_text()
    scan_here(page, "employee-mentorships")
    # HR pauses mentorship ranking: the list says so in words, and the cards give no reasons.
    policy = site.api("GET", "/api/v1/audits/policies", token=HR)["mentorship"]
    fields = ("policy", "attribute", "protected", "p", "alpha", "targets")
    kept = {k: policy[k] for k in fields if k in policy}
    site.api(
        "PUT",
        "/api/v1/audits/policies/mentorship",
        token=HR,
        json={**kept, "paused": True, "reason": "review"},
    )
    try:
        _open_kind(page, "Gigs")
        _open_kind(page, "Mentorships")
        view.get_by_text("HR has paused automated ranking of mentorships").wait_for()
        assert view.locator("article.card ul.reasons").count() == 0
    finally:
        site.api(
            "PUT",
            "/api/v1/audits/policies/mentorship",
            token=HR,
            json={**kept, "paused": policy["paused"], "reason": "review done"},
        )
    page.goto(f"{site.url}/#opportunity=NO-SUCH-THING")
    page.get_by_role("heading", level=1, name="Opportunity not found").wait_for()
    assert page_errors(page) == [], page_errors(page)


def test_saved_stays_saved_after_a_reload_and_a_dismissal_can_be_undone(
    browser: Browser, site: Site
) -> None:
    page = signed_in(browser, site, EMPLOYEE)
    cards = page.locator("#view article.card")
    cards.first.wait_for()
    first, second = cards.nth(0), cards.nth(1)
    saved_title = first.locator("h3").inner_text()
    first.get_by_role("button", name="Save", exact=True).click()
    first.get_by_role("button", name="Saved ✓ (unsave)").wait_for()
    page.reload()
    again = page.locator("#view article.card").filter(has_text=saved_title).first
    again.get_by_role("button", name="Saved ✓ (unsave)").wait_for()  # still Saved
    _open_kind(page, "Saved")
    page.get_by_role("link", name=saved_title).wait_for()
    scan_here(page, "employee-saved")
    page.get_by_role("button", name="Unsave").first.click()
    page.get_by_text("Nothing saved yet").wait_for()
    # Saved, then applied to: the Saved list says where it stands, with no second Apply.
    _open_kind(page, "Gigs")
    card = page.locator("#view article.card").first
    applied_title = card.locator("h3").inner_text()
    card.get_by_role("button", name="Save", exact=True).click()
    card.get_by_role("button", name="Saved ✓ (unsave)").wait_for()
    card.get_by_role("button", name="Apply").click()
    card.get_by_role("button", name="Send application").click()
    page.get_by_role("status").get_by_text(f"Applied to {applied_title}").wait_for()
    _open_kind(page, "Saved")
    kept = page.locator("#view article.card").filter(has_text=applied_title)
    kept.get_by_text("Applied", exact=True).wait_for()
    assert kept.get_by_role("button", name="Apply").count() == 0
    scan_here(page, "employee-saved-applied")
    kept.get_by_role("button", name="Unsave").click()
    page.get_by_text("Nothing saved yet").wait_for()

    _open_kind(page, "Gigs")
    second = page.locator("#view article.card").nth(1)
    gone_title = second.locator("h3").inner_text()
    second.get_by_role("button", name="Not for me").click()
    page.get_by_text(f"Dismissed {gone_title}.").wait_for()
    scan_here(page, "employee-dismissed-undo")
    page.get_by_role("button", name="Undo").click()
    page.get_by_role("heading", name=gone_title).wait_for()  # the card is back
    # Dismissed from the list, then brought back from "Not for me".
    page.get_by_role("heading", name=gone_title).locator("xpath=ancestor::article").get_by_role(
        "button", name="Not for me"
    ).click()
    page.get_by_text(f"Dismissed {gone_title}.").wait_for()
    _open_kind(page, "Not for me")
    page.get_by_role("link", name=gone_title).wait_for()
    scan_here(page, "employee-not-for-me")
    page.get_by_role("button", name="Bring it back").click()
    page.get_by_text("Nothing dismissed").wait_for()
    assert gone_title in [i["opportunity"]["title"] for i in _matches(site, "gig")["items"]]
    assert page_errors(page) == [], page_errors(page)


def test_an_invitation_to_a_gig_that_filled_shows_why_it_lapsed_and_no_accept(
    browser: Browser, site: Site
) -> None:
    people = [
        {**_person("P-EMP-LEAD", "Lapse Lead"), "level": 5},
        _person("P-EMP-TAKER", "Seat Taker"),
    ]
    site.api("POST", "/api/v1/employees/bulk", json=people)
    me = site.api("GET", f"/api/v1/employees/{ME}")
    gig = _gig("O-EMP-LAPSE", me, title="Quarterly churn write-up")
    site.api("POST", "/api/v1/opportunities/bulk", json=[gig])
    flow = "/api/v1/opportunities/O-EMP-LAPSE/pipeline"
    try:
        site.api(
            "POST", flow, json={"action": "invite", "candidate": ME, "note": "You would be great"}
        )
        for action in ("apply", "offer", "accept_offer", "assign"):
            site.api("POST", flow, json={"action": action, "candidate": "P-EMP-TAKER"})
        page = signed_in(browser, site, EMPLOYEE)
        card = page.locator("article.invitation").filter(has_text="Quarterly churn write-up")
        card.get_by_text("This invitation lapsed: every seat was taken on").wait_for()
        assert card.get_by_role("button", name="Accept").count() == 0
        scan_here(page, "employee-lapsed-invitation")
        page.locator('#tabs [data-name="applications"]').click()
        closed = page.locator("article.card").filter(has_text="Quarterly churn write-up")
        closed.get_by_text("Lapsed", exact=True).wait_for()
        assert closed.get_by_role("button").count() == 0
        # Its lead finds it among the closed, still masked (the invitation was never accepted).
        [lapsed] = site.api("GET", flow)["stages"]["lapsed"]
        assert not lapsed["candidate"].get("identity"), lapsed["candidate"]
        assert page_errors(page) == [], page_errors(page)
    finally:
        site.api("PATCH", "/api/v1/opportunities/O-EMP-LAPSE", json={"status": "closed"})


def _person(external_id: str, name: str) -> dict:
    return {
        "external_id": external_id,
        "name": name,
        "email": f"{external_id.lower()}@corp.example",
        "title": "Analyst",
        "department": "Finance",
        "level": 3,
        "location": "Berlin",
        "timezone": "Europe/Berlin",
        "skills": [{"name": "SQL", "level": 3}],
        "availability_hours_per_week": 10,
        "open_to": ["gig"],
    }


def _gig(external_id: str, me: dict, *, title: str) -> dict:
    """A one-hour remote gig in the person's department asking for a skill they hold."""
    return {
        "external_id": external_id,
        "kind": "gig",
        "title": title,
        "description": f"{title}: one page on what drove churn this quarter.",
        "owner_external_id": "P-EMP-LEAD",
        "department": me["department"],
        "location": "Remote",
        "required_skills": [{"skill_id": me["skills"][0]["skill_id"], "level": 1}],
        "hours_per_week": 1,
        "duration_weeks": 2,
        "level_min": 1,
        "level_max": 7,
        "seats": 1,
        "status": "open",
    }


# Each card's strength line and its skill chips, read from the page: the chips' labels with
# how many skills each lists.
_CARD_FACTS = """() => [
  ...document.querySelectorAll('#view article.card:not(.invitation)')
].map((card) => ({
  title: card.querySelector('h3').innerText,
  strength: card.querySelector('.strength')?.innerText || '',
  text: card.innerText,
  chips: Object.fromEntries([...card.querySelectorAll('ul.chips')].map((ul) =>
    [ul.previousElementSibling.innerText, ul.querySelectorAll('li').length])),
}))"""


def test_skill_counts_add_up_and_cards_speak_in_words(browser: Browser, site: Site) -> None:
    import re

    page = signed_in(browser, site, EMPLOYEE)
    page.locator("#view article.card").first.wait_for()
    cards = page.evaluate(_CARD_FACTS)
    assert cards
    for card in cards:
        chips, strength = card["chips"], card["strength"]
        held = chips.get("You have (required):", 0)
        to_learn = chips.get("To learn (required):", 0)
        counted = re.search(r"(\d+) of (\d+) required skill", strength)
        if counted:
            assert (held, held + to_learn) == (int(counted[1]), int(counted[2])), card
        none = re.search(r"none of the (\d+) required skills", strength)
        if none:
            assert (held, to_learn) == (0, int(none[1])), card
        assert set(chips) <= {
            "You have (required):",
            "To learn (required):",
            "Also asked for (preferred), you have:",
            "Also asked for (preferred), to learn:",
        }, card
        # No "3/2", no raw scores in a sentence.
        assert not re.search(r"\d/\d", card["text"]), card["text"]
        assert "(similarity" not in card["text"] and "(relatedness" not in card["text"], card
    for card in page.evaluate(_CARD_FACTS):
        why = card["text"].split("Worth knowing:")[0]
        assert "time zones" not in why, card["text"]  # worth knowing, never a reason or a gap
    scan_here(page, "employee-cards-skill-counts")
    # The opportunity page says the same of the same posting.
    first = cards[0]
    page.get_by_role("link", name=first["title"], exact=True).first.click()
    page.get_by_role("heading", level=1, name=first["title"]).wait_for()
    you = page.locator("#opp-you").locator("xpath=..")
    labels = you.locator("ul.chips").evaluate_all(
        "(uls) => Object.fromEntries(uls.map((ul) => [ul.previousElementSibling.innerText, "
        "ul.querySelectorAll('li').length]))"
    )
    assert labels == first["chips"], (labels, first["chips"])
    scan_here(page, "employee-opportunity-skill-counts")
    # Mentorships: the other side is the mentor; a time-zone difference is worth knowing, not
    # a gap.
    page.get_by_role("link", name="← Back to My matches").click()
    _open_kind(page, "Mentorships")
    for card in page.evaluate(_CARD_FACTS):
        assert "with the lead" not in card["text"], card["text"]
        assert not re.search(r"\d/\d", card["text"]), card["text"]
        gap = card["text"].split("The gap:")[-1] if "The gap:" in card["text"] else ""
        assert "time zones" not in gap.split("Worth knowing:")[0], card["text"]
    assert page_errors(page) == [], page_errors(page)


def test_skill_suggestions_follow_the_last_keystroke_and_open_to_reads_in_words(
    browser: Browser, site: Site
) -> None:
    """An earlier keystroke's answer ("table") is made to arrive last (a slow network): the
    list still shows what the whole word finds."""
    first = site.api("GET", "/api/v1/skills/normalize?q=tableau&limit=6", token=EMPLOYEE)
    wanted = first["items"][0]["label"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(
        """(() => {
          const real = window.fetch;
          window.fetch = async (url, options) => {
            const answer = await real(url, options);
            const q = String(url).includes('/skills/normalize')
              ? new URL(String(url), location.href).searchParams.get('q') : null;
            if (q === 'table') await new Promise((r) => setTimeout(r, 1200));
            return answer;
          };
        })()"""
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site.url + "/#profile")
    page.get_by_label("Your access token").fill(EMPLOYEE)
    page.get_by_label("Your access token").press("Enter")
    page.get_by_role("tab", name="Profile").click()
    field = page.get_by_label("Add a skill")
    field.press_sequentially("tableau", delay=40)
    page.wait_for_timeout(2000)  # every slower answer has come by now
    offered = page.locator("#skill-options option").evaluate_all(
        "(options) => options.map((o) => o.value)"
    )
    assert offered and offered[0] == wanted, offered
    me = site.api("GET", f"/api/v1/employees/{ME}")
    plural = {"gig": "gigs", "mentorship": "mentorships", "role": "roles"}
    names = [plural[k] for k in ("gig", "mentorship", "role") if k in me["open_to"]]
    said = page.locator("#open-to-line").inner_text()
    if len(names) == 3:
        assert said == "Open to: gigs, mentorships and roles", said
    else:
        assert said.startswith("Open to: ") and all(n in said for n in names), said
    assert page.get_by_label("Mentorships").count() == 1
    if len(names) == 3:  # the line follows a save (and is put back after)
        page.get_by_label("Roles").uncheck()
        page.get_by_role("button", name="Save", exact=True).click()
        page.get_by_text("Open to: gigs and mentorships", exact=True).wait_for()
        page.get_by_label("Roles").check()
        page.get_by_role("button", name="Save", exact=True).click()
        page.get_by_text("Open to: gigs, mentorships and roles", exact=True).wait_for()
    scan_here(page, "employee-profile")
    assert errors == [], errors
    context.close()
