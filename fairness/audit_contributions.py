"""The page's per-feature contributions, kept in an audit record as one digest (issue 27).

An employee's explanation carries its TreeSHAP contributions: 29 float64 amounts per card, which
are the model's exact split of the score, not words anyone was shown. In a record they were
~3 KB of an employee's ~13 KB after compression, and they are a function of what the record
already holds (the feature rows and the model version). Since issue 27 a record keeps each
explanation without them and `contributions_sha256`, the digest of the contributions the page
was explained with; replay (fairness/replay.py) recomputes them and compares digests, so a
record still proves them exactly, and whoever must show them (the data-subject export) computes
them again from the model. Records filed before keep theirs inline and are read as they were.

The digest: SHA-256 of the page's contributions (one mapping per card, or null where a card had
none), as JSON with sorted keys and no spaces. Python writes a float as the shortest text that
reads back to the same float, so equal digests mean the same floats (-0.0 is not 0.0).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

FIELD = "contributions"


def contributions_digest(explanations: Sequence[Mapping[str, Any]]) -> str:
    page = [explanation.get(FIELD) for explanation in explanations]
    text = json.dumps(page, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def has_contributions(explanations: Sequence[Mapping[str, Any]]) -> bool:
    return any(FIELD in explanation for explanation in explanations)


def without_contributions(explanation: Mapping[str, Any]) -> dict[str, Any]:
    """The explanation as a record keeps it since issue 27: all it said, not the amounts."""
    return {key: value for key, value in explanation.items() if key != FIELD}
