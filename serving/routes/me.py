"""Who the caller is (used by the web page to pick a view)."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import CurrentUser
from serving.errors import API_ERRORS
from serving.schemas import MeOut

router = APIRouter(prefix="/api/v1/me", tags=["auth"], responses=API_ERRORS)


@router.get("", response_model=MeOut)
def me(user: CurrentUser) -> dict[str, str | None]:
    return {"role": user.role.value, "subject_external_id": user.subject_external_id}
