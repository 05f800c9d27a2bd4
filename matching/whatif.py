"""Recourse: which single change to my profile would move this opportunity up the most?

Candidate changes are the opportunity's own skills: add one I lack at the level it asks, or
raise one I hold by a level. Each changed profile is scored again by the same model over the
same retrieved opportunities (features recomputed, vector recomposed from the cached skill
vectors), so the answer is the model's, not a guess: the opportunity's new score and its new
rank among my current matches. Retrieval itself is kept as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import NotRequired, TypedDict

import numpy as np
from sqlalchemy.orm import Session

from data.storage.snapshots import OpportunitySnapshot
from data.storage.tables import EmployeeRow, OpportunityRow
from features.inputs import OpportunityInputs, PersonInputs, person_inputs_from_row
from features.store import FeatureStore
from matching.engine import MatchEngine
from matching.pipeline import (
    Scored,
    Scorer,
    as_of_seconds,
    history_items_for,
    label_lookup,
    owner_inputs,
)

MAX_LEVEL = 5


class SkillEdit(TypedDict):
    change: str  # "add" | "raise"
    skill_id: str
    skill_name: str
    from_level: int
    to_level: int
    required: bool


class WhatIfOption(TypedDict):
    edit: SkillEdit
    score: float
    score_change: float
    rank: int
    rank_change: int


class Standing(TypedDict):
    score: float
    rank: int  # among the person's current matches, by the model's score


class ProfileLink(TypedDict):
    method: str
    path: str
    body: dict[str, str]


class WhatIf(TypedDict):
    opportunity_external_id: str
    current: Standing
    best: WhatIfOption | None
    options: list[WhatIfOption]  # best first
    note: str
    model: NotRequired[dict[str, str]]  # the live model (serving/usecases/rankings.py)
    correct_profile: NotRequired[ProfileLink]  # where the profile is corrected (the same)


def _edits(
    person: PersonInputs, opportunity: OpportunityRow
) -> list[tuple[SkillEdit, PersonInputs]]:
    out = []
    for skill in opportunity.skills:
        held = person.skills.get(skill.skill_id, 0)
        if held == 0:
            level, change = skill.level, "add"
        elif held < MAX_LEVEL:
            level, change = held + 1, "raise"
        else:
            continue
        edit: SkillEdit = {
            "change": change,
            "skill_id": skill.skill_id,
            "skill_name": skill.skill.label,
            "from_level": held,
            "to_level": level,
            "required": skill.required,
        }
        skills = {**person.skills, skill.skill_id: level}
        out.append((edit, dataclasses.replace(person, skills=skills)))
    return out


def what_if(
    session: Session,
    matcher: MatchEngine,
    scorer: Scorer,
    employee: EmployeeRow,
    opportunity: OpportunityRow,
    scored: Scored[OpportunityInputs, OpportunitySnapshot],
    *,
    now: dt.datetime,
) -> WhatIf | None:
    """None when the opportunity is not among the employee's current matches."""
    ids = scored.ids
    if opportunity.external_id not in ids:
        return None
    target = ids.index(opportunity.external_id)
    current_rank = int((scored.scores > scored.scores[target]).sum()) + 1
    jobs = list(scored.inputs)
    owners = owner_inputs(session, matcher, jobs, {employee.external_id})
    others = list(owners.values())
    labels = label_lookup(matcher, employee, opportunity)
    events = matcher.history.events(
        session,
        people=[employee.external_id, *(p.external_id for p in others)],
        opportunities=[o.external_id for o in jobs],
    )
    me = person_inputs_from_row(employee)
    extra = history_items_for(matcher, events, [me, *others], jobs)
    opportunity_vectors = matcher.opportunity_vectors([o.id for o in scored.items])
    results: list[WhatIfOption] = []
    for edit, person in _edits(me, opportunity):
        store = FeatureStore(
            [person, *others],
            jobs,
            embed=matcher.cache.vectors,
            skill_labels=labels,
            events=events,
            reference_date=now.date(),
            opportunity_vectors=opportunity_vectors,
            # person_vectors left out: the edited profile's vector is recomposed
            history_items=extra,
        )
        features = store.compute(
            np.zeros(len(jobs), dtype=np.int64), np.arange(len(jobs)), as_of_seconds(now)
        )
        scores = np.asarray(scorer.predict(features), dtype=np.float64)
        rank = int((scores > scores[target]).sum()) + 1
        results.append(
            {
                "edit": edit,
                "score": float(scores[target]),
                "score_change": float(scores[target] - scored.scores[target]),
                "rank": rank,
                "rank_change": current_rank - rank,
            }
        )
    results.sort(key=lambda r: (-r["rank_change"], -r["score_change"], r["edit"]["skill_id"]))
    return {
        "opportunity_external_id": opportunity.external_id,
        "current": {"score": float(scored.scores[target]), "rank": current_rank},
        "best": results[0] if results else None,
        "options": results,
        "note": "rank among your current matches, ordered by the model's score",
    }
