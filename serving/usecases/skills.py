"""HR's review of the custom skills people typed: approve (under a clean label), merge into a
taxonomy skill, or reject; and the suggestions a person may see of their own unreviewed ones.

Each decision is an oversight event. The index and the vocabulary everyone is suggested follow
after the commit: moved profiles are re-indexed, renamed or merged ids are retired.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from data.schemas import normalize_label
from data.storage import skills as stored
from data.storage.tables import SkillRow
from data.taxonomy.normalizer import custom_skill_id
from fairness.policy import log_event
from serving.auth import Principal
from serving.errors import Conflict, InvalidField, NotFound
from serving.state import ServiceState
from serving.unit_of_work import after_commit
from serving.usecases.indexing import reindex


def own_unreviewed(session: Session, user: Principal, text: str) -> SkillRow | None:
    """The caller's own unreviewed custom skill with this spelling, if there is one."""
    row = stored.skill_row(session, custom_skill_id(text))
    if row is not None and row.status == "unreviewed" and row.created_by == user.actor:
        return row
    return None


def review_skill(
    state: ServiceState,
    session: Session,
    user: Principal,
    skill_id: str,
    *,
    decision: str,
    label: str | None,
    into: str | None,
    reason: str,
) -> dict[str, Any]:
    row = stored.lock_skill(session, skill_id)  # two reviews at once: one after the other
    if row is None or row.source != "custom":
        raise NotFound(f"no custom skill {skill_id!r}")
    before = {"status": row.status, "label": row.label}
    result: dict[str, Any] = {"skill_id": skill_id}
    if decision == "merge":
        target = stored.skill_row(session, into) if into else None
        if target is None or target.status != "reviewed" or target.skill_id == skill_id:
            raise InvalidField("into", "must name another reviewed skill")
        moved = _move(state, session, skill_id, target.skill_id)
        result |= {"merged_into": target.skill_id, **moved}
    else:
        if into is not None:
            raise InvalidField("into", "only a merge names a skill to merge into")
        if decision == "approve":
            if row.status == "reviewed" and label in (None, row.label):
                raise Conflict(f"{skill_id!r} is reviewed already")
            row = _publish(state, session, row, label or row.label)
            result["published_as"] = row.skill_id
        else:
            stored.reject_skill(row)
            after_commit(session, lambda: state.normalizer.retire(skill_id))
        result |= {"status": row.status, "label": row.label}
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="skill_review",
        reason=reason,
        details={"skill_id": skill_id, "decision": decision, "before": before, **result},
    )
    return result


def _publish(state: ServiceState, session: Session, row: SkillRow, label: str) -> SkillRow:
    """Approve a custom skill under `label`. A custom skill's id is made from the text typed,
    so a new label gets a new id, and every profile and opportunity moves to it: the old id
    would still spell out what was typed (a name, say)."""
    new_id = custom_skill_id(label)
    if new_id != row.skill_id:
        target = stored.reviewed_custom_skill(session, new_id, label, created_by=row.created_by)
        _move(state, session, row.skill_id, new_id)
        row = target
    stored.publish_skill(row, label)
    published = stored.skill_from_row(row)
    after_commit(session, lambda: state.normalizer.add_reviewed(published))
    return row


def _move(state: ServiceState, session: Session, source: str, target: str) -> dict[str, int]:
    """Every holder of `source` holds `target` instead; says how many moved."""
    employees, opportunities = stored.merge_skill(session, source, target)
    after_commit(
        session,
        lambda: reindex(state, employee_rows=employees, opportunity_rows=opportunities),
    )
    after_commit(session, lambda: state.normalizer.retire(source))
    return {"profiles": len(employees), "opportunities": len(opportunities)}


def add_alias(
    state: ServiceState, session: Session, user: Principal, alias: str, skill_id: str, reason: str
) -> dict[str, Any]:
    """A company's own name for a skill ("k8s" -> Kubernetes). The name is then resolved to
    the skill in every import and edit, before ESCO's alt labels; a custom skill already made
    from that name is merged into the skill (its holders follow)."""
    key = normalize_label(alias)
    if not key:
        raise InvalidField("alias", "must contain letters or digits")
    target = state.taxonomy.skill(skill_id)
    if target is None:
        raise InvalidField("skill_id", "must name a reviewed skill (ESCO or custom)")
    found = state.taxonomy.lookup_label(alias)
    if found is not None and found[1] == "label" and found[0].skill_id != target.skill_id:
        raise Conflict(
            f"{alias!r} is the preferred label of {found[0].skill_id!r}; an alias cannot take it"
        )
    moved = {"profiles": 0, "opportunities": 0}
    typed = custom_skill_id(alias)
    if typed != target.skill_id and stored.skill_row(session, typed) is not None:
        moved = _move(state, session, typed, target.skill_id)
    stored.add_alias(session, key, alias.strip(), target.skill_id, user.actor)
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="skill_alias",
        reason=reason,
        details={"alias": alias.strip(), "skill_id": target.skill_id, "merged": moved},
    )
    after_commit(session, lambda: state.taxonomy.add_name_alias(alias, target.skill_id))
    return {
        "alias": alias.strip(),
        "skill_id": target.skill_id,
        "label": target.label,
        "merged_custom_skill": typed if moved["profiles"] or moved["opportunities"] else None,
        **moved,
    }


def remove_alias(
    state: ServiceState, session: Session, user: Principal, alias: str, reason: str
) -> dict[str, Any]:
    """Forget an alias; the answer names what it pointed at."""
    row = stored.alias_row(session, normalize_label(alias))
    if row is None:
        raise NotFound(f"no alias {alias!r}")
    log_event(
        session,
        actor_role=user.role.value,
        actor=user.actor,
        action="skill_alias_removed",
        reason=reason,
        details={"alias": row.alias, "skill_id": row.skill_id},
    )
    skill = state.taxonomy.skill(row.skill_id)
    removed = {"alias": row.alias, "skill_id": row.skill_id, "label": skill.label if skill else ""}
    stored.delete_alias(session, row)
    after_commit(session, lambda: state.taxonomy.remove_name_alias(alias))
    return removed
