"""An import job whose server process died shows "failed", not "running", once a server starts
again; a job another live process is running is left alone."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from fastapi.testclient import TestClient

from data.storage.engine import transaction
from data.storage.imports import INTERRUPTED, process_alive, this_process
from data.storage.tables import ImportJobRow
from matching.encoder import SentenceEncoder
from serving.state import ServiceState, build_state


def _dead_process() -> str:
    """The identity of a process that ran on this host and has exited."""
    code = "from data.storage.imports import this_process; print(this_process())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_a_restart_fails_the_jobs_of_dead_processes_only(
    state: ServiceState,
    client: TestClient,
    admin_headers: dict[str, str],
    encoder: SentenceEncoder,
) -> None:
    dead, alive = _dead_process(), this_process()
    ids = {
        name: f"{i:016x}" for i, name in enumerate(("killed", "queued", "legacy", "live", "done"))
    }
    assert not process_alive(dead) and process_alive(alive)
    now = dt.datetime.now(dt.UTC)
    with transaction(state.sessions) as session:
        for name, owner, status in (
            ("killed", dead, "running"),
            ("queued", dead, "queued"),
            ("legacy", None, "running"),  # written before jobs named their process
            ("live", alive, "running"),
            ("done", dead, "succeeded"),
        ):
            session.add(
                ImportJobRow(
                    job_id=ids[name],
                    kind="employees",
                    status=status,
                    phase=status,
                    done=3,
                    total=10,
                    created_by="admin",
                    created_at=now,
                    owner=owner,
                )
            )
    before = client.get(f"/api/v1/imports/{ids['killed']}", headers=admin_headers).json()
    assert before["status"] == "running"  # what the review saw after a kill -9

    restarted = build_state(state.settings, index=False, encoder=encoder)
    restarted.close()
    statuses = {}
    for name, job_id in ids.items():
        answer = client.get(f"/api/v1/imports/{job_id}", headers=admin_headers).json()
        statuses[name] = answer["status"]
        if answer["status"] == "failed":
            assert answer["errors"][0]["message"] == INTERRUPTED
            assert answer["finished_at"] is not None
    assert statuses == {
        "killed": "failed",
        "queued": "failed",
        "legacy": "failed",
        "live": "running",
        "done": "succeeded",
    }
