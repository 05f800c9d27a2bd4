"""Find people by what a person types: words of their name (or their id), for pickers such as
an admin choosing which lead owns a posting; and the departments they work in, for a posting's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVarTuple

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from data.storage.tables import ApiTokenRow, EmployeeRow, OpportunityRow

Ts = TypeVarTuple("Ts")

LEAD_ROLE = "lead"


def _contains(word: str) -> str:
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _named(query: Select[*Ts], words: Sequence[str]) -> Select[*Ts]:
    for word in words:
        pattern = _contains(word)
        query = query.where(
            or_(
                func.lower(EmployeeRow.name).like(pattern, escape="\\"),
                func.lower(EmployeeRow.external_id).like(pattern, escape="\\"),
            )
        )
    return query


@dataclass(frozen=True)
class OwnerCandidate:
    """A person who could own a posting, with what makes them a lead (all zero/False: nothing)."""

    person: EmployeeRow
    postings: int  # postings they own, any status
    reports: int  # people whose manager they are
    lead_token: bool  # holds a lead token still in force

    @property
    def leads(self) -> bool:
        return bool(self.postings or self.reports or self.lead_token)


def owner_candidates(
    session: Session, words: Sequence[str], *, limit: int, now: dt.datetime | None = None
) -> list[OwnerCandidate]:
    """People whose name (or external id) holds every word, in any case: those who lead first
    (own postings or hold a lead token in force, then those who manage people: the ways the
    product knows a lead), then the rest, each by name. Ranked in the query so a lead is never
    cut off behind a page of namesakes."""
    now = now or dt.datetime.now(dt.UTC)
    postings = (
        select(OpportunityRow.owner_external_id.label("who"), func.count().label("n"))
        .group_by(OpportunityRow.owner_external_id)
        .subquery()
    )
    manager = EmployeeRow.__table__.alias("report")
    reports = (
        select(manager.c.manager_external_id.label("who"), func.count().label("n"))
        .where(manager.c.manager_external_id.is_not(None))
        .group_by(manager.c.manager_external_id)
        .subquery()
    )
    tokens = (
        select(ApiTokenRow.subject_external_id.label("who"))
        .where(
            ApiTokenRow.role == LEAD_ROLE,
            ApiTokenRow.revoked_at.is_(None),
            or_(ApiTokenRow.expires_at.is_(None), ApiTokenRow.expires_at > now),
        )
        .distinct()
        .subquery()
    )
    n_postings = func.coalesce(postings.c.n, 0)
    n_reports = func.coalesce(reports.c.n, 0)
    has_token = tokens.c.who.is_not(None)
    # Those who post (own postings, or sign in as a lead) before those who only manage people.
    leads = case((or_(n_postings > 0, has_token), 0), (n_reports > 0, 1), else_=2)
    query = (
        select(EmployeeRow, n_postings, n_reports, has_token)
        .outerjoin(postings, postings.c.who == EmployeeRow.external_id)
        .outerjoin(reports, reports.c.who == EmployeeRow.external_id)
        .outerjoin(tokens, tokens.c.who == EmployeeRow.external_id)
    )
    query = _named(query, words).order_by(leads, EmployeeRow.name, EmployeeRow.id).limit(limit)
    return [
        OwnerCandidate(person, int(p), int(r), bool(t))
        for person, p, r, t in session.execute(query)
    ]


def names_of(session: Session, external_ids: Sequence[str]) -> dict[str, str]:
    """Each person's name, by external id (those who exist)."""
    if not external_ids:
        return {}
    query = select(EmployeeRow.external_id, EmployeeRow.name).where(
        EmployeeRow.external_id.in_(sorted(set(external_ids)))
    )
    return {external_id: name for external_id, name in session.execute(query)}


def departments(session: Session) -> list[str]:
    """The company's departments (those people work in and postings are posted in), by name:
    the choices a posting's department is offered from, as employees filter by them."""
    people = select(EmployeeRow.department).where(EmployeeRow.department != "")
    postings = select(OpportunityRow.department).where(OpportunityRow.department != "")
    return sorted({d.strip() for d in session.scalars(people.union(postings)) if d.strip()})
