"""Retrieval in memory, with no database: a few hand-made records and skill vectors whose
cosines are known, so the order a person or a lead sees can be written down in advance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pytest

from features.composition import EmployeeText, LeveledSkill, OpportunityText
from matching.records import EmployeeRecord, OpportunityRecord
from matching.retrieval import Retriever

TODAY = dt.date(2026, 11, 1)
# Python, Data and SQL lie in one plane at falling cosines to Python (1, 0.8, 0.6); JavaScript
# is orthogonal to all three; every other text (titles) is the fourth axis. A Python-only
# person (vector = Python) against a gig requiring one skill (0.6·skill + 0.25·title, unit):
# Python 0.6/0.65 ≈ 0.923, Data 0.48/0.65 ≈ 0.738, SQL 0.36/0.65 ≈ 0.554, JavaScript 0.
SKILLS = {
    "Python": [1.0, 0.0, 0.0, 0.0],
    "Data": [0.8, 0.6, 0.0, 0.0],
    "SQL": [0.6, 0.8, 0.0, 0.0],
    "JavaScript": [0.0, 0.0, 1.0, 0.0],
}
OTHER = [0.0, 0.0, 0.0, 1.0]
DIM = 4


def embed(texts: Sequence[str]) -> np.ndarray:
    return np.array([SKILLS.get(t, OTHER) for t in texts], dtype=np.float32).reshape(-1, DIM)


def person(
    row_id: int, external_id: str, skill: str, *, hours: float = 10, level: int = 3
) -> EmployeeRecord:
    return EmployeeRecord(
        row_id=row_id,
        external_id=external_id,
        level=level,
        availability=hours,
        open_to=("gig",),
        location="Remote",
        text=EmployeeText(skills=[LeveledSkill(skill, 5)], interests=[]),
    )


def gig(
    row_id: int, external_id: str, skill: str, *, status: str = "open", owner: str = "LEAD"
) -> OpportunityRecord:
    return OpportunityRecord(
        row_id=row_id,
        external_id=external_id,
        kind="gig",
        owner_external_id=owner,
        level_min=1,
        level_max=5,
        hours=4,
        status=status,
        seats=1,
        start_date=None,
        location="Remote",
        text=OpportunityText(
            title=f"{skill} work", required=[LeveledSkill(skill, 5)], preferred=[]
        ),
    )


LEAD, ANA, BEN, CAT = 1, 2, 3, 4
G_PY, G_DATA, G_SQL, G_JS, G_CLOSED = 11, 12, 13, 14, 15


@pytest.fixture
def retriever() -> Retriever:
    pools = Retriever(embed, dim=DIM, today=lambda: TODAY)
    pools.refresh_employees(
        [
            person(LEAD, "LEAD", "Python", level=5),
            person(ANA, "ANA", "Python"),
            person(BEN, "BEN", "SQL"),
            person(CAT, "CAT", "Python", hours=1),  # fewer free hours than a gig asks
        ]
    )
    pools.refresh_opportunities(
        [
            gig(G_JS, "G_JS", "JavaScript"),
            gig(G_SQL, "G_SQL", "SQL"),
            gig(G_PY, "G_PY", "Python"),
            gig(G_DATA, "G_DATA", "Data"),
            gig(G_CLOSED, "G_CLOSED", "Python", status="closed"),
        ]
    )
    return pools


def shown(retriever: Retriever, employee_row: int, limit: int = 10) -> list[str]:
    found = retriever.matches_for_employee(employee_row, kind="gig", limit=limit)
    return [hit.external_id for hit in found.hits]


def test_a_person_sees_the_closest_open_postings_first(retriever: Retriever) -> None:
    found = retriever.matches_for_employee(ANA, kind="gig", limit=3)
    assert [hit.external_id for hit in found.hits] == ["G_PY", "G_DATA", "G_SQL"]
    assert [round(hit.score, 3) for hit in found.hits] == [0.923, 0.738, 0.554]
    # The closed Python gig would have come first; the report says which rule left it out.
    assert found.report.removed_by_rule["opportunity_not_open"] == 1
    assert found.report.eligible == 4


def test_a_lead_is_proposed_the_closest_eligible_people(retriever: Retriever) -> None:
    found = retriever.candidates_for_opportunity(G_PY, limit=10)
    # LEAD posted it and CAT has 1 free hour for a 4-hour gig: neither is proposed.
    assert [hit.external_id for hit in found.hits] == ["ANA", "BEN"]
    assert found.report.removed_by_rule["own_opportunity"] == 1
    assert found.report.removed_by_rule["availability_below_hours"] == 1
    assert shown(retriever, LEAD) == []  # nor are a lead's own postings shown to them


def test_a_removed_posting_is_no_longer_returned(retriever: Retriever) -> None:
    retriever.remove_opportunities([G_PY])
    assert shown(retriever, ANA) == ["G_DATA", "G_SQL", "G_JS"]
    assert retriever.sizes["gig"] == 4
    assert not retriever.holds_opportunity(G_PY)


def test_a_closed_posting_leaves_and_a_reopened_one_returns(retriever: Retriever) -> None:
    retriever.refresh_opportunities([gig(G_PY, "G_PY", "Python", status="closed")])
    assert "G_PY" not in shown(retriever, ANA)
    retriever.refresh_opportunities([gig(G_CLOSED, "G_CLOSED", "Python")])
    assert shown(retriever, ANA, limit=1) == ["G_CLOSED"]


def test_a_dismissal_hides_a_posting_until_undone_but_an_application_stays(
    retriever: Retriever,
) -> None:
    retriever.record_interaction(ANA, G_PY, "dismiss")
    retriever.record_interaction(ANA, G_DATA, "apply")
    assert shown(retriever, ANA) == ["G_SQL", "G_JS"]
    assert "ANA" not in {
        h.external_id for h in retriever.candidates_for_opportunity(G_PY, limit=10).hits
    }
    retriever.record_interaction(ANA, G_PY, "undismiss")
    retriever.record_interaction(ANA, G_DATA, "undismiss")  # applied: stays hidden
    assert shown(retriever, ANA) == ["G_PY", "G_SQL", "G_JS"]


def test_an_acceptance_fills_the_last_seat(retriever: Retriever) -> None:
    retriever.record_interaction(BEN, G_PY, "accept")
    assert retriever.history_acceptances(G_PY) == 1
    assert "G_PY" not in shown(retriever, ANA)
    assert retriever.candidates_for_opportunity(G_PY, limit=10).hits == []


def test_current_assignments_take_free_hours_until_their_last_day(retriever: Retriever) -> None:
    retriever.set_commitments(ANA, [(8.0, None)])  # 10 h free, 8 taken: a 4-hour gig is too much
    assert shown(retriever, ANA) == []
    assert "ANA" not in {
        h.external_id for h in retriever.candidates_for_opportunity(G_PY, limit=10).hits
    }
    retriever.set_commitments(ANA, [(8.0, TODAY - dt.timedelta(days=1))])  # ended yesterday
    assert shown(retriever, ANA, limit=1) == ["G_PY"]


def test_state_restored_from_a_snapshot_answers_alike(retriever: Retriever) -> None:
    arrays, meta = retriever.snapshot_state()
    restored = Retriever(embed, dim=DIM, today=lambda: TODAY)
    restored.restore_state(arrays, meta)
    assert restored.sizes == retriever.sizes
    assert shown(restored, ANA) == shown(retriever, ANA)
    assert [h.external_id for h in restored.candidates_for_opportunity(G_PY, limit=10).hits] == [
        "ANA",
        "BEN",
    ]


def test_a_restored_retriever_holds_arrays_of_its_own(retriever: Retriever) -> None:
    # The pools take a snapshot's arrays without copying them (matching/pool.py), but never
    # another pool's: a removal in the restored one leaves the original as it was.
    arrays, meta = retriever.snapshot_state()
    restored = Retriever(embed, dim=DIM, today=lambda: TODAY)
    restored.restore_state(arrays, meta)
    before = shown(retriever, ANA)
    restored.remove_employees([ANA])
    restored.remove_opportunities([G_PY])
    assert "ANA" not in {
        h.external_id for h in restored.candidates_for_opportunity(G_DATA, limit=10).hits
    }
    assert "G_PY" not in shown(restored, BEN)
    assert [h.external_id for h in retriever.candidates_for_opportunity(G_PY, limit=10).hits] == [
        "ANA",
        "BEN",
    ]
    assert shown(retriever, ANA) == before and "G_PY" in before
