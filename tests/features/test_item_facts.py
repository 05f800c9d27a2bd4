"""Each item's skill facts made once (features/item_facts.py) and kept by its holder give the
same feature rows, bit for bit, as the facts the store makes per request: however the facts
are split, reused across requests or left out, and whichever taxonomy they were made with."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import threading
from collections.abc import Sequence
from typing import TypedDict, Unpack

import numpy as np
import pytest

from data.demo import generate_company
from data.taxonomy.packaged import load_packaged_taxonomy
from features import FeatureStore, opportunity_inputs, person_inputs
from features.inputs import OpportunityInputs, PersonInputs
from features.item_facts import (
    SKILLS,
    FactsContext,
    PersonFacts,
    PostingFacts,
    context_for,
    person_facts,
    posting_facts,
)
from features.taxonomy_facts import packaged_profiles, packaged_tool_categories
from tests.matching.fakes import HashEncoder

ENCODER = HashEncoder(dim=16)
AT = int(dt.datetime(2026, 11, 2, tzinfo=dt.UTC).timestamp())


@pytest.fixture(scope="module")
def company() -> tuple[list[PersonInputs], list[OpportunityInputs]]:
    made = generate_company(
        load_packaged_taxonomy(), employees=300, opportunities=80, seed=11, with_history=False
    )
    return (
        [person_inputs(e) for e in made.employees],
        [opportunity_inputs(o) for o in made.opportunities],
    )


class KeptFacts(TypedDict, total=False):
    """Facts as their holders keep them, None where one is made per request."""

    person_facts: Sequence[PersonFacts | None]
    posting_facts: Sequence[PostingFacts | None]


def store_of(
    people: Sequence[PersonInputs], jobs: Sequence[OpportunityInputs], **facts: Unpack[KeptFacts]
) -> FeatureStore:
    return FeatureStore(
        people,
        jobs,
        person_vectors=ENCODER.encode([p.external_id for p in people]),
        opportunity_vectors=ENCODER.encode([o.external_id for o in jobs]),
        embed=ENCODER.encode,
        skill_labels=lambda skill: f"label of {skill}",
        reference_date=dt.date(2026, 11, 1),
        **facts,
    )


def same_bits(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype == np.float32
    np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


def kept_facts(people: Sequence[PersonInputs], jobs: Sequence[OpportunityInputs]) -> KeptFacts:
    context = context_for(packaged_tool_categories(), packaged_profiles())
    return {
        "person_facts": [person_facts([p], context) for p in people],
        "posting_facts": [posting_facts([o], context) for o in jobs],
    }


def test_an_employee_page_from_kept_facts_equals_one_made_per_request(company) -> None:
    people, jobs = company
    rng = np.random.default_rng(3)
    for who in rng.choice(len(people), 4, replace=False).tolist():
        page = [jobs[i] for i in rng.choice(len(jobs), 50, replace=False)]
        owners = {o.owner_external_id for o in page} - {people[who].external_id}
        # As a page of gigs holds its owners: skills left out, no facts.
        leads = [
            dataclasses.replace(p, skills={}, implied=frozenset())
            for p in people
            if p.external_id in owners
        ]
        group = [people[who], *leads]
        kept = kept_facts(group, page)
        kept["person_facts"] = [None] + [None] * len(leads)  # the query's own: made here
        pairs = (np.zeros(len(page), np.int64), np.arange(len(page)), AT)
        same_bits(
            store_of(group, page, **kept).compute(*pairs), store_of(group, page).compute(*pairs)
        )


def test_a_lead_page_from_kept_facts_equals_one_made_per_request(company) -> None:
    people, jobs = company
    rng = np.random.default_rng(4)
    for what in rng.choice(len(jobs), 4, replace=False).tolist():
        group = [people[i] for i in rng.choice(len(people), 120, replace=False)]
        kept = kept_facts(group, [jobs[what]])
        kept["posting_facts"] = [None]
        pairs = (np.arange(len(group)), np.zeros(len(group), np.int64), AT)
        made = store_of(group, [jobs[what]]).compute(*pairs)
        same_bits(store_of(group, [jobs[what]], **kept).compute(*pairs), made)


def test_the_whole_company_from_kept_facts_equals_one_batch(company) -> None:
    people, jobs = company
    rng = np.random.default_rng(5)
    pairs = (rng.integers(0, len(people), 3000), rng.integers(0, len(jobs), 3000), AT)
    kept = kept_facts(people, jobs)
    same_bits(
        store_of(people, jobs, **kept).compute(*pairs), store_of(people, jobs).compute(*pairs)
    )


def test_facts_made_with_another_taxonomy_are_made_again(company) -> None:
    people, jobs = company
    group, page = people[:40], jobs[:10]
    other = context_for({}, packaged_profiles())  # no tool categories at all
    stale: KeptFacts = {
        "person_facts": [person_facts([p], other) for p in group],
        "posting_facts": [posting_facts([o], other) for o in page],
    }
    pairs = (np.repeat(np.arange(40), 10), np.tile(np.arange(10), 40), AT)
    same_bits(store_of(group, page, **stale).compute(*pairs), store_of(group, page).compute(*pairs))


def test_skill_lookups_grown_by_one_request_are_whole_to_another() -> None:
    """Two requests at once, one meeting skills never seen before: the other must never read a
    code whose weight or tool category is not there yet (it raised IndexError under load)."""
    context = FactsContext(packaged_tool_categories(), packaged_profiles())
    skills = [f"race-{i}" for i in range(20_000)]  # never coded before in this process
    stop, failures = threading.Event(), []

    def read() -> None:
        while not stop.is_set():
            size = len(SKILLS)
            if size == 0:
                continue
            try:
                weight, category = context.per_skill(size)
                weight[size - 1], category[size - 1]
            except IndexError as failed:
                failures.append(failed)
                return

    readers = [threading.Thread(target=read) for _ in range(3)]
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads between almost any two bytecodes
    try:
        for reader in readers:
            reader.start()
        for start in range(0, len(skills), 2):
            SKILLS.of(skills[start : start + 2])
            context.per_skill(len(SKILLS))
    finally:
        stop.set()
        for reader in readers:
            reader.join()
        sys.setswitchinterval(switching)
    assert failures == []
