"""Background import jobs: progress, then the report or the errors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from data.schemas import Role
from serving.deps import CurrentUser, StateDep
from serving.errors import API_ERRORS, NotFound, documented
from serving.schemas import ImportJobOut
from serving.usecases.imports import jobs_of

router = APIRouter(prefix="/api/v1/imports", tags=["imports"], responses=API_ERRORS)


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
    if row is None:
        raise NotFound(f"no import job {job_id!r}")
    return jobs.view(row)


def job_accepted(body: dict[str, Any]) -> JSONResponse:
    """202 with the job and where to poll it (a bulk route's response model is its 200's)."""
    job = ImportJobOut.model_validate(body)
    return JSONResponse(
        job.model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/api/v1/imports/{job.job_id}"},
    )
