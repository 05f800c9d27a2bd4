"""bench/report.py turns the benchmarks' last lines into REPORT.md's table."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import report


def _result(*lines: str) -> dict[str, object]:
    machine = {
        "cores": "2",
        "memory": "23.4 GiB",
        "cpu": "Test CPU",
        "python": "3.11",
        "system": "x",
    }
    return {"lines": list(lines), "exit": 0, "seconds": 12.0, "commit": "abc1234", "at": "now",
            "machine": machine}  # fmt: skip


def test_each_figure_gets_its_same_run_baseline_ratio_and_verdict() -> None:
    text = report.render(
        {
            "serving": _result(
                "serving: p99_ms_emp=45.0 p99_ms_lead=50.0 p99_vs_retrieval_emp=15.0 rss_mb=1100 "
                "http_rps_1w=10.0 http_rps_2w=18.0"
            ),
            "load": _result(
                "load: backend=sqlite workers=2 rps=50.0 p50_ms=900 p99_ms=2000 errors=0 "
                "rps_vs_bare_endpoint=0.05",
                "load: backend=postgresql workers=2 rps=40.0 p50_ms=1400 p99_ms=2400 errors=2 "
                "rps_vs_bare_endpoint=0.04",
            ),
        }
    )
    rows = {line.split(" | ")[1]: line for line in text.splitlines() if line.startswith("| ")}
    employee = rows["employee page p99 in process, 100k people (ms)"]
    assert "| 45 |" in employee and "| 3 |" in employee and "15×" in employee  # 45 ms over 3 ms
    assert "✗" in employee  # above the 30 ms target
    assert "✓" in rows["lead candidates page p99 in process (ms)"]
    assert "1.8×" in rows["HTTP pages a second, 2 workers"]
    assert "| 1,000 |" in rows["pages a second, 50 clients, SQLite"]  # 50 / 0.05, its own line
    assert "| 2 |" in rows["failed requests"] and "✗" in rows["failed requests"]  # both backends'
    assert "| training | not run |" in text and "2 cores, 23.4 GiB, Test CPU" in text


def test_a_line_of_another_form_is_not_a_result() -> None:
    parsed = report.parse_line("retrieval: build_s=46.7 speedup_vs_full_encode=52x")
    assert parsed is not None
    assert parsed[1] == {
        "build_s": "46.7",
        "speedup_vs_full_encode": "52x",
    }
    assert report.parse_line("  employee matches: 500 requests") is None
    assert report.number({"x": "52x"}, "x") == 52.0 and report.number({"x": "sqlite"}, "x") is None
