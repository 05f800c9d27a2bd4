"""The linkage attack of the security review, run on a demo company through the API: can a lead
find the same masked person again in another list, or find a person revealed to them in the
lists where they did not apply?

The review's cards (every reviewed skill with its level, the person's level, free hours and
`open_to`) were unique within their lists, so matching them across lists found people again.
Today's cards say only what the posting asks about, each looking exactly like k-1 others of its
list (matching/masking.py). The attacker here is strong: they see each list whole (limit=100),
know every posting's asked skills and levels, and, for the revealed person, the full profile.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pytest
from fastapi.testclient import TestClient

from data.demo import generate_company
from data.importing.demo import store_demo_company
from data.schemas import Role
from data.storage.employees import get_employee
from data.storage.engine import transaction
from data.storage.opportunities import get_opportunity
from data.taxonomy.packaged import load_packaged_taxonomy
from matching.masking import Facts, Masked, Posting, card, full_facts, levels_of
from matching.results import candidate_handle
from serving.state import ServiceState
from tests.conftest import TODAY
from tests.helpers.api import token_for

pytestmark = pytest.mark.slow
LISTS = 6

Interval = tuple[int, int]
ALL_LEVELS: Interval = (0, 5)


def _intervals(card: dict[str, Any]) -> dict[str, Interval]:
    """What a card says of each asked skill's level, as the levels it allows."""
    out: dict[str, Interval] = {}
    for skill in card.get("asked_skills") or []:
        asked = skill["level_asked"]
        out[skill["skill_id"]] = {
            "at_or_above": (asked, 5),
            "below": (1, asked - 1),
            "held": (1, 5),
            "not_held": (0, 0),
        }[skill["held"]]
    return out


def _consistent(a: dict[str, Interval], b: dict[str, Interval]) -> bool:
    for skill in a.keys() & b.keys():
        (low_a, high_a), (low_b, high_b) = a[skill], b[skill]
        if max(low_a, low_b) > min(high_a, high_b):
            return False
    return True


def _links(lists: dict[str, list[tuple[str, Any]]], compatible: Any) -> tuple[set[str], int]:
    """People found again across two lists by a mutual unique match (each card the only one of
    the other list that fits it), and how many such matches were wrong."""
    found, wrong = set(), 0
    for first, second in itertools.combinations(lists, 2):
        left, right = lists[first], lists[second]
        fits = {
            i: [j for j, (_, b) in enumerate(right) if compatible(a, b)]
            for i, (_, a) in enumerate(left)
        }
        back: dict[int, list[int]] = defaultdict(list)
        for i, js in fits.items():
            for j in js:
                back[j].append(i)
        for i, js in fits.items():
            if len(js) == 1 and back[js[0]] == [i]:
                if left[i][0] == right[js[0]][0]:
                    found.add(left[i][0])
                else:
                    wrong += 1
    return found, wrong


def test_masked_candidates_cannot_be_linked_across_lists_or_found_after_a_reveal(
    client: TestClient, state: ServiceState, admin_headers: dict[str, str]
) -> None:
    company = generate_company(
        load_packaged_taxonomy(), employees=1200, opportunities=150, seed=11, as_of=TODAY
    )
    with transaction(state.sessions) as session:
        store_demo_company(session, company)
    with state.sessions() as session:
        state.matcher.load(session)
    by_lead: dict[str, list[str]] = defaultdict(list)
    for posting in company.opportunities:
        if posting.status.value == "open":
            by_lead[posting.owner_external_id].append(posting.external_id)
    lists: dict[str, list[tuple[str, dict[str, Any]]]] = {}  # posting -> (person, card)
    postings, people = {}, {}
    with state.sessions() as session:

        def listed(lead: str, external_id: str) -> list[tuple[str, dict[str, Any]]]:
            """The lead's whole list for one posting, with who is behind each handle (the test
            knows the key; the lead does not)."""
            body = client.get(
                f"/api/v1/opportunities/{external_id}/candidates?limit=100",
                headers=token_for(state, Role.LEAD, lead),
            )
            assert body.status_code == 200, body.text
            opportunity = get_opportunity(session, external_id)
            assert opportunity is not None
            postings[external_id] = (lead, opportunity, Posting.of(opportunity))
            handles = {
                item["candidate"]["handle"]: item["candidate"] for item in body.json()["items"]
            }
            found = []
            for employee in company.employees:
                handle = candidate_handle(state.pseudonym_key, opportunity, employee.external_id)
                if handle in handles:
                    found.append((employee.external_id, handles[handle]))
                    if employee.external_id not in people:
                        row = get_employee(session, employee.external_id)
                        assert row is not None
                        people[employee.external_id] = row
            assert len(found) == len(handles)
            return found

        # Six lists, as in the review: four of the busiest lead's, then other leads' (lists
        # that come back empty are left out).
        for lead in sorted(by_lead, key=lambda lead: (-len(by_lead[lead]), lead)):
            taken, most = 0, LISTS - 2 if not lists else LISTS
            for external_id in by_lead[lead]:
                if len(lists) == LISTS or taken == most:
                    break
                cards = listed(lead, external_id)
                if cards:
                    lists[external_id], taken = cards, taken + 1
        assert len(lists) == LISTS and len({postings[p][0] for p in lists}) >= 2

        seen = defaultdict(set)
        for external_id, cards in lists.items():
            for person, _ in cards:
                seen[person].add(external_id)
        repeated = {p for p, where in seen.items() if len(where) > 1}
        assert len(repeated) >= 30, "the attack needs people listed more than once"

        # The review's cards, rebuilt for the same lists: every reviewed skill with its level,
        # level, free hours and open_to.
        def old_card(person: str) -> tuple[Any, ...]:
            row = people[person]
            skills = tuple(
                sorted((s.skill_id, s.level) for s in row.skills if s.skill.status == "reviewed")
            )
            return (skills, row.level, row.availability_hours_per_week, tuple(row.open_to))

        old_lists = {p: [(who, old_card(who)) for who, _ in cards] for p, cards in lists.items()}
        old_found, _ = _links(old_lists, lambda a, b: a == b)
        new_found, new_wrong = _links(
            {p: [(who, _intervals(card)) for who, card in cards] for p, cards in lists.items()},
            _consistent,
        )
        before, after = len(old_found) / len(repeated), len(new_found) / len(repeated)

        # A person revealed to a lead (they applied to one posting): the lead knows their whole
        # profile and looks for the one card in each other list that could be theirs.
        found_after_reveal = tried = 0
        for person in sorted(repeated):
            for first, second in itertools.permutations(sorted(seen[person]), 2):
                if postings[first][0] != postings[second][0]:
                    continue  # revealed to the lead of `first`; look in that lead's other lists
                could_be = _could_be(people[person], postings[second][2], lists[second])
                tried += 1
                assert person in could_be  # the card is true to the person
                found_after_reveal += could_be == [person]
    print(
        f"linkage: people_in_several_lists={len(repeated)} linked_before={before:.3f} "
        f"linked_after={after:.4f} wrong_links_after={new_wrong} "
        f"revealed_found={found_after_reveal}/{tried}"
    )
    assert before > 0.5, "the old cards must reproduce the review's finding"
    assert after < 0.01
    assert tried > 0 and found_after_reveal == 0

    # The reveal through the API: the person applies to one posting, its lead sees who they are,
    # then asks for their other lists again and still cannot tell which card is theirs.
    person, first, others = next(
        (p, first, [x for x in seen[p] if x != first and postings[x][0] == postings[first][0]])
        for p in sorted(repeated)
        for first in sorted(seen[p])
        if any(x != first and postings[x][0] == postings[first][0] for x in seen[p])
    )
    lead_headers = token_for(state, Role.LEAD, postings[first][0])
    applied = client.post(
        f"/api/v1/opportunities/{first}/applications",
        headers=token_for(state, Role.EMPLOYEE, person),
    )
    assert applied.status_code == 201, applied.text
    board = client.get(f"/api/v1/opportunities/{first}/pipeline", headers=lead_headers)
    assert board.status_code == 200, board.text
    assert person in board.text  # revealed: the lead knows who applied
    for other in others:
        body = client.get(
            f"/api/v1/opportunities/{other}/candidates?limit=100", headers=lead_headers
        )
        cards = [
            (who, item["candidate"])
            for item in body.json()["items"]
            for who in [_owner(state, postings[other][1], item["candidate"]["handle"], seen)]
        ]
        with state.sessions() as session:
            row = get_employee(session, person)
            assert len(_could_be(row, postings[other][2], cards)) >= min(
                state.settings.mask_k, len(cards)
            )


def _owner(state: ServiceState, opportunity: Any, handle: str, seen: dict[str, Any]) -> str:
    for person in seen:
        if candidate_handle(state.pseudonym_key, opportunity, person) == handle:
            return person
    return "?"


def _could_be(row: Any, posting: Posting, cards: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Who in a list has the card a person with this profile would get there."""
    facts = full_facts(levels_of(row), int(row.level), posting)
    return [
        who
        for who, shown in cards
        if _visible(shown) == _visible_from(facts, shown["detail"], posting, shown)
    ]


def _visible(card: Mapping[str, Any]) -> str:
    """A card as the lead compares it: everything but the count of look-alikes and the
    pseudonym (the handle, and the alias read off it: keyed per list, never the same twice)."""
    shown = {k: v for k, v in card.items() if k not in ("handle", "alias", "shared_by")}
    return json.dumps(shown, sort_keys=True)


def _visible_from(facts: Facts, detail: str, posting: Posting, like: dict[str, Any]) -> str:
    """The card a person with these facts would get at this detail level."""
    made = card(facts, posting, Masked(detail, like.get("shared_by", 0)), like.get("k", 0))
    return _visible(made)
