"""Generate the demo company: people, opportunities, courses, hidden true fit and logged history."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from data.demo.config import PROTECTED_ATTRIBUTES, BiasConfig, HistoryConfig
from data.demo.courses import generate_courses
from data.demo.demographics import attribute_values
from data.demo.families import JobFamily, build_families
from data.demo.history import simulate_history
from data.demo.opportunities import generate_catalogue
from data.demo.people import generate_workforce
from data.demo.policy import overlap_scores
from data.demo.skillspace import SkillSpace, build_skill_space
from data.demo.truth import STANDARD, Tastes, TrueFit, compute_true_fit, save_true_fit
from data.schemas import CourseIn, EmployeeIn, InteractionIn, OpportunityIn, OpportunityStatus
from data.taxonomy.model import Taxonomy

DEFAULT_AS_OF = dt.date(2026, 6, 1)
PERSONAS = {"employee": "E00001", "lead": "E00002", "hr": "E00003"}
UNKNOWN = "unknown"
# One independent random stream per phase: changing how one phase draws (or the bias settings)
# leaves the others' draws untouched. New phases go at the end: SeedSequence.spawn numbers its
# children, so appending one keeps every earlier stream (and so the earlier outputs) as it was.
_STREAMS = ("people", "opportunities", "truth", "sessions", "decisions", "courses")

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class DemoCompany:
    employees: list[EmployeeIn]
    opportunities: list[OpportunityIn]
    interactions: list[InteractionIn]
    # Hidden truth: true_fit[i, j] is the fit of employee_ids[i] for opportunity_ids[j].
    true_fit: np.ndarray
    employee_ids: tuple[str, ...]
    opportunity_ids: tuple[str, ...]
    as_of: dt.date
    seed: int
    bias: BiasConfig
    history: HistoryConfig
    taxonomy_version: str = ""
    personas: dict[str, str] = field(default_factory=lambda: dict(PERSONAS))
    # Learning items that close the gaps the opportunities open (see courses.py).
    courses: list[CourseIn] = field(default_factory=list)
    # When each opportunity was posted (the simulation's window opens then).
    posted_at: dict[str, dt.datetime] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, not exported
    # The hidden fit before its per-pair noise (truth.TrueFit.expected), not exported.
    expected_fit: np.ndarray | None = None

    def fit_of(self, employee_id: str, opportunity_id: str) -> float:
        return self._truth().of(employee_id, opportunity_id)

    def save_true_fit(self, path: str | Path) -> Path:
        """The matrix and both id orders as .npz (read back with `load_true_fit`)."""
        return save_true_fit(self._truth(), path)

    def _truth(self) -> TrueFit:
        return TrueFit(self.true_fit, self.employee_ids, self.opportunity_ids)

    def group_sizes(self) -> dict[str, dict[str, int]]:
        """Head count per value of each self-reported attribute, missing counted as 'unknown'."""
        demographics = [e.demographics for e in self.employees]
        return {
            attribute: dict(
                sorted(
                    Counter(v or UNKNOWN for v in attribute_values(demographics, attribute)).items()
                )
            )
            for attribute in PROTECTED_ATTRIBUTES
        }

    def summary(self) -> dict[str, Any]:
        groups = self.group_sizes()
        return {
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "taxonomy_version": self.taxonomy_version,
            "employees": len(self.employees),
            "opportunities": {
                "total": len(self.opportunities),
                "by_kind": dict(sorted(Counter(o.kind.value for o in self.opportunities).items())),
                "by_status": dict(
                    sorted(Counter(o.status.value for o in self.opportunities).items())
                ),
            },
            "interactions": {
                "total": len(self.interactions),
                "by_type": dict(sorted(Counter(i.type.value for i in self.interactions).items())),
                "sessions": len(
                    {i.request_id for i in self.interactions if i.type.value == "impression"}
                ),
            },
            "groups": groups,
            "bias": {
                **asdict(self.bias),
                "penalised_group_size": groups[self.bias.attribute].get(self.bias.group, 0),
                "expected_accept_ratio": round(self.bias.expected_accept_ratio, 4),
            },
            "personas": dict(self.personas),
            "courses": {
                "total": len(self.courses),
                "by_format": dict(sorted(Counter(c.format.value for c in self.courses).items())),
            },
        }


TOOL_KIND_CREDIT = 0.5


def work_profile(
    taxonomy: Taxonomy, space: SkillSpace, opportunities: list[OpportunityIn]
) -> np.ndarray:
    """(O, S): how much holding each skill column is experience of each posting's work: 1 for
    what its occupation lists (essential, optional skills and its tools), TOOL_KIND_CREDIT for
    another tool of a category its tools fall in (CAD software is CAD software, whichever
    product); an empty row for a posting of no occupation."""
    column = {s: i for i, s in enumerate(space.skill_ids)}
    tools_of: dict[str, list[int]] = {}
    for skill_id, i in column.items():
        category = taxonomy.tool_categories.get(skill_id)
        if category is not None:
            tools_of.setdefault(category, []).append(i)
    out = np.zeros((len(opportunities), len(space.skill_ids)), dtype=np.float32)
    for row, opportunity in enumerate(opportunities):
        occupation = taxonomy.occupations.get(opportunity.occupation_id or "")
        if occupation is None:
            continue
        for tool_id in occupation.tool_ids:
            out[row, tools_of.get(taxonomy.tool_categories.get(tool_id, ""), [])] = TOOL_KIND_CREDIT
        for skill_id in (
            *occupation.essential_skill_ids,
            *occupation.optional_skill_ids,
            *occupation.tool_ids,
        ):
            if skill_id in column:
                out[row, column[skill_id]] = 1.0
    return out


def generate_company(
    taxonomy: Taxonomy,
    *,
    employees: int = 2000,
    opportunities: int = 300,
    seed: int = 7,
    bias: BiasConfig | None = None,
    history: HistoryConfig | None = None,
    as_of: dt.date = DEFAULT_AS_OF,
    progress: Progress | None = None,
    with_history: bool = True,
    tastes: Tastes = STANDARD,
    families: tuple[JobFamily, ...] | None = None,
) -> DemoCompany:
    """A reproducible company: the same taxonomy, sizes, seed and settings give the same data.

    `with_history=False`: the same people, opportunities and hidden true fit on the day the
    marketplace opens, without a simulated past: every opportunity posted that day and open,
    none starting before a week from then, and no interactions (a cold start to learn from).
    `tastes`: what this company's people value (see truth.py); the history and the hidden fit
    follow them.
    `families`: the company's kinds of work (default: the demo's, build_families); the packaged
    default rankers are trained on families sampled across the whole taxonomy."""
    if employees < len(PERSONAS):
        raise ValueError(f"need at least {len(PERSONAS)} employees for the demo personas")
    if opportunities < 1:
        raise ValueError("need at least one opportunity")
    bias = bias or BiasConfig()
    history = history or HistoryConfig()
    streams = dict(zip(_STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS)), strict=True))
    rng = {name: np.random.Generator(np.random.PCG64(s)) for name, s in streams.items()}
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[phase] = round(now - clock, 3)
        clock = now

    families = families or build_families(taxonomy)
    workforce = generate_workforce(
        rng["people"], taxonomy, families, size=employees, as_of=as_of, progress=progress
    )
    lap("people")
    catalogue = generate_catalogue(
        rng["opportunities"],
        taxonomy,
        families,
        workforce,
        size=opportunities,
        as_of=as_of,
        period_days=history.period_days,
        lead_persona=1,
        progress=progress,
    )
    lap("opportunities")
    courses = generate_courses(rng["courses"], taxonomy, catalogue.opportunities)
    lap("courses")
    space = build_skill_space(
        workforce.employees, catalogue.opportunities, workforce.interest_skill_ids
    )
    truth = compute_true_fit(
        rng["truth"],
        space,
        workforce.employees,
        catalogue.opportunities,
        wanted_family=workforce.wanted_family,
        opportunity_family=catalogue.family,
        tastes=tastes,
        work_profile=work_profile(taxonomy, space, catalogue.opportunities)
        if tastes.work > 0
        else None,
    )
    if progress is not None:
        progress("true fit", 1, 1)
    lap("true_fit")
    if not with_history:
        return _opening_day(
            workforce.employees,
            catalogue.opportunities,
            truth,
            courses,
            timings,
            as_of=as_of,
            seed=seed,
            bias=bias,
            history=history,
            taxonomy=taxonomy,
        )
    interactions = simulate_history(
        rng["sessions"],
        rng["decisions"],
        employees=workforce.employees,
        catalogue=catalogue,
        policy_scores=overlap_scores(space),
        fit=truth.fit,
        bias=bias,
        config=history,
        as_of=as_of,
        progress=progress,
    )
    lap("history")
    return DemoCompany(
        employees=workforce.employees,
        opportunities=catalogue.opportunities,
        interactions=interactions,
        true_fit=truth.fit,
        expected_fit=truth.expected,
        employee_ids=truth.employee_ids,
        opportunity_ids=truth.opportunity_ids,
        as_of=as_of,
        seed=seed,
        bias=bias,
        history=history,
        taxonomy_version=taxonomy.version,
        courses=courses,
        posted_at={
            o.external_id: dt.datetime.combine(as_of, dt.time(0), dt.UTC)
            + dt.timedelta(seconds=float(opened))
            for o, opened in zip(catalogue.opportunities, catalogue.open_from, strict=True)
        },
        timings=timings,
    )


def _opening_day(
    employees: list[EmployeeIn],
    opportunities: list[OpportunityIn],
    truth: Any,
    courses: list[CourseIn],
    timings: dict[str, float],
    *,
    as_of: dt.date,
    seed: int,
    bias: BiasConfig,
    history: HistoryConfig,
    taxonomy: Taxonomy,
) -> DemoCompany:
    earliest = as_of + dt.timedelta(days=7)
    opened = [
        o.model_copy(
            update={
                "status": OpportunityStatus.OPEN,
                "start_date": max(o.start_date or earliest, earliest),
            }
        )
        for o in opportunities
    ]
    midnight = dt.datetime.combine(as_of, dt.time(0), dt.UTC)
    return DemoCompany(
        employees=employees,
        opportunities=opened,
        interactions=[],
        true_fit=truth.fit,
        expected_fit=truth.expected,
        employee_ids=truth.employee_ids,
        opportunity_ids=truth.opportunity_ids,
        as_of=as_of,
        seed=seed,
        bias=bias,
        history=history,
        taxonomy_version=taxonomy.version,
        courses=courses,
        posted_at={o.external_id: midnight for o in opened},
        timings=timings,
    )
