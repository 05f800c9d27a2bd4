"""An employee's match cards as the API sends them: matching/results.py says what each card
holds; the links into this API are the API's to write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from data.storage.snapshots import StoredOpportunity
from data.storage.tables import EmployeeRow
from matching.pipeline import RankedHit
from matching.results import opportunity_items
from matching.views import CardExplanation, EmployeeExplanation, LearningItem
from serving.presenters.opportunities import opportunity_document


class LinkedExplanation(CardExplanation):
    what_if: str  # where this card's "what if" is asked


class MatchCard(TypedDict):
    opportunity: dict[str, Any]  # serving/presenters/opportunities.opportunity_document
    score: float
    rank: int
    explanation: LinkedExplanation


def what_if_path(employee_external_id: str, opportunity_external_id: str) -> str:
    """Where the card's "what if" is asked: `GET .../matches/{opportunity_id}/what-if` of
    serving/routes/employees.py."""
    return f"/api/v1/employees/{employee_external_id}/matches/{opportunity_external_id}/what-if"


def match_cards(
    employee: EmployeeRow,
    hits: list[RankedHit],
    rows: Mapping[int, StoredOpportunity],
    explanations: list[EmployeeExplanation],
    learning: list[list[LearningItem]],
) -> list[MatchCard]:
    """The cards of one page: the posting as the API shows it, then what matching says of the
    pair, with where to ask "what if"."""
    return [
        {
            "opportunity": opportunity_document(rows[hit.row_id]),
            "score": item["score"],
            "rank": item["rank"],
            "explanation": {
                **item["explanation"],
                "what_if": what_if_path(employee.external_id, hit.external_id),
            },
        }
        for hit, item in zip(
            hits, opportunity_items(employee, hits, rows, explanations, learning), strict=True
        )
    ]
