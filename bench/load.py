"""Load benchmark: a running server under many concurrent users, on SQLite and on PostgreSQL.

For each backend, a throwaway demo company (default 2,000 employees, 300 opportunities, seed 7)
is built in a fresh temporary TALENT_VAR_DIR (and, for PostgreSQL, a fresh database that is
dropped afterwards) with `talent demo` and `talent index`; the packaged default rankers serve
(no training). Bearer tokens are issued straight into the database before the server starts:
every client has its own employee tokens (a pool of distinct employees, rotated so that many
people are asked) and its own lead token (an owner of open opportunities), so a per-token rate
limit would never see one token carry the whole load. Then `talent serve` runs as a subprocess:
  - phase "pages": --clients concurrent clients for --seconds, each on its own keep-alive
    connection; 70% employee matches (`/employees/{id}/matches?kind=…&limit=20`, kind drawn
    from gig, mentorship, role), 30% a lead's candidates (`/opportunities/{id}/candidates`);
  - phase "bare": the same clients for the same time against `/healthz` of the same server
    (once it answers that promptly again), the ceiling that the HTTP stack and this client
    reach without any real work.
An error is every non-2xx answer and every exception (timeout, connection reset, …), counted
by kind. Requests, rps and latencies count every request, errors included; a progress line
comes every 10 s, and the server log's tracebacks are summarised. The figure that matters is how
much of the bare endpoint's throughput the real pages keep, and that no request fails.
Exit status 1 if any request failed. Last line (one per backend, the last backend's last):
  load: backend=… rps=… p50_ms=… p99_ms=… errors=… rps_vs_bare_endpoint=…
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from data.schemas import Role  # noqa: E402
from data.storage.engine import make_engine, make_session_factory, transaction  # noqa: E402
from data.storage.tables import EmployeeRow, OpportunityRow  # noqa: E402
from data.storage.tokens import issue_token  # noqa: E402
from serving.keys import token_secret  # noqa: E402
from serving.settings import Settings  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
KINDS = ("gig", "mentorship", "role")
MATCH_SHARE = 0.7
PAGE_LIMIT = 20
READY_TIMEOUT_S = 180.0
STOP_GRACE_S = 20.0
PROGRESS_EVERY_S = 10.0
REQUEST_TIMEOUT_S = 30.0
DRAIN_LIMIT_S = 90.0
# What makes a run hermetic: its data folder, its database, and any keys generated outside
# the data folder (XDG_CONFIG_HOME), all in the run's temporary folder.
ISOLATED = ("TALENT_VAR_DIR", "TALENT_DATABASE_URL", "XDG_CONFIG_HOME")

Requests = Iterator[tuple[str, dict[str, str] | None]]  # (path, headers), endless


class BenchFailed(Exception):
    """Set-up could not complete; the message says why."""


def _talent_bin() -> str:
    here = Path(sys.executable).parent / "talent"
    return str(here if here.exists() else REPO / ".venv" / "bin" / "talent")


# ---------------------------------------------------------------- set-up of one backend


@dataclass
class Client:
    """What one simulated user holds: its own tokens and what it may ask for."""

    employees: list[tuple[str, str, frozenset[str]]]  # (external id, token, open_to kinds)
    lead_token: str
    lead_opportunities: list[str]


@dataclass
class Backend:
    name: str
    root: Path  # the temporary folder: var/ (TALENT_VAR_DIR), config/ (XDG_CONFIG_HOME), logs
    var_dir: Path
    database_url: str  # "" for the SQLite file in var_dir
    env: dict[str, str]
    drop_database: Callable[[], None] | None = None
    timings: dict[str, float] = field(default_factory=dict)


def _run_step(label: str, argv: list[str], backend: Backend) -> None:
    log = backend.root / f"{label}.log"
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(argv, cwd=REPO, env=backend.env, stdout=out, stderr=subprocess.STDOUT)
    backend.timings[label] = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchFailed(
            f"`{' '.join(argv[1:])}` exited {done.returncode}; its output ends:\n{_tail(log)}"
        )
    print(f"  {label}: {backend.timings[label]:.1f}s", flush=True)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(cannot read {path}: {exc})"


def _create_postgres_database(base_url: str) -> tuple[str, Callable[[], None]]:
    name = f"talent_load_{secrets.token_hex(4)}"
    url = make_url(base_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise BenchFailed(
            f"PostgreSQL at {url.render_as_string(hide_password=True)} is not usable "
            f"({type(exc).__name__}: {exc}); start it, or point --postgres-url / "
            "TALENT_TEST_POSTGRES_URL at one"
        ) from exc

    def drop() -> None:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"  dropped database {name}", flush=True)
        finally:
            admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def issue_client_tokens(backend: Backend, args: argparse.Namespace) -> list[Client]:
    """One employee token per pool member and one lead token per client, all distinct."""
    started = time.perf_counter()
    # The server's environment here too, in case token issuing comes to read settings itself.
    saved = {name: os.environ.get(name) for name in ISOLATED}
    os.environ.update({name: backend.env[name] for name in ISOLATED})
    settings = Settings(var_dir=backend.var_dir, database_url=backend.database_url)
    secret = token_secret(settings)  # the key file the server reads (the run's config/)
    engine = make_engine(settings.resolved_database_url)
    rng = random.Random(args.seed)
    try:
        sessions = make_session_factory(engine)
        with transaction(sessions) as session:
            people = [
                (external_id, frozenset(open_to or ()) & set(KINDS))
                for external_id, open_to in session.execute(
                    select(EmployeeRow.external_id, EmployeeRow.open_to).order_by(
                        EmployeeRow.external_id
                    )
                )
            ]
            people = [(e, kinds) for e, kinds in people if kinds]
            owned: dict[str, list[str]] = {}
            for external_id, owner in session.execute(
                select(OpportunityRow.external_id, OpportunityRow.owner_external_id)
                .where(OpportunityRow.status == "open")
                .order_by(OpportunityRow.external_id)
            ):
                owned.setdefault(owner, []).append(external_id)
            if not people or not owned:
                raise BenchFailed(
                    f"the demo company has {len(people)} employees open to any kind and "
                    f"{len(owned)} leads with open opportunities; need at least one of each"
                )
            rng.shuffle(people)
            leads = sorted(owned)
            rng.shuffle(leads)
            wanted = args.clients * args.employees_per_client
            if wanted > len(people):
                print(
                    f"  note: {wanted} pool places but {len(people)} employees open to a kind; "
                    "some employees are in two pools (each with its own token)",
                    flush=True,
                )
            if args.clients > len(leads):
                print(
                    f"  note: {args.clients} clients but {len(leads)} leads with open "
                    "opportunities; some leads serve two clients (each with its own token)",
                    flush=True,
                )
            clients = []
            for c in range(args.clients):
                pool = []
                for k in range(args.employees_per_client):
                    external_id, kinds = people[(c * args.employees_per_client + k) % len(people)]
                    token = issue_token(
                        session,
                        secret=secret,
                        role=Role.EMPLOYEE,
                        subject_external_id=external_id,
                        label="bench",
                    ).token
                    pool.append((external_id, token, kinds))
                lead = leads[c % len(leads)]
                lead_token = issue_token(
                    session, secret=secret, role=Role.LEAD, subject_external_id=lead, label="bench"
                ).token
                clients.append(Client(pool, lead_token, owned[lead]))
    finally:
        engine.dispose()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    backend.timings["tokens"] = time.perf_counter() - started
    distinct = len({e for c in clients for e, _, _ in c.employees})
    print(
        f"  tokens: {sum(len(c.employees) for c in clients)} employee tokens "
        f"({distinct} distinct employees), {len(clients)} lead tokens "
        f"({len({c.lead_token for c in clients})} distinct) in {backend.timings['tokens']:.1f}s",
        flush=True,
    )
    return clients


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(backend: Backend, workers: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = _free_port()
    argv = [_talent_bin(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        argv += ["--workers", str(workers)]
    env = {
        **backend.env,
        "TALENT_ADMIN_TOKEN": "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(32)
        ),
        "TALENT_MODEL_POLL_SECONDS": "0",
        "TALENT_MONITOR_SECONDS": "0",
    }
    log = backend.root / "server.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        server = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    deadline = started + READY_TIMEOUT_S
    last = "no answer yet"
    with httpx.Client(base_url=base, timeout=5.0) as probe:
        while True:
            if server.poll() is not None:
                raise BenchFailed(
                    f"the server exited {server.returncode} before it was ready; "
                    f"{log} ends:\n{_tail(log)}"
                )
            try:
                answer = probe.get("/readyz")
                if answer.status_code == 200:
                    break
                last = f"HTTP {answer.status_code}: {answer.text[:300]}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            if time.perf_counter() > deadline:
                stop_server(server)
                raise BenchFailed(
                    f"/readyz not 200 after {READY_TIMEOUT_S:.0f}s (last: {last}); "
                    f"{log} ends:\n{_tail(log)}"
                )
            time.sleep(0.5)
    backend.timings["server_start"] = time.perf_counter() - started
    print(
        f"  server: ready on {base} (pid {server.pid}, workers {workers}) in "
        f"{backend.timings['server_start']:.1f}s",
        flush=True,
    )
    return server, base, log


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        print(f"  server did not stop within {STOP_GRACE_S:.0f}s of SIGINT; killing", flush=True)
        # Its workers too: the server runs in a session of its own (start_server).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout|Exit)\w*(:|$)")


def summarise_server_log(log: Path) -> None:
    """Tracebacks in the server's log, by their final line (what a human should look at)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return
    tracebacks = sum(line.startswith("Traceback (most recent call last)") for line in lines)
    if not tracebacks:
        print("  server log: no tracebacks", flush=True)
        return
    finals = Counter(line[:200] for line in lines if EXCEPTION_LINE.match(line))
    print(f"  server log: {tracebacks} tracebacks; exceptions by final line:", flush=True)
    for line, count in finals.most_common(8):
        print(f"    {count:6d}  {line}", flush=True)


# ---------------------------------------------------------------- the load


@dataclass
class PhaseStats:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    def line(self) -> str:
        kinds = ", ".join(f"{k}: {n}" for k, n in self.errors.most_common()) or "none"
        return (
            f"  {self.name}: {self.requests} requests in {self.seconds:.1f}s, "
            f"{self.rps:.1f} rps, p50 {self.percentile(50):.0f} ms, "
            f"p90 {self.percentile(90):.0f} ms, p99 {self.percentile(99):.0f} ms; "
            f"errors {self.error_count} ({kinds})"
        )


def _page_requests(client: Client, rng: random.Random) -> Requests:
    """Endless (path, headers) for one client: its employees in turn, its lead's lists."""
    by_kind = {
        kind: [
            (e, {"authorization": f"Bearer {t}"})
            for e, t, open_to in client.employees
            if kind in open_to
        ]
        for kind in KINDS
    }
    everyone = [(e, {"authorization": f"Bearer {t}"}) for e, t, _ in client.employees]
    turn = dict.fromkeys(KINDS, 0)
    lead = {"authorization": f"Bearer {client.lead_token}"}
    while True:
        if rng.random() < MATCH_SHARE:
            kind = rng.choice(KINDS)
            pool = by_kind[kind] or everyone  # rotate among those open to that kind
            external_id, headers = pool[turn[kind] % len(pool)]
            turn[kind] += 1
            yield f"/api/v1/employees/{external_id}/matches?kind={kind}&limit={PAGE_LIMIT}", headers
        else:
            opportunity = rng.choice(client.lead_opportunities)
            yield f"/api/v1/opportunities/{opportunity}/candidates?limit={PAGE_LIMIT}", lead


def _bare_requests(client: Client, rng: random.Random) -> Requests:
    while True:
        yield "/healthz", None


async def _one_client(base: str, requests: Requests, stats: PhaseStats, deadline: float) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) as http:
        clock = time.perf_counter
        while clock() < deadline:
            path, headers = next(requests)
            started = clock()
            try:
                answer = await http.get(path, headers=headers)  # body read, never parsed
                status = answer.status_code
                if not 200 <= status < 300:
                    stats.errors[str(status)] += 1
            except Exception as exc:  # every failure counts, by its kind
                stats.errors[type(exc).__name__] += 1
            stats.latencies_ms.append((clock() - started) * 1000.0)


async def _progress(stats: PhaseStats, started: float) -> None:
    while True:
        await asyncio.sleep(PROGRESS_EVERY_S)
        print(
            f"    [{stats.name}] {time.perf_counter() - started:4.0f}s: "
            f"{stats.requests} requests, {stats.error_count} errors",
            flush=True,
        )


async def run_phase(
    name: str,
    base: str,
    clients: list[Client],
    make_requests: Callable[[Client, random.Random], Requests],
    seconds: float,
    seed: int,
) -> PhaseStats:
    stats = PhaseStats(name)
    print(f"  phase {name}: {len(clients)} clients for {seconds:.0f}s", flush=True)
    started = time.perf_counter()
    deadline = started + seconds
    ticker = asyncio.create_task(_progress(stats, started))
    try:
        await asyncio.gather(
            *(
                _one_client(
                    base, make_requests(c, random.Random(seed * 100_003 + i)), stats, deadline
                )
                for i, c in enumerate(clients)
            )
        )
    finally:
        ticker.cancel()
    stats.seconds = time.perf_counter() - started
    print(stats.line(), flush=True)
    return stats


async def wait_until_idle(base: str, limit_s: float = DRAIN_LIMIT_S) -> float:
    """Seconds until /healthz answers promptly again: requests whose clients gave up may still
    hold the server's threads, and the bare phase should not measure that backlog."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=2.0) as probe:
        while time.perf_counter() - started < limit_s:
            try:
                if (await probe.get("/healthz")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    waited = time.perf_counter() - started
    print(f"  server idle again after {waited:.1f}s", flush=True)
    return waited


# ---------------------------------------------------------------- one backend, end to end


def prepare_backend(name: str, args: argparse.Namespace) -> Backend:
    # var/ and config/ side by side: generated keys must not live inside the data folder.
    root = Path(tempfile.mkdtemp(prefix=f"talent-load-{name}-"))
    var_dir = root / "var"
    var_dir.mkdir()
    backend = Backend(name, root, var_dir, "", {})
    vectors = REPO / "var" / "vectors"
    if vectors.is_dir():
        shutil.copytree(vectors, var_dir / "vectors")
    if name == "postgresql":
        try:
            backend.database_url, backend.drop_database = _create_postgres_database(
                args.postgres_url
            )
        except BenchFailed:
            shutil.rmtree(root, ignore_errors=True)
            raise
    backend.env = {
        **os.environ,
        "TALENT_VAR_DIR": str(var_dir),
        # Empty means the SQLite file in TALENT_VAR_DIR; never inherit the caller's database.
        "TALENT_DATABASE_URL": backend.database_url,
        "XDG_CONFIG_HOME": str(root / "config"),
    }
    where = make_url(backend.database_url).database if backend.database_url else "talent.db"
    copied = "copied var/vectors" if vectors.is_dir() else "no var/vectors to reuse"
    print(f"  temporary folder {root} ({copied}); database {where}", flush=True)
    return backend


async def run_backend(name: str, args: argparse.Namespace) -> tuple[str, bool]:
    print(f"backend {name}", flush=True)
    started = time.perf_counter()
    backend = prepare_backend(name, args)
    server = None
    try:
        talent = _talent_bin()
        _run_step(
            "demo",
            [
                talent,
                "demo",
                "--employees",
                str(args.employees),
                "--opportunities",
                str(args.opportunities),
                "--seed",
                str(args.seed),
            ],
            backend,
        )
        _run_step("index", [talent, "index"], backend)
        clients = issue_client_tokens(backend, args)
        server, base, log = start_server(backend, args.workers)
        setup = time.perf_counter() - started
        pages = await run_phase("pages", base, clients, _page_requests, args.seconds, args.seed)
        backend.timings["drain"] = await wait_until_idle(base)
        bare = await run_phase("bare", base, clients, _bare_requests, args.seconds, args.seed)
        stop_server(server)
        server = None
        summarise_server_log(log)
    finally:
        if server is not None:
            stop_server(server)
        if backend.drop_database is not None:
            try:
                backend.drop_database()
            except Exception as exc:
                print(f"  could not drop the database: {type(exc).__name__}: {exc}", flush=True)
        if args.keep:
            print(f"  kept {backend.root}", flush=True)
        else:
            shutil.rmtree(backend.root, ignore_errors=True)
    total = time.perf_counter() - started
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in backend.timings.items() if k != "drain")
    print(
        f"  {name}: set-up {setup:.1f}s ({steps}); phases {pages.seconds + bare.seconds:.1f}s "
        f"(+ {backend.timings['drain']:.1f}s waiting for the server between them); "
        f"end to end {total:.1f}s",
        flush=True,
    )
    ratio = pages.rps / bare.rps if bare.rps else float("nan")
    line = (
        f"load: backend={name} workers={args.workers} rps={pages.rps:.1f} "
        f"p50_ms={pages.percentile(50):.0f} "
        f"p99_ms={pages.percentile(99):.0f} errors={pages.error_count} "
        f"rps_vs_bare_endpoint={ratio:.2f}"
    )
    return line, pages.error_count + bare.error_count > 0


async def main_async(args: argparse.Namespace) -> int:
    names = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    lines, failed = [], False
    for name in names:
        line, errors = await run_backend(name, args)
        lines.append(line)
        failed = failed or errors
        print(line, flush=True)  # each backend's headline as soon as it is known
    if len(lines) > 1:
        print("summary", flush=True)
        for line in lines:
            print(line, flush=True)
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--employees", type=int, default=2000, help="demo company size")
    parser.add_argument("--opportunities", type=int, default=300, help="demo company size")
    parser.add_argument("--seed", type=int, default=7, help="demo company and request mix")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument(
        "--employees-per-client",
        type=int,
        default=20,
        help="distinct employees (one token each) a client rotates among",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="server processes (`talent serve --workers`; default 2, this machine's cores: one "
        "process is bound by its GIL well below one core's worth of pages)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TALENT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES,
        help="an existing database to connect to for CREATE/DROP DATABASE "
        "(default: $TALENT_TEST_POSTGRES_URL or the test database)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folders (server.log, SQLite file)"
    )
    args = parser.parse_args()
    if args.clients < 1 or args.employees_per_client < 1 or args.seconds <= 0:
        parser.error("--clients, --employees-per-client and --seconds must be positive")
    if args.backend != "sqlite" and args.postgres_url == "off":
        parser.error("PostgreSQL is off (TALENT_TEST_POSTGRES_URL=off); use --backend sqlite")
    try:
        status = asyncio.run(main_async(args))
    except BenchFailed as failed:
        print(f"load: FAILED: {failed}", file=sys.stderr, flush=True)
        status = 1
    except KeyboardInterrupt:
        status = 130
    sys.exit(status)


if __name__ == "__main__":
    main()
