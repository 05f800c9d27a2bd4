"""The occupation a profile or a posting is placed in, as the API shows it."""

from __future__ import annotations

from typing import TypedDict

from data.storage.snapshots import StoredEmployee, StoredOpportunity


class OccupationDocument(TypedDict):
    occupation_id: str
    label: str
    score: float | None  # how sure the placement is
    source: str  # declared | inferred


def occupation_document(row: StoredEmployee | StoredOpportunity) -> OccupationDocument | None:
    """The occupation with how sure the placement is and where it came from (declared by the
    import, or inferred from the title); None when the title placed it nowhere."""
    if row.occupation_id is None:
        return None
    return {
        "occupation_id": row.occupation_id,
        "label": row.occupation_label or "",
        "score": row.occupation_score,
        "source": row.occupation_source or "inferred",
    }
