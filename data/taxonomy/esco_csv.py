"""Read the official ESCO CSV download (the files a customer brings) into a `Taxonomy`.

Files, for language "en":
- `skills_en.csv` (required): conceptUri, preferredLabel, skillType, and optionally altLabels
  (one per line inside the field), description, definition.
- `occupations_en.csv` (optional): conceptUri, preferredLabel, optionally altLabels, description.
- `occupationSkillRelations_en.csv` (optional, needs the occupations): occupationUri,
  relationType ("essential" | "optional"), skillUri.
Other columns (reuseLevel, status, inScheme, iscoGroup, code, ...) are ignored, so newer ESCO
releases that add columns still load.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from data.taxonomy.model import Taxonomy, TaxonomyOccupation, TaxonomySkill

SKILL_URI = "http://data.europa.eu/esco/skill/"
OCCUPATION_URI = "http://data.europa.eu/esco/occupation/"
SKILL_TYPES = {"skill/competence": "skill", "knowledge": "knowledge"}
RELATION_TYPES = ("essential", "optional")
_ID_PART = re.compile(r"^[A-Za-z0-9._-]{1,80}$")


class EscoCsvError(ValueError):
    """A problem at a known place in an ESCO CSV file."""

    def __init__(self, file: str, row: int, column: str | None, problem: str) -> None:
        self.file, self.row, self.column, self.problem = file, row, column, problem
        where = f"{file}, row {row}" + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class _Row:
    file: str
    number: int  # 1 is the header, as a spreadsheet shows it; a row may span several lines
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    def required(self, column: str) -> str:
        value = self.get(column)
        if not value:
            raise EscoCsvError(self.file, self.number, column, "empty value")
        return value

    def error(self, column: str, problem: str) -> EscoCsvError:
        return EscoCsvError(self.file, self.number, column, problem)


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[_Row]:
    # utf-8-sig: a file saved by a spreadsheet may start with a byte-order mark.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        if not header:
            raise EscoCsvError(path.name, 1, None, "empty file, expected a header row")
        missing = [column for column in required if column not in header]
        if missing:
            raise EscoCsvError(
                path.name, 1, missing[0], f"missing required column(s) {', '.join(missing)}"
            )
        for number, values in enumerate(reader, start=2):
            if None in values:  # DictReader files surplus fields under the key None
                raise EscoCsvError(path.name, number, None, "more fields than the header has")
            yield _Row(path.name, number, values)


def _concept_id(row: _Row, column: str, prefix: str) -> str:
    uri = row.required(column)
    uuid = uri.removeprefix(prefix)
    if uuid == uri or not _ID_PART.match(uuid):
        raise row.error(column, f"expected a URI like {prefix}<uuid>, got {uri!r}")
    return f"esco:{uuid}"


def _alt_labels(row: _Row, label: str) -> tuple[str, ...]:
    # ESCO puts one alternative label per line inside the quoted field.
    seen = {label}
    alts = []
    for line in row.get("altLabels").splitlines():
        alt = line.strip()
        if alt and alt not in seen:
            seen.add(alt)
            alts.append(alt)
    return tuple(alts)


def _description(row: _Row) -> str:
    # ESCO fills `description`; `definition` is mostly empty but is the formal text when present.
    return row.get("description") or row.get("definition")


def _read_skills(path: Path) -> dict[str, TaxonomySkill]:
    skills: dict[str, TaxonomySkill] = {}
    for row in _rows(path, ("conceptUri", "preferredLabel", "skillType")):
        skill_id = _concept_id(row, "conceptUri", SKILL_URI)
        if skill_id in skills:
            raise row.error("conceptUri", f"duplicate skill {skill_id}")
        raw_type = row.get("skillType")
        # A handful of ESCO concepts carry no type; keep them rather than refuse the file.
        if raw_type and raw_type not in SKILL_TYPES:
            raise row.error("skillType", f"expected one of {sorted(SKILL_TYPES)}, got {raw_type!r}")
        label = row.required("preferredLabel")
        skills[skill_id] = TaxonomySkill(
            skill_id=skill_id,
            label=label,
            alt_labels=_alt_labels(row, label),
            skill_type=SKILL_TYPES.get(raw_type, "unknown"),
            description=_description(row),
        )
    return skills


def _read_occupations(path: Path) -> dict[str, TaxonomyOccupation]:
    occupations: dict[str, TaxonomyOccupation] = {}
    for row in _rows(path, ("conceptUri", "preferredLabel")):
        occupation_id = _concept_id(row, "conceptUri", OCCUPATION_URI)
        if occupation_id in occupations:
            raise row.error("conceptUri", f"duplicate occupation {occupation_id}")
        label = row.required("preferredLabel")
        occupations[occupation_id] = TaxonomyOccupation(
            occupation_id=occupation_id,
            label=label,
            alt_labels=_alt_labels(row, label),
            description=_description(row),
        )
    return occupations


def _read_relations(
    path: Path,
    occupations: dict[str, TaxonomyOccupation],
    skills: dict[str, TaxonomySkill],
) -> dict[str, TaxonomyOccupation]:
    essential: dict[str, dict[str, None]] = {key: {} for key in occupations}
    optional: dict[str, dict[str, None]] = {key: {} for key in occupations}
    for row in _rows(path, ("occupationUri", "relationType", "skillUri")):
        occupation_id = _concept_id(row, "occupationUri", OCCUPATION_URI)
        skill_id = _concept_id(row, "skillUri", SKILL_URI)
        relation = row.required("relationType")
        if relation not in RELATION_TYPES:
            raise row.error("relationType", f"expected essential or optional, got {relation!r}")
        if occupation_id not in occupations:
            raise row.error("occupationUri", f"occupation {occupation_id} is not in the file")
        if skill_id not in skills:
            raise row.error("skillUri", f"skill {skill_id} is not in the skills file")
        # Dicts keep the file's order and drop repeats.
        (essential if relation == "essential" else optional)[occupation_id][skill_id] = None
    return {
        key: TaxonomyOccupation(
            occupation_id=occupation.occupation_id,
            label=occupation.label,
            alt_labels=occupation.alt_labels,
            description=occupation.description,
            essential_skill_ids=tuple(essential[key]),
            # A skill listed both ways counts as essential: the stronger claim wins.
            optional_skill_ids=tuple(s for s in optional[key] if s not in essential[key]),
        )
        for key, occupation in occupations.items()
    }


def read_esco_csv(directory: Path, *, language: str = "en") -> Taxonomy:
    """Load an ESCO CSV download; ValueError (EscoCsvError) names file, row and column."""
    directory = Path(directory)
    skills_path = directory / f"skills_{language}.csv"
    occupations_path = directory / f"occupations_{language}.csv"
    relations_path = directory / f"occupationSkillRelations_{language}.csv"
    if not skills_path.is_file():
        raise FileNotFoundError(f"{skills_path} not found: an ESCO CSV download has it")

    skills = _read_skills(skills_path)
    occupations = _read_occupations(occupations_path) if occupations_path.is_file() else {}
    if relations_path.is_file():
        if not occupations_path.is_file():
            raise ValueError(f"{relations_path.name} needs {occupations_path.name} beside it")
        occupations = _read_relations(relations_path, occupations, skills)

    digest = hashlib.sha256()
    for path in (skills_path, occupations_path, relations_path):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return Taxonomy.build(
        skills.values(), occupations.values(), version=f"esco-csv-{digest.hexdigest()[:16]}"
    )
