"""Resolve the skills named in incoming records to taxonomy ids (or new custom skills)."""

from __future__ import annotations

from typing import Protocol

from data.importing.errors import RowError
from data.schemas import SkillRef
from data.taxonomy.model import Taxonomy, TaxonomySkill
from data.taxonomy.normalizer import custom_skill_id


class SkillMatchLike(Protocol):
    skill_id: str
    label: str


class NormalizerLike(Protocol):
    def resolve(self, text: str) -> SkillMatchLike: ...


class SkillResolver:
    """Maps `{"name": ...}` skill references to ids: exact label, alt label, then the normaliser.

    Without a normaliser (no encoder loaded), an unmatched name becomes a custom skill.
    Skills created along the way are collected in `new_skills` for the caller to store in the
    same transaction as the records that use them.
    """

    def __init__(self, taxonomy: Taxonomy, normalizer: NormalizerLike | None = None) -> None:
        self.taxonomy = taxonomy
        self.normalizer = normalizer
        self.new_skills: dict[str, TaxonomySkill] = {}

    def resolve_refs(
        self, row: int, field: str, refs: list[SkillRef], errors: list[RowError]
    ) -> list[SkillRef]:
        resolved: list[SkillRef] = []
        seen: dict[str, int] = {}
        for index, ref in enumerate(refs):
            path = f"{field}.{index}"
            if ref.skill_id is not None:
                skill = self.taxonomy.skills.get(ref.skill_id) or self.new_skills.get(ref.skill_id)
                if skill is None:
                    errors.append(RowError(row, f"{path}.skill_id", "unknown skill id"))
                    continue
                skill_id, label = skill.skill_id, skill.label
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

    def _resolve_name(self, name: str) -> tuple[str, str]:
        exact = self.taxonomy.lookup_label(name)
        if exact is not None:
            return exact[0].skill_id, exact[0].label
        if self.normalizer is not None:
            match = self.normalizer.resolve(name)
            skill_id, label = match.skill_id, match.label
        else:
            skill_id, label = custom_skill_id(name), name.strip()
        if skill_id not in self.taxonomy.skills and skill_id not in self.new_skills:
            self.new_skills[skill_id] = TaxonomySkill(
                skill_id=skill_id, label=label, source="custom"
            )
        return skill_id, label
