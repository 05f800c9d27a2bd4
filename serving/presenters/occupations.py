"""The occupation a profile or a posting is placed in, as the API shows it."""

from __future__ import annotations

from typing import Any

from data.storage.tables import EmployeeRow, OpportunityRow


def occupation_document(row: EmployeeRow | OpportunityRow) -> dict[str, Any] | None:
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
