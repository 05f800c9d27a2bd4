"""Does the marketplace learn from its own use, and stay fair while it does?

A demo company with no past (`generate_company(with_history=False)`, what `talent demo
--no-history` stores) is served by the real app, in process (the same ASGI code path as a server,
a real SQLite file), starting from the packaged default rankers. Every round is a simulated week:

1. employees answer last round's invitations and offers;
2. a sample of employees asks for matches of a kind they are open to (`GET …/matches`) and acts
   on what it is shown with the demo's behaviour model (history.py): examined with probability
   (1/position)^0.8, then viewed, applied, saved or dismissed following the hidden true fit;
3. managers decide the approvals waiting for them (`/approvals`);
4. the lead of every open opportunity asks for candidates (`GET …/candidates`), invites some of
   those shown, and shortlists, rejects, offers, assigns and completes through the pipeline with
   the demo's bias against one group (BiasConfig: perceived fit × 0.7 for women, at shortlist
   and at offer); completed work is rated from the true fit;
5. arms that learn retrain through the training use case (what `talent train --promote` and
   the server's scheduled retraining call) on the instance's own logs, both gates included.

Arms share the seed and the simulated people's random draws (one uniform per round, person and
opportunity), so they differ only by what they serve: `learned` (retrain each round, fair
re-ranking on: the product as shipped), `frozen` (the packaged default, never retrained) and
`learned_unfair` (learning, re-ranking switched off by HR's policy API).

Per round and arm, from the audit log's record of every served list (its whole scored pool):
NDCG@10 against the true fit of the page served, of the same pool ordered by model score before
re-ranking, and of the pool ordered by the true fit (the oracle; the ideal is the pool's best
ten, so the oracle is the ceiling, 1.0); fill rate and time to fill (rounds); applications per
served list; the impact ratio (gender) of served candidate lists before and after re-ranking
(fairness/report.served_impact); and of the leads' shortlisting decisions so far. Charts and a
table go to bench/loop.html. The last line:

  loop: rounds=… ndcg_true_frozen=… ndcg_true_learned=… lift_pct=… gap_closed_pct=…
  fill_rate_frozen=… fill_rate_learned=… impact_served_after=… impact_lead_decisions=…

(`gap_closed_pct`: the share of the distance from the frozen model to the oracle that learning
closed in the last round; `impact_served_after`: the lowest round's ratio in the learned arm.)

What it taught the product: a ranker trained from scratch on a few weeks of logs loses to the
packaged default (0.69 vs 0.81 NDCG@10 on the held-out lists in round 1), and so did a deeper
continuation chosen by early stopping on a few hundred noisy lists, so retraining corrects the
live model by a bounded step (training/evaluate.py, CORRECTION_TREES; `bench/loop_study.py`
on a `--keep` instance compares the ways of fitting); a candidates' ranker promoted on a
handful of held-out postings ranked far worse against the true fit, so the promotion gate wants
30 held-out lists with differing outcomes; and those lists, ranked by the live model, kept out
corrections that ranked better, so what they cannot judge is interleaved with the live model
and judged by people's preferences at the next retraining (docs/interleaving.md).
`--tastes interest-led` runs a company whose people weigh interest over skill, unlike the
generated companies the default was trained on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import io
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import time_machine

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from data.demo import TASTES, DemoCompany, generate_company  # noqa: E402
from data.demo.demographics import attribute_values  # noqa: E402
from data.importing.demo import store_demo_company  # noqa: E402
from data.schemas import OpportunityKind, Role  # noqa: E402
from data.storage.engine import transaction  # noqa: E402
from data.storage.tokens import issue_token  # noqa: E402
from data.taxonomy.packaged import load_packaged_taxonomy  # noqa: E402
from fairness.audit_log import decode_matrix  # noqa: E402
from fairness.metrics import selection_impact  # noqa: E402
from fairness.report import served_impact  # noqa: E402
from serving.app import create_app  # noqa: E402
from serving.settings import Settings  # noqa: E402
from serving.state import ServiceState, build_state  # noqa: E402
from serving.usecases.training import train_and_promote  # noqa: E402

KINDS = tuple(OpportunityKind)
DEFAULT_KIND_SHARES = np.array([0.5, 0.25, 0.25])  # what people open to no kind browse
PAGE = 10
POSITION_DECAY = 0.8  # HistoryConfig's examination curve
INVITE_RATE = 0.3  # a lead invites an examined, not yet involved candidate w.p. this × fit
OFFER_ACCEPT = 0.9
APPROVE = 0.9
ROUND_WEEKS = 2  # how many weeks of an assignment one round covers, for completions
OUT = REPO / "bench" / "loop.html"
# The simulated company's first Monday: the clock every arm starts from (see SimulatedClock).
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
CALL_STEP = dt.timedelta(seconds=1)  # what one API call moves the simulated clock


@dataclass(frozen=True, slots=True)
class Arm:
    name: str
    learn: bool
    fair: bool


ARMS = (
    Arm("learned", learn=True, fair=True),
    Arm("frozen", learn=False, fair=True),
    Arm("learned_unfair", learn=True, fair=False),
)


# -- the simulated world: who the people are and how they behave ---------------------------------


@dataclass
class World:
    company: DemoCompany
    seed: int
    browse_share: float
    penalty_shortlist: float
    penalty_accept: float
    employee_of: dict[str, int] = field(init=False)
    opportunity_of: dict[str, int] = field(init=False)
    penalised: np.ndarray = field(init=False)
    gender: list[str] = field(init=False)

    def __post_init__(self) -> None:
        c = self.company
        self.employee_of = {e: i for i, e in enumerate(c.employee_ids)}
        self.opportunity_of = {o: j for j, o in enumerate(c.opportunity_ids)}
        bias = c.bias
        values = attribute_values([e.demographics for e in c.employees], bias.attribute)
        self.penalised = np.array([v == bias.group for v in values])
        self.gender = [
            v or "unknown"
            for v in attribute_values([e.demographics for e in c.employees], "gender")
        ]
        self.open_to = np.array([[k in e.open_to for k in KINDS] for e in c.employees])
        activity_rng = np.random.default_rng((self.seed, 0))
        self.activity = activity_rng.gamma(0.8, 1.0, len(c.employees)) * np.where(
            self.open_to.any(axis=1), 1.0, 0.3
        )

    def fit(self, employee: str, opportunity: str) -> float:
        return float(
            self.company.true_fit[self.employee_of[employee], self.opportunity_of[opportunity]]
        )

    def expected(self, employee: str, opportunity: str) -> float:
        """The true fit without its per-pair noise: every recorded and hidden taste, no chance."""
        expected = self.company.expected_fit
        assert expected is not None, "the company was generated without its noiseless fit"
        return float(expected[self.employee_of[employee], self.opportunity_of[opportunity]])

    def draws(self, tag: int, round_: int, employee: str, opportunity: str, n: int) -> np.ndarray:
        """The same uniforms for the same person, opportunity and round in every arm."""
        key = (self.seed, tag, round_, self.employee_of[employee], self.opportunity_of[opportunity])
        return np.random.default_rng(key).random(n)

    def browsers(self, round_: int) -> list[tuple[str, str]]:
        """(employee, kind) of the sessions of one round, the same in every arm."""
        rng = np.random.default_rng((self.seed, 1, round_))
        people = self.company.employees
        n = max(1, round(self.browse_share * len(people)))
        who = rng.choice(len(people), size=n, replace=False, p=self.activity / self.activity.sum())
        out = []
        for i in who.tolist():
            weights = (
                self.open_to[i] / self.open_to[i].sum()
                if self.open_to[i].any()
                else (DEFAULT_KIND_SHARES)
            )
            kind = KINDS[int(rng.choice(len(KINDS), p=weights))]
            out.append((people[i].external_id, kind.value))
        return out

    def perceived(self, employee: str, opportunity: str, penalty: float) -> float:
        fit = self.fit(employee, opportunity)
        return fit * (1.0 - penalty) if self.penalised[self.employee_of[employee]] else fit

    def willing(self, employee: str, kind: str) -> float:
        return (
            1.0
            if self.open_to[self.employee_of[employee], KINDS.index(OpportunityKind(kind))]
            else 0.3
        )


# -- simulated time ------------------------------------------------------------------------------


class SimulatedClock:
    """Every wall-clock reading in this process (the service's `now`, its logs' times, model
    versions, the bench's round windows) comes from here while an arm runs: round r starts on
    START + (r - 1) weeks and each API call moves the clock one second. On the wall clock, two
    runs of the same code logged different lists in the same second, cut the training split at
    a different list and seeded interleaving drafts with differently named challengers, and so
    learned differently (bench/NOTES.md); on this clock they serve, log and train alike.
    Monotonic clocks (timeouts, caches' ages, this bench's own timings) are left alone."""

    def __init__(self, start: dt.datetime = START) -> None:
        self._travel = time_machine.travel(start, tick=False)
        self._at: Any = None

    def __enter__(self) -> SimulatedClock:
        self._at = self._travel.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._travel.stop()

    def tick(self) -> None:
        self._at.shift(CALL_STEP)

    def start_round(self, round_: int) -> None:
        self._at.move_to(START + dt.timedelta(weeks=round_ - 1))


# -- one arm: a real instance, its people's tokens, and what the bench knows of its pipeline ------


@dataclass
class Pair:
    stage: str
    handle: str | None = None
    request_id: str | None = None
    since_round: int = 0
    approval: str = "none"


@dataclass
class Instance:
    arm: Arm
    folder: Path
    settings: Settings
    state: ServiceState
    client: TestClient
    tokens: dict[tuple[str, str], dict[str, str]]  # (role, person) -> headers
    auditor: dict[str, str]
    clock: SimulatedClock
    pairs: dict[tuple[str, str], Pair] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    refusal_example: dict[str, Any] = field(default_factory=dict)  # what the API said, once
    first_fill: dict[str, int] = field(default_factory=dict)  # opportunity -> round
    lead_decisions: list[tuple[str, bool]] = field(default_factory=list)  # (employee, shortlisted)
    promotions: list[str] = field(default_factory=list)
    # The employee ranker the last retraining registered, promoted or not: scored in the shadow
    # on the next round's served pools, to tell whether the gate kept a better model out.
    challenger: str | None = None
    calls: int = 0

    def headers(self, role: str, person: str) -> dict[str, str]:
        return self.tokens[(role, person)]

    def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        self.clock.tick()
        self.calls += 1
        # Numbered, not random: ties between lists and replays read the same in every run.
        numbered = {**headers, "X-Request-ID": f"{self.arm.name}-{self.calls:07d}"}
        response = self.client.request(method, path, headers=numbered, **kwargs)
        if response.status_code >= 500:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        if response.status_code >= 400:
            action = (kwargs.get("json") or {}).get("action", "")
            key = f"{response.status_code} {path.split('/')[-1]} {action}".strip()
            self.refused[key] += 1
            self.refusal_example.setdefault(key, response.json().get("detail", response.text))
            return None
        return response.json()

    def step(self, opportunity: str, headers: dict[str, str], **body: Any) -> Any:
        return self.call(
            "POST", f"/api/v1/opportunities/{opportunity}/pipeline", headers, json=body
        )


def _secrets(seed: int) -> dict[str, str]:
    """Derived from the seed: masked candidates' handles (keyed by the pseudonym secret) and so
    the order of equal-scored rows are the same in every run."""

    def derived(name: str) -> str:
        return hashlib.sha256(f"bench-loop:{seed}:{name}".encode()).hexdigest()

    return {
        "admin_token": "bench-admin-" + derived("admin")[:32],
        "audit_key": derived("audit"),
        "token_secret": derived("tokens"),
        "pseudonym_secret": derived("pseudonyms"),
    }


@contextmanager
def instance(
    arm: Arm,
    company: DemoCompany,
    root: Path,
    clock: SimulatedClock,
    seed: int,
    vectors: Path = REPO / "var" / "vectors",
) -> Iterator[Instance]:
    folder = root / arm.name
    (folder / "vectors").mkdir(parents=True)
    # Label vectors are encoded once (by `talent index`, then by the first arm) and copied.
    shared = root / "vectors"
    for cached in [*vectors.glob("*.np*"), *shared.glob("*.np*")]:
        shutil.copy(cached, folder / "vectors" / cached.name)
    for store in (vectors / "texts", shared / "texts"):  # the text store's segments
        if store.is_dir():
            shutil.copytree(
                store,
                folder / "vectors" / "texts",
                ignore=shutil.ignore_patterns("*.tmp", "*.lock"),
                dirs_exist_ok=True,
            )
    keys = _secrets(seed)
    (folder / "secrets.json").write_text(json.dumps(keys))  # to reopen a kept instance (--keep)
    settings = Settings(
        database_url=f"sqlite:///{folder / 'talent.db'}",
        var_dir=folder,
        rate_limit_per_minute=0,
        rate_limit_burst=10**6,
        retrain_hours=0,  # the learning arms retrain once a round, below
        **keys,
    )
    state = build_state(settings, index=False)
    with transaction(state.sessions) as session:
        store_demo_company(session, company)
    with state.sessions() as session:
        state.matcher.load(session)
    state.matcher.cache.save()
    shutil.copytree(
        folder / "vectors",
        shared,
        ignore=shutil.ignore_patterns("*.tmp", "*.lock"),
        dirs_exist_ok=True,
    )
    owners = {o.owner_external_id for o in company.opportunities if o.owner_external_id}
    with transaction(state.sessions) as session:

        def token(role: Role, person: str | None, scopes: tuple[str, ...] = ()) -> dict[str, str]:
            issued = issue_token(
                session,
                secret=state.token_secret,
                role=role,
                subject_external_id=person,
                scopes=scopes,
            )
            return {"Authorization": f"Bearer {issued.token}"}

        tokens = {
            ("employee", e.external_id): token(Role.EMPLOYEE, e.external_id)
            for e in company.employees
        }
        tokens |= {("lead", p): token(Role.LEAD, p) for p in owners}
        hr = company.personas["hr"]
        tokens[("hr", hr)] = token(Role.HR, hr)
        auditor = token(Role.HR, hr, ("auditor",))
    with TestClient(create_app(settings, state=state)) as client:
        inst = Instance(arm, folder, settings, state, client, tokens, auditor, clock)
        if not arm.fair:
            for kind in KINDS:
                set_off = inst.call(
                    "PUT",
                    f"/api/v1/audits/policies/{kind.value}",
                    tokens[("hr", hr)],
                    json={"policy": "off", "reason": "bench arm: re-ranking off, to measure it"},
                )
                if set_off is None:
                    raise RuntimeError(f"HR could not switch re-ranking off for {kind.value}")
        yield inst
    state.close()


# -- a round -------------------------------------------------------------------------------------


def employees_answer(inst: Instance, world: World, round_: int) -> None:
    """Answer the invitations and offers the leads made last round."""
    for (employee, opportunity), pair in list(inst.pairs.items()):
        me = inst.headers("employee", employee)
        if pair.stage == "invited":
            kind = world.company.opportunities[world.opportunity_of[opportunity]].kind.value
            u = world.draws(2, round_, employee, opportunity, 1)[0]
            fit = world.fit(employee, opportunity)
            yes = u < float(np.clip(2.0 * fit - 0.2, 0.02, 0.9)) * world.willing(employee, kind)
            action = "accept_invitation" if yes else "decline_invitation"
            answered = inst.step(opportunity, me, action=action) is not None
            # Refused: the posting filled meanwhile (409 says so); the invitation lapses.
            pair.stage = ("applied" if yes else "declined") if answered else "lapsed"
        elif pair.stage == "offered":
            yes = world.draws(3, round_, employee, opportunity, 1)[0] < OFFER_ACCEPT
            done = inst.step(opportunity, me, action="accept_offer" if yes else "decline_offer")
            if done is not None:
                pair.stage = done["stage"]
                pair.approval = done["approval"]["status"]


def employees_browse(inst: Instance, world: World, round_: int) -> dict[str, int]:
    counts = Counter()
    for employee, kind in world.browsers(round_):
        me = inst.headers("employee", employee)
        page = inst.call(
            "GET", f"/api/v1/employees/{employee}/matches?kind={kind}&limit={PAGE}", me
        )
        if page is None:
            continue
        counts["lists"] += 1
        for item in page["items"]:
            opportunity, position = item["opportunity"]["external_id"], item["rank"]
            fit = world.fit(employee, opportunity)
            u = world.draws(4, round_, employee, opportunity, 5)
            if u[0] >= (1.0 / position) ** POSITION_DECAY:
                continue  # not examined
            viewed = u[1] < 0.12 + 0.75 * fit
            if viewed and u[2] < float(np.clip(2.0 * fit - 0.2, 0.02, 0.9)) * world.willing(
                employee, kind
            ):
                if (employee, opportunity) in inst.pairs:
                    continue
                done = inst.step(opportunity, me, action="apply", request_id=page["request_id"])
                if done is None:  # a full mentor: wait for a slot
                    done = inst.step(opportunity, me, action="join_waitlist")
                if done is not None:
                    inst.pairs[(employee, opportunity)] = Pair(
                        done["stage"], request_id=page["request_id"], since_round=round_
                    )
                    counts["applications"] += 1
            elif viewed and u[3] < 0.08 + 0.20 * fit:
                saved = inst.call("POST", f"/api/v1/opportunities/{opportunity}/saves", me)
                counts["saves"] += saved is not None
            elif not viewed and u[4] < 0.25 * (1.0 - fit):
                gone = inst.call("POST", f"/api/v1/opportunities/{opportunity}/dismissals", me)
                counts["dismissals"] += gone is not None
    return counts


def managers_decide(inst: Instance, world: World, round_: int) -> None:
    """Each manager with someone waiting decides; HR decides those with no manager on record."""
    managers = {
        world.company.employees[world.employee_of[e]].manager_external_id
        for (e, _), pair in inst.pairs.items()
        if pair.approval == "pending"
    }
    hr = world.company.personas["hr"]
    deciders = [inst.headers("employee", m) for m in sorted(m for m in managers if m)]
    if None in managers:
        deciders.append(inst.headers("hr", hr))
    for me in deciders:
        waiting = inst.call("GET", "/api/v1/approvals", me)
        for item in (waiting or {}).get("items", []):
            employee = item["employee"]["external_id"]
            opportunity = item["opportunity"]["external_id"]
            yes = world.draws(5, round_, employee, opportunity, 1)[0] < APPROVE
            decided = inst.call(
                "POST",
                f"/api/v1/approvals/{opportunity}/{employee}",
                me,
                json={
                    "decision": "approve" if yes else "decline",
                    "reason": "fits the team's plan" if yes else "the team needs them this quarter",
                },
            )
            if decided is not None and (employee, opportunity) in inst.pairs:
                inst.pairs[(employee, opportunity)].approval = "approved" if yes else "declined"


def leads_act(inst: Instance, world: World, round_: int) -> int:
    company = world.company
    bias = company.bias
    lists = 0
    by_opportunity: dict[str, list[tuple[str, Pair]]] = defaultdict(list)
    for (employee, opportunity), pair in inst.pairs.items():
        by_opportunity[opportunity].append((employee, pair))
    for posting in company.opportunities:
        opportunity, owner = posting.external_id, posting.owner_external_id
        if not owner:
            continue
        lead = inst.headers("lead", owner)
        board = inst.call("GET", f"/api/v1/opportunities/{opportunity}/pipeline", lead)
        if board is None:
            continue
        # Once someone applied (or accepted an invitation) the lead knows who they are.
        handles = {
            doc["candidate"]["identity"]["external_id"]: doc["candidate"]["handle"]
            for stage in board["stages"].values()
            for doc in stage
            if "identity" in doc["candidate"]
        }
        seats_left = board["seats"] - board["seats_filled"]
        if board["status"] == "open" and seats_left > 0:
            lists += invite_from_candidates(inst, world, round_, opportunity, lead)
        # Decide on each pair in the pipeline, oldest first.
        committed = sum(p.stage in ("offered", "accepted") for _, p in by_opportunity[opportunity])
        for employee, pair in sorted(by_opportunity[opportunity], key=lambda x: x[1].since_round):
            handle = pair.handle or handles.get(employee)
            if handle is None:
                continue
            u = world.draws(6, round_, employee, opportunity, 3)
            if pair.stage == "applied":
                shortlisted = u[0] < world.perceived(employee, opportunity, bias.shortlist_penalty)
                if shortlisted:
                    action: dict[str, Any] = {"action": "shortlist"}
                elif u[1] < 0.7:
                    action = {"action": "reject", "reason_code": "skills"}
                else:
                    continue
                if inst.step(opportunity, lead, candidate=handle, **action):
                    pair.stage = "shortlisted" if shortlisted else "rejected"
                    inst.lead_decisions.append((employee, shortlisted))
            elif pair.stage == "shortlisted" and round_ > pair.since_round:
                offer = u[0] < world.perceived(employee, opportunity, bias.accept_penalty)
                if offer and committed >= seats_left:
                    continue  # no seat to offer now: keep them shortlisted
                action = (
                    {"action": "offer"} if offer else {"action": "reject", "reason_code": "skills"}
                )
                if inst.step(opportunity, lead, candidate=handle, **action):
                    pair.stage, pair.since_round = ("offered" if offer else "rejected"), round_
                    committed += offer
            elif pair.stage == "accepted" and pair.approval in ("none", "approved"):
                done = inst.step(opportunity, lead, candidate=handle, action="assign")
                if done is not None:
                    pair.stage, pair.since_round = "assigned", round_
                    inst.first_fill.setdefault(opportunity, round_)
                else:  # the last seat went to someone else first
                    if inst.step(
                        opportunity, lead, candidate=handle, action="reject", reason_code="timing"
                    ):
                        pair.stage = "rejected"
            elif pair.stage == "assigned" and posting.kind is not OpportunityKind.ROLE:
                weeks = posting.duration_weeks or ROUND_WEEKS
                if round_ - pair.since_round >= math.ceil(weeks / ROUND_WEEKS):
                    fit = world.fit(employee, opportunity)
                    noise = np.random.default_rng(
                        (
                            world.seed,
                            7,
                            world.employee_of[employee],
                            world.opportunity_of[opportunity],
                        )
                    ).normal(0, 0.5)
                    rating = int(np.clip(round(1 + 4 * fit + noise), 1, 5))
                    if inst.step(
                        opportunity, lead, candidate=handle, action="complete", rating=rating
                    ):
                        pair.stage = "completed"
    return lists


def invite_from_candidates(
    inst: Instance, world: World, round_: int, opportunity: str, lead: dict[str, str]
) -> int:
    page = inst.call("GET", f"/api/v1/opportunities/{opportunity}/candidates?limit={PAGE}", lead)
    if page is None or not page["items"]:
        return 0
    # Who is behind each handle: the simulated lead decides on what it perceives of the person;
    # the bench learns it from the audit log, as an auditor would.
    record = inst.call("GET", f"/api/v1/audits/rankings/{page['request_id']}", inst.auditor)
    served = sorted(
        (
            i
            for i in record["items"]
            if i["after"] is not None and i["after"] <= record["page_size"]
        ),
        key=lambda i: i["after"],
    )
    penalty = world.company.bias.shortlist_penalty
    for item, logged in zip(page["items"], served, strict=True):
        employee, position = logged["id"], item["rank"]
        if (employee, opportunity) in inst.pairs:
            continue
        u = world.draws(8, round_, employee, opportunity, 2)
        if u[0] >= (1.0 / position) ** POSITION_DECAY:
            continue
        if u[1] < INVITE_RATE * world.perceived(employee, opportunity, penalty):
            handle = item["candidate"]["handle"]
            if inst.step(
                opportunity, lead, candidate=handle, action="invite", request_id=page["request_id"]
            ):
                inst.pairs[(employee, opportunity)] = Pair(
                    "invited", handle=handle, request_id=page["request_id"], since_round=round_
                )
    return 1


def retrain(inst: Instance, round_: int, min_groups: int) -> str:
    """Retrain through the product's training use case (what `talent train --promote` and the
    server's scheduled retraining call), both gates included; what became of each direction."""
    result = train_and_promote(inst.state, seed=round_, min_groups=min_groups, promote=True)
    inst.challenger = result.registered("employee")
    said = [f"not trained: {d.not_trained}" for d in result.directions.values() if d.not_trained]
    said += [
        line for line in result.outcome_lines(promote=True) if not line.startswith("registered")
    ]
    if not any(d.version for d in result.directions.values()):
        said.append("nothing trained: the log holds too little history")
    return "; ".join(said)


# -- what each round served, from the audit log ----------------------------------------------------


def ndcg(gains_in_order: list[float], pool: list[float], k: int = PAGE) -> float | None:
    ideal = sorted(pool, reverse=True)[:k]
    discount = [1.0 / math.log2(i + 2) for i in range(k)]
    best = sum(g * d for g, d in zip(ideal, discount, strict=False))
    if best <= 0:
        return None
    return sum(g * d for g, d in zip(gains_in_order[:k], discount, strict=False)) / best


def served_figures(
    inst: Instance, world: World, start: dt.datetime, end: dt.datetime
) -> dict[str, float | None]:
    values: dict[str, list[float]] = defaultdict(list)
    challenger = inst.state.rankers.ranker_for(inst.challenger) if inst.challenger else None
    with inst.state.sessions() as session:
        for record in inst.state.audit.between(session, start, end):
            direction = record["direction"]
            query = record["query_external_id"]
            items = record["items"]
            if direction == "employee":
                fits = [world.fit(query, i["id"]) for i in items]
                expected = [world.expected(query, i["id"]) for i in items]
            else:
                fits = [world.fit(i["id"], query) for i in items]
                expected = [world.expected(i["id"], query) for i in items]
            served = [
                f
                for f, i in sorted(
                    zip(fits, items, strict=True), key=lambda x: x[1]["after"] or 10**9
                )
                if i["after"] is not None
            ]
            before = [
                f for f, _ in sorted(zip(fits, items, strict=True), key=lambda x: x[1]["before"])
            ]
            side = "emp" if direction == "employee" else "cand"
            if challenger is not None and side == "emp":
                shadow = challenger.predict(decode_matrix(record["features"]))
                order = [fits[i] for i in np.argsort(-shadow, kind="stable")]
                if (value := ndcg(order, fits)) is not None:
                    values["ndcg_emp_challenger"].append(value)
            by_expected = [fits[i] for i in np.argsort(-np.array(expected), kind="stable")]
            for name, order in (
                ("served", served),
                ("before", before),
                ("ceiling", by_expected),
                ("oracle", sorted(fits, reverse=True)),
            ):
                value = ndcg(order, fits)
                if value is not None:
                    values[f"ndcg_{side}_{name}"].append(value)
        impact = served_impact(session, inst.state.audit, start, end)
    out: dict[str, float | None] = {k: float(np.mean(v)) for k, v in values.items()}
    out["impact_served_before"] = impact["impact_ratio_before"]
    out["impact_served_after"] = impact["impact_ratio_after"]
    return out


def lead_impact(inst: Instance, world: World) -> float | None:
    if not inst.lead_decisions:
        return None
    people = [world.gender[world.employee_of[e]] for e, _ in inst.lead_decisions]
    chosen = np.array([s for _, s in inst.lead_decisions])
    return selection_impact(chosen, np.array(people), attribute="gender").min_impact_ratio


def run_arm(
    arm: Arm, world: World, rounds: int, root: Path, min_groups: int, vectors: Path
) -> list[dict]:
    rows: list[dict] = []
    windows: list[tuple[dt.datetime, dt.datetime]] = []
    n_opportunities = len(world.company.opportunities)
    with (
        SimulatedClock() as simulated,
        instance(arm, world.company, root, simulated, world.seed, vectors) as inst,
    ):
        for round_ in range(1, rounds + 1):
            simulated.start_round(round_)
            clock = time.perf_counter()
            start = dt.datetime.now(dt.UTC)
            employees_answer(inst, world, round_)
            counts = employees_browse(inst, world, round_)
            managers_decide(inst, world, round_)
            leads_act(inst, world, round_)
            end = dt.datetime.now(dt.UTC) + dt.timedelta(microseconds=1)
            windows.append((start, end))
            served_s = time.perf_counter() - clock
            figures = served_figures(inst, world, start, end)
            filled = list(inst.first_fill.values())
            row = {
                "arm": arm.name,
                "round": round_,
                **figures,
                "lists": counts["lists"],
                "applications_per_list": counts["applications"] / max(counts["lists"], 1),
                "fill_rate": len(filled) / n_opportunities,
                "time_to_fill_rounds": statistics.median(filled) if filled else None,
                "impact_lead_decisions": lead_impact(inst, world),
                "model": inst.state.rankers.describe()["employee"]["version"],
            }
            trained = ""
            if arm.learn:
                clock2 = time.perf_counter()
                trained = retrain(inst, round_, min_groups)
                row["train_s"] = time.perf_counter() - clock2
            row["promotion"] = trained
            row["serve_s"] = served_s
            rows.append(row)
            print(
                f"  {arm.name} round {round_}: emp NDCG {_fmt(row.get('ndcg_emp_served'), 4)}, "
                f"(last retrained, in the shadow: {_fmt(row.get('ndcg_emp_challenger'), 4)}), "
                f"cand NDCG {_fmt(row.get('ndcg_cand_served'), 4)}, "
                f"fill {row['fill_rate']:.3f}, impact after {_fmt(row['impact_served_after'])}, "
                f"lead {_fmt(row['impact_lead_decisions'])} ({served_s:.0f}s served"
                + (f", {row['train_s']:.0f}s trained: {trained}" if arm.learn else "")
                + ")",
                flush=True,
            )
        if not arm.learn:
            feature_ceiling(inst, world, windows, rows)
        if inst.refused:
            print(f"  {arm.name} refused steps: {dict(inst.refused.most_common(8))}", flush=True)
            for key, said in inst.refusal_example.items():
                print(f"    {key}, e.g.: {str(said)[:200]}", flush=True)
    return rows


def feature_ceiling(
    inst: Instance,
    world: World,
    windows: list[tuple[dt.datetime, dt.datetime]],
    rows: list[dict],
) -> None:
    """What any ranker over the features could reach: a LightGBM regression fitted on the
    hidden true fit itself (the feature rows the audit log kept for every served pool) of half
    the people, scored on the other half's lists against what was served to them."""
    pools = []
    with inst.state.sessions() as session:
        for round_, (start, end) in enumerate(windows, start=1):
            for record in inst.state.audit.between(session, start, end, direction="employee"):
                person = world.employee_of[record["query_external_id"]]
                fits = np.array(
                    [world.fit(record["query_external_id"], i["id"]) for i in record["items"]]
                )
                served = np.array([-(i["after"] or 10**9) for i in record["items"]], dtype=float)
                expected = np.array(
                    [world.expected(record["query_external_id"], i["id"]) for i in record["items"]]
                )
                pools.append(
                    (round_, person % 2, decode_matrix(record["features"]), fits, served, expected)
                )
    fitted = [p for p in pools if p[1] == 0 and len(p[3])]
    if not fitted:
        return
    model = lgb.train(
        {
            "objective": "regression",
            "num_leaves": 15,
            "learning_rate": 0.05,
            "seed": world.seed,
            "deterministic": True,
            "num_threads": 2,
            "verbosity": -1,
        },
        lgb.Dataset(np.vstack([p[2] for p in fitted]), np.concatenate([p[3] for p in fitted])),
        num_boost_round=300,
    )
    for row in rows:
        scored = {"ceiling": [], "served": [], "noiseless": []}
        for round_, half, features, fits, served, expected in pools:
            if round_ != row["round"] or half != 1 or len(fits) < 2:
                continue
            for name, score in (
                ("ceiling", model.predict(features)),
                ("served", served),
                ("noiseless", expected),
            ):
                value = ndcg([fits[i] for i in np.argsort(-score, kind="stable")], list(fits))
                if value is not None:
                    scored[name].append(value)
        if scored["ceiling"]:
            row["ndcg_emp_feature_ceiling"] = float(np.mean(scored["ceiling"]))
            row["ndcg_emp_served_other_half"] = float(np.mean(scored["served"]))
            row["ndcg_emp_noiseless_other_half"] = float(np.mean(scored["noiseless"]))
    last = rows[-1]
    if "ndcg_emp_feature_ceiling" in last:
        # How much of the frozen-to-noiseless gap a perfectly taught ranker over these features
        # closes: the most any learning from use could close without new features.
        reachable = _gap_closed(
            last["ndcg_emp_served_other_half"],
            last["ndcg_emp_feature_ceiling"],
            last["ndcg_emp_noiseless_other_half"],
        )
        print(
            f"  features ceiling (a regression on the hidden true fit of half the people, on the "
            f"other half's lists): {last['ndcg_emp_feature_ceiling']:.4f} vs "
            f"{last['ndcg_emp_served_other_half']:.4f} served by {inst.arm.name} and "
            f"{last['ndcg_emp_noiseless_other_half']:.4f} for the noiseless ceiling in the last "
            f"round: features_ceiling_gap_closed_pct={_fmt(reachable, 1)}",
            flush=True,
        )


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


# -- report ----------------------------------------------------------------------------------------

FIGURES = (
    ("ndcg_emp_served", "Employees' matches: NDCG@10 vs true fit"),
    ("ndcg_cand_served", "Leads' candidates: NDCG@10 vs true fit"),
    ("fill_rate", "Fill rate (share of opportunities with an assignment)"),
    ("time_to_fill_rounds", "Median rounds to first assignment"),
    ("applications_per_list", "Applications per served list"),
    ("impact_served_after", "Impact ratio of served candidate lists (after re-ranking)"),
    ("impact_served_before", "Impact ratio of served candidate lists (before re-ranking)"),
    ("impact_lead_decisions", "Impact ratio of leads' shortlisting (so far)"),
)
COLOURS = {"learned": "#1f6f8b", "frozen": "#b57f2f", "learned_unfair": "#7fb77e"}


def chart(rows: list[dict], key: str, title: str) -> str:
    figure, axis = plt.subplots(figsize=(5.2, 3.2))
    for arm in ARMS:
        mine = [r for r in rows if r["arm"] == arm.name]
        if mine:
            axis.plot(
                [r["round"] for r in mine],
                [np.nan if r.get(key) is None else r[key] for r in mine],
                marker="o",
                markersize=3,
                label=arm.name,
                color=COLOURS[arm.name],
            )
    # Reference lines: (chart key, arm or None for any, column, style, label).
    references = [
        (key, "learned", key.replace("served", "oracle"), {"linestyle": ":"}, "oracle"),
        (
            key,
            "learned",
            key.replace("served", "ceiling"),
            {"linestyle": (0, (5, 1))},
            "noiseless ceiling",
        ),
        (
            "ndcg_emp_served",
            "learned",
            "ndcg_emp_challenger",
            {"linestyle": "--", "marker": "x", "color": COLOURS["learned"]},
            "last retrained (shadow)",
        ),
        (
            "ndcg_emp_served",
            None,
            "ndcg_emp_feature_ceiling",
            {"linestyle": "-."},
            "features ceiling",
        ),
    ]
    for shown_on, arm_name, column, style, label in references:
        mine = [r for r in rows if r.get(column) is not None and arm_name in (None, r["arm"])]
        if key.startswith("ndcg") and shown_on == key and mine:
            axis.plot(
                [r["round"] for r in mine],
                [r[column] for r in mine],
                **{"color": "#555", **style},
                label=label,
            )
    if key.startswith("impact"):
        axis.axhline(0.8, color="#c0392b", linestyle="--", linewidth=1, label="four-fifths")
    axis.set_title(title, fontsize=10)
    axis.set_xlabel("round (week)", fontsize=9)
    axis.legend(fontsize=8)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


COLUMNS = (
    "arm",
    "round",
    "ndcg_emp_served",
    "ndcg_emp_before",
    "ndcg_emp_challenger",
    "ndcg_emp_ceiling",
    "ndcg_emp_oracle",
    "ndcg_emp_feature_ceiling",
    "ndcg_emp_served_other_half",
    "ndcg_cand_served",
    "ndcg_cand_before",
    "ndcg_cand_ceiling",
    "ndcg_cand_oracle",
    "lists",
    "applications_per_list",
    "fill_rate",
    "time_to_fill_rounds",
    "impact_served_before",
    "impact_served_after",
    "impact_lead_decisions",
    "model",
    "promotion",
)


def write_report(rows: list[dict], summary: str, settings_line: str, path: Path) -> None:
    cells = []
    for r in rows:
        tds = []
        for c in COLUMNS:
            v = r.get(c)
            tds.append(f"<td>{html.escape(_fmt(v, 4) if isinstance(v, float) else str(v))}</td>")
        cells.append("<tr>" + "".join(tds) + "</tr>")
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>talent-marketplace: learning from its own use</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:80em}}
.charts{{display:flex;flex-wrap:wrap;gap:1em}}table{{border-collapse:collapse;font-size:.8em}}
td,th{{border:1px solid #ccc;padding:.2em .4em;text-align:right}}</style></head><body>
<h1>Learning from its own use</h1>
<p>{html.escape(settings_line)}</p><p><code>{html.escape(summary)}</code></p>
<div class="charts">{"".join(chart(rows, k, t) for k, t in FIGURES)}</div>
<h2>Per round and arm</h2><div style="overflow-x:auto"><table>
<tr>{"".join(f"<th>{c}</th>" for c in COLUMNS)}</tr>{"".join(cells)}</table></div>
</body></html>"""
    path.write_text(page)


def _gap_closed(frozen: float | None, learned: float | None, ceiling: float | None) -> float | None:
    """The share (%) of the distance from the frozen default to a ceiling that learning closed."""
    if frozen is None or learned is None or ceiling is None or ceiling <= frozen:
        return None
    return 100 * (learned - frozen) / (ceiling - frozen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--opportunities", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--browse-share",
        type=float,
        default=0.3,
        help="share of employees who ask for matches each round",
    )
    parser.add_argument(
        "--min-groups",
        type=int,
        default=5,
        help="talent train --min-groups: a pilot's few weeks of history",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--arms", default=",".join(a.name for a in ARMS))
    parser.add_argument(
        "--tastes",
        choices=sorted(TASTES),
        default="standard",
        help="what the company's people value (data/demo/truth.py); interest-led: a company "
        "unlike the generated ones the packaged default rankers learned from",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--vectors",
        type=Path,
        default=REPO / "var" / "vectors",
        help="label vectors `talent index` cached (else every arm encodes them)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep each arm's instance (database, models, audit log, secrets.json) in this new "
        "folder, to study its log after the run",
    )
    args = parser.parse_args()
    arms = [a for a in ARMS if a.name in args.arms.split(",")]

    started = time.perf_counter()
    company = generate_company(
        load_packaged_taxonomy(),
        employees=args.employees,
        opportunities=args.opportunities,
        seed=args.seed,
        as_of=START.date(),
        with_history=False,
        tastes=TASTES[args.tastes],
    )
    world = World(
        company,
        args.seed,
        args.browse_share,
        company.bias.shortlist_penalty,
        company.bias.accept_penalty,
    )
    settings_line = (
        f"{args.employees} employees, {args.opportunities} opportunities, {args.tastes} "
        f"tastes, seed {args.seed}, "
        f"{args.rounds} rounds, {args.browse_share:.0%} of employees browse per round; bias "
        f"against {company.bias.attribute}={company.bias.group} (perceived fit x "
        f"{1 - company.bias.shortlist_penalty:.1f} at shortlist and at offer)"
    )
    print(settings_line, flush=True)
    if args.keep:
        args.keep.mkdir(parents=True)
    root = args.keep or Path(tempfile.mkdtemp(prefix="talent-bench-loop-"))
    rows: list[dict] = []
    try:
        for arm in arms:
            rows += run_arm(arm, world, args.rounds, root, args.min_groups, args.vectors)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    def last(arm: str, key: str) -> float | None:
        mine = [r for r in rows if r["arm"] == arm]
        return mine[-1].get(key) if mine else None

    frozen, learned = last("frozen", "ndcg_emp_served"), last("learned", "ndcg_emp_served")
    oracle = last("learned", "ndcg_emp_oracle")
    lift = gap = None
    if frozen and learned is not None:
        lift = 100 * (learned / frozen - 1)
        if oracle is not None and oracle > frozen:
            gap = 100 * (learned - frozen) / (oracle - frozen)
    ceiling_gap = _gap_closed(
        last("frozen", "ndcg_emp_served"), learned, last("learned", "ndcg_emp_ceiling")
    )
    cand_ceiling_gap = _gap_closed(
        last("frozen", "ndcg_cand_served"),
        last("learned", "ndcg_cand_served"),
        last("learned", "ndcg_cand_ceiling"),
    )
    impacts = [r["impact_served_after"] for r in rows if r["arm"] == "learned"]
    impact_after = min((v for v in impacts if v is not None), default=None)
    unfair, fair = last("learned_unfair", "ndcg_cand_served"), last("learned", "ndcg_cand_served")
    cost = 100 * (1 - fair / unfair) if unfair and fair is not None else None
    within = [
        100 * (1 - r["ndcg_cand_served"] / r["ndcg_cand_before"])
        for r in rows
        if r["arm"] == "learned" and r.get("ndcg_cand_before")
    ]
    line = (
        f"loop: rounds={args.rounds} ndcg_true_frozen={_fmt(frozen, 4)} "
        f"ndcg_true_learned={_fmt(learned, 4)} lift_pct={_fmt(lift, 2)} "
        f"gap_closed_pct={_fmt(gap, 1)} ceiling_gap_closed_pct={_fmt(ceiling_gap, 1)} "
        f"cand_ceiling_gap_closed_pct={_fmt(cand_ceiling_gap, 1)} "
        f"fill_rate_frozen={_fmt(last('frozen', 'fill_rate'))} "
        f"fill_rate_learned={_fmt(last('learned', 'fill_rate'))} "
        f"impact_served_after={_fmt(impact_after)} "
        f"impact_lead_decisions={_fmt(last('learned', 'impact_lead_decisions'))}"
    )
    write_report(rows, line, settings_line, args.out)
    print(f"report: {args.out}")
    print(
        f"fair re-ranking cost on candidate lists, last round: {_fmt(cost, 2)}% NDCG@10 vs the "
        f"unfair arm; within each served list (served vs by score), worst round: "
        f"{_fmt(max(within) if within else None, 2)}%; "
        f"whole bench {time.perf_counter() - started:.0f}s"
    )
    print(line)


if __name__ == "__main__":
    main()
