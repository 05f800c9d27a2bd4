"""`bench/loop.py` at its smallest: one round of a small company through the API, in all three
arms. What it asserts is that the bench runs and computes every figure, not what they are
(`make bench-loop` is the measurement)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIELDS = (
    "ndcg_true_frozen",
    "ndcg_true_learned",
    "lift_pct",
    "gap_closed_pct",
    "fill_rate_frozen",
    "fill_rate_learned",
    "impact_served_after",
)


def run_loop(var_dir: Path, report: Path, *options: str) -> str:
    """bench/loop.py with these options, its label vectors and report path; its printout."""
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "loop.py"),
            *options,
            *("--vectors", str(var_dir / "vectors"), "--out", str(report)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_one_round_of_the_loop_bench_computes_every_figure(var_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "loop.html"
    stdout = run_loop(
        var_dir,
        report,
        *("--employees", "150", "--opportunities", "30", "--rounds", "1"),
        *("--browse-share", "0.5", "--min-groups", "1"),
    )
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("loop: rounds=1 "), last
    values = dict(re.findall(r"(\w+)=(\S+)", last))
    for name in FIELDS:
        assert re.fullmatch(r"-?\d+\.\d+", values[name]), (name, last)
    # Each arm served lists in its round and said what its training did.
    for arm in ("learned", "frozen", "learned_unfair"):
        assert f"  {arm} round 1: emp NDCG 0." in stdout, stdout[-3000:]
    assert "trained:" in stdout
    page = report.read_text()
    assert page.count("<svg") == 8  # one chart per figure
    assert page.count("<tr>") == 1 + 3  # the header, one row per arm
    assert "ndcg_emp_oracle" in page and "impact_served_before" in page
    # The noiseless ceiling is measured per round on both sides, and the last line says how
    # much of the way to it learning went (undefined only where the ceiling is not above frozen).
    assert "ndcg_emp_ceiling" in page and "ndcg_cand_ceiling" in page
    for name in ("ceiling_gap_closed_pct", "cand_ceiling_gap_closed_pct"):
        assert re.fullmatch(r"-?\d+\.\d+|n/a", values[name]), (name, last)


def test_two_runs_of_the_loop_bench_serve_train_and_score_alike(
    var_dir: Path, tmp_path: Path
) -> None:
    """On the simulated clock, the same seed serves the same lists, cuts the same training split
    and registers the same models: a change's effect is not lost in run-to-run noise."""

    def run(name: str) -> list[str]:
        stdout = run_loop(
            var_dir,
            tmp_path / name,
            *("--employees", "300", "--opportunities", "50", "--rounds", "2"),
            *("--browse-share", "0.6", "--min-groups", "1", "--arms", "learned"),
        )
        lines = [line for line in stdout.splitlines() if "round" in line or "loop:" in line]
        # Wall-clock durations are the only thing allowed to differ.
        return [re.sub(r"\d+s (served|trained)|whole bench \d+s", "", line) for line in lines]

    first, second = run("a.html"), run("b.html")
    assert any("registered" in line or "promoted" in line for line in first), first
    assert first == second
