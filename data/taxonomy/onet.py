"""The O*NET layer of the packaged taxonomy (`onet.json.gz`, built by `derive_onet.py`).

Tools and technologies become skills of their own (`tool:<slug>`, skill_type "tool") in their
category (`toolcat:<UNSPSC commodity code>`, "tool_category"); products ESCO already held keep
their ESCO id and gain O*NET's names; ESCO occupations gain O*NET's titles, codes and tools.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from data.schemas import normalize_label
from data.taxonomy.model import Taxonomy, TaxonomySkill

ONET_FILE = "onet.json.gz"
ONET_DERIVE_COMMAND = (
    "python -m tools.taxonomy.derive_onet --onet ../shared/onet --crosswalk ../shared/crosswalk "
    "--esco ../shared/esco --out data/taxonomy/onet.json.gz"
)
TOOL_PREFIX = "tool:"
CATEGORY_PREFIX = "toolcat:"


def category_id(code: str) -> str:
    return f"{CATEGORY_PREFIX}{code}"


def _check(obj: Any, esco_version: str) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping) or not all(
        isinstance(obj.get(key), list) for key in ("categories", "tools", "merged")
    ):
        raise ValueError("O*NET document needs 'categories', 'tools' and 'merged' lists")
    if obj.get("esco_version") != esco_version:
        raise ValueError(
            f"{ONET_FILE} was derived from ESCO taxonomy {obj.get('esco_version')!r}, not the "
            f"packaged {esco_version!r}; rebuild it with: {ONET_DERIVE_COMMAND}"
        )
    return obj


def _description(category_title: str, hot: bool) -> str:
    return f"{category_title} (O*NET hot technology)" if hot else category_title


def _added_names(skill: TaxonomySkill, names: list[str]) -> tuple[str, ...]:
    have = {normalize_label(n) for n in (skill.label, *skill.alt_labels)}
    return (*skill.alt_labels, *(n for n in names if normalize_label(n) not in have))


def with_onet(esco: Taxonomy, obj: Any) -> Taxonomy:
    """The ESCO taxonomy with O*NET's tools, categories and occupation titles added."""
    document = _check(obj, esco.version)
    titles = {c["code"]: c["title"] for c in document["categories"]}
    category_names = {c["code"]: tuple(c.get("aliases", ())) for c in document["categories"]}
    skills = dict(esco.skills)
    tool_categories: dict[str, str] = {}
    hot: dict[str, int] = {}  # 2 hot technology + 1 in demand
    code_tools: dict[str, list[str]] = {}
    for entry in document["merged"]:
        skill = skills.get(entry["skill"])
        if skill is None:
            raise ValueError(f"O*NET product merged into unknown skill {entry['skill']!r}")
        skills[skill.skill_id] = dataclasses.replace(
            skill, alt_labels=_added_names(skill, entry["alt_labels"])
        )
        tool_categories[skill.skill_id] = category_id(entry["category"])
        hot[skill.skill_id] = bool(entry["hot"]) * 2 + bool(entry["in_demand"])
        for code in entry["codes"]:
            code_tools.setdefault(code, []).append(skill.skill_id)
    for code, title in sorted(titles.items()):
        skill_id = category_id(code)
        skills[skill_id] = TaxonomySkill(
            skill_id=skill_id,
            label=title,
            alt_labels=category_names[code],
            skill_type="tool_category",
            description=f"O*NET tools and technologies: UNSPSC commodity {code}",
            source="onet",
        )
    for tool in document["tools"]:
        if tool["category"] not in titles:
            raise ValueError(f"tool {tool['label']!r} in unknown category {tool['category']!r}")
        skills[tool["id"]] = TaxonomySkill(
            skill_id=tool["id"],
            label=tool["label"],
            alt_labels=tuple(tool["aliases"]),
            skill_type="tool",
            description=_description(titles[tool["category"]], tool["hot"]),
            source="onet",
        )
        tool_categories[tool["id"]] = category_id(tool["category"])
        hot[tool["id"]] = bool(tool["hot"]) * 2 + bool(tool["in_demand"])
        for code in tool["codes"]:
            code_tools.setdefault(code, []).append(tool["id"])
    occupation_codes: Mapping[str, list[str]] = document.get("occupations", {})
    code_titles: Mapping[str, list[str]] = document.get("titles", {})
    # hot technologies first, then those in demand, then by name
    order = {t: (-hot[t], skills[t].label.casefold(), t) for t in hot}
    shared: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    occupations = []
    for occupation in esco.occupations.values():
        codes = tuple(occupation_codes.get(occupation.occupation_id, ()))
        if not codes:
            occupations.append(occupation)
            continue
        if codes not in shared:  # many occupations share their codes: sort once per codes
            shared[codes] = _titles_and_tools(codes, code_titles, code_tools, order)
        onet_titles, tools = shared[codes]
        # derive_onet deduplicated each code's titles by normalised label; casefold is
        # enough against ESCO's own labels (and 10x cheaper at start-up)
        own = {n.casefold() for n in (occupation.label, *occupation.alt_labels)}
        occupations.append(
            dataclasses.replace(
                occupation,
                other_titles=tuple(t for t in onet_titles if t.casefold() not in own),
                onet_codes=codes,
                tool_ids=tools,
            )
        )
    # ESCO's label index is kept (rebuilding it costs ~0.5 s at every start); the merged
    # skills' new names and the new skills are added to it.
    taxonomy = esco.copy()
    for skill_id, skill in skills.items():
        if esco.skills.get(skill_id) is not skill:
            taxonomy.add_skill(skill)
    taxonomy.occupations = {o.occupation_id: o for o in occupations}
    taxonomy.version = (
        f"{esco.version}+onet-{document.get('onet_release', '')}.{document['version']}"
    )
    taxonomy.tool_categories = tool_categories
    taxonomy.category_skills = {
        category_id(c["code"]): tuple(s for s in c["skills"] if s in skills)
        for c in document["categories"]
    }
    return taxonomy


def _titles_and_tools(
    codes: tuple[str, ...],
    code_titles: Mapping[str, list[str]],
    code_tools: Mapping[str, list[str]],
    order: Mapping[str, tuple[int, str, str]],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    titles: dict[str, str] = {}
    for code in codes:
        for title in code_titles.get(code, []):
            titles.setdefault(title.casefold(), title)
    tools = {tool for code in codes for tool in code_tools.get(code, [])}
    return (
        tuple(sorted(titles.values(), key=str.casefold)),
        tuple(sorted(tools, key=order.__getitem__)),
    )
