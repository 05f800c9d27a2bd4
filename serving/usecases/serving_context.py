"""What a use case asks of the running service for one request: the live model of a direction
and a skill resolver credited to the caller. Plain functions of the state and the caller, so a
use case needs no FastAPI dependency to get them."""

from __future__ import annotations

from data.importing import SkillResolver
from data.schemas import Role
from serving.auth import Principal
from serving.errors import Unavailable
from serving.state import ServiceState
from training.live import LiveModel


def live_model(state: ServiceState, direction: str) -> LiveModel:
    """The ranker serving this direction; 503 (with the reason) when none could be loaded."""
    try:
        return state.rankers.get(direction)
    except KeyError:
        reason = state.rankers.problems.get(direction, "no model loaded")
        raise Unavailable(f"no {direction} ranker is available: {reason}") from None


def resolver_for(
    state: ServiceState, user: Principal, *, bulk: bool = False, job: bool = False
) -> SkillResolver:
    """Skill resolution for one request: new custom skills are credited to the caller, and the
    free-text names one request may introduce are capped (higher for an admin's bulk import,
    higher still for one running as a background job: it costs no request its time)."""
    settings = state.settings
    if job:
        cap = settings.max_new_skill_names_job
    else:
        cap = settings.max_new_skill_names_bulk if bulk else settings.max_new_skill_names
    return state.skill_resolver(
        created_by=user.actor, max_new_names=cap, restricted=user.role is not Role.ADMIN
    )
