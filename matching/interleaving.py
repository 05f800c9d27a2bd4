"""Team-draft interleaving of two rankings of the same items (Radlinski, Kurup & Joachims 2008).

Two teams, the live model (A) and a challenger (B), pick in rounds: the team with fewer picks
goes next, a seeded coin decides who starts each round where both have picked as often; a team
picks its highest-ranked item not picked yet. Each shown item then belongs to the team that
picked it, so which team's items people act on says which ranking they prefer, on the same
list, the same day, without either model being shown alone.

The seed is logged with the list (fairness/audit_record.py), so the draft is replayed exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

LIVE, CHALLENGER = "live", "challenger"


@dataclass(frozen=True, slots=True)
class Draft:
    order: np.ndarray  # item indices, interleaved
    teams: list[str]  # LIVE or CHALLENGER for each entry of `order`

    def stand_in_scores(self) -> np.ndarray:
        """Scores whose order is the draft (n for the first pick, 1 for the last): what the fair
        re-ranker reads in place of a model's scores (it reads only their order)."""
        scores = np.zeros(len(self.order), dtype=np.float64)
        scores[self.order] = np.arange(len(self.order), 0, -1, dtype=np.float64)
        return scores

    def team_of(self) -> dict[int, str]:
        return dict(zip(self.order.tolist(), self.teams, strict=True))


def score_order(scores: np.ndarray) -> np.ndarray:
    """Indices by score, highest first, ties by position (the order serve_order uses)."""
    scores = np.asarray(scores, dtype=np.float64)
    return np.lexsort((np.arange(len(scores)), -scores))


def team_draft(live: Iterable[int], challenger: Iterable[int], *, seed: int) -> Draft:
    """Interleave two orders of the same item indices; every item appears once."""
    live, challenger = [int(i) for i in live], [int(i) for i in challenger]
    if sorted(live) != sorted(challenger) or len(set(live)) != len(live):
        raise ValueError("both rankings must order the same items, each once")
    rng = np.random.default_rng(seed)
    picked: set[int] = set()
    order: list[int] = []
    teams: list[str] = []
    counts = {LIVE: 0, CHALLENGER: 0}
    cursor = {LIVE: 0, CHALLENGER: 0}
    lists = {LIVE: live, CHALLENGER: challenger}
    while len(order) < len(live):
        if counts[LIVE] < counts[CHALLENGER]:
            team = LIVE
        elif counts[CHALLENGER] < counts[LIVE]:
            team = CHALLENGER
        else:
            team = LIVE if rng.random() < 0.5 else CHALLENGER
        ranking = lists[team]
        while ranking[cursor[team]] in picked:
            cursor[team] += 1
        item = ranking[cursor[team]]
        picked.add(item)
        order.append(item)
        teams.append(team)
        counts[team] += 1
    return Draft(np.array(order, dtype=np.int64), teams)


def draft_seed(*parts: str) -> int:
    """A seed from what identifies a list (query, kind, challenger, day): the pages of one list
    asked for the same day draw the same teams."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:4], "big")


@dataclass(frozen=True, slots=True)
class WinRate:
    """Lists where people preferred one team: the challenger's share of them with a 95%
    interval. Ties (both teams' items acted on equally, or none) are left out."""

    lists: int  # interleaved lists counted
    challenger_wins: int
    live_wins: int
    ties: int  # lists with actions on both teams' items, as many each

    @property
    def decided(self) -> int:
        return self.challenger_wins + self.live_wins

    @property
    def rate(self) -> float | None:
        return self.challenger_wins / self.decided if self.decided else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.challenger_wins, self.decided) if self.decided else None

    @property
    def winner(self) -> str | None:
        """The team whose share's whole interval lies on its side of one half; None: undecided."""
        interval = self.interval
        if interval is None:
            return None
        if interval[0] > 0.5:
            return CHALLENGER
        if interval[1] < 0.5:
            return LIVE
        return None


def preference(credits: dict[str, int]) -> str | None:
    """A list's preferred team: the one whose items drew more actions (None: a tie or none)."""
    live, challenger = credits.get(LIVE, 0), credits.get(CHALLENGER, 0)
    if live == challenger:
        return None
    return CHALLENGER if challenger > live else LIVE


def win_rate(per_list: Sequence[dict[str, int]]) -> WinRate:
    """From each interleaved list's credits (team -> actions on its items)."""
    preferred = [preference(credits) for credits in per_list]
    return WinRate(
        lists=len(per_list),
        challenger_wins=preferred.count(CHALLENGER),
        live_wins=preferred.count(LIVE),
        ties=sum(
            p is None and sum(c.values()) > 0 for p, c in zip(preferred, per_list, strict=True)
        ),
    )


def wilson(successes: int, trials: int, *, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a proportion (95% by default): unlike the normal
    approximation it stays inside [0, 1] and is honest on the few lists of a first week."""
    if trials <= 0:
        raise ValueError("trials must be positive")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))
