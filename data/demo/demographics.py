"""Self-reported demographics of the demo workforce.

Drawn independently of everything else (department, level, skills, location, interests), so any
disparity found later in the logged outcomes comes from the bias injected in the history, whose
size is known. Each field is missing for some people: auditors must count "unknown" as a group.
"""

from __future__ import annotations

import numpy as np

from data.schemas import Demographics

# (value, share); None is "not reported / prefer not to say".
GENDER = (("female", 0.43), ("male", 0.47), ("non-binary", 0.02), (None, 0.08))
# EEO-1 race/ethnicity categories.
RACE_ETHNICITY = (
    ("White", 0.44),
    ("Asian", 0.21),
    ("Hispanic or Latino", 0.11),
    ("Black or African American", 0.09),
    ("Two or More Races", 0.03),
    ("Native Hawaiian or Other Pacific Islander", 0.01),
    ("American Indian or Alaska Native", 0.01),
    (None, 0.10),
)
AGE_BAND = (
    ("under-25", 0.08),
    ("25-34", 0.33),
    ("35-44", 0.29),
    ("45-54", 0.17),
    ("55+", 0.08),
    (None, 0.05),
)
DISABILITY = (("yes", 0.07), ("no", 0.78), (None, 0.15))

FIELDS = {
    "gender": GENDER,
    "race_ethnicity": RACE_ETHNICITY,
    "age_band": AGE_BAND,
    "disability": DISABILITY,
}


def _draw(
    rng: np.random.Generator, table: tuple[tuple[str | None, float], ...], n: int
) -> list[str | None]:
    shares = np.array([share for _, share in table])
    picks = rng.choice(len(table), size=n, p=shares / shares.sum())
    return [table[i][0] for i in picks.tolist()]


def draw_demographics(rng: np.random.Generator, n: int) -> list[Demographics | None]:
    """One record per person; None when the person reported nothing at all."""
    columns = {name: _draw(rng, table, n) for name, table in FIELDS.items()}
    out: list[Demographics | None] = []
    for i in range(n):
        values = {name: column[i] for name, column in columns.items()}
        out.append(Demographics(**values) if any(v is not None for v in values.values()) else None)
    return out


def attribute_values(demographics: list[Demographics | None], attribute: str) -> list[str | None]:
    return [None if d is None else getattr(d, attribute) for d in demographics]
