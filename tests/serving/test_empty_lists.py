"""Lists that come back empty or short say why: which rules removed how many, and what the
person or the lead could change (matching/shortfall.py), on both backends.

Each hard rule is broken by one posting (an employee's matches) or on one posting (a lead's
candidates), so that it alone leaves it out; then the change the answer names is made and the
item comes back, with the rule gone from the answer. A lead's counts of people are banded below
k (the masked cards' k) and never name anyone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from data.schemas import Role
from matching.eligibility import RULES
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity
from tests.helpers.api import token_for

Headers = dict[str, str]
PAST = "2026-10-01"  # before the test company's today (tests/conftest.TODAY)


def _matches(client: TestClient, who: Headers, kind: str = "gig", limit: int = 20) -> dict:
    response = client.get(f"/api/v1/employees/ME/matches?kind={kind}&limit={limit}", headers=who)
    assert response.status_code == 200, response.text
    return response.json()


def _candidates(client: TestClient, who: Headers, posting: str, limit: int = 20) -> dict:
    response = client.get(f"/api/v1/opportunities/{posting}/candidates?limit={limit}", headers=who)
    assert response.status_code == 200, response.text
    return response.json()


def _ids(body: dict[str, Any]) -> set[str]:
    return {i["opportunity"]["external_id"] for i in body["items"]}


def _patch(client: TestClient, who: Headers, path: str, body: dict[str, Any]) -> None:
    response = client.patch(path, json=body, headers=who)
    assert response.status_code == 200, response.text


def _fill_the_seat(client: TestClient, admin: Headers, state: ServiceState, posting: str) -> None:
    """OTHER applies, is offered the one seat, takes it and is assigned (the posting is then
    filled as well: the live workflow closes it with its last seat)."""
    other = token_for(state, Role.EMPLOYEE, "OTHER")
    url = f"/api/v1/opportunities/{posting}/pipeline"
    assert client.post(url, json={"action": "apply"}, headers=other).status_code == 201
    offered = client.post(url, json={"action": "offer", "candidate": "OTHER"}, headers=admin)
    assert offered.status_code == 200, offered.text
    accepted = client.post(url, json={"action": "accept_offer"}, headers=other)
    assert accepted.status_code == 200, accepted.text
    assigned = client.post(url, json={"action": "assign", "candidate": "OTHER"}, headers=admin)
    assert assigned.status_code == 200, assigned.text


@dataclass(frozen=True)
class Broken:
    """One posting that breaks one rule for ME (level 3, 8 h free, Berlin, open to gigs)."""

    posting: dict[str, Any]
    words: tuple[str, ...]  # what the rule's text must say
    where: str | None  # where the answer sends the person to change it
    field: str | None
    setup: Callable[[TestClient, Headers, ServiceState], None] | None = None
    fix: Callable[[TestClient, Headers, ServiceState], None] | None = None  # the change named
    alone: int = 1  # what this rule alone removed (a filled posting is also not open)


def _as(role: Role, subject: str) -> Callable[[ServiceState], Headers]:
    return lambda state: token_for(state, role, subject)


BROKEN = {
    "availability_below_hours": Broken(
        {"hours_per_week": 12},
        ("1 asks for more hours", "(8 h/week)"),
        "profile",
        "availability_hours_per_week",
        fix=lambda c, a, s: _patch(
            c,
            _as(Role.EMPLOYEE, "ME")(s),
            "/api/v1/employees/ME",
            {"availability_hours_per_week": 12},
        ),
    ),
    "level_out_of_range": Broken(
        {"level_min": 5, "level_max": 6},
        ("1 is for levels that leave out yours (level 3)",),
        None,
        None,
        fix=lambda c, a, s: _patch(c, a, "/api/v1/opportunities/X", {"level_min": 2}),
    ),
    "own_opportunity": Broken({"owner_external_id": "ME"}, ("1 is your own posting",), None, None),
    "already_applied_or_dismissed": Broken(
        {},
        ("1 you have already applied to or set aside",),
        "applications",
        None,
        setup=lambda c, a, s: (
            None
            if c.post(
                "/api/v1/opportunities/X/dismissals", headers=_as(Role.EMPLOYEE, "ME")(s)
            ).status_code
            == 201
            else pytest.fail("dismissal refused")
        ),
    ),
    "opportunity_not_open": Broken(
        {"status": "closed"},
        ("1 is not open",),
        None,
        None,
        fix=lambda c, a, s: _patch(c, a, "/api/v1/opportunities/X", {"status": "open"}),
    ),
    "seats_filled": Broken(
        {},
        ("1 has every seat taken",),
        None,
        None,
        setup=lambda c, a, s: _fill_the_seat(c, a, s, "X"),
        fix=lambda c, a, s: _patch(c, a, "/api/v1/opportunities/X", {"seats": 2, "status": "open"}),
        alone=0,
    ),
    "start_date_passed": Broken(
        {"start_date": PAST},
        ("1 has already started",),
        None,
        None,
        fix=lambda c, a, s: _patch(c, a, "/api/v1/opportunities/X", {"start_date": "2026-12-01"}),
    ),
    "onsite_location_mismatch": Broken(
        {"location": "London"},
        ("1 is on site away from Berlin",),
        "profile",
        "location",
        fix=lambda c, a, s: _patch(
            c, _as(Role.EMPLOYEE, "ME")(s), "/api/v1/employees/ME", {"location": "London"}
        ),
    ),
}


def test_every_rule_but_one_has_a_posting_that_breaks_it_here() -> None:
    # not_open_to_kind is about the person, not one posting: its own test is below.
    assert set(BROKEN) | {"not_open_to_kind"} == set(RULES)


def _company(client: TestClient, admin: Headers, posting: dict[str, Any]) -> None:
    people = [
        make_employee("LEAD", level=5),
        make_employee("ME", open_to=["gig"]),
        make_employee("OTHER"),
    ]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    postings = [
        make_opportunity("OK", owner="LEAD"),
        make_opportunity("X", **{"owner": "LEAD", **posting}),
    ]
    response = client.post("/api/v1/opportunities/bulk", json=postings, headers=admin)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_an_employees_short_list_names_the_rule_that_left_a_posting_out_and_the_change(
    client: TestClient, state: ServiceState, admin_headers: Headers, rule: str
) -> None:
    broken = BROKEN[rule]
    _company(client, admin_headers, broken.posting)
    if broken.setup:
        broken.setup(client, admin_headers, state)
    me = token_for(state, Role.EMPLOYEE, "ME")

    body = _matches(client, me)
    assert _ids(body) == {"OK"}
    why = body["why"]
    assert (why["shown"], why["asked"], why["eligible"]) == (1, 20, 1)
    named = {r["rule"]: r for r in why["rules"]}
    assert rule in named, why
    entry = named[rule]
    assert (entry["removed"], entry["alone"]) == (1, broken.alone)
    for words in broken.words:
        assert words in entry["text"], entry["text"]
    assert (entry["where"], entry["field"]) == (broken.where, broken.field)
    if broken.where:  # the change it names is offered, with what it alone brings back
        [change] = [c for c in why["changes"] if c["field"] == broken.field]
        assert change["where"] == broken.where and change["would_add"] == 1
        assert "1 more gig would show with that change alone" in change["text"]
    assert body["why"]["summary"].startswith("Only 1 of the ")

    # A full page says nothing: there is nothing to explain.
    assert "why" not in _matches(client, me, limit=1)

    if broken.fix is not None:  # the other direction: the change made, it comes back
        broken.fix(client, admin_headers, state)
        after = _matches(client, me)
        assert _ids(after) == {"OK", "X"}, after.get("why")
        assert rule not in {r["rule"] for r in after["why"]["rules"]}


def test_an_employee_open_to_no_gigs_is_told_so_and_where_to_change_it(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers, {})
    mentoring = make_opportunity("M", owner="LEAD", kind="mentorship", hours_per_week=2)
    assert client.post("/api/v1/opportunities/bulk", json=[mentoring], headers=admin_headers)
    me = token_for(state, Role.EMPLOYEE, "ME")

    body = _matches(client, me, kind="mentorship")
    assert body["items"] == []
    why = body["why"]
    assert why["eligible"] == 0 and why["considered"] == 1
    assert why["rules"][0]["rule"] == "not_open_to_kind"
    assert why["rules"][0]["text"] == "You have not said you are open to mentorships"
    assert why["summary"] == (
        "None of the 1 mentorships here can be shown to you right now: you have not said you "
        "are open to mentorships."
    )
    [change] = why["changes"]
    assert (change["where"], change["field"], change["would_add"]) == ("profile", "open_to", 1)

    _patch(client, me, "/api/v1/employees/ME", {"open_to": ["gig", "mentorship"]})
    after = _matches(client, me, kind="mentorship")
    assert [i["opportunity"]["external_id"] for i in after["items"]] == ["M"]
    assert all(r["rule"] != "not_open_to_kind" for r in after["why"]["rules"])


def test_the_rules_come_largest_first_and_the_changes_by_what_they_alone_bring_back(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers, {"hours_per_week": 12})
    more = [
        make_opportunity("H2", owner="LEAD", hours_per_week=10),
        make_opportunity("H3", owner="LEAD", hours_per_week=10, location="London"),
        make_opportunity("L1", owner="LEAD", level_min=6, level_max=7),
    ]
    assert client.post("/api/v1/opportunities/bulk", json=more, headers=admin_headers)
    me = token_for(state, Role.EMPLOYEE, "ME")

    why = _matches(client, me)["why"]
    removed = [(r["rule"], r["removed"], r["alone"]) for r in why["rules"]]
    assert removed == [
        ("availability_below_hours", 3, 2),
        ("level_out_of_range", 1, 1),
        ("onsite_location_mismatch", 1, 0),
    ]
    assert [(c["field"], c["would_add"]) for c in why["changes"]] == [
        ("availability_hours_per_week", 2),
        (None, 1),  # the level: HR's to change, said with no page to go to
        ("location", 0),
    ]
    assert why["summary"].startswith("Only 1 of the 5 gigs here")


def _people(prefix: str, n: int, **overrides: Any) -> list[dict[str, Any]]:
    return [make_employee(f"{prefix}{i}", **overrides) for i in range(1, n + 1)]


def _lead_company(client: TestClient, admin: Headers) -> None:
    """19 people for one on-site gig in Berlin at levels 3–4 asking 6 h a week: 6 short of
    hours, 2 at level 6, 1 open to nothing, 5 in London, 1 who applied, the lead, 3 eligible."""
    people = [
        make_employee("LEAD", level=4),
        make_employee("ME"),
        make_employee("OTHER"),
        *_people("A", 6, availability_hours_per_week=2),
        *_people("B", 2, level=6),
        *_people("C", 1, open_to=[]),
        *_people("D", 5, location="London"),
        *_people("OK", 2),
    ]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin).status_code == 200
    posting = make_opportunity("P", owner="LEAD", location="Berlin", level_min=3, level_max=4)
    assert client.post("/api/v1/opportunities/bulk", json=[posting], headers=admin)


def test_a_leads_short_list_says_why_with_small_counts_banded_and_nobody_named(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _lead_company(client, admin_headers)
    me = token_for(state, Role.EMPLOYEE, "ME")
    assert client.post("/api/v1/opportunities/P/applications", headers=me).status_code == 201
    lead = token_for(state, Role.LEAD, "LEAD")

    body = _candidates(client, lead, "P")
    assert len(body["items"]) == 3
    why = body["why"]
    assert (why["considered"], why["eligible"], why["shown"]) == (19, 3, 3)
    assert why["summary"].startswith("Only 3 of the 19 people here can be proposed")
    said = {r["rule"]: (r["removed"], r["removed_words"]) for r in why["rules"]}
    assert said == {
        "availability_below_hours": (6, "6"),
        "onsite_location_mismatch": (5, "5"),
        "level_out_of_range": (None, "fewer than 5"),
        "not_open_to_kind": (None, "fewer than 5"),
        "already_applied_or_dismissed": (None, "fewer than 5"),
        "own_opportunity": (None, "fewer than 5"),
    }
    assert [r["rule"] for r in why["rules"]][:2] == [
        "availability_below_hours",
        "onsite_location_mismatch",
    ]
    texts = {r["rule"]: r["text"] for r in why["rules"]}
    assert texts["availability_below_hours"].startswith("6 have fewer than the 6 free hours")
    assert texts["level_out_of_range"] == "Fewer than 5 are at a level outside levels 3–4"
    assert texts["own_opportunity"].startswith("You posted it")
    changes = {c["field"]: c for c in why["changes"]}
    assert set(changes) == {"hours_per_week", "level_min", "location"}
    assert all(c["where"] == "posting" for c in changes.values())
    assert changes["hours_per_week"]["would_add"] == 6  # all six lack only the hours
    # No count a lead reads singles anyone out, nor does the list's retrieval block.
    for rule in why["rules"]:
        for key in ("removed", "alone"):
            assert rule[key] is None or rule[key] == 0 or 5 <= rule[key] <= 19 - 5, rule
    assert "removed_by_rule" not in body["retrieval"]
    text = str(why)
    for person in ("ME", "OTHER", "OK1", "Person ", "corp.example"):
        assert person not in text

    # An admin (who sees who each candidate is) reads the exact counts.
    seen = _candidates(client, admin_headers, "P")["why"]
    exact = {r["rule"]: r["removed"] for r in seen["rules"]}
    assert exact["level_out_of_range"] == 2 and exact["not_open_to_kind"] == 1
    assert exact["already_applied_or_dismissed"] == 1
    own = next(r["text"] for r in seen["rules"] if r["rule"] == "own_opportunity")
    assert own.startswith("The lead who posted it")

    # The lead makes the changes named: the list fills up.
    _patch(client, lead, "/api/v1/opportunities/P", {"hours_per_week": 2, "location": "Remote"})
    after = _candidates(client, lead, "P")
    assert len(after["items"]) == 3 + 6 + 5
    assert {r["rule"] for r in after["why"]["rules"]} == {
        "level_out_of_range",
        "not_open_to_kind",
        "already_applied_or_dismissed",
        "own_opportunity",
    }


POSTING_RULES: dict[str, tuple[dict[str, Any], str, str, dict[str, Any]]] = {
    # rule: (how the posting breaks it, words, the field the change names, the fix)
    "opportunity_not_open": ({"status": "closed"}, "It is closed;", "status", {"status": "open"}),
    "start_date_passed": (
        {"start_date": PAST},
        f"It was to start on {PAST}, which has passed",
        "start_date",
        {"start_date": "2026-12-01"},
    ),
    "seats_filled": ({}, "Every seat is taken (1 of 1)", "seats", {"seats": 2, "status": "open"}),
}


@pytest.mark.parametrize("rule", sorted(POSTING_RULES))
def test_a_posting_that_nobody_can_be_proposed_for_says_so_and_what_to_change(
    client: TestClient, state: ServiceState, admin_headers: Headers, rule: str
) -> None:
    breaks, words, field, fix = POSTING_RULES[rule]
    _company(client, admin_headers, breaks)
    if rule == "seats_filled":
        _fill_the_seat(client, admin_headers, state, "X")
    lead = token_for(state, Role.LEAD, "LEAD")

    body = _candidates(client, lead, "X")
    assert body["items"] == []
    why = body["why"]
    assert why["eligible"] == 0 and why["considered"] == 3
    entry = next(r for r in why["rules"] if r["rule"] == rule)
    assert entry["text"].startswith(words) and entry["removed"] == 3
    assert (entry["where"], entry["field"]) == ("posting", field)
    assert why["summary"].startswith("Nobody can be proposed for this gig yet: ")
    assert any(c["field"] == field for c in why["changes"])

    _patch(client, lead, "/api/v1/opportunities/X", fix)
    after = _candidates(client, lead, "X")
    assert after["items"], after.get("why")
    assert rule not in {r["rule"] for r in after.get("why", {"rules": []})["rules"]}


def test_hidden_candidates_are_counted_as_the_leads_own_decision(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers, {})
    lead = token_for(state, Role.LEAD, "LEAD")
    [first, *_] = _candidates(client, lead, "OK")["items"]
    hidden = client.post(
        "/api/v1/opportunities/OK/overrides",
        json={"candidate": first["candidate"]["handle"], "action": "hide", "reason": "on leave"},
        headers=lead,
    )
    assert hidden.status_code == 201, hidden.text
    why = _candidates(client, lead, "OK")["why"]
    entry = next(r for r in why["rules"] if r["rule"] == "hidden_from_this_list")
    assert entry["removed"] == 1 and entry["text"] == "1 is hidden from this list"
    assert any(c["field"] == "overrides" for c in why["changes"])


def test_role_matches_carry_good_next_moves_with_the_gap_and_other_kinds_do_not(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    _company(client, admin_headers, {})
    me = token_for(state, Role.EMPLOYEE, "ME")
    profile = client.get("/api/v1/employees/ME", headers=me).json()
    own = (profile.get("occupation") or {}).get("occupation_id")
    assert own is not None, "a Data Analyst title places the person in an occupation"

    body = _matches(client, me, kind="role")
    assert body["items"] == [] and body["why"]["summary"] == "No role is posted here yet."
    moves = body["next_moves"]
    assert 1 <= len(moves) <= 5
    assert own not in {m["occupation_id"] for m in moves}
    fits = [m["fit"] for m in moves]
    assert fits == sorted(fits, reverse=True)
    held = {s["skill_id"] for s in profile["skills"]}
    for move in moves:
        assert not {g["skill_id"] for g in move["gap"]} & held  # the gap is what they lack
        assert move["gap_total"] >= len(move["gap"])
    assert "next_moves" not in _matches(client, me, kind="gig")


def test_a_full_list_where_nobody_declares_a_required_skill_says_so(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    """A new user's trial: a posting asking for tools nobody here lists got a full page of
    "Holds 0 of 7" cards and no word why. The list says it, and what the lead can change; once
    someone declares one of them, it says nothing more (the list is neither short nor blind)."""
    people = [make_employee("LEAD", level=4), *_people("N", 6)]
    assert (
        client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).status_code == 200
    )
    posting = make_opportunity(
        "T",
        owner="LEAD",
        required_skills=[{"name": "Kubernetes", "level": 3}, {"name": "Tableau", "level": 2}],
    )
    assert client.post("/api/v1/opportunities/bulk", json=[posting], headers=admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    body = _candidates(client, lead, "T", limit=3)
    assert len(body["items"]) == 3
    why = body["why"]
    assert why["summary"].startswith("None of the 6 people who could be proposed declares any")
    assert why["changes"][0]["field"] == "required_skills"

    holder = make_employee("N1", skills=[{"name": "Tableau", "level": 3}])
    assert client.post("/api/v1/employees/bulk", json=[holder], headers=admin_headers)
    assert _candidates(client, lead, "T", limit=3).get("why") is None
