"""Imported history (no served list, no position) in labels, groups and weights: a posting's
candidates who were not advanced are its negatives, each person's applications form their own
list, and nothing of it is weighed for examination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tests.training.events import KINDS, at, ev, shown
from training.dataset import RankingSet
from training.groups import employee_groups, opportunity_groups
from training.labels import label_interactions
from training.propensity import inverse_propensity_weights


@dataclass(frozen=True)
class Stored:
    """A logged row as storage hands it back (InteractionRow's columns)."""

    employee_external_id: str
    opportunity_external_id: str
    type: str
    occurred_at: Any
    rating: int | None = None
    position: int | None = None
    request_id: str | None = None
    details: dict | None = None


def imported(kind: str, who: str, what: str, minutes: float, rating: int | None = None) -> Stored:
    details = {"source": "import", "file": "0123456789abcdef", "row": 2}
    return Stored(who, what, kind, at(minutes), rating=rating, details=details)


# An ATS's past for posting A: E1 hired and completed well, E2 shortlisted, E3 only ever
# "rejected" (the export lists candidates where they ended), E4 applied and nothing more.
# E1 also applied to B and was rejected there.
HISTORY = [
    imported("apply", "E1", "A", 0),
    imported("shortlist", "E1", "A", 10),
    imported("assign", "E1", "A", 20),
    imported("complete", "E1", "A", 30, rating=5),
    imported("apply", "E2", "A", 1),
    imported("shortlist", "E2", "A", 11),
    imported("reject", "E3", "A", 12),
    imported("apply", "E4", "A", 2),
    imported("apply", "E1", "B", 3),
    imported("reject", "E1", "B", 13),
]


def test_imported_history_grades_each_postings_candidates_including_those_not_advanced() -> None:
    labels = label_interactions(HISTORY)
    assert labels.imported == len(HISTORY) and labels.unattributed == 0
    assert len(labels.impressions) == 0  # no list was served
    groups = opportunity_groups(labels, kinds=KINDS)
    graded = dict(
        zip(
            zip(
                groups.group_key[groups.group_id].tolist(),
                groups.item_external_id.tolist(),
                strict=True,
            ),
            groups.label.tolist(),
            strict=True,
        )
    )
    assert graded == {
        ("A", "E1"): 4,  # hired and rated 5
        ("A", "E2"): 2,
        ("A", "E3"): 1,  # rejected without an application row: still a candidate
        ("A", "E4"): 1,
        ("B", "E1"): 1,
    }
    assert (groups.position == 0).all()


def test_a_live_decision_without_an_application_still_opens_none() -> None:
    """Only imported steps open an application: the live rule is unchanged."""
    labels = label_interactions([ev("shortlist", "E1", "A", 0), ev("reject", "E2", "A", 1)])
    assert len(labels.applications) == 0 and labels.imported == 0


def test_each_persons_imported_applications_form_a_list_beside_the_served_ones() -> None:
    served = [*shown("r1", "E9", ["A", "B"], 100), ev("apply", "E9", "B", 101, request_id="r1")]
    labels = label_interactions([*HISTORY, *served])
    groups = employee_groups(labels, kinds=KINDS)
    rows = {
        (groups.group_key[g], item): (label, position)
        for g, item, label, position in zip(
            groups.group_id.tolist(),
            groups.opportunity_external_id.tolist(),
            groups.label.tolist(),
            groups.position.tolist(),
            strict=True,
        )
    }
    assert rows[("E1@history", "A")] == (4, 0) and rows[("E1@history", "B")] == (1, 0)
    assert rows[("r1", "A")] == (0, 1) and rows[("r1", "B")] == (1, 2)
    # Lists run in time order (each at its first application); the history came first.
    assert groups.group_key.tolist() == [
        "E1@history",
        "E2@history",
        "E4@history",
        "E3@history",
        "r1",
    ]


def test_rows_no_list_served_are_weighed_as_examined_for_sure() -> None:
    positions = np.array([0, 0, 1, 3], dtype=np.int32)
    labels = np.array([2, 1, 1, 1])
    weights = inverse_propensity_weights(positions, eta=1.0, labels=labels)
    # Unserved rows weigh what a top-position row does (1 before normalising); p=3 weighs 3.
    assert weights[0] == weights[1] == weights[2] and weights[3] == 3 * weights[0]
    mixed = RankingSet(
        features=np.zeros((4, 1)),
        labels=labels,
        sizes=np.array([2, 2]),
        positions=positions,
        people=np.zeros(4, dtype=np.int64),
        opportunities=np.zeros(4, dtype=np.int64),
    )
    examined = mixed.examined_positions()
    assert examined is not None and examined.tolist() == [1, 1, 1, 3]
    history_only = RankingSet(
        features=np.zeros((2, 1)),
        labels=labels[:2],
        sizes=np.array([2]),
        positions=positions[:2],
        people=np.zeros(2, dtype=np.int64),
        opportunities=np.zeros(2, dtype=np.int64),
    )
    assert history_only.examined_positions() is None  # nothing to debias
