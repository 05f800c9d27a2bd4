"""Impression logging: what it costs a served list, and what deriving impressions costs training.

Training needs one impression per item shown (its position, list, model version). The service
takes them from the audit record each served list already writes (serving/usecases/
training_data.py) instead of writing them again. This measures that choice on a throwaway demo
company (default 2,000 employees, 300 opportunities, SQLite in a temporary folder), in process:
  - "derived" (what ships): `GET /employees/{id}/matches?limit=20` as served, the audit record
    appended;
  - "written" (the alternative): the same request, then its page's impressions inserted as
    interaction rows in their own transaction, timed together;
alternating the two request by request, so drift and noise hit both alike; p50 and p99 of each.
Then the training side: reading every record back and deriving its impressions, per list.
Last line:
  impressions: lists=… derived_p50_ms=… derived_p99_ms=… written_p50_ms=… written_p99_ms=…
  written_vs_derived_p50=… derive_ms_per_list=…
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fastapi.testclient import TestClient  # noqa: E402

from data.demo import generate_company  # noqa: E402
from data.importing.demo import store_demo_company  # noqa: E402
from data.schemas import InteractionIn, InteractionType, Role  # noqa: E402
from data.storage.engine import transaction  # noqa: E402
from data.storage.interactions import add_interactions  # noqa: E402
from data.storage.tokens import issue_token  # noqa: E402
from data.taxonomy.packaged import load_packaged_taxonomy  # noqa: E402
from serving.app import create_app  # noqa: E402
from serving.settings import Settings  # noqa: E402
from serving.state import build_state  # noqa: E402
from serving.usecases.training_data import served_impressions  # noqa: E402

ADMIN = "bench-admin-" + secrets.token_hex(16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--opportunities", type=int, default=300)
    parser.add_argument("--requests", type=int, default=400, help="per variant")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="talent-bench-impressions-"))
    try:
        (folder / "vectors").mkdir()
        for cached in (REPO / "var" / "vectors").glob("*.np*"):
            shutil.copy(cached, folder / "vectors" / cached.name)
        settings = Settings(
            database_url=f"sqlite:///{folder / 'bench.db'}",
            var_dir=folder,
            admin_token=ADMIN,
            audit_key=secrets.token_hex(32),
            token_secret=secrets.token_hex(32),
            pseudonym_secret=secrets.token_hex(32),
            rate_limit_per_minute=10**6,
            rate_limit_burst=10**6,
        )
        state = build_state(settings, index=False)
        company = generate_company(
            load_packaged_taxonomy(),
            employees=args.employees,
            opportunities=args.opportunities,
            seed=args.seed,
            as_of=dt.date.today(),
        )
        with transaction(state.sessions) as session:
            store_demo_company(session, company)
        with state.sessions() as session:
            state.matcher.load(session)
        # Each person asks with their own token: lists served to an admin are not impressions.
        people = [e.external_id for e in company.employees[:100]]
        with transaction(state.sessions) as session:
            tokens = {
                p: issue_token(
                    session,
                    secret=state.token_secret,
                    role=Role.EMPLOYEE,
                    subject_external_id=p,
                ).token
                for p in people
            }
        timings: dict[str, list[float]] = {"derived": [], "written": []}
        rng = np.random.default_rng(args.seed)
        with TestClient(create_app(settings, state=state)) as client:
            for person in people[:20]:  # warm: model, caches, connections
                client.get(
                    f"/api/v1/employees/{person}/matches?limit=20",
                    headers={"Authorization": f"Bearer {tokens[person]}"},
                )
            for n in range(2 * args.requests):
                person = people[int(rng.integers(len(people)))]
                variant = "derived" if n % 2 == 0 else "written"
                start = time.perf_counter()
                page = client.get(
                    f"/api/v1/employees/{person}/matches?limit=20",
                    headers={"Authorization": f"Bearer {tokens[person]}"},
                )
                page.raise_for_status()
                if variant == "written":
                    body = page.json()
                    now = dt.datetime.now(dt.UTC)
                    with transaction(state.sessions) as session:
                        add_interactions(
                            session,
                            [
                                InteractionIn(
                                    request_id=body["request_id"],
                                    employee_external_id=person,
                                    opportunity_external_id=item["opportunity"]["external_id"],
                                    type=InteractionType.IMPRESSION,
                                    position=item["rank"],
                                    occurred_at=now,
                                )
                                for item in body["items"]
                            ],
                        )
                timings[variant].append((time.perf_counter() - start) * 1000)
                if (n + 1) % 200 == 0:
                    print(f"  {n + 1}/{2 * args.requests} requests", flush=True)
        start = time.perf_counter()
        with state.sessions() as session:
            served = served_impressions(session)
        derive_ms = (time.perf_counter() - start) * 1000
        state.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    lists = served.lists
    stats = {k: (np.percentile(v, 50), np.percentile(v, 99)) for k, v in timings.items()}
    for name, (p50, p99) in stats.items():
        print(f"{name:>8}: p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(timings[name])} requests")
    print(f"derived {len(served.impressions)} impressions from {lists} lists in {derive_ms:.0f} ms")
    print(
        f"impressions: lists={lists} derived_p50_ms={stats['derived'][0]:.1f} "
        f"derived_p99_ms={stats['derived'][1]:.1f} written_p50_ms={stats['written'][0]:.1f} "
        f"written_p99_ms={stats['written'][1]:.1f} "
        f"written_vs_derived_p50={stats['written'][0] / stats['derived'][0]:.2f} "
        f"derive_ms_per_list={derive_ms / max(lists, 1):.2f}"
    )


if __name__ == "__main__":
    main()
