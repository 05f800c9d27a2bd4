"""What every served ranking carries, on either side: the model, the re-ranking policy,
retrieval's counts, and why a list came out empty or short."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from serving.schemas.base import Out


class ModelOut(Out):
    version: str
    source: Literal["company", "default"]


class RankingOut(Out):
    policy: str = Field(description="the re-ranking policy applied (never who it moved)")


class RetrievalOut(Out):
    pool: int
    eligible: int
    removed_by_rule: dict[str, int] | None = Field(
        default=None,
        description="exact counts per rule; left out of a lead's candidates (counts of people "
        "that could single someone out: `why` says them banded)",
    )
    ranked: int


class WhyRuleOut(Out):
    rule: str = Field(
        description="an eligibility rule (matching/eligibility.py), or hidden_from_this_list"
    )
    removed: int | None = Field(
        description="how many it removed; null on a lead's list where the exact count could "
        "single people out (see removed_words)"
    )
    removed_words: str = Field(description="the count as said: 40, fewer than 5, ...")
    alone: int | None = Field(description="how many it alone removed (null: banded, or n/a)")
    alone_words: str
    text: str = Field(description="what removed them, in words")
    change: str | None = Field(description="what the reader could change about it")
    where: Literal["profile", "applications", "posting"] | None = Field(
        description="the page to change it on"
    )
    field: str | None = Field(description="the field there")


class WhyChangeOut(Out):
    text: str
    where: Literal["profile", "applications", "posting"] | None
    field: str | None
    would_add: int | None = Field(
        description="items this change alone would bring back (null: unknown or banded)"
    )


class WhyOut(Out):
    """Why a list is empty or shorter than asked (present only then)."""

    summary: str
    considered: int = Field(description="items searched over")
    eligible: int = Field(description="items no hard rule removed")
    shown: int
    asked: int = Field(description="the limit asked for")
    rules: list[WhyRuleOut] = Field(description="largest first")
    changes: list[WhyChangeOut] = Field(description="those bringing back the most first")
