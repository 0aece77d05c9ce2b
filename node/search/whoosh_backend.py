"""The default search engine: one Whoosh index per kind in the node's search folder.

Writes come from the node's single index-writer thread only (Whoosh allows one writer per index). Reads run
on any executor thread, each with its own cached searcher that is refreshed when a commit made a newer
generation, so a query does not pay for opening the index.
"""

from __future__ import annotations

import shutil
import threading
import time
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
    SHORT_PREFIX,
    Audience,
    Document,
    Filters,
    Hit,
    ParsedQuery,
    SearchBackend,
    bounding_box,
    distance_km,
    split_words,
    word_starts,
)
from .writer_process import WriterProcess

DISK_CHECK_SECONDS = 1.0  # how often a searcher looks for commits made by another process
SCHEMA_VERSION = "3"  # bump when a schema changes: the index folder is rebuilt from the database


def _remember_missing_columns() -> None:
    """Whoosh 2.7 caches a segment's length-column reader only when the column exists, so merging postings of
    an unscored field (ids, keywords, numbers) stats the missing column file once per posting: about a
    quarter of the CPU an indexed status cost. Caching the absence too is safe because a written segment's
    files never change."""
    from whoosh.codec import whoosh3

    reader_class = whoosh3.W3PerDocReader
    if getattr(reader_class, "_entativa_cached", False):
        return
    original = reader_class._cached_reader

    def cached_reader(self: Any, fieldname: str, column: Any) -> Any:
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = self._readers[fieldname] = original(self, fieldname, column)
            return reader

    reader_class._cached_reader = cached_reader
    reader_class._entativa_cached = True


_remember_missing_columns()


def _names() -> StandardAnalyzer:
    return StandardAnalyzer(stoplist=None, minsize=1)


def _stemmed() -> StemmingAnalyzer:
    return StemmingAnalyzer(stoplist=None, minsize=1)


def _authored(text_fields: dict[str, Any]) -> wf.Schema:
    """Statuses and Takes: searched text plus what filters and the audience rules read."""
    return wf.Schema(
        id=wf.ID(stored=True, unique=True),
        tags=wf.KEYWORD(lowercase=True, scorable=True, commas=True),
        author_id=wf.ID, domains=wf.KEYWORD(commas=True),  # from:name is resolved to author ids before searching
        language=wf.ID, visibility=wf.ID, mentions=wf.KEYWORD(commas=True),
        # Coarse numeric tiers (16 bits a step, not 4): 4 terms per date and 2 per count instead of 16 and 8
        # make a document a third cheaper to index; ranges then read a few more terms, which stays fast.
        created=wf.NUMERIC(int, bits=64, sortable=True, shift_step=16), has_media=wf.BOOLEAN,
        engagement=wf.NUMERIC(int, sortable=True, shift_step=16),
        lat=wf.NUMERIC(float, stored=True), lon=wf.NUMERIC(float, stored=True),
        **text_fields)


SCHEMAS: dict[str, Any] = {
    "statuses": lambda: _authored({"text": wf.TEXT(analyzer=_stemmed()), "spoiler": wf.TEXT(analyzer=_stemmed())}),
    "takes": lambda: _authored({"caption": wf.TEXT(analyzer=_stemmed()), "btt_text": wf.TEXT(analyzer=_stemmed()),
                                "sound": wf.TEXT(analyzer=_stemmed())}),
    "accounts": lambda: wf.Schema(
        id=wf.ID(stored=True, unique=True), names=wf.TEXT(analyzer=_names()), note=wf.TEXT(analyzer=_stemmed()),
        username=wf.ID(stored=True), acct=wf.ID(stored=True), display_name=wf.STORED, starts=wf.KEYWORD,
        domains=wf.KEYWORD(commas=True), followers=wf.NUMERIC(int, stored=True, sortable=True),
        local=wf.BOOLEAN(stored=True)),
    "hashtags": lambda: wf.Schema(
        id=wf.ID(stored=True, unique=True), name=wf.ID(stored=True), words=wf.TEXT(analyzer=_stemmed()),
        starts=wf.KEYWORD,
        uses=wf.NUMERIC(int, stored=True, sortable=True), last_used=wf.NUMERIC(int, bits=64, sortable=True)),
    "places": lambda: wf.Schema(
        id=wf.ID(stored=True, unique=True), name=wf.TEXT(analyzer=_names(), stored=True), starts=wf.KEYWORD,
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


def _starts(*texts: str) -> str:
    return " ".join(word_starts(*texts))


def _to_whoosh(doc: Document) -> dict[str, Any]:
    f = doc.fields
    out: dict[str, Any] = {"id": str(doc.id)}
    if doc.kind in ("statuses", "takes"):
        for key in ("text", "spoiler", "caption", "btt_text", "sound", "language", "visibility"):
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
                   domains=",".join(f.get("domains", ())), followers=int(f["followers"]), local=bool(f["local"]),
                   starts=_starts(f["username"], f["display_name"]))
    elif doc.kind == "hashtags":
        out.update(name=f["name"].lower(), words=split_words(f["display_name"]), uses=int(f["uses"]),
                   last_used=int(f["last_used"]), starts=_starts(f["name"]))
    elif doc.kind == "places":
        out.update(name=f["name"], locality=f["locality"], country=f["country"], lat=float(f["lat"]),
                   lon=float(f["lon"]), popularity=int(f["popularity"]), starts=_starts(f["name"]))
    return out


class WhooshBackend(SearchBackend):
    """`separate_writer`: writes run in a child process (writer_process), this object only reads."""

    def __init__(self, folder: Path, *, separate_writer: bool = False) -> None:
        self.folder = folder
        self._writer: WriterProcess | None = WriterProcess(folder) if separate_writer else None
        self._writer_opened = False
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
        if self._writer is not None:  # the writer creates or rebuilds folders; this side only opens them
            if not self._writer_opened:
                self.fresh |= self._writer.call("open_all")
                self._writer_opened = True
            return windex.open_dir(str(path))
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
        """This thread's searcher on the latest committed generation (a cleared index is a new object). Commits
        made through this object are seen at once; those another process made (the one process of a node that
        writes its index, node/processes.py) within DISK_CHECK_SECONDS, by asking the folder."""
        cache: dict[str, tuple[Any, int, Any, float]] = self._local.__dict__.setdefault("searchers", {})
        ix = self._index(kind)
        generation = self._generation[kind]
        held = cache.get(kind)
        now = time.monotonic()
        if held is not None and held[0] is ix and held[1] == generation:
            if now - held[3] < DISK_CHECK_SECONDS:
                return held[2]
            if held[2].up_to_date():
                cache[kind] = (*held[:3], now)
                return held[2]
        searcher = held[2].refresh() if held is not None and held[0] is ix else ix.searcher()
        cache[kind] = (ix, generation, searcher, now)
        return searcher

    # ---- writing (the index-writer thread only) ----------------------------------------------------------

    def _written(self, kinds: Any) -> None:
        """Readers move to the generation the writer process just committed."""
        for kind in kinds:
            if kind in SCHEMAS:
                self._generation[kind] += 1

    def apply(self, upserts: Sequence[Document], deletes: Sequence[tuple[str, int]]) -> None:
        if self._writer is not None:
            self._writer.call("apply", list(upserts), list(deletes))
            self._written({doc.kind for doc in upserts} | {kind for kind, _ in deletes})
            return
        by_kind: dict[str, tuple[list[Document], list[int]]] = {}
        for doc in upserts:
            by_kind.setdefault(doc.kind, ([], []))[0].append(doc)
        for kind, doc_id in deletes:
            by_kind.setdefault(kind, ([], []))[1].append(doc_id)
        for kind, (docs, gone) in by_kind.items():
            if kind not in SCHEMAS:
                continue
            writer = self._index(kind).writer(limitmb=64)
            latest = {doc.id: doc for doc in docs}
            try:
                # One searcher for the whole batch: update_document opens a reader over every segment for
                # each document, which made indexing cost about a millisecond per status.
                with writer.searcher() as searcher:
                    for doc_id in [*gone, *latest]:
                        writer.delete_by_term("id", str(doc_id), searcher=searcher)
                for doc in latest.values():
                    writer.add_document(**_to_whoosh(doc))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            self._generation[kind] += 1

    def bulk_add(self, docs: Sequence[Document]) -> None:
        """Add documents known not to be in the index (a rebuild after `clear`): no per-document delete."""
        if self._writer is not None:
            self._writer.call("bulk_add", list(docs))
            self._written({doc.kind for doc in docs})
            return
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
        if self._writer is not None:
            self._writer.call("optimize", kind)
            self._written([kind])
            return
        self._index(kind).optimize()
        self._generation[kind] += 1

    def clear(self, kinds: Sequence[str] = KINDS) -> None:
        if self._writer is not None:
            self._writer.call("clear", list(kinds))
        for kind in kinds:
            if self._writer is not None:  # the folder was made anew: reopen it
                with self._open_lock:
                    ix = self._indexes.pop(kind, None)
                    if ix is not None:
                        ix.close()
                self._generation[kind] += 1
                continue
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

    def _filters(self, kind: str, filters: Filters, audience: Audience) -> tuple[list[Any], list[Any], Any]:
        """Query parts every hit must also match, and the mask of what must not match. Broad conditions go
        into the query (the matchers skip through posting lists) rather than Whoosh's `filter`, which would
        build a document set per search; the audience rules become a mask over the few restricted posts."""
        wanted: list[Any] = []
        masked: list[Any] = []
        unreadable: Any = None  # (restricted posts, those of them the viewer may read)
        if audience.hidden_domains and kind not in ("hashtags", "places"):
            masked += [wq.Term("domains", d) for d in audience.hidden_domains]
        if kind in ("statuses", "takes"):
            restricted = wq.Or([wq.Term("visibility", "private"), wq.Term("visibility", "direct")])
            if audience.viewer_id is None:
                masked.append(restricted)
            else:
                me = str(audience.viewer_id)
                readable: list[Any] = [wq.Term("author_id", me), wq.Term("mentions", me)]
                if audience.following:
                    readable.append(wq.And([wq.Term("visibility", "private"),
                                            wq.Or([wq.Term("author_id", str(a)) for a in audience.following])]))
                unreadable = (restricted, wq.Or(readable))
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
        return wanted, masked, unreadable

    @staticmethod
    def _mask(searcher: Any, masked: list[Any], unreadable: Any) -> set[int] | None:
        """The document numbers to leave out, as a set (Whoosh 2.7's AndNot miscounts inside masks)."""
        docs: set[int] = set()
        for query in masked:
            docs.update(searcher.docs_for_query(query))
        if unreadable is not None:
            restricted = set(searcher.docs_for_query(unreadable[0]))
            if restricted:
                docs.update(restricted - set(searcher.docs_for_query(unreadable[1])))
        return docs or None

    def search(self, kind: str, query: ParsedQuery, filters: Filters, audience: Audience, *, limit: int,
               offset: int = 0) -> list[Hit]:
        schema = self._index(kind).schema
        searcher = self._searcher(kind)
        conditions, masked, unreadable = self._filters(kind, filters, audience)
        mask_query = self._mask(searcher, masked, unreadable)
        if query.empty:
            text_query: Any = wq.Every()
            sort: dict[str, Any] = {"sortedby": "created" if kind in ("statuses", "takes") else
                                    ("followers" if kind == "accounts" else
                                     "uses" if kind == "hashtags" else "popularity"), "reverse": True}
        else:
            text_query = query_module.build(schema, SEARCHED[kind], query, fuzzy_fields=FUZZY[kind],
                                            reader=searcher.reader())
            sort = {}
        near = filters.near if kind in ("statuses", "takes", "places") else None
        wanted = offset + limit
        fetch = wanted * 4 + 20 if near else wanted
        hits = self._run(searcher, text_query, conditions, mask_query, fetch, sort, near)
        if not hits and not query.empty and len(query.words) + len(query.phrases) + len(query.prefixes) > 1:
            loose = query_module.build(schema, SEARCHED[kind], query, fuzzy_fields=FUZZY[kind], conjunction=False,
                                       reader=searcher.reader())
            hits = self._run(searcher, loose, conditions, mask_query, fetch, sort, near)
        return [Hit(kind, doc_id, score) for doc_id, score in hits[offset:wanted]]

    @staticmethod
    def _run(searcher: Any, text_query: Any, conditions: list[Any], mask_query: Any, fetch: int,
             sort: dict[str, Any], near: tuple[float, float, float] | None) -> list[tuple[int, float]]:
        if text_query is wq.NullQuery or wq.NullQuery in conditions:
            return []
        if conditions:  # conditions only narrow: they add nothing to the score
            text_query = wq.And([text_query, *(wq.ConstantScoreQuery(c, 0.0) for c in conditions)])
        results = searcher.search(text_query, mask=mask_query, limit=fetch, **sort)
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
        short = len(prefix) <= SHORT_PREFIX and prefix.isalnum()
        if kind == "accounts":
            if "@" in prefix:
                q: Any = wq.Prefix("acct", prefix)
            elif short:
                q = wq.Term("starts", prefix)
            else:
                q = wq.Or([wq.Prefix("names", w) for w in prefix.split()[:1]] + [wq.Prefix("acct", prefix)])
            popularity = "followers"
        elif kind == "hashtags":
            q = wq.Term("starts", prefix) if short else wq.Prefix("name", prefix.replace(" ", ""))
            popularity = "uses"
        elif kind == "places":
            words = prefix.split()
            q = wq.And([wq.Term("starts", w) if len(w) <= SHORT_PREFIX else wq.Prefix("name", w)
                        for w in words[:4]]) if words else wq.NullQuery
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
        if self._writer is not None:
            self._writer.close()
