"""Read JSONL, JSON-array or CSV files into plain records in the data-contract shape.

CSV conventions (one row per record): list columns (`interests`, `open_to`) hold values
separated by `;`; skill columns (`skills`, `required_skills`, `preferred_skills`) hold
`name-or-id:level` pairs separated by `;` (e.g. `Python:4;esco:ccd0a1d9-...:2`); nested fields
use dotted headers (`demographics.gender`). Empty cells are treated as absent.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from data.importing.errors import ImportRejected, RowError

LIST_COLUMNS = {"interests", "open_to"}
SKILL_COLUMNS = {"skills", "required_skills", "preferred_skills"}

Record = tuple[int, dict[str, Any]]  # (row number, record)


def read_records(path: Path) -> list[Record]:
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8-sig")
    if suffix == ".csv":
        return _read_csv(text)
    if suffix == ".json":
        return _read_json_array(text)
    if suffix in {".jsonl", ".ndjson"}:
        return _read_jsonl(text)
    raise ImportRejected(
        [RowError(0, "", f"unsupported file type {suffix!r}: use .jsonl, .json, .csv or .xlsx")]
    )


def _read_jsonl(text: str) -> list[Record]:
    records: list[Record] = []
    errors: list[RowError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(RowError(number, "", f"invalid JSON: {exc.msg} at column {exc.colno}"))
            continue
        if not isinstance(value, dict):
            errors.append(RowError(number, "", "each line must be a JSON object"))
            continue
        records.append((number, value))
    if errors:
        raise ImportRejected(errors)
    return records


def _read_json_array(text: str) -> list[Record]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected([RowError(exc.lineno, "", f"invalid JSON: {exc.msg}")]) from exc
    if not isinstance(value, list):
        raise ImportRejected([RowError(0, "", "a .json file must hold an array of objects")])
    return [(index + 1, item) for index, item in enumerate(value)]


def _read_csv(text: str) -> list[Record]:
    reader = csv.DictReader(text.splitlines())
    records: list[Record] = []
    errors: list[RowError] = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            errors.append(RowError(number, "", "more cells than header columns"))
            continue
        try:
            records.append((number, _csv_record(row)))
        except ValueError as exc:
            field, message = exc.args
            errors.append(RowError(number, field, message))
    if errors:
        raise ImportRejected(errors)
    return records


def _csv_record(row: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column, raw in row.items():
        cell = (raw or "").strip()
        if not cell:
            continue
        if column in LIST_COLUMNS:
            value: Any = [part.strip() for part in cell.split(";") if part.strip()]
        elif column in SKILL_COLUMNS:
            value = [_csv_skill(column, index, part) for index, part in enumerate(cell.split(";"))]
        else:
            value = cell
        target = record
        *parents, leaf = column.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return record


def _csv_skill(column: str, index: int, text: str) -> dict[str, Any]:
    name, sep, level = text.strip().rpartition(":")
    if not sep or not name.strip() or not level.strip().isdigit():
        raise ValueError(f"{column}.{index}", f"expected 'skill:level', got {text.strip()!r}")
    key = "skill_id" if name.startswith(("esco:", "custom:", "tool:", "toolcat:")) else "name"
    return {key: name.strip(), "level": int(level)}
