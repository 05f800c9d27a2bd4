"""The promotion gate's off-policy half: the latest explored lists from the audit log, with what
people did with each shown item, and the new ranker's IPS, SNIPS and doubly robust value on
them against the live ranker's (training/off_policy.py).

A list counts when it is a first page served to someone other than an admin (an admin's
preview was not acted on), logged with propensities (fairness/exploration.py; older records
have none), under the feature registry the rankers read now (its rows must mean the same
columns). The latest HELD_OUT_SHARE of such lists by time are used: the new ranker learned from
the earlier ones, as the time split of training/split.py holds out its latest groups.

Reward: 1 for a shown item the person (or, on a lead's list, the lead) acted on: an
application, save, shortlist, invitation, acceptance or completion carrying this list's request
id, or, where the client sent no request id, one on the same pair within REWARD_DAYS of
serving; else 0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from data.schemas import InteractionType, Role
from data.storage.acted_on import events_since
from fairness.audit_log import AuditLog, decode_matrix
from fairness.audit_record import ServedRanking, page_bounds
from features.registry import registry_hash
from training.off_policy import Comparison, LoggedList, Scorer, compare, off_policy_verdict

HELD_OUT_SHARE = 0.15
REWARD_DAYS = 7
POSITIVE = tuple(
    t.value
    for t in (
        InteractionType.APPLY,
        InteractionType.SAVE,
        InteractionType.SHORTLIST,
        InteractionType.INVITE,
        InteractionType.ACCEPT,
        InteractionType.COMPLETE,
    )
)


@dataclass(frozen=True, slots=True)
class OffPolicyGate:
    allowed: bool
    reason: str
    comparison: Comparison | None  # None: no explored list to judge on


def explored_records(session: Session, direction: str) -> list[ServedRanking]:
    """First pages with propensities, under today's feature registry, the latest share."""
    features = registry_hash()
    records = [
        r
        for r in AuditLog.between(session, direction=direction)
        if r["caller_role"] != Role.ADMIN.value
        and not r.get("offset")
        and r["model"]["feature_hash"] == features
        and r["items"]
        and all("propensity" in item for item in r["items"])
    ]
    held_out = max(1, round(len(records) * HELD_OUT_SHARE)) if records else 0
    return records[len(records) - held_out :]


def _acted_on(
    session: Session, records: list[ServedRanking]
) -> tuple[set[tuple[str, str, str]], dict[tuple[str, str], list[dt.datetime]]]:
    """(request id, employee, opportunity) acted on with a request id; pair -> times without."""
    if not records:
        return set(), {}
    start = min(dt.datetime.fromisoformat(r["served_at"]) for r in records)
    rows = events_since(session, POSITIVE, start)
    with_id = {(r, e, o) for r, e, o, _ in rows if r}
    without: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
    for r, e, o, at in rows:
        if not r:
            without[(e, o)].append(at if at.tzinfo else at.replace(tzinfo=dt.UTC))
    return with_id, without


def logged_lists(session: Session, direction: str) -> list[LoggedList]:
    records = explored_records(session, direction)
    with_id, without = _acted_on(session, records)
    window = dt.timedelta(days=REWARD_DAYS)
    lists = []
    for record in records:
        served_at = dt.datetime.fromisoformat(record["served_at"])
        query, request = record["query_external_id"], record["request_id"]
        first, last = page_bounds(record)
        rewards, shown = [], []
        for item in record["items"]:
            pair = (query, item["id"]) if direction == "employee" else (item["id"], query)
            on_page = item["after"] is not None and first < item["after"] <= last
            acted = (request, *pair) in with_id or any(
                served_at <= at < served_at + window for at in without.get(pair, ())
            )
            shown.append(on_page)
            rewards.append(1.0 if on_page and acted else 0.0)
        lists.append(
            LoggedList(
                features=decode_matrix(record["features"]).astype(np.float64),
                propensity=np.array([i["propensity"] for i in record["items"]], dtype=np.float64),
                shown=np.array(shown, dtype=bool),
                reward=np.array(rewards),
                page=record["page_size"],
            )
        )
    return lists


def off_policy_gate(session: Session, direction: str, new: Scorer, live: Scorer) -> OffPolicyGate:
    lists = logged_lists(session, direction)
    if not lists:
        return OffPolicyGate(
            True, "off-policy: no explored list logged yet under these features, not judged", None
        )
    comparison = compare(lists, new, live)
    allowed, reason = off_policy_verdict(comparison)
    return OffPolicyGate(allowed, reason, comparison)
