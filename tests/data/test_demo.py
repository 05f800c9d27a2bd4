"""The demo company: reproducible, valid against the contract, carrying the effects it claims."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from data.demo import (
    DEFAULT_AS_OF,
    TASTES,
    BiasConfig,
    DemoCompany,
    HistoryConfig,
    Tastes,
    export_jsonl,
    generate_company,
    load_true_fit,
)
from data.demo.families import build_families
from data.schemas import EmployeeIn, InteractionIn, OpportunityIn, OpportunityKind
from data.taxonomy.model import Taxonomy, TaxonomyOccupation, TaxonomySkill
from tests.factories import CompanySize
from tests.helpers.perf import assert_within_budget

SMALL: CompanySize = {"employees": 200, "opportunities": 40}

# occupation label -> (essential skill labels, optional skill labels)
_OCCUPATIONS = {
    "data analyst": (
        ("SQL", "data visualisation", "statistics", "data cleansing", "Python"),
        ("dashboards", "A/B testing", "forecasting"),
    ),
    "data scientist": (
        ("machine learning", "Python", "statistics", "data mining", "feature engineering"),
        ("deep learning", "experiment design", "SQL"),
    ),
    "software developer": (
        ("Java", "software testing", "version control", "software design", "debugging"),
        ("TypeScript", "API design", "code review"),
    ),
    "ICT security administrator": (
        ("access control", "threat modelling", "incident response", "firewalls", "risk analysis"),
        ("penetration testing", "security audits", "cryptography"),
    ),
    "financial analyst": (
        ("financial analysis", "budgeting", "financial forecasting", "spreadsheets", "valuation"),
        ("risk analysis", "financial reporting", "negotiation"),
    ),
    "human resources officer": (
        ("recruit employees", "labour legislation", "onboarding", "compensation", "coaching"),
        ("people analytics", "performance reviews", "negotiation"),
    ),
    "sales manager": (
        ("negotiation", "account management", "sales forecasting", "lead generation", "CRM"),
        ("pricing strategy", "presentation skills", "market research"),
    ),
    "project manager": (
        ("project planning", "stakeholder management", "budgeting", "agile methods", "scheduling"),
        ("risk analysis", "coaching", "presentation skills"),
    ),
    "sound operator": (("audio mixing", "microphones"), ("acoustics",)),  # not in this company
}


def _skill_id(label: str) -> str:
    return "custom:" + label.lower().replace(" ", "-").replace("/", "-")


def make_taxonomy() -> Taxonomy:
    labels = sorted({label for pair in _OCCUPATIONS.values() for group in pair for label in group})
    skills = [TaxonomySkill(_skill_id(label), label, source="custom") for label in labels]
    occupations = [
        TaxonomyOccupation(
            occupation_id=f"custom:occ-{i}",
            label=label,
            essential_skill_ids=tuple(_skill_id(s) for s in essential),
            optional_skill_ids=tuple(_skill_id(s) for s in optional),
        )
        for i, (label, (essential, optional)) in enumerate(_OCCUPATIONS.items())
    ]
    return Taxonomy.build(skills, occupations, version="test-small")


def _packaged_taxonomy() -> Taxonomy | None:
    if importlib.util.find_spec("data.taxonomy.packaged") is None:
        return None
    from data.taxonomy.packaged import load_packaged_taxonomy

    return load_packaged_taxonomy()


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return make_taxonomy()


@pytest.fixture(scope="module")
def company(taxonomy: Taxonomy) -> DemoCompany:
    return generate_company(taxonomy, **SMALL, seed=7)


def _export_bytes(company: DemoCompany, directory: Path) -> dict[str, bytes]:
    paths = export_jsonl(company, directory)
    return {name: path.read_bytes() for name, path in paths.items()}


def _index(company: DemoCompany) -> tuple[dict[str, int], dict[str, int]]:
    return (
        {e: i for i, e in enumerate(company.employee_ids)},
        {o: i for i, o in enumerate(company.opportunity_ids)},
    )


def _events(company: DemoCompany, kind: str) -> list[InteractionIn]:
    return [i for i in company.interactions if i.type.value == kind]


def _event_fit(company: DemoCompany, kind: str) -> np.ndarray:
    """True fit of the pair behind each event of `kind`, in log order."""
    employee_row, opportunity_col = _index(company)
    events = _events(company, kind)
    rows = [employee_row[i.employee_external_id] for i in events]
    cols = [opportunity_col[i.opportunity_external_id] for i in events]
    return company.true_fit[rows, cols]


# --- reproducibility ------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_export(taxonomy: Taxonomy, tmp_path: Path) -> None:
    first = _export_bytes(generate_company(taxonomy, **SMALL, seed=11), tmp_path / "a")
    second = _export_bytes(generate_company(taxonomy, **SMALL, seed=11), tmp_path / "b")
    assert set(first) == {"employees", "opportunities", "interactions", "true_fit", "manifest"}
    for name in first:
        assert first[name] == second[name], f"{name} differs between two runs with one seed"


def test_different_seed_gives_different_company(taxonomy: Taxonomy, tmp_path: Path) -> None:
    first = _export_bytes(generate_company(taxonomy, **SMALL, seed=11), tmp_path / "a")
    second = _export_bytes(generate_company(taxonomy, **SMALL, seed=12), tmp_path / "b")
    for name in ("employees", "opportunities", "interactions", "true_fit"):
        assert first[name] != second[name], f"{name} is the same for seeds 11 and 12"


def test_as_of_is_fixed_not_today(company: DemoCompany) -> None:
    assert company.as_of == DEFAULT_AS_OF
    assert max(i.occurred_at for i in company.interactions).date() < company.as_of


# --- the data contract ----------------------------------------------------------------------


def test_every_exported_record_validates_and_round_trips(
    company: DemoCompany, tmp_path: Path
) -> None:
    paths = export_jsonl(company, tmp_path)
    for name, model, originals in (
        ("employees", EmployeeIn, company.employees),
        ("opportunities", OpportunityIn, company.opportunities),
        ("interactions", InteractionIn, company.interactions),
    ):
        lines = paths[name].read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(originals) > 0
        for line, original in zip(lines, originals, strict=True):
            record = json.loads(line)
            assert None not in record.values()
            assert model.model_validate(record) == original
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert manifest["seed"] == company.seed
    assert manifest["sizes"] == {
        "employees": 200,
        "opportunities": 40,
        "interactions": len(company.interactions),
    }
    assert manifest["bias"]["group"] == "female"


def test_ids_and_references_resolve(company: DemoCompany, taxonomy: Taxonomy) -> None:
    employee_ids = [e.external_id for e in company.employees]
    assert employee_ids == [f"E{i:05d}" for i in range(1, 201)]
    opportunity_ids = [o.external_id for o in company.opportunities]
    assert opportunity_ids == [f"O{i:04d}" for i in range(1, 41)]
    known_people, known_opportunities = set(employee_ids), set(opportunity_ids)
    for employee in company.employees:
        assert employee.manager_external_id in known_people | {None}
        assert all(s.skill_id in taxonomy.skills for s in employee.skills)
    for opportunity in company.opportunities:
        assert opportunity.owner_external_id in known_people
        listed = opportunity.required_skills + opportunity.preferred_skills
        assert all(s.skill_id in taxonomy.skills for s in listed)
    for event in company.interactions:
        assert event.employee_external_id in known_people
        assert event.opportunity_external_id in known_opportunities


def test_sound_crafts_are_not_part_of_the_company(taxonomy: Taxonomy) -> None:
    families = build_families(taxonomy)
    labels = {o.label for f in families for o in f.occupations}
    assert "sound operator" not in labels
    assert {f.department for f in families} >= {"Data", "Engineering", "Finance", "People/HR"}


def test_taxonomy_without_usable_occupations_is_refused() -> None:
    skills = [TaxonomySkill("custom:a", "a"), TaxonomySkill("custom:b", "b")]
    occupation = TaxonomyOccupation("custom:x", "boom operator", essential_skill_ids=("custom:a",))
    with pytest.raises(ValueError, match="no occupation matching a job family"):
        generate_company(Taxonomy.build(skills, [occupation]), **SMALL)


# --- people ---------------------------------------------------------------------------------


def test_personas_are_usable_for_the_demo(company: DemoCompany) -> None:
    assert company.personas == {"employee": "E00001", "lead": "E00002", "hr": "E00003"}
    employee, lead, hr = company.employees[:3]
    assert employee.department == "Data"
    assert employee.availability_hours_per_week > 0
    assert set(employee.open_to) == set(OpportunityKind)
    assert hr.department == "People/HR"
    owned = [o for o in company.opportunities if o.owner_external_id == lead.external_id]
    assert {o.kind for o in owned} == set(OpportunityKind)
    assert all(o.status.value == "open" for o in owned)
    assert 0.03 <= len(owned) / len(company.opportunities) <= 0.12


def test_managers_form_a_tree_within_departments(company: DemoCompany) -> None:
    by_id = {e.external_id: e for e in company.employees}
    roots: Counter[str] = Counter()
    for employee in company.employees:
        if employee.manager_external_id is None:
            roots[employee.department] += 1
            continue
        manager = by_id[employee.manager_external_id]
        assert manager.level > employee.level, (employee.external_id, manager.external_id)
        assert manager.department == employee.department
    departments = {e.department for e in company.employees}
    assert roots == Counter(dict.fromkeys(departments, 1)), "one head per department"


def test_people_look_like_a_company(company: DemoCompany) -> None:
    levels = Counter(e.level for e in company.employees)
    assert levels[1] + levels[2] + levels[3] > levels[5] + levels[6] + levels[7]  # a pyramid
    assert all(5 <= len(e.skills) <= 15 for e in company.employees)
    assert all(0 <= e.availability_hours_per_week <= 20 for e in company.employees)
    assert len({e.location for e in company.employees}) >= 5
    assert len({e.email for e in company.employees}) == len(company.employees)
    assert all(e.hire_date is not None and e.hire_date < company.as_of for e in company.employees)

    # Seniors know their skills better than juniors.
    def mean_proficiency(low: int, high: int) -> float:
        return float(
            np.mean(
                [s.level for e in company.employees if low <= e.level <= high for s in e.skills]
            )
        )

    assert mean_proficiency(5, 7) > mean_proficiency(1, 2) + 0.8


def test_some_people_want_to_move(company: DemoCompany, taxonomy: Taxonomy) -> None:
    families = build_families(taxonomy)
    own_skills = {f.department: set(f.skill_pool()) for f in families}
    label_to_id = {s.label: s.skill_id for s in taxonomy.skills.values()}
    away = 0
    for employee in company.employees:
        wanted = [label_to_id[t] for t in employee.interests if t in label_to_id]
        if wanted and not set(wanted) & own_skills[employee.department]:
            away += 1
    assert 0.12 <= away / len(company.employees) <= 0.40


# --- demographics ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workforce(taxonomy: Taxonomy) -> DemoCompany:
    """A larger workforce without history, for distribution checks."""
    return generate_company(
        taxonomy,
        employees=3000,
        opportunities=10,
        seed=3,
        history=HistoryConfig(sessions_per_employee=0),
    )


def test_demographics_have_a_realistic_spread_with_unknowns(workforce: DemoCompany) -> None:
    groups = workforce.group_sizes()
    n = len(workforce.employees)
    assert 0.04 <= groups["gender"]["unknown"] / n <= 0.13
    assert 0.06 <= groups["race_ethnicity"]["unknown"] / n <= 0.15
    assert {"female", "male", "non-binary"} <= set(groups["gender"])
    assert len(groups["race_ethnicity"]) == 8  # seven EEO-1 categories and unknown
    assert {"under-25", "25-34", "35-44", "45-54", "55+"} <= set(groups["age_band"])
    assert groups["gender"]["female"] / n > 0.3


def test_demographics_are_independent_of_level_and_skills(workforce: DemoCompany) -> None:
    by_gender: dict[str, list[EmployeeIn]] = defaultdict(list)
    for employee in workforce.employees:
        gender = employee.demographics.gender if employee.demographics else None
        by_gender[gender or "unknown"].append(employee)
    female, male = by_gender["female"], by_gender["male"]
    assert abs(np.mean([e.level for e in female]) - np.mean([e.level for e in male])) < 0.2
    assert (
        abs(np.mean([len(e.skills) for e in female]) - np.mean([len(e.skills) for e in male])) < 0.5
    )
    share = {g: Counter(e.department for e in people) for g, people in by_gender.items()}
    for department in share["male"]:
        assert (
            abs(share["female"][department] / len(female) - share["male"][department] / len(male))
            < 0.05
        ), department


def test_true_fit_ignores_demographics(workforce: DemoCompany) -> None:
    best = workforce.true_fit.max(axis=1)
    gender = np.array(
        [e.demographics.gender if e.demographics else "" for e in workforce.employees]
    )
    assert abs(best[gender == "female"].mean() - best[gender == "male"].mean()) < 0.03


# --- true fit -------------------------------------------------------------------------------


def test_true_fit_is_saved_without_pickles(company: DemoCompany, tmp_path: Path) -> None:
    fit = company.true_fit
    assert fit.shape == (200, 40) and fit.dtype == np.float32
    assert fit.min() >= 0.0 and fit.max() <= 1.0
    assert fit.std() > 0.05
    assert company.fit_of("E00003", "O0002") == fit[2, 1]
    saved = load_true_fit(company.save_true_fit(tmp_path / "fit.npz"))
    np.testing.assert_array_equal(saved.fit, fit)
    assert saved.employee_ids == company.employee_ids
    assert saved.opportunity_ids == company.opportunity_ids


def test_true_fit_rewards_holding_the_asked_skills(company: DemoCompany) -> None:
    employee_row, opportunity_col = _index(company)
    fit = company.true_fit
    for opportunity in company.opportunities:
        if opportunity.kind is not OpportunityKind.ROLE:
            continue
        asked = {s.skill_id: s.level for s in opportunity.required_skills}
        column = opportunity_col[opportunity.external_id]
        covered, bare = [], []
        for employee in company.employees:
            held = {s.skill_id: s.level for s in employee.skills}
            meets = all(held.get(s, 0) >= level for s, level in asked.items())
            in_band = opportunity.level_min <= employee.level <= opportunity.level_max
            if in_band and meets:
                covered.append(fit[employee_row[employee.external_id], column])
            elif in_band and not set(asked) & set(held):
                bare.append(fit[employee_row[employee.external_id], column])
        if covered and bare:
            assert min(covered) > max(bare), opportunity.external_id


# --- history --------------------------------------------------------------------------------


def test_history_is_ordered_and_causal(company: DemoCompany) -> None:
    times = [i.occurred_at for i in company.interactions]
    assert times == sorted(times)
    start = dt.datetime.combine(company.as_of, dt.time(0), tzinfo=dt.UTC)
    assert times[0] >= start - dt.timedelta(days=company.history.period_days)
    assert times[-1] < start
    first_seen: dict[tuple[str, str, str], dt.datetime] = {}
    for event in company.interactions:
        key = (event.employee_external_id, event.opportunity_external_id, event.type.value)
        first_seen.setdefault(key, event.occurred_at)
        pair = key[:2]
        if event.type.value == "apply":
            assert first_seen[(*pair, "view")] <= event.occurred_at
        if event.type.value in {"shortlist", "accept"}:
            assert first_seen[(*pair, "apply")] < event.occurred_at
        if event.type.value == "complete":
            assert first_seen[(*pair, "accept")] < event.occurred_at
            assert event.rating is not None
    applications = Counter(
        (i.employee_external_id, i.opportunity_external_id) for i in _events(company, "apply")
    )
    assert max(applications.values()) == 1


def test_pages_come_from_the_logging_policy(company: DemoCompany) -> None:
    pages: dict[str, list[int]] = defaultdict(list)
    for event in _events(company, "impression"):
        assert event.request_id is not None and event.request_id.startswith("hist-")
        pages[event.request_id].append(event.position or 0)
    assert len(pages) > 500
    for positions in pages.values():
        assert positions == list(range(1, len(positions) + 1))
        assert len(positions) <= company.history.shown_per_session
    # The policy samples its page, so one opportunity shows up at several positions.
    spread = defaultdict(set)
    for event in _events(company, "impression"):
        spread[event.opportunity_external_id].add(event.position)
    assert np.mean([len(p) for p in spread.values()]) > 3


def _view_rate_ratio(company: DemoCompany, top: int, lower: int) -> float:
    """Views per impression at `top` over `lower`, within true-fit strata.

    Stratifying matters: the policy puts better matches first, so raw click-through falls with
    position even without any position bias; within a stratum only the position differs.
    """
    impressions = _events(company, "impression")
    viewed = {(i.request_id, i.opportunity_external_id) for i in _events(company, "view")}
    position = np.array([i.position for i in impressions])
    clicked = np.array([(i.request_id, i.opportunity_external_id) in viewed for i in impressions])
    fit = _event_fit(company, "impression")
    keep = np.isin(position, (top, lower))
    position, clicked, fit = position[keep], clicked[keep], fit[keep]
    strata = np.digitize(fit, np.unique(np.quantile(fit, [0.25, 0.5, 0.75])))
    ratios, weights = [], []
    for stratum in np.unique(strata).tolist():
        first = (strata == stratum) & (position == top)
        later = (strata == stratum) & (position == lower)
        if first.sum() >= 30 and later.sum() >= 30 and clicked[later].any():
            ratios.append(clicked[first].mean() / clicked[later].mean())
            weights.append(first.sum() + later.sum())
    assert weights, "too few impressions to compare positions"
    return float(np.average(ratios, weights=weights))


def test_position_bias_is_visible(company: DemoCompany) -> None:
    # Examination at position p is (1/p) ** 0.8: five times further down, 3.6x fewer looks.
    assert _view_rate_ratio(company, 1, 5) > 2.0


def test_without_position_decay_position_does_not_matter(taxonomy: Taxonomy) -> None:
    flat = generate_company(taxonomy, **SMALL, history=HistoryConfig(position_decay=0.0))
    assert 0.7 < _view_rate_ratio(flat, 1, 5) < 1.4


def test_outcomes_follow_true_fit(bias_pair: tuple[DemoCompany, DemoCompany]) -> None:
    _, fair = bias_pair
    assert _event_fit(fair, "apply").mean() > _event_fit(fair, "impression").mean() + 0.2
    assert _event_fit(fair, "accept").mean() > _event_fit(fair, "apply").mean() + 0.05
    ratings = np.array([i.rating for i in _events(fair, "complete")])
    assert len(ratings) > 30, "accepted gigs and mentorships that ended are completed"
    assert np.corrcoef(ratings, _event_fit(fair, "complete"))[0, 1] > 0.3


# --- historical bias ------------------------------------------------------------------------


def _accept_ratio(company: DemoCompany) -> float:
    """Accepted/applied of women relative to everyone else, averaged over true-fit quintiles."""
    women = {
        e.external_id
        for e in company.employees
        if e.demographics is not None and e.demographics.gender == "female"
    }
    accepted = {
        (i.employee_external_id, i.opportunity_external_id) for i in _events(company, "accept")
    }
    applied = [
        (i.employee_external_id, i.opportunity_external_id) for i in _events(company, "apply")
    ]
    fit = _event_fit(company, "apply")
    by_woman = np.array([e in women for e, _ in applied])
    won = np.array([pair in accepted for pair in applied])
    strata = np.digitize(fit, np.quantile(fit, [0.2, 0.4, 0.6, 0.8]))
    ratios, weights = [], []
    for stratum in range(5):
        here = strata == stratum
        others = won[here & ~by_woman].mean()
        if (here & by_woman).sum() >= 20 and others > 0:
            ratios.append(won[here & by_woman].mean() / others)
            weights.append(here.sum())
    return float(np.average(ratios, weights=weights))


@pytest.fixture(scope="module")
def bias_pair(taxonomy: Taxonomy) -> tuple[DemoCompany, DemoCompany]:
    history = HistoryConfig(sessions_per_employee=15)
    size: CompanySize = {"employees": 600, "opportunities": 80}
    biased = generate_company(taxonomy, **size, seed=5, history=history, bias=BiasConfig())
    fair = generate_company(
        taxonomy,
        **size,
        seed=5,
        history=history,
        bias=BiasConfig(shortlist_penalty=0.0, accept_penalty=0.0),
    )
    return biased, fair


def test_historical_bias_is_visible_and_sized_by_config(
    bias_pair: tuple[DemoCompany, DemoCompany],
) -> None:
    biased, fair = bias_pair
    assert len(_events(biased, "apply")) > 1000
    assert biased.bias.expected_accept_ratio == pytest.approx(0.49)
    assert 0.3 < _accept_ratio(biased) < 0.7
    assert 0.8 < _accept_ratio(fair) < 1.25


def test_bias_changes_only_decisions_about_the_penalised_group(
    bias_pair: tuple[DemoCompany, DemoCompany],
) -> None:
    biased, fair = bias_pair
    women = {
        e.external_id
        for e in biased.employees
        if e.demographics is not None and e.demographics.gender == "female"
    }

    def decisions(company: DemoCompany, about_women: bool) -> set[tuple[str, str, str]]:
        return {
            (i.employee_external_id, i.opportunity_external_id, i.type.value)
            for i in company.interactions
            if i.type.value in {"shortlist", "accept", "reject", "complete"}
            and (i.employee_external_id in women) == about_women
        }

    assert _events(biased, "apply") == _events(fair, "apply")
    assert decisions(biased, about_women=False) == decisions(fair, about_women=False)
    # Same draws, lower bar for nobody: every woman accepted under bias is accepted without it.
    under_bias, without = (
        {d for d in decisions(c, about_women=True) if d[2] == "accept"} for c in (biased, fair)
    )
    assert under_bias < without


def test_bias_config_is_validated() -> None:
    with pytest.raises(ValueError, match="bias attribute"):
        BiasConfig(attribute="salary")
    with pytest.raises(ValueError, match="shortlist_penalty"):
        BiasConfig(shortlist_penalty=1.5)


# --- summary, progress, scale ---------------------------------------------------------------


def test_summary_counts_what_is_there(company: DemoCompany) -> None:
    summary = company.summary()
    assert summary["employees"] == 200
    assert summary["opportunities"]["total"] == 40
    assert summary["opportunities"]["by_kind"] == {"gig": 20, "mentorship": 10, "role": 10}
    assert sum(summary["interactions"]["by_type"].values()) == len(company.interactions)
    assert summary["bias"]["penalised_group_size"] == summary["groups"]["gender"]["female"]
    assert sum(summary["groups"]["gender"].values()) == 200


def test_progress_is_reported_per_phase(taxonomy: Taxonomy) -> None:
    seen: list[tuple[str, int, int]] = []
    generate_company(taxonomy, employees=50, opportunities=12, progress=lambda *a: seen.append(a))
    last = {phase: (done, total) for phase, done, total in seen}
    assert set(last) == {"people", "opportunities", "true fit", "history", "interactions"}
    assert all(0 <= done <= total for _, done, total in seen)
    assert all(done == total for done, total in last.values()), "every phase ends complete"


def test_opportunities_follow_the_brief(company: DemoCompany) -> None:
    by_id = {e.external_id: e for e in company.employees}
    for o in company.opportunities:
        assert 2 <= len(o.required_skills) <= 6
        assert len(o.preferred_skills) <= 4
        assert all(2 <= s.level <= 4 for s in o.required_skills)
        owner = by_id[o.owner_external_id]
        assert owner.level >= 4
        if o.kind is OpportunityKind.GIG:
            assert 2 <= o.hours_per_week <= 10
        elif o.kind is OpportunityKind.MENTORSHIP:
            assert 1 <= o.hours_per_week <= 2
            held = {s.skill_id: s.level for s in owner.skills}
            assert all(
                held.get(s.skill_id, 0) > s.level or s.level == 2 for s in o.required_skills
            ), "a mentor offers what they know well"
        else:
            assert o.hours_per_week == 40 and 1 <= o.level_max - o.level_min <= 2
    titles = [o.title for o in company.opportunities]
    assert len(set(titles)) > 0.7 * len(titles)
    assert Counter(o.status.value for o in company.opportunities).most_common(1)[0][0] == "open"


@pytest.mark.skipif(_packaged_taxonomy() is None, reason="data/taxonomy/packaged.py not present")
def test_packaged_taxonomy_gives_a_valid_company(tmp_path: Path) -> None:
    taxonomy = _packaged_taxonomy()
    assert taxonomy is not None
    company = generate_company(taxonomy, **SMALL, seed=7)
    departments = {e.department for e in company.employees}
    assert {"Engineering", "Data", "Finance", "People/HR", "Sales"} <= departments
    paths = export_jsonl(company, tmp_path)
    for line in paths["employees"].read_text(encoding="utf-8").splitlines():
        EmployeeIn.model_validate_json(line)
    for line in paths["opportunities"].read_text(encoding="utf-8").splitlines():
        OpportunityIn.model_validate_json(line)


@pytest.mark.slow
def test_default_size_is_fast_and_sized_as_documented() -> None:
    taxonomy = _packaged_taxonomy() or make_taxonomy()
    started = time.perf_counter()
    company = generate_company(taxonomy)
    elapsed = time.perf_counter() - started
    counts = company.summary()["interactions"]["by_type"]
    assert_within_budget(elapsed, 60, "generating the default demo company")
    assert 50_000 <= counts["impression"] <= 150_000
    assert 1_000 <= counts["apply"] <= 10_000


def test_without_history_the_same_company_opens_cold(
    company: DemoCompany, taxonomy: Taxonomy
) -> None:
    cold = generate_company(taxonomy, **SMALL, seed=7, with_history=False)
    assert cold.interactions == []
    assert cold.employees == company.employees  # the same people ...
    assert np.array_equal(cold.true_fit, company.true_fit)  # ... and the same hidden fit
    assert [o.external_id for o in cold.opportunities] == [
        o.external_id for o in company.opportunities
    ]
    opening = dt.datetime.combine(cold.as_of, dt.time(0), dt.UTC)
    assert {o.status.value for o in cold.opportunities} == {"open"}
    assert all(o.start_date is not None and o.start_date > cold.as_of for o in cold.opportunities)
    assert set(cold.posted_at.values()) == {opening}


def test_a_company_with_other_tastes_differs_only_in_what_fits(
    company: DemoCompany, taxonomy: Taxonomy
) -> None:
    """Interest-led people: the same workforce and postings, a different hidden fit, in which
    skill counts for less (so a ranker that learned the standard tastes is off)."""
    other = generate_company(
        taxonomy, **SMALL, seed=7, with_history=False, tastes=TASTES["interest-led"]
    )
    assert other.employees == company.employees
    assert [o.external_id for o in other.opportunities] == [
        o.external_id for o in company.opportunities
    ]
    assert not np.array_equal(other.true_fit, company.true_fit)
    roles = [j for j, o in enumerate(company.opportunities) if o.kind.value == "role"]
    # Roles ask for skills: under interest-led tastes the fit follows holding them less.
    coverage = np.array(
        [
            [
                np.mean([s.skill_id in {h.skill_id for h in e.skills} for s in o.required_skills])
                if o.required_skills
                else 0.0
                for o in (company.opportunities[j] for j in roles)
            ]
            for e in company.employees
        ]
    )

    def follows_skills(fit: np.ndarray) -> float:
        return float(np.corrcoef(coverage.ravel(), fit[:, roles].ravel())[0, 1])

    assert follows_skills(other.true_fit) < follows_skills(company.true_fit)
    with pytest.raises(ValueError, match="sum to 1"):
        Tastes(gig=(0.5, 0.6))
