"""Things built once per taxonomy content (occupation relatedness, occupation profiles).

Keyed by content, not the version name: a taxonomy read from the database is named "db"
whatever it holds, and copies share their original's content. The occupations dictionaries
last asked about are also remembered by identity (and size), so a request asking again about
the served taxonomy skips hashing 3,000 occupations (~2 ms); they are held here, so no id is
reused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from data.taxonomy.model import Taxonomy, TaxonomyOccupation

Built = TypeVar("Built")
KEPT = 4  # taxonomies kept (the packaged one, a company's, tests')


class ByContent(Generic[Built]):
    """`build(taxonomy)` once per `key(taxonomy)`; the last KEPT builds are kept."""

    def __init__(
        self,
        build: Callable[[Taxonomy], Built],
        key: Callable[[Taxonomy], Hashable] = lambda t: tuple(t.occupations.values()),
    ) -> None:
        self._build = build
        self._key = key
        self._built: OrderedDict[Hashable, Built] = OrderedDict()
        self._recent: list[tuple[dict[str, TaxonomyOccupation], int, Built]] = []
        self._lock = threading.Lock()

    def __call__(self, taxonomy: Taxonomy) -> Built:
        occupations = taxonomy.occupations
        with self._lock:  # one build per content, however many requests ask at once
            for known, size, found in self._recent:
                if known is occupations and size == len(occupations):
                    return found
            key = self._key(taxonomy)
            built = self._built.get(key)
            if built is None:
                built = self._built[key] = self._build(taxonomy)
                while len(self._built) > KEPT:
                    self._built.popitem(last=False)
            self._built.move_to_end(key)
            self._recent.insert(0, (occupations, len(occupations), built))
            del self._recent[KEPT:]
            return built
