"""Resolve the skills named in incoming records to taxonomy ids (or new custom skills)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from data.importing.errors import RowError
from data.importing.occupations import OccupationInferrer
from data.importing.report import ImportReport, SkillMerge
from data.schemas import SkillRef, normalize_label
from data.storage.skills import stored_skills
from data.taxonomy.model import Taxonomy, TaxonomySkill
from data.taxonomy.normalizer import custom_skill_id

# An employee's or a posting's skill refs: resolving keeps the kind it was given.
RefT = TypeVar("RefT", bound=SkillRef)

NAME_BLOCK = 2048  # names per encoder call when progress is reported (a few seconds each)


class SkillMatchLike(Protocol):
    # Read-only, as on the normaliser's frozen SkillMatch.
    @property
    def skill_id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def method(self) -> str: ...
    @property
    def nearest(self) -> tuple[str, float] | None: ...


@dataclass(frozen=True, slots=True)
class _Found:
    """What a name resolved to, and how (for the import report)."""

    skill_id: str
    label: str
    # "label" | "alias" | "alt_label" | "spelling" | "partial_label" | "embedding" | "custom"
    method: str
    score: float = 1.0
    nearest: tuple[str, float] | None = None


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
        occupations: OccupationInferrer | None = None,
        taxonomy_changes: Sequence[str] = (),
    ) -> None:
        self.taxonomy = taxonomy
        self.normalizer = normalizer
        self.occupations = occupations  # infers a title's occupation (None: never inferred)
        self.max_new_names = max_new_names
        self.created_by = created_by
        self.restricted = restricted
        self.held: set[str] = set()
        self.new_skills: dict[str, TaxonomySkill] = {}
        # what loading a newer packaged taxonomy changed first (merged custom skills), said
        # in this import's report
        self.report = ImportReport(taxonomy_changes=list(taxonomy_changes))
        self._stored: dict[str, TaxonomySkill] = {}  # custom skills found in the database
        self._by_name: dict[str, _Found] = {}  # normalised name -> what it resolved to
        self._over_cap: set[str] = set()

    def prepare(
        self,
        session: Session,
        refs: Iterable[SkillRef],
        *,
        held: Iterable[str] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Look up, in a few queries and one encoder batch, every skill these refs name
        (`held`: the skill ids the records being edited already hold). With `progress`
        (names done, names in all), more than NAME_BLOCK names go in blocks of that many,
        reported after each."""
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
                self._by_name[key] = _Found(found.skill_id, found.label, "custom")
            elif customs[key] == scoped[key]:
                self._by_name[key] = _Found(scoped[key], name, "custom")  # new, the caller's own
            else:
                unknown.append((key, name))
        if self.max_new_names is not None and len(unknown) > self.max_new_names:
            self._over_cap = {key for key, _ in unknown[self.max_new_names :]}
            unknown = unknown[: self.max_new_names]
        if self.normalizer is not None and unknown:
            block = NAME_BLOCK if progress is not None else len(unknown)
            for start in range(0, len(unknown), block):
                part = unknown[start : start + block]
                matches = self.normalizer.resolve_many([name for _, name in part])
                for (key, _), match in zip(part, matches, strict=True):
                    self._by_name[key] = _Found(
                        match.skill_id, match.label, match.method, match.score, match.nearest
                    )
                if progress is not None:
                    progress(start + len(part), len(unknown))

    def resolve_refs(
        self, row: int, field: str, refs: Sequence[RefT], errors: list[RowError]
    ) -> list[RefT]:
        """The refs with ids. Two names for one skill merge into one entry at the higher
        level ("Python" and "Python programming"), reported in `report.merges`."""
        resolved: list[RefT] = []
        at: dict[str, int] = {}  # skill id -> its position in `resolved`
        merges: dict[str, SkillMerge] = {}
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
                skill_id, label = self._resolve_name(row, ref.name or "")
            written = ref.skill_id if ref.name is None else ref.name
            if skill_id in at:
                kept = resolved[at[skill_id]]
                merge = merges.get(skill_id)
                if merge is None:
                    first = (
                        kept.name if refs[at[skill_id]].name is None else refs[at[skill_id]].name
                    )
                    merge = merges[skill_id] = SkillMerge(
                        row, field, skill_id, label, [first or skill_id], kept.level, "same skill"
                    )
                    self.report.merges.append(merge)
                merge.names.append(written or skill_id)
                merge.level = max(merge.level, ref.level)
                resolved[at[skill_id]] = kept.model_copy(update={"level": merge.level})
                continue
            at[skill_id] = len(resolved)
            resolved.append(ref.model_copy(update={"skill_id": skill_id, "name": label}))
        return resolved

    def drop_required_from_preferred(
        self, row: int, required: Sequence[SkillRef], preferred: list[RefT]
    ) -> list[RefT]:
        """Preferred entries naming a required skill are dropped: required wins."""
        wanted = {ref.skill_id: ref for ref in required}
        kept: list[RefT] = []
        for ref in preferred:
            both = wanted.get(ref.skill_id)
            if both is None:
                kept.append(ref)
                continue
            self.report.merges.append(
                SkillMerge(
                    row,
                    "required_skills",
                    ref.skill_id or "",
                    both.name or "",
                    [both.name or "", ref.name or ""],
                    both.level,
                    "required and preferred: required kept",
                )
            )
        return kept

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

    def _resolve_name(self, row: int, name: str) -> tuple[str, str]:
        key = normalize_label(name)
        exact = self.taxonomy.lookup_label(name)
        if exact is not None:
            skill, method = exact
            if method != "label":
                self.report.resolved(
                    key,
                    name,
                    row,
                    skill_id=skill.skill_id,
                    label=skill.label,
                    method=method,
                    score=1.0,
                )
            return skill.skill_id, skill.label
        if key not in self._by_name:  # not prepared: resolve this one alone
            if self.normalizer is not None:
                match = self.normalizer.resolve_many([name])[0]
                self._by_name[key] = _Found(
                    match.skill_id, match.label, match.method, match.score, match.nearest
                )
            else:
                self._by_name[key] = _Found(custom_skill_id(name), name.strip(), "custom")
        found = self._by_name[key]
        known = found.skill_id in self.taxonomy.skills or found.skill_id in self._stored
        new = not known and found.skill_id not in self.new_skills
        if new:
            self.new_skills[found.skill_id] = TaxonomySkill(
                skill_id=found.skill_id, label=found.label, source="custom", status="unreviewed"
            )
        self.report.resolved(
            key,
            name,
            row,
            skill_id=found.skill_id,
            label=found.label,
            method=found.method,
            score=found.score if found.method != "custom" else (found.nearest or ("", 0.0))[1],
            review=found.skill_id in self.new_skills,
            nearest=found.nearest,
        )
        return found.skill_id, found.label
