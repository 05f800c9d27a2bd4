"""Small cells: no figure split by a protected attribute may single a person out.

A table that splits people by group (selection rates, exposure, share by position, moves, what
employees are shown) is read as a set of cells, each counting the distinct people in one group
with one outcome (selected, not selected, at position 3, ...). A cell holding some people but
fewer than `min_cell` is not shown: its row (the group) is suppressed, and says so.

Suppressing the small cells alone is not enough, because the margins are public elsewhere (how
many people applied, how many appearances a report counts): a total minus the cells shown gives
back a lone suppressed cell. So, column by column, the cells hidden must be none, or at least
two whose sum is zero or at least `min_cell` people; until they are, the smallest group still
shown is suppressed too (complementary suppression, as statistical offices do for published
tables). Cells that are never published (the selections among people of unknown category)
count as hidden: a margin minus the cells shown yields them too.

Zero cells are shown: a group nobody in which was selected discloses no one (the group holds at
least `min_cell` people, or it is suppressed anyway).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypedDict

DEFAULT_MIN_CELL = 10


def reason(min_cell: int) -> str:
    return f"fewer than {min_cell} people"


class SuppressedMarker(TypedDict):
    """What a suppressed row says about itself (its figures are null)."""

    suppressed: Literal[True]
    reason: str


def suppressed_marker(min_cell: int) -> SuppressedMarker:
    """What a suppressed row says about itself (its figures are null)."""
    return {"suppressed": True, "reason": reason(min_cell)}


def hidden_rows(
    cells: Mapping[str, Sequence[int]],
    min_cell: int,
    *,
    unpublished: Mapping[str, Sequence[bool]] | None = None,
) -> set[str]:
    """The rows (groups) to suppress so that no cell under `min_cell` can be read or derived.

    `cells`: group -> its cells, the same columns for every group (distinct people in each);
    `unpublished`: group -> per column, True where that cell is never shown (it counts as
    hidden, but being small does not suppress its row).
    """
    unpublished = unpublished or {}
    width = len(next(iter(cells.values()), ()))
    if any(len(values) != width for values in cells.values()):
        raise ValueError("every group needs the same cells")

    def small(value: int) -> bool:
        return 0 < value < min_cell

    def secret(row: str, column: int) -> bool:
        flags = unpublished.get(row)
        return bool(flags is not None and flags[column])

    hidden = {
        row
        for row, values in cells.items()
        if any(small(v) and not secret(row, c) for c, v in enumerate(values))
    }

    def exposed(rows: set[str]) -> int:
        """How many columns still let a small cell be worked out, with `rows` hidden."""
        count = 0
        for column in range(width):
            values = [cells[row][column] for row in cells if row in rows or secret(row, column)]
            lone = len(values) == 1 and small(values[0])
            count += lone or (len(values) > 1 and small(sum(values)))
        return count

    while exposed(hidden):
        shown = [row for row in cells if row not in hidden]
        if not shown:
            break
        # Greedy: the group whose suppression leaves the fewest columns exposed, then the
        # smallest (the least information given up).
        hidden.add(min(shown, key=lambda row: (exposed(hidden | {row}), sum(cells[row]), row)))
    return hidden


def check_min_cell(min_cell: int | None) -> None:
    if min_cell is not None and min_cell < 1:
        raise ValueError("min_cell must be at least 1 (or None: every cell shown)")
