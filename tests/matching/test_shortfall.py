"""The words of an empty or short list, on generated eligibility reports (no database).

The API tests (tests/serving/test_empty_lists.py) break each rule on real data; these cover the
whole space of counts: every rule has words of its own in both directions, rules come largest
first, and no count a lead reads is a small cell or leaves one."""

from __future__ import annotations

import datetime as dt
import random
from typing import cast

import pytest

from matching.eligibility import RULES, MaskReport
from matching.shortfall import Posting, Seeker, why_candidates, why_matches

SEEKER = Seeker(level=3, free_hours=8, committed_hours=0, location="Berlin", skills=4)
POSTING = Posting(
    kind="gig",
    status="open",
    hours=6,
    level_min=2,
    level_max=5,
    seats=1,
    start_date=dt.date(2026, 12, 1),
    location="Berlin",
    required_skills=2,
    occupation_choices=(),
)


def _report(rng: random.Random, pool: int) -> MaskReport:
    removed = {rule: rng.choice([0, 0, rng.randint(0, pool)]) for rule in RULES}
    only = {rule: rng.randint(0, n) for rule, n in removed.items()}
    eligible = max(0, pool - max(removed.values()))
    return MaskReport(pool=pool, eligible=eligible, removed_by_rule=removed, only_by_rule=only)


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_has_words_of_its_own_for_the_employee_and_the_lead(rule: str) -> None:
    report = MaskReport(
        pool=40,
        eligible=0,
        removed_by_rule={r: 40 if r == rule else 0 for r in RULES},
        only_by_rule={r: 40 if r == rule else 0 for r in RULES},
    )
    mine = why_matches(report, kind="gig", seeker=SEEKER, shown=0, asked=10)
    theirs = why_candidates(
        report, posting=POSTING, shown=0, asked=10, hidden=0, k=5, exact=False, own=True
    )
    for why in (mine, theirs):
        assert why is not None and [r["rule"] for r in why["rules"]] == [rule]
        [entry] = why["rules"]
        assert "removed by the rule" not in entry["text"]  # not the fallback
        assert not entry["text"][0].islower() and entry["removed"] == 40
        assert why["summary"].endswith(".")


def test_a_full_list_has_no_why_and_a_short_one_always_has() -> None:
    rng = random.Random(7)
    for _ in range(200):
        report = _report(rng, rng.randint(0, 60))
        asked = rng.randint(1, 30)
        for shown in (0, asked - 1, asked):
            why = why_matches(report, kind="role", seeker=SEEKER, shown=max(shown, 0), asked=asked)
            assert (why is None) == (shown >= asked)


def test_rules_come_largest_first_and_changes_by_what_they_alone_bring_back() -> None:
    rng = random.Random(11)
    for _ in range(300):
        report = _report(rng, rng.randint(1, 80))
        why = why_matches(report, kind="gig", seeker=SEEKER, shown=0, asked=5)
        assert why is not None
        # why_matches counts exactly (`_exact`): no banded None among them.
        removed = cast(list[int], [r["removed"] for r in why["rules"]])
        assert removed == sorted(removed, reverse=True)
        assert {r["rule"] for r in why["rules"]} == {
            rule for rule, n in report.removed_by_rule.items() if n
        }
        added = [c["would_add"] for c in why["changes"] if c["would_add"] is not None]
        assert added == sorted(added, reverse=True)


@pytest.mark.parametrize("k", [2, 5, 10])
def test_no_count_a_lead_reads_singles_anyone_out(k: int) -> None:
    rng = random.Random(k)
    for _ in range(400):
        pool = rng.randint(1, 40)
        report = _report(rng, pool)
        why = why_candidates(
            report, posting=POSTING, shown=0, asked=20, hidden=0, k=k, exact=False, own=True
        )
        assert why is not None
        for entry in why["rules"]:
            exact_counts = [entry["removed"], entry["alone"]]
            words = [entry["removed_words"], entry["alone_words"]]
            for count, said in zip(exact_counts, words, strict=True):
                if count is None:
                    assert said in (f"fewer than {k}", f"all but fewer than {k}")
                else:
                    assert count in (0, pool) or k <= count <= pool - k, (count, pool, k)
                    assert said == str(count)
        # An admin reads every count exactly.
        seen = why_candidates(
            report, posting=POSTING, shown=0, asked=20, hidden=0, k=k, exact=True, own=False
        )
        assert seen is not None
        assert all(isinstance(e["removed"], int) for e in seen["rules"])


def test_a_posting_with_no_required_skill_is_told_to_add_some_first() -> None:
    bare = Posting(
        kind="gig",
        status="open",
        hours=6,
        level_min=2,
        level_max=5,
        seats=1,
        start_date=None,
        location="Remote",
        required_skills=0,
        occupation_choices=("data analyst", "statistician"),
    )
    everyone = {r: 30 if r == "opportunity_not_open" else 0 for r in RULES}
    report = MaskReport(pool=30, eligible=0, removed_by_rule=everyone, only_by_rule=everyone)
    why = why_candidates(
        report, posting=bare, shown=0, asked=10, hidden=0, k=5, exact=False, own=True
    )
    assert why is not None
    assert why["summary"].startswith("Nobody is proposed yet: it lists no required skill")
    [entry] = why["rules"]
    assert entry["field"] == "required_skills" and "It is open" not in entry["text"]
    [change] = why["changes"]
    assert change["text"].startswith("Add the skills the work needs, or pick the closest")
    assert "data analyst, statistician" in change["text"]


def test_a_person_without_a_location_is_asked_for_one_not_told_they_are_away_from_it() -> None:
    from dataclasses import replace

    from data.storage.scim_users import NOT_PROVIDED

    away = {r: 40 if r == "onsite_location_mismatch" else 0 for r in RULES}
    report = MaskReport(pool=40, eligible=0, removed_by_rule=away, only_by_rule=away)
    for location in (NOT_PROVIDED, " "):
        why = why_matches(
            report, kind="gig", seeker=replace(SEEKER, location=location), shown=0, asked=10
        )
        assert why is not None
        [entry] = why["rules"]
        assert "no location" in entry["text"] and "away from" not in entry["text"]
    placed = why_matches(report, kind="gig", seeker=SEEKER, shown=0, asked=10)
    assert placed is not None and "away from Berlin" in placed["rules"][0]["text"]
