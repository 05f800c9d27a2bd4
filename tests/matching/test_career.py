"""The path's order: the step that closes most gaps first; a step that only repeats what an
earlier one already built is not added."""

from __future__ import annotations

from matching.career import _plan, _Step
from matching.learning import SkillGap

GAPS = {
    "sql": SkillGap("sql", "SQL", 0, 3),
    "olap": SkillGap("olap", "online analytical processing", 0, 3),
}


def test_a_step_that_adds_nothing_beyond_an_earlier_one_is_left_out() -> None:
    steps = [
        _Step("course", "C1", "OLAP basics", 6, {"olap": 2}),
        _Step("gig", "G1", "OLAP gig", 10, {"olap": 2}),  # the same level again
        _Step("course", "C2", "SQL", 12, {"sql": 3}),
    ]
    path, unclosed = _plan(steps, GAPS)
    assert [s["external_id"] for s in path] == ["C2", "C1"]  # the closing step first
    assert path[1]["builds"] == [
        {
            "skill_id": "olap",
            "name": "online analytical processing",
            "from": 0,
            "to": 2,
            "closes_gap": False,
        }
    ]
    assert unclosed == {"olap"}


def test_a_later_step_builds_from_where_an_earlier_one_left_off() -> None:
    steps = [
        _Step("course", "C1", "OLAP basics", 6, {"olap": 2}),
        _Step("mentorship", "M1", "OLAP mentoring", 2, {"olap": 3}),
    ]
    path, unclosed = _plan(steps, {"olap": GAPS["olap"]})
    assert [s["external_id"] for s in path] == ["M1"]  # it closes the gap alone
    assert unclosed == set()
