"""Where I want to be: set a target role or occupation, read the path that closes the gap and
the occupations between, or ask which occupations next to mine fit me best."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Self

from fastapi import APIRouter, Query
from pydantic import Field, model_validator
from sqlalchemy.orm import Session

from data.importing.occupations import implied_skills
from data.schemas import ContractModel
from data.storage.opportunities import get_opportunity
from data.storage.pipeline import pairs_of_employee
from data.storage.tables import EmployeeRow
from data.taxonomy.relatedness import OccupationRelatedness
from data.workflow import Stage
from matching.career import CareerTarget, TargetSkill, career_path
from matching.next_moves import next_moves
from serving.access import own_profile
from serving.auth import Principal
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, Conflict, documented
from serving.presenters.career import TargetDocument, target_document
from serving.schemas import CareerPathOut, CareerTargetOut, Out, RoleMoveOut
from serving.state import ServiceState
from serving.timestamps import utc_iso
from serving.usecases.career_target import choose_target

router = APIRouter(prefix="/api/v1/employees", tags=["career"], responses=API_ERRORS)


class OccupationRef(Out):
    occupation_id: str
    label: str


class RouteStep(OccupationRef):
    relatedness: float = Field(description="to the occupation before it (0 to 1)")


class CareerRoute(Out):
    from_occupation: OccupationRef
    to_occupation: OccupationRef
    relatedness: float = Field(description="of the direct move (1: the same occupation)")
    steps: list[RouteStep] = Field(
        description="the occupations to pass through, ending with the target's: stepping "
        "stones only where they make the least related move clearly more related"
    )
    weakest: float = Field(description="the least related move along the steps")


class CareerPathRouteOut(CareerPathOut):
    route: CareerRoute | None = Field(
        default=None,
        description="from the person's occupation to the target's; null when either has none",
    )


class NextMovesOut(Out):
    employee_external_id: str
    occupation: OccupationRef | None
    items: list[RoleMoveOut]  # the same shape as a role match's next moves
    why_empty: str | None = Field(default=None, description="what an empty list comes from")


class CareerTargetIn(ContractModel):
    """A posted role (`opportunity_external_id`) or an ESCO occupation (`occupation_id`);
    both left out (or null) clears the target."""

    opportunity_external_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$"
    )
    occupation_id: str | None = Field(
        default=None, min_length=1, max_length=96, pattern=r"^[A-Za-z0-9._:/-]+$"
    )

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if self.opportunity_external_id is not None and self.occupation_id is not None:
            raise ValueError("a target is a role or an occupation, not both")
        return self


def _person(session: Session, user: Principal, external_id: str) -> EmployeeRow:
    return own_profile(
        session,
        user,
        external_id,
        refusal="only the person (or an admin) sets and reads their career path",
    )


def _target(state: ServiceState, session: Session, employee: EmployeeRow) -> CareerTarget | None:
    if employee.target_opportunity_external_id is not None:
        role = get_opportunity(session, employee.target_opportunity_external_id)
        if role is None:
            return None
        skills = [TargetSkill(s.skill_id, s.skill.label, s.level) for s in role.skills]
        return CareerTarget("role", role.external_id, role.title, skills, role.occupation_id)
    if employee.target_occupation_id is not None:
        occupation = state.taxonomy.occupations.get(employee.target_occupation_id)
        if occupation is None:
            return None
        required, _ = implied_skills(state.taxonomy, occupation.occupation_id)
        skills = [TargetSkill(r.skill_id or "", r.name or "", r.level) for r in required]
        return CareerTarget(
            "occupation",
            occupation.occupation_id,
            occupation.label,
            skills,
            occupation.occupation_id,
        )
    return None


@router.put(
    "/{external_id}/career-target",
    response_model=CareerTargetOut,
    response_model_exclude_unset=True,
    responses=documented(400, 403, 404, 415),
)
def set_target(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    body: CareerTargetIn,
) -> TargetDocument:
    """Pick where you want to be: a role posted here, or an occupation (GET
    /api/v1/occupations/normalize finds its id)."""
    employee = _person(session, user, external_id)
    choose_target(
        state,
        session,
        employee,
        opportunity_external_id=body.opportunity_external_id,
        occupation_id=body.occupation_id,
    )
    return target_document(employee, _target(state, session, employee))


@router.get(
    "/{external_id}/career-path",
    response_model=CareerPathRouteOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404, 409),
)
def read_path(
    state: StateDep, session: SessionDep, user: CurrentUser, external_id: str
) -> dict[str, Any]:
    """The gap to your target (skills and levels), an ordered path of courses, mentorships
    and stretch gigs open now that closes it (re-planned as skills are confirmed), and the
    route from your occupation to the target's through related occupations."""
    employee = _person(session, user, external_id)
    target = _target(state, session, employee)
    if target is None:
        raise Conflict(
            "no career target set (or it no longer exists): PUT "
            f"/api/v1/employees/{external_id}/career-target"
        )
    path = career_path(
        session,
        employee,
        target,
        confirmed=_confirmed_by_work(session, external_id),
        taxonomy=state.taxonomy,
    )
    set_at = employee.target_set_at
    return {
        "employee_external_id": external_id,
        "set_at": utc_iso(set_at) if set_at is not None else None,
        **path,
    }


@router.get(
    "/{external_id}/next-moves",
    response_model=NextMovesOut,
    response_model_exclude_unset=True,
    responses=documented(403, 404, 422),
)
def read_next_moves(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    external_id: str,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> dict[str, Any]:
    """Occupations next to yours that you are readiest for, each with the skills and tools
    of it you hold and the gap (most specific first); PUT career-target with one of them to
    plan the path there."""
    employee = _person(session, user, external_id)
    occupation = state.taxonomy.occupations.get(employee.occupation_id or "")
    document: dict[str, Any] = {
        "employee_external_id": external_id,
        "occupation": None
        if occupation is None
        else {"occupation_id": occupation.occupation_id, "label": occupation.label},
        "items": [],
    }
    if occupation is None:
        document["why_empty"] = (
            "no occupation on your profile: a title that names one, or occupation_id, places you"
        )
        return document
    held = {s.skill_id for s in employee.skills} | set(_confirmed_by_work(session, external_id))
    relatedness = OccupationRelatedness.from_taxonomy(state.taxonomy)
    moves = next_moves(state.taxonomy, relatedness, occupation.occupation_id, held, limit=limit)
    document["items"] = [dataclasses.asdict(move) for move in moves]
    if not moves:
        document["why_empty"] = f"no occupation is closely related to {occupation.label!r}"
    return document


def _confirmed_by_work(session: Session, external_id: str) -> dict[str, int]:
    """Skill id -> the highest level completed work confirmed."""
    confirmed: dict[str, int] = {}
    for pair in pairs_of_employee(session, external_id):
        if pair.stage == Stage.COMPLETED.value:
            for used in pair.skills_used or []:
                skill = used["skill_id"]
                confirmed[skill] = max(confirmed.get(skill, 0), int(used["level"]))
    return confirmed
