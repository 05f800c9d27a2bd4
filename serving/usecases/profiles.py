"""Change a profile: whole (PUT), in part (PATCH), or one skill from a match card.

What a request leaves out keeps its stored value; the fields HR owns change only through HR,
an admin or an import; new skill names go through the request's capped, restricted resolver;
the person is matchable again once the change commits.

Every change locks the profile before reading it (data/storage/locks.py), so concurrent edits
run one after the other, each on what the one before stored; an `If-Match` naming an older
version of the profile than the stored one is refused (412) instead of overwriting it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from data.importing import import_employees
from data.schemas import EmployeeIn, EmployeePatch, Role
from data.storage.employees import get_employee, profile_record
from data.storage.locks import lock_row
from data.storage.skills import forget_unused_custom, unreviewed_held
from data.storage.tables import EmployeeRow
from serving.auth import Principal
from serving.errors import Forbidden, InvalidField, NotFound, RecordRejected, one_record
from serving.etags import check_if_match
from serving.presenters.profiles import employee_profile
from serving.state import ServiceState
from serving.unit_of_work import after_commit
from serving.usecases.indexing import reindex
from serving.usecases.serving_context import resolver_for

# Set by the employer's records, not by the person: level opens higher roles, hire date feeds
# tenure, name and e-mail say who someone is (so nobody can take another's), and the rest is
# organisational fact. Demographics are changed through HR too (they are read by the fairness
# audit only, never by ranking).
HR_FIELDS = (
    "name",
    "email",
    "level",
    "title",
    "department",
    "manager_external_id",
    "hire_date",
    "demographics",
)


def update_profile(
    state: ServiceState,
    session: Session,
    user: Principal,
    row: EmployeeRow,
    sent: set[str],
    body: EmployeeIn | EmployeePatch,
    *,
    if_match: str | None = None,
) -> dict[str, Any]:
    """Apply the fields `sent` to the stored profile; the rest stays."""
    if "external_id" in sent and body.external_id != row.external_id:
        raise InvalidField("external_id", "must equal the id in the URL")
    row = _locked(session, row, if_match)
    stored = profile_record(row)
    changes = body.model_dump(include=sent, mode="json")
    if user.role not in (Role.ADMIN, Role.HR):
        for field in HR_FIELDS:
            if field in changes and changes[field] != stored.get(field):
                raise Forbidden(f"{field} comes from HR records; ask HR or an admin to change it")
    merged = {**stored, **changes, "external_id": row.external_id}
    if merged.get("demographics") is None:
        merged.pop("demographics", None)  # not sent: what the person reported stays
    held = {s.skill_id for s in row.skills}
    with one_record():
        import_employees(session, [(1, merged)], resolver_for(state, user))
    _tidy_review_queue(state, session, user, row, held)
    after_commit(session, lambda: reindex(state, employees=[row.external_id]))
    return employee_profile(row)


def set_skill_level(
    state: ServiceState,
    session: Session,
    user: Principal,
    row: EmployeeRow,
    skill_id: str,
    level: int,
    *,
    if_match: str | None = None,
) -> dict[str, Any]:
    """Add a skill or correct its level (from a match card)."""
    row = _locked(session, row, if_match)
    profile = profile_record(row)
    skills = [s for s in profile["skills"] if s["skill_id"] != skill_id]
    skills.append({"skill_id": skill_id, "level": level})
    try:
        _store_skills(state, session, user, profile, skills)
    except RecordRejected as rejected:
        if any(p["field"] == f"skills.{len(skills) - 1}.skill_id" for p in rejected.detail):
            raise InvalidField("skill_id", "unknown skill id", where="path") from None
        raise
    return employee_profile(row)


def remove_skill(
    state: ServiceState,
    session: Session,
    user: Principal,
    row: EmployeeRow,
    skill_id: str,
    *,
    if_match: str | None = None,
) -> dict[str, Any]:
    row = _locked(session, row, if_match)
    profile = profile_record(row)
    skills = [s for s in profile["skills"] if s["skill_id"] != skill_id]
    if len(skills) == len(profile["skills"]):
        raise NotFound(f"{row.external_id!r} has no skill {skill_id!r}")
    _store_skills(state, session, user, profile, skills)
    return employee_profile(row)


def _locked(session: Session, row: EmployeeRow, if_match: str | None) -> EmployeeRow:
    """The profile locked for this request and as stored now; 412 if `If-Match` names
    another version of it."""
    locked = lock_row(session, row)
    if locked is None:
        raise NotFound(f"no employee {row.external_id!r}")
    check_if_match(if_match, employee_profile(locked))
    return locked


def _store_skills(
    state: ServiceState,
    session: Session,
    user: Principal,
    profile: dict[str, Any],
    skills: list[dict[str, Any]],
) -> None:
    for skill in skills:
        skill.pop("name", None)  # the id decides; a label would be normalised again
    held = {s["skill_id"] for s in profile["skills"]}
    with one_record():
        import_employees(session, [(1, {**profile, "skills": skills})], resolver_for(state, user))
    row = get_employee(session, profile["external_id"])
    assert row is not None
    _tidy_review_queue(state, session, user, row, held)
    after_commit(session, lambda: reindex(state, employees=[profile["external_id"]]))


def _tidy_review_queue(
    state: ServiceState, session: Session, user: Principal, row: EmployeeRow, held: set[str]
) -> None:
    """Names the person typed and has now dropped leave HR's review queue; and one person may
    keep only so many names waiting for review (else one token could fill the queue by typing
    new names and dropping them, as a review found: 2,514 in 45 s)."""
    session.flush()
    session.refresh(row, ["skills"])
    forget_unused_custom(session, held - {s.skill_id for s in row.skills}, created_by=user.actor)
    if user.role in (Role.ADMIN, Role.HR):
        return  # HR's own corrections and imports are not a person's self-service
    cap = state.settings.max_pending_skill_names
    waiting = unreviewed_held(session, row.id)
    # Only a name this request added is refused: someone over the cap (an import, a lowered
    # setting) can still edit, and drop names.
    if len(waiting) > cap and set(waiting) - held:
        raise InvalidField(
            "skills",
            f"{len(waiting)} skill names on this profile wait for HR's review; at most {cap} may "
            "wait at once: pick taxonomy skills (GET /api/v1/skills/normalize) or wait for the "
            "review",
        )
