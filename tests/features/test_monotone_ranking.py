"""Holding more of what a posting asks never ranks a person lower, among candidates otherwise
alike: for the packaged default rankers (both directions) and for a ranker trained here on logs
that reward the opposite, over generated person/posting pairs.

The change under test is the one a person makes: add one required skill at the asked level, or
raise one to it. Features, scores and the rank among rival candidates are compared before and
after, with everything else about the person and the posting left as it was. Mentorships are
left out: their "required" skills are what the mentor offers, which a mentee is better off
lacking (mentor_level_gap).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.inputs import OpportunityInputs, PersonInputs
from features.registry import BY_NAME, FEATURE_NAMES, FEATURES
from features.store import FeatureStore
from matching.explain import EMPLOYEE, LEAD, explain_rows
from tests.matching.fakes import HashEncoder
from training.cold_start import load_default_ranker
from training.groups import Direction
from training.ranker import LambdaRanker

ENCODER = HashEncoder(dim=16)
REFERENCE = dt.date(2026, 11, 1)
AT = int(dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC).timestamp())
SKILLS = tuple(f"skill:{i}" for i in range(10))
# Three tool categories of three tools each: holding one stands in, in part, for the others.
TOOLS = tuple(f"tool:{category}{i}" for category in "abc" for i in range(3))
TOOL_CATEGORIES = {tool: f"toolcat:{tool[5]}" for tool in TOOLS}
POOL = SKILLS + TOOLS
OCCUPATIONS = ("occ:analyst", "occ:scientist", "occ:welder")
RIVALS = 6
INCREASING = [f.name for f in FEATURES if f.monotone > 0]
DECREASING = [f.name for f in FEATURES if f.monotone < 0]


class TableRelatedness:
    """A small relatedness with the packaged one's contract: 1 the same, 0 for None/unknown."""

    close = frozenset({"occ:analyst", "occ:scientist"})

    def scores(self, a: str | None, bs: Sequence[str | None]) -> np.ndarray:
        def one(b: str | None) -> float:
            if a is None or b is None or a not in OCCUPATIONS or b not in OCCUPATIONS:
                return 0.0
            if a == b:
                return 1.0
            return 0.6 if {a, b} <= self.close else 0.05

        return np.array([one(b) for b in bs], dtype=np.float32)


class Pick(Protocol):
    def integer(self, low: int, high: int) -> int: ...
    def subset(self, items: Sequence[str], low: int, high: int) -> list[str]: ...


class DrawPick:
    """Choices drawn by hypothesis (shrinkable)."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def subset(self, items: Sequence[str], low: int, high: int) -> list[str]:
        return self.draw(st.lists(st.sampled_from(items), min_size=low, max_size=high, unique=True))


class RandomPick:
    """The same choices from a seeded generator (training data for the ranker trained here)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high + 1))

    def subset(self, items: Sequence[str], low: int, high: int) -> list[str]:
        size = self.integer(low, min(high, len(items)))
        return [str(s) for s in self.rng.choice(list(items), size=size, replace=False)]


def choice(pick: Pick, items: Sequence[Any]) -> Any:
    return items[pick.integer(0, len(items) - 1)]


def posting_of(pick: Pick, external_id: str) -> OpportunityInputs:
    skills = pick.subset(POOL, 1, 8)
    required_count = pick.integer(1, min(6, len(skills)))
    level_min = pick.integer(1, 5)
    return OpportunityInputs(
        external_id=external_id,
        title=choice(pick, ("Data quality dashboard", "Weld inspection", "Churn model")),
        kind=choice(pick, ("gig", "role")),
        owner_external_id="LEAD",
        department=choice(pick, ("Data", "Plant")),
        location=choice(pick, ("Remote", "Berlin", "Lyon")),
        hours=float(pick.integer(1, 12)),
        level_min=level_min,
        level_max=pick.integer(level_min, 7),
        required={s: pick.integer(1, 5) for s in skills[:required_count]},
        preferred={s: pick.integer(1, 5) for s in skills[required_count:]},
        occupation_id=choice(pick, (*OCCUPATIONS, None)),
    )


def person_of(pick: Pick, external_id: str) -> PersonInputs:
    return PersonInputs(
        external_id=external_id,
        level=pick.integer(1, 7),
        availability=float(pick.integer(0, 20)),
        location=choice(pick, ("Berlin", "Lyon", "Remote")),
        timezone=choice(pick, ("Europe/Berlin", "America/New_York", "Asia/Tokyo")),
        department=choice(pick, ("Data", "Plant")),
        hire_date=dt.date(2026 - pick.integer(0, 15), 3, 1),
        skills={s: pick.integer(1, 5) for s in pick.subset(POOL, 0, 8)},
        interests=tuple(pick.subset(("analytics", "welding", "dashboards"), 0, 2)),
        aspirations=choice(pick, ("", "lead a data team")),
        implied=frozenset(pick.subset(POOL, 0, 8)),
        occupation_id=choice(pick, (*OCCUPATIONS, None)),
    )


@dataclass(frozen=True)
class Case:
    posting: OpportunityInputs
    before: PersonInputs
    after: PersonInputs  # the same person with one required skill at the asked level
    rivals: tuple[PersonInputs, ...]
    skill: str


def case_of(pick: Pick) -> Case:
    posting = posting_of(pick, "JOB")
    person = person_of(pick, "BEFORE")
    skill = choice(pick, sorted(posting.required))
    asked = posting.required[skill]
    held_before = pick.integer(0, asked - 1)  # 0: not held at all
    skills = {s: level for s, level in person.skills.items() if s != skill}
    before = dataclasses.replace(
        person, skills=skills | ({skill: held_before} if held_before else {})
    )
    after = dataclasses.replace(person, external_id="AFTER", skills=skills | {skill: asked})
    rivals = tuple(person_of(pick, f"RIVAL{i}") for i in range(RIVALS))
    return Case(posting, before, after, rivals, skill)


@st.composite
def cases(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Case:
    return case_of(DrawPick(draw))


LEAD_PERSON = PersonInputs(
    external_id="LEAD",
    level=5,
    availability=4.0,
    location="Berlin",
    timezone="Europe/Berlin",
    department="Data",
    hire_date=dt.date(2015, 1, 1),
    skills={"skill:0": 5},
    interests=(),
    aspirations="",
)


def store_of(people: Sequence[PersonInputs], jobs: Sequence[OpportunityInputs]) -> FeatureStore:
    """Composed vectors computed by the store from the skills, as serving's are: adding a
    skill moves them, and the features must not pass that on against the person."""
    return FeatureStore(
        [LEAD_PERSON, *people],
        jobs,
        embed=ENCODER.encode,
        skill_labels=lambda skill: f"label of {skill}",
        reference_date=REFERENCE,
        tool_categories=TOOL_CATEGORIES,
        occupation_relatedness=TableRelatedness(),  # type: ignore[arg-type]  # a stand-in class
    )


def case_features(case: Case) -> np.ndarray:
    """Rows: before, after, then the rivals, all against the one posting."""
    people = [case.before, case.after, *case.rivals]
    store = store_of(people, [case.posting])
    return store.compute(np.arange(1, len(people) + 1), np.zeros(len(people), np.int64), AT)


def rank_among(score: float, rivals: np.ndarray) -> int:
    return 1 + int((rivals > score).sum())


def assert_never_ranks_lower(score: Callable[[np.ndarray], np.ndarray], case: Case) -> None:
    scores = score(case_features(case))
    before, after, rivals = scores[0], scores[1], scores[2:]
    assert after >= before - 1e-9, f"adding {case.skill} lowered the score {before} -> {after}"
    assert rank_among(after, rivals) <= rank_among(before, rivals)


PROPERTY = settings(
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(cases())
def test_no_feature_moves_against_the_person_when_a_required_skill_reaches_the_asked_level(
    case: Case,
) -> None:
    rows = case_features(case)
    before = dict(zip(FEATURE_NAMES, rows[0].tolist(), strict=True))
    after = dict(zip(FEATURE_NAMES, rows[1].tolist(), strict=True))
    for name in INCREASING:
        assert after[name] >= before[name] - 1e-6, name
    for name in DECREASING:
        assert after[name] <= before[name] + 1e-6, name
    assert after["required_coverage"] > before["required_coverage"]


@pytest.fixture(scope="module", params=list(Direction))
def default_ranker(request: pytest.FixtureRequest) -> LambdaRanker:
    return load_default_ranker(request.param).ranker


@settings(PROPERTY, max_examples=400)
@given(case=cases())
def test_packaged_default_rankers_never_rank_lower_for_a_skill_added(
    default_ranker: LambdaRanker, case: Case
) -> None:
    assert_never_ranks_lower(default_ranker.predict, case)


# -- a ranker trained here, on logs that reward the opposite ---------------------------------


class Unconstrained(LambdaRanker):
    """The same ranker with its monotone constraints off: what the constraints prevent."""

    def _params(self) -> dict[str, object]:
        return {**super()._params(), "monotone_constraints": [0] * len(FEATURE_NAMES)}


def perverse_logs(groups: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generated lists whose labels favour undeclared skills over declared ones (as a log
    might, where people with sparse profiles were shown first): grades rise with the implied
    share minus the declared share."""
    rng = np.random.default_rng(seed)
    pick = RandomPick(rng)
    jobs = [posting_of(pick, f"J{g}") for g in range(groups)]
    people = [person_of(pick, f"P{g}-{i}") for g in range(groups) for i in range(10)]
    store = store_of(people, jobs)
    person_rows = np.arange(1, len(people) + 1)
    job_rows = np.repeat(np.arange(groups), 10)
    x = store.compute(person_rows, job_rows, AT)
    column = FEATURE_NAMES.index
    signal = (
        2 * x[:, column("implied_required_coverage")]
        - 2 * x[:, column("required_coverage")]
        + x[:, column("required_missing")] / 3
        + 0.2 * rng.normal(size=len(x))
    )
    labels = np.digitize(signal, np.quantile(signal, [0.5, 0.75, 0.9]))
    return x, labels, np.full(groups, 10)


@pytest.fixture(scope="module")
def perverse_rankers() -> tuple[LambdaRanker, LambdaRanker]:
    x, y, sizes = perverse_logs(250, seed=11)
    constrained = LambdaRanker(n_estimators=80, min_trees=80).fit(x, y, sizes)
    unconstrained = Unconstrained(n_estimators=80, min_trees=80).fit(x, y, sizes)
    return constrained, unconstrained


@PROPERTY
@given(case=cases())
def test_a_ranker_trained_on_perverse_logs_still_never_ranks_lower(
    perverse_rankers: tuple[LambdaRanker, LambdaRanker], case: Case
) -> None:
    assert_never_ranks_lower(perverse_rankers[0].predict, case)


def test_without_the_constraints_the_same_logs_rank_people_lower_for_a_skill_added(
    perverse_rankers: tuple[LambdaRanker, LambdaRanker],
) -> None:
    """The property above can fail: the unconstrained twin breaks it on generated pairs."""
    rng = np.random.default_rng(5)
    dropped = 0
    for _ in range(60):
        scores = perverse_rankers[1].predict(case_features(case_of(RandomPick(rng))))
        dropped += scores[1] < scores[0] - 1e-9
    assert dropped >= 5


# -- the reported class: declared against implied ----------------------------------------


@pytest.mark.parametrize("asked", [1, 3, 5])
@pytest.mark.parametrize("declared", [1, 2, 5])
def test_declared_skills_count_for_more_than_the_same_skills_implied(
    default_ranker: LambdaRanker, declared: int, asked: int
) -> None:
    """Six required skills: one person's occupation implies all six, the other declared some at
    the asked level (the rest implied), all else alike. Declaring never ranks lower, and the
    features say the declared person holds more."""
    required = {f"skill:{i}": asked for i in range(6)}
    posting = OpportunityInputs(
        "JOB", "Data quality dashboard", "gig", "LEAD", "Data", "Remote", 4.0, 1, 7, required, {}
    )
    base = PersonInputs(
        "IMPLIED", 3, 8.0, "Berlin", "Europe/Berlin", "Data", dt.date(2022, 1, 1),
        skills={"skill:9": 3}, interests=("dashboards",), aspirations="",
        implied=frozenset(required),
    )  # fmt: skip
    holds = {f"skill:{i}": asked for i in range(declared)}
    declaring = dataclasses.replace(base, external_id="DECLARED", skills=base.skills | holds)
    rows = store_of([base, declaring], [posting]).compute(np.array([1, 2]), np.zeros(2, int), AT)
    implied, declared_row = (dict(zip(FEATURE_NAMES, r.tolist(), strict=True)) for r in rows)
    assert declared_row["implied_required_coverage"] == implied["implied_required_coverage"] == 1
    assert declared_row["required_coverage"] > implied["required_coverage"] == 0
    scores = default_ranker.predict(rows)
    assert scores[1] >= scores[0]


# -- tools of one category: a partial match --------------------------------------------------


@pytest.mark.parametrize("category", "abc")
def test_a_tool_of_the_same_category_is_a_partial_match(category: str) -> None:
    """Asked for one tool: holding another of its category scores between holding nothing
    and holding the tool itself, on the related share; the declared share is not fooled."""
    wanted, other = f"tool:{category}0", f"tool:{category}1"
    unrelated = next(t for t in TOOLS if TOOL_CATEGORIES[t] != TOOL_CATEGORIES[wanted])
    posting = OpportunityInputs(
        "JOB", "Dashboards", "gig", "LEAD", "Data", "Remote", 4.0, 1, 7,
        {wanted: 3, "skill:1": 3}, {},
    )  # fmt: skip
    people = [
        PersonInputs(name, 3, 8.0, "Berlin", "Europe/Berlin", "Data", None, skills, (), "")
        for name, skills in (
            ("NONE", {unrelated: 3}),
            ("RELATED", {unrelated: 3, other: 3}),
            ("HOLDS", {unrelated: 3, other: 3, wanted: 3}),
        )
    ]
    rows = store_of(people, [posting]).compute(np.array([1, 2, 3]), np.zeros(3, int), AT)
    related = rows[:, FEATURE_NAMES.index("required_related_coverage")]
    declared = rows[:, FEATURE_NAMES.index("required_coverage")]
    assert related.tolist() == [0.0, 0.5, 0.5]
    assert declared.tolist() == [0.0, 0.0, 0.5]


# -- occupation relatedness ------------------------------------------------------------------


@pytest.mark.parametrize("person_occupation", [*OCCUPATIONS, None, "occ:unknown"])
@pytest.mark.parametrize("posting_occupation", [*OCCUPATIONS, None])
def test_occupation_relatedness_is_the_taxonomy_s_score_and_zero_when_unknown(
    person_occupation: str | None, posting_occupation: str | None
) -> None:
    posting = OpportunityInputs(
        "JOB", "Role", "role", "LEAD", "Data", "Remote", 0.0, 1, 7, {"skill:1": 2}, {},
        occupation_id=posting_occupation,
    )  # fmt: skip
    person = PersonInputs(
        "P", 3, 8.0, "Berlin", "Europe/Berlin", "Data", None, {}, (), "",
        occupation_id=person_occupation,
    )  # fmt: skip
    row = store_of([person], [posting]).compute(np.array([1]), np.array([0]), AT)[0]
    value = row[FEATURE_NAMES.index("occupation_relatedness")]
    expected = TableRelatedness().scores(person_occupation, [posting_occupation])[0]
    assert value == pytest.approx(expected)
    if person_occupation is None or posting_occupation is None:
        assert value == 0
    elif person_occupation == posting_occupation and person_occupation in OCCUPATIONS:
        assert value == 1


# -- explanations: a coverage feature never "lowers" -----------------------------------------


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    amounts=st.lists(
        st.floats(-2, 2, allow_nan=False), min_size=len(FEATURES), max_size=len(FEATURES)
    ),
    values=st.lists(
        st.sampled_from([0.0, 0.1, 1.0, 2.0]), min_size=len(FEATURES), max_size=len(FEATURES)
    ),
)
def test_no_reason_says_holding_more_lowers_a_score(
    amounts: list[float], values: list[float]
) -> None:
    """Whatever the contributions, a feature about skills held (coverage, missing, levels) is
    never a reason against its direction: such an amount is said by the opposite feature
    ("4 of 6 not held" rather than "Holds 2 of 6 ... lowers") or, a share with no opposite,
    left unsaid; features that read right either way (hours, time zones) keep their amounts."""
    contributions = np.array([[*amounts, 0.1]])
    row = np.array([values], dtype=np.float32)
    details = [
        {
            "matched": 2, "required": 6, "matched_names": "", "missing_count": 4,
            "missing_names": "", "implied": 4, "implied_names": "", "related": 0,
            "related_names": "", "preferred_matched": 0, "preferred": 0, "hours": 4.0,
            "availability": 8.0, "location_text": "remote", "applications": 0, "kind": "gig",
        }
    ]  # fmt: skip
    for audience in (EMPLOYEE, LEAD):
        # Either audience's reasons: an employee's say "contribution", a lead's "amount".
        reasons: Sequence[Mapping[str, Any]] = explain_rows(
            contributions, row, details, audience=audience
        )[0]["reasons"]
        for reason in reasons:
            spec = BY_NAME[reason["feature"]]
            amount = reason.get("amount", reason.get("contribution"))
            value = values[FEATURE_NAMES.index(reason["feature"])]
            if value == 0 and spec.zero_texts is not None:  # "No required skill is missing"
                assert audience == LEAD or reason["text"] == spec.zero_texts[0]
            elif spec.opposite is not None or spec.unsaid_against:
                assert spec.monotone * amount >= 0, (audience, reason)
            # None held, or too little, is never a reason a score rose ("Holds 0 of 1 required
            # skills raises", "fit 0.09").
            too_little = value <= spec.said_above and spec.zero_texts is None
            assert not (spec.monotone > 0 and too_little and amount > 0), (audience, reason)
    # (A lowering "Needs 10 h a week; you have 6 free" is still said:
    # tests/serving/test_explanations.)
    total = explain_rows(contributions, row, details, audience=EMPLOYEE)[0]["contributions"]
    assert sum(total.values()) == pytest.approx(sum(amounts))  # nothing lost, only said apart
