"""An employee's profile as the API sends it."""

from __future__ import annotations

from typing import Any

from data.storage.employees import profile_record
from data.storage.tables import EmployeeRow
from serving.presenters.occupations import occupation_document


def employee_profile(row: EmployeeRow) -> dict[str, Any]:
    """The profile in the data-contract shape (so it can be sent back as an import record),
    with its occupation in full; never demographics (no part of a profile)."""
    record = {k: v for k, v in profile_record(row).items() if k != "occupation_id"}
    return {**record, "occupation": occupation_document(row)}
