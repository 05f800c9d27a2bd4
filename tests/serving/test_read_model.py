"""A page's features come from the engine's memory (matching/read_model.py), and they are the
features the database says: after a write through the API, after another process's write
caught up by the freshness poll, and after a restart from the engine's snapshot."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from data.schemas import Role
from data.storage.engine import transaction
from data.storage.interactions import history_events
from data.storage.snapshots import snapshots_by_external_id
from data.storage.tables import EmployeeRow, EmployeeSkillRow, OpportunityRow, OpportunitySkillRow
from fairness.audit_log import decode_matrix
from features.events import EventColumns
from features.inputs import opportunity_inputs_from_row, person_inputs_from_row
from features.store import FeatureStore
from matching import read_model
from matching import sync as sync_module
from matching.engine import MatchEngine
from matching.pipeline import as_of_seconds, history_items_for
from serving.routes import personal_data as personal_data_routes
from serving.state import ServiceState
from serving.usecases import rankings
from tests.helpers.api import seed, token_for


def _record(client: TestClient, auditor: dict[str, str], body: dict[str, Any]) -> dict:
    return client.get(f"/api/v1/audits/rankings/{body['request_id']}", headers=auditor).json()


def features_from_the_database(state: ServiceState, record: dict[str, Any]) -> np.ndarray:
    """The served list's feature rows computed again from the rows as stored now."""
    ids = [item["id"] for item in record["items"]]
    query = record["query_external_id"]
    now = dt.datetime.fromisoformat(record["served_at"])
    with state.sessions() as session:
        if record["direction"] == "employee":
            people = list(snapshots_by_external_id(session, EmployeeRow, [query]).values())
            found_postings = snapshots_by_external_id(session, OpportunityRow, ids)
            postings = [found_postings[i] for i in ids]
        else:
            found_people = snapshots_by_external_id(session, EmployeeRow, ids)
            people = [found_people[i] for i in ids]
            postings = list(snapshots_by_external_id(session, OpportunityRow, [query]).values())
        owners = {o.owner_external_id for o in postings} - {p.external_id for p in people}
        people += list(snapshots_by_external_id(session, EmployeeRow, sorted(owners)).values())
        person_inputs = [person_inputs_from_row(p) for p in people]
        posting_inputs = [opportunity_inputs_from_row(o) for o in postings]
        events = EventColumns.of(
            history_events(
                session,
                people=[p.external_id for p in people],
                opportunities=[o.external_id for o in postings],
            )
        )
        labels = {s.skill_id: s.skill.label for p in people for s in p.skills}
        labels |= {s.skill_id: s.skill.label for o in postings for s in o.skills}
        store = FeatureStore(
            person_inputs,
            posting_inputs,
            embed=state.matcher.cache.vectors,
            skill_labels=labels.__getitem__,
            events=events,
            reference_date=now.date(),
            person_vectors=state.matcher.employee_vectors([p.id for p in people]),
            opportunity_vectors=state.matcher.opportunity_vectors([o.id for o in postings]),
            history_items=history_items_for(state.matcher, events, person_inputs, posting_inputs),
        )
    n = len(ids)
    pairs = (
        (np.zeros(n, np.int64), np.arange(n))
        if record["direction"] == "employee"
        else (
            np.arange(n),
            np.zeros(n, np.int64),
        )
    )
    return store.compute(*pairs, as_of_seconds(now))


def _assert_parity(state: ServiceState, record: dict[str, Any]) -> None:
    served = decode_matrix(record["features"])
    assert served.shape[0] >= 2, record["items"]
    np.testing.assert_array_equal(served, features_from_the_database(state, record))


def test_served_features_are_the_database_s_in_both_directions(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    auditor = token_for(state, Role.HR, "LEAD", ("auditor",))
    me = token_for(state, Role.EMPLOYEE, "DATA")
    lead = token_for(state, Role.LEAD, "LEAD")
    matches = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=me).json()
    _assert_parity(state, _record(client, auditor, matches))
    candidates = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=lead).json()
    _assert_parity(state, _record(client, auditor, candidates))


def test_a_profile_change_reaches_the_next_lists_features(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    seed(client, admin_headers)
    auditor = token_for(state, Role.HR, "LEAD", ("auditor",))
    lead = token_for(state, Role.LEAD, "LEAD")
    wes = token_for(state, Role.EMPLOYEE, "WEB")
    url = "/api/v1/opportunities/GIG-WEB/candidates"
    before = _record(client, auditor, client.get(url, headers=lead).json())
    # Wes raises a skill through the API (this process: the write refreshes the engine).
    skills = client.get("/api/v1/employees/WEB", headers=wes).json()["skills"]
    javascript = next(s["skill_id"] for s in skills if s["level"] == 4)
    put = client.put(f"/api/v1/employees/WEB/skills/{javascript}", json={"level": 5}, headers=wes)
    assert put.status_code == 200, put.text
    after = _record(client, auditor, client.get(url, headers=lead).json())
    _assert_parity(state, after)
    row = [i["id"] for i in after["items"]].index("WEB")
    assert not np.array_equal(
        decode_matrix(after["features"])[row],
        decode_matrix(before["features"])[[i["id"] for i in before["items"]].index("WEB")],
    )

    # Another process lowers it straight in the database: the freshness poll catches it up.
    with transaction(state.sessions) as session:
        web = session.query(EmployeeRow).filter_by(external_id="WEB").one()
        session.execute(
            update(EmployeeSkillRow)
            .where(EmployeeSkillRow.employee_id == web.id, EmployeeSkillRow.skill_id == javascript)
            .values(level=1)
        )
        web.updated_at = dt.datetime.now(dt.UTC)
    assert state.catch_up() >= 1
    _assert_parity(state, _record(client, auditor, client.get(url, headers=lead).json()))


def test_the_read_model_survives_a_restart_from_the_snapshot(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str], tmp_path
) -> None:
    seed(client, admin_headers)
    path = tmp_path / "engine.npz"
    state.matcher.save(path)
    restored = MatchEngine(state.matcher.cache, database=state.settings.database_url)
    with state.sessions() as session:
        restored.load(session, snapshot=path)
    held = state.matcher.read_model
    rows = sorted(held.person_rows(["LEAD", "DATA", "WEB", "SHY"]).values())
    assert restored.read_model.people(rows) == held.people(rows)
    assert restored.read_model.sizes == held.sizes


def test_a_row_the_memory_lacks_is_read_from_the_database_and_held(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """A row another process wrote a moment ago, not yet taken in: read once, then held."""
    seed(client, admin_headers)
    held = state.matcher.read_model
    rows = held.person_rows(["DATA", "WEB"])
    postings = held.posting_rows(["GIG-DATA"])
    held.drop_people(rows.values())
    held.drop_postings(postings.values())
    assert held.people(list(rows.values())) == {}
    auditor = token_for(state, Role.HR, "LEAD", ("auditor",))
    lead = token_for(state, Role.LEAD, "LEAD")
    me = token_for(state, Role.EMPLOYEE, "DATA")
    candidates = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=lead).json()
    _assert_parity(state, _record(client, auditor, candidates))
    matches = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=me).json()
    _assert_parity(state, _record(client, auditor, matches))
    assert set(held.people(list(rows.values()))) == set(rows.values())
    assert set(held.postings(list(postings.values()))) == set(postings.values())


def test_a_warmed_server_makes_no_item_facts_inside_a_page(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The skill facts of every held person and posting are made at start (`warm_up`), not by
    the first page that retrieves them (~5 ms of a lead's page at 100k people otherwise)."""
    seed(client, admin_headers)
    state.warm_up()

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("facts made inside a page")

    monkeypatch.setattr(read_model, "person_facts", refused)
    monkeypatch.setattr(read_model, "posting_facts", refused)
    lead = token_for(state, Role.LEAD, "LEAD")
    me = token_for(state, Role.EMPLOYEE, "DATA")
    listed = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=lead)
    assert listed.status_code == 200 and listed.json()["items"], listed.text
    matched = client.get("/api/v1/employees/DATA/matches?kind=gig", headers=me)
    assert matched.status_code == 200 and matched.json()["items"], matched.text


def test_a_person_another_worker_erased_leaves_this_worker_at_its_next_poll(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An erasure deletes the profile; the worker that did it forgets the person at once, the
    others only learn of it from the database: their next freshness poll must drop the person
    from their index and read model, or a lead there would still be shown them."""
    seed(client, admin_headers)
    listed = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=admin_headers)
    assert "DATA" in [item["candidate"]["external_id"] for item in listed.json()["items"]]
    held = state.matcher.read_model
    row_id = held.person_rows(["DATA"])["DATA"]
    # As another worker's erasure: this process is not told.
    monkeypatch.setattr(personal_data_routes, "_forget", lambda state, row_id: None)
    hr = token_for(state, Role.HR, None)
    erased = client.post(
        "/api/v1/employees/DATA/erasure", json={"reason": "the person asked"}, headers=hr
    )
    assert erased.status_code == 200, erased.text
    assert held.people([row_id])  # not yet known here

    with state.sessions() as session:
        state.matcher.catch_up(session)
    assert held.people([row_id]) == {}
    pool = state.matcher.retriever.employees  # a removed person keeps a place, inactive
    assert not pool.active[pool.position_of[row_id]]
    _assert_listed_without_data(client, admin_headers)


def _assert_listed_without_data(client: TestClient, admin: dict[str, str]) -> None:
    listed = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=admin)
    assert listed.status_code == 200, listed.text
    shown = [item["candidate"]["external_id"] for item in listed.json()["items"]]
    assert shown and "DATA" not in shown and not any(e.startswith("erased-") for e in shown)


def test_a_list_asked_for_before_the_poll_leaves_out_the_person_erased_elsewhere(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In the moments between another worker's erasure and this one's poll, a list that
    retrieves the person is served without them (it failed with a 500), and they leave."""
    seed(client, admin_headers)
    row_id = state.matcher.read_model.person_rows(["DATA"])["DATA"]
    monkeypatch.setattr(personal_data_routes, "_forget", lambda state, row_id: None)
    hr = token_for(state, Role.HR, None)
    erased = client.post(
        "/api/v1/employees/DATA/erasure", json={"reason": "the person asked"}, headers=hr
    )
    assert erased.status_code == 200, erased.text
    _assert_listed_without_data(client, admin_headers)
    assert state.matcher.read_model.people([row_id]) == {}


def test_a_posting_deleted_behind_the_server_s_back_is_no_longer_matched(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another process deletes a posting outright and logs nothing (a reset of the company's
    data does): no stamp moves, yet the freshness poll that counts the rows drops it (one
    within a minute), and no list offers it."""
    seed(client, admin_headers)
    with state.sessions() as session:
        state.matcher.catch_up(session)  # counted now: the next count is a minute away
    monkeypatch.setattr(sync_module, "ROW_COUNT_SECONDS", 0.0)
    web = token_for(state, Role.EMPLOYEE, "WEB")
    data = token_for(state, Role.EMPLOYEE, "DATA")
    assert "GIG-WEB" in _gigs_offered(client, "WEB", web)
    assert "GIG-DATA" in _gigs_offered(client, "DATA", data)
    held = state.matcher.read_model
    rows = held.posting_rows(["GIG-WEB", "GIG-DATA"])

    _delete_posting(state, rows["GIG-WEB"])
    with state.sessions() as session:
        assert state.matcher.catch_up(session) >= 1
        assert state.matcher.catch_up(session) == 0  # nothing more to do
    assert held.postings([rows["GIG-WEB"]]) == {}
    assert "GIG-WEB" not in _gigs_offered(client, "WEB", web)

    # Before any poll, a page that was to show one is served without it (it failed with a
    # 500), and the posting is forgotten with its stamp: the next poll has nothing to read.
    _delete_posting(state, rows["GIG-DATA"])
    assert "GIG-DATA" not in _gigs_offered(client, "DATA", data)
    assert held.postings([rows["GIG-DATA"]]) == {}
    with state.sessions() as session:
        assert state.matcher.catch_up(session) == 0


def _gigs_offered(client: TestClient, person: str, token: dict[str, str]) -> list[str]:
    matches = client.get(f"/api/v1/employees/{person}/matches?kind=gig", headers=token)
    assert matches.status_code == 200, matches.text
    return [item["opportunity"]["external_id"] for item in matches.json()["items"]]


def _delete_posting(state: ServiceState, row_id: int) -> None:
    with transaction(state.sessions) as session:
        owned = OpportunitySkillRow.opportunity_id == row_id
        session.execute(delete(OpportunitySkillRow).where(owned))
        session.execute(delete(OpportunityRow).where(OpportunityRow.id == row_id))


def _lower_skill_elsewhere(state: ServiceState, external_id: str, level: int) -> None:
    """Another worker's profile edit: the row and its stamp change, this process is not told."""
    with transaction(state.sessions) as session:
        person = session.query(EmployeeRow).filter_by(external_id=external_id).one()
        session.execute(
            update(EmployeeSkillRow)
            .where(EmployeeSkillRow.employee_id == person.id)
            .values(level=level)
        )
        person.updated_at = dt.datetime.now(dt.UTC)


def test_a_person_s_own_page_reads_their_latest_profile_before_any_poll(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A person edits their profile on one worker and opens their matches on another: the
    page is ranked on the profile as stored, not on the one this worker held (its page reads
    the person's row anyway, so a stamp that moved refreshes them first). So does a lead's
    page for its posting."""
    seed(client, admin_headers)
    auditor = token_for(state, Role.HR, "LEAD", ("auditor",))
    me = token_for(state, Role.EMPLOYEE, "DATA")
    url = "/api/v1/employees/DATA/matches?kind=gig"
    before = _record(client, auditor, client.get(url, headers=me).json())
    _lower_skill_elsewhere(state, "DATA", 1)
    after = _record(client, auditor, client.get(url, headers=me).json())
    _assert_parity(state, after)
    assert not np.array_equal(decode_matrix(after["features"]), decode_matrix(before["features"]))
    # Held as stored now: the next page reads nothing again.
    refreshed: list[object] = []
    sync = state.matcher.sync
    monkeypatch.setattr(sync, "refresh_employee_rows", refreshed.append)
    monkeypatch.setattr(sync, "refresh_opportunity_rows", refreshed.append)
    assert client.get(url, headers=me).status_code == 200
    assert refreshed == []
    monkeypatch.undo()

    lead = token_for(state, Role.LEAD, "LEAD")
    candidates = "/api/v1/opportunities/GIG-DATA/candidates"
    before = _record(client, auditor, client.get(candidates, headers=lead).json())
    with transaction(state.sessions) as session:
        posting = session.query(OpportunityRow).filter_by(external_id="GIG-DATA").one()
        session.execute(
            update(OpportunitySkillRow)
            .where(OpportunitySkillRow.opportunity_id == posting.id)
            .values(level=5)
        )
        posting.updated_at = dt.datetime.now(dt.UTC)
    after = _record(client, auditor, client.get(candidates, headers=lead).json())
    _assert_parity(state, after)
    assert not np.array_equal(decode_matrix(after["features"]), decode_matrix(before["features"]))


def test_a_page_shows_rows_as_stored_when_another_worker_changed_them_moments_ago(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before this worker's freshness poll, another one deactivates a person (SCIM, offboarding)
    and closes a posting: a lead's list here no longer offers the person, nor a person's list
    the posting, because the page reads its rows anyway and ranks again when a stamp moved."""
    seed(client, admin_headers)
    listed = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=admin_headers)
    assert "DATA" in [item["candidate"]["external_id"] for item in listed.json()["items"]]
    web = token_for(state, Role.EMPLOYEE, "WEB")
    assert "GIG-WEB" in _gigs_offered(client, "WEB", web)
    now = dt.datetime.now(dt.UTC)
    with transaction(state.sessions) as session:
        session.execute(
            update(EmployeeRow)
            .where(EmployeeRow.external_id == "DATA")
            .values(active=False, deactivated_at=now, updated_at=now)
        )
        session.execute(
            update(OpportunityRow)
            .where(OpportunityRow.external_id == "GIG-WEB")
            .values(status="closed", updated_at=now)
        )

    listed = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=admin_headers)
    assert listed.status_code == 200, listed.text
    assert "DATA" not in [item["candidate"]["external_id"] for item in listed.json()["items"]]
    assert "GIG-WEB" not in _gigs_offered(client, "WEB", web)
    with state.sessions() as session:  # taken in already: the poll finds nothing to do
        assert state.matcher.catch_up(session) == 0
    # Rows held as stored are not read again: the next pages rank once.
    refreshed: list[object] = []
    monkeypatch.setattr(state.matcher.sync, "refresh_employee_rows", refreshed.append)
    monkeypatch.setattr(state.matcher.sync, "refresh_opportunity_rows", refreshed.append)
    listed = client.get("/api/v1/opportunities/GIG-DATA/candidates", headers=admin_headers)
    assert listed.status_code == 200 and listed.json()["items"]
    assert _gigs_offered(client, "WEB", web)
    assert refreshed == []


@pytest.mark.parametrize("query", ["", "&hours_max=80"], ids=["plain", "filtered"])
def test_a_last_attempt_leaves_out_every_posting_deleted_meanwhile(
    client: TestClient,
    state: ServiceState,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    query: str,
) -> None:
    """However many retrieved rows were deleted before the poll (a reset), the last attempt
    reads every retrieved row and leaves the deleted out: a list, never a 500. A filtered list
    reads every row anyway (it failed with an AttributeError on the deleted one)."""
    seed(client, admin_headers)
    monkeypatch.setattr(rankings, "PAGE_ATTEMPTS", 1)  # the first attempt is the last
    data = token_for(state, Role.EMPLOYEE, "DATA")
    url = f"/api/v1/employees/DATA/matches?kind=gig{query}"

    def offered() -> list[str]:
        matches = client.get(url, headers=data)
        assert matches.status_code == 200, matches.text
        return [item["opportunity"]["external_id"] for item in matches.json()["items"]]

    assert "GIG-DATA" in offered()
    _delete_posting(state, state.matcher.read_model.posting_rows(["GIG-DATA"])["GIG-DATA"])
    assert "GIG-DATA" not in offered()
