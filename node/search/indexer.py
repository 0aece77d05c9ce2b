"""Keeping the search index in step with the database: event subscribers queue index work, one pump task
builds documents (on the event loop, from the database) and hands them in batches to the backend: Whoosh's
single writer thread (and its writer process), or PostgreSQL's own tables, which every process of a node
writes at once.

Durability: each piece of work is first written to the `index_journal` table and removed only after the
index committed it, so work lost in a crash is replayed at the next start. The window between a database
commit and its journal row is covered by a high-water mark: at start, everything created or edited since
shortly before the last committed batch is indexed again. An index folder that is missing or has an old
schema is rebuilt from the database in the background (so are PostgreSQL search tables made afresh).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import db
from ..models import Account, IndexJournal, Place, Status, Tag, snowflake_floor
from .backend import (
    KINDS,
    AsyncSearchBackend,
    Audience,
    Document,
    Filters,
    Hit,
    InThreads,
    ParsedQuery,
    SearchBackend,
)
from .documents import BUILDERS, Builder, ExtraKind

if TYPE_CHECKING:
    from ..runtime import Node

log = logging.getLogger(__name__)
BATCH = 500
# A Whoosh commit costs the same for one document as for hundreds (a new segment, a merge, a searcher),
# so under a steady stream of events the pump commits at most this often (a second, Elasticsearch's default
# refresh interval) and each commit takes what queued meanwhile. An idle index still commits the first
# event at once; drain() never waits.
COMMIT_INTERVAL = 1.0
SAFETY_SECONDS = 120  # how far before the last committed batch the start-up sweep looks again
# With a backend every process writes, each process indexes its own work; journal rows still there after this
# long belong to a process that died or failed on them, and the scheduler's process takes them over.
ORPHAN_SECONDS = 60
REBUILD_CHUNK = 2000
# Models the rebuild and the start-up sweep read, per kind, with the column telling when a row was made.
SOURCES: dict[str, tuple[Any, str | None]] = {
    "accounts": (Account, "created_at"), "statuses": (Status, None), "hashtags": (Tag, "created_at"),
    "places": (Place, "created_at"),
}


class SearchIndex:
    """The node's search index: `node.search`. Tests call `drain()` to wait for pending index work."""

    def __init__(self, node: Node, backend: SearchBackend | AsyncSearchBackend | None = None) -> None:
        self.node = node
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-writer")
        self._backend: AsyncSearchBackend | None = InThreads(backend, self._writer) if isinstance(
            backend, SearchBackend) else backend
        self.extra: dict[str, ExtraKind] = {}
        self._queue: dict[tuple[str, int], tuple[str, list[int]]] = {}  # (kind, id) -> (op, journal ids)
        self._pump: asyncio.Task | None = None
        self._hurry = asyncio.Event()  # set while someone waits in drain(): commit without pausing
        self._last_commit = 0.0
        self._recovery: asyncio.Task | None = None
        # False in the processes of a node running as several (node/processes.py) that do not hold the
        # scheduler, with Whoosh: they only journal index work, and the one process that writes the index
        # takes it from the journal (`absorb`), so the index folder keeps one writer. The PostgreSQL backend
        # takes writes from every process (`concurrent_writers`).
        self.writes = True
        self._applying: set[int] = set()  # journal ids of the batch being committed
        self._state_path = node.config.search_dir / "state.json"

    # ---- set-up ------------------------------------------------------------------------------------------

    @property
    def backend(self) -> AsyncSearchBackend:
        if self._backend is None:  # the engine is imported (and Whoosh's folders made) only when first needed
            if self.node.config.search.backend == "postgres":
                from .postgres_backend import PostgresBackend

                self._backend = PostgresBackend()  # writes in SQL from every process: no writer process
            else:
                from .whoosh_backend import WhooshBackend

                self.node.config.search_dir.mkdir(parents=True, exist_ok=True)
                self._backend = InThreads(WhooshBackend(self.node.config.search_dir, separate_writer=True),
                                          self._writer)
        return self._backend

    @property
    def concurrent_writers(self) -> bool:
        """Every process of the node writes the index itself (PostgreSQL); else one elected process does."""
        if self._backend is not None:
            return self._backend.concurrent_writers
        return self.node.config.search.backend == "postgres"

    def register_kind(self, kind: str, extra: ExtraKind) -> None:
        """Make another feature's things searchable (Takes): it publishes events that call `enqueue`."""
        if kind not in KINDS:
            raise ValueError(f"unknown search kind {kind!r}; known: {', '.join(KINDS)}")
        self.extra[kind] = extra

    def builder(self, kind: str) -> Builder | None:
        extra = self.extra.get(kind)
        return extra.build if extra is not None else BUILDERS.get(kind)

    def subscribe(self) -> None:
        bus = self.node.bus

        def upsert(kind: str, pick: Callable[..., Iterable[int | None]]) -> Callable[..., Any]:
            async def handler(**payload: Any) -> None:
                await self.enqueue(kind, [i for i in pick(**payload) if i is not None])
            return handler

        async def status_deleted(status: Status, **_: Any) -> None:
            await self.enqueue("statuses", [status.id], op="delete")

        bus.subscribe("status.created", upsert("statuses", lambda status, **_: [status.id]))
        bus.subscribe("status.updated", upsert("statuses", lambda status, **_: [status.id]))
        bus.subscribe("status.deleted", status_deleted)
        for name in ("account.created", "account.updated"):
            bus.subscribe(name, upsert("accounts", lambda account, **_: [account.id]))
        # Engagement and follower counts feed ranking and the engagement filter.
        for name in ("favourite.created", "favourite.deleted"):
            bus.subscribe(name, upsert("statuses", lambda favourite, **_: [favourite.status_id]))
        for name in ("reblog.created", "reblog.deleted"):
            bus.subscribe(name, upsert("statuses", lambda status, **_: [status.reblog_of_id]))
        for name in ("follow.created", "follow.accepted"):
            bus.subscribe(name, upsert("accounts", lambda follow, **_: [follow.target_account_id]))
        bus.subscribe("follow.deleted", upsert("accounts", lambda target, **_: [target.id]))
        bus.subscribe("place.created", upsert("places", lambda place, **_: [place.id]))

    # ---- queueing ----------------------------------------------------------------------------------------

    async def enqueue(self, kind: str, ids: Iterable[int], op: str = "upsert", *, journal: bool = True) -> None:
        """Queue index work for these ids (durably, unless `journal` is off for work that is replayable)."""
        ids = list(dict.fromkeys(int(i) for i in ids))
        if not ids:
            return
        rows = [IndexJournal(kind=kind, object_id=i, op=op) for i in ids] if journal else []
        if rows:
            await db.insert(rows)  # joins concurrent writers' transaction (one commit for a burst of posts)
        if not self.writes:
            return  # the writing process takes it from the journal
        for i, row in zip(ids, rows or [None] * len(ids), strict=True):
            _, held = self._queue.pop((kind, i), ("", []))
            self._queue[(kind, i)] = (op, [*held, row.id] if row is not None else held)
        self._ensure_pump()

    def _ensure_pump(self) -> None:
        if self._pump is None or self._pump.done():
            self._pump = self.node.spawn(self._run())

    def start(self) -> None:
        """Begin the start-up recovery in the background (drain() waits for it)."""
        if self.writes:
            self._recovery = self.node.spawn(self.recover())

    def become_writer(self) -> None:
        """This process now writes the index for all of them (it took over the scheduler)."""
        if not self.writes:
            self.writes = True
            self.start()

    async def absorb(self) -> int:
        """Queue the index work other processes journaled (the writer runs this every few seconds). Where
        every process writes, only the work left behind longer than ORPHAN_SECONDS."""
        if not self.writes:
            return 0
        held = {j for _, ids in self._queue.values() for j in ids} | self._applying
        pending = IndexJournal.all()
        if self.concurrent_writers:
            pending = IndexJournal.filter(id__lt=snowflake_floor(datetime.fromtimestamp(
                time.time() - ORPHAN_SECONDS, UTC)))
        rows = await pending.order_by("id").limit(BATCH * 4).values_list("kind", "object_id", "op", "id")
        taken = 0
        for kind, object_id, op, journal_id in rows:
            if journal_id in held:
                continue
            _, ids = self._queue.pop((kind, object_id), ("", []))
            self._queue[(kind, object_id)] = (op, [*ids, journal_id])
            taken += 1
        if taken:
            self._ensure_pump()
        return taken

    def hurry(self) -> None:
        """Commit queued work without the usual pause (someone is waiting for it)."""
        self._hurry.set()

    async def drain(self) -> None:
        """Wait until every queued piece of index work is committed to the index."""
        self.hurry()
        if self._recovery is not None and not self._recovery.done() and asyncio.current_task() is not self._recovery:
            await asyncio.shield(self._recovery)
        while self._pump is not None and not self._pump.done():
            await asyncio.shield(self._pump)
        if self._queue:
            self._ensure_pump()
            await self.drain()

    async def _pause(self) -> None:
        """Let more work queue up when the last commit was moments ago (see COMMIT_INTERVAL)."""
        wait = self._last_commit + COMMIT_INTERVAL - time.monotonic()
        if wait > 0 and len(self._queue) < BATCH and not self._hurry.is_set():
            try:
                await asyncio.wait_for(self._hurry.wait(), wait)
            except TimeoutError:
                pass

    async def _run(self) -> None:
        while self._queue:
            await self._pause()
            keys = list(self._queue)[:BATCH]
            batch = {key: self._queue.pop(key) for key in keys}
            journaled = {j for _, ids in batch.values() for j in ids}
            self._applying |= journaled
            try:
                await self._apply_batch(batch)
            except Exception:  # the journal keeps the work; it is replayed at the next start
                log.exception("search indexing failed for %d items; kept in the journal", len(batch))
            self._applying -= journaled
            self._last_commit = time.monotonic()
        self._hurry.clear()

    async def _apply_batch(self, batch: dict[tuple[str, int], tuple[str, list[int]]]) -> None:
        started = time.time()
        as_of = await self.backend.clock()  # before reading the database: see AsyncSearchBackend
        wanted: dict[str, list[int]] = {}
        deletes: list[tuple[str, int]] = []
        for (kind, object_id), (op, _) in batch.items():
            if op == "delete":
                deletes.append((kind, object_id))
            else:
                wanted.setdefault(kind, []).append(object_id)
        docs = await self._build(wanted, deletes)
        touched: dict[str, list[int]] = {}
        for doc in docs:
            for kind, object_id in doc.touches:
                if (kind, object_id) not in batch:
                    touched.setdefault(kind, []).append(object_id)
        if touched:
            docs += await self._build({k: list(dict.fromkeys(v)) for k, v in touched.items()}, deletes)
        await self.backend.apply(docs, deletes, as_of=as_of)
        done = [journal_id for _, ids in batch.values() for journal_id in ids]
        if done:
            await IndexJournal.filter(id__in=done).delete()
        self._save_state(started - SAFETY_SECONDS)

    async def _build(self, wanted: dict[str, list[int]], deletes: list[tuple[str, int]]) -> list[Document]:
        """Documents for the wanted ids; ids whose builder returned nothing are added to `deletes`."""
        docs: list[Document] = []
        for kind, ids in wanted.items():
            builder = self.builder(kind)
            if builder is None:
                continue
            built = await builder(ids)
            docs += built
            present = {d.id for d in built}
            deletes += [(kind, i) for i in ids if i not in present]
        return docs

    # ---- recovery and rebuilds ---------------------------------------------------------------------------

    def _load_state(self) -> dict[str, Any]:
        try:
            return json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            return {}

    def _save_state(self, synced_at: float) -> None:
        state = self._load_state()
        if synced_at > state.get("synced_at", 0):
            self._state_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._state_path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"synced_at": synced_at}))
            temporary.replace(self._state_path)

    async def recover(self) -> None:
        """At start: replay the journal, re-index what changed since shortly before the last committed batch,
        and rebuild any index that had to be created afresh."""
        fresh = await self.backend.open()
        for kind, object_id, op, journal_id in await IndexJournal.all().order_by("id").values_list(
                "kind", "object_id", "op", "id"):
            _, held = self._queue.pop((kind, object_id), ("", []))
            self._queue[(kind, object_id)] = (op, [*held, journal_id])
        synced_at = self._load_state().get("synced_at")
        for kind in self.rebuildable():
            if kind in fresh:
                await self.rebuild([kind], live=True)
            elif synced_at is not None:
                await self.enqueue(kind, await self._changed_since(kind, synced_at), journal=False)
        if self._queue:
            self._ensure_pump()
        await self.drain()

    def rebuildable(self) -> dict[str, tuple[Any, str]]:
        """Every kind a rebuild can read from the database: (model, column holding the search id)."""
        kinds = {kind: (model, "id") for kind, (model, _) in SOURCES.items()}
        kinds.update({kind: extra.source for kind, extra in self.extra.items() if extra.source is not None})
        return kinds

    async def _changed_since(self, kind: str, synced_at: float) -> list[int]:
        if kind in SOURCES:
            return await _changed_since(kind, synced_at)
        model, column = self.rebuildable()[kind]
        floor = snowflake_floor(datetime.fromtimestamp(synced_at, UTC))
        return list(await model.filter(**{f"{column}__gte": floor}).values_list(column, flat=True))

    async def rebuild(self, kinds: Iterable[str] | None = None, *, live: bool = False,
                      progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
        """Index every row again from the database (every kind, unless `kinds` names some). `live` (a running
        node) replaces documents one by one so concurrent updates stay right; otherwise the index is emptied
        first and filled in bulk (faster)."""
        counts: dict[str, int] = {}
        sources = self.rebuildable()
        for kind in kinds if kinds is not None else list(sources):
            if kind not in sources:  # re-registered without a database source since it was asked for
                continue
            model, column = sources[kind]
            build = self.builder(kind)
            total = await model.all().count()
            if not live:
                await self.backend.clear([kind])
            done, last = 0, -1
            while True:
                ids = list(await model.filter(**{f"{column}__gt": last}).order_by(column).limit(
                    REBUILD_CHUNK).values_list(column, flat=True))
                if not ids:
                    break
                last = ids[-1]
                as_of = await self.backend.clock()
                docs = await build(ids)  # type: ignore[misc]
                if live:
                    await self.backend.apply(docs, [], as_of=as_of)
                else:
                    await self.backend.bulk_add(docs, as_of=as_of)
                done += len(ids)
                if progress is not None:
                    progress(kind, done, total)
            counts[kind] = done
            await self.backend.rebuilt(kind)
        if not live:
            await IndexJournal.all().delete()
            self._save_state(time.time() - SAFETY_SECONDS)
        return counts

    # ---- reading -----------------------------------------------------------------------------------------

    async def search(self, kinds: Iterable[str], query: ParsedQuery, filters: Filters, audience: Audience, *,
                     limit: int, offset: int = 0) -> dict[str, list[Hit]]:
        """Best hits per kind (Whoosh reads off the event loop)."""
        return await self.backend.search_kinds(list(kinds), query, filters, audience, limit=limit, offset=offset)

    async def suggest(self, kinds: Iterable[str], prefix: str, *, limit: int) -> dict[str, list[Hit]]:
        return await self.backend.suggest_kinds(list(kinds), prefix, limit=limit)

    async def backend_count(self, kind: str) -> int:
        """How many documents of a kind the index holds (after pending work is written)."""
        await self.drain()
        return await self.backend.count(kind)

    async def close(self) -> None:
        await self.drain()
        if self._backend is not None:
            await self._backend.close()
        self._writer.shutdown(wait=True)


async def _changed_since(kind: str, synced_at: float) -> list[int]:
    moment = datetime.fromtimestamp(synced_at, UTC)
    if kind == "statuses":
        created = await Status.filter(id__gte=snowflake_floor(moment)).values_list("id", flat=True)
        edited = await Status.filter(edited_at__gte=moment).values_list("id", flat=True)
        return [*created, *edited]
    model, column = SOURCES[kind]
    return list(await model.filter(**{f"{column}__gte": moment}).values_list("id", flat=True))
