"""The engine over a real database: cache reuse, snapshots and masks in both directions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

from data.importing import import_employees, import_opportunities
from data.storage.engine import transaction
from data.storage.tables import EmployeeRow
from matching.engine import MatchEngine
from matching.skill_vectors import SkillVectorCache
from serving.state import ServiceState
from tests.conftest import TODAY
from tests.factories import PYTHON, make_employee, make_opportunity
from tests.matching.fakes import DIM, HashEncoder

PEOPLE = [
    make_employee("LEAD", level=5),
    make_employee("ANA", skills=[{"name": PYTHON, "level": 5}, {"name": "SQL", "level": 4}]),
    make_employee("BEN", skills=[{"name": "JavaScript", "level": 4}], interests=["web design"]),
    make_employee("CAT", availability_hours_per_week=1),
]
GIGS = [
    make_opportunity("G1", owner="LEAD"),
    make_opportunity(
        "G2",
        owner="LEAD",
        title="Landing page",
        required_skills=[{"name": "JavaScript", "level": 3}],
        preferred_skills=[],
    ),
]


@pytest.fixture
def company(state: ServiceState) -> ServiceState:
    with transaction(state.sessions) as session:
        import_employees(session, list(enumerate(PEOPLE, 1)), state.skill_resolver())
        import_opportunities(session, list(enumerate(GIGS, 1)), state.skill_resolver())
    return state


def engine(path: Path, encoder: HashEncoder, database: str = "db") -> MatchEngine:
    return MatchEngine(
        SkillVectorCache(encoder, path), dim=DIM, today=lambda: TODAY, database=database
    )


def row_id(state: ServiceState, matcher: MatchEngine, external_id: str) -> int:
    return next(
        r
        for r, p in matcher.employees.position_of.items()
        if matcher.employees.external_ids[p] == external_id
    )


def test_a_second_indexing_run_encodes_nothing_new(company: ServiceState, tmp_path: Path) -> None:
    first_encoder, second_encoder = HashEncoder(), HashEncoder()
    first = engine(tmp_path / "cache.npz", first_encoder)
    with company.sessions() as session:
        first.load(session)
    assert first_encoder.texts_encoded > 0
    second = engine(tmp_path / "cache.npz", second_encoder)
    with company.sessions() as session:
        second.load(session)
    assert second_encoder.texts_encoded == 0
    assert np.array_equal(first.employees.vectors, second.employees.vectors)


def test_masks_apply_in_both_directions_and_are_reported(
    company: ServiceState, tmp_path: Path
) -> None:
    matcher = engine(tmp_path / "cache.npz", HashEncoder())
    with company.sessions() as session:
        matcher.load(session)
    lead = row_id(company, matcher, "LEAD")
    own = matcher.matches_for_employee(lead, kind="gig", limit=10)
    assert own.hits == [] and own.report.removed_by_rule["own_opportunity"] == 2
    g1 = next(
        r
        for r, k in matcher._kind_of.items()
        if matcher.opportunities[k].external_ids[matcher.opportunities[k].position_of[r]] == "G1"
    )
    found = matcher.candidates_for_opportunity(g1, limit=10)
    assert {h.external_id for h in found.hits} == {"ANA", "BEN"}
    assert found.report.removed_by_rule["own_opportunity"] == 1
    assert found.report.removed_by_rule["availability_below_hours"] == 1  # CAT: 1 h free

    ana = row_id(company, matcher, "ANA")
    matcher.record_interaction(ana, g1, "dismiss")
    after = matcher.matches_for_employee(ana, kind="gig", limit=10)
    assert [h.external_id for h in after.hits] == ["G2"]
    assert after.report.removed_by_rule["already_applied_or_dismissed"] == 1
    assert "ANA" not in {
        h.external_id for h in matcher.candidates_for_opportunity(g1, limit=10).hits
    }


def snapshot_then_edit_ben(
    company: ServiceState, tmp_path: Path, *, stamped_at: dt.datetime | None = None
) -> tuple[Path, Path]:
    """A snapshot of the company, then an edit after it: BEN turns into a data person (stamped
    `stamped_at`, else when written). The cache's and the snapshot's paths."""
    cache, snapshot = tmp_path / "cache.npz", tmp_path / "index" / "snapshot.npz"
    original = engine(cache, HashEncoder())
    with company.sessions() as session:
        original.load(session)
    original.save(snapshot)
    with transaction(company.sessions) as session:
        edited = make_employee(
            "BEN", skills=[{"name": PYTHON, "level": 5}, {"name": "SQL", "level": 5}]
        )
        import_employees(session, [(1, edited)], company.skill_resolver())
        if stamped_at is not None:
            ben = update(EmployeeRow).where(EmployeeRow.external_id == "BEN")
            session.execute(ben.values(updated_at=stamped_at))
    return cache, snapshot


def test_snapshot_round_trip_and_catch_up_with_later_edits(
    company: ServiceState, tmp_path: Path
) -> None:
    cache, snapshot = snapshot_then_edit_ben(company, tmp_path)
    restored, rebuilt = engine(cache, HashEncoder()), engine(cache, HashEncoder())
    with company.sessions() as session:
        assert restored.load(session, snapshot=snapshot) is True
        assert rebuilt.load(session) is False
    for external_id in ("ANA", "BEN", "CAT"):
        a = restored.matches_for_employee(
            row_id(company, restored, external_id), kind="gig", limit=5
        )
        b = rebuilt.matches_for_employee(row_id(company, rebuilt, external_id), kind="gig", limit=5)
        assert [(h.external_id, round(h.score, 5)) for h in a.hits] == [
            (h.external_id, round(h.score, 5)) for h in b.hits
        ]
    other_database = engine(cache, HashEncoder(), database="another")
    with company.sessions() as session:
        # Built from another database (the "db" the snapshot names): rebuilt, not reused.
        assert other_database.load(session, snapshot=snapshot) is False
    assert other_database.sizes == rebuilt.sizes


def test_a_start_from_a_snapshot_knows_its_rows_stamps_and_reads_only_what_changed(
    company: ServiceState, tmp_path: Path
) -> None:
    """The first freshness poll after a start used to read again every row stamped in the last
    ten minutes (after a bulk import, the whole company). The snapshot keeps each row's stamp:
    rows stored as the snapshot holds them are current, and a row whose stamp moved is read,
    even when its new stamp is older than the snapshot (a transaction that committed late)."""
    # Stamped before the snapshot was taken, committed after it.
    stamped = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)
    cache, snapshot = snapshot_then_edit_ben(company, tmp_path, stamped_at=stamped)
    restored, rebuilt = engine(cache, HashEncoder()), engine(cache, HashEncoder())
    with company.sessions() as session:
        assert restored.load(session, snapshot=snapshot) is True
        rebuilt.load(session)
        assert restored.catch_up(session) == 0  # nothing read again: every stamp is known
    ben = restored.matches_for_employee(row_id(company, restored, "BEN"), kind="gig", limit=5)
    again = rebuilt.matches_for_employee(row_id(company, rebuilt, "BEN"), kind="gig", limit=5)
    assert [(h.external_id, round(h.score, 5)) for h in ben.hits] == [
        (h.external_id, round(h.score, 5)) for h in again.hits
    ]
    assert restored.read_model.people([row_id(company, restored, "BEN")]) == (
        rebuilt.read_model.people([row_id(company, rebuilt, "BEN")])
    )
