"""The keyword arguments a training test passes alike to each of its evaluate_company calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import NotRequired, TypedDict

from training.groups import Direction
from training.pipeline import Embed, TrueFit


class CompanyInputs(TypedDict):
    """evaluate_company's inputs besides the company's rows (training/pipeline.py)."""

    embed: Embed
    skill_labels: Callable[[str], str]
    reference_date: dt.date
    true_fit: NotRequired[TrueFit | None]
    directions: NotRequired[Sequence[Direction]]
