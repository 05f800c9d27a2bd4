"""Job titles -> ESCO occupations, and the skills an occupation implies: for a lead writing a
posting (suggest-skills) and for a person's "skills you may have"."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from data.importing.occupations import implied_skills, suggested_skills, tools_in_title
from data.schemas import Role
from data.storage.employees import get_employee
from serving.access import require_self_or
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, InvalidField, NotFound, documented
from serving.presenters.occupations import occupation_document
from serving.schemas import MaybeSkillsOut, OccupationsOut, SkillSuggestionsOut

router = APIRouter(tags=["occupations"], responses=API_ERRORS)

# Said in the schema, so clients and the fuzzer know: some letter, and no NUL.
Title = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00]*[^\s\x00][^\x00]*$",
        description="a job title (not only white space)",
    ),
]


def _text(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidField(field, "must contain more than white space", where="query")
    return value.strip()


@router.get("/api/v1/occupations/normalize", response_model=OccupationsOut)
def normalize(
    state: StateDep,
    user: CurrentUser,
    q: Title,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    """ESCO occupations for a job title, best first. Exact titles first: an occupation's own
    label (1.0; 0.99 without seniority words: "Senior Data Analyst" is a data analyst), then
    ESCO's alternative and hidden titles, then O*NET's titles of the same work; then the head
    noun ("Fish Cook (Ikan Bakar)" is a cook) and word overlap with every title combined with
    the embedding's cosine (at most 0.88). A title that names no occupation on its own
    ("Employee", "Team Member") lists none: such a title is placed by skills only. A score
    below `min_score` (GET .../occupations/normalize lists it all the same) is never stored
    as anyone's occupation."""
    title = _text(q, "q")
    return {
        "query": q,
        "items": [asdict(m) for m in state.occupations.normalize(title, limit=limit)],
    }


@router.get(
    "/api/v1/opportunities/suggest-skills",
    response_model=SkillSuggestionsOut,
    responses=documented(403),
)
def suggest_skills(
    state: StateDep,
    user: CurrentUser,
    title: Title,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The skills a posting with this title would ask for, for its lead to confirm: first
    those a posting sent without skills asks (`implied`: the products its title names, the
    occupation's first essential skills as required, its first optional ones as preferred),
    then further skills of the occupation, essential first, the most specific first."""
    user.require(Role.LEAD, Role.ADMIN)
    text = _text(title, "title")
    ranked = state.occupations.normalize(text, limit=4)
    best = ranked[0] if ranked and ranked[0].score >= state.occupations.min_score else None
    skills = _as_posted(state, text, best.occupation_id if best else None, best, limit=limit)
    return {
        "title": title,
        "occupation": asdict(best) if best else None,
        "alternatives": [asdict(m) for m in ranked if m is not best][:3],
        "skills": skills,
    }


def _as_posted(
    state: StateDep, title: str, occupation_id: str | None, best: Any, *, limit: int
) -> list[dict[str, Any]]:
    """What a posting of this title sent without skills would ask, marked `implied` (the
    products its title names, then the occupation's implied skills, as the import composes
    them), then further suggestions of the occupation up to `limit` in all: a form that ticks
    the implied ones posts what the title alone would."""
    typical_for = best.label if best is not None else "the title"
    named = tools_in_title(state.taxonomy, title)
    required, preferred = (
        implied_skills(state.taxonomy, occupation_id) if occupation_id else ([], [])
    )
    out: dict[str, dict[str, Any]] = {}
    for refs, implied in ((named, "required"), (required, "required"), (preferred, "preferred")):
        for ref in refs:
            out.setdefault(
                str(ref.skill_id),
                {
                    "skill_id": ref.skill_id,
                    "label": ref.name,
                    "essential": implied == "required",
                    "typical_for": typical_for,
                    "implied": implied,
                    "level": ref.level,
                },
            )
    further = suggested_skills(state.taxonomy, occupation_id, limit=limit) if occupation_id else []
    for i, label, essential in further:
        if len(out) >= limit:
            break
        entry = {"skill_id": i, "label": label, "essential": essential}
        out.setdefault(i, {**entry, "typical_for": typical_for})
    return list(out.values())


@router.get(
    "/api/v1/employees/{external_id}/suggested-skills",
    response_model=MaybeSkillsOut,
    responses=documented(403, 404),
)
def skills_you_may_have(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    limit: Annotated[int, Query(ge=1, le=100)] = 15,
) -> dict[str, Any]:
    """Skills the person's occupation usually involves that their profile lacks. They count
    for matching only as "may have" (a separate signal from declared skills), are never shown
    to a lead as the person's, and become theirs when confirmed with a level."""
    require_self_or(
        user,
        external_id,
        Role.ADMIN,
        Role.HR,
        refusal="only the employee themself, HR or an admin may see this",
    )
    row = get_employee(session, external_id)
    if row is None:
        raise NotFound(f"no employee {external_id!r}")
    occupation = occupation_document(row)
    skills = []
    if occupation is not None and row.occupation_id in state.taxonomy.occupations:
        held = {s.skill_id for s in row.skills}
        skills = [
            {
                "skill_id": i,
                "label": label,
                "essential": essential,
                "typical_for": occupation["label"],
            }
            for i, label, essential in suggested_skills(
                state.taxonomy, occupation["occupation_id"], held=held, limit=limit
            )
        ]
    return {"occupation": occupation, "skills": skills}
