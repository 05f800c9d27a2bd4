"""An opportunity as the API sends it, and the overrides on its candidate list."""

from __future__ import annotations

from typing import Any

from data.storage.opportunities import posting_record
from data.storage.snapshots import StoredOpportunity
from data.storage.tables import OpportunityRow, RankingOverrideRow
from matching.aliases import candidate_alias
from matching.results import candidate_handle
from serving.presenters.occupations import occupation_document
from serving.timestamps import utc_iso


def opportunity_document(row: StoredOpportunity) -> dict[str, Any]:
    """The posting in the data-contract shape (so it can be sent back as an import record),
    with its occupation in full and the read-only state of a posting placed in none."""
    record = {k: v for k, v in posting_record(row).items() if k != "occupation_id"}
    return {
        **record,
        "occupation": occupation_document(row),
        # Matched with nobody until it has a required skill (eligibility: needs_skills).
        "needs_skills": not any(s.required for s in row.skills),
        "occupation_choices": list(row.occupation_choices or []),
    }


def override_document(
    row: RankingOverrideRow, opportunity: OpportunityRow, key: bytes, *, reveal_id: bool
) -> dict[str, Any]:
    """A pin or hide on the opportunity's candidate list, naming the candidate as the list does
    (handle and alias); the external id only where `reveal_id` (HR and admins)."""
    handle = candidate_handle(key, opportunity, row.employee_external_id)
    return {
        "id": row.id,
        "candidate": handle,
        "alias": candidate_alias(handle),
        **({"external_id": row.employee_external_id} if reveal_id else {}),
        "action": row.action,
        "reason": row.reason,
        "by_role": row.created_by_role,
        "created_at": utc_iso(row.created_at),
    }
