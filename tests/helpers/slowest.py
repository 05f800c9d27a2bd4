"""Rewrite tests/slow_tests.txt, the tests that `make test-fast` leaves out, from the durations
of a run of its tiers:

    .venv/bin/pytest -m "unit or (db and sqlite)" -p no:cacheprovider --durations=0 -q \
        | .venv/bin/python -m tests.helpers.slowest

A test's time is its setup, call and teardown, summed over its parameters (a test with many
quick cases costs the edit loop as much as one slow case). The run includes the tests marked
slow, so a test that got fast leaves the list.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict

from tests.helpers.tiers import SLOW_TESTS

THRESHOLD_S = 1.0
LINE = re.compile(r"^(\d+(?:\.\d+)?)s (?:setup|call|teardown)\s+(\S+)")
HEADER = (
    "# Tests `make test-fast` leaves out: over {threshold:g} s each (setup, call and teardown,\n"
    "# summed over parameters) in a measured run of its tiers. One test id a line, without\n"
    "# parameters; the seconds measured after it. Rewritten by tests/helpers/slowest.py.\n"
)


def slowest(durations: list[str], threshold_s: float = THRESHOLD_S) -> dict[str, float]:
    seconds: defaultdict[str, float] = defaultdict(float)
    for line in durations:
        match = LINE.match(line)
        if match:
            seconds[match.group(2).split("[", 1)[0]] += float(match.group(1))
    return {test: s for test, s in seconds.items() if s > threshold_s}


def main() -> None:
    measured = slowest(sys.stdin.read().splitlines())
    lines = [f"{test}  # {s:.1f} s" for test, s in sorted(measured.items())]
    SLOW_TESTS.write_text(HEADER.format(threshold=THRESHOLD_S) + "\n".join(lines) + "\n")
    print(f"{len(measured)} tests over {THRESHOLD_S:g} s: {SLOW_TESTS}")


if __name__ == "__main__":
    main()
