"""Sealing the interaction log: what it costs a write.

Each interaction is sealed just after the transaction that wrote it commits (fairness/
audit_log.py): the write itself only sets a flag, and the audit log's own thread seals on its
own connection. This measures that on a throwaway database (SQLite in a temporary folder, or
`--postgres URL`'s server, in a new database), in process: `--writes` interaction writes, each
its own transaction as a request writes it (an ORM insert and a commit), in blocks of 100
alternating between
  - "off": no audit log watching the database (what a write cost before sealing, bar the
    nullable `sealed_by` column and its index, which both modes share);
  - "on": the service's audit log watching, sealing in the background while the writes go on;
so drift and noise hit both alike; then how long the last seal took to land. Last line:
  seals: backend=… writes=… off_mean_ms=… on_mean_ms=… on_vs_off=… off_p99_ms=… on_p99_ms=…
  seals_made=… drain_ms=…
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from data.storage import audit as stored  # noqa: E402
from data.storage.engine import make_engine, make_session_factory, transaction  # noqa: E402
from data.storage.migrate import upgrade_to_head  # noqa: E402
from data.storage.tables import InteractionRow  # noqa: E402
from fairness.audit_log import AuditKey, AuditLog  # noqa: E402

BLOCK = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=1000, help="per mode")
    parser.add_argument("--postgres", help="a server URL; a database is made and dropped")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="talent-bench-seals-"))
    admin, url = None, f"sqlite:///{folder / 'bench.db'}"
    if args.postgres:
        name = f"talent_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    try:
        print(run(url, folder, args.writes))
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def run(url: str, folder: Path, writes: int) -> str:
    upgrade_to_head(url)
    engine, audit_engine = make_engine(url), make_engine(url, pool_size=1, max_overflow=1)
    sessions = make_session_factory(engine)
    key = AuditKey(secrets.token_hex(32).encode())
    log = AuditLog(make_session_factory(audit_engine), key, folder / "head.json")
    timings: dict[str, list[float]] = {"off": [], "on": []}
    moment = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    try:
        for block in range(2 * writes // BLOCK):
            mode = ("off", "on")[block % 2]
            if mode == "on":
                stored.watch_commits(engine, log.seal_soon)
            else:
                stored.unwatch_commits(engine, log.seal_soon)
            for n in range(BLOCK):
                started = time.perf_counter()
                with transaction(sessions) as session:
                    session.add(
                        InteractionRow(
                            employee_external_id=f"E{n}",
                            opportunity_external_id="O1",
                            type="shortlist",
                            occurred_at=moment,
                            actor_role="lead",
                            actor="L1",
                            details={"reason": "strong skills match"},
                        )
                    )
                timings[mode].append(time.perf_counter() - started)
        started = time.perf_counter()
        log.seal_soon()
        while log.pending():
            time.sleep(0.001)
        drain = time.perf_counter() - started
        with log.sessions() as session:
            result = log.verify(session)
        assert result.ok and result.streams["interactions"].sealed == 2 * writes, result
    finally:
        log.close()
        engine.dispose()
        audit_engine.dispose()
    off, on = (statistics.mean(timings[m]) * 1000 for m in ("off", "on"))
    p99 = {m: statistics.quantiles(timings[m], n=100)[98] * 1000 for m in timings}
    return (
        f"seals: backend={make_url(url).get_backend_name()} writes={writes} "
        f"off_mean_ms={off:.3f} on_mean_ms={on:.3f} on_vs_off={on / off:.3f} "
        f"off_p99_ms={p99['off']:.3f} on_p99_ms={p99['on']:.3f} "
        f"seals_made={result.seals} drain_ms={drain * 1000:.1f}"
    )


if __name__ == "__main__":
    main()
