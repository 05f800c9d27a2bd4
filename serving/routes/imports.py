"""Imports for an admin: an uploaded CSV or XLSX export (its columns, a dry run, the import as
a background job), and where a background import stands: progress, then the report or the
errors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from data.importing.mapping import propose_mapping
from data.importing.tables import MAX_ROWS
from data.schemas import ContractModel, Role
from serving.deps import CurrentUser, SessionDep, StateDep
from serving.errors import API_ERRORS, NotFound, documented
from serving.presenters.imports import job_accepted
from serving.schemas import ImportErrorOut, ImportJobOut, ImportReportOut
from serving.usecases import file_imports
from serving.usecases.imports import jobs_of

router = APIRouter(prefix="/api/v1/imports", tags=["imports"], responses=API_ERRORS)

Kind = Literal["employees", "opportunities"]
Header = Annotated[str, Field(max_length=200)]


class FileIn(ContractModel):
    """An export of people or postings: CSV or XLSX, its bytes in base64."""

    kind: Kind = Field(description="employees (people) or opportunities (postings)")
    filename: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00/\\]*$")] = Field(
        description="its name: the extension (.csv or .xlsx) says how to read it"
    )
    content: str = Field(description=f"the file's bytes, base64; at most {MAX_ROWS} rows")


class MappedFileIn(FileIn):
    mapping: dict[Header, Annotated[str, Field(max_length=64)] | None] | None = Field(
        default=None,
        description="column header -> contract field (null: not imported); default: proposed",
    )
    defaults: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=200)]] = (
        Field(
            default_factory=dict,
            description="one value for every row, for a required field no column holds "
            "(e.g. level)",
        )
    )


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldOut(Out):
    field: str
    label: str
    required: bool


class RememberedOut(Out):
    by: str
    at: str


class ColumnsOut(Out):
    kind: Kind
    filename: str
    rows: int = Field(description="rows of data under the header row")
    headers: list[str]
    samples: dict[str, list[str]] = Field(description="the first values of each column")
    fields: list[FieldOut] = Field(description="what a column can fill")
    mapping: dict[str, str | None] = Field(
        description="the mapping to start from: remembered for these columns, else proposed"
    )
    remembered: RememberedOut | None = Field(description="who saved this mapping, and when")


class RowErrorOut(Out):
    row: int = Field(description="the row in the file (the header is row 1)")
    field: str
    message: str


class SkillNoteOut(Out):
    row: int
    field: str
    text: str = Field(description="the skill as written in the cell")
    note: str = Field(description="what reading it had to assume")


class DryRunOut(Out):
    kind: Kind
    rows: int
    create: int = Field(description="records that would be new")
    update: int = Field(description="records already stored, that the file changes")
    unchanged: int = Field(description="records already stored exactly as the file gives them")
    review_threshold: float | None = Field(
        description="a skill name read with a lower score is kept as a custom skill, for review"
    )
    errors: list[RowErrorOut] = Field(description="every invalid field (first 1,000)")
    error_count: int
    skill_notes: list[SkillNoteOut] = Field(description="skills cells read with a guess")
    skill_note_count: int
    report: ImportReportOut


@router.post("/files/columns", response_model=ColumnsOut, responses=documented(400, 403, 415))
def file_columns(session: SessionDep, user: CurrentUser, body: FileIn) -> dict[str, Any]:
    """The file's header row, and the mapping of its columns to start from (the one saved for
    these columns, else one proposed from Workday-, SuccessFactors-style or contract names)."""
    user.require(Role.ADMIN)
    table = file_imports.uploaded_table(body.filename, body.content)
    return file_imports.columns(session, body.kind, body.filename, table)


class DryRunJobOut(Out):
    job_id: str
    kind: Kind
    status: Literal["queued", "running", "succeeded", "failed"]
    phase: str = Field(description="what it is doing now")
    done: int
    total: int = Field(description="rows in the file")
    created_at: str
    finished_at: str | None
    result: DryRunOut | None = Field(description="succeeded: what the import would do")
    errors: list[ImportErrorOut] | None = Field(description="failed: why")


@router.post(
    "/files/dry-run",
    response_model=DryRunOut,
    responses={
        202: {"model": DryRunJobOut, "description": "a large file: runs as a job to poll"},
        **documented(400, 403, 415),
    },
)
def file_dry_run(
    state: StateDep,
    user: CurrentUser,
    body: MappedFileIn,
    wait: Annotated[
        bool | None,
        Query(description="false: always run as a job (202); default: only large files"),
    ] = None,
) -> Any:
    """What importing the file would do (new and updated records, skills merged, names
    resolved, new custom skills, errors by row and field), with nothing written. A file of
    more than `TALENT_BULK_SYNC_RECORDS` rows (or `wait=false`) answers 202 with a job:
    `GET /api/v1/imports/files/dry-run/{job_id}` shows its progress, then the same answer."""
    user.require(Role.ADMIN)
    table = file_imports.uploaded_table(body.filename, body.content)
    mapped = file_imports.mapped_rows(body.kind, table, body.mapping, body.defaults)
    if wait is False or (wait is None and len(table.rows) > state.settings.bulk_sync_records):
        job = DryRunJobOut.model_validate(file_imports.dry_run_job(state, user, body.kind, mapped))
        return JSONResponse(
            job.model_dump(mode="json"),
            status_code=202,
            headers={"Location": f"/api/v1/imports/files/dry-run/{job.job_id}"},
        )
    return file_imports.dry_run(state, user, body.kind, mapped)


@router.get("/files/dry-run/{job_id}", response_model=DryRunJobOut, responses=documented(403, 404))
def file_dry_run_job(
    state: StateDep,
    user: CurrentUser,
    job_id: Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")],
) -> dict[str, Any]:
    """Where a dry run stands: queued, running (phase, rows done), then what the import would
    do (nothing is written)."""
    user.require(Role.ADMIN)
    return file_imports.dry_run_view(state, job_id)


@router.post(
    "/files",
    status_code=202,
    response_model=ImportJobOut,
    responses=documented(400, 403, 415),
)
def file_import(
    state: StateDep, session: SessionDep, user: CurrentUser, body: MappedFileIn
) -> JSONResponse:
    """Import the file as a background job (poll `GET /api/v1/imports/{job_id}`; its errors'
    `index` + 1 is the row in the file) and remember the mapping for files with these columns."""
    user.require(Role.ADMIN)
    table = file_imports.uploaded_table(body.filename, body.content)
    mapping = body.mapping or propose_mapping(body.kind, table.headers)
    mapped = file_imports.mapped_rows(body.kind, table, mapping, body.defaults)
    return job_accepted(
        file_imports.start_import(
            state, session, user, body.kind, table, mapping, mapped, filename=body.filename
        )
    )


@router.get("/{job_id}", response_model=ImportJobOut, responses=documented(403, 404))
def read(
    state: StateDep,
    user: CurrentUser,
    job_id: Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")],
) -> dict[str, Any]:
    """Where a bulk import stands: queued, running (phase, records done), then succeeded (the
    counts and the import report) or failed (every invalid field; nothing was written)."""
    user.require(Role.ADMIN)
    jobs = jobs_of(state)
    row = jobs.get(job_id)
    if row is None or row.kind.startswith(file_imports.DRY_RUN):
        raise NotFound(f"no import job {job_id!r}")
    return jobs.view(row)
