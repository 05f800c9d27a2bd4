"""Where a person wants to be, as the API sends it."""

from __future__ import annotations

from typing import Any

from data.storage.tables import EmployeeRow
from matching.career import CareerTarget
from serving.timestamps import utc_iso


def target_document(employee: EmployeeRow, target: CareerTarget | None) -> dict[str, Any]:
    """The chosen target (a role posted here or an occupation) and when it was set; `target`
    None when none is chosen (or the one chosen is gone)."""
    document: dict[str, Any] = {"employee_external_id": employee.external_id, "target": None}
    if target is not None:
        assert employee.target_set_at is not None, "a target is stored with when it was set"
        document["target"] = {"kind": target.kind, "id": target.external_id, "label": target.label}
        document["set_at"] = utc_iso(employee.target_set_at)
    return document
