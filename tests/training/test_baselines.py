"""Baselines score the obvious pairs highest."""

from __future__ import annotations

import datetime as dt

import numpy as np

from features.inputs import OpportunityInputs, PersonInputs
from training.baselines import BM25Skills

LABELS = {"py": "Python programming", "sql": "SQL databases", "css": "CSS styling"}


def person(external_id: str, skills: dict[str, int]) -> PersonInputs:
    return PersonInputs(
        external_id, 3, 8.0, "Berlin", "UTC", "Data", dt.date(2020, 1, 1), skills, (), ""
    )


def job(external_id: str, required: dict[str, int]) -> OpportunityInputs:
    return OpportunityInputs(
        external_id, external_id, "gig", "X", "Data", "Remote", 4.0, 1, 7, required, {}
    )


def test_bm25_prefers_shared_skill_words_in_both_directions() -> None:
    people = [person("DATA", {"py": 4, "sql": 3}), person("WEB", {"css": 4})]
    jobs = [job("G-DATA", {"sql": 3}), job("G-WEB", {"css": 2})]
    bm25 = BM25Skills(people, jobs, LABELS.__getitem__)
    scores = bm25.scores(np.array([0, 0]), np.array([0, 1]), query_side="person")
    assert scores[0] > scores[1] == 0
    scores = bm25.scores(np.array([0, 1]), np.array([1, 1]), query_side="opportunity")
    assert scores[1] > scores[0] == 0
