"""The test tiers, assigned in one place when the suite is collected (tests/conftest.py's
`pytest_collection_modifyitems`), so that no test module has to say what it is.

Every test gets exactly one tier marker, by these rules, first match wins:
  bench  a module named tests/test_bench_*.py (the benchmarks' own code)
  perf   a test named in PERF_TESTS: it asserts a wall-clock figure, with a tolerance
  e2e    a real browser (tests/web/), server processes (the `two_workers` fixture) or the
         schema fuzzer (tests/serving/test_fuzz.py); also marked browser, workers or fuzz
  db     a test that uses a database fixture (`database_url`, directly or through state,
         client, settings...; the migrations' `empty_url`; `postgres_url`); also marked
         sqlite or postgresql, the half it runs on
  unit   any other test in the folders that mirror the packages (tests/, tests/data/,
         tests/features/, tests/matching/, tests/training/, tests/fairness/, tests/serving/)
A test listed in tests/slow_tests.txt (measured over a second; tests/helpers/slowest.py) is
also marked slow, which `make test-fast` leaves out. A test that carries a tier marker of its
own keeps it. A test no rule places (a test folder
the rules do not know) stops the collection with a message saying where to add a rule: a
default would either slip an unknown cost into the edit loop (`make test-fast`) or drop a test
from it unseen.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import pytest

TIERS = ("unit", "db", "e2e", "perf", "bench")
SLOW_TESTS = Path(__file__).resolve().parents[1] / "slow_tests.txt"
# The one wall-clock figure each of these asserts (see tests/helpers/perf.py for the tolerance).
PERF_TESTS = {
    "tests/data/test_demo.py::test_default_size_is_fast_and_sized_as_documented":
        "the default demo company generated within a minute",
    "tests/serving/test_heavy_reads.py::test_a_page_keeps_its_latency_while_sixteen_reports_are_asked_for":
        "a page's median latency while reports are built, against the same page alone",
}
BROWSER_FOLDER = "tests/web"
WORKERS_FIXTURE = "two_workers"
FUZZ_MODULES = {"tests/serving/test_fuzz.py"}
# Each database fixture: the backend it gives, or None where its parameter says which.
DATABASE_FIXTURES: dict[str, str | None] = {
    "database_url": None,
    "empty_url": None,
    "postgres_url": "postgresql",
}
UNIT_FOLDERS = {
    "tests",
    "tests/data",
    "tests/features",
    "tests/matching",
    "tests/training",
    "tests/fairness",
    "tests/serving",
}


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _backends(item: pytest.Item, fixtures: set[str]) -> list[str] | None:
    """The database halves a test runs on ([] without a database fixture); None where a
    fixture's parameter does not say which (an override without the parameter)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    halves = {
        fixed or params.get(name) for name, fixed in DATABASE_FIXTURES.items() if name in fixtures
    }
    if not halves <= {"sqlite", "postgresql"}:
        return None
    return sorted(str(half) for half in halves)


def classify(item: pytest.Item) -> tuple[str, list[str]] | None:
    """The tier of one test and the kind markers that go with it; None where no rule fits."""
    module = _module(item)
    fixtures = set(getattr(item, "fixturenames", ()))
    kinds = _backends(item, fixtures)
    if kinds is None:
        return None
    if PurePosixPath(module).name.startswith("test_bench_") and module.count("/") == 1:
        return "bench", kinds
    if item.nodeid.split("[", 1)[0] in PERF_TESTS:
        return "perf", kinds
    if module.startswith(f"{BROWSER_FOLDER}/"):
        return "e2e", [*kinds, "browser"]
    if WORKERS_FIXTURE in fixtures:
        return "e2e", [*kinds, "workers"]
    if module in FUZZ_MODULES:
        return "e2e", [*kinds, "fuzz"]
    if kinds:
        return "db", kinds
    if str(PurePosixPath(module).parent) in UNIT_FOLDERS:
        return "unit", kinds
    return None


def read_slow_tests(path: Path = SLOW_TESTS) -> set[str]:
    """The test ids (without parameters) listed in tests/slow_tests.txt."""
    if not path.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}


def assign_tiers(items: Iterable[pytest.Item]) -> None:
    """Mark every test with its tier; refuse the collection where a test has none or two."""
    unplaced: list[str] = []
    doubled: list[str] = []
    seen: set[str] = set()
    slow = read_slow_tests()
    for item in items:
        if item.nodeid.split("[", 1)[0] in slow and not item.get_closest_marker("slow"):
            item.add_marker("slow")
        seen.update((item.nodeid.split("[", 1)[0], _module(item)))
        own = [name for name in TIERS if item.get_closest_marker(name)]
        if len(own) > 1:
            doubled.append(f"{item.nodeid} ({', '.join(own)})")
            continue
        placed = classify(item)
        if placed is None and not own:
            unplaced.append(item.nodeid)
            continue
        tier, kinds = placed if placed is not None else (own[0], [])
        for name in [*([] if own else [tier]), *kinds]:
            item.add_marker(name)
    problems = []
    if unplaced:
        problems.append(
            "no test tier for: " + ", ".join(unplaced[:10])
            + (f" and {len(unplaced) - 10} more" if len(unplaced) > 10 else "")
            + ". Add the folder, module or fixture to the rules in tests/helpers/tiers.py."
        )
    if doubled:
        problems.append("more than one tier marker: " + ", ".join(doubled[:10]))
    # A renamed performance test would otherwise fall back into its behaviour tier unseen.
    stale = [name for name in PERF_TESTS if name.split("::")[0] in seen and name not in seen]
    if stale:
        problems.append(f"PERF_TESTS names tests that were not collected: {', '.join(stale)}")
    if problems:
        raise pytest.UsageError("\n".join(problems))
