"""Importers: JSONL/CSV files and API payloads into storage, all-or-nothing per file."""

from data.importing.errors import ImportRejected, RowError
from data.importing.files import read_records
from data.importing.service import import_employees, import_opportunities
from data.importing.skills import SkillResolver

__all__ = [
    "ImportRejected",
    "RowError",
    "SkillResolver",
    "import_employees",
    "import_opportunities",
    "read_records",
]
