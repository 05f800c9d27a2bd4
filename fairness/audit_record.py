"""What one audit record holds: the one definition of a served ranking as the log keeps it.

The serving path writes it (serving/usecases/rankings.py), the audit log seals it as canonical
JSON (adding `seq` and `key_id`), and replay, HR's report, the monitor and the handle lookup
read it back. Keys are JSON names and stay stable: a sealed record is never rewritten.
Since revision 0023 the log seals `items` packed as `items_packed` (fairness/audit_codec.py),
since issue 27 `explained` as `explained_packed` too, and expands them on every read: readers
always see the shape below. Since issue 27 the model's numbers are kept as digests
(`scores_sha256`, `explained_sha256`: fairness/audit_digests.py): each item's score rounded to
float32, the page's explanations without their contributions and amounts.
"""

from __future__ import annotations

from typing import (
    Any,
    NotRequired,  # pydantic reads these on Python 3.11
)

from typing_extensions import TypedDict


class LoggedItem(TypedDict):
    id: str  # the external id of the opportunity (employee direction) or the person
    score: float  # the model's score (rounded to float32 where the record has scores_sha256)
    similarity: float  # the retrieval cosine
    before: int  # rank by score
    after: int | None  # rank as served (None: hidden by an override)
    # Probability it was on the first page under the logging policy, exploration included
    # (fairness/exploration.py); first pages only, absent from records logged before it.
    propensity: NotRequired[float]


class EncodedMatrix(TypedDict):
    """The exact float32 rows the model scored (fairness/audit_log.encode_matrix): one of the
    two encodings, read alike by decode_matrix."""

    shape: list[int]
    f4_columns_zstd: NotRequired[str]  # since revision 0023: column by column, zstd, base64
    f4_base64: NotRequired[str]  # before: row-major little-endian float32, base64


class ModelRef(TypedDict):
    version: str
    source: str  # company | default
    feature_hash: str


class ExplainedItem(TypedDict):
    id: str
    details: dict[str, Any]  # what the reason templates were filled with
    explanation: dict[str, Any]  # what the page said


class Interleaved(TypedDict):
    """A list team-drafted from the live model's order and a challenger's (matching/
    interleaving.py): enough to draft it again (replay) and to credit each shown item."""

    challenger: str  # the challenger's model version
    seed: int  # the draft's coin
    teams: dict[str, str]  # served item id -> "live" | "challenger" (the page; pins in neither)


class ServedRanking(TypedDict):
    request_id: str
    served_at: str  # ISO 8601, UTC
    caller_role: str
    direction: str  # employee | opportunity
    kind: str
    query_external_id: str
    model: ModelRef
    policy: dict[str, Any]  # the policy as applied: name, parameters, membership digest
    page_size: int
    items: list[LoggedItem]  # every scored item, in retrieval order
    features: EncodedMatrix
    audience: str  # employee | lead
    explained: list[ExplainedItem]  # the page, in served order
    moves: list[dict[str, Any]]  # what the re-ranker changed
    overrides: list[dict[str, Any]]  # pins and hides applied
    retrieval: dict[str, Any]  # pool and eligibility counts
    seq: NotRequired[int]  # set by the log when it files the record
    # A later page of the same list: the ranks before it were not on this page (0: the first).
    offset: NotRequired[int]
    # What the person narrowed their matches to (matching/filters.py): `items` are the eligible
    # items that passed, in the order the ranker gave them.
    filters: NotRequired[dict[str, Any]]
    key_id: NotRequired[str]  # the audit key that sealed it
    interleaving: NotRequired[Interleaved]  # an interleaved list: whose each item was
    # Since issue 27 (fairness/audit_digests.py): the exact float64 scores, which `items` hold
    # rounded to float32; and the explanations as served, which `explained` holds without their
    # numbers (absent where they held none: a paused kind). Absent on records filed before.
    scores_sha256: NotRequired[str]
    explained_sha256: NotRequired[str]


def page_bounds(record: ServedRanking) -> tuple[int, int]:
    """The served ranks on the page: after the first, up to and including the second."""
    offset = record.get("offset", 0)
    return offset, offset + record["page_size"]


def served_page(record: ServedRanking) -> list[LoggedItem]:
    """The items on the page that was served, in served order."""
    first, last = page_bounds(record)
    shown: list[tuple[int, LoggedItem]] = []
    for item in record["items"]:
        after = item["after"]
        if after is not None and first < after <= last:
            shown.append((after, item))
    return [item for _, item in sorted(shown, key=lambda pair: pair[0])]
