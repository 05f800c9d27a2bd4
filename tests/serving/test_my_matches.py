"""An employee's matches as a product, on SQLite and PostgreSQL: filters that keep the ranker's
order and say how many passed, later pages, saves and dismissals that can be taken back, the
opportunity page, and invitations that lapse when the last seat goes."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.interactions import interactions_in_time_order
from fairness.audit_log import AuditLog
from fairness.audit_record import ServedRanking, served_page
from matching.explain import free_hours_text, sentence
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity
from tests.helpers.api import token_for
from tests.serving.test_pipeline import handle_of, step
from training.labels import label_interactions

Headers = dict[str, str]


def _company(client: TestClient, admin: Headers) -> None:
    people = [
        make_employee("LEAD", name="Lena Lead", level=5, title="Analytics Lead"),
        make_employee("MGR", name="Mia Manager", level=5, title="Finance Manager"),
        make_employee(
            "ANA",
            name="Ana Analyst",
            manager_external_id="MGR",
            availability_hours_per_week=20,
            skills=[{"name": PYTHON, "level": 4}, {"name": "SQL", "level": 3}],
        ),
        make_employee("BEN", name="Ben Builder", availability_hours_per_week=20),
        make_employee("CAT", name="Cat Coder", availability_hours_per_week=20),
    ]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    postings = [
        make_opportunity(
            f"G{i}",
            owner="LEAD",
            title=title,
            description=f"Work on {title.lower()} with the analytics team.",
            department=department,
            location=location,
            hours_per_week=hours,
            start_date=start,
        )
        for i, (title, department, location, hours, start) in enumerate(
            [
                ("Churn model", "Sales Ops", "Remote", 4, "2026-12-01"),
                ("Churn dashboard", "Sales Ops", "Berlin", 6, "2027-01-10"),
                ("Forecast review", "Finance", "Remote", 10, "2026-12-15"),
                ("Pricing study", "Finance", "Berlin", 3, "2027-02-01"),
                ("Data quality audit", "Operations", "Remote", 8, "2026-11-20"),
                ("Churn alerts", "Operations", "Remote", 2, "2027-03-01"),
            ]
        )
    ]
    assert (
        client.post("/api/v1/opportunities/bulk", json=postings, headers=admin).status_code == 200
    )


def _record(state: ServiceState, request_id: str) -> ServedRanking:
    with transaction(state.sessions) as session:
        found = AuditLog.find(session, request_id)
    assert found is not None
    return found


def _ids(body: dict[str, Any]) -> list[str]:
    return [item["opportunity"]["external_id"] for item in body["items"]]


def test_filters_keep_the_rankers_order_and_say_how_many_matched(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers)
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    url = "/api/v1/employees/ANA/matches?kind=gig&limit=20"
    everything = client.get(url, headers=ana).json()
    ranked = _ids(everything)
    assert len(ranked) == 6 and everything["matched"] == 6
    assert everything["facets"]["departments"] == ["Finance", "Operations", "Sales Ops"]

    def narrowed(query: str) -> list[str]:
        response = client.get(f"{url}&{query}", headers=ana)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["matched"] == len(body["items"])
        kept = _ids(body)
        assert kept == [o for o in ranked if o in kept]  # the ranker's order, kept
        return kept

    assert set(narrowed("q=churn")) == {"G0", "G1", "G5"}
    assert set(narrowed("q=churn%20dashboard")) == {"G1"}  # every word
    assert set(narrowed("hours_max=4")) == {"G0", "G3", "G5"}
    assert set(narrowed("department=finance")) == {"G2", "G3"}
    assert set(narrowed("remote=true&department=Operations")) == {"G4", "G5"}
    assert set(narrowed("location=Berlin")) == {"G1", "G3"}
    assert set(narrowed("starts_from=2027-01-01")) == {"G1", "G3", "G5"}
    assert set(narrowed("starts_until=2026-12-01")) == {"G0", "G4"}
    assert narrowed("skill=python") == ranked  # every posting asks for it
    assert narrowed("q=nothing-like-this") == []

    for query, field in (
        ("hours_max=-1", "hours_max"),
        ("starts_from=soon", "starts_from"),
        ("offset=-2", "offset"),
        ("starts_from=2027-02-01&starts_until=2027-01-01", "starts_until"),
        ("q=" + "x" * 201, "q"),
    ):
        bad = client.get(f"{url}&{query}", headers=ana)
        assert bad.status_code == 422, (query, bad.text)
        assert bad.json()["detail"][0]["field"] == field


def test_a_later_page_continues_the_list_and_is_logged_as_that_page(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers)
    # Pages of different sizes explore different slots (fairness/exploration.py): this test is
    # about paging, so HR switches exploration off for gigs (re-ranking, which needs reported
    # groups this company lacks, never applies to a person's own matches anyway).
    hr = token_for(state, Role.HR, "ANA")
    off = {"policy": "off", "explore": False, "reason": "paging test"}
    put = client.put("/api/v1/audits/policies/gig", json=off, headers=hr)
    assert put.status_code == 200, put.text
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    url = "/api/v1/employees/ANA/matches?kind=gig"
    whole = _ids(client.get(f"{url}&limit=20", headers=ana).json())
    first = client.get(f"{url}&limit=4", headers=ana).json()
    assert _ids(first) == whole[:4] and first["next_offset"] == 4
    second = client.get(f"{url}&limit=4&offset=4", headers=ana).json()
    assert _ids(second) == whole[4:] and second["next_offset"] is None
    assert [i["rank"] for i in second["items"]] == [1, 2]
    record = _record(state, second["request_id"])
    assert record["offset"] == 4
    assert [i["id"] for i in served_page(record)] == whole[4:]  # training sees this page only
    filtered = client.get(f"{url}&limit=1&offset=1&q=churn", headers=ana).json()
    assert filtered["matched"] == 3 and len(filtered["items"]) == 1
    assert _record(state, filtered["request_id"])["filters"] == {"words": "churn"}


def test_a_later_page_continues_an_explored_first_page_without_repeating_an_item(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    """Exploration swaps a first-page slot with an item from below the page; the next page is
    drawn from the same list, so it shows the displaced item and never the one pulled up."""
    _company(client, admin_headers)
    hr = token_for(state, Role.HR, "ANA")
    most = {"policy": "off", "explore_share": 0.25, "explore_depth": 2, "reason": "paging"}
    put = client.put("/api/v1/audits/policies/gig", json=most, headers=hr)
    assert put.status_code == 200, put.text
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    url = "/api/v1/employees/ANA/matches?kind=gig&limit=4"
    first = client.get(url, headers=ana).json()
    second = client.get(f"{url}&offset=4", headers=ana).json()
    shown = _ids(first) + _ids(second)
    assert len(shown) == len(set(shown)) == first["retrieval"]["ranked"], shown
    explored = _record(state, first["request_id"])["policy"]["exploration"]
    assert _record(state, second["request_id"])["policy"]["exploration"] == explored


def test_saves_and_dismissals_are_listed_and_can_be_taken_back(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers)
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    url = "/api/v1/employees/ANA/matches?kind=gig&limit=20"

    assert client.post("/api/v1/opportunities/G2/saves", headers=ana).status_code == 201
    saved = client.get("/api/v1/employees/ANA/saves", headers=ana).json()["items"]
    assert [s["opportunity"]["title"] for s in saved] == ["Forecast review"]
    cards = {
        i["opportunity"]["external_id"]: i for i in client.get(url, headers=ana).json()["items"]
    }
    assert cards["G2"]["saved"] and not cards["G0"]["saved"]  # still Saved after a reload
    assert client.delete("/api/v1/opportunities/G2/saves", headers=ana).status_code == 200
    assert client.get("/api/v1/employees/ANA/saves", headers=ana).json()["items"] == []
    again = client.delete("/api/v1/opportunities/G2/saves", headers=ana)
    assert again.status_code == 404 and "no save" in again.json()["detail"]
    assert client.post("/api/v1/opportunities/G2/saves", headers=ana).status_code == 201

    assert client.post("/api/v1/opportunities/G4/dismissals", headers=ana).status_code == 201
    assert "G4" not in _ids(client.get(url, headers=ana).json())
    dismissed = client.get("/api/v1/employees/ANA/dismissals", headers=ana).json()["items"]
    assert [d["opportunity"]["external_id"] for d in dismissed] == ["G4"]
    assert client.delete("/api/v1/opportunities/G4/dismissals", headers=ana).status_code == 200
    assert "G4" in _ids(client.get(url, headers=ana).json())  # the card comes back
    assert client.get("/api/v1/employees/ANA/dismissals", headers=ana).json()["items"] == []

    # A dismissal undone never brings back what the person applied to.
    assert step(client, ana, "G0", action="apply").status_code == 201
    assert client.post("/api/v1/opportunities/G0/dismissals", headers=ana).status_code == 201
    assert client.delete("/api/v1/opportunities/G0/dismissals", headers=ana).status_code == 200
    assert "G0" not in _ids(client.get(url, headers=ana).json())
    # Someone else's lists are theirs alone.
    ben = token_for(state, Role.EMPLOYEE, "BEN")
    assert client.get("/api/v1/employees/ANA/saves", headers=ben).status_code == 403
    undo_apply = client.delete("/api/v1/opportunities/G0/applications", headers=ana)
    assert undo_apply.status_code == 409 and "withdraw" in undo_apply.json()["detail"]


def test_saved_not_for_me_and_applied_never_stand_at_once(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    """Dismissing takes a save back, saving takes a dismissal back, and applying or accepting
    takes a dismissal back; each as a new event in the log (nothing rewritten)."""
    _company(client, admin_headers)
    ana, lead = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.LEAD, "LEAD")

    def listed(which: str) -> list[str]:
        items = client.get(f"/api/v1/employees/ANA/{which}", headers=ana).json()["items"]
        return [i["opportunity"]["external_id"] for i in items]

    assert client.post("/api/v1/opportunities/G2/saves", headers=ana).status_code == 201
    assert client.post("/api/v1/opportunities/G2/dismissals", headers=ana).status_code == 201
    assert (listed("saves"), listed("dismissals")) == ([], ["G2"])
    assert client.post("/api/v1/opportunities/G2/saves", headers=ana).status_code == 201
    assert (listed("saves"), listed("dismissals")) == (["G2"], [])

    assert client.post("/api/v1/opportunities/G2/dismissals", headers=ana).status_code == 201
    assert client.post("/api/v1/opportunities/G3/saves", headers=ana).status_code == 201
    assert step(client, ana, "G2", action="apply").status_code == 201
    assert listed("dismissals") == []
    assert step(client, ana, "G3", action="apply").status_code == 201
    assert step(client, lead, "G3", action="offer", candidate="ANA").status_code == 200
    assert step(client, ana, "G3", action="accept_offer").status_code == 200
    [saved] = client.get("/api/v1/employees/ANA/saves", headers=ana).json()["items"]
    assert (saved["opportunity"]["external_id"], saved["stage"]) == ("G3", "accepted")

    with transaction(state.sessions) as session:
        logged = [
            e.type
            for e in interactions_in_time_order(session)
            if e.employee_external_id == "ANA" and e.opportunity_external_id == "G2"
        ]
    assert logged == [
        "save",
        "dismiss",
        "unsave",
        "save",
        "undismiss",
        "dismiss",
        "unsave",
        "apply",
        "undismiss",
    ]


def test_the_opportunity_page_says_what_it_is_and_what_it_is_for_me(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers)
    ana, manager = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.EMPLOYEE, "MGR")
    assert step(client, ana, "G1", action="apply").status_code == 201
    page = client.get("/api/v1/employees/ANA/opportunities/G1", headers=ana)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["opportunity"]["description"] == "Work on churn dashboard with the analytics team."
    assert body["lead"]["name"] == "Lena Lead"
    assert (body["seats_taken"], body["opportunity"]["seats"], body["state"]) == (0, 1, "Open")
    mine = body["for_you"]
    assert [s["name"] for s in mine["matched_skills"]] == [PYTHON, "SQL"]
    assert mine["pair"]["stage"] == "applied" and mine["pair"]["allowed_next"] == ["withdraw"]
    # Her manager opens the gig she asks for (for himself: it is not his match to judge).
    theirs = client.get("/api/v1/employees/MGR/opportunities/G1", headers=manager)
    assert theirs.status_code == 200 and theirs.json()["for_you"]["pair"] is None
    assert client.get("/api/v1/employees/ANA/opportunities/G1", headers=manager).status_code == 403
    assert client.get("/api/v1/employees/ANA/opportunities/NOPE", headers=ana).status_code == 404


def test_an_invitation_lapses_when_the_last_seat_goes_and_says_why(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    ben, cat = token_for(state, Role.EMPLOYEE, "BEN"), token_for(state, Role.EMPLOYEE, "CAT")
    invited = handle_of(client, lead, "G0", admin_headers, "BEN")
    assert step(client, lead, "G0", action="invite", candidate=invited).status_code == 201
    # Cat applies and is given the only seat.
    assert step(client, cat, "G0", action="apply").status_code == 201
    board = client.get("/api/v1/opportunities/G0/pipeline", headers=lead).json()
    [pair] = board["stages"]["applied"]
    handle = pair["candidate"]["handle"]
    assert step(client, lead, "G0", action="offer", candidate=handle).status_code == 200
    assert step(client, cat, "G0", action="accept_offer").status_code == 200
    assigned = step(client, lead, "G0", action="assign", candidate=handle)
    assert assigned.status_code == 200, assigned.text

    matches = client.get("/api/v1/employees/BEN/matches?kind=gig", headers=ben).json()
    [invitation] = matches["invitations"]
    assert invitation["stage"] == "lapsed" and invitation["allowed_next"] == []
    assert invitation["lapsed"].startswith("This invitation lapsed: every seat was taken on 20")
    accept = step(client, ben, "G0", action="accept_invitation")
    assert accept.status_code == 409
    assert accept.json()["detail"]["message"].startswith("This invitation lapsed")
    closed = client.get("/api/v1/employees/BEN/pipeline", headers=ben).json()["closed"]
    assert [p["stage"] for p in closed] == ["lapsed"]
    # The lead never learns who an invitation that lapsed unanswered went to.
    board = client.get("/api/v1/opportunities/G0/pipeline", headers=lead).json()
    [lapsed] = board["stages"]["lapsed"]
    assert "identity" not in lapsed["candidate"] and "Ben" not in str(lapsed)
    # Training reads the live log, lapses and undone reactions included.
    assert client.post("/api/v1/opportunities/G1/saves", headers=ben).status_code == 201
    assert client.delete("/api/v1/opportunities/G1/saves", headers=ben).status_code == 200
    with transaction(state.sessions) as session:
        events = interactions_in_time_order(session)
        assert {"lapse", "unsave"} <= {e.type for e in events}
        label_interactions(events)


def test_free_hours_are_said_after_commitments_and_a_mentor_in_words() -> None:
    details = {"hours": 10.0, "availability": 20.0, "kind": "gig"}
    details["free_hours"] = free_hours_text(20.0, 12.0)
    said = sentence("availability_slack", -2.0, details)
    assert (
        said
        == "Needs 10 h a week; 8 of your 20 free hours are left after the 12 you have committed"
    )
    assert sentence(
        "availability_slack", 10.0, {**details, "free_hours": free_hours_text(20, 0)}
    ) == ("Needs 10 h a week; you have 20 free")
    mentor = sentence("mentor_level_gap", 4.0, {"kind": "mentorship"})
    assert mentor == "On the skills offered, the mentor is an expert where you are starting out"
    assert "+" not in mentor and "levels ahead" not in mentor
    covered = {"kind": "mentorship", "matched": 1, "required": 3, "matched_names": ": SQL"}
    assert sentence("required_coverage", 0.3, covered) == "You have 1 of 3 skills on offer: SQL"


def test_card_sentences_say_scores_in_words_and_a_mentorship_names_its_mentor() -> None:
    for feature, value in (
        ("skill_similarity", 0.59),
        ("occupation_relatedness", 1.0),
        ("interest_alignment", 0.41),
        ("aspiration_similarity", 0.3),
        ("profile_fit", 0.52),
        ("tool_category_fit", 0.6),
    ):
        said = sentence(feature, value, {"kind": "gig"})
        assert said is not None and not re.search(r"\d\.\d", said), said
    assert sentence("occupation_relatedness", 1.0, {"kind": "gig"}) == (
        "It is for your own occupation"
    )
    assert sentence("timezone_gap_hours", 8.0, {"kind": "mentorship"}) == (
        "The mentor's working day is 8 h apart from yours (time zones)"
    )
    assert "lead" in (sentence("timezone_gap_hours", 8.0, {"kind": "gig"}) or "")
    over = sentence(
        "availability_slack",
        -12.0,
        {"hours": 2.0, "kind": "gig", "free_hours": free_hours_text(8.0, 18.0)},
    )
    assert (
        over
        == "Needs 2 h a week; your 18 committed hours are already 10 more than the 8 free you have"
    )
