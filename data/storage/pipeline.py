"""Each (person, opportunity) pair's place in the workflow, stored: read it, open it, move it
by compare-and-set, and take or free the seats an assignment holds.

Two people acting at once (two leads on the last seat, a lead and the employee on one pair)
cannot both win: a pair moves only if its `version` is still the one read, and a seat is taken
only by `UPDATE ... WHERE seats_filled < seats`. On PostgreSQL the second writer waits for the
first's row lock and then finds the condition false; SQLite serialises writers outright. Either
way the loser changes nothing and is told (`PairChanged`, `NoSeatLeft`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.schemas import OpportunityStatus
from data.storage.queries import affected_rows, rows_in
from data.storage.tables import OpportunityRow, PipelineRow, SkillProposalRow
from data.workflow import LAPSES_FROM, Stage

# Stages in which a pair holds a seat (hours are committed from acceptance: COMMITS_HOURS).
HOLDS_SEAT = (Stage.ASSIGNED.value,)


class PairChanged(Exception):
    """Someone else moved the pair (or opened it) between our read and our write."""


class NoSeatLeft(Exception):
    """Every seat was taken, possibly a moment ago by someone else."""


def get_pair(
    session: Session, employee_external_id: str, opportunity_external_id: str
) -> PipelineRow | None:
    query = select(PipelineRow).where(
        PipelineRow.employee_external_id == employee_external_id,
        PipelineRow.opportunity_external_id == opportunity_external_id,
    )
    return session.scalars(query).first()


def pair_by_id(session: Session, pair_id: int) -> PipelineRow | None:
    return session.get(PipelineRow, pair_id)


def open_pair(
    session: Session,
    *,
    employee_external_id: str,
    opportunity_external_id: str,
    stage: Stage,
    now: dt.datetime,
    **values: Any,
) -> PipelineRow:
    """The pair's first step; PairChanged when a concurrent request opened it first."""
    defaults = {"note": "", "approval": "none", "approval_reason": ""}
    row = PipelineRow(
        employee_external_id=employee_external_id,
        opportunity_external_id=opportunity_external_id,
        stage=stage.value,
        version=1,
        created_at=now,
        updated_at=now,
        **(defaults | values),
    )
    # A plain flush, no savepoint: on SQLite a SAVEPOINT issued before any write would open
    # (and its RELEASE commit) a transaction of its own, outside the request's. A conflict
    # leaves the session to the request's rollback.
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise PairChanged("the pair was opened by another request a moment ago") from exc
    return row


def move_pair(session: Session, pair: PipelineRow, *, now: dt.datetime, **values: Any) -> None:
    """Write `values` (a new stage, approval, ratings...) if nobody changed the pair since it
    was read; PairChanged otherwise. The row object is refreshed either way."""
    expected = pair.version
    result = session.execute(
        update(PipelineRow)
        .where(PipelineRow.id == pair.id, PipelineRow.version == expected)
        .values(version=expected + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(pair)
    if affected_rows(result) != 1:
        raise PairChanged(f"the pair changed a moment ago (it is now {pair.stage!r})")


def mark_revealed(session: Session, pair: PipelineRow, *, now: dt.datetime) -> bool:
    """Stamp the first time a lead saw who this is; False if another request stamped it (the
    version is left alone: looking is not a step)."""
    result = session.execute(
        update(PipelineRow)
        .where(PipelineRow.id == pair.id, PipelineRow.revealed_at.is_(None))
        .values(revealed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(pair)
    return affected_rows(result) == 1


def take_seat(session: Session, opportunity: OpportunityRow) -> None:
    """One seat more taken; the opportunity is `filled` at its last. NoSeatLeft if none."""
    result = session.execute(
        update(OpportunityRow)
        .where(
            OpportunityRow.id == opportunity.id, OpportunityRow.seats_filled < OpportunityRow.seats
        )
        .values(
            seats_filled=OpportunityRow.seats_filled + 1,
            status=case(
                (
                    and_(
                        OpportunityRow.seats_filled + 1 >= OpportunityRow.seats,
                        OpportunityRow.status == OpportunityStatus.OPEN.value,
                    ),
                    OpportunityStatus.FILLED.value,
                ),
                else_=OpportunityRow.status,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(opportunity)
    if affected_rows(result) != 1:
        raise NoSeatLeft(
            f"all {opportunity.seats} seat(s) of {opportunity.external_id!r} are taken"
        )


def free_seat(session: Session, opportunity: OpportunityRow, *, reopen: bool) -> None:
    """A seat given back (a mentee finished); a filled opportunity opens again if `reopen`."""
    values: dict[str, Any] = {"seats_filled": OpportunityRow.seats_filled - 1}
    if reopen:
        values["status"] = case(
            (OpportunityRow.status == OpportunityStatus.FILLED.value, OpportunityStatus.OPEN.value),
            else_=OpportunityRow.status,
        )
    session.execute(
        update(OpportunityRow)
        .where(OpportunityRow.id == opportunity.id, OpportunityRow.seats_filled > 0)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(opportunity)


def reopen_if_free(session: Session, opportunity: OpportunityRow) -> None:
    """A filled opportunity with a seat free again is open again."""
    session.execute(
        update(OpportunityRow)
        .where(
            OpportunityRow.id == opportunity.id,
            OpportunityRow.status == OpportunityStatus.FILLED.value,
            OpportunityRow.seats_filled < OpportunityRow.seats,
        )
        .values(status=OpportunityStatus.OPEN.value)
        .execution_options(synchronize_session=False)
    )
    session.refresh(opportunity)


def pairs_of_opportunity(session: Session, opportunity_external_id: str) -> list[PipelineRow]:
    query = (
        select(PipelineRow)
        .where(PipelineRow.opportunity_external_id == opportunity_external_id)
        .order_by(PipelineRow.created_at, PipelineRow.id)
    )
    return list(session.scalars(query))


def pairs_of_employee(session: Session, employee_external_id: str) -> list[PipelineRow]:
    query = (
        select(PipelineRow)
        .where(PipelineRow.employee_external_id == employee_external_id)
        .order_by(PipelineRow.updated_at.desc(), PipelineRow.id.desc())
    )
    return list(session.scalars(query))


def stages_of(
    session: Session, opportunity_external_id: str, employee_external_ids: Sequence[str]
) -> dict[str, str]:
    """employee -> stage, for these people on one opportunity (those with a pair)."""
    query = select(PipelineRow.employee_external_id, PipelineRow.stage).where(
        PipelineRow.opportunity_external_id == opportunity_external_id
    )
    return dict(rows_in(session, query, PipelineRow.employee_external_id, employee_external_ids))


def invitations_of(
    session: Session, employee_external_id: str, *, lapsed_since: dt.datetime | None = None
) -> list[PipelineRow]:
    """Invitations waiting for this person's answer, and (with `lapsed_since`) those that
    lapsed since then: the invitee is told what became of them where they saw them."""
    stage = PipelineRow.stage == Stage.INVITED.value
    if lapsed_since is not None:
        stage = or_(
            stage,
            and_(
                PipelineRow.stage == Stage.LAPSED.value,
                PipelineRow.origin == "invitation",
                PipelineRow.updated_at >= lapsed_since,
            ),
        )
    query = (
        select(PipelineRow)
        .where(PipelineRow.employee_external_id == employee_external_id, stage)
        .order_by(PipelineRow.created_at.desc(), PipelineRow.id.desc())
    )
    return list(session.scalars(query))


def unanswered_pairs(session: Session, opportunity_external_id: str) -> list[PipelineRow]:
    """Invitations and offers on this posting still waiting for the person's answer."""
    query = (
        select(PipelineRow)
        .where(
            PipelineRow.opportunity_external_id == opportunity_external_id,
            PipelineRow.stage.in_([stage.value for stage in LAPSES_FROM]),
        )
        .order_by(PipelineRow.id)
    )
    return list(session.scalars(query))


def waitlist(session: Session, opportunity_external_id: str) -> list[PipelineRow]:
    """Who waits for a slot, first come first."""
    query = (
        select(PipelineRow)
        .where(
            PipelineRow.opportunity_external_id == opportunity_external_id,
            PipelineRow.stage == Stage.WAITLISTED.value,
        )
        .order_by(PipelineRow.created_at, PipelineRow.id)
    )
    return list(session.scalars(query))


# Stages that commit the person's hours: an accepted offer as much as the assignment it becomes
# (a person who took two offers has promised both weeks, approved or not yet).
COMMITS_HOURS = (Stage.ACCEPTED.value, Stage.ASSIGNED.value)


def current_work(
    session: Session,
    *,
    today: dt.date,
    employee_external_ids: Sequence[str] | None = None,
) -> list[tuple[PipelineRow, OpportunityRow | None, float, dt.date | None]]:
    """(pair, opportunity, hours a week, last day) of every pair committing hours on `today`:
    the one source the employee's page, the matches' free hours and the manager's approval use.
    An accepted offer counts the posting's hours until the end its duration gives (a declined
    approval commits nothing: the assignment will not happen)."""
    query = (
        select(PipelineRow, OpportunityRow)
        .outerjoin(
            OpportunityRow,
            OpportunityRow.external_id == PipelineRow.opportunity_external_id,
        )
        .where(
            PipelineRow.stage.in_(COMMITS_HOURS),
            or_(PipelineRow.ends_on.is_(None), PipelineRow.ends_on >= today),
        )
        .order_by(PipelineRow.id)
    )
    if employee_external_ids is None:
        rows = list(session.execute(query))
    else:
        rows = rows_in(session, query, PipelineRow.employee_external_id, employee_external_ids)
    work: list[tuple[PipelineRow, OpportunityRow | None, float, dt.date | None]] = []
    for pair, opportunity in rows:
        if pair.stage == Stage.ASSIGNED.value:
            work.append((pair, opportunity, float(pair.hours_per_week or 0.0), pair.ends_on))
            continue
        if pair.approval == "declined" or opportunity is None:
            continue
        weeks = opportunity.duration_weeks
        starts = max(opportunity.start_date or today, today)
        ends = starts + dt.timedelta(days=7 * weeks - 1) if weeks else None
        work.append((pair, opportunity, float(opportunity.hours_per_week or 0.0), ends))
    return work


def commitments(
    session: Session,
    *,
    today: dt.date,
    employee_external_ids: Sequence[str] | None = None,
) -> list[tuple[str, float, dt.date | None]]:
    """(employee, hours a week, last day) of every accepted offer or assignment not over."""
    return [
        (pair.employee_external_id, hours, ends)
        for pair, _, hours, ends in current_work(
            session, today=today, employee_external_ids=employee_external_ids
        )
    ]


def pending_approvals(
    session: Session, *, approver: str | None = None, requested_before: dt.datetime | None = None
) -> list[PipelineRow]:
    """Approvals waiting on pairs still waiting for them (accepted, not yet assigned)."""
    query = select(PipelineRow).where(
        PipelineRow.approval == "pending", PipelineRow.stage == Stage.ACCEPTED.value
    )
    if approver is not None:
        query = query.where(PipelineRow.approver_external_id == approver)
    if requested_before is not None:
        query = query.where(PipelineRow.approval_requested_at < requested_before)
    return list(session.scalars(query.order_by(PipelineRow.approval_requested_at, PipelineRow.id)))


def decide_proposals(
    proposals: Sequence[SkillProposalRow], *, accepted: bool, now: dt.datetime
) -> None:
    """The person's answer to the pending proposals of one skill."""
    for proposal in proposals:
        proposal.status = "accepted" if accepted else "declined"
        proposal.decided_at = now


def add_pairs(session: Session, rows: Sequence[PipelineRow]) -> None:
    """Pairs of an imported history, in bulk."""
    session.add_all(rows)
    session.flush()


def stage_counts(session: Session) -> dict[str, int]:
    query = select(PipelineRow.stage, func.count()).group_by(PipelineRow.stage)
    return {stage: count for stage, count in session.execute(query)}


def add_proposals(session: Session, rows: Sequence[SkillProposalRow]) -> None:
    session.add_all(rows)
    session.flush()


def proposals_of(session: Session, employee_external_id: str) -> list[SkillProposalRow]:
    query = (
        select(SkillProposalRow)
        .where(SkillProposalRow.employee_external_id == employee_external_id)
        .order_by(SkillProposalRow.id)
    )
    return list(session.scalars(query))


def proposal_counts(
    session: Session, start: dt.datetime | None, end: dt.datetime | None
) -> dict[str, int]:
    """Skill proposals made in [start, end), by what became of them."""
    query = select(SkillProposalRow.status, func.count()).group_by(SkillProposalRow.status)
    if start is not None:
        query = query.where(SkillProposalRow.created_at >= start)
    if end is not None:
        query = query.where(SkillProposalRow.created_at < end)
    return {status: count for status, count in session.execute(query)}
