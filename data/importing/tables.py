"""Read an uploaded CSV or XLSX export into a header row and rows of cells, refusing with a
reason a person can act on: a file type other than CSV or XLSX, an empty file, a first row that
is data rather than column names, repeated column names, a sheet that is not a spreadsheet.

Cells keep what the file says: text, and for XLSX numbers and dates as the spreadsheet stores
them (mapping.py turns them into the contract's values)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

MAX_ROWS = 10_000  # as the bulk API: larger exports go in several files (or `talent import`)
# Only commas, semicolons (European Excel) and tabs separate columns: a pipe or a semicolon
# inside a skills cell must not be taken for one.
DELIMITERS = ",;\t"
Cell = str | int | float | dt.date | dt.datetime | None


class FileProblem(ValueError):
    """The file cannot be read as a table; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Cell]]]  # (row number in the file, the header being row 1; cells)

    def samples(self, limit: int = 3) -> dict[str, list[str]]:
        """The first non-empty values of each column, as text (shown beside the mapping)."""
        out: dict[str, list[str]] = {header: [] for header in self.headers}
        for _, cells in self.rows:
            for header, cell in zip(self.headers, cells, strict=False):
                text = cell_text(cell)
                if text and len(out[header]) < limit and text not in out[header]:
                    out[header].append(text[:80])
        return out


def read_table(filename: str, content: bytes) -> Table:
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        kind = f"a {suffix} file" if suffix else "a file without an extension"
        raise FileProblem(
            f"{kind} cannot be imported here: upload a CSV (.csv) or Excel (.xlsx) file"
        )
    if not content.strip():
        raise FileProblem("the file is empty")
    grid = _csv_grid(content) if suffix == ".csv" else _xlsx_grid(content)
    numbered = [(number, cells) for number, cells in grid if any(cell_text(c) for c in cells)]
    if not numbered:
        raise FileProblem("the file holds no values")
    header_row, first = numbered[0]
    headers = [cell_text(c) for c in first]
    while headers and not headers[-1]:
        headers.pop()  # trailing empty columns (spreadsheets keep formatted ones)
    _check_headers(headers, header_row)
    rows = [(number, list(cells[: len(headers)])) for number, cells in numbered[1:]]
    if not rows:
        raise FileProblem("the file has a header row but no rows of data under it")
    if len(rows) > MAX_ROWS:
        raise FileProblem(
            f"the file has {len(rows)} rows; at most {MAX_ROWS} can be imported at once"
        )
    return Table(headers, rows)


def header_key(headers: Sequence[str]) -> str:
    """The same columns, however spelled or ordered, give the same key."""
    names = sorted(normal_header(h) for h in headers if h)
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()


def normal_header(text: str) -> str:
    """'Employee ID', 'employee_id' and 'EmployeeId' all read 'employeeid'."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def cell_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a spreadsheet's 1042.0 is the id 1042
    return str(cell).strip()


def _check_headers(headers: list[str], row: int) -> None:
    if sum(1 for h in headers if h) < 2 or any(_looks_like_data(h) for h in headers if h):
        raise FileProblem(
            f"row {row} should name the columns (for example 'Employee ID', 'Worker', "
            "'Business Title'), but it reads like data: add a header row"
        )
    seen: dict[str, str] = {}
    for position, header in enumerate(headers, start=1):
        if not header:
            raise FileProblem(f"column {position} of the header row has no name")
        key = normal_header(header)
        if key in seen:
            raise FileProblem(f"two columns are named alike: {seen[key]!r} and {header!r}")
        seen[key] = header


def _looks_like_data(text: str) -> bool:
    """A value rather than a column name: a number, a date, an e-mail address."""
    return bool(re.fullmatch(r"[\d.,:/ -]+|[^@\s]+@[^@\s]+", text))


def _csv_grid(content: bytes) -> list[tuple[int, list[Cell]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the local code page.
        text = content.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise FileProblem("the file is not text: upload a CSV (.csv) or Excel (.xlsx) file")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return [(reader.line_num, list(cells)) for cells in reader]
    except csv.Error as exc:
        raise FileProblem(f"line {reader.line_num} cannot be read as CSV: {exc}") from exc


def _xlsx_grid(content: bytes) -> list[tuple[int, list[Cell]]]:
    from openpyxl import load_workbook

    unreadable = FileProblem(
        "the file is not a readable Excel workbook (.xlsx); save it again as .xlsx or CSV"
    )
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise unreadable
    # A damaged or foreign archive fails deep inside openpyxl in many ways (KeyError, XML
    # errors, TypeError): whichever it is, the answer to the person is the same.
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]  # the first sheet: where exports put their table
            return [
                (number, list(cells))
                for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
        finally:
            book.close()
    except Exception as exc:
        raise unreadable from exc
