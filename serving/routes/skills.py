"""Free text → taxonomy skills."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from serving.deps import CurrentUser, StateDep
from serving.errors import InvalidField

router = APIRouter(prefix="/api/v1/skills", tags=["skills"])


@router.get("/normalize")
def normalize(
    state: StateDep,
    _user: CurrentUser,
    q: Annotated[str, Query(min_length=1, max_length=200, description="free-text skill")],
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    if not q.strip():
        raise InvalidField("q", "must contain more than white space")
    matches = state.normalizer.suggest(q, limit=limit)
    return {
        "query": q,
        "items": [
            {
                "skill_id": m.skill_id,
                "label": m.label,
                "score": round(m.score, 4),
                "method": m.method,
            }
            for m in matches
        ],
    }
