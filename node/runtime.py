"""The running node: config, database context, event bus and scheduler, opened and closed in one place.

Everything a service needs from its surroundings comes through `Node`; nothing reads globals.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.context import TortoiseContext

from .config import Config
from .db import APPS, close_database, open_database
from .events import EventBus
from .plugins import Plugins, load_plugins
from .urls import Urls

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(eq=False)
class Node:
    config: Config
    db: TortoiseContext
    bus: EventBus = field(default_factory=EventBus)
    scheduler: AsyncIOScheduler | None = None
    plugins: Plugins = field(default_factory=Plugins.none)
    federation: Any = None  # node.activitypub.state.Federation once attached
    search: Any = None  # node.search.indexer.SearchIndex, attached at start
    _tasks: set[asyncio.Task] = field(default_factory=set)

    @property
    def urls(self) -> Urls:
        return Urls(self.config.base_url)

    @property
    def base_url(self) -> str:
        return self.config.base_url

    async def run_blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run CPU-bound or blocking work (hashing, image decoding, Whoosh) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Start background work bound to this node's database; it is awaited on shutdown."""
        with self.db:
            task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def settle(self) -> None:
        """Wait for spawned background work (tests call this instead of sleeping)."""
        while self._tasks:
            if self.search is not None:
                self.search.hurry()  # its pump may be pausing to batch index commits
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _register_subscribers(node: Node) -> None:
    from .services import feeds, notifications, take_templates, take_trends, takes

    for module in (feeds, notifications, takes, take_trends, take_templates):
        module.subscribe(node)


async def start_node(config: Config, plugins: Plugins | None = None, *, resolver: Any = None) -> Node:
    """Load the enabled plugins (unless given), open the database with their models (running migrations),
    make the data folders, wire the event subscribers."""
    plugins = plugins if plugins is not None else load_plugins(config)
    apps = {**APPS, **plugins.tortoise_apps()}
    config.data_dir.mkdir(parents=True, exist_ok=True)
    config.media_dir.mkdir(parents=True, exist_ok=True)
    node = Node(config=config, db=await open_database(config.database_url, apps), plugins=plugins)
    _register_subscribers(node)
    from .search import attach as attach_search

    attach_search(node).start()  # replays index work a crash left behind, in the background
    from .services import take_search

    take_search.attach(node)
    with node.db:
        await plugins.attach(node)
    from .activitypub import attach  # `resolver` maps test host names (node-a.test) to loopback ports

    await attach(node, resolver)
    return node


async def stop_node(node: Node) -> None:
    from .activitypub import detach

    if node.scheduler is not None and node.scheduler.running:
        node.scheduler.shutdown(wait=False)
    await detach(node)
    await node.settle()
    if node.search is not None:
        with node.db:
            await node.search.close()
    await close_database(node.db)
