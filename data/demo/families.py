"""Job families of the demo company, grounded in the taxonomy's occupations.

Each family is one department's kind of work. Its occupations are found by keywords in their
labels, tried in a fixed order (first match wins, so "ICT security administrator" lands in
Security before IT Operations' "administrator"), and its skill pools are the union of those
occupations' essential and optional skills. Occupations matching no family (film and sound
crafts, for instance) are not part of this company.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from importlib import resources

import numpy as np

from data.taxonomy.model import Taxonomy, TaxonomyOccupation


@dataclass(frozen=True, slots=True)
class FamilySpec:
    key: str
    department: str
    keywords: tuple[str, ...]
    headcount_share: float
    topics: tuple[str, ...]  # interest topics people in or towards this family name
    projects: tuple[str, ...]  # what a gig in this family is about, for titles


# fmt: off
EXCLUDED_KEYWORDS = (
    "sound", "video", "camera", "boom operator", "projectionist", "broadcast", "recording",
    "audio-visual", "performance", "aviation",
)

FAMILY_SPECS = (
    FamilySpec(
        "finance", "Finance", ("financ", "accountant", "accounting", "controller", "budget"), 0.08,
        ("financial planning", "forecasting", "corporate finance"),
        ("Budget variance analysis", "Quarter-close automation", "Pricing model review",
         "Cost allocation model", "Cash-flow forecast"),
    ),
    FamilySpec(
        "people", "People/HR", ("human resources", "recruit", "talent", "personnel"), 0.06,
        ("people analytics", "talent development", "employee experience"),
        ("Engagement survey analysis", "Onboarding programme refresh", "Pay equity review",
         "Career framework update", "Recruiting funnel report"),
    ),
    FamilySpec(
        "marketing", "Marketing", ("marketing", "search engine optimisation", "brand"), 0.07,
        ("digital marketing", "brand strategy", "growth marketing"),
        ("Product launch campaign", "SEO content audit", "Brand refresh", "Webinar series",
         "Market sizing study", "Newsletter relaunch"),
    ),
    FamilySpec(
        "sales", "Sales", ("sales", "account manager", "business development"), 0.13,
        ("enterprise sales", "customer success", "negotiation"),
        ("Pipeline clean-up", "Partner enablement kit", "Territory plan",
         "Competitive battlecards", "Renewal playbook", "Deal desk review"),
    ),
    FamilySpec(
        "pmo", "PMO", ("project manag", "programme manag", "portfolio manag", "project manager"),
        0.07,
        ("project management", "agile delivery", "change management"),
        ("Portfolio review", "Programme risk register", "Agile coaching pilot",
         "Roadmap alignment workshop", "Benefits tracking"),
    ),
    FamilySpec(
        "security", "Security",
        ("security", "ethical hacker", "forensics", "resilience", "disaster recovery", "auditor"),
        0.06,
        ("cyber security", "threat intelligence", "security compliance"),
        ("Phishing simulation", "Access review", "Penetration test follow-up",
         "Incident response drill", "ISO 27001 evidence collection", "Threat model"),
    ),
    FamilySpec(
        "data", "Data",
        ("data scientist", "data analyst", "data quality", "data warehouse", "database",
         "knowledge engineer", "computer vision", "intelligent systems", "computer scientist"),
        0.11,
        ("machine learning", "data visualisation", "analytics engineering"),
        ("Churn model", "Sales forecast", "Data quality audit", "KPI dashboard",
         "Customer segmentation", "A/B test analysis", "Attrition analysis"),
    ),
    FamilySpec(
        "product", "Product",
        ("user experience", "user interface designer", "usability", "accessibility",
         "business analy", "software analyst", "web content"),
        0.08,
        ("product discovery", "user research", "service design"),
        ("User research sprint", "Onboarding flow redesign", "Accessibility review",
         "Requirements workshop", "Customer journey map", "Usability study"),
    ),
    FamilySpec(
        "it_ops", "IT Operations",
        ("network", "system administrator", "technician", "help desk", "data centre",
         "capacity planner", "change and configuration", "configurator", "webmaster",
         "cloud engineer"),
        0.10,
        ("cloud infrastructure", "site reliability", "automation"),
        ("Laptop fleet upgrade", "Network monitoring revamp", "Backup restore drill",
         "Cloud cost review", "Service desk runbook", "Office Wi-Fi overhaul"),
    ),
    FamilySpec(
        "engineering", "Engineering",
        ("developer", "engineer", "architect", "programmer", "tester", "test analyst",
         "quality assurance", "integrat", "embedded", "system analyst"),
        0.24,
        ("software architecture", "mobile development", "test automation"),
        ("API migration", "Mobile app prototype", "Test automation suite",
         "Payment service refactor", "Performance profiling", "Feature flag rollout"),
    ),
)

# fmt: on
# A family's core: the skills most shared across its occupations. ESCO lists 15-50 essential
# skills per ICT occupation; without a shared core two engineers would rarely have a skill in
# common, and no gig would find candidates.
CORE_SIZE = 10


@dataclass(frozen=True, slots=True)
class JobFamily:
    spec: FamilySpec
    occupations: tuple[TaxonomyOccupation, ...]
    essential: tuple[str, ...]  # skill ids, most shared across the family's occupations first
    essential_weight: tuple[float, ...]  # in how many of the family's occupations it is essential
    optional: tuple[str, ...]
    core: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def department(self) -> str:
        return self.spec.department

    def skill_pool(self) -> tuple[str, ...]:
        return self.essential + self.optional

    def skill_weights(
        self, occupation: int | None, *, core: float, own: float = 0.0, other: float
    ) -> tuple[list[str], np.ndarray]:
        """Sampling weights over the pool: `other` for every skill, plus `core` for core skills,
        plus `own` for the skills of `occupation` (an index into `occupations`)."""
        mine: set[str] = set()
        if occupation is not None:
            listed = self.occupations[occupation]
            mine = set(listed.essential_skill_ids) | set(listed.optional_skill_ids)
        central = set(self.core)
        pool = list(self.skill_pool())
        weights = [
            other + (core if s in central else 0.0) + (own if s in mine else 0.0) for s in pool
        ]
        return pool, np.array(weights)


def match_family(label: str) -> FamilySpec | None:
    text = label.casefold()
    if any(word in text for word in EXCLUDED_KEYWORDS):
        return None
    for spec in FAMILY_SPECS:
        if any(word in text for word in spec.keywords):
            return spec
    return None


def _known(ids: tuple[str, ...], taxonomy: Taxonomy, allowed: frozenset[str] | None) -> list[str]:
    return [i for i in ids if i in taxonomy.skills and (allowed is None or i in allowed)]


def _ids_in(name: str) -> frozenset[str]:
    text = resources.files("data.demo").joinpath(name).read_text(encoding="utf-8")
    return frozenset(
        line.split()[0] for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@functools.lru_cache(maxsize=1)
def demo_occupation_ids() -> frozenset[str]:
    """The occupations the demo was designed on (`occupations.txt`)."""
    return _ids_in("occupations.txt")


@functools.lru_cache(maxsize=1)
def demo_skill_ids() -> frozenset[str]:
    """The skills the demo was designed on (`skills.txt`)."""
    return _ids_in("skills.txt")


def build_families(taxonomy: Taxonomy) -> tuple[JobFamily, ...]:
    """Families in FAMILY_SPECS order that have at least one occupation with two known skills.

    Only the demo's own occupations are used where the taxonomy has them: matched by keyword
    across all of ESCO's 3,039, "engineer" would pull mechanical engineers into IT."""
    grouped: dict[str, list[TaxonomyOccupation]] = {spec.key: [] for spec in FAMILY_SPECS}
    designed_on = demo_occupation_ids()
    pool = [o for o in taxonomy.occupations.values() if o.occupation_id in designed_on]
    # The same goes for skills: the designed ones where the taxonomy is the packaged one.
    allowed = demo_skill_ids() if pool else None
    # Sorted by id so the result does not depend on the order the taxonomy was loaded in.
    for occupation in sorted(pool or taxonomy.occupations.values(), key=lambda o: o.occupation_id):
        spec = match_family(occupation.label)
        usable = len(
            _known(
                occupation.essential_skill_ids + occupation.optional_skill_ids, taxonomy, allowed
            )
        )
        if spec is not None and usable >= 2:
            grouped[spec.key].append(occupation)
    families = []
    for spec in FAMILY_SPECS:
        occupations = tuple(grouped[spec.key])
        if not occupations:
            continue
        essential = Counter(
            i for o in occupations for i in _known(o.essential_skill_ids, taxonomy, allowed)
        )
        optional = sorted(
            {i for o in occupations for i in _known(o.optional_skill_ids, taxonomy, allowed)}
            - set(essential)
        )
        ranked = sorted(essential.items(), key=lambda item: (-item[1], item[0]))
        families.append(
            JobFamily(
                spec=spec,
                occupations=occupations,
                essential=tuple(i for i, _ in ranked),
                essential_weight=tuple(float(c) for _, c in ranked),
                optional=tuple(optional),
                core=tuple(i for i, _ in ranked[:CORE_SIZE]),
            )
        )
    if not families:
        raise ValueError(
            "the taxonomy has no occupation matching a job family of the demo company "
            f"(families: {', '.join(s.department for s in FAMILY_SPECS)})"
        )
    return tuple(families)


def title_case(label: str) -> str:
    """'ICT security administrator' -> 'ICT Security Administrator' (acronyms kept)."""
    small = {"and", "of", "for", "in", "the", "to", "a"}
    words = []
    for position, word in enumerate(label.split()):
        if any(c.isupper() for c in word) or (position > 0 and word in small):
            words.append(word)
        else:
            words.append(word[:1].upper() + word[1:])
    return " ".join(words)
