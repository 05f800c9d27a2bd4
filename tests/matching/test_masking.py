"""A lead's card before the reveal: only what the posting asks about, and never a combination
fewer than k candidates of the list share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.masking import (
    DETAIL_LEVELS,
    Facts,
    Masked,
    anonymise,
    mask_pool,
    revealed_card,
)

SKILLS = ["sql", "python", "excel", "tableau", "spark", "r"]


def posting(required: dict[str, int], preferred: dict[str, int] | None = None) -> Any:
    asked = [(s, lv, True) for s, lv in required.items()]
    asked += [(s, lv, False) for s, lv in (preferred or {}).items()]
    return SimpleNamespace(
        skills=[
            SimpleNamespace(
                skill_id=s,
                level=lv,
                required=req,
                position=i,
                skill=SimpleNamespace(label=s.upper()),
            )
            for i, (s, lv, req) in enumerate(asked)
        ],
        level_min=2,
        level_max=4,
    )


def person(levels: dict[str, int], level: int = 3) -> Any:
    skills = [SimpleNamespace(skill_id=s, level=lv) for s, lv in levels.items()]
    return SimpleNamespace(skills=skills, level=level)


def looks(card: Mapping[str, Any]) -> str:
    """What a lead can tell cards apart by (the handle is added later and differs always)."""
    return repr({k: v for k, v in card.items() if k != "shared_by"})


def test_a_card_names_only_the_skills_the_posting_asks_for() -> None:
    gig = posting({"sql": 3, "python": 3}, {"tableau": 2})
    expert = person({"sql": 5, "python": 2, "spark": 5, "excel": 4}, level=6)
    card = mask_pool([expert] * 5, gig, k=5)[0]
    assert card["detail"] == "skills" and card["shared_by"] == 5
    sql, python, tableau = card["asked_skills"]
    assert (sql["skill_id"], sql["required"], sql["level_asked"]) == ("sql", True, 3)
    assert [s["held"] for s in (sql, python, tableau)] == ["at_or_above", "below", "not_held"]
    assert tableau["required"] is False and tableau["name"] == "TABLEAU"
    assert card["coverage"] == {
        "required": 2,
        "required_held": 2,
        "required_at_level": 1,
        "preferred": 1,
        "preferred_held": 0,
    }
    assert card["level_in_range"] is False  # level 6 outside 2..4: no exact level is shown
    text = repr(card)
    assert "spark" not in text and "excel" not in text and "6" not in text


def test_rare_combinations_are_coarsened_until_k_share_them() -> None:
    gig = posting({"sql": 3, "python": 3, "excel": 2})
    common = [person({"sql": 4, "python": 4, "excel": 2})] * 8
    rare = [person({"sql": 1}), person({"python": 5, "excel": 1}), person({"excel": 5})]
    cards = mask_pool(common + rare, gig, k=5)
    # Three people unlike everyone else and each other: they can hide only among cards that
    # show nothing, and two of the eight alike (the lowest ranked) show nothing with them.
    assert [c["detail"] for c in cards] == ["skills"] * 6 + ["withheld"] * 5
    assert [c["shared_by"] for c in cards] == [6] * 6 + [5] * 5
    # With only six alike, none can be spared: all nine show nothing.
    cards = mask_pool(common[:6] + rare, gig, k=5)
    assert {c["detail"] for c in cards} == {"withheld"}
    counts = Counter(looks(c) for c in cards)
    assert all(counts[looks(c)] >= 5 for c in cards)
    assert all(c["shared_by"] == counts[looks(c)] for c in cards)


def test_a_pool_smaller_than_k_shows_nothing_but_the_handle() -> None:
    gig = posting({"sql": 3})
    cards = mask_pool([person({"sql": 3}), person({})], gig, k=5)
    assert [c["detail"] for c in cards] == ["withheld", "withheld"]
    assert all(set(c) == {"detail", "shared_by", "k"} for c in cards)


def test_a_revealed_person_gets_the_finest_card_of_this_posting_only() -> None:
    gig = posting({"sql": 3})
    card = revealed_card(person({"sql": 4, "spark": 5}), gig)
    assert card["detail"] == "skills" and [s["skill_id"] for s in card["asked_skills"]] == ["sql"]


@settings(max_examples=150, deadline=None)
@given(
    people=st.lists(
        st.fixed_dictionaries({s: st.integers(min_value=0, max_value=5) for s in SKILLS[:5]}).map(
            lambda d: {k: v for k, v in d.items() if v}
        ),
        min_size=1,
        max_size=60,
    ),
    levels=st.lists(st.integers(min_value=1, max_value=7), min_size=60, max_size=60),
    k=st.integers(min_value=1, max_value=8),
)
def test_every_card_looks_like_at_least_k_cards_of_its_pool(
    people: list[dict[str, int]], levels: list[int], k: int
) -> None:
    gig = posting({"sql": 3, "python": 2, "excel": 4}, {"tableau": 2, "spark": 3})
    pool = [person(p, level) for p, level in zip(people, levels, strict=False)]
    cards = mask_pool(pool, gig, k=k)
    counts = Counter(looks(c) for c in cards)
    floor = min(k, len(pool))
    for card in cards:
        assert counts[looks(card)] >= floor, card
        assert card["shared_by"] == counts[looks(card)]
    # No card is coarser than it needs to be in a way that shows nothing when it could: with
    # k = 1 every card shows every asked skill.
    if k == 1:
        assert {c["detail"] for c in cards} == {"skills"}


def test_anonymise_keeps_the_finest_level_a_group_of_k_allows() -> None:
    fact: Facts = {
        "bands": ("at_or_above",),
        "required": 1,
        "required_held": 1,
        "required_at_level": 1,
        "preferred": 0,
        "preferred_held": 0,
        "level_in_range": True,
    }
    facts = [fact] * 5
    assert anonymise(facts, k=5) == [Masked("skills", 5)] * 5
    assert DETAIL_LEVELS[0] == "skills" and DETAIL_LEVELS[-1] == "withheld"
