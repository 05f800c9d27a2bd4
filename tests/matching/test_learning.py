"""Learning recommendations: the course that closes a gap, on-the-job openings, cheap queries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypedDict

import pytest
from sqlalchemy import event, select

from data.demo import CourseIn
from data.importing import import_employees, import_opportunities
from data.storage.courses import upsert_courses
from data.storage.engine import transaction
from data.storage.snapshots import snapshots_by_external_id, snapshots_by_id
from data.storage.tables import OpportunityRow, SkillRow
from matching.course_catalog import REFRESH_SECONDS, CourseCatalog
from matching.learning import SkillGap, learning_for
from matching.read_model import ReadModel
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity


def _skill_id(state: ServiceState, label: str) -> str:
    found = state.taxonomy.lookup_label(label)
    assert found is not None, label
    return found[0].skill_id


def _course(external_id: str, skill_id: str, levels: tuple[int, int], hours: float) -> CourseIn:
    # Validated from plain values, as an import reads them ("self-paced" -> CourseFormat).
    return CourseIn.model_validate(
        {
            "external_id": external_id,
            "title": f"Course {external_id}",
            "provider": "In-house Academy",
            "format": "self-paced",
            "hours": hours,
            "skills": [{"skill_id": skill_id, "level_from": levels[0], "level_to": levels[1]}],
        }
    )


def _sql_opening(external_id: str, owner: str, level: int, **overrides: Any) -> dict[str, Any]:
    return make_opportunity(
        external_id,
        owner=owner,
        title=f"Opening {external_id}",
        required_skills=[{"name": "SQL", "level": level}],
        preferred_skills=[],
        **overrides,
    )


@pytest.fixture
def company(state: ServiceState) -> ServiceState:
    """ANA holds SQL at 1 and no Python; LEAD posts openings; courses on both skills."""
    sql, python = _skill_id(state, "SQL"), _skill_id(state, PYTHON)
    people = [
        make_employee("LEAD", level=5),
        make_employee("ANA", skills=[{"name": "SQL", "level": 1}]),
    ]
    openings = [
        _sql_opening("G-NEAR", "LEAD", 2),
        _sql_opening("M-MID", "LEAD", 3, kind="mentorship", hours_per_week=1.5),
        _sql_opening("G-FAR", "LEAD", 4),
        _sql_opening("G-OWN", "ANA", 2),  # ANA's own gig
        _sql_opening("R-ROLE", "LEAD", 2, kind="role", hours_per_week=40),
        _sql_opening("G-CLOSED", "LEAD", 2, status="closed"),
        _sql_opening("G-FILLED", "LEAD", 2, status="filled"),
        # Python only as a preferred skill: still a way to build it.
        make_opportunity(
            "G-PY",
            owner="LEAD",
            required_skills=[{"name": "SQL", "level": 2}],
            preferred_skills=[{"name": PYTHON, "level": 2}],
        ),
    ]
    courses = [
        # SQL from 1 to 3: two exact fits (tie on hours, broken by id), one overshooting but
        # shorter, one that stops short, one that starts above what ANA holds.
        _course("C-SQL-B", sql, (0, 3), 12),
        _course("C-SQL-A", sql, (1, 3), 12),
        _course("C-SQL-OVER", sql, (0, 4), 3),
        _course("C-SQL-SHORT", sql, (0, 2), 2),
        _course("C-SQL-ABOVE", sql, (2, 3), 1),
        # Python to 5: nothing gets there from 0; the furthest startable course reaches 3.
        _course("C-PY-2", python, (0, 2), 5),
        _course("C-PY-3", python, (0, 3), 20),
        _course("C-PY-4", python, (1, 4), 2),
    ]
    with transaction(state.sessions) as session:
        import_employees(session, list(enumerate(people, 1)), state.skill_resolver())
        import_opportunities(session, list(enumerate(openings, 1)), state.skill_resolver())
        upsert_courses(session, courses)
    return state


def _gaps(state: ServiceState) -> dict[str, SkillGap]:
    return {
        "sql": SkillGap(_skill_id(state, "SQL"), "SQL", level_held=1, level_asked=3),
        "python": SkillGap(_skill_id(state, PYTHON), PYTHON, level_held=0, level_asked=5),
    }


class _Asked(TypedDict):
    """learning_for's arguments that the memory and the database are both asked with."""

    employee_external_id: str
    per_gap: int
    exclude_opportunities: tuple[str, ...]


def _ids(items: Sequence[Mapping[str, Any]], kind: str | None = None) -> list[str]:
    return [i["external_id"] for i in items if kind is None or i["kind"] == kind]


def test_the_closing_course_with_the_smallest_overshoot_comes_first(company: ServiceState) -> None:
    sql = _gaps(company)["sql"]
    with company.sessions() as session:
        two = learning_for(session, [sql], employee_external_id="ANA")
        three = learning_for(session, [sql], employee_external_id="ANA", per_gap=3)
    courses = [i for i in two if i["kind"] == "course"]
    assert [c["external_id"] for c in courses] == ["C-SQL-A", "C-SQL-B"]
    assert courses[0] == {
        "skill_id": sql.skill_id,
        "skill_name": "SQL",
        "level_held": 1,
        "level_asked": 3,
        "kind": "course",
        "external_id": "C-SQL-A",
        "title": "Course C-SQL-A",
        "level_to": 3,
        "hours": 12.0,
        "closes_gap": True,
    }
    # Overshooting ranks after exact fits, however short; the short and the too-advanced never.
    assert _ids(three, "course") == ["C-SQL-A", "C-SQL-B", "C-SQL-OVER"]


def test_without_a_closing_course_the_furthest_reaching_one_is_offered(
    company: ServiceState,
) -> None:
    python = _gaps(company)["python"]
    with company.sessions() as session:
        items = learning_for(session, [python], employee_external_id="ANA")
    courses = [i for i in items if i["kind"] == "course"]
    assert len(courses) == 1
    assert courses[0]["external_id"] == "C-PY-3"
    assert courses[0]["level_to"] == 3
    assert courses[0]["closes_gap"] is False


def test_open_gigs_and_mentorships_build_the_skill_on_the_job(company: ServiceState) -> None:
    sql = _gaps(company)["sql"]
    with company.sessions() as session:
        two = learning_for(session, [sql], employee_external_id="ANA")
        every = learning_for(session, [sql], employee_external_id="ANA", per_gap=20)
    openings = [i for i in two if i["kind"] != "course"]
    # Level asked closest to one above ANA's (2) first: the gigs at 2 (by id), then the rest.
    assert _ids(openings) == ["G-NEAR", "G-PY"]
    assert openings[0]["level"] == 2 and openings[0]["hours"] == 6.0
    assert openings[0]["closes_gap"] is False  # asks 2, the gap is to 3
    on_the_job = [i for i in every if i["kind"] != "course"]
    assert _ids(on_the_job) == ["G-NEAR", "G-PY", "M-MID", "G-FAR"]
    assert {i["kind"] for i in on_the_job} == {"gig", "mentorship"}
    mentorship = next(i for i in on_the_job if i["kind"] == "mentorship")
    assert mentorship["closes_gap"] is True and mentorship["hours"] == 1.5


def test_own_roles_and_closed_openings_are_never_suggested(company: ServiceState) -> None:
    gaps = list(_gaps(company).values())
    with company.sessions() as session:
        for_ana = learning_for(session, gaps, employee_external_id="ANA", per_gap=50)
        for_lead = learning_for(session, gaps, employee_external_id="LEAD", per_gap=50)
    never = {"G-OWN", "R-ROLE", "G-CLOSED", "G-FILLED"}
    assert not set(_ids(for_ana)) & never
    assert "G-PY" in _ids(for_ana)  # a preferred skill counts too
    # LEAD owns the other openings: only ANA's gig is left for them.
    assert _ids([i for i in for_lead if i["kind"] != "course"]) == ["G-OWN"]


def test_gaps_come_back_in_the_order_given_and_the_source_can_be_left_out(
    company: ServiceState,
) -> None:
    gaps = _gaps(company)
    with company.sessions() as session:
        items = learning_for(
            session,
            [gaps["python"], gaps["sql"]],
            employee_external_id="ANA",
            exclude_opportunities=["G-NEAR"],
        )
        closed = learning_for(
            session,
            [SkillGap(gaps["sql"].skill_id, "SQL", level_held=3, level_asked=3)],
            employee_external_id="ANA",
        )
    names = [i["skill_name"] for i in items]
    assert names == sorted(names, key=[PYTHON, "SQL"].index)
    assert "G-NEAR" not in _ids(items)
    assert closed == []


@contextmanager
def _count_queries(state: ServiceState) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(state.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(state.engine, "before_cursor_execute", record)


def test_query_count_does_not_grow_with_the_number_of_gaps(state: ServiceState) -> None:
    with state.sessions() as session:
        # Taxonomy skills from the database: custom ones other tests added are gone after a reset.
        skill_ids = list(
            session.scalars(
                select(SkillRow.skill_id)
                .where(SkillRow.source == "esco")
                .order_by(SkillRow.skill_id)
                .limit(10)
            )
        )
    courses = [
        _course(f"C{i:02d}{level}", skill_id, (0, level), 4 + level)
        for i, skill_id in enumerate(skill_ids)
        for level in (2, 3, 4)
    ]
    with transaction(state.sessions) as session:
        import_employees(session, [(1, make_employee("ANA"))], state.skill_resolver())
        upsert_courses(session, courses)
    gaps = [SkillGap(s, s, level_held=0, level_asked=3) for s in skill_ids]
    counts = {}
    with state.sessions() as session:
        session.connection()  # check the connection out before counting
        for size in (1, 10):
            with _count_queries(state) as statements:
                items = learning_for(session, gaps[:size], employee_external_id="ANA")
            counts[size] = len(statements)
            assert len(items) == 2 * size  # the 0->3 and the 0->4 course for each gap
        with _count_queries(state) as statements:
            assert learning_for(session, [], employee_external_id="ANA") == []
    assert counts[1] == counts[10] <= 2
    assert statements == []


def test_the_engine_s_memory_suggests_what_the_database_does(company: ServiceState) -> None:
    """The match pages ask the engine's read model (no query per page); it must agree."""
    gaps = list(_gaps(company).values())
    held = ReadModel()
    with company.sessions() as session:
        rows = session.scalars(select(OpportunityRow.id)).all()
        held.put_postings(snapshots_by_id(session, OpportunityRow, rows).values())
        for person in ("ANA", "LEAD"):
            for per_gap in (1, 2, 50):
                for excluded in ((), ("G-NEAR", "G-PY")):
                    asked: _Asked = {
                        "employee_external_id": person,
                        "per_gap": per_gap,
                        "exclude_opportunities": excluded,
                    }
                    from_memory = learning_for(session, gaps, **asked, held=held)
                    assert from_memory == learning_for(session, gaps, **asked)
        # A posting that closes, or stops asking for the skill, leaves the suggestions.
        near = snapshots_by_external_id(session, OpportunityRow, ["G-NEAR"])["G-NEAR"]
        near.status = "closed"
        held.put_postings([near])
        items = learning_for(session, gaps, employee_external_id="ANA", per_gap=50, held=held)
        assert "G-NEAR" not in _ids(items) and "G-PY" in _ids(items)
        held.drop_postings([snapshots_by_external_id(session, OpportunityRow, ["G-PY"])["G-PY"].id])
        items = learning_for(session, gaps, employee_external_id="ANA", per_gap=50, held=held)
        assert "G-PY" not in _ids(items) and "M-MID" in _ids(items)


def test_the_held_course_catalog_suggests_what_the_database_does_and_ages(
    company: ServiceState,
) -> None:
    """Match pages read the courses from memory: the same suggestions, no query a page, and a
    catalog changed by another process shows once the held one is REFRESH_SECONDS old."""
    gaps = list(_gaps(company).values())
    now = [0.0]
    catalog = CourseCatalog(clock=lambda: now[0])
    with company.sessions() as session:
        for per_gap in (1, 2, 50):
            asked: _Asked = {
                "employee_external_id": "ANA",
                "per_gap": per_gap,
                "exclude_opportunities": (),
            }
            from_memory = learning_for(session, gaps, **asked, catalog=catalog)
            assert from_memory == learning_for(session, gaps, **asked)
        session.connection()
        with _count_queries(company) as statements:
            catalog.steps(session, [gaps[0].skill_id])
        assert statements == []
    python = gaps[1].skill_id
    with transaction(company.sessions) as session:  # as `talent demo` would, elsewhere
        upsert_courses(session, [_course("C-PY-5", python, (0, 5), 40)])
    with company.sessions() as session:
        items = learning_for(session, gaps, employee_external_id="ANA", catalog=catalog)
        assert "C-PY-5" not in _ids(items, "course")
        now[0] += REFRESH_SECONDS
        items = learning_for(session, gaps, employee_external_id="ANA", catalog=catalog)
        assert "C-PY-5" in _ids(items, "course")
