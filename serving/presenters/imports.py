"""An import that runs as a background job, as its 202 answer."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from serving.schemas import ImportJobOut


def job_accepted(body: dict[str, Any]) -> JSONResponse:
    """202 with the job and where to poll it (a bulk route's response model is its 200's)."""
    job = ImportJobOut.model_validate(body)
    return JSONResponse(
        job.model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/api/v1/imports/{job.job_id}"},
    )
