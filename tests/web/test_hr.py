"""HR's flows in the browser: the fairness page (groups too few to judge, intervals, the weekly
trend), searching the audit log by words and by a person, names for auditors, replaying a
served ranking, pausing a kind's ranking, the report."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from playwright.sync_api import Browser, Page

from fairness.audit_log import AuditLog
from tests.web.browsing import HR, Site, check_every_section, page_errors, scan_here, signed_in

AUDITOR = "demo-auditor-token"


def _open_postings(site: Site, n: int, kinds: tuple[str, ...] = ("gig",)) -> list[dict[str, Any]]:
    listed = site.api("GET", "/api/v1/opportunities?status=open&limit=100")["items"]
    return [o for o in listed if o["kind"] in kinds][:n]


def _serve_candidate_lists(site: Site, n: int = 8, kinds: tuple[str, ...] = ("gig",)) -> list[str]:
    """Candidate lists served for the first `n` open postings (as an admin): request ids."""
    return [
        site.api("GET", f"/api/v1/opportunities/{o['external_id']}/candidates?limit=10")[
            "request_id"
        ]
        for o in _open_postings(site, n, kinds)
    ]


def _view(page: Page) -> Any:
    return page.locator("#view")


def _tab(page: Page, name: str) -> None:
    page.locator(f'#tabs [data-name="{name}"]').click()
    page.wait_for_function(
        "() => !document.querySelector('#view').textContent.includes('Loading…')"
        " && !document.querySelector('#view').textContent.includes('Building the figures')"
    )


def test_a_group_too_few_to_judge_is_named_with_its_n_and_never_flagged(
    browser: Browser, site: Site
) -> None:
    # Every open posting's list: enough people in this company of 150 for two groups to judge.
    _serve_candidate_lists(site, 40, ("gig", "mentorship", "role"))
    report = site.api("GET", "/api/v1/audits/report", token=HR)
    after = report["candidate_lists"]["selection_after_reranking"]
    drawn = [report["window"]["focus_attribute"], next(a for a in after if "×" in a)]
    rows = [row for attribute in drawn for row in after[attribute]["categories"]]
    too_few = [r for r in rows if r["too_few"] and not r["suppressed"]]
    assert too_few, "the small company should have groups under 30 people"
    # No headline is about a group too few to judge.
    for row in too_few:
        assert not any(f"for {row['category']} (" in b for b in report["breaches"])
    page = signed_in(browser, site, HR)
    _tab(page, "dashboard")
    view = _view(page)
    for row in too_few:
        said = f"too few to judge (n = {row['people']})"
        assert view.get_by_text(said).count() >= 1, said
    scan_here(page, "hr-fairness")
    assert page_errors(page) == []
    # An auditor sees every cell: the judged groups drawn as a dot with its 95% interval, and
    # a verdict in words; the groups too few to judge still without one.
    audited = site.api("GET", "/api/v1/audits/report", token=AUDITOR)
    focus = audited["candidate_lists"]["selection_after_reranking"][drawn[0]]
    judged = [r for r in focus["categories"] if not r["too_few"]]
    assert len(judged) >= 2, focus
    page = signed_in(browser, site, AUDITOR)
    _tab(page, "dashboard")
    chart = page.locator("figure", has_text=f"Impact ratio by {drawn[0]}, after re-ranking").first
    assert chart.locator("svg .ratio-dot").count() == len(judged)
    assert chart.locator("svg line.interval").count() == len(judged) - 1  # the reference has none
    text = chart.inner_text()
    assert "reference (highest rate)" in text
    # Which group the ratios compare with, and its n, said in words.
    reference = next(r for r in focus["categories"] if r["verdict"] == "reference (highest rate)")
    assert f"Compared with: {reference['category']} (n = {reference['people']}," in text
    assert re.search(r"below four-fifths|not enough evidence either way|at or above", text)
    assert re.search(r"\d\.\d\d \(\d\.\d\d to \d\.\d\d\)", text), "a ratio with its interval"
    for row in focus["categories"]:
        if row["too_few"]:
            assert f"too few to judge (n = {row['people']})" in text
    scan_here(page, "hr-fairness-auditor")


def test_the_weekly_trend_draws_the_weeks_with_served_lists(browser: Browser, site: Site) -> None:
    # Lists served one and two weeks ago: copies of today's, filed with earlier dates.
    served = _serve_candidate_lists(site, 40, ("gig", "mentorship", "role"))
    with site.state.sessions() as session:
        records = [AuditLog.find(session, request_id) for request_id in served]
    today = dt.datetime.now(dt.UTC)
    for weeks_ago in (1, 2):
        for record in records:
            assert record is not None
            copy = record.copy()
            copy.pop("seq", None)
            copy.pop("key_id", None)
            copy["request_id"] = f"{record['request_id']}-w{weeks_ago}"
            copy["served_at"] = (today - dt.timedelta(weeks=weeks_ago)).isoformat()
            site.state.audit.append(copy)
    weeks = {
        (today - dt.timedelta(weeks=w)).strftime("%G-W%V") for w in (0, 1, 2)
    }  # as the report names them
    page = signed_in(browser, site, HR)
    _tab(page, "dashboard")
    trend = page.locator("figure", has_text="per week in served candidate lists").first
    trend.wait_for()
    assert trend.locator("path.trend-line").count() >= 1
    assert trend.locator("circle.point").count() >= 3
    table = trend.locator("table").first.inner_text()
    for week in weeks:
        assert week in table, week
    assert "a trend needs at least two weeks" not in _view(page).inner_text()
    trend.scroll_into_view_if_needed()
    scan_here(page, "hr-trend")


def test_hr_searches_the_audit_log_by_words_and_a_person_needs_the_auditor(
    browser: Browser, site: Site
) -> None:
    gig = _open_postings(site, 1)[0]
    served = site.api("GET", f"/api/v1/opportunities/{gig['external_id']}/candidates?limit=10")
    page = signed_in(browser, site, HR)
    _tab(page, "audit")
    # The title's words out of order, with the kind: every word must match, anywhere.
    words = gig["title"].split()
    query = " ".join([*reversed(words), "gig"])
    page.get_by_label("Find a served ranking").fill(query)
    page.get_by_role("button", name="Search", exact=True).click()
    rows = page.locator("table.rankings tbody tr")
    rows.first.wait_for()
    assert rows.count() >= 1
    for i in range(rows.count()):
        assert gig["title"] in rows.nth(i).locator("td.for").inner_text()
    # The request id shortened, its full value in the title.
    full = page.locator(f'table.rankings abbr[title="{served["request_id"]}"]')
    assert full.count() >= 1
    assert full.first.inner_text() == served["request_id"][:8] + "…"
    scan_here(page, "hr-audit-search")
    # A word no ranking holds: nothing matches, and the page says so.
    page.get_by_label("Find a served ranking").fill(f"{words[0]} zzznothing")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_text("No served ranking matches").wait_for()
    # A person's id, without the auditor permission: nothing, and why.
    record = site.api("GET", f"/api/v1/audits/rankings/{served['request_id']}", token=AUDITOR)
    person = record["items"][0]["id"]
    page.get_by_label("Find a served ranking").fill(person)
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_text("needs the auditor permission", exact=False).first.wait_for()


def test_an_auditor_finds_a_person_by_id_and_sees_names_not_ids(
    browser: Browser, site: Site
) -> None:
    gig = _open_postings(site, 1)[0]
    served = site.api("GET", f"/api/v1/opportunities/{gig['external_id']}/candidates?limit=10")
    record = site.api("GET", f"/api/v1/audits/rankings/{served['request_id']}", token=AUDITOR)
    person = record["items"][0]["id"]
    profile = site.api("GET", f"/api/v1/employees/{person}")
    site.api("GET", f"/api/v1/employees/{person}/matches?kind=gig&limit=5")  # their own list
    page = signed_in(browser, site, AUDITOR)
    # The header says the token carries the auditor permission, not only its role.
    assert page.locator("#who").inner_text().endswith("· HR · auditor")
    _tab(page, "audit")
    page.get_by_label("Find a served ranking").fill(person)
    page.get_by_role("button", name="Search", exact=True).click()
    rows = page.locator("table.rankings tbody tr")
    rows.first.wait_for()
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    # Their own matches, named; and the lead's list they were in, by the posting's title.
    assert any(profile["name"] in t and "an employee's matches" in t for t in texts), texts
    assert any(gig["title"] in t and "a lead's candidates" in t for t in texts), texts
    assert not any("auditors only" in t for t in texts)
    scan_here(page, "hr-auditor-person")
    # By name too, words in any order.
    page.get_by_label("Find a served ranking").fill(" ".join(profile["name"].split()[::-1]))
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("table.rankings td.for", has_text=profile["name"]).first.wait_for()
    # Plain HR sees the same employee list without whom it was for.
    plain = site.api("GET", "/api/v1/audits/rankings?limit=50", token=HR)["items"]
    theirs = [i for i in plain if i["direction"] == "employee"]
    assert theirs and all(i["query_name"] is None for i in theirs)


def test_hr_replays_a_ranking_and_pauses_a_kind(browser: Browser, site: Site) -> None:
    _serve_candidate_lists(site, 1)
    page = signed_in(browser, site, HR)
    _tab(page, "audit")
    page.get_by_role("button", name="Replay ranking").first.click()
    page.get_by_text("Reproduced exactly").wait_for()
    page.locator('#tabs [data-name="policies"]').click()
    role = page.locator("article.card", has_text="roles")
    role.get_by_label("Reason").fill("role matching under review")
    role.get_by_role("button", name="Pause role ranking").click()
    role.get_by_text("Paused: lists are in plain similarity order.").wait_for()
    policies = site.api("GET", "/api/v1/audits/policies", token=HR)
    assert policies["role"]["paused"] is True
    # The oversight table names the pause in words.
    _tab(page, "audit")
    page.locator("table", has_text="role matching under review").first.wait_for()
    report = page.context.new_page()
    report.goto(site.url + "/api/v1/audits/report.html")  # the session cookie opens it
    report.get_by_role("heading", name="Fairness report").wait_for()
    check_every_section(page, "hr")
    resumed = {"paused": False, "policy": "off", "reason": "review done"}
    site.api(
        "PUT",
        "/api/v1/audits/policies/role",
        token=HR,
        json=resumed
        | {
            "policy": policies["role"]["policy"]
            if policies["role"]["policy"] != "paused"
            else "off"
        },
    )


_HASH = "9f2c" * 16
_VERSION = "employee-20261205-223952-fa6a198d"
_CARD = "\n".join(
    [
        "# Model card: employee -> opportunities ranker",
        "",
        "## Training data",
        f"Each employee's outcomes, split by time: 900 training rows. Data hash `{_HASH}`.",
        "",
        "## Results on the held-out period",
        "| ranker | NDCG@5 | NDCG@10 | MAP | recall@5 | NDCG@10 vs true fit |",
        "|---|---|---|---|---|---|",
        "| ranker | 0.5100 | 0.5600 | 0.4800 | 0.4400 | 0.6100 |",
        "| ranker_from_scratch | 0.5000 | 0.5500 | 0.4700 | 0.4300 | 0.6000 |",
        "| bm25_skills | 0.3100 | 0.3500 | 0.2900 | 0.2700 | n/a |",
    ]
)


# Every chart's axis, four-fifths line, dots and bars, and every table cell, inside the screen.
_OUTSIDE_THE_PHONE = """() => {
  const width = document.documentElement.clientWidth;
  const inside = (el) => {
    const r = el.getBoundingClientRect();
    return r.left >= -1 && r.right <= width + 1;
  };
  const out = [];
  for (const svg of document.querySelectorAll('#view figure.chart svg')) {
    for (const el of svg.querySelectorAll('.axis, .four-fifths, .ratio-dot, .bar, .tick')) {
      if (!inside(el)) out.push(`${svg.getAttribute('aria-label')}: ${el.getAttribute('class')}`);
    }
  }
  const cells = '#view tbody th, #view tbody td, #view caption, #view h2';
  for (const cell of document.querySelectorAll(cells)) {
    if (cell.getClientRects().length && !inside(cell)) out.push(cell.textContent.slice(0, 60));
  }
  return out;
}"""


def _everything_in_view_on_a_phone(page: Page, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    outside = page.evaluate(_OUTSIDE_THE_PHONE)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert outside == [], f"{name} at 390 px: {outside[:6]}"


def test_every_hr_page_fits_a_phone_with_its_axes_and_columns_in_view(
    browser: Browser, site: Site
) -> None:
    _serve_candidate_lists(site, 40, ("gig", "mentorship", "role"))
    page = signed_in(browser, site, AUDITOR)
    for name in ("dashboard", "outcomes", "audit", "policies", "models"):
        _tab(page, name)
        if name == "audit":
            page.locator("table.rankings").wait_for()
            page.locator("table.oversight").wait_for()
        if name == "outcomes":  # what the skills figure counts, in words
            said = _view(page).inner_text()
            assert "Skills confirmed by work: skills used in work completed" in said
            assert "Profile edits and imports are not counted" in said
        if name == "dashboard":
            assert page.locator("#view svg .four-fifths").count() >= 1
        _everything_in_view_on_a_phone(page, name)
    # Models: a company model's card (as training/model_card.py writes it) in words people
    # read; the technical names in a second line, the hash and version shortened.
    models = site.api("GET", "/api/v1/audits/models", token=HR)
    models["items"][0] |= {"source": "company", "version": _VERSION, "card": _CARD}
    page.route("**/api/v1/audits/models", lambda route: route.fulfill(json=models))
    _tab(page, "dashboard")
    _tab(page, "models")
    _everything_in_view_on_a_phone(page, "models with a company card")
    text = _view(page).inner_text()
    assert "->" not in text and "Model card: how it ranks opportunities for an employee" in text
    assert _HASH not in text and page.locator(f'abbr[title="{_HASH}"]').count() == 1
    assert _VERSION not in text and page.locator(f'abbr[title="{_VERSION}"]').count() == 1
    assert "Version of 2026-12-05 22:39 UTC" in text
    for tech, said in (
        ("ranker_from_scratch", "Trained from scratch"),
        ("bm25_skills", "Skill keyword match"),
    ):
        cell = page.locator("table.card-table tbody th", has_text=tech).first
        assert cell.inner_text().startswith(said), cell.inner_text()
    scan_here(page, "hr-models-company")
    # Policies in words, headings capitalised, the method a second line.
    _tab(page, "policies")
    headings = page.locator("#view article h2").all_inner_texts()
    assert headings and all(t[0].isupper() for t in headings), headings
    assert "alpha" not in _view(page).locator("article p:not(.meta)").all_inner_texts().__str__()


def test_a_policy_change_without_a_reason_is_said_beside_the_reason(
    browser: Browser, site: Site
) -> None:
    page = signed_in(browser, site, HR)
    _tab(page, "policies")
    gig = page.locator("article.card", has_text="Gigs").first
    for button in ("Save policy", "Pause gig ranking"):
        gig.get_by_role("button", name=button).click()
        reason = gig.get_by_label("Reason")
        problem = gig.locator("#why-gig-error")
        problem.wait_for()
        assert "Say why" in problem.inner_text()
        assert reason.get_attribute("aria-describedby") == "why-gig-error"
        assert reason.get_attribute("aria-invalid") == "true"
        assert page.evaluate("() => document.activeElement.id") == "why-gig"
        reason.fill("x")  # typing clears the message
        assert not problem.is_visible()
        reason.fill("")
    gig.get_by_role("button", name="Save policy").click()
    gig.locator("#why-gig-error").wait_for()
    scan_here(page, "hr-policy-no-reason")
    assert site.api("GET", "/api/v1/audits/policies", token=HR)["gig"]["paused"] is False
