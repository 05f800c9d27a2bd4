"""Write a demo company as files in the data contract, byte-identical for the same inputs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from pydantic import BaseModel

from data.demo.company import DemoCompany
from data.private_files import make_private, private_dir

EMPLOYEES_FILE = "employees.jsonl"
OPPORTUNITIES_FILE = "opportunities.jsonl"
INTERACTIONS_FILE = "interactions.jsonl"
COURSES_FILE = "courses.jsonl"
TRUE_FIT_FILE = "true_fit.npz"
MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1


def _write_jsonl(path: Path, records: Iterable[BaseModel]) -> int:
    count = 0
    make_private(path)  # people and their demographics: the owner's alone (0600)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as out:
        for record in records:
            payload = record.model_dump(mode="json", exclude_none=True)
            out.write(json.dumps(payload, sort_keys=True, ensure_ascii=False))
            out.write("\n")
            count += 1
    return count


def export_jsonl(company: DemoCompany, directory: str | Path) -> dict[str, Path]:
    """employees/opportunities/interactions .jsonl, true_fit.npz and manifest.json in `directory`.

    Records are written as the API would accept them (no None fields, keys sorted). The manifest
    holds only what determines the content (no wall-clock time), so exports compare byte-wise.

    The course catalog goes to `directory / COURSES_FILE` and is listed in the manifest's
    `files`; the returned mapping keeps the v1 keys (the contract files, the true fit and the
    manifest) that callers already rely on.
    """
    directory = private_dir(Path(directory))
    paths = {
        "employees": directory / EMPLOYEES_FILE,
        "opportunities": directory / OPPORTUNITIES_FILE,
        "interactions": directory / INTERACTIONS_FILE,
        "true_fit": directory / TRUE_FIT_FILE,
        "manifest": directory / MANIFEST_FILE,
    }
    _write_jsonl(paths["employees"], company.employees)
    _write_jsonl(paths["opportunities"], company.opportunities)
    _write_jsonl(paths["interactions"], company.interactions)
    courses_path = directory / COURSES_FILE
    _write_jsonl(courses_path, company.courses)
    company.save_true_fit(paths["true_fit"])
    make_private(paths["true_fit"])
    summary = company.summary()
    manifest = {
        "format_version": FORMAT_VERSION,
        "generator": "data.demo",
        "seed": company.seed,
        "as_of": company.as_of.isoformat(),
        "taxonomy_version": company.taxonomy_version,
        "sizes": {
            "employees": len(company.employees),
            "opportunities": len(company.opportunities),
            "interactions": len(company.interactions),
        },
        "opportunities": summary["opportunities"],
        "interactions": summary["interactions"],
        "courses": summary["courses"],
        "bias": asdict(company.bias),
        "history": asdict(company.history),
        "personas": company.personas,
        "files": {
            **{name: path.name for name, path in paths.items() if name != "manifest"},
            "courses": courses_path.name,
        },
    }
    paths["manifest"].write_text(
        json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return paths
