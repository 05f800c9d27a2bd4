"""Replay: reproduce a served ranking from its audit record and its model version.

The record holds the exact feature rows the model scored, so scoring them again with the same
model version must give the logged scores bit for bit (since issue 27 the record proves them by
digest, and the page's explanations' numbers likewise: fairness/audit_digests.py); the policy
is re-applied with the parameters logged (p, alpha, targets as used), the overrides as logged,
and the protected attribute joined now. If that membership differs from serving time (a person
changed their self-report since), the keyed digest says so and the order may differ for that
reason alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from fairness.audit_digests import as_kept, explained_digest, said, scores_digest
from fairness.audit_log import decode_matrix
from fairness.audit_record import ServedRanking, page_bounds, served_page
from fairness.policy import Override, PolicySettings
from fairness.rerank import Membership, membership_digest, serve_order
from features.declared import declared_tiers

# (feature rows of the explained page, their logged details, audience, paused) -> the page's
# explanations, as the serving path writes them: handed in by the caller, which knows how.
# The page's explanations made again (compared with the logged ones, key for key).
Explainer = Callable[[np.ndarray, Sequence[dict[str, Any]], str, bool], Sequence[Mapping[str, Any]]]


@dataclass
class ReplayResult:
    request_id: str
    model_version: str
    scores_match: bool
    max_score_difference: float
    order_match: bool
    explanation_match: bool  # the page's explanations, recomputed, equal those served
    membership_unchanged: bool | None  # None: no re-ranker read membership
    served: list[str]
    replayed: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return self.scores_match and self.order_match and self.explanation_match

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "exact": self.exact}


def settings_from_log(policy: dict[str, Any]) -> PolicySettings:
    """The settings a record was served with, exploration included (off where none logged)."""
    settings = _reranking_from_log(policy)
    explored = policy.get("exploration")
    if explored is None or "off" in explored:  # none logged, or left off (DetGreedy)
        return dataclasses.replace(settings, explore=False)
    return dataclasses.replace(
        settings, explore=True, explore_share=explored["share"], explore_depth=explored["depth"]
    )


def _reranking_from_log(policy: dict[str, Any]) -> PolicySettings:
    name = policy["name"]
    if name == "paused":
        return PolicySettings(paused=True)
    if name in ("off", "none") or not policy.get("applied", False):
        return PolicySettings(name="off")
    if name == "fa*ir":
        return PolicySettings(
            name="fa*ir",
            attribute=policy["attribute"],
            protected=policy["protected"],
            p=policy["p"],
            alpha=policy["alpha"],
        )
    return PolicySettings(
        name="detgreedy", attribute=policy["attribute"], protected=None, targets=policy["targets"]
    )


def replay(
    record: ServedRanking,
    *,
    scorer: Callable[[np.ndarray], np.ndarray],
    explain_again: Explainer,
    membership: Membership | None,
    key: bytes,
    ranked_by: Callable[[np.ndarray], np.ndarray] | None = None,
) -> ReplayResult:
    """`ranked_by`: the scores the policy re-ranked, from the model's (an interleaved list: the
    team draft's stand-ins, drafted again by the caller, which knows the challenger)."""
    items = record["items"]
    ids = [item["id"] for item in items]
    features = decode_matrix(record["features"])
    scores = np.asarray(scorer(features), dtype=np.float64) if len(ids) else np.zeros(0)
    logged = np.array([item["score"] for item in items], dtype=np.float64)
    similarity = np.array([item["similarity"] for item in items], dtype=np.float64)
    settings = settings_from_log(record["policy"])
    notes: list[str] = []
    unchanged: bool | None = None
    joined = membership
    if settings.name != "off" and not settings.paused and membership is not None:
        categories = list(membership(settings.attribute))
        unchanged = membership_digest(key, categories) == record["policy"]["membership_digest"]
        if not unchanged:
            notes.append("protected-attribute membership changed since serving")
        joined = lambda _attribute: categories  # noqa: E731 - read once, used by the re-ranker
    overrides = [
        Override(o["override_id"], o["id"], o["action"], o["reason"], o["by_role"], "")
        for o in record["overrides"]
        if o["in_list"]
    ]
    order = serve_order(
        scores if ranked_by is None else ranked_by(scores),
        similarity,
        ids,
        settings=settings,
        page=record["page_size"],
        membership=joined,
        overrides=overrides,
        key=key,
        tiers=declared_tiers(features) if record["policy"].get("declared_first") else None,
        explore_seed=record["policy"].get("exploration", {}).get("seed"),
    )
    first, last = page_bounds(record)
    served = [item["id"] for item in served_page(record)]
    replayed = [ids[i] for i in order.order[first:last].tolist()]
    # A record with a scores digest keeps each score rounded to float32: compared as kept, and
    # bit for bit through the digest (fairness/audit_digests.py).
    digest = record.get("scores_sha256")
    kept = np.array([as_kept(s) for s in scores.tolist()]) if digest is not None else scores
    difference = float(np.max(np.abs(kept - logged))) if len(ids) else 0.0
    scores_match = bool(np.array_equal(kept, logged)) and (
        digest is None or scores_digest(scores) == digest
    )
    explained = record.get("explained", [])
    position = {item_id: i for i, item_id in enumerate(ids)}
    rows = [position[e["id"]] for e in explained]
    try:
        details = [e["details"] for e in explained]
        audience = record.get("audience", "employee")
        again = explain_again(features[rows], details, audience, settings.paused)
        explanation_match = _explanations_match(
            record, again, [e["explanation"] for e in explained], notes
        )
    except KeyError as missing:  # logged before a template asked for this detail
        explanation_match = False
        notes.append(
            f"the explanation templates changed since this ranking was served (they now use "
            f"{missing}, which its record lacks): explanations not compared"
        )
    return ReplayResult(
        request_id=record["request_id"],
        model_version=record["model"]["version"],
        scores_match=scores_match,
        max_score_difference=difference,
        order_match=replayed == served,
        explanation_match=explanation_match,
        membership_unchanged=unchanged,
        served=served,
        replayed=replayed,
        notes=notes,
    )


def _explanations_match(
    record: ServedRanking,
    again: Sequence[Mapping[str, Any]],
    logged: Sequence[Mapping[str, Any]],
    notes: list[str],
) -> bool:
    """The page's explanations made again against the record's: what they said key for key and,
    where the record keeps them as a digest (since issue 27), the digest of them made again,
    numbers included."""
    digest = record.get("explained_sha256")
    if digest is None:  # filed before, or explanations that held no numbers (paused)
        said_alike = list(again) == list(logged)
        if not said_alike:
            notes.append("a recomputed explanation differs from the one served")
        return said_alike
    said_alike = [said(e) for e in again] == list(logged)
    if not said_alike:
        notes.append("a recomputed explanation differs from the one served")
    amounts_alike = explained_digest(again) == digest
    if not amounts_alike:
        notes.append("the recomputed explanations' numbers differ from those served")
    return said_alike and amounts_alike
