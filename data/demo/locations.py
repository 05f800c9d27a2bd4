"""Office locations of the demo company with their IANA time zones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REMOTE = "Remote"


@dataclass(frozen=True, slots=True)
class Office:
    name: str
    timezone: str
    share: float


OFFICES = (
    Office("Berlin", "Europe/Berlin", 0.16),
    Office("London", "Europe/London", 0.14),
    Office("New York", "America/New_York", 0.15),
    Office("Bangalore", "Asia/Kolkata", 0.14),
    Office("Singapore", "Asia/Singapore", 0.08),
    Office("São Paulo", "America/Sao_Paulo", 0.08),
    Office("Toronto", "America/Toronto", 0.06),
    Office("Warsaw", "Europe/Warsaw", 0.06),
)
REMOTE_SHARE = 0.13


def draw_locations(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """(location, timezone) pairs; remote workers live in one of the offices' time zones."""
    shares = np.array([o.share for o in OFFICES] + [REMOTE_SHARE])
    picks = rng.choice(len(shares), size=n, p=shares / shares.sum())
    homes = rng.integers(len(OFFICES), size=n)
    out = []
    for pick, home in zip(picks.tolist(), homes.tolist(), strict=True):
        if pick == len(OFFICES):
            out.append((REMOTE, OFFICES[home].timezone))
        else:
            out.append((OFFICES[pick].name, OFFICES[pick].timezone))
    return out
