"""Who the caller is (used by the web page to pick a view)."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import CurrentUser
from serving.errors import API_ERRORS

router = APIRouter(prefix="/api/v1/me", tags=["auth"], responses=API_ERRORS)


@router.get("")
def me(user: CurrentUser) -> dict[str, str | None]:
    return {"role": user.role.value, "subject_external_id": user.subject_external_id}
