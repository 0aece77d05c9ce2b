"""The search backend interface: what the indexer writes and the search service asks, whatever the engine.

Whoosh (whoosh_backend.py) is the default; a larger instance plugs in another engine by implementing
`SearchBackend`. Backends see plain documents and engine-neutral queries, never models or HTTP.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Result groups, in the order a combined search answers them. `takes` and `places` are our extensions to
# Mastodon's accounts/statuses/hashtags.
KINDS = ("accounts", "statuses", "hashtags", "takes", "places")
# Kinds whose documents have an author and a visibility, so the audience rules apply to them.
AUTHORED = ("statuses", "takes")
# Kinds a person can type ahead in.
SUGGESTIBLE = ("accounts", "hashtags", "places")


@dataclass
class Document:
    """One searchable thing: its kind, its id, and its fields (see documents.py for each kind's fields)."""

    kind: str
    id: int
    fields: dict[str, Any]
    touches: list[tuple[str, int]] = field(default_factory=list)  # other documents to refresh with this one


@dataclass
class ParsedQuery:
    """What a person typed, split safely: plain words, quoted phrases, words ending in `*` (prefixes)."""

    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    fuzzy: bool = True

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases or self.prefixes)


@dataclass
class Filters:
    """Narrowing that applies to the kinds that have the field; the others ignore it."""

    author_ids: list[int] | None = None
    since: float | None = None  # Unix seconds, inclusive
    until: float | None = None  # Unix seconds, exclusive
    has_media: bool | None = None
    language: str | None = None
    min_engagement: int | None = None
    near: tuple[float, float, float] | None = None  # lat, lon, radius in km


@dataclass
class Audience:
    """Who is asking, for the index-side visibility pre-filter (the service re-checks every hit)."""

    viewer_id: int | None = None
    following: frozenset[int] = frozenset()
    hidden_authors: frozenset[int] = frozenset()  # blocked either way
    hidden_domains: frozenset[str] = frozenset()  # suspended servers


@dataclass
class Hit:
    kind: str
    id: int
    score: float


class SearchBackend(ABC):
    """A search engine holding one collection of documents per kind. `apply` and `clear` are only ever
    called from the node's single index-writer thread; the read methods may run on any thread."""

    @abstractmethod
    def apply(self, upserts: Sequence[Document], deletes: Sequence[tuple[str, int]]) -> None:
        """Add or replace `upserts` and remove `deletes` (kind, id), as one commit per kind."""

    @abstractmethod
    def clear(self, kinds: Sequence[str] = KINDS) -> None:
        """Empty the collections (before a rebuild)."""

    @abstractmethod
    def search(self, kind: str, query: ParsedQuery, filters: Filters, audience: Audience, *, limit: int,
               offset: int = 0) -> list[Hit]:
        """Best matches first."""

    @abstractmethod
    def suggest(self, kind: str, prefix: str, *, limit: int) -> list[Hit]:
        """Type-ahead: names starting with `prefix`, ranked by how well they match and by popularity."""

    @abstractmethod
    def count(self, kind: str) -> int:
        """How many documents the collection holds."""

    def close(self) -> None:  # noqa: B027 - optional
        """Release files and caches."""


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), what the geo radius filter means."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """min_lat, max_lat, min_lon, max_lon around a point: the cheap range check before the exact distance."""
    dlat = km / 111.32
    cos = math.cos(math.radians(lat))
    dlon = 180.0 if cos < 1e-6 else min(180.0, km / (111.32 * cos))
    return max(-90.0, lat - dlat), min(90.0, lat + dlat), lon - dlon, lon + dlon


def domain_suffixes(domain: str) -> list[str]:
    """`a.b.example` -> itself, `b.example`, `example`: a suspension of any of them covers the account."""
    name = domain.lower()
    parts = name.split(".")
    return list(dict.fromkeys([name, *(".".join(parts[i:]) for i in range(len(parts)))])) if name else []
