"""A row-and-field error report: every problem in a file, not just the first."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 1-based: the JSONL line, the CSV line (header is line 1) or the array index + 1
    field: str  # dotted path inside the record, e.g. "skills.1.level"; "" for the whole row
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ImportRejected(Exception):
    """Nothing was written because at least one row is invalid."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.row, _field_order(e.field)))
        super().__init__(f"{len(self.errors)} invalid field(s); nothing was written")

    def report(self, *, limit: int = 50) -> str:
        lines = [f"row {e.row}, {e.field or '(row)'}: {e.message}" for e in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"... and {len(self.errors) - limit} more")
        return "\n".join(lines)


def _field_order(field: str) -> tuple[tuple[int, int | str], ...]:
    """'skills.30.name' before 'skills.100.name': list positions compare as numbers."""
    return tuple((0, int(p)) if p.isascii() and p.isdigit() else (1, p) for p in field.split("."))


def errors_from_validation(row: int, exc: ValidationError) -> list[RowError]:
    return [
        RowError(row=row, field=".".join(str(part) for part in err["loc"]), message=err["msg"])
        for err in exc.errors()
    ]
