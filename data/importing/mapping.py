"""Map an export's columns onto the data contract: propose a mapping from the header row
(Workday-style "Employee ID", "Worker", "Supervisory Organization"; SuccessFactors-style
"userId", "firstName", "managerId"; or this project's own field names), check the one an admin
settled on, and turn each row into a contract record.

A skills cell holds several skills ("Python; SQL (4); Excel (advanced)"): each becomes a
`{name, level}` entry. What the reading had to guess is said, row by row, as a note (a level
assumed, a bracket read as part of a name, a comma kept inside a name); a date that reads two
ways (03/04/2021) is an error naming its field, never a guess."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from data.importing.errors import RowError
from data.importing.tables import Cell, Table, cell_text, normal_header

KINDS = ("employees", "opportunities")
DEFAULT_SKILL_LEVEL = 3  # "working": what a skill listed without a level is taken to be
LEVEL_WORDS = {
    "aware": 1,
    "awareness": 1,
    "basic": 2,
    "beginner": 2,
    "novice": 2,
    "elementary": 2,
    "intermediate": 3,
    "working": 3,
    "competent": 3,
    "advanced": 4,
    "proficient": 4,
    "strong": 4,
    "expert": 5,
    "master": 5,
}
SKILL_ID_PREFIXES = ("esco:", "custom:", "tool:", "toolcat:")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    label: str  # what the page calls it
    kind: str  # text | int | number | date | list | kinds | lower | skills
    headers: tuple[str, ...] = ()  # other names for it, normalised (normal_header)
    required: bool = False


# Person: first and last name are read into `name` (SuccessFactors exports them apart).
EMPLOYEE_FIELDS: dict[str, FieldSpec] = {
    "external_id": FieldSpec(
        "Employee ID",
        "text",
        (
            "employeeid",
            "workerid",
            "userid",
            "personid",
            "personnumber",
            "employeenumber",
            "employeeno",
            "empid",
            "id",
        ),
        True,
    ),
    "name": FieldSpec(
        "Name",
        "text",
        (
            "worker",
            "legalname",
            "fullname",
            "employeename",
            "workername",
            "preferredname",
            "displayname",
        ),
        True,
    ),
    "first_name": FieldSpec("First name", "text", ("firstname", "givenname", "legalfirstname")),
    "last_name": FieldSpec("Last name", "text", ("lastname", "familyname", "surname")),
    "email": FieldSpec(
        "E-mail", "text", ("emailaddress", "workemail", "primaryworkemail", "businessemail")
    ),
    "title": FieldSpec(
        "Job title", "text", ("businesstitle", "jobtitle", "position", "positiontitle"), True
    ),
    "department": FieldSpec(
        "Department",
        "text",
        ("supervisoryorganization", "departmentname", "organization", "orgunit", "division"),
        True,
    ),
    "level": FieldSpec(
        "Job level (1-7)",
        "int",
        ("joblevel", "grade", "jobgrade", "managementlevel", "paygrade", "careerlevel"),
        True,
    ),
    "location": FieldSpec(
        "Location", "text", ("worklocation", "office", "city", "primaryworklocation"), True
    ),
    "timezone": FieldSpec("Time zone", "text", ("timezone",)),
    "manager_external_id": FieldSpec(
        "Manager's employee ID",
        "text",
        ("managerid", "manageremployeeid", "supervisorid", "reportstoid", "manageruserid"),
    ),
    "hire_date": FieldSpec(
        "Hire date", "date", ("hiredate", "originalhiredate", "dateofhire", "startdate")
    ),
    "skills": FieldSpec("Skills", "skills", ("skill", "competencies", "skillset")),
    "interests": FieldSpec("Interests", "list", ("careerinterests",)),
    "aspirations": FieldSpec("Aspirations", "text", ("careeraspirations", "careergoals")),
    "bio": FieldSpec("About (bio)", "text", ("about",)),
    "availability_hours_per_week": FieldSpec(
        "Hours a week free", "number", ("availablehours", "hoursavailable", "availability")
    ),
    "open_to": FieldSpec("Open to (gig, mentorship, role)", "kinds", ()),
    # Self-reported and stored apart: proposed only for columns named as the contract names
    # them, never guessed from an HR export's "Gender".
    "demographics.gender": FieldSpec("Gender (self-reported)", "text"),
    "demographics.race_ethnicity": FieldSpec("Race or ethnicity (self-reported)", "text"),
    "demographics.age_band": FieldSpec("Age band (self-reported)", "text"),
    "demographics.disability": FieldSpec("Disability (self-reported)", "text"),
}

OPPORTUNITY_FIELDS: dict[str, FieldSpec] = {
    "external_id": FieldSpec(
        "Posting ID",
        "text",
        (
            "id",
            "postingid",
            "opportunityid",
            "jobrequisitionid",
            "requisitionid",
            "reqid",
            "jobid",
            "jobpostingid",
        ),
        True,
    ),
    "kind": FieldSpec(
        "Kind (gig, mentorship, role)", "lower", ("type", "opportunitytype", "postingtype"), True
    ),
    "title": FieldSpec("Title", "text", ("jobtitle", "postingtitle", "jobpostingtitle"), True),
    "description": FieldSpec("Description", "text", ("jobdescription", "details")),
    "owner_external_id": FieldSpec(
        "Lead's employee ID",
        "text",
        ("ownerid", "owner", "hiringmanagerid", "leadid", "managerid", "postedby"),
        True,
    ),
    "department": FieldSpec("Department", "text", ("supervisoryorganization", "organization")),
    "location": FieldSpec("Location", "text", ("worklocation", "primarylocation")),
    "required_skills": FieldSpec(
        "Required skills", "skills", ("skills", "musthaveskills", "required")
    ),
    "preferred_skills": FieldSpec(
        "Preferred skills", "skills", ("nicetohaveskills", "optionalskills", "preferred")
    ),
    "hours_per_week": FieldSpec("Hours a week", "number", ("hours", "weeklyhours"), True),
    "duration_weeks": FieldSpec("Duration (weeks)", "int", ("weeks", "duration")),
    "start_date": FieldSpec("Start date", "date", ("start",)),
    "level_min": FieldSpec("Lowest level", "int", ("minlevel", "minimumlevel")),
    "level_max": FieldSpec("Highest level", "int", ("maxlevel", "maximumlevel")),
    "seats": FieldSpec("Seats", "int", ("openings", "numberofopenings", "positions")),
    "status": FieldSpec("Status (draft, open, filled, closed)", "lower", ()),
}

# A company's past (`talent import history`, data/importing/history.py): one event a row, an
# applicant-tracking system's "Candidate ID, Requisition ID, Stage, Date" or this contract's own.
HISTORY_FIELDS: dict[str, FieldSpec] = {
    "employee_external_id": FieldSpec(
        "Employee ID",
        "text",
        (
            "employeeid",
            "candidateid",
            "applicantid",
            "workerid",
            "personid",
            "personnumber",
            "employeenumber",
            "empid",
            "userid",
        ),
        True,
    ),
    "opportunity_external_id": FieldSpec(
        "Posting ID",
        "text",
        (
            "postingid",
            "opportunityid",
            "jobrequisitionid",
            "requisitionid",
            "reqid",
            "jobid",
            "jobpostingid",
            "gigid",
            "projectid",
        ),
        True,
    ),
    "type": FieldSpec(
        "Event (applied, shortlisted, offer, hired, completed...)",
        "text",
        ("event", "eventtype", "stage", "status", "step", "action", "disposition", "outcome"),
        True,
    ),
    "occurred_at": FieldSpec(
        "Date",
        "date",
        ("date", "eventdate", "stagedate", "statusdate", "effectivedate", "timestamp", "when"),
        True,
    ),
    "rating": FieldSpec("Rating (1-5)", "int", ("score", "performancerating", "feedbackrating")),
}

FIELDS = {
    "employees": EMPLOYEE_FIELDS,
    "opportunities": OPPORTUNITY_FIELDS,
    "history": HISTORY_FIELDS,
}
# Fields no default may fill: each row says who or what it is.
NO_DEFAULT = {
    "external_id",
    "name",
    "first_name",
    "last_name",
    "email",
    "skills",
    "required_skills",
    "preferred_skills",
    "manager_external_id",
    "title",
}


class MappingProblem(ValueError):
    """The mapping cannot import this file: `field` names where (mapping or defaults)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field, self.message = field, message


@dataclass(frozen=True, slots=True)
class SkillNote:
    row: int
    field: str
    text: str  # the entry as written
    note: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Mapped:
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # cells that cannot be read
    notes: list[SkillNote] = field(default_factory=list)


def field_list(kind: str) -> list[dict[str, Any]]:
    return [
        {"field": name, "label": spec.label, "required": spec.required}
        for name, spec in FIELDS[kind].items()
    ]


def propose_mapping(kind: str, headers: list[str]) -> dict[str, str | None]:
    """Each column's field (None: not imported), the first column claiming a field winning
    ('Worker' before 'Legal Name')."""
    fields = FIELDS[kind]
    taken: set[str] = set()
    proposed: dict[str, str | None] = {}
    for header in headers:
        key = normal_header(header)
        choice = next(
            (
                name
                for name, spec in fields.items()
                if name not in taken and key in (normal_header(name), *spec.headers)
            ),
            None,
        )
        proposed[header] = choice
        if choice is not None:
            taken.add(choice)
    if {"name", "first_name"} <= taken:
        # 'Worker' and 'First Name' both: the full name is the one to keep.
        for header, chosen in proposed.items():
            if chosen in ("first_name", "last_name"):
                proposed[header] = None
    return proposed


def check_mapping(
    kind: str, headers: list[str], mapping: dict[str, str | None], defaults: dict[str, str]
) -> None:
    fields = FIELDS[kind]
    for header, chosen in mapping.items():
        if header not in headers:
            raise MappingProblem("mapping", f"the file has no column {header!r}")
        if chosen is not None and chosen not in fields:
            raise MappingProblem("mapping", f"{chosen!r} is not a field of {kind}")
    used: dict[str, str] = {}
    for header, chosen in mapping.items():
        if chosen is None:
            continue
        if chosen in used:
            raise MappingProblem(
                "mapping",
                f"{used[chosen]!r} and {header!r} both fill {fields[chosen].label.lower()}: "
                "choose one",
            )
        used[chosen] = header
    if "external_id" in fields and "external_id" not in used:  # history rows have none
        raise MappingProblem(
            "mapping",
            f"no column is mapped to {fields['external_id'].label}: each row needs the id "
            "that names it in later imports",
        )
    for name in defaults:
        if name not in fields or name in NO_DEFAULT:
            raise MappingProblem("defaults", f"{name!r} cannot be given one value for every row")
    has = set(used) | {name for name, value in defaults.items() if value.strip()}
    if "first_name" in has or "last_name" in has:
        if "name" in has:
            raise MappingProblem("mapping", "map either a full name or first and last names")
        has.add("name")
    missing = [spec.label for name, spec in fields.items() if spec.required and name not in has]
    if missing:
        raise MappingProblem(
            "mapping",
            "no column is mapped to "
            + ", ".join(missing)
            + ": map a column, or give one value for every row",
        )


def apply_mapping(
    kind: str, table: Table, mapping: dict[str, str | None], defaults: dict[str, str]
) -> Mapped:
    """The rows as contract records (after `check_mapping`)."""
    fields = FIELDS[kind]
    columns = [(i, mapping.get(h)) for i, h in enumerate(table.headers)]
    # A column of dates is written one way: a row whose day is past 12 settles it for all.
    orders = {
        name: _date_order([cells[i] for _, cells in table.rows if i < len(cells)])
        for i, name in columns
        if name is not None and fields[name].kind == "date"
    }
    out = Mapped()
    for row, cells in table.rows:
        record: dict[str, Any] = {}
        values: dict[str, Cell] = {name: value for name, value in defaults.items() if value.strip()}
        for index, name in columns:
            if name is not None and index < len(cells) and cell_text(cells[index]):
                values[name] = cells[index]
        for name, cell in values.items():
            try:
                value = _convert(fields[name].kind, cell, row, name, out.notes, orders.get(name))
            except ValueError as exc:
                out.errors.append(RowError(row, name, str(exc)))
                continue
            _put(record, name, value)
        first, last = record.pop("first_name", None), record.pop("last_name", None)
        if first or last:
            record["name"] = " ".join(part for part in (first, last) if part)
        out.records.append((row, record))
    return out


def parse_skills(
    text: str, row: int, field_name: str, notes: list[SkillNote]
) -> list[dict[str, Any]]:
    """'Python; SQL (4); Excel (advanced)' -> [{name, level}, ...]; also this project's own
    'name:level' and taxonomy ids ('esco:...:2')."""
    # A comma separates skills only in a cell without semicolons, bars or line breaks.
    parts = re.split(r"[;|\n]", text) if re.search(r"[;|\n]", text) else text.split(",")
    out = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        name, level = _skill_and_level(part, row, field_name, notes)
        key = "skill_id" if name.startswith(SKILL_ID_PREFIXES) else "name"
        out.append({key: name, "level": level})
    return out


def _skill_and_level(
    part: str, row: int, field_name: str, notes: list[SkillNote]
) -> tuple[str, int]:
    bracket = re.fullmatch(r"(.+?)\s*[(\[]\s*([^()\[\]]*?)\s*[)\]]", part)
    if bracket:
        name, inside = bracket.group(1).strip(), bracket.group(2).strip().casefold()
        if inside.isdigit():
            return name, int(inside)  # out of 1-5: the contract's check names the field
        if inside in LEVEL_WORDS:
            return name, LEVEL_WORDS[inside]
        notes.append(
            SkillNote(
                row,
                field_name,
                part,
                f"'({bracket.group(2).strip()})' is no level: read as part of the name, "
                f"level {DEFAULT_SKILL_LEVEL} assumed",
            )
        )
        return part, DEFAULT_SKILL_LEVEL
    colon = re.fullmatch(r"(.+?)\s*[:=]\s*(\d+)", part)
    if colon:
        return colon.group(1).strip(), int(colon.group(2))
    dash = re.fullmatch(r"(.+?)\s+-\s+(\w+)", part)
    if dash and dash.group(2).casefold() in LEVEL_WORDS:
        return dash.group(1).strip(), LEVEL_WORDS[dash.group(2).casefold()]
    if "," in part:
        notes.append(
            SkillNote(
                row,
                field_name,
                part,
                "holds a comma but skills are separated by ';': read as one skill",
            )
        )
    notes.append(
        SkillNote(row, field_name, part, f"no level given: level {DEFAULT_SKILL_LEVEL} assumed")
    )
    return part, DEFAULT_SKILL_LEVEL


def _convert(
    kind: str,
    cell: Cell,
    row: int,
    name: str,
    notes: list[SkillNote],
    date_order: str | None = None,
) -> Any:
    text = cell_text(cell)
    if kind == "skills":
        return parse_skills(text, row, name, notes)
    if kind == "date":
        return _date(cell, text, date_order)
    if kind == "int":
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            return int(cell) if float(cell).is_integer() else cell
        digits = re.fullmatch(r"\D*?(\d+)\D*", text)  # 'P3', 'Level 4', 'M2' -> the number
        return int(digits.group(1)) if digits else text
    if kind == "number":
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            return cell
        number = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*[a-zA-Z/ ]*", text)  # '8', '7.5 h'
        return float(number.group(1).replace(",", ".")) if number else text
    if kind in ("list", "kinds"):
        items = [p.strip() for p in re.split(r"[;,|\n]", text) if p.strip()]
        return [i.casefold() for i in items] if kind == "kinds" else items
    if kind == "lower":
        return text.casefold()
    return text


SLASHED_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")


def _date_order(cells: list[Cell]) -> str | None:
    """'dm' (31/01/2024), 'md' (01/31/2024), or None: the column never says, or says both."""
    seen = set()
    for cell in cells:
        slashed = SLASHED_DATE.fullmatch(cell_text(cell)) if isinstance(cell, str) else None
        if slashed:
            first, second = int(slashed.group(1)), int(slashed.group(2))
            if first > 12:
                seen.add("dm")
            elif second > 12:
                seen.add("md")
    return seen.pop() if len(seen) == 1 else None


def _date(cell: Cell, text: str, order: str | None = None) -> str:
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    slashed = SLASHED_DATE.fullmatch(text)
    if not slashed:
        return text  # YYYY-MM-DD, or the contract's check says what is wrong
    first, second, year = (int(g) for g in slashed.groups())
    if first > 12 or first == second or (order == "dm" and second <= 12):
        day, month = first, second
    elif second > 12 or order == "md":
        month, day = first, second
    else:
        raise ValueError(
            f"{text} could be day {first} of month {second} or the other way round: "
            "write dates as YYYY-MM-DD"
        )
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError as exc:
        raise ValueError(f"{text} is no date") from exc


def _put(record: dict[str, Any], name: str, value: Any) -> None:
    *parents, leaf = name.split(".")
    target = record
    for parent in parents:
        target = target.setdefault(parent, {})
    target[leaf] = value
