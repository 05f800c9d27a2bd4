"""The demo's course catalog: reproducible, covering every asked skill, stored on both backends."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import Column, Index, Table, func, select

import data.demo.company as company_module
from data.demo import CourseIn, CourseSkill, DemoCompany, export_jsonl, generate_company
from data.demo.courses import asked_levels, generate_courses
from data.demo.export import COURSES_FILE
from data.importing.demo import store_demo_company
from data.schemas import OpportunityIn
from data.storage.courses import (
    count_courses,
    course_document,
    get_course,
    list_courses,
    upsert_courses,
)
from data.storage.engine import transaction
from data.storage.reset import clear_company_data
from data.storage.tables import Base, CourseSkillRow
from data.taxonomy.model import Taxonomy
from data.taxonomy.packaged import load_packaged_taxonomy
from serving.state import ServiceState
from tests.factories import CompanySize

SMALL: CompanySize = {"employees": 200, "opportunities": 40}
# SHA-256 of the seed-7 SMALL export made before the catalog existed: adding courses must leave
# people, opportunities, history and true fit exactly as they were. If you change one of those
# generators on purpose, recompute these. (Recomputed when the package took in all of ESCO:
# the demo now draws on data/demo/skills.txt, and its records carry their occupation; and when
# demo gigs and roles began to declare their occupation_id: that field alone differs.)
BEFORE_COURSES = {
    "employees": "a1c6a7f1d3b93f5a90208852f40f151b21a4876463d633b227f4f31ab53780e8",
    "opportunities": "fcf5364df18ab4676394df9ca6fea14dfb16611b303e315836ab737725f17780",
    "interactions": "2dcd08d819c699a75c06d20214872061876e64adade6efa218ebbcd7b9c0b2ab",
    "true_fit": "86126b4b6f5d5642fe26ff6cc991b21ec32110f963a86e7b3b8ae7800fafa83c",
}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_packaged_taxonomy()


@pytest.fixture(scope="module")
def company(taxonomy: Taxonomy) -> DemoCompany:
    return generate_company(taxonomy, **SMALL, seed=7)


def _catalog_bytes(company: DemoCompany, directory: Path) -> bytes:
    export_jsonl(company, directory)
    return (directory / COURSES_FILE).read_bytes()


def _reachable_from_zero(courses: list[CourseIn]) -> dict[str, int]:
    """Per skill, the highest level a beginner reaches by taking courses one after another."""
    steps: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for course in courses:
        for skill in course.skills:
            steps[skill.skill_id].append((skill.level_from, skill.level_to))
    reached: dict[str, int] = {}
    for skill_id, ladder in steps.items():
        level = 0
        while True:
            best = max((to for start, to in ladder if start <= level), default=level)
            if best <= level:
                break
            level = best
        reached[skill_id] = level
    return reached


# --- the catalog ----------------------------------------------------------------------------


def test_same_seed_gives_the_same_catalog_and_another_seed_another(
    taxonomy: Taxonomy, tmp_path: Path
) -> None:
    first = _catalog_bytes(generate_company(taxonomy, **SMALL, seed=11), tmp_path / "a")
    again = _catalog_bytes(generate_company(taxonomy, **SMALL, seed=11), tmp_path / "b")
    other = _catalog_bytes(generate_company(taxonomy, **SMALL, seed=12), tmp_path / "c")
    assert first == again
    assert first != other
    assert len(first.splitlines()) > 40


def test_every_asked_skill_has_courses_up_to_the_level_asked(company: DemoCompany) -> None:
    asked = asked_levels(company.opportunities)
    assert len(asked) > 20
    reached_by: dict[str, set[int]] = defaultdict(set)
    for course in company.courses:
        for skill in course.skills:
            reached_by[skill.skill_id].add(skill.level_to)
    climb = _reachable_from_zero(company.courses)
    for skill_id, level in asked.items():
        assert reached_by[skill_id] & {2, 3}, f"no course reaching level 2-3 in {skill_id}"
        if level >= 4:
            assert reached_by[skill_id] & {4, 5}, f"{skill_id} is asked at {level}, taught below"
        assert climb[skill_id] >= level, f"a beginner cannot get to {level} in {skill_id}"


def test_courses_are_valid_and_look_like_a_catalog(
    company: DemoCompany, taxonomy: Taxonomy
) -> None:
    courses = company.courses
    assert [c.external_id for c in courses] == [f"C{i:04d}" for i in range(1, len(courses) + 1)]
    for course in courses:
        assert course.title and course.hours > 0
        for skill in course.skills:
            assert 0 <= skill.level_from < skill.level_to <= 5
            assert skill.skill_id in taxonomy.skills
    titles = [c.title for c in courses]
    assert len(set(titles)) > 0.95 * len(titles)
    assert len({c.provider for c in courses}) >= 3
    assert {c.format.value for c in courses} == {"self-paced", "workshop", "cohort"}
    assert any(len(c.skills) == 2 for c in courses), "some programmes teach two skills"
    # A course's title names the skill it teaches.
    for course in [c for c in courses if len(c.skills) == 1][:50]:
        label = taxonomy.skills[course.skills[0].skill_id].label.split(" (")[0]
        assert label.casefold() in course.title.casefold(), course.title


def test_people_opportunities_and_history_are_as_before_the_catalog(
    company: DemoCompany, tmp_path: Path
) -> None:
    paths = export_jsonl(company, tmp_path)
    digests = {
        name: hashlib.sha256(paths[name].read_bytes()).hexdigest() for name in BEFORE_COURSES
    }
    assert digests == BEFORE_COURSES


def test_course_draws_do_not_leak_into_other_phases(
    taxonomy: Taxonomy, company: DemoCompany, monkeypatch: pytest.MonkeyPatch
) -> None:
    def greedy(
        rng: np.random.Generator, taxonomy: Taxonomy, opportunities: Sequence[OpportunityIn]
    ) -> list[CourseIn]:
        rng.random(10_000)  # a catalog that draws differently
        return generate_courses(rng, taxonomy, opportunities)

    monkeypatch.setattr(company_module, "generate_courses", greedy)
    changed = generate_company(taxonomy, **SMALL, seed=7)
    assert changed.courses != company.courses
    assert changed.employees == company.employees
    assert changed.opportunities == company.opportunities
    assert changed.interactions == company.interactions
    np.testing.assert_array_equal(changed.true_fit, company.true_fit)


def test_catalog_is_exported_in_the_contract_and_counted_in_the_manifest(
    company: DemoCompany, tmp_path: Path
) -> None:
    paths = export_jsonl(company, tmp_path)
    lines = (tmp_path / COURSES_FILE).read_text(encoding="utf-8").splitlines()
    assert [CourseIn.model_validate_json(line) for line in lines] == company.courses
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert manifest["files"]["courses"] == COURSES_FILE
    assert manifest["courses"]["total"] == len(company.courses)
    assert company.summary()["courses"]["total"] == len(company.courses)


def test_course_records_are_validated() -> None:
    with pytest.raises(ValidationError, match="must be above level_from"):
        CourseSkill(skill_id="custom:sql", level_from=3, level_to=3)
    with pytest.raises(ValidationError, match="at most once"):
        CourseIn.model_validate(
            {
                "external_id": "C1",
                "title": "SQL twice",
                "provider": "In-house Academy",
                "format": "workshop",
                "hours": 4,
                "skills": [
                    {"skill_id": "custom:sql", "level_from": 0, "level_to": 2},
                    {"skill_id": "custom:sql", "level_from": 2, "level_to": 3},
                ],
            }
        )
    with pytest.raises(ValidationError, match="hours"):
        CourseIn.model_validate(
            {
                "external_id": "C1",
                "title": "SQL",
                "provider": "In-house Academy",
                "format": "workshop",
                "hours": 0,
                "skills": [{"skill_id": "custom:sql", "level_from": 0, "level_to": 2}],
            }
        )


# --- storage (SQLite and PostgreSQL) --------------------------------------------------------


def test_catalog_round_trips_through_storage(state: ServiceState, company: DemoCompany) -> None:
    with transaction(state.sessions) as session:
        counts = upsert_courses(session, company.courses)
    assert (counts.created, counts.updated) == (len(company.courses), 0)
    with state.sessions() as session:
        stored = list_courses(session, limit=10_000)
        assert [CourseIn.model_validate(course_document(row)) for row in stored] == company.courses

    # Re-importing an edited course replaces it: new title and levels, a skill dropped.
    edited = company.courses[0].model_copy(deep=True)
    edited.title = "Renamed course"
    edited.skills = [CourseSkill(skill_id=edited.skills[0].skill_id, level_from=1, level_to=5)]
    with transaction(state.sessions) as session:
        counts = upsert_courses(session, [edited])
    assert (counts.created, counts.updated) == (0, 1)
    with state.sessions() as session:
        assert count_courses(session) == len(company.courses)
        row = get_course(session, edited.external_id)
        assert row is not None
        assert CourseIn.model_validate(course_document(row)) == edited


def test_courses_can_be_listed_by_skill(state: ServiceState, company: DemoCompany) -> None:
    skill_id = company.courses[0].skills[0].skill_id
    teaching = {
        c.external_id for c in company.courses if any(s.skill_id == skill_id for s in c.skills)
    }
    with transaction(state.sessions) as session:
        upsert_courses(session, company.courses)
    with state.sessions() as session:
        listed = list_courses(session, limit=100, skill_id=skill_id)
        assert {row.external_id for row in listed} == teaching
        first_page = list_courses(session, limit=5)
        second_page = list_courses(session, limit=5, after_id=first_page[-1].id)
        assert len(first_page) == len(second_page) == 5
        assert not {r.id for r in first_page} & {r.id for r in second_page}


def test_the_demo_company_is_stored_with_its_catalog_and_cleared_with_it(
    state: ServiceState, company: DemoCompany
) -> None:
    with transaction(state.sessions) as session:
        store_demo_company(session, company)
    with state.sessions() as session:
        assert count_courses(session) == len(company.courses)
    with transaction(state.sessions) as session:
        clear_company_data(session)
    with state.sessions() as session:
        assert count_courses(session) == 0
        assert session.scalar(select(func.count()).select_from(CourseSkillRow)) == 0


def _touched(difference: tuple | list) -> set[str]:
    """Names of the tables and indexes one autogenerate difference is about."""
    if isinstance(difference, list):  # column changes come grouped per column
        return set().union(*(_touched(d) for d in difference))
    found: set[str] = set()
    for part in difference[1:]:
        if isinstance(part, str):
            found.add(part)
        elif isinstance(part, Table):
            found.add(part.name)
        elif isinstance(part, Index):
            found |= {str(part.name), part.table.name if part.table is not None else ""}
        elif isinstance(part, Column) and part.table is not None:
            found.add(part.table.name)
    return found


def test_migrations_create_the_course_tables_as_declared(state: ServiceState) -> None:
    ours = {"courses", "course_skills", "ix_opportunity_skills_skill_id"}
    with state.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if _touched(d) & ours] == []
    with state.sessions() as session:
        assert count_courses(session) == 0  # the tables exist, empty after a reset
