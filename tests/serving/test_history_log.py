"""The history a page reads is held by the engine (matching/history_log.py) and is the
database's: after writes through the API and straight into the database by another process,
after an id committed out of order, and after an erasure or a purge renamed or deleted events.
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from data.schemas import InteractionIn, InteractionType, Role
from data.storage.engine import transaction
from data.storage.interactions import add_interactions, history_events
from data.storage.tables import InteractionRow, OversightEventRow
from features.events import EventColumns
from matching.history_log import HOLE_PATIENCE, HistoryLog
from serving.state import ServiceState
from tests.helpers.api import seed, token_for

PEOPLE = ["DATA", "WEB", "SHY", "LEAD"]
POSTINGS = ["GIG-DATA", "GIG-WEB", "GIG-CLOSED"]
T0 = dt.datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=dt.UTC)


def _event(person: str, posting: str, kind: str, minutes: int, **more: Any) -> InteractionIn:
    return InteractionIn(
        employee_external_id=person,
        opportunity_external_id=posting,
        type=InteractionType(kind),
        occurred_at=T0 + dt.timedelta(minutes=minutes),
        **more,
    )


HISTORY = [
    _event("DATA", "GIG-DATA", "impression", 0, position=1, request_id="r1"),
    _event("DATA", "GIG-DATA", "apply", 1),
    _event("DATA", "GIG-WEB", "save", 2),
    _event("DATA", "GIG-WEB", "unsave", 3),
    _event("WEB", "GIG-DATA", "dismiss", 4),
    _event("WEB", "GIG-WEB", "apply", 5),
    _event("LEAD", "GIG-WEB", "shortlist", 6),  # a posting's event, logged under its lead's pair
    _event("WEB", "GIG-WEB", "reject", 7),
    _event("SHY", "GIG-CLOSED", "complete", 8, rating=4),
    _event("SHY", "GIG-CLOSED", "rate", 9, rating=2),
    _event("SHY", "NOT-HELD", "apply", 10),  # a posting nobody holds: still logged
]


def _held_and_stored(
    held: HistoryLog, session: Session, people: Sequence[str] = PEOPLE
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    kept = held.events(session, people=people, opportunities=POSTINGS)
    stored = EventColumns.of(history_events(session, people=people, opportunities=POSTINGS))
    return list(kept.rows()), list(stored.rows())


def _seconds(minutes: int) -> int:
    return int((T0 + dt.timedelta(minutes=minutes)).timestamp())


def _logged(action: str, event_id: int | None = None) -> OversightEventRow:
    """The oversight event another process's erasure or purge writes."""
    return OversightEventRow(
        id=event_id,
        at=dt.datetime.now(dt.UTC),
        actor_role="hr",
        actor="hr",
        action=action,
        reason="the person asked" if action == "erasure" else "past its retention period",
        details={},
    )


def _company(client: TestClient, state: ServiceState, admin: dict[str, str]) -> HistoryLog:
    """The seeded company with HISTORY logged, and the engine's history read at once."""
    seed(client, admin)
    with transaction(state.sessions) as session:
        add_interactions(session, HISTORY)
    with state.sessions() as session:
        state.matcher.history.load(session)
    return state.matcher.history


def test_held_events_are_the_database_s_after_writes_from_anywhere(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    held = _company(client, state, admin_headers)
    with state.sessions() as session:
        kept, stored = _held_and_stored(held, session)
    assert kept == stored
    assert len(kept) == 10  # not the impression
    assert ("SHY", "GIG-CLOSED", "rate", _seconds(9), 2) in kept

    # This process: an application through the API is in the next read.
    me = token_for(state, Role.EMPLOYEE, "WEB")
    assert client.post("/api/v1/opportunities/GIG-DATA/applications", headers=me).status_code == 201
    # Another process writes straight into the database: no poll has run, the read has it.
    with transaction(state.sessions) as session:
        add_interactions(session, [_event("DATA", "GIG-WEB", "decline", 20)])
    with state.sessions() as session:
        kept, stored = _held_and_stored(held, session)
    assert kept == stored and len(kept) == 13  # the application undid WEB's dismissal too
    assert ("WEB", "GIG-DATA", "apply") in [e[:3] for e in kept]
    assert ("DATA", "GIG-WEB", "decline") in [e[:3] for e in kept]


def _insert_with_ids(
    state: ServiceState, event_ids: Sequence[int], posting: str, people: Sequence[str] = ("WEB",)
) -> None:
    """Events with these ids, as transactions that took them would commit them."""
    with transaction(state.sessions) as session:
        session.execute(
            insert(InteractionRow),
            [
                {
                    "id": event_id,
                    "employee_external_id": people[k % len(people)],
                    "opportunity_external_id": posting,
                    "type": "save",
                    "occurred_at": T0 + dt.timedelta(seconds=k),
                }
                for k, event_id in enumerate(event_ids)
            ],
        )
        if session.get_bind().dialect.name == "postgresql":  # later inserts go past these ids
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('interactions', 'id'), :n)"),
                {"n": max(event_ids) + 10},
            )


def _insert_with_id(state: ServiceState, event_id: int, posting: str) -> None:
    _insert_with_ids(state, [event_id], posting)


def _newest(state: ServiceState) -> int:
    with state.sessions() as session:
        return int(session.scalar(select(func.max(InteractionRow.id))) or 0)


def test_an_id_committed_after_a_newer_one_is_taken_in_until_it_is_given_up(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    _company(client, state, admin_headers)
    now = [0.0]
    held = HistoryLog(clock=lambda: now[0])
    with state.sessions() as session:
        held.load(session)
        newest = int(session.scalar(select(func.max(InteractionRow.id))) or 0)
    # Two transactions took ids newest+1 and newest+2; the second committed first.
    _insert_with_id(state, newest + 2, "GIG-WEB")
    with state.sessions() as session:
        kept, stored = _held_and_stored(held, session, ["WEB"])
    assert kept == stored
    _insert_with_id(state, newest + 1, "GIG-DATA")
    with state.sessions() as session:
        kept, stored = _held_and_stored(held, session, ["WEB"])
    assert kept == stored and ("WEB", "GIG-DATA", "save") in [e[:3] for e in kept]

    # An id missing for longer than HOLE_PATIENCE is no longer looked for (a rolled-back
    # insert's id never comes): one committed after that waits for the next full read.
    _insert_with_id(state, newest + 5, "GIG-WEB")
    with state.sessions() as session:
        held.events(session, people=["WEB"], opportunities=[])  # +3 and +4 are missing
        now[0] += HOLE_PATIENCE + 1
        held.events(session, people=["WEB"], opportunities=[])  # given up
    _insert_with_id(state, newest + 4, "GIG-CLOSED")
    with state.sessions() as session:
        kept, stored = _held_and_stored(held, session, ["WEB"])
        assert len(stored) == len(kept) + 1
        held.load(session)
        kept, stored = _held_and_stored(held, session, ["WEB"])
    assert kept == stored


def test_an_erasure_or_a_purge_elsewhere_is_read_again(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    held = _company(client, state, admin_headers)
    hr = token_for(state, Role.HR, None)
    erased = client.post(
        "/api/v1/employees/SHY/erasure", json={"reason": "the person asked"}, headers=hr
    )
    assert erased.status_code == 200, erased.text
    pseudonym = erased.json()["pseudonym"]
    with state.sessions() as session:
        kept, stored = _held_and_stored(held, session, [*PEOPLE, pseudonym])
    assert kept == stored
    assert "SHY" not in {e[0] for e in kept} and pseudonym in {e[0] for e in kept}

    # Another process purges DATA's events and logs it; this one's freshness poll reads again.
    with transaction(state.sessions) as session:
        session.execute(delete(InteractionRow).where(InteractionRow.employee_external_id == "DATA"))
        session.add(_logged("retention_purge"))
    with state.sessions() as session:
        assert "DATA" in held.events(session, people=PEOPLE, opportunities=[]).person_ids()
        state.matcher.catch_up(session)
        kept, stored = _held_and_stored(held, session)
    assert kept == stored and "DATA" not in {e[0] for e in kept}


def test_a_large_import_committed_after_newer_events_is_taken_in_whole(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """An import took 20,000 ids in one transaction; a live event took the next id and
    committed first. Once the import commits, a page has every one of its events (found by
    person through the owner order, sorted once this many have come in)."""
    held = _company(client, state, admin_headers)
    newest = _newest(state)
    _insert_with_id(state, newest + 20_001, "GIG-WEB")
    with state.sessions() as session:
        kept, stored = _held_and_stored(held, session)
    assert kept == stored
    _insert_with_ids(state, range(newest + 1, newest + 20_001), "GIG-DATA", PEOPLE)
    with state.sessions() as session:
        kept, stored = _held_and_stored(held, session)
        assert len(kept) > 20_000 and kept == stored
        assert held.events(session, people=["SHY"], opportunities=[]).posting_ids() == {
            "GIG-DATA",
            "GIG-CLOSED",
            "NOT-HELD",
        }


def test_many_scattered_missing_ids_are_all_found_when_they_commit(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """Forty ids missing among forty committed ones: asked for as at most a few dozen ranges,
    every one is taken in once it commits, and none of those held twice."""
    held = _company(client, state, admin_headers)
    newest = _newest(state)
    _insert_with_ids(state, range(newest + 2, newest + 82, 2), "GIG-WEB")
    with state.sessions() as session:
        held.events(session, people=["WEB"], opportunities=[])
    _insert_with_ids(state, range(newest + 1, newest + 81, 2), "GIG-DATA")
    with state.sessions() as session:
        kept, stored = _held_and_stored(held, session, ["WEB"])
    assert kept == stored
    assert sum(e[:3] == ("WEB", e[1], "save") for e in kept) == 80


def test_deletions_and_renames_another_process_did_not_announce_in_order_are_read_again(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    """The poll reads the history again when the oldest events went without an oversight
    event yet (a purge logs itself after it deleted), and when a rewriting oversight event
    commits below one already taken in."""
    held = _company(client, state, admin_headers)
    with transaction(state.sessions) as session:  # the purge's first transaction
        cut = session.scalar(
            select(InteractionRow.id).where(
                InteractionRow.employee_external_id == "DATA", InteractionRow.type == "apply"
            )
        )
        session.execute(delete(InteractionRow).where(InteractionRow.id <= cut))
    with state.sessions() as session:
        state.matcher.catch_up(session)
        kept, stored = _held_and_stored(held, session)
    assert kept == stored and ("DATA", "GIG-DATA", "apply") not in [e[:3] for e in kept]

    def rewrite(event_id: int, renamed: str) -> None:
        with transaction(state.sessions) as session:
            session.execute(
                update(InteractionRow)
                .where(InteractionRow.employee_external_id == renamed)
                .values(employee_external_id=f"erased-{renamed}")
            )
            session.add(_logged("erasure", event_id))

    with state.sessions() as session:
        top = int(session.scalar(select(func.max(OversightEventRow.id))) or 0)
    rewrite(top + 10, "WEB")  # took its id second, committed first
    with state.sessions() as session:
        state.matcher.catch_up(session)
    rewrite(top + 5, "SHY")
    with state.sessions() as session:
        state.matcher.catch_up(session)
        kept, stored = _held_and_stored(held, session, [*PEOPLE, "erased-SHY"])
    assert kept == stored and "SHY" not in {e[0] for e in kept}
