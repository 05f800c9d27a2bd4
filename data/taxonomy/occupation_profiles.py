"""What the work of an occupation holds, weighted by what each part says about it.

A posting asks for ten skills; its occupation's work is described by thirty to sixty (ESCO's
essential and optional skills, O*NET's tools). A person sampled from that work holds a handful
of them, often not the ten asked. Two numbers per (person, posting) say how well the person's
whole profile fits the posting's whole work (features/store.py computes them):

- profile fit, the F1 of a precision and a recall over specificity-weighted skills:
      weight(s)  = log(1 + N / (1 + occupations listing s))  (one occupation lists it: ~8;
                   "use Microsoft Office", listed by hundreds: ~1)
      profile    = the occupation's essential skills at 1.0 x weight, optional ones and tools
                   at 0.6 x weight, and what the posting itself asks (required 1.0, preferred
                   0.6), the larger where both list a skill
      precision  = weight of the person's skills the profile lists / weight of all of them
      recall     = profile weight the person holds / the profile's whole weight
  Holding one more skill the posting asks raises both, so the fit never falls for it.
- tool-category fit: the person's tools counted per O*NET category (log(1 + n) x the
  category's weight over occupations) against the unit vector of the categories the work's
  tools fall in. It reads the kind of software a person uses where their products are not the
  ones listed (Vectorworks for a drafter whose O*NET list names AutoCAD); holding one more tool
  never lowers it.

Built once per taxonomy content (like data/taxonomy/relatedness.py): ~3,000 occupations, 22k
skills and tools, well under a second.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Collection, Mapping

from data.taxonomy.content_cache import ByContent
from data.taxonomy.model import Taxonomy, TaxonomyOccupation

ESSENTIAL = 1.0
OPTIONAL = 0.6
TOOL = 0.6
REQUIRED = 1.0
PREFERRED = 0.6
MAX_KEPT_VECTORS = 50_000  # postings' category vectors kept (one per distinct tools asked)


class OccupationProfiles:
    """Weighted skill profiles and tool-category vectors of one taxonomy's occupations."""

    def __init__(
        self, occupations: Collection[TaxonomyOccupation], tool_categories: Mapping[str, str]
    ) -> None:
        listed: Counter[str] = Counter()
        category_listed: Counter[str] = Counter()
        for occupation in occupations:
            listed.update({*occupation.essential_skill_ids, *occupation.optional_skill_ids})
            listed.update(set(occupation.tool_ids))
            category_listed.update(
                {tool_categories[t] for t in occupation.tool_ids if t in tool_categories}
            )
        count = len(occupations)
        self._unlisted = math.log(1 + count)
        self._weight = {s: math.log(1 + count / (1 + n)) for s, n in listed.items()}
        self._category_weight = {
            c: math.log(1 + count / (1 + n)) for c, n in category_listed.items()
        }
        self.tool_categories = tool_categories
        self._occupations = {o.occupation_id: o for o in occupations}
        self._profiles: dict[str, dict[str, float]] = {}
        self._vectors: dict[tuple[str, tuple[str, ...]], dict[str, float]] = {}
        self._masses: dict[str, float] = {}
        self._lock = threading.Lock()

    def weight(self, skill_id: str) -> float:
        """What holding the skill says about the work: one no occupation lists says the most."""
        return self._weight.get(skill_id, self._unlisted)

    def category_weight(self, category_id: str) -> float:
        return self._category_weight.get(category_id, self._unlisted)

    def profile(self, occupation_id: str | None) -> Mapping[str, float]:
        """Skill id -> its weight in the occupation's work (empty for None or unknown)."""
        if occupation_id is None or occupation_id not in self._occupations:
            return {}
        with self._lock:
            found = self._profiles.get(occupation_id)
        if found is None:
            occupation = self._occupations[occupation_id]
            found = {}
            for ids, share in (
                (occupation.tool_ids, TOOL),
                (occupation.optional_skill_ids, OPTIONAL),
                (occupation.essential_skill_ids, ESSENTIAL),
            ):
                for skill_id in ids:
                    found[skill_id] = share * self.weight(skill_id)  # essential wins, last
            with self._lock:
                self._profiles[occupation_id] = found
        return found

    def asked(
        self, occupation_id: str | None, required: Collection[str], preferred: Collection[str]
    ) -> dict[str, float]:
        """What the posting asks that weighs more than its occupation's profile says: the
        posting's profile is the occupation's with these put over it."""
        profile = self.profile(occupation_id)
        out: dict[str, float] = {}
        for ids, share in ((preferred, PREFERRED), (required, REQUIRED)):
            for skill_id in ids:
                value = share * self.weight(skill_id)
                if value > max(profile.get(skill_id, 0.0), out.get(skill_id, 0.0)):
                    out[skill_id] = value
        return out

    def mass(self, occupation_id: str | None) -> float:
        """The occupation profile's whole weight."""
        if occupation_id is None or occupation_id not in self._occupations:
            return 0.0
        with self._lock:
            found = self._masses.get(occupation_id)
        if found is None:
            found = sum(self.profile(occupation_id).values())
            with self._lock:
                self._masses[occupation_id] = found
        return found

    def category_vector(self, tool_ids: Collection[str]) -> dict[str, float]:
        """Unit vector over the tools' categories: log(1 + tools in it) x its weight."""
        counts = Counter(self.tool_categories[t] for t in tool_ids if t in self.tool_categories)
        raw = {c: math.log1p(n) * self.category_weight(c) for c, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in raw.values()))
        return {c: v / norm for c, v in raw.items()} if norm > 0 else {}

    def posting_categories(
        self, occupation_id: str | None, asked: Collection[str]
    ) -> dict[str, float]:
        """The unit category vector of the occupation's tools and the tools the posting asks
        (kept per occupation and tools asked beyond it: a page reads ~200 postings')."""
        extra = tuple(sorted({s for s in asked if s in self.tool_categories}))
        key = (occupation_id or "", extra)
        with self._lock:
            found = self._vectors.get(key)
        if found is None:
            found = self.category_vector([*self.occupation_tools(occupation_id), *extra])
            with self._lock:
                if len(self._vectors) >= MAX_KEPT_VECTORS:
                    self._vectors.clear()
                self._vectors[key] = found
        return found

    def occupation_tools(self, occupation_id: str | None) -> tuple[str, ...]:
        occupation = self._occupations.get(occupation_id or "")
        return occupation.tool_ids if occupation is not None else ()

    def person_categories(self, skill_ids: Collection[str]) -> dict[str, float]:
        """The person's tools per category: log(1 + n) x the category's weight (unnormalised:
        one more tool never lowers a category's amount)."""
        counts = Counter(self.tool_categories[s] for s in skill_ids if s in self.tool_categories)
        return {c: math.log1p(n) * self.category_weight(c) for c, n in counts.items()}

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy) -> OccupationProfiles:
        return _cached(taxonomy)


_cached = ByContent(
    lambda taxonomy: OccupationProfiles(
        list(taxonomy.occupations.values()), dict(taxonomy.tool_categories)
    ),
    key=lambda taxonomy: (*taxonomy.occupations.values(), len(taxonomy.tool_categories)),
)
