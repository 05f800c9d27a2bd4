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
    """One shown item, shaped like `InteractionIn` (what labelling reads), with the list's
    direction, kind and the model version that ranked it."""

    request_id: str
    employee_external_id: str
    opportunity_external_id: str
    occurred_at: dt.datetime
    position: int
    direction: str  # employee (my matches) | opportunity (a lead's candidates)
    kind: str
    model_version: str
    type: str = InteractionType.IMPRESSION.value
    rating: int | None = None


@dataclass(frozen=True, slots=True)
class ServedLists:
    impressions: list[ServedImpression]  # the employees' pages: what labelling reads
    lists: int  # employees' lists they came from
    # Leads' candidate lists: each a group of the candidates' ranker beside the applicants,
    # graded by what the lead did through it (training/candidate_lists.py).
    candidate_impressions: list[ServedImpression]
    candidate_lists: int


def served_impressions(session: Session) -> ServedLists:
    shown: dict[str, list[ServedImpression]] = {"employee": [], "opportunity": []}
    lists = {"employee": 0, "opportunity": 0}
    for record in AuditLog.between(session):
        if record["caller_role"] == Role.ADMIN.value:
            continue
        direction = record["direction"]
        lists[direction] += 1
        served_at = dt.datetime.fromisoformat(record["served_at"])
        query = record["query_external_id"]
        for item in served_page(record):
            employee, opportunity = (
                (query, item["id"]) if direction == "employee" else (item["id"], query)
            )
            shown[direction].append(
                ServedImpression(
                    request_id=record["request_id"],
                    employee_external_id=employee,
                    opportunity_external_id=opportunity,
                    occurred_at=served_at,
                    position=int(item["after"] or 0),
                    direction=direction,
                    kind=record["kind"],
                    model_version=record["model"]["version"],
                )
            )
    return ServedLists(
        shown["employee"], lists["employee"], shown["opportunity"], lists["opportunity"]
    )
