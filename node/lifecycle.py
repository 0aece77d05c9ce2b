"""Building and stopping a node: the one place that wires the database, event subscribers, search,
plugins and federation together. It sits at the top of the import graph (beside app.py and cli.py); nothing
below imports it.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from . import activitypub, effects, processes, search, streaming
from .config import Config
from .db import APPS, close_database, open_database
from .notify import dispatcher
from .notify import state as channels
from .plugins import Plugins, load_plugins
from .runtime import Node
from .services import (
    conversations,
    feeds,
    lists,
    notifications,
    preview_cards,
    take_search,
    take_templates,
    take_trends,
    takes,
)
from .services.stories import notices as story_notices
from .streaming import personal as personal_streams


def _register_subscribers(node: Node) -> None:
    for module in (conversations, feeds, lists, notifications, preview_cards, takes, take_trends, take_templates, story_notices):
        module.subscribe(node)
    personal_streams.subscribe(node)  # after the features it streams (conversation rows exist by then)


async def start_node(config: Config, plugins: Plugins | None = None, *, resolver: Any = None,
                     shared: bool = False, freeze_heap: bool = False) -> Node:
    """Load the enabled plugins (unless given), open the database with their models (running migrations),
    make the data folders, wire the event subscribers. `shared`: this is one of several processes of the node
    on one PostgreSQL database (see node/processes.py)."""
    plugins = plugins if plugins is not None else load_plugins(config)
    apps = {**APPS, **plugins.tortoise_apps()}
    config.data_dir.mkdir(parents=True, exist_ok=True)
    config.media_dir.mkdir(parents=True, exist_ok=True)
    slot = await processes.take_id_slot(config) if shared else None  # before this process makes any id
    node = Node(config=config, db=await open_database(config.database_url, apps), plugins=plugins, shared=shared,
                id_slot=slot)
    try:
        await _wire(node, plugins, resolver, freeze_heap)
    except BaseException:
        await stop_node(node)  # nothing left open that would keep the process from exiting
        raise
    return node


async def _wire(node: Node, plugins: Plugins, resolver: Any, freeze_heap: bool = False) -> None:
    hub = streaming.attach(node)  # first: a deleted status's feed rows must still be there for its `delete` event
    if node.shared:
        await hub.backend.start()  # type: ignore[attr-defined]  (the PostgreSQL backend)
    _register_subscribers(node)
    channels.of(node)  # the VAPID key and link secret, made on a first start without `init`
    with node.bound():
        await dispatcher.start_cursor()
    index = search.attach(node)
    # With several processes, the one elected to run the scheduler writes a Whoosh index; PostgreSQL's search
    # tables take every process's writes.
    index.writes = not node.shared or index.concurrent_writers
    if index.concurrent_writers:  # PostgreSQL's search tables are made (or checked) before the node serves
        with node.bound():
            await index.backend.open()
    if freeze_heap:
        # before the search writer can be forked (its first write is the recovery below, on a thread): a heap
        # frozen first stays shared with the child, one collected after the fork is copied into both (+30 MB)
        freeze_start_up_heap()
    index.start()  # replays index work a crash left behind, in the background
    take_search.attach(node)
    with node.bound():
        await plugins.attach(node)
    await activitypub.attach(node, resolver)  # `resolver` maps test host names (node-a.test) to loopback ports
    node.bus.unrecorded = lambda name, payload: effects.carry_out_unrecorded(node, name, payload)
    effects.carry(activitypub.state.INBOUND)
    with node.bound():
        await effects.replay(node)  # what a crash or a failing subscriber left undone, before serving


# Collections of the youngest generation run after this many new container objects (700 by default). A
# timeline request allocates thousands (rows, model instances, entity dicts), nearly all freed by reference
# counting: at 700 the collector ran several times inside every request and walked the live working set of
# the 50 in flight each time, ~8% of a loaded node's CPU. Garbage in reference cycles waits a little longer.
YOUNG_COLLECTION_THRESHOLD = 20_000


def freeze_start_up_heap() -> None:
    """Move everything alive after start-up (modules, models, routes, templates: ~125,000 objects) out of
    the collector's sight. A full (generation-2) collection otherwise walks them all, ~35 ms of CPU each, and
    lands inside whatever request allocates the container that triggers it: on the stories tray it was the
    whole p95 (66 ms CPU against a 30 ms median; 33 ms with the heap frozen). Once per serving process only:
    objects frozen here are never collected, so a process that starts many nodes (the tests) must not."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, 20, 50)


def event_loop() -> asyncio.AbstractEventLoop:
    """The loop a serving process runs on (and the benchmarks, to measure what it serves with): uvloop where
    it installs (Linux, macOS), whose own share of every request is several times smaller than asyncio's
    pure-Python selector loop; asyncio's loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def stop_node(node: Node) -> None:
    if node.scheduler is not None and node.scheduler.running:
        node.scheduler.shutdown(wait=False)
    await activitypub.detach(node)
    await node.settle()
    if node.streams is not None:
        await node.streams.close()
    if node.search is not None:
        with node.bound():
            await node.search.close()
    await close_database(node.db)
    if node.id_slot is not None:
        await node.id_slot.close()
