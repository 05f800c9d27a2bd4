"""Where a person wants to be, as the API sends it."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from data.storage.tables import EmployeeRow
from matching.career import CareerTarget, TargetRef
from serving.timestamps import utc_iso


class TargetDocument(TypedDict):
    employee_external_id: str
    target: TargetRef | None
    set_at: NotRequired[str]


def target_document(employee: EmployeeRow, target: CareerTarget | None) -> TargetDocument:
    """The chosen target (a role posted here or an occupation) and when it was set; `target`
    None when none is chosen (or the one chosen is gone)."""
    document: TargetDocument = {"employee_external_id": employee.external_id, "target": None}
    if target is not None:
        assert employee.target_set_at is not None, "a target is stored with when it was set"
        document["target"] = {"kind": target.kind, "id": target.external_id, "label": target.label}
        document["set_at"] = utc_iso(employee.target_set_at)
    return document
