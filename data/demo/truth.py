"""The hidden true fit of every employee for every opportunity.

fit[e, o] = clip(relevance × feasibility + noise, 0, 1), with components in [0, 1]:

- coverage(skills)  mean over the listed skills of min(1, proficiency / asked level): a level-3
                    ask met at 2 counts 2/3, a missing skill 0.
- skill             0.75 · coverage(required) + 0.25 · coverage(preferred)
                    (preferred coverage = required coverage when none are listed); with
                    Tastes.work = w > 0, (1 − w) · that + w · work, where
- work              min(1, skills of the posting's occupation (essential, optional, tools)
                    held / 5), another tool of a kind its tools are counting half: experience
                    of the whole line of work, not only its listed skills.
- growth            mentorships only: mean over the offered skills of
                    clip((level + 1 − proficiency) / (level + 1), 0, 1): room left to learn.
- align             0.6 · min(1, listed skills the employee's interests name / 2)
                    + 0.4 · [the opportunity's family is the one the employee wants to work in].
- level_fit         1 inside [level_min, level_max], minus 0.4 per level outside, floored at 0.
- availability      gigs and mentorships: min(1, available hours / asked hours); roles: 1.

relevance    gig 0.65·skill + 0.35·align; role 0.70·skill + 0.30·align;
             mentorship align · (0.4 + 0.6·growth): wanting what is on offer comes first,
             and it is worth more to someone who does not know it yet. These weights are a
             company's `Tastes`: the packaged default rankers learned the standard ones; a
             company whose people weigh interest over skill (INTEREST_LED) is one the default
             was not trained for, and what learning from its own logs must find out.
feasibility  gig and mentorship (0.4 + 0.6·level_fit)·(0.2 + 0.8·availability);
             role 0.2 + 0.8·level_fit (a move outside the band rarely works).
noise        N(0, NOISE_SD): what no profile records (chemistry, timing).

Demographics never enter: the only way a group can fare worse in the logs is the injected bias.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.demo.npz import read_npz, write_npz
from data.demo.skillspace import PAD, SkillSpace
from data.schemas import EmployeeIn, OpportunityIn, OpportunityKind

NOISE_SD = 0.05


@dataclass(frozen=True, slots=True)
class Tastes:
    """The weights of skill and of alignment with what the person wants, per kind; and `work`,
    the share of the skill part that is experience of the posting's whole line of work (its
    occupation's essential and optional skills and tools held, beyond the few it lists)."""

    gig: tuple[float, float] = (0.65, 0.35)
    role: tuple[float, float] = (0.70, 0.30)
    work: float = 0.0

    def __post_init__(self) -> None:
        for name in ("gig", "role"):
            skill, align = getattr(self, name)
            if min(skill, align) < 0 or abs(skill + align - 1.0) > 1e-9:
                raise ValueError(f"{name}: skill and align weights must be >= 0 and sum to 1")
        if not 0.0 <= self.work <= 1.0:
            raise ValueError("work must be in [0, 1]")


STANDARD = Tastes()
INTEREST_LED = Tastes(gig=(0.30, 0.70), role=(0.40, 0.60))
# A company where experience of the line of work counts beside the skills a posting lists: a
# posting names a few skills, the work asks for its occupation's whole profile. The companies
# drawn from the whole taxonomy that the default rankers learn on are such companies.
WORK_AWARE = Tastes(work=0.35)
TASTES = {"standard": STANDARD, "interest-led": INTEREST_LED, "work-aware": WORK_AWARE}
# Skills of the posting's occupation held at which experience of the work counts in full.
WORK_SATURATION = 5.0
EMPLOYEE_CHUNK = 1024  # bounds the (employees × opportunities × listed skills) gathers


@dataclass(frozen=True, slots=True)
class TrueFit:
    fit: np.ndarray  # (E, O) float32
    employee_ids: tuple[str, ...]
    opportunity_ids: tuple[str, ...]
    # The fit before its per-pair noise (clipped the same way): what knowing every recorded and
    # hidden taste, but not chance, would predict. Not saved with the matrix.
    expected: np.ndarray | None = None

    def of(self, employee_id: str, opportunity_id: str) -> float:
        return float(
            self.fit[
                self.employee_ids.index(employee_id), self.opportunity_ids.index(opportunity_id)
            ]
        )


def _coverage(proficiency: np.ndarray, ids: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """(e, O) mean of min(1, held/asked) over each opportunity's listed skills; NaN if none."""
    valid = ids != PAD
    held = proficiency[:, np.where(valid, ids, 0)]  # (e, O, R)
    ratio = np.minimum(1.0, held / np.where(valid, levels, 1.0))
    counts = valid.sum(axis=1)
    total = np.where(valid, ratio, 0.0).sum(axis=2)
    return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def _growth(proficiency: np.ndarray, ids: np.ndarray, levels: np.ndarray) -> np.ndarray:
    valid = ids != PAD
    held = proficiency[:, np.where(valid, ids, 0)]
    room = np.clip((levels + 1.0 - held) / (levels + 1.0), 0.0, 1.0)
    growth: np.ndarray = np.where(valid, room, 0.0).sum(axis=2) / np.maximum(valid.sum(axis=1), 1)
    return growth


def _interest_hits(interest: np.ndarray, space: SkillSpace) -> np.ndarray:
    hits = np.zeros((interest.shape[0], space.required.shape[0]), dtype=np.float32)
    for ids in (space.required, space.preferred):
        valid = ids != PAD
        hits += np.where(valid, interest[:, np.where(valid, ids, 0)], False).sum(axis=2)
    return hits


def compute_true_fit(
    rng: np.random.Generator,
    space: SkillSpace,
    employees: list[EmployeeIn],
    opportunities: list[OpportunityIn],
    *,
    wanted_family: np.ndarray,
    opportunity_family: np.ndarray,
    tastes: Tastes = STANDARD,
    work_profile: np.ndarray | None = None,
) -> TrueFit:
    """`work_profile`: (O, S), how much each skill column is experience of each posting's work
    (data/demo/company.work_profile; needed when tastes.work > 0; a posting of no occupation has
    an empty row and its work counts 0)."""
    if tastes.work > 0 and work_profile is None:
        raise ValueError("tastes.work needs each posting's work_profile")
    kind = np.array([o.kind.value for o in opportunities])
    is_gig = kind == OpportunityKind.GIG.value
    is_role = kind == OpportunityKind.ROLE.value
    is_mentorship = kind == OpportunityKind.MENTORSHIP.value
    hours = np.array([o.hours_per_week for o in opportunities], dtype=np.float32)
    level_min = np.array([o.level_min for o in opportunities])
    level_max = np.array([o.level_max for o in opportunities])
    level = np.array([e.level for e in employees])
    available = np.array([e.availability_hours_per_week for e in employees], dtype=np.float32)

    fit = np.empty((len(employees), len(opportunities)), dtype=np.float32)
    for start in range(0, len(employees), EMPLOYEE_CHUNK):
        rows = slice(start, start + EMPLOYEE_CHUNK)
        prof = space.proficiency[rows]
        required = _coverage(prof, space.required, space.required_level)
        preferred = _coverage(prof, space.preferred, space.preferred_level)
        skill = 0.75 * required + 0.25 * np.where(np.isnan(preferred), required, preferred)
        if tastes.work > 0 and work_profile is not None:
            held = (prof > 0).astype(np.float32) @ work_profile.T.astype(np.float32)
            work = np.minimum(1.0, held / WORK_SATURATION)
            skill = (1 - tastes.work) * skill + tastes.work * work
        growth = _growth(prof, space.required, space.required_level)
        hits = _interest_hits(space.interest[rows], space)
        wants = wanted_family[rows, None] == opportunity_family[None, :]
        align = 0.6 * np.minimum(1.0, hits / 2.0) + 0.4 * wants
        lv = level[rows, None]
        distance = np.maximum(0, np.maximum(level_min[None, :] - lv, lv - level_max[None, :]))
        level_fit = np.clip(1.0 - 0.4 * distance, 0.0, 1.0)
        availability = np.where(
            is_role[None, :], 1.0, np.minimum(1.0, available[rows, None] / hours[None, :])
        )
        relevance = np.select(
            [is_gig[None, :], is_role[None, :], is_mentorship[None, :]],
            [
                tastes.gig[0] * skill + tastes.gig[1] * align,
                tastes.role[0] * skill + tastes.role[1] * align,
                align * (0.4 + 0.6 * growth),
            ],
        )
        feasibility = np.where(
            is_role[None, :],
            0.2 + 0.8 * level_fit,
            (0.4 + 0.6 * level_fit) * (0.2 + 0.8 * availability),
        )
        fit[rows] = relevance * feasibility
    expected = np.clip(fit, 0.0, 1.0)
    fit += rng.normal(0.0, NOISE_SD, size=fit.shape).astype(np.float32)
    np.clip(fit, 0.0, 1.0, out=fit)
    return TrueFit(
        fit=fit,
        employee_ids=tuple(e.external_id for e in employees),
        opportunity_ids=tuple(o.external_id for o in opportunities),
        expected=expected,
    )


def save_true_fit(truth: TrueFit, path: str | Path) -> Path:
    """fit, employee_ids and opportunity_ids as a byte-reproducible .npz without pickles."""
    return write_npz(
        path,
        {
            "fit": truth.fit,
            "employee_ids": np.array(truth.employee_ids, dtype=str),
            "opportunity_ids": np.array(truth.opportunity_ids, dtype=str),
        },
    )


def load_true_fit(path: str | Path) -> TrueFit:
    arrays = read_npz(path)
    return TrueFit(
        fit=arrays["fit"],
        employee_ids=tuple(arrays["employee_ids"].tolist()),
        opportunity_ids=tuple(arrays["opportunity_ids"].tolist()),
    )
