"""Import benchmark: a large HRIS export through the command line and through the HTTP job.

A company of --employees people (default 10,000) is generated from the packaged ESCO
taxonomy (seed --seed): each person holds an occupation's title and --skills skills (default
15) drawn from that occupation's essential and optional skills, and about a third of the skill
names are written as an HRIS export writes them: ESCO alternative labels, typos (a dropped,
doubled, swapped or mistyped letter), other casing and punctuation, rewordings ("project
management" for "perform project management"), or a word added ("… skills"). A few
records name one skill twice, as exports do. Then, in a fresh data folder:
  - warm-up: the server's start (the taxonomy's label and title vectors, read from var/vectors
    when a previous run or `make run` left them there; else encoded and cached);
  - cli: `talent import employees FILE --report …` in a subprocess on a new SQLite database,
    the whole process timed (start, model load, resolving, inferring occupations, writing);
  - http: `talent serve` on another new database; one POST of every record to
    /api/v1/employees/bulk (answered 202 with a job), then GET /api/v1/imports/{id} until the
    job ends: timed from the POST to the job's end;
  - encode bound: the unique names that are not exact labels, encoded in one batch by the same
    model in this process: the least any import resolving them by embedding could cost.
Both imports must succeed and agree (the same number of people, names and merges reported).
The generator knows which skill each free-text name was written for: the share of reported
names that became that skill is printed, by method (a reworded name can be truly ambiguous:
"hardware expertise" was written for "design hardware").
Last line:
  import: employees=… cli_s=… http_s=… names_per_s=… unique_names=… vs_encode_bound=…
(names_per_s: skill names resolved per second by the CLI import; vs_encode_bound: the CLI
import's time over the encode bound's.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from data.schemas import normalize_label  # noqa: E402
from data.taxonomy.model import Taxonomy  # noqa: E402
from data.taxonomy.packaged import load_packaged_taxonomy  # noqa: E402

ADMIN_TOKEN = "bench-import-admin-token-0123456789"
DEPARTMENTS = ("Engineering", "Data", "Finance", "Operations", "Sales", "People", "Legal")
LOCATIONS = ("Berlin", "Lisbon", "Warsaw", "Madrid", "Dublin")
LEVELS = (1, 2, 3, 4, 5, 6, 7)  # job levels
READY_TIMEOUT_S = 900.0  # a first start with no cached vectors encodes ~60k texts
JOB_TIMEOUT_S = 1800.0
POLL_S = 1.0


# --- the generated export -------------------------------------------------------------------


def _typo(name: str, rng: random.Random) -> str:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 5:
        return name.upper()
    i = rng.choice(letters[1:-1])
    how = rng.randrange(4)
    if how == 0:
        return name[:i] + name[i + 1 :]  # dropped
    if how == 1:
        return name[:i] + name[i] + name[i:]  # doubled
    if how == 2:
        return name[:i] + rng.choice("aeiourstnl") + name[i + 1 :]  # mistyped
    return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]  # swapped


def _reworded(name: str, rng: random.Random) -> str:
    """A synonym as people write it: ESCO's "perform project management" as "project
    management", "manage budgets" as "budgets management"."""
    words = name.split()
    if len(words) >= 3:
        return " ".join(words[1:])
    if len(words) == 2:
        return f"{words[1]} {rng.choice(('management', 'work', 'expertise'))}"
    return f"{name} expertise"


def _free_text(name: str, alt_labels: tuple[str, ...], rng: random.Random) -> str:
    """One way an export writes a skill other than by its preferred label."""
    roll = rng.random()
    if alt_labels and roll < 0.3:
        return rng.choice(alt_labels)
    if roll < 0.55:
        return _typo(name, rng)
    if roll < 0.7:
        return rng.choice((name.upper(), name.title(), f" {name}. ", name.replace(" ", "-")))
    if roll < 0.85:
        return _reworded(name, rng)
    return f"{name} skills"


def generate_export(
    taxonomy: Taxonomy,
    *,
    employees: int,
    skills: int,
    free_share: float,
    seed: int,
    written_for: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The export; `written_for` collects each free-text name's skill (normalised name -> id)."""
    written_for = {} if written_for is None else written_for
    rng = random.Random(seed)
    occupations = [
        o
        for o in taxonomy.occupations.values()
        if len(o.essential_skill_ids) + len(o.optional_skill_ids) >= skills
    ]
    occupations.sort(key=lambda o: o.occupation_id)
    records = []
    for n in range(employees):
        occupation = rng.choice(occupations)
        pool = [
            s
            for s in (*occupation.essential_skill_ids, *occupation.optional_skill_ids)
            if s in taxonomy.skills and taxonomy.skills[s].exact
        ]
        chosen = rng.sample(pool, min(skills, len(pool)))
        refs = []
        for skill_id in chosen:
            skill = taxonomy.skills[skill_id]
            name = skill.label
            if rng.random() < free_share:
                name = _free_text(name, skill.alt_labels, rng)
                written_for.setdefault(normalize_label(name), skill_id)
            refs.append({"name": name, "level": rng.randint(1, 5)})
        if refs and rng.random() < 0.05:  # the same skill twice, once as another spelling
            again = taxonomy.skills[chosen[0]]
            refs[-1] = {"name": _free_text(again.label, again.alt_labels, rng), "level": 2}
            written_for.setdefault(normalize_label(refs[-1]["name"]), again.skill_id)
        title = (
            occupation.label
            if rng.random() < 0.6
            else rng.choice(occupation.alt_labels or (occupation.label,))
        )
        records.append(
            {
                "external_id": f"E{n:06d}",
                "name": f"Person {n}",
                "email": f"person{n}@example.com",
                "title": title,
                "department": rng.choice(DEPARTMENTS),
                "level": rng.choice(LEVELS),
                "location": rng.choice(LOCATIONS),
                "manager_external_id": f"E{rng.randrange(n):06d}" if n else None,
                "skills": refs,
                "availability_hours_per_week": rng.choice((0, 4, 8)),
                "open_to": ["gig", "mentorship"],
            }
        )
    return records


def names_of(records: list[dict[str, Any]]) -> list[str]:
    return [ref["name"] for record in records for ref in record["skills"]]


# --- the runs -------------------------------------------------------------------------------


def _environment(var_dir: Path, database: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TALENT_VAR_DIR=str(var_dir),
        TALENT_DATABASE_URL=f"sqlite:///{database}",
        TALENT_ADMIN_TOKEN=ADMIN_TOKEN,
        XDG_CONFIG_HOME=str(var_dir / "config"),
        TALENT_RATE_LIMIT_PER_MINUTE="0",
    )
    return env


def _talent() -> str:
    return str(Path(sys.executable).with_name("talent"))


def warm_up(var_dir: Path, database: Path) -> float:
    """Start a state once so the label and title vectors are in var/vectors."""
    script = (
        "from serving.settings import Settings\n"
        "from serving.state import build_state\n"
        "state = build_state(Settings(), index=False)\n"
        "state.warm_up()\n"
        "state.close()\n"
    )
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=_environment(var_dir, database), check=True
    )
    return time.perf_counter() - started


def run_cli(var_dir: Path, database: Path, export: Path, report: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [_talent(), "import", "employees", str(export), "--report", str(report)],
        cwd=REPO,
        env=_environment(var_dir, database),
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"CLI import failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    print(done.stdout.splitlines()[0] if done.stdout else "", flush=True)
    return took


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_http(var_dir: Path, database: Path, records: list[dict[str, Any]]) -> tuple[float, dict]:
    port = _free_port()
    env = _environment(var_dir, database)
    subprocess.run([_talent(), "init-db"], cwd=REPO, env=env, check=True, capture_output=True)
    log = (var_dir / f"serve-{port}.log").open("w")
    server = subprocess.Popen(
        [_talent(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        with httpx.Client(base_url=base, timeout=120.0, headers=headers) as client:
            _wait_ready(client, server)
            body = json.dumps(records).encode()
            started = time.perf_counter()
            answer = client.post(
                "/api/v1/employees/bulk",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            if answer.status_code != 202:
                raise SystemExit(f"bulk POST answered {answer.status_code}: {answer.text[:2000]}")
            job = answer.json()
            location = answer.headers.get("Location", f"/api/v1/imports/{job['job_id']}")
            shown = ""
            while job["status"] in ("queued", "running"):
                if time.perf_counter() - started > JOB_TIMEOUT_S:
                    raise SystemExit(f"import job still {job['status']} after {JOB_TIMEOUT_S} s")
                time.sleep(POLL_S)
                job = client.get(location).json()
                line = f"  http job: {job['phase']} {job['done']}/{job['total']}"
                if line != shown:
                    print(line, flush=True)
                    shown = line
            took = time.perf_counter() - started
            if job["status"] != "succeeded":
                raise SystemExit(f"import job {job['status']}: {json.dumps(job)[:3000]}")
            return took, job["result"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _wait_ready(client: httpx.Client, server: subprocess.Popen) -> None:
    deadline = time.perf_counter() + READY_TIMEOUT_S
    while time.perf_counter() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}) before it was ready")
        try:
            if client.get("/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not answer /healthz in time")


def encode_bound(taxonomy: Taxonomy, names: list[str]) -> tuple[float, int]:
    from matching.encoder import SentenceEncoder

    unique: dict[str, str] = {}
    for name in names:
        if taxonomy.lookup_label(name) is None:
            unique.setdefault(normalize_label(name), name.strip())
    encoder = SentenceEncoder()
    encoder.encode(["warm the model"])  # load it outside the timed part
    started = time.perf_counter()
    encoder.encode(list(unique.values()))
    return time.perf_counter() - started, len(unique)


def right_skill_share(report: dict[str, Any], written_for: dict[str, str]) -> str:
    """How many reported names became the skill they were written for, by method."""
    right: dict[str, list[int]] = {}
    for entry in report["names"]:
        meant = written_for.get(normalize_label(entry["name"]))
        if meant is not None:
            counts = right.setdefault(entry["method"], [0, 0])
            counts[0] += entry["skill_id"] == meant
            counts[1] += 1
    hits = sum(c[0] for c in right.values())
    asked = sum(c[1] for c in right.values())
    by_method = ", ".join(f"{m} {c[0] / c[1]:.3f} of {c[1]}" for m, c in sorted(right.items()))
    return f"{hits / max(asked, 1):.3f} of {asked} ({by_method})"


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return report.get("summary", report)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--skills", type=int, default=15)
    parser.add_argument("--free-share", type=float, default=1 / 3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-http", action="store_true", help="only the command line")
    args = parser.parse_args()

    taxonomy = load_packaged_taxonomy()
    written_for: dict[str, str] = {}
    records = generate_export(
        taxonomy,
        employees=args.employees,
        skills=args.skills,
        free_share=args.free_share,
        seed=args.seed,
        written_for=written_for,
    )
    names = names_of(records)
    distinct = {normalize_label(n) for n in names}
    print(
        f"export: {len(records)} employees, {len(names)} skill names, {len(distinct)} distinct",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        var_dir = Path(tmp) / "var"
        (var_dir / "vectors").mkdir(parents=True)
        for cached in (REPO / "var" / "vectors").glob("*.npy"):
            if cached.name.startswith(("skill-labels-", "occupation-titles-")):
                shutil.copy(cached, var_dir / "vectors" / cached.name)
        export = Path(tmp) / "employees.jsonl"
        export.write_text("".join(json.dumps(r) + "\n" for r in records))
        warm_s = warm_up(var_dir, Path(tmp) / "warm.db")
        print(f"warm-up (server start, label and title vectors): {warm_s:.1f} s", flush=True)

        report_path = Path(tmp) / "report.json"
        cli_s = run_cli(var_dir, Path(tmp) / "cli.db", export, report_path)
        full_report = json.loads(report_path.read_text())
        cli_report = _summary(full_report)
        print(f"cli: {cli_s:.1f} s; report {json.dumps(cli_report)}", flush=True)
        print(
            "reported names that became the skill they were written for: "
            + right_skill_share(full_report, written_for),
            flush=True,
        )

        http_s = float("nan")
        if not args.skip_http:
            http_s, result = run_http(var_dir, Path(tmp) / "http.db", records)
            http_report = _summary(result["report"])
            print(f"http: {http_s:.1f} s; report {json.dumps(http_report)}", flush=True)
            if result["created"] != len(records) or http_report != cli_report:
                print("the two imports disagree", flush=True)
                return 1

    bound_s, unique = encode_bound(taxonomy, names)
    print(f"encode bound: {unique} unique non-exact names in one batch, {bound_s:.1f} s")
    print(
        f"import: employees={len(records)} cli_s={cli_s:.1f} http_s={http_s:.1f} "
        f"names_per_s={len(names) / cli_s:.0f} unique_names={unique} "
        f"vs_encode_bound={cli_s / bound_s:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
