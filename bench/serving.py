"""Serving benchmark: whole requests at 100k employees, in process and over HTTP.

A company of --employees people (default 100,000) and --opportunities postings (10,000) is
generated (the demo company's people and catalogue generators, no history), written as JSONL
and imported the way a customer imports an HRIS export (`talent import employees|opportunities`),
then indexed (`talent index`), in a fresh data folder on a fresh PostgreSQL database
(--backend postgresql, the default where one answers) or SQLite. Then:
  - in process, in a child process that loads exactly what one server worker loads
    (`build_state`): --queries employee match pages (kind rotating over gig, mentorship, role)
    and as many lead candidate pages, page 20, each the whole request: the row looked up,
    retrieve (FAISS, masks inside) → load rows → history → features → score → re-rank →
    explain the page → page (skills, learning) → audit write. p50/p99 of each direction and
    the time of each stage (matching/stages.py), against the retrieval stage alone on the same
    queries in the same process; the child's peak RSS;
  - over HTTP: `talent serve` with 1 and then 2 uvicorn workers on the same data, --clients
    keep-alive clients for --seconds each (70% match pages, 30% candidate pages, as
    bench/load.py), pages a second and the workers' peak RSS;
  - then --profiled more requests per side under pyinstrument (after the timed ones), its
    profiles written to bench/profile-serving-{emp,lead}.txt: where a page's time goes.
Last line:
  serving: p99_ms_emp=… p99_ms_lead=… p99_vs_retrieval_emp=… rss_mb=… http_rps_1w=… http_rps_2w=…
  audit_kb=… (the mean stored size of the bench's audit records: body and search columns)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import load  # noqa: E402
from bench.load import Backend, BenchFailed  # noqa: E402

KINDS = ("gig", "mentorship", "role")
PAGE = 20
STAGES = (
    "lookup",
    "retrieve",
    "load_rows",
    "history",
    "features",
    "score",
    "rerank",
    "explain",
    "page",
    "audit_write",
)


# ---------------------------------------------------------------- the company


def write_company(root: Path, employees: int, opportunities: int, seed: int) -> tuple[Path, Path]:
    """Generated people and postings as the JSONL files an HRIS export would be."""
    from bench.retrieval import generate

    started = time.perf_counter()
    today = dt.datetime.now(dt.UTC).date()  # the server's "today": postings start after it
    people, postings, _ = generate(employees, opportunities, seed, as_of=today)
    paths = root / "employees.jsonl", root / "opportunities.jsonl"
    for path, records in zip(paths, (people, postings), strict=True):
        with path.open("w") as out:
            for record in records:
                out.write(record.model_dump_json(exclude_none=True) + "\n")
    print(
        f"  generated {employees} employees and {opportunities} opportunities in "
        f"{time.perf_counter() - started:.1f}s",
        flush=True,
    )
    return paths


def build_company(backend: Backend, args: argparse.Namespace) -> None:
    people, postings = write_company(backend.root, args.employees, args.opportunities, args.seed)
    talent = load._talent_bin()
    load._run_step("import_employees", [talent, "import", "employees", str(people)], backend)
    load._run_step(
        "import_opportunities", [talent, "import", "opportunities", str(postings)], backend
    )
    load._run_step("index", [talent, "index"], backend)


# ---------------------------------------------------------------- in process (child)


def percentile_ms(seconds: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000.0, q))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def in_process(args: argparse.Namespace) -> dict[str, object]:
    """What one worker does per request, timed stage by stage; run in a fresh process."""
    from sqlalchemy import select
    from threadpoolctl import threadpool_limits

    from data.schemas import Role
    from data.storage.audit import stored_bytes
    from data.storage.employees import get_employee
    from data.storage.opportunities import get_opportunity
    from data.storage.tables import EmployeeRow, OpportunityRow
    from matching.pipeline import RETRIEVE_DEPTH
    from matching.stages import recording, stage
    from serving.auth import Principal
    from serving.settings import Settings
    from serving.state import build_state
    from serving.usecases.rankings import serve_candidates, serve_matches

    threadpool_limits(limits=1, user_api="blas")  # as a worker's create_app does
    baseline_rss = peak_rss_mb()
    started = time.perf_counter()
    state = build_state(Settings())
    state.warm_up()
    gc.freeze()  # as the server's lifespan does
    load_s = time.perf_counter() - started
    loaded_rss = peak_rss_mb()
    print(f"  child: state loaded in {load_s:.1f}s, RSS {loaded_rss:.0f} MB", flush=True)

    rng = random.Random(args.seed)
    with state.sessions() as session:
        people = session.execute(select(EmployeeRow.external_id, EmployeeRow.open_to)).all()
        postings = session.execute(
            select(OpportunityRow.external_id, OpportunityRow.owner_external_id).where(
                OpportunityRow.status == "open"
            )
        ).all()
    open_people = [(e, sorted(set(k or ()) & set(KINDS))) for e, k in people]
    open_people = [(e, k) for e, k in open_people if k]
    asked = rng.sample(open_people, min(args.queries, len(open_people)))
    jobs = rng.sample(postings, min(args.queries, len(postings)))
    # The bench's own 100k rows (~35 MB) are not what a worker holds: not in its peak RSS.
    del people, open_people, postings

    def timed(
        work: list[tuple[str, object]], serve_one
    ) -> tuple[list[float], list[float], dict[str, list[float]], int]:
        totals, retrieval, stages, empty = [], [], {s: [] for s in STAGES}, 0
        for i, (external_id, extra) in enumerate(work):
            # Minted as the server mints one for a request that brings none (the web app's
            # do not): the audit log need not look whether it is taken.
            request_id = uuid.uuid4().hex
            with recording() as times, state.sessions() as session:
                begun = time.perf_counter()
                items, only_retrieval = serve_one(session, external_id, extra, request_id, i)
                totals.append(time.perf_counter() - begun)
                session.commit()
            empty += items == 0
            retrieval.append(only_retrieval)
            for name in STAGES:
                stages[name].append(times.get(name, 0.0))
        return totals, retrieval, stages, empty

    def one_match(session, external_id, kinds, request_id, i):
        kind = kinds[i % len(kinds)]  # the person's kinds in turn
        with stage("lookup"):
            employee = get_employee(session, external_id)
        user = Principal(Role.EMPLOYEE, external_id)
        body = serve_matches(
            state,
            session,
            user,
            employee,
            kind=kind,
            limit=PAGE,
            request_id=request_id,
            fresh_request_id=True,
        )
        # Retrieval alone, on the same query, after the request (its own timing, not counted).
        begun = time.perf_counter()
        state.matcher.matches_for_employee(employee.id, kind=kind, limit=RETRIEVE_DEPTH)
        return len(body["items"]), time.perf_counter() - begun

    def one_candidates(session, external_id, owner, request_id, _i):
        with stage("lookup"):
            opportunity = get_opportunity(session, external_id)
        user = Principal(Role.LEAD, owner)
        body = serve_candidates(
            state,
            session,
            user,
            opportunity,
            limit=PAGE,
            request_id=request_id,
            fresh_request_id=True,
        )
        begun = time.perf_counter()
        state.matcher.candidates_for_opportunity(opportunity.id, limit=RETRIEVE_DEPTH)
        return len(body["items"]), time.perf_counter() - begun

    # A few requests of each first: the first ones pay for lazy imports and cold caches.
    timed([(e, k) for e, k in asked[:20]], one_match)
    timed([(e, o) for e, o in jobs[:20]], one_candidates)
    results: dict[str, object] = {
        "load_s": load_s,
        "baseline_rss_mb": baseline_rss,
        "loaded_rss_mb": loaded_rss,
        "sizes": state.matcher.sizes,
    }
    for direction, work, serve_one in (
        ("emp", [(e, k) for e, k in asked], one_match),
        ("lead", [(e, o) for e, o in jobs], one_candidates),
    ):
        totals, retrieval, stages, empty = timed(work, serve_one)
        results[direction] = {
            "requests": len(totals),
            "empty_pages": empty,
            "p50_ms": percentile_ms(totals, 50),
            "p99_ms": percentile_ms(totals, 99),
            "retrieval_p50_ms": percentile_ms(retrieval, 50),
            "retrieval_p99_ms": percentile_ms(retrieval, 99),
            "stages_mean_ms": {s: 1000 * float(np.mean(v)) for s, v in stages.items()},
            "stages_p99_ms": {s: percentile_ms(v, 99) for s, v in stages.items()},
        }
    results["peak_rss_mb"] = peak_rss_mb()
    if args.profiles:  # after the timed requests: the profiler's overhead is not in them
        from pyinstrument import Profiler

        for direction, work, serve_one in (
            ("emp", [(e, k) for e, k in asked[: args.profiled]], one_match),
            ("lead", [(e, o) for e, o in jobs[: args.profiled]], one_candidates),
        ):
            profiler = Profiler(interval=0.001)
            with profiler:
                timed(work, serve_one)
            path = Path(args.profiles) / f"profile-serving-{direction}.txt"
            path.write_text(profiler.output_text(unicode=False, color=False))
            print(f"  profile of {len(work)} {direction} requests: {path}", flush=True)
    with state.sessions() as session:  # what the audit log grows by (docs/scaling.md)
        count, size = stored_bytes(session)  # a fresh database: the bench's records only
    results["audit_records"], results["audit_bytes_per_list"] = count, size
    state.close()
    return results


def run_child(backend: Backend, args: argparse.Namespace) -> dict[str, object]:
    out = backend.root / "in_process.json"
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(out),
        "--queries",
        str(args.queries),
        "--seed",
        str(args.seed),
        "--profiled",
        str(args.profiled),
    ]
    # Always passed: left out, '' (no profiles) would become the child's default folder.
    argv += ["--profiles", str(Path(args.profiles).resolve()) if args.profiles else ""]
    env = {**backend.env, "TALENT_ADMIN_TOKEN": "bench-child-admin-token-0123456789"}
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, env=env)
    if done.returncode != 0:
        raise BenchFailed(f"the in-process child exited {done.returncode}")
    print(f"  in process: {time.perf_counter() - started:.1f}s", flush=True)
    return json.loads(out.read_text())


def print_in_process(results: dict[str, object]) -> None:
    for direction, label in (("emp", "employee matches"), ("lead", "lead candidates")):
        r = results[direction]
        print(
            f"  {label}: {r['requests']} requests ({r['empty_pages']} empty pages), "
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms; retrieval alone p50 "
            f"{r['retrieval_p50_ms']:.2f} ms, p99 {r['retrieval_p99_ms']:.2f} ms",
            flush=True,
        )
        staged = sum(r["stages_mean_ms"].values())
        parts = ", ".join(
            f"{name} {r['stages_mean_ms'][name]:.2f}"
            for name in STAGES
            if name in r["stages_mean_ms"]
        )
        print(f"    mean ms by stage: {parts} (other {r['p50_ms'] - staged:+.2f})", flush=True)
    print(
        f"  RSS: {results['baseline_rss_mb']:.0f} MB before loading, "
        f"{results['loaded_rss_mb']:.0f} MB loaded, peak {results['peak_rss_mb']:.0f} MB; "
        f"indexed {results['sizes']}; audit log {results['audit_bytes_per_list'] / 1024:.1f} KB "
        f"a served list",
        flush=True,
    )


# ---------------------------------------------------------------- over HTTP


def worker_peak_rss_mb(server: subprocess.Popen[bytes]) -> float:
    """The largest VmHWM among the server process and its children (uvicorn's workers)."""
    pids = [server.pid]
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        pids += [int(p) for p in children]
    except OSError:
        pass
    peak = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024.0)
        except OSError:
            continue
    return peak


async def http_phase(
    backend: Backend, clients: list[load.Client], workers: int, args: argparse.Namespace
) -> tuple[load.PhaseStats, float]:
    server, base, log = load.start_server(backend, workers)
    try:
        stats = await load.run_phase(
            f"pages {workers}w", base, clients, load._page_requests, args.seconds, args.seed
        )
        rss = worker_peak_rss_mb(server)
    finally:
        load.stop_server(server)
    load.summarise_server_log(log)
    return stats, rss


# ---------------------------------------------------------------- main


async def main_async(args: argparse.Namespace) -> int:
    backend = load.prepare_backend(args.backend, args)
    failed = False
    try:
        build_company(backend, args)
        results = run_child(backend, args)
        print_in_process(results)
        token_args = argparse.Namespace(
            seed=args.seed, clients=args.clients, employees_per_client=20
        )
        clients = load.issue_client_tokens(backend, token_args)
        http = {}
        for workers in (1, 2):
            stats, rss = await http_phase(backend, clients, workers, args)
            http[workers] = (stats, rss)
            failed = failed or stats.error_count > 0
            print(f"  {workers} worker(s): peak RSS per worker {rss:.0f} MB", flush=True)
    finally:
        if args.keep:  # its data folder and database, to run the in-process half again
            kept = {
                name: backend.env[name]
                for name in ("TALENT_VAR_DIR", "TALENT_DATABASE_URL", "XDG_CONFIG_HOME")
            }
            print("  kept: " + " ".join(f"{k}={v}" for k, v in kept.items()), flush=True)
        else:
            import shutil

            if backend.drop_database is not None:
                backend.drop_database()
            shutil.rmtree(backend.root, ignore_errors=True)
    emp, lead = results["emp"], results["lead"]
    summary = {
        "backend": args.backend,
        "employees": args.employees,
        "opportunities": args.opportunities,
        "setup_s": dict(backend.timings),
        "in_process": results,
        "http": {
            f"{w}w": {
                "rps": s.rps,
                "p50_ms": s.percentile(50),
                "p99_ms": s.percentile(99),
                "errors": s.error_count,
                "peak_rss_mb": rss,
            }
            for w, (s, rss) in http.items()
        },
    }
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    print(
        f"serving: p99_ms_emp={emp['p99_ms']:.1f} p99_ms_lead={lead['p99_ms']:.1f} "
        f"p99_vs_retrieval_emp={emp['p99_ms'] / emp['retrieval_p99_ms']:.1f} "
        f"rss_mb={results['peak_rss_mb']:.0f} http_rps_1w={http[1][0].rps:.1f} "
        f"http_rps_2w={http[2][0].rps:.1f} "
        f"audit_kb={results['audit_bytes_per_list'] / 1024:.1f}",
        flush=True,
    )
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--queries", type=int, default=500, help="timed requests per direction")
    parser.add_argument("--clients", type=int, default=8, help="HTTP clients")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each HTTP phase")
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TALENT_TEST_POSTGRES_URL") or load.DEFAULT_POSTGRES,
    )
    parser.add_argument(
        "--profiles",
        default=str(REPO / "bench"),
        help="where the pyinstrument profiles of each direction go ('' for none)",
    )
    parser.add_argument("--profiled", type=int, default=100, help="requests profiled per side")
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder and database"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)  # the in-process half, internal
    args = parser.parse_args()
    if args.child:
        Path(args.child).write_text(json.dumps(in_process(args)) + "\n")
        return
    try:
        status = asyncio.run(main_async(args))
    except BenchFailed as failed:
        print(f"serving: FAILED: {failed}", file=sys.stderr, flush=True)
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
