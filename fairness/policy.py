"""Re-ranking policy per opportunity kind, HR's pause switch, and people's overrides (the
owning lead, HR or an admin pins or hides a candidate), all logged.

A kind without a stored policy uses the default: FA*IR on the candidate lists leads see, with
`gender = female` as the protected group (the group the demo company's history disfavours;
HR sets their own), the minimum proportion p taken from the list's own candidate pool and
alpha 0.3. On ten-item pages alpha 0.1 almost never binds (bench/fairness.py: the women's
selection rate moved by 1%); 0.3 moves it by 3% for 0.1% of NDCG@10 against the true fit.
Exploration is on by default (5% of a first page's slots, from slot four on, drawn from the
ten ranks below the page: fairness/exploration.py); HR switches it off or sets the share per
kind. Every change is an `oversight_events` row naming who, when and why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from data.schemas import OpportunityKind
from data.storage import oversight as stored
from data.storage.tables import RankingOverrideRow
from fairness.demographics import ATTRIBUTES
from fairness.exploration import DEFAULT_DEPTH, DEFAULT_SHARE, MAX_SHARE

POLICIES = ("off", "fa*ir", "detgreedy")
ACTIONS = ("pin", "hide")


@dataclass(frozen=True, slots=True)
class PolicySettings:
    name: str = "fa*ir"
    attribute: str = "gender"
    protected: str | None = "female"  # FA*IR's protected category
    p: float | None = None  # FA*IR minimum proportion; None: the pool's share
    alpha: float = 0.3
    targets: dict[str, float] | None = None  # DetGreedy; None: the pool's proportions
    paused: bool = False
    # Honest exploration (fairness/exploration.py): HR switches it off per kind.
    explore: bool = True
    explore_share: float = DEFAULT_SHARE  # of a first page's slots, never the first three
    explore_depth: int = DEFAULT_DEPTH  # drawn from this many ranks just below the page

    def __post_init__(self) -> None:
        if self.name not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}")
        if self.attribute not in ATTRIBUTES:
            raise ValueError(f"attribute must be one of {ATTRIBUTES}")
        if self.p is not None and not 0 < self.p < 1:
            raise ValueError("p must lie strictly between 0 and 1")
        if not 0 < self.alpha < 1:
            raise ValueError("alpha must lie strictly between 0 and 1")
        if self.name == "fa*ir" and not self.protected:
            raise ValueError("fa*ir needs the protected category")
        if self.targets is not None and (
            any(not 0 <= v <= 1 for v in self.targets.values())
            or sum(self.targets.values()) > 1 + 1e-9
        ):
            raise ValueError("targets must be proportions that sum to at most 1")
        if not 0 <= self.explore_share <= MAX_SHARE:
            raise ValueError(f"explore_share must lie between 0 and {MAX_SHARE}")
        if not 1 <= self.explore_depth <= 100:
            raise ValueError("explore_depth must lie between 1 and 100")

    def params(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("name")
        values.pop("paused")
        return values


@dataclass(frozen=True, slots=True)
class Override:
    id: int
    employee_external_id: str
    action: str
    reason: str
    created_by_role: str
    created_at: str = field(compare=False)


def _kind(kind: str) -> str:
    return OpportunityKind(kind).value


def load_policy(session: Session, kind: str) -> PolicySettings:
    row = stored.policy_row(session, _kind(kind))
    if row is None:
        return PolicySettings()
    return PolicySettings(name=row.policy, paused=row.paused, **row.params)


def all_policies(session: Session) -> dict[str, PolicySettings]:
    return {kind.value: load_policy(session, kind.value) for kind in OpportunityKind}


def log_event(session: Session, **values: Any) -> None:
    """One oversight event (who, what, why); written in the caller's transaction."""
    stored.add_event(session, **values)


def set_policy(
    session: Session,
    kind: str,
    settings: PolicySettings,
    *,
    actor_role: str,
    actor: str,
    reason: str,
) -> PolicySettings:
    """Store the policy for a kind (pause state included) and log the change."""
    kind = _kind(kind)
    before = load_policy(session, kind)
    stored.save_policy_row(
        session,
        kind,
        policy=settings.name,
        params=settings.params(),
        paused=settings.paused,
        by=actor,
    )
    if before.paused != settings.paused:
        action = "pause" if settings.paused else "resume"
    else:
        action = "policy"
    log_event(
        session,
        actor_role=actor_role,
        actor=actor,
        action=action,
        kind=kind,
        reason=reason,
        details={
            "before": {"name": before.name, **before.params(), "paused": before.paused},
            "after": {"name": settings.name, **settings.params(), "paused": settings.paused},
        },
    )
    return settings


def add_override(
    session: Session,
    *,
    opportunity_external_id: str,
    employee_external_id: str,
    action: str,
    reason: str,
    actor_role: str,
    actor: str,
) -> RankingOverrideRow:
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}")
    if not reason.strip():
        raise ValueError("a reason is required")
    now = dt.datetime.now(dt.UTC)
    for previous in active_override_rows(session, opportunity_external_id):
        if previous.employee_external_id == employee_external_id:
            # the newest decision on a candidate replaces the older
            stored.revoke_override_row(previous, now)
    row = RankingOverrideRow(
        opportunity_external_id=opportunity_external_id,
        employee_external_id=employee_external_id,
        action=action,
        reason=reason.strip(),
        created_by_role=actor_role,
        created_by=actor,
        created_at=now,
    )
    stored.add_override_row(session, row)
    log_event(
        session,
        actor_role=actor_role,
        actor=actor,
        action=action,
        opportunity_external_id=opportunity_external_id,
        reason=reason.strip(),
        details={"override_id": row.id},
    )
    return row


def revoke_override(
    session: Session, override_id: int, *, actor_role: str, actor: str, reason: str = ""
) -> RankingOverrideRow | None:
    row = stored.override_row(session, override_id)
    if row is None or row.revoked_at is not None:
        return None
    stored.revoke_override_row(row, dt.datetime.now(dt.UTC))
    log_event(
        session,
        actor_role=actor_role,
        actor=actor,
        action="revoke",
        opportunity_external_id=row.opportunity_external_id,
        reason=reason,
        details={"override_id": row.id},
    )
    return row


def active_override_rows(
    session: Session, opportunity_external_id: str
) -> list[RankingOverrideRow]:
    return stored.active_override_rows(session, opportunity_external_id)


def active_overrides(session: Session, opportunity_external_id: str) -> list[Override]:
    return [
        Override(
            r.id,
            r.employee_external_id,
            r.action,
            r.reason,
            r.created_by_role,
            r.created_at.isoformat(),
        )
        for r in active_override_rows(session, opportunity_external_id)
    ]
