"""The card of each live model, for HR: a company model's `card.md` from the registry, or a
description of the packaged cold-start model from its metadata."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from serving.state import ServiceState
from serving.usecases.interleaving import interleaving_results
from training.cold_start import DEFAULTS_DIR
from training.live import COMPANY
from training.model_card import interleaving_section


def model_cards(state: ServiceState, session: Session | None = None) -> list[dict[str, Any]]:
    """With a `session`, each card ends with the interleaving tests against it."""
    items = []
    for direction, live in sorted(state.rankers.describe().items()):
        version, source = live["version"], live["source"]
        card = _company_card(state, version) if source == COMPANY else _default_card(direction)
        if session is not None:
            section = interleaving_section(interleaving_results(session, direction))
            card = f"{card.rstrip()}\n\n{section}" if section else card
        items.append({"direction": direction, "version": version, "source": source, "card": card})
    return items


def _company_card(state: ServiceState, version: str) -> str:
    path = state.rankers.registry.root / version / "card.md"
    return path.read_text(encoding="utf-8") if path.exists() else f"(no card stored for {version})"


def _default_card(direction: str) -> str:
    meta = json.loads((DEFAULTS_DIR / "meta.json").read_text(encoding="utf-8"))
    features = ", ".join(meta["features"])
    neutral = ", ".join(meta.get("neutralised", [])) or "none"
    companies = [
        f"- seed {c['seed']}: {c['families']}, {c['occupations']} occupations, {c['skills']} "
        f"skills ({c['tools']} of them tools), {c['employees']} people, "
        f"{c['opportunities']} postings"
        for c in meta.get("trained_on", [])
    ]
    return "\n".join(
        [
            f"# Packaged cold-start ranker: {direction} direction",
            "",
            "Serves until this company trains and promotes its own (`talent train --promote`).",
            f"Trained on generated companies (seeds {meta['train_seeds']}, checked on seed "
            f"{meta['holdout_seed']}), built {meta['created']}; it never sees protected "
            "attributes.",
            *companies,
            "",
            f"Features: {features}.",
            f"Held at their neutral value (they describe one company's history): {neutral}.",
        ]
    )
