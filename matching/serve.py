"""A served ranking end to end: scored items → served order → page → audit record.

Both match endpoints come through here, so every ranking anyone is shown is logged the same
way: who asked (role only), which model and policy, every retrieved item with its score, its
rank by score and its served rank, the feature rows the model scored (for replay), and every
intervention (re-ranker moves, pins, hides).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fairness.audit_log import AuditLog, encode_matrix
from fairness.policy import Override, PolicySettings
from fairness.rerank import Membership, ServedOrder, serve_order
from features.registry import registry_hash
from matching.explain import Contributions, explain, paused_explanation
from matching.pipeline import RankedHit, Scored


@dataclass(frozen=True, slots=True)
class Served:
    """A ranking ready to be shown; `log` appends its audit record once the response is built,
    so the log never says "served" for a request that then failed."""

    page: list[RankedHit]
    explanations: list[dict[str, Any]]  # one per page item, same order
    order: ServedOrder
    record: dict[str, Any]

    def log(self, audit: AuditLog) -> str:
        """Append the record; returns the request id it is filed under (unique in the log:
        an id a client reused gets a suffix, which the response and its header then carry)."""
        return audit.append(self.record).request_id


def serve(
    scored: Scored,
    *,
    request_id: str,
    caller_role: str,
    direction: str,
    kind: str,
    query_external_id: str,
    model: dict[str, str],
    settings: PolicySettings,
    limit: int,
    contributions: Contributions,
    details: Callable[[int], dict[str, Any]],
    audience: str,
    membership: Membership | None = None,
    overrides: Sequence[Override] = (),
    key: bytes = b"",
    now: dt.datetime | None = None,
) -> Served:
    ids = scored.ids
    order = serve_order(
        scored.scores,
        scored.similarity,
        ids,
        settings=settings,
        page=limit,
        membership=membership,
        overrides=overrides,
        key=key,
    )
    after = {int(i): rank for rank, i in enumerate(order.order.tolist(), start=1)}
    page_rows = order.order[:limit].tolist()
    page_details = [details(i) for i in page_rows]
    if settings.paused:
        explanations = [paused_explanation() for _ in page_rows]
    else:
        explanations = explain(
            contributions, scored.features[page_rows], page_details, audience=audience
        )
    record = {
        "request_id": request_id,
        "served_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
        "caller_role": caller_role,
        "direction": direction,
        "kind": kind,
        "query_external_id": query_external_id,
        "model": {**model, "feature_hash": registry_hash()},
        "policy": order.policy,
        "page_size": limit,
        "items": [
            {
                "id": ids[i],
                "score": float(scored.scores[i]),
                "similarity": float(scored.similarity[i]),
                "before": int(order.before[i]),
                "after": after.get(i),
            }
            for i in range(len(ids))
        ],
        "features": encode_matrix(scored.features),
        "audience": audience,
        # What the page's explanations were built from and what they said (replay checks it).
        "explained": [
            {"id": ids[i], "details": d, "explanation": e}
            for i, d, e in zip(page_rows, page_details, explanations, strict=True)
        ],
        "moves": order.moves,
        "overrides": order.overrides,
        "retrieval": scored.report.as_dict(),
    }
    page = scored.hits(page_rows)
    if settings.paused:  # what people see is the similarity order, and its scores
        page = [dataclasses.replace(hit, score=hit.similarity) for hit in page]
    return Served(page, explanations, order, record)
