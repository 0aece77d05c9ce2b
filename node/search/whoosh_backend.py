"""The default search engine: one Whoosh index per kind in the node's search folder.

Writes come from the node's single index-writer thread only (Whoosh allows one writer per index). Reads run
on any executor thread, each with its own cached searcher that is refreshed when a commit made a newer
generation, so a query does not pay for opening the index.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from whoosh import fields as wf
from whoosh import index as windex
from whoosh import query as wq
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer

from . import query as query_module
from .backend import (
    KINDS,
    Audience,
    Document,
    Filters,
    Hit,
    ParsedQuery,
    SearchBackend,
    bounding_box,
    distance_km,
)

SCHEMA_VERSION = "1"  # bump when a schema changes: the index folder is rebuilt from the database


def _names() -> StandardAnalyzer:
    return StandardAnalyzer(stoplist=None, minsize=1)


def _stemmed() -> StemmingAnalyzer:
    return StemmingAnalyzer(stoplist=None, minsize=1)


def _authored(text_fields: dict[str, Any]) -> wf.Schema:
    """Statuses and Takes: searched text plus what filters and the audience rules read."""
    return wf.Schema(
        id=wf.ID(stored=True, unique=True),
        tags=wf.KEYWORD(lowercase=True, scorable=True, commas=True),
        author_id=wf.ID, author_acct=wf.ID, domains=wf.KEYWORD(commas=True),
        language=wf.ID, visibility=wf.ID, mentions=wf.KEYWORD(commas=True),
        created=wf.NUMERIC(int, bits=64, sortable=True), has_media=wf.BOOLEAN,
        engagement=wf.NUMERIC(int, sortable=True),
        lat=wf.NUMERIC(float, stored=True), lon=wf.NUMERIC(float, stored=True),
        **text_fields)


SCHEMAS: dict[str, Any] = {
    "statuses": lambda: _authored({"text": wf.TEXT(analyzer=_stemmed()), "spoiler": wf.TEXT(analyzer=_stemmed())}),
    "takes": lambda: _authored({"caption": wf.TEXT(analyzer=_stemmed()), "btt_text": wf.TEXT(analyzer=_stemmed()),
                                "sound": wf.TEXT(analyzer=_stemmed())}),
    "accounts": lambda: wf.Schema(
        id=wf.ID(stored=True, unique=True), names=wf.TEXT(analyzer=_names()), note=wf.TEXT(analyzer=_stemmed()),
        username=wf.ID(stored=True), acct=wf.ID(stored=True), display_name=wf.STORED,
        domains=wf.KEYWORD(commas=True), followers=wf.NUMERIC(int, stored=True, sortable=True),
        local=wf.BOOLEAN(stored=True)),
    "hashtags": lambda: wf.Schema(
        id=wf.ID(stored=True, unique=True), name=wf.ID(stored=True), words=wf.TEXT(analyzer=_stemmed()),
        uses=wf.NUMERIC(int, stored=True, sortable=True), last_used=wf.NUMERIC(int, bits=64, sortable=True)),
    "places": lambda: wf.Schema(
        id=wf.ID(stored=True, unique=True), name=wf.TEXT(analyzer=_names(), stored=True),
        locality=wf.TEXT(analyzer=_names()), country=wf.TEXT(analyzer=_names()),
        lat=wf.NUMERIC(float, stored=True), lon=wf.NUMERIC(float, stored=True),
        popularity=wf.NUMERIC(int, stored=True, sortable=True)),
}

# Which fields a full-text query reads, with their weights, and which of them tolerate typos.
SEARCHED: dict[str, list[tuple[str, float]]] = {
    "statuses": [("text", 1.0), ("spoiler", 0.5), ("tags", 2.0)],
    "takes": [("caption", 1.5), ("btt_text", 1.0), ("sound", 1.0), ("tags", 2.0)],
    "accounts": [("names", 3.0), ("note", 0.5)],
    "hashtags": [("name", 3.0), ("words", 1.0)],
    "places": [("name", 3.0), ("locality", 1.0), ("country", 1.0)],
}
FUZZY: dict[str, tuple[str, ...]] = {
    "statuses": ("text",), "takes": ("caption", "btt_text", "sound"), "accounts": ("names",),
    "hashtags": ("words",), "places": ("name", "locality"),
}


def _split_words(name: str) -> str:
    """`streetphotography` stays whole; `street_photo` and `StreetPhoto` also give their parts."""
    import re

    parts = re.split(r"_|(?<=[a-z])(?=[A-Z])", name)
    return " ".join([name, *parts]) if len(parts) > 1 else name


def _to_whoosh(doc: Document) -> dict[str, Any]:
    f = doc.fields
    out: dict[str, Any] = {"id": str(doc.id)}
    if doc.kind in ("statuses", "takes"):
        for key in ("text", "spoiler", "caption", "btt_text", "sound", "author_acct", "language", "visibility"):
            if key in f and f[key]:
                out[key] = f[key]
        out["tags"] = ",".join(f.get("tags", ()))
        out["author_id"] = str(f["author_id"])
        out["domains"] = ",".join(f.get("domains", ()))
        out["mentions"] = ",".join(str(m) for m in f.get("mentions", ()))
        out["created"] = int(f.get("created", 0))
        out["has_media"] = bool(f.get("has_media"))
        out["engagement"] = int(f.get("engagement", 0))
        if f.get("lat") is not None and f.get("lon") is not None:
            out["lat"], out["lon"] = float(f["lat"]), float(f["lon"])
    elif doc.kind == "accounts":
        out.update(names=" ".join([f["username"], f["acct"].replace("@", " "), f["display_name"]]), note=f["note"],
                   username=f["username"].lower(), acct=f["acct"].lower(), display_name=f["display_name"],
                   domains=",".join(f.get("domains", ())), followers=int(f["followers"]), local=bool(f["local"]))
    elif doc.kind == "hashtags":
        out.update(name=f["name"].lower(), words=_split_words(f["display_name"]), uses=int(f["uses"]),
                   last_used=int(f["last_used"]))
    elif doc.kind == "places":
        out.update(name=f["name"], locality=f["locality"], country=f["country"], lat=float(f["lat"]),
                   lon=float(f["lon"]), popularity=int(f["popularity"]))
    return out


class WhooshBackend(SearchBackend):
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fresh: set[str] = set()  # kinds whose index was (re)created empty when opened
        self._indexes: dict[str, Any] = {}
        self._generation: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._local = threading.local()
        self._open_lock = threading.Lock()

    # ---- opening -----------------------------------------------------------------------------------------

    def _index(self, kind: str) -> Any:
        ix = self._indexes.get(kind)
        if ix is not None:
            return ix
        with self._open_lock:
            if kind not in self._indexes:
                self._indexes[kind] = self._open(kind)
            return self._indexes[kind]

    def _open(self, kind: str) -> Any:
        path = self.folder / kind
        version = path / "SCHEMA_VERSION"
        if path.exists() and windex.exists_in(str(path)) and version.exists() and version.read_text() == SCHEMA_VERSION:
            return windex.open_dir(str(path))
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        ix = windex.create_in(str(path), SCHEMAS[kind]())
        version.write_text(SCHEMA_VERSION)
        self.fresh.add(kind)
        return ix

    def open_all(self) -> None:
        for kind in KINDS:
            self._index(kind)

    def _searcher(self, kind: str) -> Any:
        """This thread's searcher on the latest committed generation (a cleared index is a new object)."""
        cache: dict[str, tuple[Any, int, Any]] = self._local.__dict__.setdefault("searchers", {})
        ix = self._index(kind)
        generation = self._generation[kind]
        held = cache.get(kind)
        if held is not None and held[0] is ix and held[1] == generation:
            return held[2]
        searcher = held[2].refresh() if held is not None and held[0] is ix else ix.searcher()
        cache[kind] = (ix, generation, searcher)
        return searcher

    # ---- writing (the index-writer thread only) ----------------------------------------------------------

    def apply(self, upserts: Sequence[Document], deletes: Sequence[tuple[str, int]]) -> None:
        by_kind: dict[str, tuple[list[Document], list[int]]] = {}
        for doc in upserts:
            by_kind.setdefault(doc.kind, ([], []))[0].append(doc)
        for kind, doc_id in deletes:
            by_kind.setdefault(kind, ([], []))[1].append(doc_id)
        for kind, (docs, gone) in by_kind.items():
            if kind not in SCHEMAS:
                continue
            writer = self._index(kind).writer(limitmb=64)
            try:
                for doc_id in gone:
                    writer.delete_by_term("id", str(doc_id))
                for doc in docs:
                    writer.update_document(**_to_whoosh(doc))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            self._generation[kind] += 1

    def bulk_add(self, docs: Sequence[Document]) -> None:
        """Add documents known not to be in the index (a rebuild after `clear`): no per-document delete."""
        by_kind: dict[str, list[Document]] = {}
        for doc in docs:
            by_kind.setdefault(doc.kind, []).append(doc)
        for kind, group in by_kind.items():
            writer = self._index(kind).writer(limitmb=128)
            for doc in group:
                writer.add_document(**_to_whoosh(doc))
            writer.commit()
            self._generation[kind] += 1

    def optimize(self, kind: str) -> None:
        self._index(kind).optimize()
        self._generation[kind] += 1

    def clear(self, kinds: Sequence[str] = KINDS) -> None:
        for kind in kinds:
            ix = self._indexes.pop(kind, None)
            if ix is not None:
                ix.close()
            path = self.folder / kind
            if path.exists():
                shutil.rmtree(path)
            self._index(kind)
            self._generation[kind] += 1

    # ---- reading -----------------------------------------------------------------------------------------

    def count(self, kind: str) -> int:
        return self._searcher(kind).doc_count()

    def _filters(self, kind: str, filters: Filters, audience: Audience) -> tuple[Any, Any]:
        """The filter (what may match) and mask (what must not) for a kind."""
        wanted: list[Any] = []
        masked: list[Any] = []
        if audience.hidden_domains and kind != "hashtags" and kind != "places":
            masked += [wq.Term("domains", d) for d in audience.hidden_domains]
        if kind in ("statuses", "takes"):
            allowed: list[Any] = [wq.Term("visibility", "public"), wq.Term("visibility", "unlisted")]
            if audience.viewer_id is not None:
                me = str(audience.viewer_id)
                allowed += [wq.Term("author_id", me), wq.Term("mentions", me)]
                if audience.following:
                    allowed.append(wq.And([wq.Term("visibility", "private"),
                                           wq.Or([wq.Term("author_id", str(a)) for a in audience.following])]))
            wanted.append(wq.Or(allowed))
            masked += [wq.Term("author_id", str(a)) for a in audience.hidden_authors]
            if filters.author_ids is not None:
                wanted.append(wq.Or([wq.Term("author_id", str(a)) for a in filters.author_ids]) if filters.author_ids
                              else wq.NullQuery)
            if filters.since is not None or filters.until is not None:
                end = int(filters.until) - 1 if filters.until is not None else None
                wanted.append(wq.NumericRange("created", int(filters.since) if filters.since is not None else None,
                                              end))
            if filters.has_media is not None:
                wanted.append(wq.Term("has_media", filters.has_media))
            if filters.language:
                wanted.append(wq.Term("language", filters.language))
            if filters.min_engagement:
                wanted.append(wq.NumericRange("engagement", filters.min_engagement, None))
        elif kind == "accounts":
            masked += [wq.Term("id", str(a)) for a in audience.hidden_authors]
        if filters.near is not None and kind in ("statuses", "takes", "places"):
            lat, lon, km = filters.near
            low_lat, high_lat, low_lon, high_lon = bounding_box(lat, lon, km)
            lon_ranges = [wq.NumericRange("lon", max(low_lon, -180.0), min(high_lon, 180.0))]
            if low_lon < -180:
                lon_ranges.append(wq.NumericRange("lon", low_lon + 360, 180.0))
            if high_lon > 180:
                lon_ranges.append(wq.NumericRange("lon", -180.0, high_lon - 360))
            wanted += [wq.NumericRange("lat", low_lat, high_lat), wq.Or(lon_ranges)]
        filter_query = wq.And(wanted) if wanted else None
        mask_query = wq.Or(masked) if masked else None
        return filter_query, mask_query

    def search(self, kind: str, query: ParsedQuery, filters: Filters, audience: Audience, *, limit: int,
               offset: int = 0) -> list[Hit]:
        schema = self._index(kind).schema
        searcher = self._searcher(kind)
        filter_query, mask_query = self._filters(kind, filters, audience)
        if query.empty:
            text_query: Any = wq.Every()
            sort: dict[str, Any] = {"sortedby": "created" if kind in ("statuses", "takes") else
                                    ("followers" if kind == "accounts" else
                                     "uses" if kind == "hashtags" else "popularity"), "reverse": True}
        else:
            text_query = query_module.build(schema, SEARCHED[kind], query, fuzzy_fields=FUZZY[kind])
            sort = {}
        near = filters.near if kind in ("statuses", "takes", "places") else None
        wanted = offset + limit
        fetch = wanted * 4 + 20 if near else wanted
        hits = self._run(searcher, text_query, filter_query, mask_query, fetch, sort, near)
        if not hits and not query.empty and len(query.words) + len(query.phrases) + len(query.prefixes) > 1:
            loose = query_module.build(schema, SEARCHED[kind], query, fuzzy_fields=FUZZY[kind], conjunction=False)
            hits = self._run(searcher, loose, filter_query, mask_query, fetch, sort, near)
        return [Hit(kind, doc_id, score) for doc_id, score in hits[offset:wanted]]

    @staticmethod
    def _run(searcher: Any, text_query: Any, filter_query: Any, mask_query: Any, fetch: int, sort: dict[str, Any],
             near: tuple[float, float, float] | None) -> list[tuple[int, float]]:
        if text_query is wq.NullQuery:
            return []
        results = searcher.search(text_query, filter=filter_query, mask=mask_query, limit=fetch, **sort)
        found = []
        for hit in results:
            if near is not None:
                lat, lon = hit.get("lat"), hit.get("lon")
                if lat is None or lon is None or distance_km(near[0], near[1], lat, lon) > near[2]:
                    continue
            found.append((int(hit["id"]), hit.score or 0.0))
        if not sort:  # equal scores: newer first, so the order does not depend on how segments were merged
            found.sort(key=lambda item: (-round(item[1], 4), -item[0]))
        return found

    def suggest(self, kind: str, prefix: str, *, limit: int) -> list[Hit]:
        prefix = prefix.strip().lower().lstrip("@#")
        if not prefix:
            return []
        searcher = self._searcher(kind)
        if kind == "accounts":
            if "@" in prefix:
                q: Any = wq.Prefix("acct", prefix)
            else:
                q = wq.Or([wq.Prefix("names", w) for w in prefix.split()[:1]] + [wq.Prefix("acct", prefix)])
            popularity = "followers"
        elif kind == "hashtags":
            q, popularity = wq.Prefix("name", prefix.replace(" ", "")), "uses"
        elif kind == "places":
            words = prefix.split()
            q = wq.And([wq.Prefix("name", w) for w in words[:4]]) if words else wq.NullQuery
            popularity = "popularity"
        else:
            return []
        results = searcher.search(q, limit=max(limit * 5, 50), sortedby=popularity, reverse=True)
        ranked = []
        for position, hit in enumerate(results):
            ranked.append((self._tier(kind, hit, prefix), position, int(hit["id"]), hit.get(popularity) or 0))
        ranked.sort()
        return [Hit(kind, doc_id, float(pop)) for _, _, doc_id, pop in ranked[:limit]]

    @staticmethod
    def _tier(kind: str, stored: Any, prefix: str) -> int:
        """How well a name matches what was typed: exact, starts the handle, starts a word elsewhere."""
        if kind == "accounts":
            username, acct = stored.get("username", ""), stored.get("acct", "")
            if prefix in (username, acct):
                return 0
            if username.startswith(prefix) or acct.startswith(prefix):
                return 1 if stored.get("local") else 2
            return 3 if (stored.get("display_name") or "").lower().startswith(prefix) else 4
        name = (stored.get("name") or "").lower()
        if name == prefix:
            return 0
        return 1 if name.startswith(prefix) else 2

    def close(self) -> None:
        for ix in self._indexes.values():
            ix.close()
        self._indexes.clear()
