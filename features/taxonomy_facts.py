"""What pair features read from the taxonomy besides skill ids: tool categories (Tableau and
Power BI are both business-intelligence software), how related two occupations are, and the
whole work of an occupation (its weighted skill profile and tool categories).

The packaged taxonomy's by default; a caller with another taxonomy (a test, a company's own
copy) hands its own to the feature store.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from data.taxonomy.occupation_profiles import OccupationProfiles
from data.taxonomy.packaged import load_packaged_taxonomy
from data.taxonomy.relatedness import OccupationRelatedness

__all__ = [
    "OccupationProfiles",
    "OccupationRelatedness",
    "packaged_profiles",
    "packaged_relatedness",
    "packaged_tool_categories",
]


@functools.lru_cache(maxsize=1)
def packaged_tool_categories() -> Mapping[str, str]:
    """Tool skill id -> its category id ("toolcat:<code>") in the shipped taxonomy."""
    return dict(load_packaged_taxonomy().tool_categories)


def packaged_relatedness() -> OccupationRelatedness:
    """The shipped taxonomy's occupation relatedness (built once per taxonomy version)."""
    return OccupationRelatedness.from_taxonomy(load_packaged_taxonomy())


def packaged_profiles() -> OccupationProfiles:
    """The shipped taxonomy's occupation profiles (built once per taxonomy content)."""
    return OccupationProfiles.from_taxonomy(load_packaged_taxonomy())
