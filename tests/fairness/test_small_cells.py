"""Small-cell suppression on fixed tables with known answers: the cells under the minimum, the
complementary suppression that keeps them from being derived from totals, people counted once
however many rows they have, and ratios computed only from the cells shown."""

from __future__ import annotations

import numpy as np
import pytest

from fairness.exposure import group_exposure
from fairness.metrics import selection_impact
from fairness.small_cells import hidden_rows


@pytest.mark.parametrize(
    ("cells", "unpublished", "hidden"),
    [
        # Nothing small: nothing hidden (a zero cell is shown).
        ({"a": (20, 10, 10), "b": (30, 0, 30)}, None, set()),
        # One applicant, a woman: her cell is 1; alone it would be the total minus the men's 0.
        ({"female": (12, 1, 11), "male": (15, 0, 15)}, None, {"female", "male"}),
        # A group of 3: the smallest other group goes with it (43 people: no one singled out).
        ({"a": (3,), "b": (50,), "c": (40,)}, None, {"a", "c"}),
        # Two small groups hide each other only if together they reach the minimum.
        ({"a": (4,), "b": (4,), "c": (40,), "d": (60,)}, None, {"a", "b", "c"}),
        ({"a": (6,), "b": (5,), "c": (40,)}, None, {"a", "b"}),
        # The unknown group's selections are never shown, so they count as hidden: 2 unknown
        # people selected, 0 < 2 < 10, so another group's selections must go with them.
        (
            {"f": (20, 10, 10), "m": (30, 10, 20), "unknown": (12, 2, 10)},
            {"unknown": (False, True, True)},
            {"f"},
        ),
    ],
)
def test_hidden_rows_known_answers(
    cells: dict[str, tuple[int, ...]],
    unpublished: dict[str, tuple[bool, ...]] | None,
    hidden: set[str],
) -> None:
    assert hidden_rows(cells, 10, unpublished=unpublished) == hidden


def test_a_minimum_of_one_hides_nothing() -> None:
    assert hidden_rows({"a": (1, 1, 0), "b": (2, 0, 2)}, 1) == set()


def _selection(counts: dict[str, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    labels, selected = [], []
    for name, (n, chosen) in counts.items():
        labels += [None if name == "unknown" else name] * n
        selected += [True] * chosen + [False] * (n - chosen)
    return np.array(selected), np.array(labels, dtype=object)


def test_the_one_applicant_of_a_department_is_not_shown_and_not_derivable() -> None:
    selected, labels = _selection({"female": (12, 1), "male": (15, 0), "unknown": (3, 0)})
    impact = selection_impact(selected, labels, attribute="gender")
    shown = impact.as_dict(10)
    assert all(c["suppressed"] for c in shown["categories"])
    assert {c["category"] for c in shown["categories"]} == {"female", "male"}
    assert all(c["count"] is None and c["selected"] is None for c in shown["categories"])
    first = shown["categories"][0]
    assert first["suppressed"] is True  # (checked above for all) narrows to SuppressedRate
    assert first["reason"] == "fewer than 10 people"
    assert shown["unknown_count"] is None and shown["min_impact_ratio"] is None
    assert not any("female:" in w for w in shown["warnings"])  # the warnings name counts
    # Every cell, as an auditor reads it.
    full = impact.as_dict()
    assert [(c["category"], c["selected"]) for c in full["categories"]] == [
        ("female", 1),
        ("male", 0),
    ]
    assert full["unknown_count"] == 3 and not any(c["suppressed"] for c in full["categories"])


def test_ratios_come_only_from_the_cells_shown() -> None:
    selected, labels = _selection(
        {"a": (100, 40), "b": (100, 30), "c": (80, 20), "tiny": (4, 4), "d": (60, 0)}
    )
    # Both exclusion rules off: the tiny group is compared (and suppressed for privacy alone).
    impact = selection_impact(selected, labels, attribute="group", min_share=0.0, min_count=1)
    shown = impact.as_dict(10)
    by_name = {c["category"]: c for c in shown["categories"]}
    # "tiny" (4 people, all selected) is the reference of every ratio: with it suppressed (and
    # "c", the smallest other group with someone selected, so that tiny's 4 selected cannot be
    # worked out from the total), no ratio is shown.
    assert by_name["tiny"]["suppressed"] and by_name["c"]["suppressed"]
    assert not by_name["d"]["suppressed"]
    assert all(c["impact_ratio"] is None for c in shown["categories"])
    assert shown["min_impact_ratio"] is None and shown["flagged"] == []
    # Shown rows first, by rate; suppressed ones after, by name (their order would say more).
    assert [c["category"] for c in shown["categories"]] == ["a", "b", "d", "c", "tiny"]
    assert impact.min_impact_ratio == pytest.approx(0.0)  # the auditor's view has d's zero

    # Without the tiny group the reference (a) is shown and so are the ratios against it.
    selected, labels = _selection({"a": (100, 40), "b": (100, 35), "c": (80, 20)})
    shown = selection_impact(selected, labels, attribute="group").as_dict(10)
    assert shown["min_impact_ratio"] == pytest.approx(0.25 / 0.4)
    assert shown["flagged"] == ["c"]


def test_people_are_counted_once_however_many_lists_they_are_in() -> None:
    # One person of group x listed in 12 lists, selected in 11: 12 appearances, 1 person.
    labels = ["x"] * 12 + ["y"] * 40 + ["z"] * 40
    people = ["solo"] * 12 + [f"y{i}" for i in range(40)] + [f"z{i}" for i in range(40)]
    selected = [True] * 11 + [False] + [True] * 20 + [False] * 20 + [True] * 10 + [False] * 30
    impact = selection_impact(np.array(selected), labels, attribute="g", people=people)
    shown = {c["category"]: c for c in impact.as_dict(10)["categories"]}
    assert shown["x"]["suppressed"] and shown["x"]["count"] is None
    assert impact.cells["x"] == (1, 1, 1)
    # Rows without `people` are people: the same 12 rows would be a cell of 11.
    rows = selection_impact(np.array(selected), labels, attribute="g")
    assert rows.cells["x"] == (12, 11, 1)


def test_exposure_groups_of_few_people_are_suppressed_with_their_ratios() -> None:
    pages = [[f"p{(i + r) % 30}" for r in range(10)] for i in range(30)]
    group = {f"p{i}": ("a" if i < 14 else "b" if i < 28 else "c") for i in range(30)}
    labels = [[group[p] for p in page] for page in pages]
    report = group_exposure(labels, people=pages)
    shown = report.as_dict(10)
    names = {g["category"]: g for g in shown["groups"]}
    assert names["c"]["suppressed"] and names["c"]["exposure"] is None  # 2 people
    # c's share would be one minus the others': the smallest other goes too.
    assert sum(g["suppressed"] for g in shown["groups"]) == 2
    full = report.as_dict()
    assert all(not g["suppressed"] for g in full["groups"]) and len(full["groups"]) == 3
    with pytest.raises(ValueError, match="people listed"):
        group_exposure(labels).as_dict(10)
