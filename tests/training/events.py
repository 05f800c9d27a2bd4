"""Hand-made interaction logs for the training tests: plain factory functions."""

from __future__ import annotations

import datetime as dt

from data.schemas import InteractionIn

T0 = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
KINDS = {"A": "gig", "B": "gig", "C": "gig", "D": "gig", "F": "gig", "M": "mentorship"}


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def ev(kind: str, who: str, what: str, minutes: float, **extra: object) -> InteractionIn:
    """`kind` and `extra` (position, rating, request_id) as a client sends them, validated as
    the API validates them: "impression" becomes InteractionType.IMPRESSION."""
    return InteractionIn.model_validate(
        {
            "employee_external_id": who,
            "opportunity_external_id": what,
            "type": kind,
            "occurred_at": at(minutes),
            **extra,
        }
    )


def shown(request: str, who: str, items: list[str], minutes: float) -> list[InteractionIn]:
    """One served list: impressions at positions 1, 2, ... in the given order."""
    return [
        ev("impression", who, item, minutes, position=i + 1, request_id=request)
        for i, item in enumerate(items)
    ]
