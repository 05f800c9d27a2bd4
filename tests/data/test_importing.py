"""Imports are all-or-nothing and report every bad row and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data.importing import ImportRejected, import_employees, import_opportunities, read_records
from data.importing.report import ImportReport
from data.storage.engine import transaction
from data.storage.tables import DemographicsRow, EmployeeRow, OpportunityRow
from serving.state import ServiceState
from tests.factories import PYTHON, make_employee, make_opportunity


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def employee_count(state: ServiceState) -> int:
    with state.sessions() as session:
        return session.scalar(select(func.count()).select_from(EmployeeRow)) or 0


def test_jsonl_import_stores_profiles_and_demographics_apart(
    state: ServiceState, tmp_path: Path
) -> None:
    records = [
        make_employee("E1", demographics={"gender": "female", "age_band": "35-44"}),
        make_employee("E2"),
    ]
    path = write_jsonl(tmp_path / "people.jsonl", records)
    with transaction(state.sessions) as session:
        _, counts = import_employees(session, read_records(path), state.skill_resolver())
    assert (counts.created, counts.updated) == (2, 0)
    with state.sessions() as session:
        person = session.scalar(select(EmployeeRow).where(EmployeeRow.external_id == "E1"))
        assert person is not None
        assert person.skills[0].skill.label == "SQL"
        demographics = session.get(DemographicsRow, person.id)
        assert demographics is not None and demographics.gender == "female"
        assert not hasattr(person, "gender")


def test_one_bad_row_writes_nothing_and_is_reported_with_its_line_and_field(
    state: ServiceState, tmp_path: Path
) -> None:
    records = [
        make_employee("E1"),
        make_employee("E2", skills=[{"name": "SQL", "level": 7}]),
        make_employee("E3", availability_hours_per_week=99),
    ]
    path = write_jsonl(tmp_path / "people.jsonl", records)
    with pytest.raises(ImportRejected) as rejected, transaction(state.sessions) as session:
        import_employees(session, read_records(path), state.skill_resolver())
    found = {(e.row, e.field) for e in rejected.value.errors}
    assert found == {(2, "skills.0.level"), (3, "availability_hours_per_week")}
    assert "row 2, skills.0.level" in rejected.value.report()
    assert employee_count(state) == 0


def test_reimport_updates_in_place_and_a_failed_update_keeps_the_old_data(
    state: ServiceState, tmp_path: Path
) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [make_employee("E1", title="Analyst")])
    with transaction(state.sessions) as session:
        import_employees(session, read_records(first), state.skill_resolver())
    bad = write_jsonl(
        tmp_path / "b.jsonl",
        [make_employee("E1", title="Senior Analyst"), make_employee("E2", level=99)],
    )
    with pytest.raises(ImportRejected), transaction(state.sessions) as session:
        import_employees(session, read_records(bad), state.skill_resolver())
    with state.sessions() as session:
        titles = session.scalars(select(EmployeeRow.title)).all()
    assert titles == ["Analyst"]


def test_csv_import_with_skill_pairs_lists_and_dotted_columns(
    state: ServiceState, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "external_id,name,title,department,level,location,timezone,skills,interests,"
        "open_to,availability_hours_per_week,demographics.gender\n"
        "E7,Ada Park,Data Analyst,Finance,3,Berlin,Europe/Berlin,"
        '"SQL:4;Python (computer programming):3",machine learning;statistics,gig;role,8,female\n'
    )
    with transaction(state.sessions) as session:
        stored, _ = import_employees(session, read_records(path), state.skill_resolver())
    assert stored[0].interests == ["machine learning", "statistics"]
    assert [s.level for s in stored[0].skills] == [4, 3]
    assert stored[0].demographics is not None and stored[0].demographics.gender == "female"


def test_csv_errors_point_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("external_id,name,skills\nE1,Ada,SQL-without-level\n")
    with pytest.raises(ImportRejected) as rejected:
        read_records(path)
    assert (rejected.value.errors[0].row, rejected.value.errors[0].field) == (2, "skills.0")


def test_opportunity_owner_must_exist_and_unknown_skill_ids_are_errors(
    state: ServiceState,
) -> None:
    records = [
        (1, make_opportunity("O1", owner="NOBODY")),
        (
            2,
            make_opportunity(
                "O2", required_skills=[{"skill_id": "esco:does-not-exist", "level": 2}]
            ),
        ),
    ]
    with pytest.raises(ImportRejected) as rejected, transaction(state.sessions) as session:
        import_opportunities(session, records, state.skill_resolver())
    found = {(e.row, e.field) for e in rejected.value.errors}
    assert (1, "owner_external_id") in found
    assert (2, "required_skills.0.skill_id") in found


def test_unknown_skill_names_become_custom_skills(state: ServiceState) -> None:
    record = make_employee("E1", skills=[{"name": "Quarterly Zorblax reconciliation", "level": 2}])
    with transaction(state.sessions) as session:
        stored, _ = import_employees(session, [(1, record)], state.skill_resolver())
    assert stored[0].skills[0].skill_id == "custom:quarterly-zorblax-reconciliation"


# -- real HRIS data: synonyms merge, every remap is reported, titles imply skills ------------


def _import_employee(state: ServiceState, record: dict) -> tuple[EmployeeRow, ImportReport]:
    resolver = state.skill_resolver(created_by="import")
    with transaction(state.sessions) as session:
        import_employees(session, [(1, record)], resolver)
    with state.sessions() as session:
        row = session.scalar(
            select(EmployeeRow).where(EmployeeRow.external_id == record["external_id"])
        )
        assert row is not None
        session.expunge(row)
        return row, resolver.report


def test_three_names_for_python_import_as_one_skill_at_the_highest_level(
    state: ServiceState,
) -> None:
    """The issue's acceptance: synonyms merge (higher level wins) and the merge is reported."""
    skills = [
        {"name": "Python", "level": 2},
        {"name": "Python programming", "level": 4},
        {"name": "python (computer programming)", "level": 3},
        {"name": "SQL", "level": 3},
    ]
    resolver = state.skill_resolver(created_by="import")
    with transaction(state.sessions) as session:
        import_employees(session, [(1, make_employee("E1", skills=skills))], resolver)
    with state.sessions() as session:
        person = session.scalar(select(EmployeeRow))
        assert person is not None
        held = {s.skill.label: s.level for s in person.skills}
    assert held == {PYTHON: 4, "SQL": 3}
    [merge] = resolver.report.merges
    assert (merge.row, merge.field, merge.label, merge.level) == (1, "skills", PYTHON, 4)
    assert merge.names == ["Python", "Python programming", "python (computer programming)"]
    how = {r.name: (r.method, r.label) for r in resolver.report.names.values()}
    assert how["Python"] == ("alt_label", PYTHON)
    assert how["Python programming"][1] == PYTHON
    assert how["Python programming"][0] in ("partial_label", "embedding")
    assert "python (computer programming)" not in how  # an exact preferred label: no remark


def test_required_wins_over_preferred_and_the_merge_says_why(state: ServiceState) -> None:
    with transaction(state.sessions) as session:
        import_employees(session, [(1, make_employee("E1"))], state.skill_resolver())
    posting = make_opportunity(
        required_skills=[{"name": "Python", "level": 3}],
        preferred_skills=[{"name": PYTHON, "level": 2}, {"name": "SQL", "level": 2}],
    )
    resolver = state.skill_resolver(created_by="import")
    with transaction(state.sessions) as session:
        [stored], _ = import_opportunities(session, [(1, posting)], resolver)
    assert [s.name for s in stored.required_skills] == [PYTHON]
    assert [s.name for s in stored.preferred_skills] == ["SQL"]
    [merge] = resolver.report.merges
    assert merge.reason == "required and preferred: required kept"


def test_every_name_that_is_not_an_exact_label_is_reported_with_how_and_score(
    state: ServiceState,
) -> None:
    skills = [
        {"name": "leading teams", "level": 3},  # embedding
        {"name": "qwertyuiop zzz", "level": 2},  # nonsense: a custom skill, flagged for review
        {"name": "SQL", "level": 4},  # exact: not reported
    ]
    _, report = _import_employee(state, make_employee("E1", skills=skills))
    by_name = {r.name: r for r in report.names.values()}
    assert set(by_name) == {"leading teams", "qwertyuiop zzz"}
    lead = by_name["leading teams"]
    assert (lead.label, lead.method, lead.review) == ("lead a team", "embedding", False)
    assert lead.score >= state.normalizer.min_score
    nonsense = by_name["qwertyuiop zzz"]
    assert (nonsense.method, nonsense.review) == ("custom", True)
    assert nonsense.nearest and nonsense.nearest_score is not None
    assert nonsense.nearest_score < state.normalizer.min_score
    assert report.summary()["flagged_for_review"] == 1


def test_a_persons_occupation_is_inferred_from_the_title_and_a_declared_one_stays(
    state: ServiceState,
) -> None:
    row, report = _import_employee(state, make_employee("E1", title="Senior Business Analyst"))
    assert (row.occupation_label, row.occupation_source) == ("business analyst", "inferred")
    assert report.occupations_inferred == 1
    accountant = next(
        o.occupation_id for o in state.taxonomy.occupations.values() if o.label == "accountant"
    )
    row, _ = _import_employee(
        state, make_employee("E1", title="Senior Business Analyst", occupation_id=accountant)
    )
    assert (row.occupation_label, row.occupation_source) == ("accountant", "declared")
    row, _ = _import_employee(state, make_employee("E1", title="Lead Business Analyst"))
    assert row.occupation_label == "accountant"  # the person's choice outlives a title change
    row, _ = _import_employee(state, make_employee("E1", title="Data Engineer", occupation_id=None))
    assert (row.occupation_label, row.occupation_source) == ("data engineer", "inferred")


def test_an_unknown_occupation_id_is_refused_by_field(state: ServiceState) -> None:
    record = make_employee("E1", occupation_id="esco:not-an-occupation")
    with pytest.raises(ImportRejected) as rejected, transaction(state.sessions) as session:
        import_employees(session, [(1, record)], state.skill_resolver())
    assert [(e.row, e.field) for e in rejected.value.errors] == [(1, "occupation_id")]


def test_a_title_only_posting_is_matched_on_the_skills_its_occupation_implies(
    state: ServiceState,
) -> None:
    with transaction(state.sessions) as session:
        import_employees(
            session, [(1, make_employee("E1", department="Strategy"))], state.skill_resolver()
        )
    posting = make_opportunity(
        title="Senior Business Analyst", required_skills=[], preferred_skills=[]
    )
    del posting["department"]
    resolver = state.skill_resolver(created_by="import")
    with transaction(state.sessions) as session:
        [stored], _ = import_opportunities(session, [(1, posting)], resolver)
    assert stored.department == "Strategy"  # the owner's
    assert 1 <= len(stored.required_skills) <= 10
    assert all(s.inferred for s in stored.required_skills + stored.preferred_skills)
    analyst = next(o for o in state.taxonomy.occupations.values() if o.label == "business analyst")
    assert {s.skill_id for s in stored.required_skills} <= set(analyst.essential_skill_ids)
    summary = resolver.report.summary()
    assert (summary["implied_skill_postings"], summary["department_defaulted"]) == (1, 1)
    with state.sessions() as session:
        row = session.scalar(select(OpportunityRow))
        assert row is not None and row.occupation_label == "business analyst"
        assert all(s.inferred for s in row.skills)


def test_a_posting_with_no_skills_and_no_recognisable_title_is_kept_needing_skills(
    state: ServiceState,
) -> None:
    with transaction(state.sessions) as session:
        import_employees(session, [(1, make_employee("E1"))], state.skill_resolver())
    posting = make_opportunity(title="Wizard of Light Bulb Moments", required_skills=[])
    resolver = state.skill_resolver()
    with transaction(state.sessions) as session:
        [stored], counts = import_opportunities(session, [(1, posting)], resolver)
    assert counts.created == 1 and stored.required_skills == []
    report = resolver.report.as_dict()
    assert report["needs_skills_rows"] == [1]
    [unplaced] = report["unplaced_titles"]
    assert unplaced["title"] == "Wizard of Light Bulb Moments" and unplaced["closest"]
    assert any("need skills" in line for line in resolver.report.lines())
    with state.sessions() as session:
        row = session.scalar(select(OpportunityRow))
        assert row is not None and row.occupation_id is None
        assert [c["occupation_id"] for c in row.occupation_choices or []] == [
            c["occupation_id"] for c in unplaced["closest"]
        ]


def test_a_large_import_reports_progress_while_it_resolves_names(
    state: ServiceState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("data.importing.skills.NAME_BLOCK", 4)
    records = [
        (i + 1, make_employee(f"E{i}", skills=[{"name": f"zorblax method {i}", "level": 2}]))
        for i in range(10)
    ]
    seen: list[tuple[str, int, int]] = []
    with transaction(state.sessions) as session:
        import_employees(
            session, records, state.skill_resolver(), progress=lambda *step: seen.append(step)
        )
    resolving = [done for phase, done, _ in seen if phase == "resolving skill names"]
    assert resolving == [0, 4, 8, 10]  # after each block of 4 names (of 10 records)
    assert seen[-1] == ("stored", 10, 10)
