"""The model's numbers in an audit record, kept as digests (issue 27).

A record keeps what only it can say: the feature rows the model scored, the retrieval
similarities, the policy and overrides, the ranks as served and what each card said in words.
The model's outputs follow from the rows and the model version, so replay makes them again; a
record proves them by digest instead of holding them:

- the scores (`scores_sha256`): SHA-256 of every scored item's float64 score, little-endian, in
  the items' order. `items[].score` holds each score rounded to float32 (to read and to report
  on: 7 significant digits), which packs into half the bytes (fairness/audit_codec.py);
- the page's explanations (`explained_sha256`): SHA-256 of the explanations as served, as JSON
  with sorted keys and no spaces, while `explained[].explanation` holds them without their
  numbers: an employee's 29 TreeSHAP contributions a card and each reason's contribution, a
  lead's reasons' amounts (never shown to the lead). Python writes a float as the shortest text
  that reads back to it, so equal digests mean the same floats (-0.0 is not 0.0).

Measured at 100k people (bench/NOTES.md, "Audit record size"): the scores' float64 were ~1.5 KB
of a 200-item list, the explanations' numbers ~0.6-1 KB. Records filed before keep theirs in
full and are read as they were: readers tell the forms apart by the digests' presence.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

CONTRIBUTIONS = "contributions"
REASON_AMOUNTS = ("contribution", "amount")  # an employee's reason, a lead's


def scores_digest(scores: np.ndarray) -> str:
    return hashlib.sha256(np.asarray(scores, dtype="<f8").tobytes()).hexdigest()


def as_kept(score: float) -> float:
    """A score as the record keeps it beside its digest: rounded to float32."""
    return float(np.float32(score))


def explained_digest(explanations: Sequence[Mapping[str, Any]]) -> str:
    text = json.dumps(list(explanations), sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def said(explanation: Mapping[str, Any]) -> dict[str, Any]:
    """The explanation as a record keeps it beside its digest: what it said, not its numbers."""
    kept = {key: value for key, value in explanation.items() if key != CONTRIBUTIONS}
    reasons = kept.get("reasons")
    if isinstance(reasons, list):
        kept["reasons"] = [
            {k: v for k, v in r.items() if k not in REASON_AMOUNTS} if isinstance(r, dict) else r
            for r in reasons
        ]
    return kept


def holds_numbers(explanations: Sequence[Mapping[str, Any]]) -> bool:
    """Whether `said` leaves anything out (a paused page's explanations hold no numbers)."""
    return any(said(e) != e for e in explanations)
