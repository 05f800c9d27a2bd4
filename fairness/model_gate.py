"""The fairness half of the promotion gate: does a new candidates' ranker select one group far
less often than the others on the held-out lists, or less evenly than the model serving now?

*Selection* on the held-out lists: a model selects a candidate when it ranks them in its top
SELECTION_TOP_K of a held-out posting's candidate list (the posting's applicants in the
held-out period, the lists the quality gate scores). A list of SELECTION_TOP_K candidates or
fewer selects everyone whatever the order, so it is left out. Per category of the protected
attribute each kind's re-ranking policy names (fairness/policy.py; gender by default), the
selection rates and impact ratios follow fairness/metrics.py (LL144: people as the unit,
categories under 30 people or 2% too few to judge, unknown left out), and the lowest ratio is
read after small-cell suppression (fairness/small_cells.py), as every published figure is.

A model is refused when that ratio falls below four-fifths, or below the live model's ratio on
the same lists by more than `tolerance`. Where no category is large enough to judge, the gate
cannot tell and says so; it does not refuse (a pilot's few held-out postings would otherwise
keep the packaged default for ever), and HR's monitor keeps watching what is served.

Demographics are joined here, by employee id, and nothing but the verdict leaves: the ranker
and its features never see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from fairness.demographics import column
from fairness.metrics import FOUR_FIFTHS, selection_impact
from fairness.policy import load_policy

SELECTION_TOP_K = 3


@dataclass(frozen=True, slots=True)
class FairnessGate:
    allowed: bool
    reason: str
    new_ratio: float | None  # lowest shown impact ratio of the new model (None: not judged)
    live_ratio: float | None


def top_k_selected(scores: np.ndarray, sizes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(selected, counted) per row: in its list's top k by score (ties: list order), and in a
    list of more than k rows."""
    selected = np.zeros(len(scores), dtype=bool)
    counted = np.zeros(len(scores), dtype=bool)
    start = 0
    for size in sizes.tolist():  # one step per list, not per row
        if size > k:
            order = np.argsort(-scores[start : start + size], kind="stable")[:k]
            selected[start + order] = True
            counted[start : start + size] = True
        start += size
    return selected, counted


def _lowest_ratio(
    session: Session,
    employee_ids: np.ndarray,
    selected: np.ndarray,
    *,
    attribute: str,
    min_cell: int,
) -> float | None:
    ids = employee_ids.tolist()
    report = selection_impact(
        selected, column(session, ids, attribute), attribute=attribute, people=ids
    )
    return report.min_shown_ratio(min_cell)


def held_out_selection_gate(
    session: Session,
    *,
    employee_ids: Sequence[str],
    kinds: Sequence[str],
    sizes: Sequence[int],
    new_scores: np.ndarray,
    live_scores: np.ndarray | None,
    tolerance: float,
    min_cell: int,
    top_k: int = SELECTION_TOP_K,
) -> FairnessGate:
    """The verdict on a candidates' ranker from its scores on the held-out lists (rows grouped
    by list, contiguous; `kinds` per row), beside the live model's on the same rows."""
    ids = np.asarray(employee_ids, dtype=object)
    row_kinds = np.asarray(kinds, dtype=object)
    list_sizes = np.asarray(sizes, dtype=np.int64)
    new_selected, counted = top_k_selected(np.asarray(new_scores), list_sizes, top_k)
    live_selected = (
        top_k_selected(np.asarray(live_scores), list_sizes, top_k)[0]
        if live_scores is not None
        else None
    )
    attributes: dict[str, list[str]] = {}
    for kind in sorted(set(row_kinds[counted].tolist())):
        attributes.setdefault(load_policy(session, kind).attribute, []).append(kind)
    definition = (
        f"selection = in the model's top {top_k} of a held-out posting's candidate list "
        f"({int(counted.sum())} candidates in {int((list_sizes > top_k).sum())} lists of more "
        f"than {top_k})"
    )
    if not attributes:
        return FairnessGate(True, f"{definition}: no such list, not judged", None, None)
    verdicts, refused = [], False
    new_lowest: float | None = None
    live_lowest: float | None = None
    for attribute, its_kinds in attributes.items():
        rows = counted & np.isin(row_kinds, its_kinds)
        new = _lowest_ratio(
            session, ids[rows], new_selected[rows], attribute=attribute, min_cell=min_cell
        )
        live = (
            _lowest_ratio(
                session, ids[rows], live_selected[rows], attribute=attribute, min_cell=min_cell
            )
            if live_selected is not None
            else None
        )
        where = f"{attribute} ({', '.join(its_kinds)})"
        if new is None:
            verdicts.append(f"{where}: no category large enough to judge")
            continue
        new_lowest = new if new_lowest is None else min(new_lowest, new)
        if live is not None:
            live_lowest = live if live_lowest is None else min(live_lowest, live)
        measured = f"{where}: lowest impact ratio {new:.2f}" + (
            f" vs the live model's {live:.2f}" if live is not None else ""
        )
        if new < FOUR_FIFTHS:
            refused = True
            verdicts.append(f"{measured}, below four-fifths ({FOUR_FIFTHS})")
        elif live is not None and new < live - tolerance:
            refused = True
            verdicts.append(f"{measured}, more than {tolerance} below it")
        else:
            verdicts.append(measured)
    reason = f"{definition}; " + "; ".join(verdicts)
    if refused:
        reason += ": it selects a group too rarely; the live model stays"
    return FairnessGate(not refused, reason, new_lowest, live_lowest)
