"""Interleaving tests: an admin's setting per kind and direction, the draft a served list is
built from, the count of which model's items people acted on, and promoting the winner.

Serving (serving/usecases/rankings.py): with a test on, the live model and the challenger each
score the list's feature rows; their orders are team-drafted (matching/interleaving.py) and the
kind's fair re-ranking policy then re-ranks the drafted order, so what is shown meets the same
policy as a plain list. The record says the challenger, the draft's seed and each shown item's
team; counting reads only the sealed records and the interaction log, so it can be redone.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from data.schemas import InteractionType, OpportunityKind
from data.storage import interleaving as stored
from data.storage import models as stored_models
from data.storage.tables import InterleavingRow
from fairness.audit_codec import parse_served
from fairness.audit_record import Interleaved, ServedRanking, served_page
from fairness.policy import load_policy, log_event
from features.declared import declared_tiers, tiered_scores
from features.registry import registry_hash
from matching.interleaving import (
    CHALLENGER,
    LIVE,
    Draft,
    WinRate,
    draft_seed,
    score_order,
    team_draft,
    win_rate,
)
from matching.pipeline import Scored
from serving.auth import Principal
from serving.errors import Conflict, InvalidField, NotFound
from serving.state import ServiceState
from training.ranker import LambdaRanker
from training.registry import RegistryError

# What counts as acting on an item: an employee applying to or saving an opportunity on their
# matches; a lead inviting or shortlisting a candidate on the opportunity's list.
ACTED_ON = {
    "employee": (InteractionType.APPLY.value, InteractionType.SAVE.value),
    "opportunity": (InteractionType.INVITE.value, InteractionType.SHORTLIST.value),
}
ADMIN = "admin"
LOG = logging.getLogger("talent.interleaving")


@dataclass(frozen=True, slots=True)
class ListDraft:
    """A list's draft: the stand-in scores the fair re-ranker orders, and what to log."""

    draft: Draft
    challenger: str
    seed: int

    @property
    def scores(self) -> np.ndarray:
        return self.draft.stand_in_scores()

    def logged(
        self, ids: Sequence[str], page_rows: Sequence[int], overrides: Sequence[dict[str, Any]]
    ) -> Interleaved:
        """The record's entry: each shown item's team; a pinned item was placed by a person,
        by neither model, and is credited to neither."""
        pinned = {o["id"] for o in overrides if o["action"] == "pin" and o["in_list"]}
        team = self.draft.team_of()
        teams = {ids[i]: team[i] for i in page_rows if ids[i] not in pinned}
        return {"challenger": self.challenger, "seed": self.seed, "teams": teams}


# -- serving --------------------------------------------------------------------------------


def draft_for(
    state: ServiceState,
    session: Session,
    scored: Scored,
    *,
    direction: str,
    kind: str,
    live_version: str,
    query_external_id: str,
    now: dt.datetime,
) -> ListDraft | None:
    """The draft for this list when an interleaving test is on for its kind and direction;
    None (plain serving) when off, paused by HR, empty, or its challenger went live."""
    row = stored.setting(session, kind, direction)
    if row is None or not row.enabled or row.challenger_version == live_version:
        return None
    if not len(scored.ids) or load_policy(session, kind).paused:
        return None
    try:
        challenger = challenger_ranker(state, row.challenger_version).predict(scored.features)
    except Exception as broken:  # artefact gone, or features changed since: serve plainly
        LOG.warning("interleaving challenger %s not usable: %s", row.challenger_version, broken)
        return None
    seed = draft_seed(query_external_id, kind, row.challenger_version, f"{now:%Y-%m-%d}")
    draft = draft_lists(
        scored.scores,
        challenger,
        tiers=declared_tiers(scored.features) if direction == "opportunity" else None,
        seed=seed,
    )
    return ListDraft(draft, row.challenger_version, seed)


def draft_lists(
    live: np.ndarray, challenger: np.ndarray, *, tiers: np.ndarray | None, seed: int
) -> Draft:
    """Each model's order as it would serve it (a lead's: declared holders of a required skill
    first, features/declared.py), team-drafted."""
    if tiers is not None:
        live, challenger = tiered_scores(live, tiers), tiered_scores(challenger, tiers)
    return team_draft(score_order(live), score_order(challenger), seed=seed)


def replay_scores(
    state: ServiceState, record: ServedRanking, features: np.ndarray
) -> Callable[[np.ndarray], np.ndarray] | None:
    """For replaying an interleaved record: live scores -> the draft's stand-in scores, drafted
    again with the logged challenger and seed (None: the record was not interleaved)."""
    logged = record.get("interleaving")
    if logged is None:
        return None
    challenger = challenger_ranker(state, logged["challenger"]).predict(features)
    tiers = declared_tiers(features) if record["policy"].get("declared_first") else None

    def ranked_by(scores: np.ndarray) -> np.ndarray:
        return draft_lists(scores, challenger, tiers=tiers, seed=logged["seed"]).stand_in_scores()

    return ranked_by


_LOADED: OrderedDict[tuple[str, str], LambdaRanker] = OrderedDict()
_LOADED_LOCK = threading.Lock()
LOADED_KEPT = 4  # challengers kept in memory (a version's artefact never changes)


def challenger_ranker(state: ServiceState, version: str) -> LambdaRanker:
    """A registered version's ranker, loaded once per process and kept."""
    key = (str(state.rankers.registry.root), version)
    with _LOADED_LOCK:
        if key in _LOADED:
            _LOADED.move_to_end(key)
            return _LOADED[key]
    ranker = state.rankers.registry.load(version)
    with _LOADED_LOCK:
        _LOADED[key] = ranker
        while len(_LOADED) > LOADED_KEPT:
            _LOADED.popitem(last=False)
    return ranker


# -- the admin's setting --------------------------------------------------------------------


def set_interleaving(
    state: ServiceState,
    session: Session,
    user: Principal,
    *,
    kind: str,
    direction: str,
    enabled: bool,
    challenger_version: str | None,
    reason: str,
) -> dict[str, Any]:
    """Turn a test on (with a registered, not live, version of this direction) or off; logged
    as an oversight event with the reason."""
    kind = OpportunityKind(kind).value
    row = stored.setting(session, kind, direction)
    if row is None and not enabled and challenger_version is None:
        raise NotFound(f"no interleaving test for {kind} ({direction} direction) to turn off")
    version = challenger_version or (row.challenger_version if row is not None else None)
    if version is None:
        raise InvalidField("challenger_version", "name the registered model version to test")
    if enabled or challenger_version is not None:
        _check_challenger(state, session, version, direction)
    now = dt.datetime.now(dt.UTC)
    before = _setting_document(row) if row is not None else None
    row = stored.save_setting(
        session,
        kind,
        direction,
        challenger_version=version,
        enabled=enabled,
        by=user.actor,
        now=now,
    )
    after = _setting_document(row)
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="interleaving_on" if enabled else "interleaving_off",
        kind=kind,
        reason=reason,
        details={"direction": direction, "before": before, "after": after},
    )
    return after


def _check_challenger(state: ServiceState, session: Session, version: str, direction: str) -> None:
    row = stored_models.get_version(session, version)
    if row is None:
        raise InvalidField("challenger_version", f"no registered model version {version!r}")
    if row.direction != direction:
        raise InvalidField(
            "challenger_version",
            f"{version} ranks the {row.direction} direction, not the {direction} direction",
        )
    if row.status == "promoted":
        raise InvalidField(
            "challenger_version", f"{version} is the live model: there is nothing to compare"
        )
    if row.feature_hash != registry_hash():
        raise InvalidField(
            "challenger_version", f"{version} was trained on another feature set; retrain it"
        )
    try:
        challenger_ranker(state, version)
    except Exception as broken:  # a missing or unreadable artefact
        raise InvalidField("challenger_version", f"{version} cannot be loaded: {broken}") from None


def _setting_document(row: InterleavingRow) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "direction": row.direction,
        "challenger_version": row.challenger_version,
        "enabled": row.enabled,
        "started_at": _utc(row.started_at).isoformat(),
        "updated_by": row.updated_by,
    }


def interleaving_settings(session: Session) -> list[dict[str, Any]]:
    return [_setting_document(row) for row in stored.all_settings(session)]


# -- counting -------------------------------------------------------------------------------


def count_test(session: Session, row: InterleavingRow) -> WinRate:
    """Which team's items people acted on, list by list, for the test's challenger since it
    started."""
    return win_rate(list_credits(session, row))


def list_credits(session: Session, row: InterleavingRow) -> list[dict[str, int]]:
    """Per interleaved list of the test, the actions on each team's items. An action is
    credited to the list its request id names, else (a save carries its own request's id) to
    the newest interleaved list of that query served before it that showed the item. Lists an
    admin previewed are not what anyone acted on, and are left out."""
    since = _utc(row.started_at)
    records: list[ServedRanking] = [
        record
        for record in map(
            parse_served,  # packed items expanded, as AuditLog's readers see them
            stored.interleaved_bodies(session, direction=row.direction, kind=row.kind, since=since),
        )
        if record["interleaving"]["challenger"] == row.challenger_version
        and record["caller_role"] != ADMIN
    ]
    by_request = {record["request_id"]: record for record in records}
    by_query: dict[str, list[ServedRanking]] = defaultdict(list)
    for served in records:
        by_query[served["query_external_id"]].append(served)
    credits: dict[str, dict[str, int]] = {r["request_id"]: {} for r in records}
    actions = stored.interactions_since(
        session,
        direction=row.direction,
        queries=sorted(by_query),
        types=ACTED_ON[row.direction],
        since=since,
    )
    for action in actions:
        query, item = (
            (action.employee_external_id, action.opportunity_external_id)
            if row.direction == "employee"
            else (action.opportunity_external_id, action.employee_external_id)
        )
        record = by_request.get(action.request_id or "")
        if record is None or record["query_external_id"] != query:
            record = _newest_showing(by_query.get(query, []), item, _utc(action.occurred_at))
        if record is None:
            continue
        team = record["interleaving"]["teams"].get(item)
        if team in (LIVE, CHALLENGER):
            tally = credits[record["request_id"]]
            tally[team] = tally.get(team, 0) + 1
    return list(credits.values())


def _newest_showing(
    records: Sequence[ServedRanking], item: str, at: dt.datetime
) -> ServedRanking | None:
    for record in records[::-1]:  # newest first
        if dt.datetime.fromisoformat(record["served_at"]) > at:
            continue
        if any(shown["id"] == item for shown in served_page(record)):
            return record
    return None


def interleaving_results(session: Session, direction: str | None = None) -> list[dict[str, Any]]:
    """Each stored test (of one direction, or all) with its count and win rate."""
    results = []
    for row in stored.all_settings(session):
        if direction is not None and row.direction != direction:
            continue
        counted = count_test(session, row)
        interval = counted.interval
        results.append(
            {
                **_setting_document(row),
                "lists": counted.lists,
                "challenger_wins": counted.challenger_wins,
                "live_wins": counted.live_wins,
                "ties": counted.ties,
                "win_rate": counted.rate,
                "interval_95": list(interval) if interval is not None else None,
                "winner": counted.winner,
                "promote": (
                    f"POST /api/v1/interleaving/{row.kind}/{row.direction}/promote"
                    if counted.winner == CHALLENGER
                    else None
                ),
            }
        )
    return results


# -- tests the retraining runs itself ---------------------------------------------------------

# The actor of the tests the scheduled retraining starts and ends (serving/usecases/training.py).
RETRAINING = "retraining"


@dataclass(frozen=True, slots=True)
class RunningTest:
    """A direction's enabled tests of one challenger, counted together over their kinds."""

    challenger: str
    kinds: tuple[str, ...]
    counted: WinRate


def running_challenger(session: Session, direction: str) -> tuple[str, list[InterleavingRow]]:
    """The newest enabled challenger of the direction and its enabled rows, one per kind
    (("", []) when no test is on); no counting."""
    rows = [r for r in stored.all_settings(session) if r.direction == direction and r.enabled]
    if not rows:
        return "", []
    newest = max(rows, key=lambda r: _utc(r.started_at)).challenger_version
    return newest, [r for r in rows if r.challenger_version == newest]


def running_test(session: Session, direction: str) -> RunningTest | None:
    """The direction's enabled test, its lists of every kind pooled (one ranker serves every
    kind of a direction); None when no test is on. Tests of another challenger than the newest
    enabled one (an admin's, per kind) are left to the admin."""
    challenger, mine = running_challenger(session, direction)
    if not mine:
        return None
    credits = [c for row in mine for c in list_credits(session, row)]
    return RunningTest(challenger, tuple(r.kind for r in mine), win_rate(credits))


def start_retraining_test(
    session: Session, *, direction: str, challenger_version: str, reason: str
) -> list[str]:
    """Interleave `challenger_version` with the live model on every kind of the direction
    that HR has not paused and no admin has switched off (an admin's "off" stays off); the
    kinds it started on. Logged as the retraining's oversight events."""
    now = dt.datetime.now(dt.UTC)
    started = []
    for kind in OpportunityKind:
        row = stored.setting(session, kind.value, direction)
        if row is not None and not row.enabled and row.updated_by != RETRAINING:
            continue
        if load_policy(session, kind.value).paused:
            continue
        before = _setting_document(row) if row is not None else None
        row = stored.save_setting(
            session,
            kind.value,
            direction,
            challenger_version=challenger_version,
            enabled=True,
            by=RETRAINING,
            now=now,
        )
        log_event(
            session,
            actor_role=RETRAINING,
            actor=RETRAINING,
            action="interleaving_on",
            kind=kind.value,
            reason=reason,
            details={"direction": direction, "before": before, "after": _setting_document(row)},
        )
        started.append(kind.value)
    return started


def end_retraining_test(
    session: Session, test: RunningTest, *, direction: str, promoted: bool, reason: str
) -> None:
    """Switch the test's kinds off, each an oversight event; with `promoted`, one more for the
    promotion, with the counts it rested on."""
    now = dt.datetime.now(dt.UTC)
    counts = {
        "version": test.challenger,
        "direction": direction,
        "by": "interleaving",
        "lists": test.counted.lists,
        "challenger_wins": test.counted.challenger_wins,
        "live_wins": test.counted.live_wins,
        "win_rate": test.counted.rate,
        "interval_95": list(test.counted.interval or ()),
    }
    for kind in test.kinds:
        stored.save_setting(
            session,
            kind,
            direction,
            challenger_version=test.challenger,
            enabled=False,
            by=RETRAINING,
            now=now,
        )
        log_event(
            session,
            actor_role=RETRAINING,
            actor=RETRAINING,
            action="interleaving_off",
            kind=kind,
            reason=reason,
            details=counts,
        )
    if promoted:
        log_event(
            session,
            actor_role=RETRAINING,
            actor=RETRAINING,
            action="promote",
            kind=None,
            reason=reason,
            details={**counts, "kinds": list(test.kinds)},
        )


# -- promoting the winner -------------------------------------------------------------------


def promote_winner(
    state: ServiceState,
    session: Session,
    user: Principal,
    *,
    kind: str,
    direction: str,
    reason: str,
) -> dict[str, Any]:
    """Promote the test's challenger (the registry's promote, as `talent models promote`) when
    its win rate's whole 95% interval lies above one half; the test ends, and the promotion is
    an oversight event with the counts it rested on."""
    kind = OpportunityKind(kind).value
    row = stored.setting(session, kind, direction)
    if row is None:
        raise NotFound(f"no interleaving test for {kind} ({direction} direction)")
    counted = count_test(session, row)
    if counted.winner != CHALLENGER:
        shown = (
            "no list with a preference yet"
            if counted.interval is None
            else f"its 95% interval is {counted.interval[0]:.3f}-{counted.interval[1]:.3f}"
        )
        raise Conflict(
            f"{row.challenger_version} has not won the interleaving test ({shown}; "
            f"{counted.challenger_wins} lists for it, {counted.live_wins} for the live model): "
            "not promoted"
        )
    try:
        promoted = state.rankers.registry.promote(row.challenger_version)
    except RegistryError as refused:
        raise Conflict(str(refused)) from None
    state.rankers.refresh()
    stored.save_setting(
        session,
        kind,
        direction,
        challenger_version=row.challenger_version,
        enabled=False,
        by=user.actor,
        now=dt.datetime.now(dt.UTC),
    )
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="promote",
        kind=kind,
        reason=reason,
        details={
            "version": promoted.version,
            "direction": direction,
            "by": "interleaving",
            "lists": counted.lists,
            "challenger_wins": counted.challenger_wins,
            "live_wins": counted.live_wins,
            "win_rate": counted.rate,
            "interval_95": list(counted.interval or ()),
        },
    )
    return {"promoted": promoted.version, "direction": direction, "kind": kind}


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
