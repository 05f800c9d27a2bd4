"""In-memory skills taxonomy: skills, occupations and the exact label lookup the normaliser uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from data.schemas import normalize_label


@dataclass(frozen=True, slots=True)
class TaxonomySkill:
    skill_id: str  # "esco:<uuid>" for ESCO concepts, "custom:<slug>" for company-specific ones
    label: str
    alt_labels: tuple[str, ...] = ()
    skill_type: str = "skill"  # ESCO: "skill/competence" -> "skill", or "knowledge"
    description: str = ""
    source: str = "esco"
    # Custom skills typed as free text start "unreviewed": only their own users see the name
    # until HR reviews it (data/storage/tables.py SkillRow.status).
    status: str = "reviewed"
    created_by: str | None = None  # custom skills: whose request introduced it


@dataclass(frozen=True, slots=True)
class TaxonomyOccupation:
    occupation_id: str
    label: str
    alt_labels: tuple[str, ...] = ()
    description: str = ""
    essential_skill_ids: tuple[str, ...] = ()
    optional_skill_ids: tuple[str, ...] = ()


@dataclass(slots=True)
class Taxonomy:
    """Skills and occupations with an exact/alt-label index (normalised text -> skill id)."""

    skills: dict[str, TaxonomySkill] = field(default_factory=dict)
    occupations: dict[str, TaxonomyOccupation] = field(default_factory=dict)
    version: str = ""
    _by_label: dict[str, str] = field(default_factory=dict, repr=False)
    _by_alt_label: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        skills: Iterable[TaxonomySkill],
        occupations: Iterable[TaxonomyOccupation] = (),
        *,
        version: str = "",
    ) -> Taxonomy:
        taxonomy = cls(version=version)
        for skill in skills:
            taxonomy.add_skill(skill)
        for occupation in occupations:
            taxonomy.occupations[occupation.occupation_id] = occupation
        return taxonomy

    def add_skill(self, skill: TaxonomySkill) -> None:
        self.skills[skill.skill_id] = skill
        # Preferred labels win over alt labels: "Python" the language, not an alt of something else.
        self._by_label.setdefault(normalize_label(skill.label), skill.skill_id)
        for alt in skill.alt_labels:
            self._by_alt_label.setdefault(normalize_label(alt), skill.skill_id)

    def remove_skill(self, skill_id: str) -> None:
        """Forget a skill (merged into another, renamed or rejected), labels and all."""
        if self.skills.pop(skill_id, None) is None:
            return
        for index in (self._by_label, self._by_alt_label):
            for key in [k for k, v in index.items() if v == skill_id]:
                del index[key]

    def lookup_label(self, text: str) -> tuple[TaxonomySkill, str] | None:
        """Exact match on the preferred label, then on an alt label; returns (skill, method)."""
        key = normalize_label(text)
        if key in self._by_label:
            return self.skills[self._by_label[key]], "label"
        if key in self._by_alt_label:
            return self.skills[self._by_alt_label[key]], "alt_label"
        return None

    def copy(self) -> Taxonomy:
        """An independent taxonomy with the same content: add custom skills without sharing them.

        Skills and occupations are frozen, so copying the dictionaries is enough.
        """
        return Taxonomy(
            skills=dict(self.skills),
            occupations=dict(self.occupations),
            version=self.version,
            _by_label=dict(self._by_label),
            _by_alt_label=dict(self._by_alt_label),
        )

    def __len__(self) -> int:
        return len(self.skills)

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self.skills
