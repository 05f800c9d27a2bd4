"""Six months of logged marketplace history, produced through the logging policy.

Per session an employee opens the page of one kind they are open to and sees what the logging
policy sampled (see policy.py). Then, per shown item at position p:

- examined   with probability (1/p) ** position_decay   (position bias)
- viewed     examined and u < 0.12 + 0.75 · fit
- applied    viewed and u < clip(2.0 · fit − 0.2, 0.02, 0.9), × 0.3 when not open to the kind;
             at most once per employee and opportunity
- saved      viewed, not applied, u < 0.08 + 0.20 · fit
- dismissed  examined, not viewed, u < 0.25 · (1 − fit)

Leads decide on each application, perceiving fit × (1 − penalty) for the penalised group:
shortlisted with probability = perceived shortlist fit, then accepted with probability =
perceived accept fit; applicants not shortlisted mostly get an explicit rejection. Accepted
gigs and mentorships that ended before as_of are completed (90 %) with a rating of
round(1 + 4 · fit + N(0, 0.5)) clipped to 1..5. Events later than as_of are still pending
and not logged. Lead-side events carry the request id of the session the application came
from, so a training pipeline can join outcomes to the page that produced them.

Sessions and decisions draw from separate generators, so two companies that differ only in the
bias settings share their sessions and applications: the bias changes decisions and nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from data.demo.config import BiasConfig, HistoryConfig
from data.demo.demographics import attribute_values
from data.demo.opportunities import DAY, Catalogue
from data.demo.policy import sample_pages
from data.schemas import (
    EmployeeIn,
    InteractionIn,
    InteractionType,
    OpportunityIn,
    OpportunityKind,
)

KINDS = tuple(OpportunityKind)
# What people open to no kind in particular browse.
DEFAULT_KIND_SHARES = np.array([0.5, 0.25, 0.25])
SESSION_CHUNK = 4096
# Tie order within one second, so the log reads in causal order.
TYPE_ORDER = (
    InteractionType.IMPRESSION,
    InteractionType.VIEW,
    InteractionType.DISMISS,
    InteractionType.SAVE,
    InteractionType.APPLY,
    InteractionType.SHORTLIST,
    InteractionType.REJECT,
    InteractionType.ACCEPT,
    InteractionType.COMPLETE,
)
CODE = {t: i for i, t in enumerate(TYPE_ORDER)}

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class _Events:
    """Columnar event buffer; seconds are relative to midnight UTC of as_of."""

    seconds: list[np.ndarray]
    code: list[np.ndarray]
    session: list[np.ndarray]
    employee: list[np.ndarray]
    opportunity: list[np.ndarray]
    position: list[np.ndarray]
    rating: list[np.ndarray]

    @classmethod
    def empty(cls) -> _Events:
        return cls([], [], [], [], [], [], [])

    def add(
        self,
        kind: InteractionType,
        seconds: np.ndarray,
        session: np.ndarray,
        employee: np.ndarray,
        opportunity: np.ndarray,
        position: np.ndarray | None = None,
        rating: np.ndarray | None = None,
    ) -> None:
        n = len(seconds)
        self.seconds.append(np.floor(seconds).astype(np.int64))
        self.code.append(np.full(n, CODE[kind], dtype=np.int64))
        self.session.append(session.astype(np.int64))
        self.employee.append(employee.astype(np.int64))
        self.opportunity.append(opportunity.astype(np.int64))
        self.position.append(np.zeros(n, np.int64) if position is None else position)
        self.rating.append(np.zeros(n, np.int64) if rating is None else rating)

    def column(self, name: str) -> np.ndarray:
        parts = getattr(self, name)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _session_plan(
    rng: np.random.Generator, employees: list[EmployeeIn], config: HistoryConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(employee, kind index, seconds) per session, in time order."""
    n_sessions = round(config.sessions_per_employee * len(employees))
    open_to = np.array([[k in e.open_to for k in KINDS] for e in employees], dtype=float)
    # Browsing intensity varies a lot between people; those open to nothing rarely look.
    activity = rng.gamma(0.8, 1.0, len(employees)) * np.where(open_to.any(axis=1), 1.0, 0.3)
    who = rng.choice(len(employees), size=n_sessions, p=activity / activity.sum())
    weights = np.where(open_to.any(axis=1, keepdims=True), open_to, DEFAULT_KIND_SHARES)[who]
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    kind = (rng.random((n_sessions, 1)) > cumulative).sum(axis=1).clip(0, len(KINDS) - 1)
    # Sessions end an hour before as_of so that every same-session event is logged by then.
    seconds = np.sort(rng.uniform(-config.period_days * DAY, -3600.0, n_sessions))
    return who, kind, seconds


def _decide(
    rng: np.random.Generator, fit: np.ndarray, penalised: np.ndarray, bias: BiasConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shortlisted, accepted, explicitly rejected when not shortlisted) per application.

    The uniforms are drawn whatever the bias, so changing the penalty flips only the decisions
    it is responsible for.
    """
    u = rng.random((3, len(fit)))
    shortlisted = u[0] < fit * (1.0 - bias.shortlist_penalty * penalised)
    accepted = shortlisted & (u[1] < fit * (1.0 - bias.accept_penalty * penalised))
    told_no = ~shortlisted & (u[2] < 0.7)
    return shortlisted, accepted, told_no


def simulate_history(
    sessions_rng: np.random.Generator,
    decisions_rng: np.random.Generator,
    *,
    employees: list[EmployeeIn],
    catalogue: Catalogue,
    policy_scores: np.ndarray,
    fit: np.ndarray,
    bias: BiasConfig,
    config: HistoryConfig,
    as_of: dt.date,
    progress: Progress | None = None,
) -> list[InteractionIn]:
    opportunities = catalogue.opportunities
    who, kind, start = _session_plan(sessions_rng, employees, config)
    opp_kind = np.array([KINDS.index(o.kind) for o in opportunities])
    open_to = np.array([[k in e.open_to for k in KINDS] for e in employees])
    events = _Events.empty()
    applied: dict[tuple[int, int], tuple[float, int]] = {}

    for first in range(0, len(who), SESSION_CHUNK):
        rows = slice(first, first + SESSION_CHUNK)
        e, k, t = who[rows], kind[rows], start[rows]
        session = np.arange(first, first + len(e))
        eligible = (
            (opp_kind[None, :] == k[:, None])
            & (catalogue.open_from[None, :] <= t[:, None])
            & (t[:, None] < catalogue.open_until[None, :])
            & (catalogue.owner[None, :] != e[:, None])
        )
        chosen, shown = sample_pages(sessions_rng, policy_scores[e], eligible, config)
        row, col = np.nonzero(shown)
        s_e, s_o, s_t, s_id = e[row], chosen[row, col], t[row], session[row]
        position = col + 1
        f = fit[s_e, s_o]
        events.add(InteractionType.IMPRESSION, s_t, s_id, s_e, s_o, position=position)

        u = sessions_rng.random((6, len(row)))
        examined = u[0] < (1.0 / position) ** config.position_decay
        viewed = examined & (u[1] < 0.12 + 0.75 * f)
        willing = np.where(open_to[s_e, opp_kind[s_o]], 1.0, 0.3)
        applies = viewed & (u[2] < np.clip(2.0 * f - 0.2, 0.02, 0.9) * willing)
        saved = viewed & ~applies & (u[3] < 0.08 + 0.20 * f)
        dismissed = examined & ~viewed & (u[4] < 0.25 * (1.0 - f))
        t_view = s_t + 20.0 * position + 60.0 * u[5]
        events.add(InteractionType.VIEW, t_view[viewed], s_id[viewed], s_e[viewed], s_o[viewed])
        events.add(InteractionType.SAVE, t_view[saved] + 30.0, s_id[saved], s_e[saved], s_o[saved])
        events.add(
            InteractionType.DISMISS,
            s_t[dismissed] + 10.0 * position[dismissed],
            s_id[dismissed],
            s_e[dismissed],
            s_o[dismissed],
        )
        for i in np.nonzero(applies)[0].tolist():
            key = (int(s_e[i]), int(s_o[i]))
            if key not in applied:  # sessions are in time order: the first one counts
                applied[key] = (float(t_view[i]) + 300.0, int(s_id[i]))
        if progress is not None:
            progress("history", min(first + SESSION_CHUNK, len(who)), len(who))

    _lead_decisions(decisions_rng, events, applied, employees, catalogue, fit, bias)
    return _to_interactions(events, employees, opportunities, as_of, progress)


def _lead_decisions(
    rng: np.random.Generator,
    events: _Events,
    applied: dict[tuple[int, int], tuple[float, int]],
    employees: list[EmployeeIn],
    catalogue: Catalogue,
    fit: np.ndarray,
    bias: BiasConfig,
) -> None:
    pairs = np.array(list(applied), dtype=np.int64).reshape(-1, 2)
    a_e, a_o = pairs[:, 0], pairs[:, 1]
    a_t = np.array([v[0] for v in applied.values()])
    a_s = np.array([v[1] for v in applied.values()], dtype=np.int64)
    events.add(InteractionType.APPLY, a_t, a_s, a_e, a_o)

    values = attribute_values([e.demographics for e in employees], bias.attribute)
    penalised = np.array([v == bias.group for v in values], dtype=float)[a_e]
    f = fit[a_e, a_o]
    shortlisted, accepted, told_no = _decide(rng, f, penalised, bias)
    delay = rng.uniform(size=(4, len(f)))
    t_short = a_t + (1 + 9 * delay[0]) * DAY
    t_decided = t_short + (2 + 12 * delay[1]) * DAY
    t_no = a_t + (3 + 18 * delay[2]) * DAY
    weeks = np.array([o.duration_weeks or 0 for o in catalogue.opportunities], dtype=float)[a_o]
    is_role = np.array([o.kind is OpportunityKind.ROLE for o in catalogue.opportunities])[a_o]
    t_done = t_decided + (7 * weeks + rng.uniform(-3, 7, len(f))) * DAY
    finishes = accepted & ~is_role & (delay[3] < 0.9)
    rating = np.clip(np.round(1 + 4 * f + rng.normal(0, 0.5, len(f))), 1, 5).astype(np.int64)

    def add(
        kind: InteractionType, when: np.ndarray, mask: np.ndarray, stars: np.ndarray | None = None
    ) -> None:
        keep = mask & (when < 0)  # later than as_of: still pending, not in the log
        events.add(
            kind,
            when[keep],
            a_s[keep],
            a_e[keep],
            a_o[keep],
            rating=None if stars is None else stars[keep],
        )

    add(InteractionType.SHORTLIST, t_short, shortlisted)
    add(InteractionType.ACCEPT, t_decided, accepted)
    add(InteractionType.REJECT, t_decided, shortlisted & ~accepted)
    add(InteractionType.REJECT, t_no, told_no)
    add(InteractionType.COMPLETE, t_done, finishes & (t_decided < 0), rating)


def _to_interactions(
    events: _Events,
    employees: list[EmployeeIn],
    opportunities: list[OpportunityIn],
    as_of: dt.date,
    progress: Progress | None = None,
) -> list[InteractionIn]:
    order = np.lexsort(
        (np.arange(len(events.column("seconds"))), events.column("code"), events.column("seconds"))
    )
    seconds, code, session, employee, opportunity, position, rating = (
        events.column(name)[order].tolist()
        for name in ("seconds", "code", "session", "employee", "opportunity", "position", "rating")
    )
    origin = dt.datetime.combine(as_of, dt.time(0), tzinfo=dt.UTC)
    out = []
    total = len(order)
    for i in range(total):
        if progress is not None and i % 50_000 == 0:
            progress("interactions", i, total)
        out.append(
            InteractionIn(
                request_id=f"hist-{session[i] + 1:06d}",
                employee_external_id=employees[employee[i]].external_id,
                opportunity_external_id=opportunities[opportunity[i]].external_id,
                type=TYPE_ORDER[code[i]],
                position=position[i] or None,
                rating=rating[i] or None,
                occurred_at=origin + dt.timedelta(seconds=seconds[i]),
            )
        )
    if progress is not None:
        progress("interactions", total, total)
    return out
