"""A new user's first start: clone the repository, `make run`, and time it to the first page.

    python bench/coldstart.py [--ref COMMIT] [--keep]

Clones `--ref` (default HEAD) of this repository into a temporary folder and runs `make run`
there as a new user would (its own .venv, its own var/, no TALENT_* variables but the port),
watching from outside: the install is done when the .venv's stamp appears, the demo when its
manifest does, the index when its snapshot does, training when the rankers' stamp does. Then:

- first_page_s: from the start until the demo employee's first page of gig matches answers 200
  (the service's real work: retrieval, features, ranker, audit record);
- full_quality_s: until `/readyz` (admin token) says the taxonomy's texts are all encoded
  (`details.vectors.full_quality`; a commit without that report encoded them before serving)
  and the rankers trained on the demo history are live (`details.models`: a direction whose
  model the promotion gate refused keeps the packaged default, so once training is done, the
  first look at which the models changed, or TRAINED_GRACE_S after it).

Run `--ref` of an older commit for the baseline on the same machine. Last line:
`coldstart: install_s=… first_page_s=… full_quality_s=… …`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "demo-admin-token"  # the Makefile's default TALENT_ADMIN_TOKEN
POLL_SECONDS = 0.5
TRAINED_GRACE_S = 15.0  # a promoted model is live within TALENT_MODEL_POLL_SECONDS (5 s)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, token: str | None = None, timeout: float = 30.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="HEAD", help="the commit to clone (default HEAD)")
    parser.add_argument("--keep", action="store_true", help="keep the clone afterwards")
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up after (s)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="talent-coldstart-"))
    clone = folder / "talent"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", args.ref], check=True)
    commit = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    # A new user's shell: none of this machine's TALENT_* settings, only the port.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALENT_")}
    env.update({"TALENT_PORT": str(port), "TALENT_HOST": "127.0.0.1"})
    env.pop("VIRTUAL_ENV", None)
    base = f"http://127.0.0.1:{port}"
    log = (folder / "make-run.log").open("w")
    print(f"coldstart: cloned {commit} into {clone}; make run on port {port} (log {log.name})")
    started = time.monotonic()
    server = subprocess.Popen(
        ["make", "run"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    marks = {
        "install_s": clone / ".venv" / ".installed-stamp",
        "demo_s": clone / "var" / "demo" / "manifest.json",
        "index_s": clone / "var" / "index" / "snapshot.npz",
        "train_s": clone / "var" / "models" / ".trained-on-demo",
    }
    seen: dict[str, float] = {}
    token: str | None = None
    details: dict = {}
    first_models: dict | None = None
    try:
        while time.monotonic() - started < args.timeout:
            now = time.monotonic() - started
            for name, path in marks.items():
                if name not in seen and path.exists():
                    seen[name] = now
                    print(f"  {name}={now:.0f}", flush=True)
            if server.poll() is not None:
                print(f"make run stopped (exit {server.returncode}): see {log.name}")
                return 1
            if "serving_s" not in seen and get(f"{base}/healthz", timeout=2)[0] == 200:
                seen["serving_s"] = now
                print(f"  serving_s={now:.0f}", flush=True)
            if "serving_s" in seen and "first_page_s" not in seen:
                if token is None:
                    tokens = json.loads((clone / "var" / "demo" / "tokens.json").read_text())
                    token, person = tokens["employee"]["token"], tokens["employee"]["external_id"]
                    page = f"{base}/api/v1/employees/{person}/matches?kind=gig&limit=20"
                status, body = get(page, token, timeout=120)
                if status == 200 and json.loads(body).get("items"):
                    seen["first_page_s"] = time.monotonic() - started
                    print(f"  first_page_s={seen['first_page_s']:.0f}", flush=True)
            if "first_page_s" in seen:
                status, body = get(f"{base}/readyz", ADMIN_TOKEN, timeout=10)
                if status == 200:
                    details = json.loads(body).get("details", {})
                    models = details.get("models", {})
                    first_models = first_models if first_models is not None else models
                    vectors = details.get("vectors")
                    if "vectors_s" not in seen and (vectors is None or vectors["full_quality"]):
                        seen["vectors_s"] = time.monotonic() - started
                        print(f"  vectors_s={seen['vectors_s']:.0f}", flush=True)
                    trained = "train_s" in seen and (
                        models != first_models
                        or seen["first_page_s"] > seen["train_s"]
                        or now - seen["train_s"] > TRAINED_GRACE_S
                    )
                    if "vectors_s" in seen and trained:
                        seen["full_quality_s"] = time.monotonic() - started
                        break
            time.sleep(POLL_SECONDS)
        else:
            print(f"gave up after {args.timeout:.0f} s: see {log.name}")
            return 1
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        log.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    vectors = details.get("vectors", {})
    fields = {
        "install_s": seen.get("install_s"),
        "first_page_s": seen.get("first_page_s"),
        "full_quality_s": seen.get("full_quality_s"),
        "demo_s": seen.get("demo_s"),
        "index_s": seen.get("index_s"),
        "train_s": seen.get("train_s"),
        "serving_s": seen.get("serving_s"),
        "vectors_s": seen.get("vectors_s"),
    }
    line = " ".join(f"{k}={v:.0f}" for k, v in fields.items() if v is not None)
    encoded = vectors.get("texts_encoded")
    tail = f" background_texts={encoded}" if encoded is not None else ""
    sources = ",".join(f"{d}:{m.get('source')}" for d, m in details.get("models", {}).items())
    tail += f" models={sources}" if sources else ""
    print(f"coldstart: {line}{tail} cores={os.cpu_count()} commit={commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
