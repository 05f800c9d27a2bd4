"""What an import did to the names it was given: every name that was not an exact ESCO
preferred label (what it became, how, with what score), the skills merged within a record,
the occupations inferred, the defaults filled in. Returned with the import, kept by the job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# How a name found its skill, from the most to the least certain.
METHODS = ("alias", "alt_label", "spelling", "partial_label", "embedding", "custom")


@dataclass(slots=True)
class NameResolution:
    name: str  # as first written
    skill_id: str
    label: str
    method: str  # one of METHODS
    score: float  # 1.0 for an alias or alt label; the normaliser's score otherwise
    first_row: int
    rows: int = 1  # how many records wrote this name (any spelling with the same normal form)
    review: bool = False  # a new custom skill: HR reviews it before anyone else is shown it
    nearest: str | None = None  # custom: the closest taxonomy skill, and its score
    nearest_score: float | None = None


@dataclass(slots=True)
class SkillMerge:
    row: int
    field: str  # "skills", "required_skills" or "preferred_skills" (where the kept one is)
    skill_id: str
    label: str
    names: list[str]  # every name in the record that meant this skill, as written
    level: int  # the level kept: the highest one given
    reason: str  # "same skill" | "required and preferred: required kept"


@dataclass(slots=True)
class UnplacedTitle:
    """A title that named no occupation clearly enough: stored without one."""

    row: int
    external_id: str
    title: str
    closest: list[dict[str, Any]]  # [{occupation_id, label, score}], best first


@dataclass(slots=True)
class ImportReport:
    names: dict[str, NameResolution] = field(default_factory=dict)  # by normalised name
    merges: list[SkillMerge] = field(default_factory=list)
    occupations_inferred: int = 0
    occupations_declared: int = 0
    occupations_unknown: int = 0  # titles no occupation scored high enough for
    implied_skill_postings: int = 0  # postings given no skills, matched on implied ones
    unplaced_titles: list[UnplacedTitle] = field(default_factory=list)
    # Postings with no skills and no occupation: stored, matched with nobody until they have some.
    needs_skills_rows: list[int] = field(default_factory=list)
    department_defaulted: list[int] = field(default_factory=list)  # rows
    # What loading a newer packaged taxonomy did before this import ran, in words: "custom
    # skill 'Tableau' merged into Tableau (O*NET tool)" (data/storage/skills.TaxonomySync).
    taxonomy_changes: list[str] = field(default_factory=list)
    # Stored records the import gives exactly as stored: not updates (data/importing/unchanged).
    unchanged: list[str] = field(default_factory=list)

    def resolved(
        self,
        key: str,
        name: str,
        row: int,
        *,
        skill_id: str,
        label: str,
        method: str,
        score: float,
        review: bool = False,
        nearest: tuple[str, float] | None = None,
    ) -> None:
        known = self.names.get(key)
        if known is not None:
            known.rows += 1
            return
        self.names[key] = NameResolution(
            name=name,
            skill_id=skill_id,
            label=label,
            method=method,
            score=round(score, 4),
            first_row=row,
            review=review,
            nearest=nearest[0] if nearest else None,
            nearest_score=round(nearest[1], 4) if nearest else None,
        )

    def unplaced(self, row: int, external_id: str, title: str, closest: Sequence[Any] = ()) -> None:
        self.unplaced_titles.append(
            UnplacedTitle(
                row,
                external_id,
                title,
                [
                    {"occupation_id": c.occupation_id, "label": c.label, "score": c.score}
                    for c in closest
                ],
            )
        )

    def summary(self) -> dict[str, int]:
        counts = {method: 0 for method in METHODS}
        for resolution in self.names.values():
            counts[resolution.method] += 1
        return {
            "names_not_exact": len(self.names),
            **{f"by_{method}": count for method, count in counts.items()},
            "flagged_for_review": sum(r.review for r in self.names.values()),
            # custom skills stored before this import (by an earlier one, or typed by someone)
            "existing_custom": sum(
                r.method == "custom" and not r.review for r in self.names.values()
            ),
            "unchanged": len(self.unchanged),
            "merges": len(self.merges),
            "occupations_inferred": self.occupations_inferred,
            "occupations_declared": self.occupations_declared,
            "occupations_unknown": self.occupations_unknown,
            "implied_skill_postings": self.implied_skill_postings,
            "needs_skills": len(self.needs_skills_rows),
            "department_defaulted": len(self.department_defaulted),
            "taxonomy_changes": len(self.taxonomy_changes),
        }

    def as_dict(self, *, limit: int | None = None) -> dict[str, Any]:
        """The report as JSON; `limit` caps each list (the summary counts everything)."""
        names = sorted(self.names.values(), key=lambda r: (METHODS.index(r.method), r.score))
        return {
            "summary": self.summary(),
            "names": [_plain(r) for r in names[:limit]],
            "merges": [_plain(m) for m in self.merges[:limit]],
            "department_defaulted_rows": self.department_defaulted[:limit],
            "unplaced_titles": [_plain(u) for u in self.unplaced_titles[:limit]],
            "needs_skills_rows": self.needs_skills_rows[:limit],
            "taxonomy_changes": self.taxonomy_changes[:limit],
            "truncated": limit is not None
            and max(
                len(names),
                len(self.merges),
                len(self.department_defaulted),
                len(self.unplaced_titles),
            )
            > limit,
        }

    def lines(self, *, limit: int = 20) -> list[str]:
        """A reader's summary for the command line."""
        summary = self.summary()
        out = [
            f"{summary['names_not_exact']} names were not exact ESCO labels: "
            + ", ".join(f"{summary[f'by_{m}']} by {m.replace('_', ' ')}" for m in METHODS)
            + f"; {summary['flagged_for_review']} new custom skills flagged for review",
        ]
        if self.unchanged:
            out.append(
                f"{len(self.unchanged)} stored records were given exactly as stored (unchanged)"
            )
        existing = summary["existing_custom"]
        if existing:
            out.append(f"{existing} custom skills were already stored (not new)")
        shown = sorted(self.names.values(), key=lambda r: (-r.rows, r.name))[:limit]
        for r in shown:
            how = f"{r.method} {r.score:.2f}"
            if r.method == "custom" and r.nearest:
                how += f"; nearest {r.nearest!r} {r.nearest_score:.2f}"
            out.append(f"  {r.name!r} -> {r.label!r} ({how}; {r.rows} records)")
        if self.merges:
            out.append(f"{len(self.merges)} skills merged within a record, e.g.:")
            for m in self.merges[: min(limit, 5)]:
                out.append(f"  row {m.row}: {m.names} -> {m.label!r} level {m.level} ({m.reason})")
        if self.occupations_inferred or self.occupations_unknown:
            out.append(
                f"occupations: {self.occupations_inferred} inferred from titles, "
                f"{self.occupations_declared} given, {self.occupations_unknown} titles too "
                "unclear to infer one"
            )
        if self.needs_skills_rows:
            out.append(
                f"{len(self.needs_skills_rows)} postings need skills (no skill listed and no "
                "occupation found for the title): stored, matched with nobody until their lead "
                f"lists skills or picks an occupation; rows {self.needs_skills_rows[:limit]}"
            )
        for unplaced in self.unplaced_titles[: min(limit, 5)]:
            closest = ", ".join(f"{c['label']!r} {c['score']:.2f}" for c in unplaced.closest)
            out.append(
                f"  row {unplaced.row}: title {unplaced.title!r} placed in no occupation"
                + (f" (closest: {closest})" if closest else "")
            )
        if self.implied_skill_postings:
            out.append(
                f"{self.implied_skill_postings} postings without skills are matched on the "
                "skills their occupation implies"
            )
        if self.department_defaulted:
            out.append(f"{len(self.department_defaulted)} postings took the owner's department")
        if self.taxonomy_changes:
            out.append("the newer packaged taxonomy loaded before this import:")
            out.extend(f"  {change}" for change in self.taxonomy_changes[:limit])
        return out


def _plain(item: NameResolution | SkillMerge | UnplacedTitle) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__slots__}
