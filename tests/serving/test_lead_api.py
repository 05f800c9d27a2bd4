"""What a lead's and a manager's pages read from the API: postings found by title words and
paged with a total, each with seats taken and applicants; candidates named by a readable alias
until they reveal themselves and by name after; a waitlist in its order; an admin posting on a
lead's behalf; a posting's suggested skills that agree with what its title alone stores; and an
approval that states the person's week."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.tables import InteractionRow
from matching.aliases import candidate_alias
from serving.state import ServiceState
from tests.factories import make_employee, make_opportunity
from tests.helpers.api import token_for
from tests.serving.test_pipeline import company, handle_of, step

Headers = dict[str, str]
ALIAS = re.compile(r"^Candidate [A-Z][a-z]+ [A-Z][a-z]+$")


def test_a_lead_finds_postings_by_title_words_page_by_page_with_their_counts(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    more = [
        make_opportunity(f"SURVEY-{i:02d}", owner="LEAD", title=f"Harbour Survey {i}")
        for i in range(1, 8)
    ]
    more.append(make_opportunity("OTHER-1", owner="MGR", title="Harbour survey elsewhere"))
    assert client.post("/api/v1/opportunities/bulk", json=more, headers=admin_headers).is_success
    lead = token_for(state, Role.LEAD, "LEAD")
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    assert step(client, ana, "SURVEY-01", action="apply").status_code == 201

    first = client.get("/api/v1/opportunities?q=survey%20HARBOUR&limit=5", headers=lead).json()
    assert first["total"] == 7  # the lead's own only, every word in any case
    assert len(first["items"]) == 5 and first["next_cursor"]
    second = client.get(
        f"/api/v1/opportunities?q=survey harbour&limit=5&cursor={first['next_cursor']}",
        headers=lead,
    ).json()
    assert [o["external_id"] for o in second["items"]] == ["SURVEY-06", "SURVEY-07"]
    assert second["total"] == 7
    newest = client.get("/api/v1/opportunities?q=survey&order=newest&limit=5", headers=lead)
    assert [o["external_id"] for o in newest.json()["items"]][:2] == ["SURVEY-07", "SURVEY-06"]
    older = client.get(
        f"/api/v1/opportunities?q=survey&order=newest&limit=5&cursor={newest.json()['next_cursor']}",
        headers=lead,
    ).json()
    assert [o["external_id"] for o in older["items"]] == ["SURVEY-02", "SURVEY-01"]
    counted = {o["external_id"]: o for o in first["items"]}["SURVEY-01"]
    assert (counted["applicants"], counted["seats_taken"], counted["seats"]) == (1, 0, 1)
    # A read's version still names the posting (its seats taken are not part of it); the
    # department is editable.
    read = client.get("/api/v1/opportunities/SURVEY-01", headers=lead)
    assert read.json()["seats_taken"] == 0
    edited = client.patch(
        "/api/v1/opportunities/SURVEY-01",
        json={"department": "Ports"},
        headers={**lead, "If-Match": read.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["department"] == "Ports"

    everyone = client.get("/api/v1/opportunities?q=harbour", headers=admin_headers).json()
    assert everyone["total"] == 8  # an admin sees every lead's, with who owns each
    owners = {o["external_id"]: o["owner_name"] for o in everyone["items"]}
    assert (owners["SURVEY-01"], owners["OTHER-1"]) == ("Lena Lead", "Mia Manager")
    none = client.get("/api/v1/opportunities?q=100%25_", headers=admin_headers).json()
    assert none["total"] == 0 and none["items"] == []  # % and _ are letters, not wildcards
    bad = client.get("/api/v1/opportunities?q=" + "x" * 201, headers=lead)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "q"


def test_an_admin_posts_for_a_lead_named_by_search_and_hears_which_field_is_wrong(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    found = client.get("/api/v1/opportunities/owners?q=lena", headers=admin_headers).json()
    assert [(p["external_id"], p["name"]) for p in found["items"]] == [("LEAD", "Lena Lead")]
    lead = token_for(state, Role.LEAD, "LEAD")
    assert client.get("/api/v1/opportunities/owners?q=lena", headers=lead).status_code == 403

    posting = make_opportunity("FOR-LENA", owner="LEAD", title="Churn review")
    del posting["owner_external_id"]
    missing = client.post("/api/v1/opportunities", json=posting, headers=admin_headers)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["field"] == "owner_external_id"
    assert "names the lead" in missing.json()["detail"][0]["message"]
    unknown = client.post(
        "/api/v1/opportunities",
        json={**posting, "owner_external_id": "NOBODY"},
        headers=admin_headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "owner_external_id"
    made = client.post(
        "/api/v1/opportunities",
        json={**posting, "owner_external_id": "LEAD"},
        headers=admin_headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["owner_external_id"] == "LEAD"
    # A lead may leave the owner out: it is theirs.
    own = client.post(
        "/api/v1/opportunities", json={**posting, "external_id": "LENAS-OWN"}, headers=lead
    )
    assert own.status_code == 201 and own.json()["owner_external_id"] == "LEAD"


def test_candidates_are_named_by_an_alias_until_they_apply_and_the_waitlist_is_in_order(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    listed = client.get("/api/v1/opportunities/MENTOR/candidates", headers=lead).json()["items"]
    assert listed, "the mentorship has candidates"
    for item in listed:
        candidate = item["candidate"]
        assert ALIAS.match(candidate["alias"]), candidate["alias"]
        assert candidate["alias"] == candidate_alias(candidate["handle"])
        assert "external_id" not in candidate  # only an admin sees who it is
    again = client.get("/api/v1/opportunities/MENTOR/candidates", headers=lead).json()["items"]
    assert [i["candidate"]["alias"] for i in again] == [i["candidate"]["alias"] for i in listed]

    ana, ben = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.EMPLOYEE, "BEN")
    cat = token_for(state, Role.EMPLOYEE, "CAT")
    assert step(client, ana, "MENTOR", action="apply").status_code == 201
    board = client.get("/api/v1/opportunities/MENTOR/pipeline", headers=lead).json()
    [applicant] = board["stages"]["applied"]
    assert applicant["candidate"]["identity"]["name"] == "Ana Analyst"  # revealed by applying
    assert ALIAS.match(applicant["candidate"]["alias"])
    handle = applicant["candidate"]["handle"]
    assert step(client, lead, "MENTOR", action="offer", candidate=handle).status_code == 200
    assert step(client, ana, "MENTOR", action="accept_offer").status_code == 200
    assert step(client, lead, "MENTOR", action="assign", candidate=handle).status_code == 200
    for who in (cat, ben):  # Cat first, then Ben
        assert step(client, who, "MENTOR", action="join_waitlist").status_code == 201
    board = client.get("/api/v1/opportunities/MENTOR/pipeline", headers=lead).json()
    assert (board["seats_taken"], board["seats"]) == (1, 1)
    waiting = board["stages"]["waitlisted"]
    assert [p["candidate"]["identity"]["name"] for p in waiting] == ["Cat Coder", "Ben Builder"]
    assert [p["waitlist_position"] for p in waiting] == [1, 2]
    listing = client.get("/api/v1/opportunities?q=python", headers=lead).json()
    [mentor] = [o for o in listing["items"] if o["external_id"] == "MENTOR"]
    assert (mentor["seats_taken"], mentor["applicants"]) == (1, 3)


def test_suggested_skills_tick_what_a_title_alone_stores(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    suggested = client.get(
        "/api/v1/opportunities/suggest-skills?title=Data%20engineer&limit=12", headers=lead
    ).json()
    implied = {
        kind: [s["skill_id"] for s in suggested["skills"] if s.get("implied") == kind]
        for kind in ("required", "preferred")
    }
    assert implied["required"] and implied["preferred"]
    posting = make_opportunity("TITLE-ONLY", owner="LEAD", title="Data engineer")
    posting["required_skills"], posting["preferred_skills"] = [], []
    stored = client.post("/api/v1/opportunities", json=posting, headers=lead).json()
    assert [s["skill_id"] for s in stored["required_skills"]] == implied["required"]
    assert [s["skill_id"] for s in stored["preferred_skills"]] == implied["preferred"]
    levels = {s["skill_id"]: s["level"] for s in suggested["skills"] if s.get("implied")}
    assert all(levels[s["skill_id"]] == s["level"] for s in stored["required_skills"])


def test_an_approval_states_the_week_with_what_is_already_committed(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)  # Ana: 14 free hours a week, managed by MGR
    small = make_opportunity("GIG-EIGHT", owner="LEAD", title="Churn data sweep", hours_per_week=8)
    assert client.post("/api/v1/opportunities/bulk", json=[small], headers=admin_headers).is_success
    ana, manager = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.EMPLOYEE, "MGR")
    for action in ("apply", "offer", "accept_offer", "assign"):
        who = ana if action in ("apply", "accept_offer") else admin_headers
        body = {} if who is ana else {"candidate": "ANA"}
        assert step(client, who, "GIG-EIGHT", action=action, **body).is_success, action
    for action in ("apply", "offer", "accept_offer"):  # GIG-BIG: 12 h, waits for MGR
        who = ana if action != "offer" else admin_headers
        body = {} if who is ana else {"candidate": "ANA"}
        assert step(client, who, "GIG-BIG", action=action, **body).is_success, action
    [approval] = client.get("/api/v1/approvals", headers=manager).json()["items"]
    assert approval["hours_per_week"] == 12
    assert approval["other_commitments_hours_per_week"] == 8
    assert [(c["title"], c["hours_per_week"]) for c in approval["commitments"]] == [
        ("Churn data sweep", 8)
    ]
    assert approval["availability_hours_per_week"] == 14
    assert approval["hours_left_per_week"] == -6  # 12 on top of 8 leaves -6 of 14
    # The approval links to the gig: the manager may read it.
    read = client.get("/api/v1/opportunities/GIG-BIG", headers=manager)
    assert read.status_code == 200 and read.json()["title"] == "Churn model"


def test_owner_search_ranks_leads_first_says_why_and_leaves_namesakes_after(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    # Five namesakes who lead nothing sort before the leads by name: a search cut at three
    # must still show the leads (those who post first), each with why they can own a posting.
    people = [make_employee(f"CH-{i}", name=f"Chloe A{'a' * i}lmeida") for i in range(5)]
    people += [
        make_employee("CH-POSTS", name="Chloe Suzuki", title="Data Lead"),
        make_employee("CH-TOKEN", name="Chloe Tanaka"),
        make_employee("CH-BOSS", name="Chloe Adams"),  # manages only: after those who post
        make_employee("CH-REPORT", name="Rory Report", manager_external_id="CH-BOSS"),
    ]
    assert client.post("/api/v1/employees/bulk", json=people, headers=admin_headers).is_success
    postings = [make_opportunity(f"CH-O{i}", owner="CH-POSTS") for i in range(2)]
    stored = client.post("/api/v1/opportunities/bulk", json=postings, headers=admin_headers)
    assert stored.is_success
    token_for(state, Role.LEAD, "CH-TOKEN")
    token_for(state, Role.EMPLOYEE, "CH-0")  # an employee token makes nobody a lead

    found = client.get("/api/v1/opportunities/owners?q=chloe&limit=3", headers=admin_headers)
    assert found.status_code == 200, found.text
    assert [(p["name"], p["leads"], p["why"]) for p in found.json()["items"]] == [
        ("Chloe Suzuki", True, "leads 2 postings"),
        ("Chloe Tanaka", True, "signs in as a lead"),
        ("Chloe Adams", True, "manages 1 person"),
    ]
    rest = client.get("/api/v1/opportunities/owners?q=chloe&limit=20", headers=admin_headers)
    after = rest.json()["items"][3:]
    assert [p["external_id"] for p in after] == [f"CH-{i}" for i in (4, 3, 2, 1, 0)]  # by name
    assert {p["why"] for p in after} == {"leads no postings and manages no one yet"}


def test_the_list_and_the_board_count_the_same_applicants_and_an_invitee_is_not_one(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    ana, cat = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.EMPLOYEE, "CAT")
    assert step(client, ana, "GIG-SMALL", action="apply").status_code == 201
    assert step(client, cat, "GIG-SMALL", action="apply").status_code == 201
    assert step(client, cat, "GIG-SMALL", action="withdraw").status_code == 200
    handle = handle_of(client, lead, "GIG-SMALL", admin_headers, "BEN")
    assert step(client, lead, "GIG-SMALL", action="invite", candidate=handle).status_code == 201
    # An application from the history alone (the demo's kind): it has no place on the board.
    with transaction(state.sessions) as session:
        session.add(
            InteractionRow(
                employee_external_id="MGR",
                opportunity_external_id="GIG-SMALL",
                type="apply",
                occurred_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
            )
        )

    def counts() -> tuple[int, int]:
        listed = client.get("/api/v1/opportunities?q=dashboard", headers=lead).json()
        board = client.get("/api/v1/opportunities/GIG-SMALL/pipeline", headers=lead).json()
        return listed["items"][0]["applicants"], board["applicants"]

    # Ana applied, Cat applied then withdrew: two, on both; Ben, invited, and Mia's history: not.
    assert counts() == (2, 2)
    ben = token_for(state, Role.EMPLOYEE, "BEN")
    assert step(client, ben, "GIG-SMALL", action="accept_invitation").status_code == 200
    assert counts() == (3, 3)  # accepting the invitation is applying


def test_a_new_posting_is_a_draft_or_open_and_its_department_is_one_of_the_companys(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    lead = token_for(state, Role.LEAD, "LEAD")
    for status in ("filled", "closed"):
        posting = {**make_opportunity(f"NEW-{status}", owner="LEAD"), "status": status}
        refused = client.post("/api/v1/opportunities", json=posting, headers=lead)
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()["detail"]
        assert problem["field"] == "status" and "draft or open" in problem["message"]
    draft = {**make_opportunity("NEW-DRAFT", owner="LEAD"), "status": "draft"}
    assert client.post("/api/v1/opportunities", json=draft, headers=lead).status_code == 201

    people = {
        p["department"]
        for p in client.get("/api/v1/employees", headers=admin_headers).json()["items"]
    }
    offered = client.get("/api/v1/opportunities/departments", headers=lead).json()["items"]
    assert set(offered) >= people and offered == sorted(offered)
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    assert client.get("/api/v1/opportunities/departments", headers=ana).status_code == 403
