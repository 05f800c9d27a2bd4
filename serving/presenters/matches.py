"""An employee's match cards as the API sends them: matching/results.py says what each card
holds; the links into this API are the API's to write."""

from __future__ import annotations

from typing import Any

from data.storage.tables import EmployeeRow, OpportunityRow
from matching.pipeline import RankedHit
from matching.results import opportunity_items
from serving.presenters.opportunities import opportunity_document


def what_if_path(employee_external_id: str, opportunity_external_id: str) -> str:
    """Where the card's "what if" is asked: `GET .../matches/{opportunity_id}/what-if` of
    serving/routes/employees.py."""
    return f"/api/v1/employees/{employee_external_id}/matches/{opportunity_external_id}/what-if"


def match_cards(
    employee: EmployeeRow,
    hits: list[RankedHit],
    rows: dict[int, OpportunityRow],
    explanations: list[dict[str, Any]],
    learning: list[list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """The cards of one page: the posting as the API shows it, then what matching says of the
    pair, with where to ask "what if"."""
    cards = []
    for hit, item in zip(
        hits, opportunity_items(employee, hits, rows, explanations, learning), strict=True
    ):
        item["explanation"]["what_if"] = what_if_path(employee.external_id, hit.external_id)
        cards.append({"opportunity": opportunity_document(rows[hit.row_id]), **item})
    return cards
