"""Job families sampled across the whole taxonomy, for the companies the default rankers learn on.

The demo company's families are ten departments of an office (finance, data, sales, ...), built
from the occupations it was designed on. A default ranker trained on those alone has never seen
a welder's posting, a nurse's tools, or a lab technician's skill levels. Here each family is an
ISCO sub-major group ("21 science and engineering professionals", "72 metal and machinery trades
workers") holding occupations sampled from it, with their essential and optional skills and
their O*NET tools (`tool_ids`, skill type "tool") counted as essential skills of the work.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from data.demo.families import CORE_SIZE, FamilySpec, JobFamily, title_case
from data.taxonomy.model import Taxonomy, TaxonomyOccupation

FAMILIES = 10
OCCUPATIONS_PER_FAMILY = 6
MIN_SKILLS = 6  # an occupation with fewer known skills says too little to post or hire on
PROJECT_WORDS = ("process review", "quality check", "training materials", "backlog clean-up")


def _group(occupation: TaxonomyOccupation) -> str:
    """The ISCO-08 sub-major group (two digits) the occupation is filed under."""
    code = occupation.isco_group or occupation.code
    return code[:2] if len(code) >= 2 and code[:2].isdigit() else ""


def _work_skills(occupation: TaxonomyOccupation, taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    """(essential skills and tools, optional skills) the taxonomy knows."""
    essential = [
        s for s in (*occupation.essential_skill_ids, *occupation.tool_ids) if s in taxonomy.skills
    ]
    optional = [s for s in occupation.optional_skill_ids if s in taxonomy.skills]
    return essential, optional


def taxonomy_families(
    taxonomy: Taxonomy,
    *,
    seed: int,
    families: int = FAMILIES,
    occupations_per_family: int = OCCUPATIONS_PER_FAMILY,
) -> tuple[JobFamily, ...]:
    """`families` ISCO sub-major groups drawn at random (weighted by how many usable
    occupations they hold), `occupations_per_family` occupations drawn from each."""
    rng = np.random.default_rng(seed)
    grouped: dict[str, list[TaxonomyOccupation]] = defaultdict(list)
    for occupation in sorted(taxonomy.occupations.values(), key=lambda o: o.occupation_id):
        essential, optional = _work_skills(occupation, taxonomy)
        if (
            _group(occupation)
            and len(essential) >= 2
            and len(essential) + len(optional) >= (MIN_SKILLS)
        ):
            grouped[_group(occupation)].append(occupation)
    groups = sorted(grouped)
    if not groups:
        raise ValueError("the taxonomy has no occupation with an ISCO group and enough skills")
    listings = _listings(taxonomy)
    sizes = np.array([len(grouped[g]) for g in groups], dtype=float)
    chosen = rng.choice(
        len(groups), size=min(families, len(groups)), replace=False, p=sizes / sizes.sum()
    )
    out = []
    for index in sorted(chosen.tolist()):
        group = groups[index]
        members = grouped[group]
        take = rng.choice(
            len(members), size=min(occupations_per_family, len(members)), replace=False
        )
        picked = tuple(members[i] for i in sorted(take.tolist()))
        out.append(_family(group, picked, taxonomy, listings))
    return tuple(out)


def _listings(taxonomy: Taxonomy) -> Counter[str]:
    """In how many occupations each skill or tool is listed ("Microsoft Excel": hundreds)."""
    counts: Counter[str] = Counter()
    for o in taxonomy.occupations.values():
        counts.update({*o.essential_skill_ids, *o.optional_skill_ids, *o.tool_ids})
    return counts


def _family(
    group: str,
    occupations: tuple[TaxonomyOccupation, ...],
    taxonomy: Taxonomy,
    listings: Counter[str],
) -> JobFamily:
    essential: Counter[str] = Counter()
    optional: set[str] = set()
    for occupation in occupations:
        must, may = _work_skills(occupation, taxonomy)
        essential.update(dict.fromkeys(must, 1))
        optional.update(may)
    # Most shared in the family and rarest elsewhere first: the core that postings ask for is
    # the family's own work, not the office software hundreds of occupations list.
    total = len(taxonomy.occupations) + 1
    weight = {s: c * np.log(total / (1 + listings[s])) for s, c in essential.items()}
    ranked = sorted(essential.items(), key=lambda item: (-weight[item[0]], item[0]))
    # Interests people name: the family's most characteristic skills (not tools), as labels.
    topics = tuple(
        taxonomy.skills[s].label for s, _ in ranked if taxonomy.skills[s].skill_type != "tool"
    )[:3]
    projects = tuple(
        f"{title_case(o.label)}: {word}" for o in occupations for word in PROJECT_WORDS[:2]
    )
    spec = FamilySpec(
        key=f"isco-{group}",
        department=f"ISCO group {group}",
        keywords=(),
        headcount_share=float(len(occupations)),
        topics=topics if len(topics) >= 2 else (*topics, "new skills"),
        projects=projects,
    )
    return JobFamily(
        spec=spec,
        occupations=occupations,
        essential=tuple(s for s, _ in ranked),
        essential_weight=tuple(float(c) for _, c in ranked),
        optional=tuple(sorted(optional - set(essential))),
        core=tuple(s for s, _ in ranked[:CORE_SIZE]),
    )
