"""Free text → taxonomy skills, and HR's review of the custom skills people typed.

A name outside the taxonomy becomes a custom skill on the profile or opportunity that used it.
Until HR reviews it, its name stays with its own users: it is suggested only to whoever
introduced it and shown to no lead (it is free text, and may hold a name or an address).
HR approves it (it joins the taxonomy everyone is suggested), merges it into a taxonomy skill
(every profile and opportunity holding it moves over), or rejects it (it stays on its owners'
profiles, hidden from everyone else). Each decision is on the oversight log.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import Field

from data.schemas import SKILL_ID_PATTERN, ContractModel, Role
from data.storage.skills import alias_rows, custom_skills, custom_skills_by_use, skill_uses
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, InvalidField, documented
from serving.schemas import AliasAddedOut, AliasOut, CustomSkill, Page, ReviewOut, SuggestionsOut
from serving.usecases import skills as skill_usecases
from serving.usecases.imports import skill_origin_words
from serving.usecases.skills import own_unreviewed, review_skill
from serving.validation import Reason

router = APIRouter(prefix="/api/v1/skills", tags=["skills"], responses=API_ERRORS)

SkillId = Annotated[str, Path(pattern=SKILL_ID_PATTERN)]


@router.get("/normalize", response_model=SuggestionsOut)
def normalize(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            # Said in the schema, so clients and the fuzzer know: some letter, and no NUL.
            pattern=r"^[^\x00]*[^\s\x00][^\x00]*$",
            description="free-text skill (not only white space)",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    """Taxonomy skills for the text, best first; a custom skill the caller introduced and HR
    has not reviewed yet is offered to them alone."""
    if not q.strip():
        raise InvalidField("q", "must contain more than white space", where="query")
    items = []
    own = own_unreviewed(session, user, q)
    if own is not None:
        items.append({"skill_id": own.skill_id, "label": own.label, "score": 1.0, "method": "own"})
    for match in state.normalizer.suggest(q, limit=limit):
        if len(items) < limit:
            items.append(
                {
                    "skill_id": match.skill_id,
                    "label": match.label,
                    "score": round(match.score, 4),
                    "method": match.method,
                }
            )
    return {"query": q, "items": items}


class QueuedSkill(CustomSkill):
    origin: str = Field(
        description="where it came from, in words: 'from the import of workers.csv on "
        "2026-12-05 by the administrator', 'from an import on …' (no file name kept), "
        "'typed first by Ada Park'"
    )


@router.get("/review", response_model=Page[QueuedSkill], responses=documented(403))
def review_queue(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    status: Literal["unreviewed", "reviewed", "rejected"] = "unreviewed",
    order: Annotated[
        Literal["id", "uses"],
        Query(description="uses: the most held first (one page, no cursor)"),
    ] = "id",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(pattern=SKILL_ID_PATTERN, description="`next_cursor` of the last page")
    ] = None,
) -> dict[str, Any]:
    """Custom skills waiting for review (or decided), with how often they are used and the
    taxonomy skills they resemble (candidates for a merge)."""
    user.require(Role.HR, Role.ADMIN)
    if order == "uses":
        rows = custom_skills_by_use(session, status=status, limit=limit)
    else:
        rows = custom_skills(session, status=status, limit=limit, after_id=cursor or "")
    uses = skill_uses(session, [r.skill_id for r in rows])
    origins = skill_origin_words(session, [(r.skill_id, r.created_by) for r in rows])
    items = [
        {
            "skill_id": row.skill_id,
            "label": row.label,
            "status": row.status,
            "created_by": row.created_by,
            "origin": origins[row.skill_id],
            "uses": uses[row.skill_id],
            "resembles": [
                {"skill_id": m.skill_id, "label": m.label, "score": round(m.score, 4)}
                for m in state.normalizer.suggest(row.label, limit=3)
            ],
        }
        for row in rows
    ]
    more = order == "id" and len(rows) == limit
    return {"items": items, "next_cursor": rows[-1].skill_id if more else None}


class AliasIn(ContractModel):
    """An admin's name for a skill, resolved like an ESCO alt label from now on."""

    alias: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
    skill_id: Annotated[str, Field(pattern=SKILL_ID_PATTERN)]
    reason: Reason


@router.get("/aliases", response_model=list[AliasOut], responses=documented(403))
def aliases(state: StateDep, session: SessionDep, user: CurrentUser) -> list[dict[str, Any]]:
    """The company's own names for skills ("k8s" -> Kubernetes)."""
    user.require(Role.HR, Role.ADMIN)
    out = []
    for row in alias_rows(session):
        skill = state.taxonomy.skill(row.skill_id)
        out.append(
            {"alias": row.alias, "skill_id": row.skill_id, "label": skill.label if skill else ""}
        )
    return out


@router.post(
    "/aliases",
    status_code=201,
    response_model=AliasAddedOut,
    responses=documented(400, 415, 403, 409),
)
def add_alias(
    state: StateDep, session: SessionDep, user: CurrentUser, body: AliasIn
) -> dict[str, Any]:
    """Name a skill: imports and edits resolve the alias to it (before ESCO's alt labels),
    and a custom skill made from that name before is merged into it, its holders with it."""
    user.require(Role.ADMIN)
    return skill_usecases.add_alias(state, session, user, body.alias, body.skill_id, body.reason)


class AliasRemoval(ContractModel):
    reason: Reason


@router.post(
    "/aliases/{alias}/remove", response_model=AliasOut, responses=documented(400, 403, 404)
)
def remove_alias(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    alias: Annotated[str, Path(min_length=1, max_length=200)],
    body: AliasRemoval,
) -> dict[str, Any]:
    """Forget an alias (with a reason, for the oversight log); skills already resolved stay."""
    user.require(Role.ADMIN)
    return skill_usecases.remove_alias(state, session, user, alias, body.reason)


class ReviewIn(ContractModel):
    """HR's decision on a custom skill."""

    decision: Literal["approve", "merge", "reject"]
    label: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")] | None = (
        Field(default=None, description="approve: the label to publish (default: as typed)")
    )
    into: Annotated[str, Field(pattern=SKILL_ID_PATTERN)] | None = Field(
        default=None, description="merge: the reviewed skill that replaces it"
    )
    reason: Reason


@router.post(
    "/{skill_id}/review",
    response_model=ReviewOut,
    response_model_exclude_unset=True,
    responses=documented(400, 415, 403, 404, 409),
)
def review(
    state: StateDep, session: SessionDep, user: CurrentUser, skill_id: SkillId, body: ReviewIn
) -> dict[str, Any]:
    user.require(Role.HR, Role.ADMIN)
    return review_skill(
        state,
        session,
        user,
        skill_id,
        decision=body.decision,
        label=body.label,
        into=body.into,
        reason=body.reason,
    )
