"""Provisioning over SCIM 2.0 (/scim/v2): people created, found, paged, patched, deactivated
(out of matching and every pipeline, history kept) and reactivated; groups; SCIM errors for
bad input; and the provisioning token, which opens /scim/v2 and nothing else."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from data.schemas import Role
from data.storage.tables import DemographicsRow, InteractionRow, OversightEventRow, PipelineRow
from serving.state import ServiceState
from tests.helpers.api import token_for
from tests.serving.test_pipeline import company, handle_of, step

Headers = dict[str, str]
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = {"Content-Type": "application/scim+json"}


def scim_token(state: ServiceState) -> Headers:
    return {**token_for(state, Role.SCIM, None), **SCIM_JSON}


def user(user_name: str, **attributes: Any) -> dict[str, Any]:
    enterprise = attributes.pop("enterprise", None)
    body: dict[str, Any] = {"schemas": [CORE], "userName": user_name, **attributes}
    if enterprise is not None:
        body["schemas"].append(ENTERPRISE)
        body[ENTERPRISE] = enterprise
    return body


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def found(client: TestClient, scim: Headers, query: str) -> list[str]:
    answer = client.get(f"/scim/v2/Users?{query}", headers=scim)
    assert answer.status_code == 200, answer.text
    return [r["id"] for r in answer.json()["Resources"]]


def candidates(client: TestClient, admin: Headers, opportunity: str) -> set[str]:
    answer = client.get(f"/api/v1/opportunities/{opportunity}/candidates?limit=50", headers=admin)
    assert answer.status_code == 200, answer.text
    return {item["candidate"]["external_id"] for item in answer.json()["items"]}


def test_an_idp_creates_finds_pages_and_patches_people_as_employees(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    scim = scim_token(state)
    created = client.post(
        "/scim/v2/Users",
        json=user(
            "dana.lee@corp.example",
            externalId="okta-00u1",
            name={"givenName": "Dana", "familyName": "Lee"},
            emails=[{"value": "dana.lee@corp.example", "type": "work", "primary": True}],
            title="Data Engineer",
            gender="female",  # not a published attribute: ignored, never stored
            enterprise={
                "employeeNumber": "E900",
                "department": "Data",
                "manager": {"value": "MGR"},
            },
        ),
        headers=scim,
    )
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/scim+json"
    body = created.json()
    assert body["id"] == "E900" and body["active"] is True
    assert created.headers["ETag"] == body["meta"]["version"]
    assert created.headers["Location"].endswith("/scim/v2/Users/E900")
    assert body[ENTERPRISE] == {
        "employeeNumber": "E900",
        "department": "Data",
        "manager": {"value": "MGR"},  # imported, not a User: no $ref to a 404
    }
    profile = client.get("/api/v1/employees/E900", headers=admin_headers).json()
    assert (profile["name"], profile["email"], profile["title"]) == (
        "Dana Lee",
        "dana.lee@corp.example",
        "Data Engineer",
    )
    assert (profile["department"], profile["manager_external_id"]) == ("Data", "MGR")
    with state.sessions() as session:
        assert session.scalars(select(DemographicsRow)).all() == []  # nobody sent any

    # People imported before are linked, by employee number or by e-mail, not duplicated.
    ana = client.post(
        "/scim/v2/Users", json=user("ana", enterprise={"employeeNumber": "ANA"}), headers=scim
    )
    assert ana.status_code == 201 and ana.json()["id"] == "ANA", ana.text
    assert ana.json()["name"] == {"formatted": "Ana Analyst"}  # the profile's name
    ben = client.post(
        "/scim/v2/Users",
        json=user("ben", emails=[{"value": "BEN@corp.example", "primary": True}], active=True),
        headers=scim,
    )
    assert ben.status_code == 201 and ben.json()["id"] == "BEN", ben.text
    again = client.post(
        "/scim/v2/Users", json=user("ANA-again", enterprise={"employeeNumber": "ANA"}), headers=scim
    )
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    taken = client.post("/scim/v2/Users", json=user("DANA.LEE@corp.example"), headers=scim)
    assert taken.status_code == 409 and "userName" in taken.json()["detail"]

    # Filters: eq (userName is case-insensitive), co, sw, pr, and/or, on SQL columns and on
    # the attributes only the SCIM document holds.
    assert found(client, scim, 'filter=userName eq "Dana.Lee@CORP.example"') == ["E900"]
    assert found(client, scim, 'filter=externalId eq "okta-00u1"') == ["E900"]
    assert found(client, scim, 'filter=emails.value co "ben@"') == ["BEN"]
    assert found(client, scim, 'filter=userName sw "an"') == ["ANA"]
    assert found(client, scim, "filter=externalId pr") == ["E900"]
    assert found(client, scim, 'filter=userName eq "ana" or userName eq "ben"') == ["ANA", "BEN"]
    assert found(client, scim, 'filter=active eq true and title co "engineer"') == ["E900"]
    assert found(client, scim, f'filter={ENTERPRISE}:department eq "data"') == ["E900"]
    assert found(client, scim, f'filter={ENTERPRISE}:employeeNumber eq "E900"') == ["E900"]
    assert found(client, scim, 'filter=emails[type eq "work" and value sw "dana"]') == ["E900"]
    assert found(client, scim, 'filter=name.familyName eq "Lee"') == ["E900"]

    # Paging: 1-based startIndex, count, totalResults; attributes narrows each resource.
    page = client.get(
        "/scim/v2/Users?startIndex=2&count=1&attributes=userName", headers=scim
    ).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 2, 1)
    assert set(page["Resources"][0]) == {"schemas", "id", "meta", "userName"}
    assert client.get("/scim/v2/Users?count=0", headers=scim).json()["Resources"] == []

    # PATCH: replace an enterprise attribute, add a title, remove the manager.
    patched = client.patch(
        "/scim/v2/Users/E900",
        json=patch(
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Platform"},
            {"op": "add", "value": {"title": "Senior Data Engineer"}},
            {"op": "remove", "path": f"{ENTERPRISE}:manager"},
        ),
        headers=scim,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()[ENTERPRISE] == {"employeeNumber": "E900", "department": "Platform"}
    profile = client.get("/api/v1/employees/E900", headers=admin_headers).json()
    assert (profile["department"], profile["title"], profile["manager_external_id"]) == (
        "Platform",
        "Senior Data Engineer",
        None,
    )
    # Replaced whole (PUT): what is left out is removed.
    replaced = client.put(
        "/scim/v2/Users/E900", json=user("dana.lee@corp.example", active=True), headers=scim
    )
    assert replaced.status_code == 200, replaced.text
    assert "title" not in replaced.json() and "emails" not in replaced.json()

    # Every write is an oversight event by the provisioning token, naming no values.
    with state.sessions() as session:
        actions = [e.action for e in session.scalars(select(OversightEventRow))]
        roles = {e.actor_role for e in session.scalars(select(OversightEventRow))}
    assert actions.count("scim_user_create") == 1 and actions.count("scim_user_link") == 2
    assert "scim_user_patch" in actions and "scim_user_replace" in actions
    assert roles == {"scim"}


def link_users(client: TestClient, scim: Headers, *numbers: str) -> None:
    """Imported people taken over by SCIM, matched by their employee numbers."""
    for number in numbers:
        linked = client.post(
            "/scim/v2/Users",
            json=user(number.lower(), enterprise={"employeeNumber": number}),
            headers=scim,
        )
        assert linked.status_code == 201, linked.text


def test_a_deactivated_person_leaves_matching_and_every_pipeline_and_comes_back(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    scim = scim_token(state)
    link_users(client, scim, "ANA", "MGR")
    ana, lead = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.LEAD, "LEAD")
    hr = token_for(state, Role.HR, "CAT")
    assert "ANA" in candidates(client, admin_headers, "MENTOR")

    # Ana: invited to one gig, offered another and accepted (12 h: her manager must approve).
    handle = handle_of(client, lead, "GIG-SMALL", admin_headers, "ANA")
    assert step(client, lead, "GIG-SMALL", action="invite", candidate=handle).status_code in (
        200,
        201,
    )
    assert step(client, ana, "GIG-BIG", action="apply").status_code == 201
    board = client.get("/api/v1/opportunities/GIG-BIG/pipeline", headers=lead).json()
    big = board["stages"]["applied"][0]["candidate"]["handle"]
    assert step(client, lead, "GIG-BIG", action="offer", candidate=big).status_code == 200
    accepted = step(client, ana, "GIG-BIG", action="accept_offer").json()
    assert accepted["approval"]["status"] == "pending"

    # Her manager leaves: the approval waiting on him goes to HR (he has no manager on record).
    gone = client.patch(
        "/scim/v2/Users/MGR",
        json=patch({"op": "replace", "path": "active", "value": False}),
        headers=scim,
    )
    assert gone.status_code == 200 and gone.json()["active"] is False, gone.text
    [escalated] = client.get("/api/v1/approvals", headers=hr).json()["items"]
    assert escalated["employee"]["external_id"] == "ANA"

    # Ana leaves (Entra ID's way: "False" as text, no path).
    left = client.patch(
        "/scim/v2/Users/ANA",
        json=patch({"op": "Replace", "value": {"active": "False"}}),
        headers=scim,
    )
    assert left.status_code == 200 and left.json()["active"] is False, left.text
    for opportunity in ("MENTOR", "GIG-SMALL", "GIG-BIG"):
        assert "ANA" not in candidates(client, admin_headers, opportunity)
    assert (
        client.get("/api/v1/employees/ANA/matches?kind=gig", headers=admin_headers).status_code
        == 409
    )
    assert client.get("/api/v1/employees/ANA", headers=ana).status_code == 401  # token revoked
    assert client.get("/api/v1/approvals", headers=hr).json()["items"] == []
    with state.sessions() as session:
        stages = {
            p.opportunity_external_id: (p.stage, p.approval)
            for p in session.scalars(
                select(PipelineRow).where(PipelineRow.employee_external_id == "ANA")
            )
        }
        steps = [
            (e.opportunity_external_id, e.type, e.actor_role)
            for e in session.scalars(
                select(InteractionRow)
                .where(InteractionRow.employee_external_id == "ANA")
                .order_by(InteractionRow.id)
            )
        ]
    assert stages == {"GIG-SMALL": ("lapsed", "none"), "GIG-BIG": ("withdrawn", "cancelled")}
    assert ("GIG-SMALL", "lapse", "scim") in steps and ("GIG-BIG", "withdraw", "scim") in steps
    assert ("GIG-BIG", "apply", "employee") in steps  # the history stays

    # Reactivated: matched again (the ended pairs stay ended).
    back = client.patch(
        "/scim/v2/Users/ANA",
        json=patch({"op": "replace", "path": "active", "value": True}),
        headers=scim,
    )
    assert back.status_code == 200 and back.json()["active"] is True
    assert "ANA" in candidates(client, admin_headers, "MENTOR")

    # Deleted: gone from SCIM, deactivated here, the profile and history kept.
    assert client.delete("/scim/v2/Users/ANA", headers=scim).status_code == 204
    assert client.get("/scim/v2/Users/ANA", headers=scim).status_code == 404
    assert "ANA" not in candidates(client, admin_headers, "MENTOR")
    assert client.get("/api/v1/employees/ANA", headers=admin_headers).status_code == 200
    relinked = client.post(
        "/scim/v2/Users", json=user("ana", enterprise={"employeeNumber": "ANA"}), headers=scim
    )
    assert relinked.status_code == 201 and relinked.json()["active"] is True
    assert "ANA" in candidates(client, admin_headers, "MENTOR")


def test_groups_hold_provisioned_people_and_patch_their_members(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    scim = scim_token(state)
    for number in ("ANA", "LEAD"):
        client.post(
            "/scim/v2/Users",
            json=user(number.lower(), enterprise={"employeeNumber": number}),
            headers=scim,
        )
    leads = client.post(
        "/scim/v2/Groups",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "leads",
            "members": [{"value": "LEAD"}],
        },
        headers=scim,
    )
    assert leads.status_code == 201, leads.text
    group_id = leads.json()["id"]
    added = client.patch(
        f"/scim/v2/Groups/{group_id}",
        json=patch({"op": "Add", "path": "members", "value": [{"value": "ANA"}]}),
        headers=scim,
    )
    assert sorted(m["value"] for m in added.json()["members"]) == ["ANA", "LEAD"], added.text
    assert client.get("/scim/v2/Users/ANA", headers=scim).json()["groups"][0]["display"] == "leads"
    listed = client.get(
        '/scim/v2/Groups?filter=displayName eq "LEADS" and members eq "ANA"', headers=scim
    )
    assert [g["id"] for g in listed.json()["Resources"]] == [group_id]
    removed = client.patch(
        f"/scim/v2/Groups/{group_id}",
        json=patch({"op": "remove", "path": 'members[value eq "ANA"]'}),
        headers=scim,
    )
    assert [m["value"] for m in removed.json()["members"]] == ["LEAD"], removed.text
    clash = client.post("/scim/v2/Groups", json={"displayName": "Leads"}, headers=scim)
    assert clash.status_code == 409 and clash.json()["scimType"] == "uniqueness"
    stranger = client.post(
        "/scim/v2/Groups", json={"displayName": "hr", "members": [{"value": "BEN"}]}, headers=scim
    )
    assert stranger.status_code == 400 and "BEN" in stranger.json()["detail"]  # not provisioned
    assert client.delete(f"/scim/v2/Groups/{group_id}", headers=scim).status_code == 204
    assert client.get(f"/scim/v2/Groups/{group_id}", headers=scim).status_code == 404


def test_bad_input_gets_a_scim_error_naming_the_problem_never_a_500(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    scim = scim_token(state)
    client.post(
        "/scim/v2/Users", json=user("ana", enterprise={"employeeNumber": "ANA"}), headers=scim
    )

    def error(answer: Any, status: int, scim_type: str | None, words: str) -> None:
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/scim+json"
        body = answer.json()
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert body["status"] == str(status) and body.get("scimType") == scim_type
        assert words in body["detail"], body

    error(
        client.post("/scim/v2/Users", content=b"{not json", headers=scim),
        400,
        "invalidSyntax",
        "not JSON",
    )
    error(
        client.post("/scim/v2/Users", json=[1], headers=scim), 400, "invalidSyntax", "JSON object"
    )
    error(
        client.post("/scim/v2/Users", json={"schemas": [CORE]}, headers=scim),
        400,
        "invalidValue",
        "userName",
    )
    error(
        client.post(
            "/scim/v2/Users", json=user("x", emails=[{"value": "not-an-address"}]), headers=scim
        ),
        400,
        "invalidValue",
        "emails",
    )
    error(
        client.post(
            "/scim/v2/Users",
            json=user("y", enterprise={"employeeNumber": "no spaces"}),
            headers=scim,
        ),
        400,
        "invalidValue",
        "employeeNumber",
    )
    error(
        client.post("/scim/v2/Users", json=user("z", active="maybe"), headers=scim),
        400,
        "invalidValue",
        "active",
    )
    error(
        client.get("/scim/v2/Users?filter=userName eqq 1", headers=scim),
        400,
        "invalidFilter",
        "filter",
    )
    error(
        client.get('/scim/v2/Users?filter=active eq "yes"', headers=scim),
        400,
        "invalidFilter",
        "active",
    )
    error(
        client.get("/scim/v2/Users?startIndex=two", headers=scim), 400, "invalidValue", "startIndex"
    )
    error(client.get("/scim/v2/Users?sortBy=userName", headers=scim), 400, "invalidValue", "sort")
    error(client.get("/scim/v2/Users/NOBODY", headers=scim), 404, None, "NOBODY")
    error(client.get("/scim/v2/Elsewhere", headers=scim), 404, None, "Elsewhere")
    error(client.put("/scim/v2/Users", json={}, headers=scim), 405, None, "PUT")
    error(
        client.patch(
            "/scim/v2/Users/ANA", json=patch({"op": "explode", "path": "title"}), headers=scim
        ),
        400,
        "invalidValue",
        "op",
    )
    error(
        client.patch(
            "/scim/v2/Users/ANA",
            json=patch({"op": "replace", "path": "groups", "value": []}),
            headers=scim,
        ),
        400,
        "mutability",
        "read-only",
    )
    error(
        client.put(
            "/scim/v2/Users/ANA", json=user("ana"), headers={**scim, "If-Match": 'W/"stale"'}
        ),
        412,
        None,
        "version",
    )
    current = client.get("/scim/v2/Users/ANA", headers=scim)
    fresh = client.put(
        "/scim/v2/Users/ANA",
        json=user("ana"),
        headers={**scim, "If-Match": current.headers["ETag"]},
    )
    assert fresh.status_code == 200, fresh.text
    error(client.post("/scim/v2/.search", json={}, headers=scim), 501, None, "apart")
    # Ben's address, under another employee number: one person per e-mail address.
    error(
        client.post(
            "/scim/v2/Users",
            json=user(
                "imposter",
                emails=[{"value": "ben@corp.example"}],
                enterprise={"employeeNumber": "NEW1"},
            ),
            headers=scim,
        ),
        409,
        "uniqueness",
        "e-mail",
    )
    unassigned = client.put("/scim/v2/Users/ANA", json=user("ana", active=None), headers=scim)
    assert unassigned.status_code == 200 and unassigned.json()["active"] is True


def test_the_provisioning_token_opens_scim_and_nothing_else(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    issued = client.post(
        "/api/v1/tokens", json={"role": "scim", "label": "Okta provisioning"}, headers=admin_headers
    )
    assert issued.status_code == 201, issued.text
    scim = {"Authorization": f"Bearer {issued.json()['token']}", **SCIM_JSON}
    assert client.get("/scim/v2/ServiceProviderConfig", headers=scim).status_code == 200
    for path in ("/api/v1/employees", "/api/v1/opportunities", "/api/v1/tokens", "/api/v1/me"):
        refused = client.get(path, headers=scim)
        assert refused.status_code == 403, (path, refused.text)
    # An admin's or a person's token does not open /scim/v2; neither does none.
    ana = token_for(state, Role.EMPLOYEE, "ANA")
    for headers in (admin_headers, ana):
        refused = client.get("/scim/v2/Users", headers=headers)
        assert refused.status_code == 403 and refused.json()["status"] == "403"
    anonymous = client.get("/scim/v2/Users")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    # It acts as no person, and it is withdrawn like any token.
    person = client.post(
        "/api/v1/tokens", json={"role": "scim", "subject_external_id": "ANA"}, headers=admin_headers
    )
    assert person.status_code == 422 and "no person" in person.text
    token_id = issued.json()["token_id"]
    assert (
        client.post(f"/api/v1/tokens/{token_id}/revoke", headers=admin_headers).status_code == 200
    )
    assert client.get("/scim/v2/Users", headers=scim).status_code == 401


def test_a_deactivation_written_by_another_process_reaches_this_ones_pool(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    """Another server worker (or `talent` on the command line) deactivates: this process's
    catch-up (the freshness poll, or PostgreSQL's change feed waking it) drops the person."""
    import datetime as dt

    from data.storage.employees import get_employee
    from data.storage.engine import transaction
    from data.storage.offboarding import set_active

    company(client, admin_headers)
    assert "ANA" in candidates(client, admin_headers, "MENTOR")
    for active in (False, True):
        with transaction(state.sessions) as session:
            ana = get_employee(session, "ANA")
            assert ana is not None
            assert set_active(session, ana, active, now=dt.datetime.now(dt.UTC))
        state.catch_up()
        assert ("ANA" in candidates(client, admin_headers, "MENTOR")) is active


def test_an_approval_asked_after_the_manager_left_goes_above_them(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    scim = scim_token(state)
    link_users(client, scim, "ANA", "MGR")
    gone = client.patch(
        "/scim/v2/Users/MGR",
        json=patch({"op": "replace", "path": "active", "value": False}),
        headers=scim,
    )
    assert gone.status_code == 200, gone.text
    ana, lead = token_for(state, Role.EMPLOYEE, "ANA"), token_for(state, Role.LEAD, "LEAD")
    assert step(client, ana, "GIG-BIG", action="apply").status_code == 201
    board = client.get("/api/v1/opportunities/GIG-BIG/pipeline", headers=lead).json()
    big = board["stages"]["applied"][0]["candidate"]["handle"]
    assert step(client, lead, "GIG-BIG", action="offer", candidate=big).status_code == 200
    accepted = step(client, ana, "GIG-BIG", action="accept_offer").json()
    assert accepted["approval"]["status"] == "pending"
    # Her manager left and has none above him: HR decides, not the deactivated manager.
    with state.sessions() as session:
        pair = session.scalars(
            select(PipelineRow).where(PipelineRow.employee_external_id == "ANA")
        ).one()
    assert pair.approver_external_id is None
    hr = token_for(state, Role.HR, "CAT")
    [waiting] = client.get("/api/v1/approvals", headers=hr).json()["items"]
    assert waiting["employee"]["external_id"] == "ANA"


def test_enterprise_attributes_answer_to_their_short_names(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    """RFC 7644 §3.10: an extension attribute may be named without its URN when no core
    attribute has its name, in filters, `attributes`/`excludedAttributes` and PATCH paths."""
    company(client, admin_headers)
    scim = scim_token(state)
    for number, name, department, manager in (
        ("E90001", "dana", "Data", "MGR"),
        ("E90002", "eli", "Sales", "LEAD"),
    ):
        created = client.post(
            "/scim/v2/Users",
            json=user(
                name,
                displayName=name.title(),
                enterprise={
                    "employeeNumber": number,
                    "department": department,
                    "manager": {"value": manager},
                },
            ),
            headers=scim,
        )
        assert created.status_code == 201, created.text

    # Filters: short, full and differently cased names find the same people, in SQL (the
    # first five) and on the rendered Users (displayName, manager.$ref have no column).
    for query in (
        'employeeNumber eq "E90001"',
        'employeenumber eq "e90001"',
        f'{ENTERPRISE}:employeeNumber eq "E90001"',
        'department eq "data" and manager.value eq "MGR"',
        'manager eq "MGR"',
        'displayName eq "Dana" and employeeNumber sw "E9"',
        'not (employeeNumber eq "E90002") and manager.value pr',
    ):
        assert found(client, scim, f"filter={query}") == ["E90001"], query
    assert found(client, scim, "filter=employeeNumber pr") == ["E90001", "E90002"]
    searched = client.post(
        "/scim/v2/Users/.search", json={"filter": 'Manager.Value eq "LEAD"'}, headers=scim
    )
    assert [r["id"] for r in searched.json()["Resources"]] == ["E90002"], searched.text

    # attributes / excludedAttributes.
    narrowed = client.get(
        "/scim/v2/Users/E90001?attributes=employeeNumber,manager.value", headers=scim
    ).json()
    assert narrowed[ENTERPRISE] == {"employeeNumber": "E90001", "manager": {"value": "MGR"}}
    assert "userName" not in narrowed
    listed = client.get(
        '/scim/v2/Users?filter=employeeNumber eq "E90002"&excludedAttributes=department,manager',
        headers=scim,
    ).json()
    assert listed["Resources"][0][ENTERPRISE] == {"employeeNumber": "E90002"}

    # PATCH paths.
    patched = client.patch(
        "/scim/v2/Users/E90001",
        json=patch(
            {"op": "replace", "path": "department", "value": "Platform"},
            {"op": "replace", "path": "manager.value", "value": "LEAD"},
            {"op": "replace", "path": "employeeNumber", "value": "E90009"},
        ),
        headers=scim,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()[ENTERPRISE]["department"] == "Platform"
    assert patched.json()[ENTERPRISE]["manager"] == {"value": "LEAD"}
    # A later employeeNumber is kept as the User's attribute; the id stays.
    assert patched.json()[ENTERPRISE]["employeeNumber"] == "E90009"
    assert found(client, scim, 'filter=employeeNumber eq "E90009"') == ["E90001"]
    profile = client.get("/api/v1/employees/E90001", headers=admin_headers).json()
    assert (profile["department"], profile["manager_external_id"]) == ("Platform", "LEAD")
    removed = client.patch(
        "/scim/v2/Users/E90001", json=patch({"op": "remove", "path": "Manager"}), headers=scim
    )
    assert removed.status_code == 200 and "manager" not in removed.json()[ENTERPRISE]
    assert found(client, scim, 'filter=department eq "platform"') == ["E90001"]


def test_a_filter_on_an_unknown_attribute_is_refused_and_no_published_one_is(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    company(client, admin_headers)
    scim = scim_token(state)
    client.post(
        "/scim/v2/Users",
        json=user("ana", enterprise={"employeeNumber": "ANA", "manager": {"value": "MGR"}}),
        headers=scim,
    )
    client.post("/scim/v2/Groups", json={"displayName": "leads"}, headers=scim)
    for endpoint, query, named in (
        ("Users", 'bogus eq "x"', "bogus"),
        ("Users", "bogus pr", "bogus"),
        ("Users", 'userName eq "ana" or bogus eq "x"', "bogus"),
        ("Users", 'name.nickname eq "x"', "name.nickname"),
        ("Users", 'emails[bogus eq "x"]', "bogus"),
        ("Users", f'{ENTERPRISE}:costCenter eq "x"', "costCenter"),
        ("Users", 'urn:example:params:scim:schemas:extension:acme:2.0:User:x eq "y"', "acme"),
        ("Groups", 'department eq "x"', "department"),
        ("Groups", "bogus pr", "bogus"),
    ):
        refused = client.get(f"/scim/v2/{endpoint}?filter={query}", headers=scim)
        assert refused.status_code == 400, (query, refused.text)
        body = refused.json()
        assert body["scimType"] == "invalidFilter" and named in body["detail"], body
    searched = client.post("/scim/v2/Users/.search", json={"filter": "bogus pr"}, headers=scim)
    assert searched.status_code == 400 and searched.json()["scimType"] == "invalidFilter"

    # Every attribute and sub-attribute /Schemas publishes, with its URN and without, and
    # the common ones (RFC 7643 §3.1), is taken.
    schemas = {s["id"]: s for s in client.get("/scim/v2/Schemas", headers=scim).json()["Resources"]}
    for endpoint, urns in (("Users", (CORE, ENTERPRISE)), ("Groups", (GROUP,))):
        names = ["id", "externalId", "meta.created", "meta.lastModified", "meta.version"]
        for urn in urns:
            for attribute in schemas[urn]["attributes"]:
                paths = [attribute["name"]] + [
                    f"{attribute['name']}.{sub['name']}"
                    for sub in attribute.get("subAttributes", [])
                ]
                names += [form for path in paths for form in (path, f"{urn}:{path}")]
        for name in names:
            answer = client.get(f"/scim/v2/{endpoint}?filter={name} pr", headers=scim)
            assert answer.status_code == 200, (endpoint, name, answer.text)
    assert found(client, scim, "filter=manager.$ref pr") == []  # MGR is not a User


def test_the_managers_ref_points_to_a_user_or_is_left_out(
    client: TestClient, state: ServiceState, admin_headers: Headers
) -> None:
    """RFC 7643 §4.3: manager.$ref is the URI of the manager's SCIM resource. A manager who
    was imported and never provisioned has none: `value` (their id) only, never a 404 link."""
    company(client, admin_headers)
    scim = scim_token(state)
    ana = client.post(
        "/scim/v2/Users",
        json=user("ana", enterprise={"employeeNumber": "ANA", "manager": {"value": "MGR"}}),
        headers=scim,
    )
    assert ana.status_code == 201, ana.text
    assert ana.json()[ENTERPRISE]["manager"] == {"value": "MGR"}
    assert client.get("/scim/v2/Users/MGR", headers=scim).status_code == 404

    mia = client.post(
        "/scim/v2/Users", json=user("mia", enterprise={"employeeNumber": "MGR"}), headers=scim
    )
    assert mia.status_code == 201, mia.text
    read = client.get("/scim/v2/Users/ANA", headers=scim)
    manager = read.json()[ENTERPRISE]["manager"]
    assert manager == {"value": "MGR", "$ref": "http://testserver/scim/v2/Users/MGR"}
    assert read.headers["ETag"] != ana.headers["ETag"]  # what the User says moved
    followed = client.get(manager["$ref"].removeprefix("http://testserver"), headers=scim)
    assert followed.status_code == 200 and followed.json()["id"] == "MGR"
    listed = client.get('/scim/v2/Users?filter=userName eq "ana"', headers=scim).json()
    assert listed["Resources"][0][ENTERPRISE]["manager"] == manager
    assert found(client, scim, "filter=manager.$ref pr") == ["ANA"]
    # Deleted over SCIM, the manager is no SCIM resource again.
    assert client.delete("/scim/v2/Users/MGR", headers=scim).status_code == 204
    again = client.get("/scim/v2/Users/ANA", headers=scim).json()
    assert again[ENTERPRISE]["manager"] == {"value": "MGR"}
