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
    # False when the preferred label could not be cut exactly out of the source (ESCO skills
    # the derivation left unresolved): shown, but kept out of the exact-label index.
    exact: bool = True
    alt_text: str = ""  # ESCO's other labels run together where they cannot be separated
    legacy: bool = False  # an id an earlier taxonomy shipped that ESCO 1.2.0 dropped


@dataclass(frozen=True, slots=True)
class TaxonomyOccupation:
    occupation_id: str
    label: str
    alt_labels: tuple[str, ...] = ()
    description: str = ""
    essential_skill_ids: tuple[str, ...] = ()
    optional_skill_ids: tuple[str, ...] = ()
    hidden_labels: tuple[str, ...] = ()  # ESCO's misspellings and old titles: found, not shown
    isco_group: str = ""  # the ISCO-08 unit group, e.g. "2511"
    code: str = ""  # ESCO's code: the ISCO group, then the occupation's place under it
    # O*NET's alternate and reported titles of the O*NET occupations the ESCO-O*NET crosswalk
    # maps this occupation to: how people in the US name the same work.
    other_titles: tuple[str, ...] = ()
    onet_codes: tuple[str, ...] = ()  # the O*NET-SOC codes the crosswalk maps it to
    tool_ids: tuple[str, ...] = ()  # O*NET tools and technologies its work uses, hot ones first


@dataclass(slots=True)
class Taxonomy:
    """Skills and occupations with an exact/alt-label index (normalised text -> skill id)."""

    skills: dict[str, TaxonomySkill] = field(default_factory=dict)
    occupations: dict[str, TaxonomyOccupation] = field(default_factory=dict)
    version: str = ""
    aliases: dict[str, str] = field(default_factory=dict)  # retired id -> the id that replaced it
    # A tool (O*NET product, skill_type "tool") -> its category (skill_type "tool_category"):
    # Tableau and Power BI share "Business intelligence and data analysis software".
    tool_categories: dict[str, str] = field(default_factory=dict)
    # A tool category -> the ESCO skills its tools go with (most over-represented, by lift, in
    # the profiles of the occupations using them): what knowing such a tool says beyond it.
    category_skills: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _by_label: dict[str, str] = field(default_factory=dict, repr=False)
    _by_alt_label: dict[str, str] = field(default_factory=dict, repr=False)
    _by_alias: dict[str, str] = field(default_factory=dict, repr=False)  # the company's names
    _listing_counts: dict[str, int] | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        skills: Iterable[TaxonomySkill],
        occupations: Iterable[TaxonomyOccupation] = (),
        *,
        version: str = "",
        aliases: dict[str, str] | None = None,
    ) -> Taxonomy:
        taxonomy = cls(version=version, aliases=dict(aliases or {}))
        for skill in skills:
            taxonomy.add_skill(skill)
        for occupation in occupations:
            taxonomy.occupations[occupation.occupation_id] = occupation
        return taxonomy

    def add_skill(self, skill: TaxonomySkill) -> None:
        self.skills[skill.skill_id] = skill
        # Preferred labels win over alt labels: "Python" the language, not an alt of something else.
        if skill.exact:
            self._by_label.setdefault(normalize_label(skill.label), skill.skill_id)
        for alt in skill.alt_labels:
            self._by_alt_label.setdefault(normalize_label(alt), skill.skill_id)

    def exact_labels(self) -> list[tuple[str, str]]:
        """(normalised text, skill id) of every exact preferred label and alt label."""
        return [*self._by_label.items(), *self._by_alt_label.items()]

    def add_name_alias(self, text: str, skill_id: str) -> None:
        """A company's own name for a skill ("k8s" -> Kubernetes): found after preferred
        labels, before ESCO's alt labels (the company said what it means)."""
        if skill_id not in self.skills:
            raise KeyError(skill_id)
        self._by_alias[normalize_label(text)] = skill_id

    def remove_name_alias(self, text: str) -> None:
        self._by_alias.pop(normalize_label(text), None)

    def name_aliases(self) -> dict[str, str]:
        """The company's names: normalised text -> skill id."""
        return dict(self._by_alias)

    def set_name_aliases(self, aliases: dict[str, str]) -> None:
        """Replace the company's names (as another process stored them)."""
        self._by_alias = {normalize_label(k): v for k, v in aliases.items() if v in self.skills}

    def remove_skill(self, skill_id: str) -> None:
        """Forget a skill (merged into another, renamed or rejected), labels and all."""
        if self.skills.pop(skill_id, None) is None:
            return
        for index in (self._by_label, self._by_alias, self._by_alt_label):
            for key in [k for k, v in index.items() if v == skill_id]:
                del index[key]

    def listing_count(self, skill_id: str) -> int:
        """In how many occupations' profiles the skill appears: "use Microsoft Office" in
        hundreds, "perform business analysis" in a few. Fewer says more about the work."""
        if self._listing_counts is None:
            counts: dict[str, int] = {}
            for occupation in self.occupations.values():
                for listed in {*occupation.essential_skill_ids, *occupation.optional_skill_ids}:
                    counts[listed] = counts.get(listed, 0) + 1
            self._listing_counts = counts
        return self._listing_counts.get(skill_id, 0)

    def canonical_id(self, skill_id: str) -> str:
        """The id a skill goes by now (an alias's target, else the id itself)."""
        return self.aliases.get(skill_id, skill_id)

    def skill(self, skill_id: str) -> TaxonomySkill | None:
        """The skill with this id or with the id that replaced it."""
        return self.skills.get(self.canonical_id(skill_id))

    def lookup_label(self, text: str) -> tuple[TaxonomySkill, str] | None:
        """Exact match on the preferred label, then on a company alias, then on an alt label;
        returns (skill, method)."""
        key = normalize_label(text)
        if key in self._by_label:
            return self.skills[self._by_label[key]], "label"
        if key in self._by_alias:
            return self.skills[self._by_alias[key]], "alias"
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
            aliases=dict(self.aliases),
            tool_categories=dict(self.tool_categories),
            category_skills=dict(self.category_skills),
            _by_label=dict(self._by_label),
            _by_alt_label=dict(self._by_alt_label),
            _by_alias=dict(self._by_alias),
        )

    def __len__(self) -> int:
        return len(self.skills)

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self.skills or skill_id in self.aliases
