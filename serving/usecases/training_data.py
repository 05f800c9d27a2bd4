"""What `talent train` learns from: the interaction log plus the impressions of every served
list, derived from the audit log rather than written twice.

The audit record of a served ranking already holds what was shown, where, to whom, under
which request id and model version (fairness/audit_record.py). Writing one impression row per
shown item as well would be a second source of truth for the same facts and a write on every
request; instead each record on an employee's page becomes the impressions training needs,
here, when training reads them. Lists served to an admin (previews, operations) were not
seen by the person and teach nothing about what they would do: they are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from data.schemas import InteractionType, Role
from fairness.audit_log import AuditLog
from fairness.audit_record import served_page


@dataclass(frozen=True, slots=True)
class ServedImpression:
    """One shown item, shaped like `InteractionIn` (what labelling reads)."""

    request_id: str
    employee_external_id: str
    opportunity_external_id: str
    occurred_at: dt.datetime
    position: int
    type: str = InteractionType.IMPRESSION.value
    rating: int | None = None


@dataclass(frozen=True, slots=True)
class ServedLists:
    impressions: list[ServedImpression]  # the employees' pages, as impressions
    lists: int  # employees' lists they came from
    candidate_lists: int  # leads' candidate lists (their impressions are not labelled)
    candidate_impressions: int


def served_impressions(session: Session) -> ServedLists:
    impressions: list[ServedImpression] = []
    lists = candidate_lists = candidate_impressions = 0
    for record in AuditLog.between(session):
        if record["caller_role"] == Role.ADMIN.value:
            continue
        page = served_page(record)
        if record["direction"] == "opportunity":
            candidate_lists += 1
            candidate_impressions += len(page)
            continue
        lists += 1
        served_at = dt.datetime.fromisoformat(record["served_at"])
        impressions += [
            ServedImpression(
                request_id=record["request_id"],
                employee_external_id=record["query_external_id"],
                opportunity_external_id=item["id"],
                occurred_at=served_at,
                position=int(item["after"] or 0),
            )
            for item in page
        ]
    return ServedLists(impressions, lists, candidate_lists, candidate_impressions)
