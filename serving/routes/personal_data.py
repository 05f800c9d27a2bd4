"""A person's data and retention: the export of one's own data (and HR's of a named person,
logged), erasure on request, the retention periods, and the purge
(serving/usecases/personal_data.py, serving/usecases/retention.py, docs/retention.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from data.schemas import ContractModel, Role
from data.storage.employees import get_employee
from data.storage.tables import EmployeeRow
from fairness.audit_log import AuditIntegrityError
from fairness.policy import log_event
from serving.access import require_self_or
from serving.auth import Principal
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, Conflict, NotFound, documented
from serving.schemas import Out
from serving.state import ServiceState
from serving.unit_of_work import after_commit
from serving.usecases.personal_data import erase_person, export_person
from serving.usecases.retention import MINIMUM_LOG_DAYS, periods, run_purge, set_periods
from serving.validation import Reason

router = APIRouter(prefix="/api/v1", tags=["personal data"], responses=API_ERRORS)
MAX_DAYS = 36_500


class PersonalDataOut(Out):
    format: str
    exported_at: str
    profile: dict[str, Any]
    skills: list[dict[str, Any]]
    demographics: dict[str, Any] | None = Field(
        description="the person's own self-reported record (theirs under GDPR Art. 15)"
    )
    notification_settings: dict[str, Any] | None
    notifications: list[dict[str, Any]]
    interactions: list[dict[str, Any]]
    applications: list[dict[str, Any]]
    overrides_about_me: list[dict[str, Any]]
    skill_proposals: list[dict[str, Any]]
    review_requests: list[dict[str, Any]]
    data_corrections: list[dict[str, Any]]
    served_lists: list[dict[str, Any]] = Field(
        description="lists the person appeared in, as they appear to them: never another "
        "person's identity"
    )


class ErasureIn(ContractModel):
    reason: Reason


class ErasureOut(Out):
    pseudonym: str = Field(description="what the person's id became in the logs (random)")
    counts: dict[str, int]


class PeriodOut(Out):
    days: int
    minimum_days: int
    source: str = Field(description="settings (TALENT_RETENTION_*_DAYS) or hr")
    updated_at: str | None
    updated_by: str | None
    meaning: str


Days = Annotated[int | None, Field(default=None, ge=1, le=MAX_DAYS)]
# The three logs: the schema says their minimum, so a client learns it from the OpenAPI document.
LogDays = Annotated[int | None, Field(default=None, ge=MINIMUM_LOG_DAYS, le=MAX_DAYS)]


class PeriodsIn(ContractModel):
    """Days each kind of record is kept; a kind left out keeps its period. The three logs
    (audit records, oversight events, interactions) are kept at least 183 days."""

    audit_records_days: LogDays = None
    oversight_days: LogDays = None
    interactions_days: LogDays = None
    departed_profiles_days: Days = None
    outbox_days: Days = None
    reason: Reason


class PurgeOut(Out):
    dry_run: bool
    at: str
    periods_days: dict[str, int]
    counts: dict[str, int] = Field(description="what was deleted (or would be), per kind")
    through: dict[str, int] = Field(description="the last audit record and seal deleted")
    checkpoint: dict[str, Any] | None = Field(
        description="the audit log's signed checkpoint exported just before the purge: keep it"
    )


def _person(session: SessionDep, external_id: str) -> EmployeeRow:
    employee = get_employee(session, external_id)
    if employee is None:
        raise NotFound(f"no employee {external_id}")
    return employee


@router.get("/me/export", response_model=PersonalDataOut, responses=documented(403, 404))
def my_export(session: SessionDep, state: StateDep, user: CurrentUser) -> dict[str, Any]:
    """Everything the service holds about the signed-in person, as JSON (GDPR Art. 15, 20)."""
    if user.subject_external_id is None:
        raise NotFound("this token acts as no employee: ask for a person's export by id")
    return export_person(session, _person(session, user.subject_external_id), state.rankers)


@router.get(
    "/employees/{external_id}/export",
    response_model=PersonalDataOut,
    responses=documented(403, 404),
)
def person_export(
    session: SessionDep, state: StateDep, user: CurrentUser, external_id: str
) -> dict[str, Any]:
    """A named person's data (HR, admin; the person themself); HR's and admins' reads are
    logged as oversight events."""
    require_self_or(user, external_id, Role.HR, Role.ADMIN)
    document = export_person(session, _person(session, external_id), state.rankers)
    if not user.is_self(external_id):
        _logged(session, user, "export", external_id, "a person's data exported")
    return document


@router.post(
    "/employees/{external_id}/erasure",
    response_model=ErasureOut,
    responses=documented(400, 415, 403, 404, 409),
)
def erasure(
    state: StateDep, session: SessionDep, user: CurrentUser, external_id: str, body: ErasureIn
) -> dict[str, Any]:
    """Erase a person who asked (HR, admin): profile and identity deleted, their id replaced by
    a random pseudonym in the audit log, interaction log and oversight record (which keep
    verifying). 409 if a record naming them does not match its seal."""
    user.require(Role.HR, Role.ADMIN)
    employee = _person(session, external_id)
    if employee.active:
        from serving.usecases.offboarding import deactivate

        deactivate(state, session, user, employee)  # out of every pipeline first
    try:
        done = erase_person(
            session,
            state.audit,
            employee,
            actor_role=user.role.value,
            actor=_actor(user, external_id),
            reason=body.reason,
        )
    except AuditIntegrityError as refused:
        raise Conflict(str(refused)) from None
    row_id = done["employee_row_id"]
    after_commit(session, lambda: _forget(state, row_id))
    return {"pseudonym": done["pseudonym"], "counts": done["counts"]}


@router.get("/retention", response_model=dict[str, PeriodOut], responses=documented(403))
def retention(state: StateDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """How long each kind of record is kept (HR, admin)."""
    user.require(Role.HR, Role.ADMIN)
    return periods(session, state.settings)


@router.put(
    "/retention", response_model=dict[str, PeriodOut], responses=documented(400, 415, 403, 422)
)
def put_retention(
    state: StateDep, session: SessionDep, user: CurrentUser, body: PeriodsIn
) -> dict[str, Any]:
    """Set retention periods (HR, admin), logged; a log kept under 183 days is refused (422
    naming the field)."""
    user.require(Role.HR, Role.ADMIN)
    changes = body.model_dump(exclude={"reason"}, exclude_none=True)
    return set_periods(
        session,
        state.settings,
        changes,
        actor_role=user.role.value,
        actor=user.actor,
        reason=body.reason,
    )


@router.post("/retention/purge", response_model=PurgeOut, responses=documented(403, 409))
def purge(
    state: StateDep,
    user: CurrentUser,
    dry_run: Annotated[bool, Query(description="count only; change nothing")] = False,
) -> dict[str, Any]:
    """Delete what is past its period (HR, admin): checkpoints and verifies the audit log
    first, then purges; logged with the counts. 409 if the log does not verify."""
    user.require(Role.HR, Role.ADMIN)
    try:
        return run_purge(
            state.sessions,
            state.audit,
            state.settings,
            actor_role=user.role.value,
            actor=user.actor,
            dry_run=dry_run,
        )
    except AuditIntegrityError as refused:
        raise Conflict(str(refused)) from None
    finally:
        if not dry_run:  # events deleted and renamed, even by a purge that failed half-way
            state.matcher.history.mark_stale()


def _forget(state: ServiceState, row_id: int) -> None:
    """After an erasure: the person leaves the engine, and their events, renamed, are read
    again before the next page uses any history."""
    state.matcher.forget_employees([row_id])
    state.matcher.history.mark_stale()


def _actor(user: Principal, erased: str) -> str:
    """Who to name: never the erased person themself (their id must not survive)."""
    return user.role.value if user.actor == erased else user.actor


def _logged(session: SessionDep, user: Principal, action: str, who: str, reason: str) -> None:
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action=action,
        reason=reason,
        details={"employee_external_id": who},
    )
