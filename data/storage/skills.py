"""The skills table: a copy of the taxonomy plus company-specific (custom) skills."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Container, Iterable
from typing import Any

from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from data.storage.locks import begin_write, is_sqlite, lock_rows
from data.storage.queries import chunked, rows_by_key, rows_in, scalars_in
from data.storage.tables import (
    CourseSkillRow,
    EmployeeRow,
    EmployeeSkillRow,
    OpportunityRow,
    OpportunitySkillRow,
    PipelineRow,
    ServiceMetaRow,
    SkillAliasRow,
    SkillProposalRow,
    SkillRow,
)
from data.taxonomy.model import Taxonomy, TaxonomySkill

BULK_ROWS = 2000  # rows per INSERT statement: one round trip each, bounded memory
WHOLE_TABLE_ROWS = 5000  # upserting more skills than this reads the whole table at once


def count_skills(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SkillRow)) or 0


_REFRESHED = ("label", "alt_labels", "skill_type", "description", "source")


def upsert_skills(
    session: Session, skills: Iterable[TaxonomySkill], *, created_by: str | None = None
) -> int:
    """Insert new skills and refresh labels of known ones; returns how many were written
    (inserted, or refreshed because something changed).

    A known skill keeps its review status: importing the taxonomy again does not undo HR's
    review of a custom skill. `created_by` is recorded on the rows this call inserts.

    Written in bulk (one multi-row INSERT and one executemany UPDATE, unchanged rows left
    alone): the packaged taxonomy's ~22.8k skills took 17 s on SQLite and 40 s on PostgreSQL
    one ORM object at a time."""
    incoming = {skill.skill_id: skill for skill in skills}
    columns = [getattr(SkillRow, name) for name in ("skill_id", *_REFRESHED)]
    if len(incoming) > WHOLE_TABLE_ROWS:
        # a taxonomy: one scan of the table (26 IN-list queries of 900 ids took 23 s on
        # PostgreSQL here, the scan well under one)
        found = session.execute(select(*columns)).all()
    else:
        found = rows_in(session, select(*columns), SkillRow.skill_id, list(incoming))
    stored = {row.skill_id: row for row in found if row.skill_id in incoming}
    new: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for skill_id, skill in incoming.items():
        values: dict[str, object] = {
            "label": skill.label,
            "alt_labels": list(skill.alt_labels),
            "skill_type": skill.skill_type,
            "description": skill.description,
            "source": skill.source,
        }
        row = stored.get(skill_id)
        if row is None:
            new.append(
                {"skill_id": skill_id, **values, "status": skill.status, "created_by": created_by}
            )
        elif any(getattr(row, name) != values[name] for name in _REFRESHED):
            changed.append({"skill_id": skill_id, **values})
    for chunk in chunked(range(len(new)), BULK_ROWS):
        session.execute(insert(SkillRow), [new[i] for i in chunk])
    if changed:
        session.execute(update(SkillRow), changed)
        # rows this session holds as objects must not keep their old labels
        for changed_id in {c["skill_id"] for c in changed}:
            held = session.identity_map.get(session.identity_key(SkillRow, changed_id))
            if held is not None:
                session.expire(held)
    session.flush()
    return len(new) + len(changed)


def skill_rows(session: Session, skill_ids: list[str]) -> dict[str, SkillRow]:
    return rows_by_key(session, SkillRow, SkillRow.skill_id, skill_ids)


def stored_skills(session: Session, skill_ids: list[str]) -> dict[str, TaxonomySkill]:
    """The stored skills among these ids, whatever their review status."""
    return {k: skill_from_row(row) for k, row in skill_rows(session, skill_ids).items()}


def existing_skill_ids(session: Session, skill_ids: list[str]) -> set[str]:
    return set(scalars_in(session, select(SkillRow.skill_id), SkillRow.skill_id, skill_ids))


def load_taxonomy(
    session: Session,
    *,
    version: str = "db",
    statuses: tuple[str, ...] = ("reviewed",),
    base: Taxonomy | None = None,
) -> Taxonomy:
    """The stored skills everyone may be suggested (ESCO, imported, and custom skills HR
    reviewed); pass other `statuses` to include unreviewed or rejected ones.

    `base` (the packaged taxonomy) contributes what the table does not hold: occupations,
    retired-id aliases, the tools' categories and the skills each category goes with, and
    per skill whether its label is exact and its run-together alt text. The company's name
    aliases ("k8s") are read from the database."""
    rows = session.scalars(
        select(SkillRow).where(SkillRow.status.in_(statuses)).order_by(SkillRow.skill_id)
    )
    skills = []
    for row in rows:
        skill = skill_from_row(row)
        known = base.skills.get(row.skill_id) if base is not None else None
        if known is not None:
            # A label the company changed (an ESCO CSV import) is exact by definition.
            skill = dataclasses.replace(
                skill,
                exact=known.exact or row.label != known.label,
                alt_text=known.alt_text,
                legacy=known.legacy,
            )
        skills.append(skill)
    taxonomy = Taxonomy.build(
        skills,
        base.occupations.values() if base is not None else (),
        version=version,
        aliases=base.aliases if base is not None else None,
    )
    if base is not None:  # the tools' categories and what each category goes with
        taxonomy.tool_categories = {
            tool: category
            for tool, category in base.tool_categories.items()
            if tool in taxonomy.skills and category in taxonomy.skills
        }
        taxonomy.category_skills = {
            category: tuple(s for s in skills if s in taxonomy.skills)
            for category, skills in base.category_skills.items()
            if category in taxonomy.skills
        }
    for alias in session.scalars(select(SkillAliasRow).order_by(SkillAliasRow.alias_key)):
        if alias.skill_id in taxonomy.skills:
            taxonomy.add_name_alias(alias.alias, alias.skill_id)
    return taxonomy


def name_aliases(session: Session) -> dict[str, str]:
    """The company's own names for skills: normalised alias -> skill id."""
    return dict(session.execute(select(SkillAliasRow.alias_key, SkillAliasRow.skill_id)).all())


def alias_rows(session: Session) -> list[SkillAliasRow]:
    return list(session.scalars(select(SkillAliasRow).order_by(SkillAliasRow.alias_key)))


def alias_row(session: Session, alias_key: str) -> SkillAliasRow | None:
    return session.get(SkillAliasRow, alias_key)


def add_alias(
    session: Session, alias_key: str, alias: str, skill_id: str, created_by: str
) -> SkillAliasRow:
    row = session.get(SkillAliasRow, alias_key)
    if row is None:
        row = SkillAliasRow(alias_key=alias_key)
        session.add(row)
    row.alias, row.skill_id, row.created_by = alias, skill_id, created_by
    session.flush()
    return row


def delete_alias(session: Session, row: SkillAliasRow) -> None:
    """Forget a company's name for a skill."""
    session.delete(row)


def custom_skills_by_use(session: Session, *, status: str, limit: int) -> list[SkillRow]:
    """Custom skills in one review status, the most held (by people and postings) first."""
    held = (
        select(EmployeeSkillRow.skill_id.label("skill_id"))
        .union_all(select(OpportunitySkillRow.skill_id))
        .subquery()
    )
    uses = select(held.c.skill_id, func.count().label("uses")).group_by(held.c.skill_id).subquery()
    query = (
        select(SkillRow)
        .outerjoin(uses, uses.c.skill_id == SkillRow.skill_id)
        .where(SkillRow.source == "custom", SkillRow.status == status)
        .order_by(func.coalesce(uses.c.uses, 0).desc(), SkillRow.skill_id)
        .limit(limit)
    )
    if status == "unreviewed":
        query = query.where(_in_use())
    return list(session.scalars(query))


TAXONOMY_VERSION_KEY = "packaged_taxonomy_version"


@dataclasses.dataclass(frozen=True, slots=True)
class CustomSkillMerge:
    """A custom skill a newer taxonomy now names, merged into that skill."""

    custom_id: str
    custom_label: str  # as typed
    skill_id: str
    label: str
    kind: str  # "O*NET tool" | "O*NET tool category" | "ESCO skill"
    profiles: int
    opportunities: int

    def describe(self) -> str:
        return f"custom skill {self.custom_label!r} merged into {self.label} ({self.kind})"


@dataclasses.dataclass(frozen=True, slots=True)
class TaxonomySync:
    previous: str | None  # the version the table held (None: an empty table)
    written: int  # skills inserted or refreshed
    retired: dict[str, str]  # retired id -> successor, for ids stored profiles held
    merged: tuple[CustomSkillMerge, ...] = ()  # custom skills the taxonomy now names

    def lines(self) -> list[str]:
        """What the sync changed that a person should hear about."""
        out = [m.describe() for m in self.merged]
        if self.retired:
            out.append(f"{len(self.retired)} retired skill ids moved to their successors")
        return out


def sync_packaged_taxonomy(session: Session, taxonomy: Taxonomy) -> TaxonomySync | None:
    """Load a packaged taxonomy the skills table does not hold yet; None if it already does.

    Every packaged skill is inserted or refreshed (custom skills and their review status are
    left alone), profiles, postings and courses holding a retired id move to its successor,
    and a custom skill whose name the taxonomy's O*NET layer now knows ("tableau", typed
    before Tableau was a tool) merges into that skill, its holders with it. Nothing stored is
    lost when the taxonomy grows; all of it happens in the caller's transaction."""
    meta = session.get(ServiceMetaRow, TAXONOMY_VERSION_KEY)
    if meta is not None and meta.value == taxonomy.version:
        return None
    previous = meta.value if meta is not None else None
    written = upsert_skills(session, taxonomy.skills.values())
    stored = existing_skill_ids(session, list(taxonomy.aliases))
    retired = {old: taxonomy.aliases[old] for old in sorted(stored)}
    for old, new in retired.items():
        merge_skill(session, old, new)
    merged = tuple(_merge_named_customs(session, taxonomy))
    if meta is None:
        session.add(ServiceMetaRow(key=TAXONOMY_VERSION_KEY, value=taxonomy.version))
    else:
        meta.value = taxonomy.version
    session.flush()
    return TaxonomySync(previous, written, retired, merged)


def _named_by_onet(taxonomy: Taxonomy, label: str) -> TaxonomySkill | None:
    """The O*NET tool, category, or ESCO skill that took O*NET's names, this label names."""
    found = taxonomy.lookup_label(label)
    if found is None or found[1] not in ("label", "alt_label"):
        return None
    skill = found[0]
    if skill.source == "onet" or skill.skill_id in taxonomy.tool_categories:
        return skill
    return None


def _merge_named_customs(session: Session, taxonomy: Taxonomy) -> list[CustomSkillMerge]:
    customs = session.execute(
        select(SkillRow.skill_id, SkillRow.label)
        .where(SkillRow.source == "custom")
        .order_by(SkillRow.skill_id)
    ).all()
    merges = []
    for custom_id, custom_label in customs:
        target = _named_by_onet(taxonomy, custom_label)
        if target is None or target.skill_id == custom_id:
            continue
        employees, opportunities = merge_skill(session, custom_id, target.skill_id)
        kind = {"tool": "O*NET tool", "tool_category": "O*NET tool category"}.get(
            target.skill_type, "ESCO skill"
        )
        merges.append(
            CustomSkillMerge(
                custom_id,
                custom_label,
                target.skill_id,
                target.label,
                kind,
                len(set(employees)),
                len(set(opportunities)),
            )
        )
    return merges


def _row_from_skill(skill: TaxonomySkill, created_by: str | None) -> SkillRow:
    return SkillRow(
        skill_id=skill.skill_id,
        label=skill.label,
        alt_labels=list(skill.alt_labels),
        skill_type=skill.skill_type,
        description=skill.description,
        source=skill.source,
        status=skill.status,
        created_by=created_by,
    )


def skill_from_row(row: SkillRow) -> TaxonomySkill:
    return TaxonomySkill(
        skill_id=row.skill_id,
        label=row.label,
        alt_labels=tuple(row.alt_labels or ()),
        skill_type=row.skill_type,
        description=row.description,
        source=row.source,
        status=row.status,
        created_by=row.created_by,
    )


def skill_row(session: Session, skill_id: str) -> SkillRow | None:
    return session.get(SkillRow, skill_id)


def lock_skill(session: Session, skill_id: str) -> SkillRow | None:
    """The skill, locked until the transaction ends and as stored now (two HR reviews of one
    skill run one after the other: the second sees what the first decided)."""
    begin_write(session)
    query = select(SkillRow).where(SkillRow.skill_id == skill_id)
    if not is_sqlite(session):
        # NO KEY: a profile edit adding the skill meanwhile (its foreign key takes a key-share
        # lock on this row) neither waits for the review nor deadlocks with it.
        query = query.with_for_update(key_share=True)
    return session.scalar(query.execution_options(populate_existing=True))


def reviewed_custom_skill(
    session: Session, skill_id: str, label: str, *, created_by: str | None
) -> SkillRow:
    """The reviewed custom skill `skill_id`, made if it does not exist yet."""
    row = session.get(SkillRow, skill_id)
    if row is None:
        row = SkillRow(skill_id=skill_id, label=label, source="custom", created_by=created_by)
        session.add(row)
    row.status, row.label = "reviewed", label
    session.flush()
    return row


def publish_skill(row: SkillRow, label: str) -> None:
    """A custom skill HR approved under `label`."""
    row.status, row.label = "reviewed", label


def reject_skill(row: SkillRow) -> None:
    """A custom skill HR rejected (the caller retires it from suggestions after the commit)."""
    row.status = "rejected"


def reviewed_since(
    session: Session, since: dt.datetime, *, known: Container[str]
) -> list[TaxonomySkill]:
    """Skills reviewed (or imported) since `since` that are not among the `known` ids (only
    their ids are read for the rest: a fresh import stamps every skill)."""
    ids = session.scalars(
        select(SkillRow.skill_id).where(
            SkillRow.status == "reviewed", SkillRow.updated_at >= since.astimezone(dt.UTC)
        )
    )
    new = [skill_id for skill_id in ids if skill_id not in known]
    return [skill_from_row(row) for row in skill_rows(session, new).values()]


def reviewed_custom_ids(session: Session) -> set[str]:
    query = select(SkillRow.skill_id).where(
        SkillRow.source == "custom", SkillRow.status == "reviewed"
    )
    return set(session.scalars(query))


def custom_skills(
    session: Session, *, status: str, limit: int, after_id: str = ""
) -> list[SkillRow]:
    """Custom skills in one review status, in id order after `after_id` (a cursor)."""
    query = (
        select(SkillRow)
        .where(SkillRow.source == "custom", SkillRow.status == status, SkillRow.skill_id > after_id)
        .order_by(SkillRow.skill_id)
        .limit(limit)
    )
    if status == "unreviewed":  # a name nothing holds any more waits for nobody's review
        query = query.where(_in_use())
    return list(session.scalars(query))


def _in_use() -> Any:
    """Whether a profile, posting, course or skill proposal holds the skill row."""
    return or_(
        *(
            exists().where(table.skill_id == SkillRow.skill_id)
            for table in (EmployeeSkillRow, OpportunitySkillRow, CourseSkillRow, SkillProposalRow)
        )
    )


def unreviewed_held(session: Session, employee_id: int) -> list[str]:
    """The custom skill names a profile holds that HR has not reviewed yet."""
    query = (
        select(SkillRow.skill_id)
        .join(EmployeeSkillRow, EmployeeSkillRow.skill_id == SkillRow.skill_id)
        .where(
            EmployeeSkillRow.employee_id == employee_id,
            SkillRow.source == "custom",
            SkillRow.status == "unreviewed",
        )
    )
    return list(session.scalars(query))


def forget_unused_custom(session: Session, skill_ids: Iterable[str], *, created_by: str) -> int:
    """Delete the unreviewed custom skills among `skill_ids` that `created_by` typed and nothing
    holds any more (a profile dropped them): they leave HR's review queue and the table. Their
    aliases go with them. Returns how many went."""
    ids = list(skill_ids)
    if not ids:
        return 0
    unused = list(
        session.scalars(
            select(SkillRow.skill_id).where(
                SkillRow.skill_id.in_(ids),
                SkillRow.source == "custom",
                SkillRow.status == "unreviewed",
                SkillRow.created_by == created_by,
                ~_in_use(),
            )
        )
    )
    if unused:
        session.execute(delete(SkillAliasRow).where(SkillAliasRow.skill_id.in_(unused)))
        session.execute(delete(SkillRow).where(SkillRow.skill_id.in_(unused)))
        session.flush()
    return len(unused)


def skill_uses(session: Session, skill_ids: list[str]) -> dict[str, dict[str, int]]:
    """How many profiles and opportunities hold each skill."""
    uses = {s: {"profiles": 0, "opportunities": 0} for s in skill_ids}
    for table, name in ((EmployeeSkillRow, "profiles"), (OpportunitySkillRow, "opportunities")):
        query = select(table.skill_id, func.count()).group_by(table.skill_id)
        for skill_id, count in rows_in(session, query, table.skill_id, skill_ids):
            uses[skill_id][name] = count
    return uses


def merge_skill(session: Session, source: str, target: str) -> tuple[list[int], list[int]]:
    """Point every profile, opportunity, course, skill proposal and confirmation of completed
    work that holds `source` at `target` instead (keeping the higher level where both are
    held; required wins over preferred) and delete `source`. Returns the employee and
    opportunity row ids changed.

    The profiles and postings holding `source` are locked first, as every edit of them does,
    so a merge and an edit of one profile run one after the other (not a deadlock)."""
    _lock_holders(session, source)
    employees: list[int] = []
    for row in session.scalars(select(EmployeeSkillRow).where(EmployeeSkillRow.skill_id == source)):
        both = session.get(EmployeeSkillRow, (row.employee_id, target))
        if both is None:
            session.add(
                EmployeeSkillRow(
                    employee_id=row.employee_id,
                    skill_id=target,
                    level=row.level,
                    position=row.position,
                )
            )
        else:
            both.level = max(both.level, row.level)
        session.delete(row)
        employees.append(row.employee_id)
    opportunities: list[int] = []
    query = select(OpportunitySkillRow).where(OpportunitySkillRow.skill_id == source)
    for asked in session.scalars(query):
        asked_too = session.get(OpportunitySkillRow, (asked.opportunity_id, target))
        if asked_too is None:
            session.add(
                OpportunitySkillRow(
                    opportunity_id=asked.opportunity_id,
                    skill_id=target,
                    level=asked.level,
                    required=asked.required,
                    position=asked.position,
                )
            )
        else:
            asked_too.level = max(asked_too.level, asked.level)
            asked_too.required = asked_too.required or asked.required
        session.delete(asked)
        opportunities.append(asked.opportunity_id)
    for taught in session.scalars(select(CourseSkillRow).where(CourseSkillRow.skill_id == source)):
        if session.get(CourseSkillRow, (taught.course_id, target)) is None:
            session.add(
                CourseSkillRow(
                    course_id=taught.course_id,
                    skill_id=target,
                    level_from=taught.level_from,
                    level_to=taught.level_to,
                    position=taught.position,
                )
            )
        session.delete(taught)
    # The company's own names for the skill, completed work's confirmations and the profile
    # updates they propose follow the skill.
    session.execute(
        update(SkillAliasRow)
        .where(SkillAliasRow.skill_id == source)
        .values(skill_id=target)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(SkillProposalRow)
        .where(SkillProposalRow.skill_id == source)
        .values(skill_id=target)
        .execution_options(synchronize_session=False)
    )
    used = select(PipelineRow).where(PipelineRow.skills_used.is_not(None))
    for pair in session.scalars(used):
        if any(entry.get("skill_id") == source for entry in pair.skills_used or []):
            pair.skills_used = [
                {**entry, "skill_id": target} if entry.get("skill_id") == source else entry
                for entry in pair.skills_used or []
            ]
    session.flush()
    stale = session.get(SkillRow, source)
    if stale is not None:
        session.delete(stale)
    _touch(session, EmployeeRow, employees)
    _touch(session, OpportunityRow, opportunities)
    session.flush()
    return employees, opportunities


def _lock_holders(session: Session, skill_id: str) -> None:
    begin_write(session)
    people = (
        select(EmployeeRow.external_id)
        .join(EmployeeSkillRow, EmployeeSkillRow.employee_id == EmployeeRow.id)
        .where(EmployeeSkillRow.skill_id == skill_id)
    )
    postings = (
        select(OpportunityRow.external_id)
        .join(OpportunitySkillRow, OpportunitySkillRow.opportunity_id == OpportunityRow.id)
        .where(OpportunitySkillRow.skill_id == skill_id)
    )
    lock_rows(session, EmployeeRow, list(session.scalars(people)))
    lock_rows(session, OpportunityRow, list(session.scalars(postings)))


def _touch(
    session: Session, table: type[EmployeeRow] | type[OpportunityRow], row_ids: list[int]
) -> None:
    """Mark rows changed, so other processes' freshness polls and snapshots see the edit, and
    count the write in their `version` (a writer that read them before reads them again)."""
    for chunk in chunked(row_ids):
        session.execute(
            update(table)
            .where(table.id.in_(chunk))
            .values(updated_at=func.now(), version=table.version + 1)
        )
