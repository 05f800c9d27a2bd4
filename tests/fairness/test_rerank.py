"""From scores to the served order: HR's pause, the policies (off, FA*IR, DetGreedy), people's
pins and hides, what moved on the page, and the digest that stands in for group membership."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from fairness.fair_ranking import adjusted_mtable
from fairness.policy import Override, PolicySettings
from fairness.rerank import (
    Membership,
    ServedOrder,
    membership_digest,
    pool_share,
    pool_targets,
    serve_order,
)

KEY = b"test-membership-key"
FAIR = PolicySettings()  # the default: FA*IR on gender, female protected, p from the pool


def names(count: int) -> list[str]:
    return [f"E{i:02d}" for i in range(count)]


def membership_of(categories: Sequence[str | None]) -> Membership:
    """Categories for one attribute, as the demographics join would return them."""

    def join(attribute: str) -> Sequence[str | None]:
        assert attribute == "gender"
        return list(categories)

    return join


def never_joined(attribute: str) -> Sequence[str | None]:
    raise AssertionError(f"membership ({attribute}) must not be read here")


def score_order(scores: np.ndarray) -> list[int]:
    """Best score first, ties by original index."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def override(number: int, who: str, action: str) -> Override:
    return Override(number, who, action, f"reason {number}", "lead", "2026-11-02T09:00:00+00:00")


def low_scoring_protected_pool(
    n: int, protected: int, *, seed: int
) -> tuple[np.ndarray, list[str | None]]:
    """Random scores where the `protected` women hold the lowest scores of the pool."""
    scores = np.random.default_rng(seed).permutation(np.linspace(0.05, 0.95, n))
    categories: list[str | None] = ["male"] * n
    for i in np.argsort(scores)[:protected].tolist():
        categories[i] = "female"
    return scores, categories


def expected_moves(served: ServedOrder, ids: Sequence[str], page: int) -> list[dict]:
    """From the definition: rank changed, and shown on the page before or after."""
    after = {int(i): r for r, i in enumerate(served.order.tolist(), start=1)}
    moves = []
    for i, who in enumerate(ids):
        old, new = int(served.before[i]), after.get(i)
        if old != new and (old <= page or (new is not None and new <= page)):
            moves.append({"id": who, "from": old, "to": new})
    return sorted(moves, key=lambda m: (m["to"] is None, m["to"] or 0, m["from"]))


# ---------------------------------------------------------------------------- pause and off


def test_paused_kind_serves_retrieval_similarity_order_not_scores() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    similarity = np.array([0.1, 0.4, 0.4, 0.3])
    categories = ["male", "male", "male", "female"]

    served = serve_order(
        scores,
        similarity,
        names(4),
        settings=PolicySettings(paused=True),
        page=3,
        membership=membership_of(categories),
        key=KEY,
    )

    assert served.order.tolist() == [1, 2, 3, 0]
    assert served.before.tolist() == [4, 1, 2, 3]
    assert served.policy["name"] == "paused"
    assert served.moves == []


def test_paused_kind_never_reads_membership() -> None:
    served = serve_order(
        np.array([0.2, 0.9]),
        np.array([0.9, 0.2]),
        names(2),
        settings=PolicySettings(paused=True),
        page=2,
        membership=never_joined,
    )
    assert served.order.tolist() == [0, 1]


@pytest.mark.parametrize(
    ("settings", "membership", "logged_name"),
    [
        (PolicySettings(name="off"), never_joined, "off"),
        (FAIR, None, "none"),  # an employee's own matches: the items are opportunities
    ],
)
def test_without_reranking_the_order_is_by_score_with_ties_by_position(
    settings: PolicySettings, membership: Membership | None, logged_name: str
) -> None:
    scores = np.array([0.5, 0.9, 0.5, 0.9, 0.1])
    similarity = np.array([0.9, 0.1, 0.8, 0.2, 0.7])

    served = serve_order(
        scores, similarity, names(5), settings=settings, page=3, membership=membership, key=KEY
    )

    assert served.order.tolist() == [1, 3, 0, 2, 4]
    assert served.before.tolist() == [3, 1, 4, 2, 5]
    assert served.policy == {"name": logged_name}
    assert served.moves == []


# ---------------------------------------------------------------------------- FA*IR


@pytest.mark.parametrize(
    ("protected", "pool", "expected"),
    [
        (3, 20, 0.15),
        (7, 20, 0.35),  # on the grid, whatever 0.35 / 0.05 gives in floating point
        (7, 25, 0.25),  # 0.28 rounds down, not to the nearest 0.30
        (6, 25, 0.20),  # 0.24 rounds down
        (1, 40, 0.05),  # 0.025 is clamped up to the smallest p
        (0, 10, 0.05),
        (39, 40, 0.95),  # 0.975 is clamped down to the largest p
        (10, 10, 0.95),
    ],
)
def test_pool_share_rounds_down_to_the_grid_within_bounds(
    protected: int, pool: int, expected: float
) -> None:
    flags = np.zeros(pool, dtype=bool)
    flags[:protected] = True
    assert pool_share(flags) == pytest.approx(expected, abs=1e-12)


def test_pool_share_of_an_empty_pool_is_the_smallest_p() -> None:
    assert pool_share(np.zeros(0, dtype=bool)) == pytest.approx(0.05, abs=1e-12)


def test_fair_top_k_meets_the_adjusted_mtable_at_every_prefix() -> None:
    n, k = 25, 12
    scores, categories = low_scoring_protected_pool(n, protected=7, seed=3)  # share 0.28
    ids = names(n)

    served = serve_order(
        scores,
        scores,
        ids,
        settings=FAIR,
        page=k,
        membership=membership_of(categories),
        key=KEY,
    )

    assert served.policy["p"] == pytest.approx(0.25, abs=1e-12)
    table = adjusted_mtable(k, served.policy["p"], FAIR.alpha)
    is_protected = np.array([c == "female" for c in categories])
    served_counts = np.cumsum(is_protected[served.order[:k]])
    assert (served_counts >= table.mtable).all()
    score_counts = np.cumsum(is_protected[score_order(scores)[:k]])
    assert (score_counts < table.mtable).any()  # the score order alone would not have passed
    assert served.policy["alpha_adjusted"] == table.alpha_adjusted
    assert served.policy["applied"] is True
    assert served.policy["satisfied"] is True
    assert served.policy["p_from_pool"] is True
    assert served.policy["k"] == k
    assert sorted(served.order.tolist()) == list(range(n))


def test_fair_moves_on_a_small_list_worked_by_hand() -> None:
    # Eight people by descending score, the last four women: p = 0.5, alpha 0.1, k = 4 need one
    # woman in the top four, so E04 (5th) moves up to 4th and E03 down to 5th; nothing else moves.
    scores = np.linspace(0.9, 0.2, 8)
    categories = ["male"] * 4 + ["female"] * 4

    served = serve_order(
        scores,
        scores,
        names(8),
        settings=PolicySettings(alpha=0.1),
        page=4,
        membership=membership_of(categories),
        key=KEY,
    )

    assert served.policy["p"] == pytest.approx(0.5, abs=1e-12)
    assert served.order.tolist() == [0, 1, 2, 4, 3, 5, 6, 7]
    assert served.moves == [{"id": "E04", "from": 5, "to": 4}, {"id": "E03", "from": 4, "to": 5}]


def test_fair_moves_list_exactly_the_rank_changes_people_could_see() -> None:
    n, page = 30, 10
    scores, categories = low_scoring_protected_pool(n, protected=12, seed=4)
    ids = names(n)

    served = serve_order(
        scores,
        scores,
        ids,
        settings=FAIR,
        page=page,
        membership=membership_of(categories),
        key=KEY,
    )

    assert served.before.tolist() == [score_order(scores).index(i) + 1 for i in range(n)]
    assert served.moves == expected_moves(served, ids, page)
    pulled_up = [m for m in served.moves if m["from"] > page]
    pushed_off = [m for m in served.moves if m["to"] > page]
    assert pulled_up and pushed_off
    assert all(categories[ids.index(m["id"])] == "female" for m in pulled_up)
    changed_off_page = [
        i
        for r, i in enumerate(served.order.tolist(), start=1)
        if r > page and served.before[i] > page and served.before[i] != r
    ]
    assert changed_off_page  # rank changes below the page exist, and are left out
    assert not {ids[i] for i in changed_off_page} & {m["id"] for m in served.moves}


def test_fair_policy_logs_a_digest_of_membership_never_the_membership() -> None:
    n = 12
    scores, categories = low_scoring_protected_pool(n, protected=4, seed=5)

    served = serve_order(
        scores,
        scores,
        names(n),
        settings=FAIR,
        page=6,
        membership=membership_of(categories),
        key=KEY,
    )

    assert set(served.policy) == {
        "name",
        "attribute",
        "k",
        "membership_digest",
        "protected",
        "p",
        "p_from_pool",
        "alpha",
        "alpha_adjusted",
        "satisfied",
        "applied",
    }
    assert served.policy["name"] == "fa*ir"
    assert served.policy["membership_digest"] == membership_digest(KEY, categories)


def test_membership_digest_changes_when_one_person_changes_category() -> None:
    categories: list[str | None] = ["female", "male", None, "male"]
    changed = [*categories]
    changed[3] = "female"
    unknown_now = [*categories]
    unknown_now[0] = None

    digest = membership_digest(KEY, categories)

    assert membership_digest(KEY, list(categories)) == digest
    assert membership_digest(KEY, changed) != digest
    assert membership_digest(KEY, unknown_now) != digest
    assert membership_digest(b"another-key", categories) != digest
    assert "female" not in digest


def test_fair_with_no_protected_candidate_keeps_the_score_order() -> None:
    scores = np.array([0.3, 0.8, 0.3, 0.6, 0.9])
    categories = ["male", "male", None, "male", "male"]

    served = serve_order(
        scores,
        scores[::-1],
        names(5),
        settings=FAIR,
        page=3,
        membership=membership_of(categories),
        key=KEY,
    )

    assert served.policy["applied"] is False
    assert served.policy["name"] == "fa*ir"
    assert served.order.tolist() == [4, 1, 3, 0, 2]
    assert served.moves == []


# ---------------------------------------------------------------------------- DetGreedy


def test_pool_targets_give_people_without_a_self_report_their_own_share() -> None:
    targets = pool_targets(["a", "b", None, "a", "c", None, "a", "b"])
    assert targets == pytest.approx({"a": 3 / 8, "b": 2 / 8, "c": 1 / 8, "unknown": 2 / 8})
    assert pool_targets([None, None]) == {"unknown": 1.0}
    assert pool_targets([]) == {}


def test_detgreedy_keeps_known_groups_floors_when_an_unknown_person_scores_top() -> None:
    # Found in review: with "unknown" uncapped, the person without a self-report took the
    # place group c's floor needed (floor(10 x 0.2) = 2 of c in the top 10).
    scores = np.array([0.9] * 5 + [0.5] * 3 + [0.2] * 2 + [1.0])
    groups: list[str | None] = ["a"] * 5 + ["b"] * 3 + ["c"] * 2 + [None]
    served = serve_order(
        scores,
        scores,
        names(len(groups)),
        settings=PolicySettings(name="detgreedy", protected=None),
        page=10,
        membership=membership_of(groups),
        key=KEY,
    )
    top = [groups[i] for i in served.order[:10].tolist()]
    for group, share in served.policy["targets"].items():
        if group != "unknown":
            assert top.count(group) >= math.floor(10 * share + 1e-9), group


def test_detgreedy_holds_every_groups_floor_at_every_prefix() -> None:
    n, k = 24, 12
    rng = np.random.default_rng(6)
    groups: list[str | None] = ["a"] * 10 + ["b"] * 6 + ["c"] * 4 + [None] * 4
    # Group c scores low, b in the middle: the plain score order starves c. The people with no
    # self-report score lowest of all, so the known groups' floors stay within reach.
    base = {"a": 0.7, "b": 0.4, "c": 0.1, None: 0.0}
    scores = np.array([base[g] + 0.2 * rng.random() for g in groups])

    served = serve_order(
        scores,
        scores,
        names(n),
        settings=PolicySettings(name="detgreedy", protected=None),
        page=k,
        membership=membership_of(groups),
        key=KEY,
    )

    targets = served.policy["targets"]
    assert targets == pytest.approx({"a": 10 / 24, "b": 6 / 24, "c": 4 / 24, "unknown": 4 / 24})
    assert served.policy["targets_from_pool"] is True
    top = [groups[i] or "unknown" for i in served.order[:k].tolist()]
    plain = [groups[i] for i in score_order(scores)[:k]]
    assert plain.count("c") == 0
    for r in range(1, k + 1):
        for group, share in targets.items():
            assert top[:r].count(group) >= math.floor(r * share + 1e-9), (r, group)
    assert served.policy["satisfied"] is True
    assert served.policy["membership_digest"] == membership_digest(KEY, groups)
    assert sorted(served.order.tolist()) == list(range(n))  # the unknown are served, last


# ---------------------------------------------------------------------------- overrides


def test_hidden_candidates_leave_and_pinned_ones_lead_in_pin_order() -> None:
    n = 8
    scores, categories = low_scoring_protected_pool(n, protected=3, seed=7)
    ids = names(n)
    join = membership_of(categories)
    plain = serve_order(scores, scores, ids, settings=FAIR, page=4, membership=join, key=KEY)
    first, _, third, *_ = plain.order.tolist()
    last = plain.order.tolist()[-1]
    overrides = [
        override(1, ids[last], "pin"),
        override(2, ids[first], "hide"),
        override(3, ids[third], "pin"),
    ]

    served = serve_order(
        scores, scores, ids, settings=FAIR, page=4, membership=join, overrides=overrides, key=KEY
    )

    rest = [i for i in plain.order.tolist() if i not in (first, last, third)]
    assert served.order.tolist() == [last, third, *rest]
    assert first not in served.order.tolist()
    assert {"id": ids[first], "from": int(plain.before[first]), "to": None} in served.moves
    assert [(o["override_id"], o["action"], o["in_list"]) for o in served.overrides] == [
        (1, "pin", True),
        (2, "hide", True),
        (3, "pin", True),
    ]
    assert served.overrides[0]["reason"] == "reason 1"
    assert served.overrides[0]["by_role"] == "lead"


def test_overrides_for_people_not_in_the_list_change_nothing() -> None:
    n = 8
    scores, categories = low_scoring_protected_pool(n, protected=3, seed=8)
    ids = names(n)
    join = membership_of(categories)
    strangers = [override(1, "E-GONE", "pin"), override(2, "E-LEFT", "hide")]

    plain = serve_order(scores, scores, ids, settings=FAIR, page=4, membership=join, key=KEY)
    served = serve_order(
        scores, scores, ids, settings=FAIR, page=4, membership=join, overrides=strangers, key=KEY
    )

    assert served.order.tolist() == plain.order.tolist()
    assert served.moves == plain.moves
    assert [(o["id"], o["in_list"]) for o in served.overrides] == [
        ("E-GONE", False),
        ("E-LEFT", False),
    ]


# ---------------------------------------------------------------------------- determinism


@pytest.mark.parametrize(
    "settings",
    [FAIR, PolicySettings(name="detgreedy", protected=None), PolicySettings(paused=True)],
    ids=["fa*ir", "detgreedy", "paused"],
)
def test_the_same_inputs_give_the_same_served_order(settings: PolicySettings) -> None:
    rng = np.random.default_rng(9)
    n = 30
    scores = np.round(rng.random(n), 1)  # coarse scores: many ties to break
    similarity = np.round(rng.random(n), 1)
    categories = rng.choice(np.array(["female", "male", "nonbinary"]), size=n).tolist()
    ids = names(n)
    overrides = [override(1, ids[5], "pin"), override(2, ids[9], "hide")]

    def run() -> ServedOrder:
        return serve_order(
            scores,
            similarity,
            ids,
            settings=settings,
            page=10,
            membership=membership_of(categories),
            overrides=overrides,
            key=KEY,
        )

    first, second = run(), run()
    assert first.order.tolist() == second.order.tolist()
    assert first.before.tolist() == second.before.tolist()
    assert first.policy == second.policy
    assert first.moves == second.moves
