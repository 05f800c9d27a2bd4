"""What a ranker is fitted to: the grades, and below every grade of action, a view.

A view (the person opened the item from a served list, then did nothing more) says more than
being shown and passed over and much less than applying. Actions are rare (bench/loop.py: about
90 applications and saves a week over ~250 lists), views several times more frequent, so they
carry most of what a few weeks of logs can teach about a person's taste.

LightGBM's lambdarank takes integer labels and a gain per label. Fitted on views, the labels
are doubled (grade g becomes 2g, with LightGBM's usual gain 2^g - 1) and a view of an item not
acted on is 1, with gain VIEW_GAIN: the order between actions is what it was, and a viewed
item ranks above an ignored one. Without any recorded view, labels and gains are left as they
are, so a company that records none trains exactly as before. Only fitting reads this:
evaluation, the gate and the model card still score the grades.
"""

from __future__ import annotations

import numpy as np

# What a view is worth, against 1 for an application or save (measured: bench/NOTES.md).
VIEW_GAIN = 0.3
MAX_GRADE = 4


def view_label_gain() -> tuple[float, ...]:
    """Gain per doubled label: 2g -> 2^g - 1 (as without views); 1 -> VIEW_GAIN."""
    gains = [float(2 ** (label // 2) - 1) for label in range(2 * MAX_GRADE + 1)]
    gains[1] = VIEW_GAIN
    return tuple(gains)


def with_views(labels: np.ndarray, viewed: np.ndarray | None) -> np.ndarray:
    """Doubled grades, 1 where an item was viewed and not acted on (see the module note)."""
    doubled = 2 * np.asarray(labels, dtype=np.int32)
    if viewed is None:
        return doubled
    return doubled + ((doubled == 0) & np.asarray(viewed, dtype=bool)).astype(np.int32)
