"""Resolve the skills named in incoming records to taxonomy ids (or new custom skills)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from data.importing.errors import RowError
from data.schemas import SkillRef, normalize_label
from data.storage.skills import stored_skills
from data.taxonomy.model import Taxonomy, TaxonomySkill
from data.taxonomy.normalizer import custom_skill_id


class SkillMatchLike(Protocol):
    skill_id: str
    label: str


class NormalizerLike(Protocol):
    def resolve_many(self, texts: list[str]) -> Sequence[SkillMatchLike]: ...


class SkillResolver:
    """Maps skill references to ids: an id, an exact label or alt label of the taxonomy, a
    custom skill already stored under the same spelling, then the normaliser (all of one
    request's names in one batch), else a new custom skill.

    New custom skills are collected in `new_skills` for the caller to store, unreviewed, in the
    same transaction as the records that use them: nothing here touches the shared taxonomy,
    so a rejected request leaves no trace. `max_new_names` caps the free-text names one
    request may send through the normaliser (each costs an encoder pass, and each may become
    a new skill); the names past the cap are errors naming their field.

    `restricted` (anyone but an admin or an import): someone else's unreviewed custom skill
    is neither found by its id nor joined by typing its text. Otherwise a lead could type a
    guess ("Lucas Tanaka …") into a posting and see which masked candidate holds it, or learn
    from a 422 whether such a text exists. The same text typed by two people stays two skills
    until HR merges them; ids already on the record being edited stay usable.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        normalizer: NormalizerLike | None = None,
        *,
        max_new_names: int | None = None,
        created_by: str | None = None,
        restricted: bool = False,
    ) -> None:
        self.taxonomy = taxonomy
        self.normalizer = normalizer
        self.max_new_names = max_new_names
        self.created_by = created_by
        self.restricted = restricted
        self.held: set[str] = set()
        self.new_skills: dict[str, TaxonomySkill] = {}
        self._stored: dict[str, TaxonomySkill] = {}  # custom skills found in the database
        self._by_name: dict[str, tuple[str, str]] = {}  # normalised name -> (id, label)
        self._over_cap: set[str] = set()

    def prepare(
        self, session: Session, refs: Iterable[SkillRef], *, held: Iterable[str] = ()
    ) -> None:
        """Look up, in a few queries and one encoder batch, every skill these refs name
        (`held`: the skill ids the records being edited already hold)."""
        refs = list(refs)
        self.held |= set(held)
        wanted_ids = {r.skill_id for r in refs if r.skill_id and r.skill_id not in self.taxonomy}
        names: dict[str, str] = {}  # normalised -> first spelling seen
        for ref in refs:
            if ref.skill_id is None and ref.name:
                key = normalize_label(ref.name)
                if key not in self._by_name and self.taxonomy.lookup_label(ref.name) is None:
                    names.setdefault(key, ref.name.strip())
        customs = {key: custom_skill_id(name) for key, name in names.items()}
        scoped = {key: self._scoped(customs[key]) for key in names}
        lookup = wanted_ids | set(customs.values()) | set(scoped.values())
        stored = stored_skills(session, sorted(lookup))
        self._stored.update({k: v for k, v in stored.items() if self._usable(v)})
        unknown = []
        for key, name in names.items():
            if customs[key] in stored and customs[key] not in self._stored:
                customs[key] = scoped[key]  # someone else's unreviewed text: a skill apart
            found = self._stored.get(customs[key])
            if found is not None:
                self._by_name[key] = (found.skill_id, found.label)
            elif customs[key] == scoped[key]:
                self._by_name[key] = (scoped[key], name)  # new, and the caller's own
            else:
                unknown.append((key, name))
        if self.max_new_names is not None and len(unknown) > self.max_new_names:
            self._over_cap = {key for key, _ in unknown[self.max_new_names :]}
            unknown = unknown[: self.max_new_names]
        if self.normalizer is not None and unknown:
            matches = self.normalizer.resolve_many([name for _, name in unknown])
            for (key, _), match in zip(unknown, matches, strict=True):
                self._by_name[key] = (match.skill_id, match.label)

    def resolve_refs(
        self, row: int, field: str, refs: list[SkillRef], errors: list[RowError]
    ) -> list[SkillRef]:
        resolved: list[SkillRef] = []
        seen: dict[str, int] = {}
        for index, ref in enumerate(refs):
            path = f"{field}.{index}"
            if ref.skill_id is not None:
                skill = (
                    self.taxonomy.skill(ref.skill_id)  # a retired id becomes its successor
                    or self._stored.get(ref.skill_id)
                    or self.new_skills.get(ref.skill_id)
                )
                if skill is None:
                    errors.append(RowError(row, f"{path}.skill_id", "unknown skill id"))
                    continue
                skill_id, label = skill.skill_id, skill.label
            elif normalize_label(ref.name or "") in self._over_cap:
                errors.append(
                    RowError(
                        row,
                        f"{path}.name",
                        f"more than {self.max_new_names} skill names outside the taxonomy in "
                        "one request; pick taxonomy skills (GET /api/v1/skills/normalize) or "
                        "send the rest in another request",
                    )
                )
                continue
            else:
                skill_id, label = self._resolve_name(ref.name or "")
            if skill_id in seen:
                errors.append(
                    RowError(row, path, f"same skill as item {seen[skill_id]} ({label!r})")
                )
                continue
            seen[skill_id] = index
            resolved.append(SkillRef(skill_id=skill_id, name=label, level=ref.level))
        return resolved

    def _usable(self, skill: TaxonomySkill) -> bool:
        return (
            not self.restricted
            or skill.status == "reviewed"
            or skill.created_by == self.created_by
            or skill.skill_id in self.held
        )

    def _scoped(self, skill_id: str) -> str:
        """The caller's own id for a text someone else typed first (a short digest of who)."""
        who = hashlib.sha256((self.created_by or "").encode()).hexdigest()[:8]
        return f"{skill_id[: len('custom:') + 71]}.{who}"

    def _resolve_name(self, name: str) -> tuple[str, str]:
        exact = self.taxonomy.lookup_label(name)
        if exact is not None:
            return exact[0].skill_id, exact[0].label
        key = normalize_label(name)
        if key not in self._by_name:  # not prepared: resolve this one alone
            if self.normalizer is not None:
                match = self.normalizer.resolve_many([name])[0]
                self._by_name[key] = (match.skill_id, match.label)
            else:
                self._by_name[key] = (custom_skill_id(name), name.strip())
        skill_id, label = self._by_name[key]
        known = skill_id in self.taxonomy.skills or skill_id in self._stored
        if not known and skill_id not in self.new_skills:
            self.new_skills[skill_id] = TaxonomySkill(
                skill_id=skill_id, label=label, source="custom", status="unreviewed"
            )
        return skill_id, label
