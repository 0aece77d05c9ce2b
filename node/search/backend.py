"""The search backend interface: what the indexer writes and the search service asks, whatever the engine.

Whoosh (whoosh_backend.py) is the default; PostgreSQL full-text search (postgres_backend.py) serves a node
on PostgreSQL. An engine implements `SearchBackend` (blocking calls, run on threads by `InThreads`) or
`AsyncSearchBackend` (awaitable calls on the event loop, for an engine the node reaches through its own
database connections). Backends see plain documents and engine-neutral queries, never models or HTTP.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
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


class AsyncSearchBackend(ABC):
    """The interface as the indexer and the search service use it: every call awaitable, on the event loop.

    `as_of` is when the documents of a batch began to be built (the backend's own clock, `clock()`): with
    `concurrent_writers`, several processes write at once, and a document built earlier never replaces one
    built later, so the newest reading of the database wins whatever order the writes land in."""

    concurrent_writers = False  # True: every process of a node may write (no elected single writer)

    @abstractmethod
    async def open(self) -> set[str]:
        """Make or check the storage; returns the kinds that were created empty (to rebuild from the database)."""

    async def clock(self) -> float:
        return time.time()

    @abstractmethod
    async def apply(self, upserts: Sequence[Document], deletes: Sequence[tuple[str, int]], *,
                    as_of: float) -> None:
        """Add or replace `upserts` and remove `deletes` (kind, id)."""

    async def bulk_add(self, docs: Sequence[Document], *, as_of: float) -> None:
        """Add documents known not to be held (a rebuild after `clear`)."""
        await self.apply(docs, [], as_of=as_of)

    @abstractmethod
    async def clear(self, kinds: Sequence[str] = KINDS) -> None:
        """Empty the collections (before a rebuild)."""

    @abstractmethod
    async def search(self, kind: str, query: ParsedQuery, filters: Filters, audience: Audience, *, limit: int,
                     offset: int = 0) -> list[Hit]:
        """Best matches first."""

    @abstractmethod
    async def suggest(self, kind: str, prefix: str, *, limit: int) -> list[Hit]:
        """Type-ahead: names starting with `prefix`, ranked by how well they match and by popularity."""

    @abstractmethod
    async def count(self, kind: str) -> int:
        """How many documents the collection holds."""

    async def rebuilt(self, kind: str) -> None:  # noqa: B027 - optional
        """A kind was filled again from the database (a rebuild): a moment to refresh the engine's statistics."""

    async def search_kinds(self, kinds: Sequence[str], query: ParsedQuery, filters: Filters, audience: Audience, *,
                           limit: int, offset: int = 0) -> dict[str, list[Hit]]:
        """Best hits for each kind (one request's groups)."""
        return {kind: await self.search(kind, query, filters, audience, limit=limit, offset=offset) for kind in kinds}

    async def suggest_kinds(self, kinds: Sequence[str], prefix: str, *, limit: int) -> dict[str, list[Hit]]:
        return {kind: await self.suggest(kind, prefix, limit=limit) for kind in kinds}

    async def close(self) -> None:  # noqa: B027 - optional
        """Release files, caches and connections."""


class InThreads(AsyncSearchBackend):
    """A blocking `SearchBackend` behind the awaitable interface: writes on the one `writer` thread (the
    engine allows one writer), reads on the loop's default executor, one hop for a request's kinds."""

    def __init__(self, engine: SearchBackend, writer: Executor) -> None:
        self.engine = engine
        self.writer = writer

    async def _write(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.writer, fn, *args)

    async def _read(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn)

    async def open(self) -> set[str]:
        opener = getattr(self.engine, "open_all", None)
        if opener is not None:
            await self._write(opener)
        return set(getattr(self.engine, "fresh", set()))

    async def apply(self, upserts: Sequence[Document], deletes: Sequence[tuple[str, int]], *,
                    as_of: float) -> None:
        await self._write(self.engine.apply, upserts, deletes)

    async def bulk_add(self, docs: Sequence[Document], *, as_of: float) -> None:
        bulk = getattr(self.engine, "bulk_add", None)
        await (self._write(bulk, docs) if bulk is not None else self._write(self.engine.apply, docs, []))

    async def clear(self, kinds: Sequence[str] = KINDS) -> None:
        await self._write(self.engine.clear, list(kinds))

    async def search(self, kind: str, query: ParsedQuery, filters: Filters, audience: Audience, *, limit: int,
                     offset: int = 0) -> list[Hit]:
        return await self._read(lambda: self.engine.search(kind, query, filters, audience, limit=limit,
                                                           offset=offset))

    async def search_kinds(self, kinds: Sequence[str], query: ParsedQuery, filters: Filters, audience: Audience, *,
                           limit: int, offset: int = 0) -> dict[str, list[Hit]]:
        chosen = list(kinds)
        return await self._read(lambda: {kind: self.engine.search(kind, query, filters, audience, limit=limit,
                                                                  offset=offset) for kind in chosen})

    async def suggest(self, kind: str, prefix: str, *, limit: int) -> list[Hit]:
        return await self._read(lambda: self.engine.suggest(kind, prefix, limit=limit))

    async def suggest_kinds(self, kinds: Sequence[str], prefix: str, *, limit: int) -> dict[str, list[Hit]]:
        chosen = list(kinds)
        return await self._read(lambda: {kind: self.engine.suggest(kind, prefix, limit=limit) for kind in chosen})

    async def count(self, kind: str) -> int:
        return await self._read(lambda: self.engine.count(kind))

    async def close(self) -> None:
        await self._write(self.engine.close)


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


SHORT_PREFIX = 3  # type-ahead prefixes up to this long are looked up as whole word starts, not expanded


def split_words(name: str) -> str:
    """A hashtag as words: `streetphotography` stays whole; `street_photo` and `StreetPhoto` also give their
    parts."""
    parts = re.split(r"_|(?<=[a-z])(?=[A-Z])", name)
    return " ".join([name, *parts]) if len(parts) > 1 else name


def word_starts(*texts: str) -> list[str]:
    """Every 1..SHORT_PREFIX-letter start of every word: a short type-ahead prefix is then one lookup
    instead of an expansion over thousands of words."""
    return sorted({word[:n] for text in texts for word in re.findall(r"\w+", text.lower())
                   for n in range(1, SHORT_PREFIX + 1)})
