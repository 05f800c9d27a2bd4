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
from sqlalchemy import select

from data.schemas import SKILL_ID_PATTERN, ContractModel, Role
from data.storage.skills import custom_skills, merge_skill, skill_from_row, skill_uses
from data.storage.tables import EmployeeRow, OpportunityRow, SkillRow
from data.taxonomy.normalizer import custom_skill_id
from fairness.policy import log_event
from serving.deps import CurrentUser, SessionDep, StateDep, after_commit
from serving.errors import API_ERRORS, Conflict, InvalidField, NotFound, documented
from serving.validation import Reason

router = APIRouter(prefix="/api/v1/skills", tags=["skills"], responses=API_ERRORS)

SkillId = Annotated[str, Path(pattern=SKILL_ID_PATTERN)]


@router.get("/normalize")
def normalize(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    q: Annotated[str, Query(min_length=1, max_length=200, description="free-text skill")],
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    """Taxonomy skills for the text, best first; a custom skill the caller introduced and HR
    has not reviewed yet is offered to them alone."""
    if not q.strip():
        raise InvalidField("q", "must contain more than white space", where="query")
    items = []
    own = session.get(SkillRow, custom_skill_id(q))
    if own is not None and own.status == "unreviewed" and own.created_by == user.actor:
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


@router.get("/review", responses=documented(403))
def review_queue(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    status: Literal["unreviewed", "reviewed", "rejected"] = "unreviewed",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(pattern=SKILL_ID_PATTERN, description="`next_cursor` of the last page")
    ] = None,
) -> dict[str, Any]:
    """Custom skills waiting for review (or decided), with how often they are used and the
    taxonomy skills they resemble (candidates for a merge)."""
    user.require(Role.HR, Role.ADMIN)
    rows = custom_skills(session, status=status, limit=limit, after_id=cursor or "")
    uses = skill_uses(session, [r.skill_id for r in rows])
    items = [
        {
            "skill_id": row.skill_id,
            "label": row.label,
            "status": row.status,
            "created_by": row.created_by,
            "uses": uses[row.skill_id],
            "resembles": [
                {"skill_id": m.skill_id, "label": m.label, "score": round(m.score, 4)}
                for m in state.normalizer.suggest(row.label, limit=3)
            ],
        }
        for row in rows
    ]
    return {"items": items, "next_cursor": rows[-1].skill_id if len(rows) == limit else None}


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


@router.post("/{skill_id}/review", responses=documented(400, 415, 403, 404, 409))
def review(
    state: StateDep, session: SessionDep, user: CurrentUser, skill_id: SkillId, body: ReviewIn
) -> dict[str, Any]:
    user.require(Role.HR, Role.ADMIN)
    row = session.get(SkillRow, skill_id)
    if row is None or row.source != "custom":
        raise NotFound(f"no custom skill {skill_id!r}")
    before = {"status": row.status, "label": row.label}
    result: dict[str, Any] = {"skill_id": skill_id}
    if body.decision == "merge":
        target = session.get(SkillRow, body.into) if body.into else None
        if target is None or target.status != "reviewed" or target.skill_id == skill_id:
            raise InvalidField("into", "must name another reviewed skill")
        employees, opportunities = merge_skill(session, skill_id, target.skill_id)
        after_commit(session, lambda: _reindex(state, employees, opportunities))
        after_commit(session, lambda: state.normalizer.retire(skill_id))
        result |= {"merged_into": target.skill_id, "profiles": len(employees)}
        result["opportunities"] = len(opportunities)
    else:
        if body.into is not None:
            raise InvalidField("into", "only a merge names a skill to merge into")
        if body.decision == "approve":
            if row.status == "reviewed" and body.label in (None, row.label):
                raise Conflict(f"{skill_id!r} is reviewed already")
            row = _publish(state, session, row, body.label or row.label)
            result |= {"published_as": row.skill_id}
        else:
            row.status = "rejected"
            after_commit(session, lambda: state.normalizer.retire(skill_id))
        result |= {"status": row.status, "label": row.label}
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="skill_review",
        reason=body.reason,
        details={"skill_id": skill_id, "decision": body.decision, "before": before, **result},
    )
    return result


def _publish(state: StateDep, session: SessionDep, row: SkillRow, label: str) -> SkillRow:
    """Approve a custom skill under `label`. A custom skill's id is made from the text typed,
    so a new label gets a new id, and every profile and opportunity moves to it: the old id
    would still spell out what was typed (a name, say)."""
    new_id = custom_skill_id(label)
    if new_id != row.skill_id:
        target = session.get(SkillRow, new_id)
        if target is None:
            target = SkillRow(
                skill_id=new_id, label=label, source="custom", created_by=row.created_by
            )
            session.add(target)
        target.status, target.label = "reviewed", label
        session.flush()
        old_id = row.skill_id
        employees, opportunities = merge_skill(session, old_id, new_id)
        after_commit(session, lambda: _reindex(state, employees, opportunities))
        after_commit(session, lambda: state.normalizer.retire(old_id))
        row = target
    row.status, row.label = "reviewed", label
    published = skill_from_row(row)
    after_commit(session, lambda: state.normalizer.add_reviewed(published))
    return row


def _reindex(state: StateDep, employees: list[int], opportunities: list[int]) -> None:
    with state.sessions() as session:
        for table, ids, refresh in (
            (EmployeeRow, employees, state.matcher.refresh_employee_rows),
            (OpportunityRow, opportunities, state.matcher.refresh_opportunity_rows),
        ):
            for start in range(0, len(ids), 900):
                chunk = ids[start : start + 900]
                refresh(session.scalars(select(table).where(table.id.in_(chunk))).all())
