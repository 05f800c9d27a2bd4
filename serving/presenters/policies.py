"""A kind's re-ranking policy, as the API sends it."""

from __future__ import annotations

from typing import Any

from fairness.policy import PolicySettings


def policy_document(settings: PolicySettings) -> dict[str, Any]:
    """The policy's name, its parameters and whether its automated ranking is paused."""
    return {"policy": settings.name, **settings.params(), "paused": settings.paused}
