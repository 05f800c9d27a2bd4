"""`make bench`: run every benchmark and write bench/REPORT.md from what they printed.

Each benchmark ends with one line `name: key=value …`. This runs them one after another (their
output streams through, so long ones show progress), reads those lines, and writes a table:
each figure, its baseline measured in the same run, the ratio, the target where one was set,
and whether it is met; then the machine (cores, memory, CPU model) and the commit. The parsed
lines are kept in bench/results.json, so `--only serving training` re-runs some benchmarks and
re-renders the report with the others' last results (each row says which commit it ran on).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.json"
REPORT = REPO / "bench" / "REPORT.md"

# The order `make bench` runs them in, and the arguments each runs with (their defaults).
BENCHES = {
    "retrieval": ["bench/retrieval.py"],
    "serving": ["bench/serving.py"],
    "training": ["bench/training.py"],
    "fairness": ["bench/fairness.py"],
    "load": ["bench/load.py"],
    "import": ["bench/importing.py"],
    "taxonomy": ["bench/taxonomy.py"],
    "impressions": ["bench/impressions.py"],
    "loop": ["bench/loop.py"],
    "quality": ["bench/quality.py"],
    # last: it clones HEAD and runs `make run` as a new user would, on whatever cores are free
    "coldstart": ["bench/coldstart.py"],
}
LINE = re.compile(r"^(\w+): (\w+=.*)$")


def parse_line(line: str) -> tuple[str, dict[str, str]] | None:
    """`name: a=1 b=2.5x c=sqlite` → ("name", {"a": "1", "b": "2.5x", "c": "sqlite"})."""
    found = LINE.match(line.strip())
    if found is None:
        return None
    pairs = dict(part.split("=", 1) for part in found.group(2).split() if "=" in part)
    return found.group(1), pairs


def number(values: dict[str, str], key: str) -> float | None:
    raw = values.get(key)
    if raw is None:
        return None
    try:
        return float(raw.rstrip("x%"))
    except ValueError:
        return None


@dataclass(frozen=True)
class Row:
    """One line of the report: a figure, the baseline it is compared with, and a target."""

    bench: str
    what: str
    figure: Callable[[dict[str, str]], float | None]
    baseline_what: str = ""
    baseline: Callable[[dict[str, str]], float | None] = lambda v: None
    target: str = ""
    met: Callable[[float], bool] | None = None
    match: dict[str, str] | None = None  # only lines with these values (load: per backend)


def key(name: str) -> Callable[[dict[str, str]], float | None]:
    return lambda values: number(values, name)


def over(name: str, ratio: str) -> Callable[[dict[str, str]], float | None]:
    """A baseline the line gives as figure / ratio."""

    def baseline(values: dict[str, str]) -> float | None:
        a, b = number(values, name), number(values, ratio)
        return a / b if a is not None and b else None

    return baseline


def best_baseline(name: str, misses: str) -> Callable[[dict[str, str]], float | None]:
    """The better baseline's figure, from the project's and its misses over the baseline's."""

    def baseline(values: dict[str, str]) -> float | None:
        a, m = number(values, name), number(values, misses)
        return 1 - (1 - a) / m if a is not None and m else None

    return baseline


def times(name: str, ratio: str) -> Callable[[dict[str, str]], float | None]:
    def baseline(values: dict[str, str]) -> float | None:
        a, b = number(values, name), number(values, ratio)
        return a * b if a is not None and b is not None else None

    return baseline


ROWS = (
    Row("retrieval", "index build, 100k people + 10k postings (s)", key("build_s"),
        "encoding every profile with the transformer (s)",
        times("build_s", "speedup_vs_full_encode")),
    Row("retrieval", "recall@50 of the served index", key("recall50"),
        "exact search", lambda v: 1.0, "≥ 0.95", lambda x: x >= 0.95),
    Row("retrieval", "retrieval p99, employee → opportunities (ms)", key("p99_ms_emp")),
    Row("serving", "employee page p99 in process, 100k people (ms)", key("p99_ms_emp"),
        "retrieval alone, same queries (ms)", over("p99_ms_emp", "p99_vs_retrieval_emp"),
        "≤ 30 ms", lambda x: x <= 30),
    Row("serving", "lead candidates page p99 in process (ms)", key("p99_ms_lead"),
        target="≤ 60 ms", met=lambda x: x <= 60),
    Row("serving", "peak RSS of one serving process at 100k (MB)", key("rss_mb"),
        target="≤ 1536 MB", met=lambda x: x <= 1536),
    Row("serving", "audit record a served list, 100k people (KB)", key("audit_kb"),
        target="≤ 8 KB", met=lambda x: x <= 8),
    Row("serving", "HTTP pages a second, 2 workers", key("http_rps_2w"),
        "1 worker", key("http_rps_1w")),
    Row("training", "LambdaRank fit, 1M labelled pairs (800k train, 100k valid) (s)", key("fit_s"),
        "the same fit on a tenth of the lists (s)", over("fit_s", "fit_vs_100k"),
        "≤ 120 s", lambda x: x <= 120),
    Row("training", "fit on a 2-worker Dask LocalCluster (s)", key("dask_fit_s"),
        "one process (s)", key("fit_s")),
    Row("training", "true-fit NDCG@10, Dask model", key("ndcg10_dask"),
        "one-process model", key("ndcg10_true"), "within 1%"),
    Row("fairness", "lowest impact ratio after fair re-ranking", key("after"),
        "before (ranker alone)", key("impact_ratio_before"), "≥ 0.80", lambda x: x >= 0.8),
    Row("fairness", "NDCG@10 cost of fair re-ranking (%)", key("ndcg10_cost_pct")),
    Row("load", "pages a second, 50 clients, SQLite", key("rps"),
        "/healthz of the same server", over("rps", "rps_vs_bare_endpoint"),
        match={"backend": "sqlite"}),
    Row("load", "pages a second, 50 clients, PostgreSQL", key("rps"),
        "/healthz of the same server", over("rps", "rps_vs_bare_endpoint"),
        match={"backend": "postgresql"}),
    Row("load", "failed requests", key("errors"), target="0", met=lambda x: x == 0),
    Row("import", "10k employees through `talent import` (s)", key("cli_s"),
        "encoding the unique free-text names alone (s)", over("cli_s", "vs_encode_bound")),
    Row("taxonomy", "occupations found in the top 5", key("occupations_top5"),
        "BM25", key("occupations_bm25_top5")),
    Row("taxonomy", "skills found in the top 5", key("skills_top5"),
        "BM25", key("skills_bm25_top5")),
    Row("impressions", "served list p50, impressions derived from the audit record (ms)",
        key("derived_p50_ms"), "impressions also written as rows (ms)", key("written_p50_ms")),
    Row("loop", "true-fit NDCG@10 after six weeks, learning", key("ndcg_true_learned"),
        "the packaged default, frozen", key("ndcg_true_frozen")),
    Row("loop", "impact ratio of served candidate lists", key("impact_served_after"),
        target="≥ 0.80", met=lambda x: x >= 0.8),
    Row("loop", "share of the default-to-noiseless-ceiling gap closed, employees, week 6 (%)",
        key("ceiling_gap_closed_pct"), target="≥ 50", met=lambda x: x >= 50),
    Row("loop", "the same, candidates (%)", key("cand_ceiling_gap_closed_pct"),
        target="≥ 30", met=lambda x: x >= 30),
    *(
        row
        for task, misses, what in (
            ("titles_top5", "titles", "O*NET titles → ESCO occupation, top 5, held out"),
            ("tools_top1", "tools", "typed product names → O*NET product, top 1, held out"),
            ("people_roles_mrr", "people_roles", "people from ESCO profiles → their role, MRR"),
            ("tool_people_mrr", "tool_people", "people described by O*NET tools → their role, MRR"),
        )
        for row in (
            Row("quality", what, key(task), "better of BM25 and MiniLM (same items)",
                best_baseline(task, f"{misses}_misses_vs_best")),
            Row("quality", f"{what}: misses over the better baseline's",
                key(f"{misses}_misses_vs_best"), target="≤ 0.6", met=lambda x: x <= 0.6),
        )
    ),
    Row("coldstart", "fresh clone to the first page of matches, `make run` (s)",
        key("first_page_s"), "of which `make install` (s)", key("install_s"),
        "≤ 180 s", lambda x: x <= 180),
    Row("coldstart", "fresh clone to full quality (texts encoded, rankers trained) (s)",
        key("full_quality_s")),
)  # fmt: skip


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    return {
        "cores": str(os.cpu_count()),
        "memory": memory,
        "cpu": cpu,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    # Only files that change what the benchmarks measure make a run "modified".
    dirty = git("status", "--porcelain", "--", *(p for p in ("bench", "data", "matching",
                "features", "training", "fairness", "serving")))  # fmt: skip
    outputs = ("REPORT.md", "results.json", "NOTES.md", ".txt", "loop.html")  # what benches write
    changed = [line for line in dirty.splitlines() if not line.endswith(outputs)]
    return f"{head}{' (modified)' if changed else ''}"


def run(name: str, argv: list[str]) -> dict[str, object]:
    """Run one benchmark, streaming its output; its last lines of the form `name: k=v`."""
    print(f"== {name}: {' '.join(argv)}", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-u", *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
        parsed = parse_line(line)
        if parsed is not None and parsed[0] == name:
            lines.append(line.strip())
    status = process.wait()
    return {
        "lines": lines,
        "exit": status,
        "seconds": round(time.perf_counter() - started, 1),
        "commit": commit(),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.4g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")


def render(results: dict[str, dict[str, object]]) -> str:
    out = [
        "# Benchmark report",
        "",
        "Written by `make bench` (bench/report.py) from the benchmarks' last lines; each row's",
        "baseline was measured in the same run as its figure. Regenerate it rather than edit",
        "it: `make bench`, or `.venv/bin/python bench/report.py --only NAME …` for some.",
        "",
        "| benchmark | figure | value | baseline (same run) | baseline value | ratio | target "
        "| met |",
        "|---|---|---:|---|---:|---:|---|---|",
    ]
    for row in ROWS:
        result = results.get(row.bench)
        if result is None:
            continue
        lines = dict.fromkeys(result["lines"])  # load.py repeats each backend's in a summary
        parsed = [p[1] for line in lines if (p := parse_line(line)) is not None]
        chosen = [v for v in parsed if all(v.get(k) == x for k, x in (row.match or {}).items())]
        if not chosen:
            out.append(f"| {row.bench} | {row.what} | not printed | | | | {row.target} | ✗ |")
            continue
        values = chosen[-1]
        if row.what == "failed requests":  # every backend's, summed
            figure = sum(number(v, "errors") or 0 for v in parsed)
        else:
            figure = row.figure(values)
        baseline = row.baseline(values)
        ratio = figure / baseline if figure is not None and baseline else None
        met = ""
        if row.met is not None and figure is not None:
            met = "✓" if row.met(figure) else "✗ (see below)"
        elif row.target == "within 1%" and ratio is not None:
            met = "✓" if abs(ratio - 1) <= 0.01 else "✗ (see below)"
        out.append(
            f"| {row.bench} | {row.what} | {_fmt(figure)} | {row.baseline_what} | "
            f"{_fmt(baseline)} | {_fmt(ratio)}{'×' if ratio is not None else ''} | "
            f"{row.target} | {met} |"
        )
    out += ["", "## Runs", ""]
    out += [
        "| benchmark | commit | finished (UTC) | wall time | exit | machine |",
        "|---|---|---|---:|---:|---|",
    ]
    for name in BENCHES:
        result = results.get(name)
        if result is None:
            out.append(f"| {name} | not run | | | | |")
            continue
        m = result["machine"]
        out.append(
            f"| {name} | {result['commit']} | {result['at']} | {result['seconds']:.0f} s | "
            f"{result['exit']} | {m['cores']} cores, {m['memory']}, {m['cpu']} |"
        )
    out += ["", "## Last lines, as printed", "", "```"]
    for name in BENCHES:
        for line in dict.fromkeys((results.get(name) or {}).get("lines", [])):
            out.append(line)
    out += ["```", ""]
    notes = REPO / "bench" / "NOTES.md"
    if notes.exists():
        out += [notes.read_text().rstrip(), ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), help="run just these")
    parser.add_argument("--render", action="store_true", help="run nothing; re-render only")
    args = parser.parse_args()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    failed = []
    if not args.render:
        for name in args.only or list(BENCHES):
            results[name] = run(name, BENCHES[name])
            if results[name]["exit"] != 0 or not results[name]["lines"]:
                failed.append(name)
            RESULTS.write_text(json.dumps(results, indent=1) + "\n")  # after each: none lost
    REPORT.write_text(render(results))
    print(
        f"wrote {REPORT.relative_to(REPO)}" + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
